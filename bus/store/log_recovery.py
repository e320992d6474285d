"""After a crash: a chained *gap* record that names what is known about the records lost, and
the notice store's facts written back as *recovered* hops (経路ログの欠落の記録).

The hub marks its run in the routing log (``RoutingLog(marks_runs=True)``); a clean close clears
the mark. A start that finds the mark left behind knows the previous run was killed (SIGKILL,
power loss, OOM): records queued but not committed at that moment are lost. Thanks to the strict
form (bus/hub/evidence.py) no exchange whose answer a client saw is among them; what can be lost
is the tail of exchanges cut off mid-way and the hops written after a store commit:

- a notice stored (and acknowledged, if its receipt left before the kill — it cannot, the receipt
  waits for the log — or not) without its ``accepted`` hop;
- a delivery marked delivered in the notice store without its ``delivery ok`` hop.

Both are facts the notice store keeps; ``recover`` writes them back as hops with
``recovered = 1``, after one ``gap`` record that says what happened. ``pfbus log verify`` lists gap
records apart from tampering: the chain over them is intact, they are the log's own account of
its loss.

Several workers on one log (``pfbus serve --workers N``): each keeps its own run mark, so the
restart of a killed worker recovers that worker's run while the others go on writing. Only facts
older than the restarted process (``until``) are looked at — the crashed worker stored them
before it died, and the live workers' own hops for facts that old were committed long since.
The gap record's count of cut-off exchanges cannot tell whose they are (hops carry no worker):
it counts every exchange with no 'replied' record since the crashed run began, an upper bound
that includes exchanges the other workers have in flight, and says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .hop_record import Hop, HopRecord, Status
from .notices.base import Fact, NoticeStore
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .routing_log import AnyLog

# Hops are recorded right after the store's commit, on the reactor; a busy reactor may take a
# while. Facts this much older than the last record the crashed run committed are looked at too.
MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class Recovery:
    previous_run: dict
    cut_off: int  # exchanges of the crashed run with no 'replied' hop
    accepted: int  # accepted hops written back from the notice store
    delivered: int  # delivery ok hops written back

    def as_event(self) -> dict:
        return {"previous_run_started_at": self.previous_run.get("started_at"),
                "previous_run_pid": self.previous_run.get("pid"), "cut_off": self.cut_off,
                "recovered_accepted": self.accepted, "recovered_delivered": self.delivered}


def recover(rl: AnyLog, notices: NoticeStore | None, *, until: float | None = None,
            shared: bool = False) -> Recovery | None:
    """If the previous run of this hub crashed, write the gap record and the recovered hops
    (committed before returning). None if the previous run closed the log cleanly. ``until``:
    facts of the notice store from before this time only (epoch seconds; this process's start);
    ``shared``: other workers write the same log (see the module doc)."""
    run = rl.unclean
    if run is None:
        return None
    after_id = int(run.get("after_id") or 0)
    cut_off, last_at = rl.run_summary(after_id)
    accepted: list[HopRecord] = []
    delivered: list[HopRecord] = []
    if notices is not None:
        since = _epoch(last_at or run.get("started_at")) - MARGIN_SECONDS
        for fact in notices.recent_facts(since):
            if until is not None and fact[4] >= until:  # stored after this process started
                continue
            if fact[0] == Fact.ACCEPTED:
                _, mid, service, sender, at = fact
                if not rl.has_hop(mid, (Hop.ACCEPTED, Hop.DUPLICATE)):
                    accepted.append(HopRecord(
                        hop=Hop.ACCEPTED, status=Status.OK, message_id=mid, service_id=service,
                        sender=sender, recovered=1,
                        reason=f"recovered after a crash: the notice store has it stored at "
                               f"{_iso(at)}"))
            else:
                _, mid, service, subscriber, at, attempts = fact
                if not rl.has_hop(mid, (Hop.DELIVERY,), provider=subscriber, ok=True):
                    delivered.append(HopRecord(
                        hop=Hop.DELIVERY, status=Status.OK, message_id=mid, service_id=service,
                        provider=subscriber, attempt=attempts, recovered=1,
                        reason=f"recovered after a crash: the notice store marks it delivered "
                               f"at {_iso(at)}"))
    rl.record(HopRecord(
        hop=Hop.GAP, status=Status.ERROR, recovered=1,
        reason=(f"the run started {run.get('started_at', '?')} (pid {run.get('pid', '?')}) ended "
                f"without closing the routing log (killed or crashed) after record "
                f"{run.get('last_id', '?')}; records not yet committed then are lost. Known: "
                f"{cut_off} exchange(s) "
                + ("received by any worker of this log since that run began (an upper bound: "
                   "other workers' exchanges in flight count too) " if shared else
                   "of that run ")
                + f"have no 'replied' record (cut off: the strict form released no answer for "
                f"them); {len(accepted)} 'accepted' and "
                f"{len(delivered)} 'delivery' record(s) follow, recovered from the notice "
                f"store (recovered=1)")))
    for hop in (*accepted, *delivered):
        rl.record(hop)
    rl.flush(timeout=60)
    return Recovery(run, cut_off, len(accepted), len(delivered))


def _epoch(iso: str | None) -> float:
    if not iso:
        return 0.0
    return dt.datetime.fromisoformat(iso).timestamp()


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="microseconds")
