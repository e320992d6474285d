"""Faulty subscribers for the notice grid (S-GRID-01): each the SDK-built test subscriber with one
defect on a boundary no example case sends — only a grid point shows it. Written from the
classes of issue 11 (one message shape, inputs never sent, characters, time, durability) and the
documents' rules for a receiver, not from any blind variant.

``GRID_MODES``: mode → (the requirement it breaks, the cases it must fail). ``build`` serves one
and returns its URL and its ``--observe`` command.
"""

from __future__ import annotations

import datetime as dt
import time
import unicodedata

from lxml import etree
from twisted.web.resource import Resource

from adapters.sdk.juki_notice import DELETED, MODIFIED, RECORDED, reason_group
from adapters.sdk.provider import ProviderApp, ProviderError
from adapters.sdk.testing import serve
from bus.core.receipt import receipt_element
from conformance.commands import CallableCommand

from .references import PARTIES, References
from .subscriber import CMN, JUKI, SERVICE, TestSubscriber, instant

# (round 16: S-CAL-01 and S-ONCE-09, judged by the same model, send 消除 of every code, 改製
# and 再製 among them, and redeliver over the other SOAP version: three fail them too)
GRID_MODES = {
    # the seen-MessageId store is a cache whose entries expire 2 s after they were written
    # (round 43a: S-LATE-02 delivers notices again at the end of the run, no longer S-GRID-01
    # 2.5 s after one receipt)
    "seen-ids-expire-2s": ("RQ-SUB-02", ("S-LATE-02",)),
    # the seen-MessageId store keeps the last 500 received (a bounded table; round 43a): a run
    # sends more than a thousand notices, S-LATE-02 delivers its first ones again at its end
    "seen-ids-last-500": ("RQ-SUB-02", ("S-LATE-02",)),
    # SOAP 1.1 and SOAP 1.2 are served by two endpoints, each with its own seen-MessageIds
    # (round 23c: S-RETRY-01's last redelivery is over SOAP 1.2)
    "seen-ids-per-soap-version": ("RQ-SUB-02", ("S-GRID-01", "S-ONCE-09", "S-RETRY-01")),
    # 異動連番 kept in a signed 32-bit column: 2147483648 wraps to a negative number
    "sequence-int32": ("RQ-SUB-03", ("S-GRID-01",)),
    # a notice is applied all or nothing: one kept-out change keeps out the other residents' too
    # (round 25: S-MULTI-04's later notice of 42 residents, most of them kept out)
    "notice-stale-as-a-whole": ("RQ-SUB-04", ("S-GRID-01", "S-MULTI-04")),
    # a MessageId is recorded only when a change of its notice was applied
    "kept-out-id-not-recorded": ("RQ-SUB-02", ("S-GRID-01", "S-LATE-02")),
    # a 異動連番 that skips one is kept out (the subscriber waits for the missing one forever)
    # (round 25: S-MULTI-04's 10, 20, 30 and its later 35 are gaps)
    "gap-kept-out": ("RQ-SUB-03", ("S-GRID-01", "S-CAL-02", "S-MULTI-04")),
    # half-width katakana refused in the address (its 方書 column is 全角 only)
    "half-width-address-refused": ("RQ-MSG-06", ("S-GRID-01", "S-CHR-15")),
    # refuses a notice whose SentAt is more than a day old (a retention window for freshness)
    # (P-LEX-01: its notice's SentAt, 24:00:00 of the day before yesterday, is a day old or more)
    "day-old-notice-refused": ("RQ-SUB-01", ("S-GRID-01", "P-LEX-01/juki.ResidentChangeNotice", "S-CAL-02")),
    # its mapping knows no 改製, 再製 or 取消し (the rare 異動事由): refused as unsupported
    # (round 23c: S-IDCHG-01 sends every 異動事由)
    "rare-reasons-refused": ("RQ-SUB-01", ("S-GRID-01", "S-CAL-01", "S-ONCE-09", "S-IDCHG-01")),
    # a Latin name is stored "properly" capitalised (ROSSI VIOLA → Rossi Viola; S-CHR-09's
    # O'BRIEN too)
    "latin-names-title-cased": ("RQ-MSG-06", ("S-GRID-01", "S-CHR-09")),
    # --- the notice semantics settled in docs/notices.md (issue 11, round 7)
    # a 修正 is an UPDATE of a record: one of a resident not held waits for a 記載 that never comes
    # (round 25: S-MULTI-04's notices whose 転入 comes after its 修正 in document order; round
    # 26: S-FMR-01's residents first held through a C08 or C09)
    "correction-waits-for-record": ("RQ-SUB-04", ("S-GRID-01", "S-MULTI-04", "S-FMR-01")),
    # round 43b: a 記載 other than 転入 (A01) of a resident not held waits for the record too — a
    # 職権記載 (A04), a 出生 taken for a correction of a row that is not there (S-CAL-01 and
    # S-CHR-14 send a resident's first change as a 出生 or another 記載 too)
    "registration-waits-for-a01": ("RQ-SUB-04", ("S-GRID-01", "S-CAL-01", "S-CHR-14")),
    # each resident's last 異動連番 is read once, before the notice: a change is compared with
    # that snapshot, not with one applied earlier in the same notice (taken in document order)
    # (round 25: S-MULTI-04's notices in descending and mixed order)
    "notice-last-read-once": ("RQ-SUB-03", ("S-GRID-01", "S-MULTI-04")),
    # 異動連番 in a DECIMAL(17) column: an 18-digit one (within the XSD's domain) is refused
    "sequence-17-digits": ("RQ-SUB-01", ("S-GRID-01",)),
    # a 消除 marks the record removed on the day it was processed, not on its 異動年月日
    # (S-EDGE-03 observes its 消除's removed_on too)
    # (round 23c: S-IDCHG-01's 消除 residents)
    "removal-dated-today": ("RQ-SUB-04", ("S-GRID-01", "S-EDGE-03", "S-CAL-01", "S-ONCE-09",
                                          "S-CAL-02", "S-IDCHG-01")),
    # a 修正 rewrites the whole record, the removal mark with it
    "correction-clears-removal": ("RQ-SUB-04", ("S-GRID-01",)),
}

