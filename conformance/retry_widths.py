"""A 全件 retry at every width and character class of its RequestId (冪等キーの値域): step
``retry_widths`` (J-RETRY-02).

docs/notices.md "Made once per RequestId": a first request sent again by the same Sender with
the same RequestId is answered from the same snapshot; a RequestId is any text the requester
chooses of juki:ExtractIdType — ``[A-Za-z0-9\\-]{1,64}``: 1 to 64 characters, each an upper-case
letter, a lower-case letter, a digit or a hyphen, the first too —, and another RequestId is
another transfer with a snapshot of its own (J-FULL-19 judges it on pairs a normaliser merges).
J-RETRY-01 retries one RequestId varying the other header fields; here the RequestId itself
walks its domain:

- ``request_ids``: one value of every width 1 … 64; their first characters take the four
  classes in turn (``-`` first too: the pattern admits it), the rest cycle through every class;
  each width's value is the next one's prefix but for the first character (a key cut to N
  characters merges the values wider than N with a common first character); none is all
  digits or begins like another case's RequestId.
- each is sent as a first request (Page 1) and at once again with the same RequestId, over the
  other SOAP version for every other width: the retry's answer must be the first's, body for
  body; and the first requests' ExtractIds must all differ (64 RequestIds, 64 snapshots).

Cost: 128 exchanges a run (juki.ResidentFullExtract providers).
"""

from __future__ import annotations

import re
from typing import Any

from . import checks
from .records import Exchange

PATTERN = r"[A-Za-z0-9\-]{1,64}"  # juki-v1.xsd ExtractIdType
WIDTH_MAX = 64
FIRSTS = "Az0-"  # the first character's classes: upper, lower, digit, hyphen
_CYCLE = "Qq7-"  # every class again for the characters after the first
MESSAGE = "full_extract.first_request_id"


def request_ids(fresh: str) -> list[str]:
    """The RequestId of each width 1 … 64, from ``fresh`` (digits of a fresh 宛名番号)."""
    digits = re.sub(r"\D", "", fresh) or "0"
    tail = ("q" + digits + "".join(_CYCLE[k % 4] + "XyZ"[k % 3] for k in range(WIDTH_MAX)))
    return [FIRSTS[w % len(FIRSTS)] + tail[:w - 1] for w in range(1, WIDTH_MAX + 1)]


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    if step.target != "request_ids":
        raise ValueError(f"{step.where}: unknown retry_widths {step.target!r} (request_ids)")
    ns = runner.s.context.namespaces
    problems: list[str] = []
    extracts: dict[str, str] = {}  # ExtractId → the RequestId whose first request got it
    for rid in request_ids(runner._fresh_addressee()):
        first_soap, retry_soap = ("1.1", "1.2") if len(rid) % 2 else ("1.1", "1.1")
        at = f"RequestId {rid!r} ({len(rid)} characters)"
        first = _post(runner, step, values, rid, first_soap, f"{at} first SOAP {first_soap}")
        retry = _post(runner, step, values, rid, retry_soap, f"{at} retry SOAP {retry_soap}")
        if found := checks.outcome(first, "response"):
            problems += [f"{at} first request: {p}" for p in found]
            continue
        problems += [f"{at} retry SOAP {retry_soap}: {p}" for p in
                     checks.outcome(retry, "response")
                     or checks.same_body(retry, first, [], ns)]
        extract = first.envelope().body.xpath("string(*[local-name() = 'ExtractId'])")
        if extract and extract in extracts:
            problems.append(f"{at}: its first request got ExtractId {extract!r}, the snapshot "
                            f"of RequestId {extracts[extract]!r} (another RequestId is another "
                            f"transfer, a snapshot of its own)")
        if not extract:
            problems.append(f"{at}: its first request's answer names no ExtractId")
        extracts.setdefault(extract, rid)
    return problems


def _post(runner, step, values, rid: str, soap: str, label: str) -> Exchange:
    return runner._post(step.with_options(soap=soap), values, MESSAGE,
                        {"request_id": rid, "page_size": values.get("page_size", "3")}, label)
