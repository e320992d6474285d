"""Faulty products for round 35b (docs/conformance-testing.md, "Round 35b"), each with ONE
defect, written from the classes the thirty-fifth blind batch's misses belong to (a 全件 request's
fields × a retry or a later request; a notice's shape × a restart), not from its variants:

- (in front of the reference provider: 全件 requests) a front end that keys a retried first
  request by its RequestId *and* its 基準日 (``extract-retry-keyed-with-as-of``): a retry with
  another AsOf (or none) starts a second snapshot; one that drops the AsOf of a request sent as
  LinkageKind delta, "a delta has no 基準日" (``delta-extract-as-of-dropped``): every resident
  answered; one that remembers a first answer with TotalCount 0 as "nothing to page" and
  forgets its ExtractId (``empty-extract-id-forgotten``): a later request naming it is refused
  as unknown; and a reply cache for a first request with a RequestId that answers its retries
  with the first answer's SentAt (``extract-retry-sent-at-of-first``): within a second nobody
  sees it, P-LATE-01's retries seconds later do (INV-MSG-10); and a (Sender, RequestId) cache
  whose entries live 2.5 s (``request-ids-kept-briefly``): a retry later gets a second snapshot,
  which only P-LATE-01's retries at the end of the run show;
- (the crashable subscriber: a notice's shape × a restart) a loader that keeps the later of two
  changes of one resident with one 異動連番 (``equal-sequence-later-kept``); one that sorts a
  notice's changes by OccurredOn before judging them (``changes-sorted-by-date``); a start-up
  that rebuilds each resident's last 異動連番 from the first change applied by the last notice
  that touched it (``watermark-of-first-change-at-start``); and one that drops seen MessageIds
  whose SentAt was ahead of the clock when received, "debris of a clock that jumped"
  (``seen-ahead-of-clock-dropped-at-start``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
import uuid

from lxml import etree

from .faulty_durability import CrashableSubscriber
from .faulty_round14b import _rehashed
from .faulty_round16 import _rewriting
from .faulty_round16b import PFH
from .proxy import Call, Reply, header_findtext, serialize, tree
from .references import JUKI_PROFILE
from .subscriber import CMN, JUKI

_REQUEST = f".//{{{JUKI}}}ResidentFullExtractRequest"
_SENT_AT = re.compile(rb"(<(?:[\w.-]+:)?SentAt>)([^<]*)(<)")
_KEPT = 2.5  # s: request_ids_kept_briefly's cache (P-LATE-01 retries 3 s or more later)


def _first_request(root: etree._Element) -> etree._Element | None:
    """A 全件 first request (no ExtractId), or None."""
    body = root.find(_REQUEST)
    return body if body is not None and body.find(f"{{{JUKI}}}ExtractId") is None else None


def _keyed_with_as_of(root: etree._Element) -> bool:
    body = _first_request(root)
    rid = body.find(f"{{{JUKI}}}RequestId") if body is not None else None
    if rid is None:
        return False
    as_of = (body.findtext(f"{{{JUKI}}}AsOf") or "").strip()  # type: ignore[union-attr]
    rid.text = hashlib.sha256(f"{rid.text}|{as_of}".encode()).hexdigest()[:40]
    return True


def _delta_as_of_dropped(root: etree._Element) -> bool:
    body = _first_request(root)
    as_of = body.find(f"{{{JUKI}}}AsOf") if body is not None else None
    if as_of is None or (header_findtext(root, f"/{{{PFH}}}LinkageKind") or "").strip() != "delta":
        return False
    body.remove(as_of)  # type: ignore[union-attr]
    return True


def request_ids_kept_briefly(call: Call) -> bytes:
    """A (Sender, RequestId) → ExtractId cache whose entries live ``_KEPT`` seconds: a retry
    after that is sent on under a RequestId nobody used, so it gets a second snapshot."""
    root = tree(call.request)
    body = _first_request(root)
    rid = body.find(f"{{{JUKI}}}RequestId") if body is not None else None
    if rid is None:
        return call.request
    key = (header_findtext(root, f"/{{{PFH}}}Sender/{{{PFH}}}SystemId"), rid.text)
    first = call.state.setdefault("first_seen", {}).setdefault(key, time.monotonic())
    if time.monotonic() - first <= _KEPT:
        return call.request
    rid.text = f"{rid.text[:40]}-{uuid.uuid4().hex[:16]}"
    return serialize(root)


def empty_extract_forgotten(call: Call) -> bytes:
    """A request naming an ExtractId whose first answer held TotalCount 0 is sent on with an
    ExtractId nobody issued: the product refuses it as unknown."""
    root = tree(call.request)
    body = root.find(_REQUEST)
    named = body.find(f"{{{JUKI}}}ExtractId") if body is not None else None
    if named is None or named.text not in call.state.get("empty", set()):
        return call.request
    named.text = f"forgotten-{hashlib.sha256(named.text.encode()).hexdigest()[:32]}"
    return serialize(root)


def _remember_empty(call: Call) -> Reply:
    if call.reply is not None and _first_request(tree(call.request)) is not None:
        answer = tree(call.reply.body)
        if answer.findtext(f".//{{{JUKI}}}TotalCount") == "0":
            call.state.setdefault("empty", set()).add(
                answer.findtext(f".//{{{JUKI}}}ExtractId"))
    return _rehashed(call)


def sent_at_of_first(call: Call) -> Reply:
    """A first request with a RequestId answered again is given the first answer's SentAt."""
    reply = call.reply
    assert reply is not None
    body = _first_request(tree(call.request))
    rid = body.findtext(f"{{{JUKI}}}RequestId") if body is not None else None
    found = _SENT_AT.search(reply.body)
    if not rid or found is None:
        return reply
    first = call.state.setdefault("sent_at", {}).setdefault(rid, found.group(2))
    return Reply(reply.status, _SENT_AT.sub(lambda m: m.group(1) + first + m.group(3),
                                            reply.body, count=1), reply.content_type)


