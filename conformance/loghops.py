"""The ``log`` step of level-2 cases: what the hub's routing log says about a step's exchange.

The exchange is found by the message ID a reference action printed (``"message_id"`` in its
JSON output) or, for the product's own calls (whose IDs the suite never sees), as the first
exchange after the step started whose sender is the product (or simply the first, when the hub
could not read a sender).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bus.store.routing_log import Hop, HopRecord

from .interop import InteropHarness
from .records import CommandRun, Exchange


def _selected(rows: list[HopRecord], message_id: str | None, sender: str) -> list[HopRecord]:
    if message_id is not None:
        return rows
    # Only the product talks to the hub the suite started; a header the hub could not read
    # leaves the sender unknown, so the first exchange after the step started is taken then.
    ordered = list(dict.fromkeys(r.exchange_id for r in rows))
    by_sender = [e for e in ordered if any(r.sender == sender for r in rows
                                           if r.exchange_id == e)]
    chosen = (by_sender or ordered or [None])[0]
    return [r for r in rows if r.exchange_id == chosen]


def check_hops(harness: InteropHarness, out: Any, opts: Mapping[str, Any],
               params: Mapping[str, Any], timeout: float) -> list[str]:
    if isinstance(out, CommandRun):
        message_id = out.json.get("message_id") if isinstance(out.json, dict) else None
        since = out.started_at
    elif isinstance(out, Exchange):
        message_id = out.sent_header.message_id if out.sent_header else None
        since = out.started_at
    else:
        return [f"cannot find the hub's record of {type(out).__name__}"]
    sender = f"{params['sut_local_gov_code']}/{params.get('sut_business_unit', '')}/" \
             f"{params['sut_system_id']}"
    want = list(opts.get("hops", []))

    def complete(rows: list[HopRecord]) -> bool:
        # an exchange is over once the hub replied; the log is then read, whatever it says
        return Hop.REPLIED in [r.hop for r in _selected(rows, message_id, sender)]

    rows = _selected(harness.hops(complete, since, message_id, timeout), message_id, sender)
    if not rows:
        which = f"of {message_id}" if message_id else f"from {sender}"
        return [f"the hub recorded no exchange {which} within {timeout:g} s"]
    hops = [r.hop for r in rows]
    problems = []
    if want and hops != want:
        problems.append(f"hops {hops}, expected {want}")
    if "status" in opts:
        bad = [f"{r.hop}={r.status}" + (f" ({r.fault_code} {r.rule} {r.path})" if r.fault_code
                                         else "")
               for r in rows if r.status != opts["status"]]
        if bad:
            problems.append(f"not {opts['status']}: {', '.join(bad)}")
    if "rule" in opts and not any(r.rule == opts["rule"] for r in rows):
        problems.append(f"no hop names rule {opts['rule']} (rules: "
                        f"{sorted({r.rule for r in rows if r.rule})})")
    for hop in opts.get("absent", []):
        if hop in hops:
            problems.append(f"hop {hop} is present: the message went further than it should")
    return problems