RARE_REASONS = {"A05", "A06", "A07", "B05", "B06", "B07"}  # 改製, 再製, 取消し of the code list


def _half_width_kana(text: str) -> bool:
    return any(unicodedata.east_asian_width(c) == "H" and "KATAKANA" in unicodedata.name(c, "")
               for c in text)


SEEN_WINDOW = 500  # seen-ids-last-500: MessageIds kept


class GridFaultySubscriber(TestSubscriber):
    """TestSubscriber (correct) plus one of GRID_MODES."""

    __test__ = False

    def __init__(self, mode: str):
        super().__init__()
        self.grid_mode = mode
        self.written: dict[str, float] = {}  # MessageId -> when it entered the seen store

    def handler(self, header, notice: etree._Element) -> etree._Element:
        mode, message_id = self.grid_mode, header.message_id
        if mode == "half-width-address-refused" and any(
                _half_width_kana(el.text or "") for el in notice.iter(f"{{{CMN}}}Address")
                for el in el.iter()):
            raise ProviderError("VENDOR-ADDRESS", "方書 accepts full-width characters only")
        if mode == "day-old-notice-refused" and dt.datetime.now(dt.timezone.utc) - \
                instant(header.sent_at) > dt.timedelta(days=1):
            raise ProviderError("VENDOR-STALE", "the notice is older than a day")
        if mode == "sequence-17-digits" and any(
                int(el.text) >= 10**17 for el in notice.iter(f"{{{JUKI}}}Sequence")):
            raise ProviderError("VENDOR-SEQUENCE", "異動連番 exceeds NUMBER(17)")
        self.snapshot: dict[str, int] = {}  # notice-last-read-once: this notice's
        if mode == "rare-reasons-refused" and any(
                el.text in RARE_REASONS for el in notice.iter(f"{{{CMN}}}Reason")):
            raise ProviderError("VENDOR-UNSUPPORTED", "異動事由 not supported")
        with self.lock:
            if mode == "seen-ids-expire-2s":
                now = time.monotonic()
                for gone in [m for m, t in self.written.items() if now - t > 2.0]:
                    self.seen.discard(gone)
                    del self.written[gone]
                self.written.setdefault(message_id, now)
            if mode == "seen-ids-last-500":
                self.written.setdefault(message_id, 0.0)  # insertion order: the oldest first
                while len(self.written) > SEEN_WINDOW:
                    gone = next(iter(self.written))
                    self.seen.discard(gone)
                    del self.written[gone]
            duplicate = message_id in self.seen
            before = sum(s["changes_applied"] for s in self.residents.values())
            if mode == "notice-stale-as-a-whole" and not duplicate and any(
                    int(c.findtext(f"{{{JUKI}}}Sequence")) <= self.residents.get(
                        c.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber"),
                        {"last": 0})["last"] for c in notice.iter(f"{{{JUKI}}}Change")):
                self.seen.add(message_id)
                return receipt_element(message_id, "applied")
        receipt = super().handler(header, notice)
        with self.lock:
            if mode == "kept-out-id-not-recorded" and not duplicate and \
                    sum(s["changes_applied"] for s in self.residents.values()) == before:
                self.seen.discard(message_id)
        return receipt

    def _apply(self, change: etree._Element) -> None:
        mode = self.grid_mode
        number = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
        sequence = int(change.findtext(f"{{{JUKI}}}Sequence"))
        last = self.residents.get(number, {"last": 0})["last"]
        if mode == "sequence-int32" and sequence >= 2**31 and sequence - 2**32 <= last:
            return  # wrapped to a negative number: older than anything
        if mode == "gap-kept-out" and last and sequence > last + 1:
            return
        group = reason_group(change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason"))
        if mode == "correction-waits-for-record" and group == MODIFIED and \
                number not in self.residents:
            return
        if mode == "registration-waits-for-a01" and group == RECORDED and \
                number not in self.residents and \
                change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") != "A01":
            return
        if mode == "notice-last-read-once":
            state = self.residents.setdefault(number, {"last": 0, "changes_applied": 0})
            state["last"] = self.snapshot.setdefault(number, state["last"])
        if mode == "latin-names-title-cased":
            name = change.find(f"{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text")
            if name is not None and name.text and name.text.isascii():
                name.text = name.text.title()
        super()._apply(change)
        state = self.residents[number]
        if state["last"] != sequence:
            return  # kept out
        if mode == "removal-dated-today" and group == DELETED:
            state["removed_on"] = dt.date.today().isoformat()
        if mode == "correction-clears-removal" and group == MODIFIED:
            state["removed_on"] = None


class _ByVersion(Resource):
    """One URL, two endpoints: SOAP 1.2 (application/soap+xml) to one, SOAP 1.1 to the other."""

    isLeaf = True

    def __init__(self, v11: Resource, v12: Resource):
        super().__init__()
        self.v11, self.v12 = v11, v12

    def render(self, request):
        ctype = request.getHeader(b"content-type") or b""
        return (self.v12 if b"soap+xml" in ctype else self.v11).render(request)


def build(refs: References, mode: str, profile: str) -> tuple[str, CallableCommand]:
    """Serve the faulty subscriber ``mode`` as the product of ``profile``."""
    sub = GridFaultySubscriber(mode)
    observe = CallableCommand(sub.observe, f"faulty subscriber {mode}")
    if mode != "seen-ids-per-soap-version":
        return refs.app(profile, {SERVICE: sub.handler}), observe
    other = TestSubscriber()  # the SOAP 1.2 endpoint: the same records, its own seen-IDs
    other.residents, other.lock = sub.residents, sub.lock
    apps = [ProviderApp(PARTIES[profile], {SERVICE: s.handler}).resource() for s in (sub, other)]
    root = Resource()
    root.putChild(b"soap", _ByVersion(*apps))
    server = serve(root)
    refs._servers.append(server)
    return f"{server.url}/soap", observe