_GRID = ("J-GRID-03",)
ROUND35_FAULTS: list[tuple] = [
    ("extract-retry-keyed-with-as-of", "RQ-BEH-08", (JUKI_PROFILE,), _GRID),
    ("delta-extract-as-of-dropped", "RQ-BEH-03", (JUKI_PROFILE,), _GRID),
    ("empty-extract-id-forgotten", "RQ-BEH-03", (JUKI_PROFILE,), _GRID),
    ("extract-retry-sent-at-of-first", "RQ-MSG-10", (JUKI_PROFILE,), ("INV-MSG-10",)),
    ("request-ids-kept-briefly", "RQ-BEH-08", (JUKI_PROFILE,), ("P-LATE-01",)),
]
ROUND35_NAMES = {entry[0] for entry in ROUND35_FAULTS}
ROUND35_WIRE = {
    "extract-retry-keyed-with-as-of": _rewriting(_keyed_with_as_of),
    "delta-extract-as-of-dropped": _rewriting(_delta_as_of_dropped),
    "empty-extract-id-forgotten": {"on_request": empty_extract_forgotten,
                                   "on_reply": _remember_empty},
    "extract-retry-sent-at-of-first": {"on_reply": sent_at_of_first},
    "request-ids-kept-briefly": {"on_request": request_ids_kept_briefly, "on_reply": _rehashed},
}


# mode → (the requirement it breaks, the subscriber cases it must fail): test_conformance_round35
ROUND35_MODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "equal-sequence-later-kept": ("RQ-SUB-04", ("S-MULTI-05",)),
    "changes-sorted-by-date": ("RQ-SUB-04", ("S-MULTI-05",)),
    "watermark-of-first-change-at-start": ("RQ-SUB-05", ("S-MULTI-05",)),
    "seen-ahead-of-clock-dropped-at-start": ("RQ-SUB-05", ("S-MULTI-05", "S-LATE-02")),
}


def _number(change: etree._Element) -> str:
    return change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") or ""


def _sequence(change: etree._Element) -> int:
    return int(change.findtext(f"{{{JUKI}}}Sequence") or 0)


_NEVER = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def _instant(sent_at: str) -> dt.datetime | None:
    """SentAt as an instant, or None for a lexical form ``fromisoformat`` does not read (the
    header's check accepted it: this defect is not about forms)."""
    try:
        instant = dt.datetime.fromisoformat(sent_at.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return instant if instant.tzinfo is not None else None


class Round35Subscriber(CrashableSubscriber):
    """The crashable subscriber with one of ROUND35_MODES."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.first_applied: dict[str, int] = {}  # 宛名番号 -> first change its last notice applied
        self.notice_firsts: set[str] = set()  # 宛名番号 the notice in hand applied a change to
        self.ahead: set[str] = set()  # MessageIds whose SentAt was ahead of the clock

    def handler(self, header, notice):
        changes = notice.findall(f"{{{JUKI}}}Change")
        if self.mode == "equal-sequence-later-kept":  # collapsed by (宛名番号, 異動連番)
            last = {(_number(c), _sequence(c)): c for c in changes}
            for c in changes:
                if last[(_number(c), _sequence(c))] is not c:
                    notice.remove(c)
        if self.mode == "changes-sorted-by-date":
            for c in sorted(changes, key=lambda c: c.findtext(f"{{{JUKI}}}Event/{{{CMN}}}"
                                                              "OccurredOn") or ""):
                notice.append(c)  # moved to the end in date order
        if self.mode == "seen-ahead-of-clock-dropped-at-start" and \
                (_instant(header.sent_at) or _NEVER) > dt.datetime.now(dt.timezone.utc):
            self.ahead.add(header.message_id)
        with self.lock:
            self.notice_firsts = set()
        return super().handler(header, notice)

    def _apply(self, change, checked: bool = False) -> None:
        number = _number(change)
        before = (self.residents.get(number) or {}).get("last", 0)
        super()._apply(change, checked)
        after = (self.residents.get(number) or {}).get("last", 0)
        if self.mode == "watermark-of-first-change-at-start" and after != before and \
                number not in self.notice_firsts:
            self.notice_firsts.add(number)
            self.first_applied[number] = after

    def crash(self, values=None) -> int:
        code = super().crash(values)
        with self.lock:
            if self.mode == "watermark-of-first-change-at-start":
                for number, first in self.first_applied.items():
                    if number in self.residents:
                        self.residents[number]["last"] = first
            if self.mode == "seen-ahead-of-clock-dropped-at-start":
                self.seen -= self.ahead
        return code
