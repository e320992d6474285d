"""Faulty subscribers for round 16b's classes (docs/conformance-testing.md, "Round 16b"): the SDK-built
subscriber (subscriber.py) — or its crashable form (faulty_durability.py) — with ONE defect,
written from the class, not from the sixteenth batch's variants:

- identifiers as opaque text (S-IDENT-01, P-IDENT-01 on the notice): seen MessageIds kept in a
  CHAR(35) column, or read back through ``uuid.UUID(…, version=4)``;
- ordering by 異動連番 only (S-GRID-01's SentAt points): a change skipped when its notice was sent
  before the one last applied to the resident;
- check digits of every residue (S-GRID-01's check-digit points): a 個人番号 check-digit table
  without 9;
- state across restarts (S-DUR-08): the stale check's watermark restored from the last change
  received, seen MessageIds journalled to a file that start-up rotates.
"""

from __future__ import annotations

import uuid

from adapters.sdk.provider import ProviderError
from bus.core.receipt import receipt_element

from .faulty_also import with_restart_cases_also_failed
from .faulty_durability import CrashableSubscriber
from .subscriber import CMN, JUKI, TestSubscriber, instant

# mode → (the requirement it breaks, the subscriber cases it must fail)
ROUND16B_MODES = {
    # the inbox's MessageId column is CHAR(35): a MessageId differing from an earlier one only in
    # its last hex digit is taken for a redelivery (receipted duplicate, nothing applied)
    # (S-ONCE-06 sends two MessageIds alike but for the last digit too)
    "seen-ids-char35": ("RQ-SUB-02", ("S-IDENT-01", "P-IDENT-01/juki.ResidentChangeNotice",
                                      "S-ONCE-06")),
    # seen MessageIds kept as uuid.UUID(text, version=4), which rewrites the version digit
    "seen-ids-as-uuid4": ("RQ-SUB-02", ("S-IDENT-01", "P-IDENT-01/juki.ResidentChangeNotice")),
    # last writer wins by timestamp: a change whose notice was sent before the one last applied
    # to the resident is skipped (receipted applied)
    "changes-ordered-by-sent-at": ("RQ-SUB-03", ("S-GRID-01",)),
    # after the SDK's checks, the 個人番号's check digit looked up in a table of the digits the
    # vendor's data held (0–8): a valid 個人番号 of check digit 9 refused
    # (round 23c: S-IDCHG-01's 個人番号 have every check digit; round 37b: S-EDGE-01's too)
    "mynumber-digit-table": ("RQ-MSG-02", ("S-GRID-01", "S-IDCHG-01", "S-EDGE-01")),
}


def _key(mode: str | None, message_id: str) -> str:
    if mode == "seen-ids-char35":
        return message_id[:35]
    if mode == "seen-ids-as-uuid4":
        return str(uuid.UUID(message_id, version=4))
    return message_id


class Round16bSubscriber(TestSubscriber):
    """The SDK-built subscriber with one defect of round 16b's classes."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.keys: set[str] = set()  # seen MessageIds as the defect keeps them
        self.sent_at: dict[str, object] = {}  # changes-ordered-by-sent-at: per resident

    def handler(self, header, notice):
        if self.mode == "mynumber-digit-table" and any(
                (el.text or "").strip().endswith("9")
                for el in notice.iter(f"{{{CMN}}}IndividualNumber")):
            raise ProviderError("VENDOR-CHECK-DIGIT", "個人番号 check digit not in the table")
        if self.mode in ("seen-ids-char35", "seen-ids-as-uuid4"):
            key = _key(self.mode, header.message_id)
            with self.lock:
                merged = key in self.keys and header.message_id not in self.seen
                self.keys.add(key)
            if merged:
                return receipt_element(header.message_id, "duplicate")
        if self.mode == "changes-ordered-by-sent-at":
            self._drop_earlier(header, notice)
        return super().handler(header, notice)

    def _drop_earlier(self, header, notice) -> None:
        """Changes of a resident whose last applied notice was sent later are removed."""
        sent = instant(header.sent_at)
        with self.lock:
            if header.message_id in self.seen:
                return
            for change in notice.findall(f"{{{JUKI}}}Change"):
                number = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
                last = self.sent_at.get(number)
                if last is not None and sent < last:  # type: ignore[operator]
                    notice.remove(change)
                else:
                    self.sent_at[number] = sent


# --- restarts (S-DUR-08) ---------------------------------------------------------------------------

ROUND16B_CRASH_MODES = with_restart_cases_also_failed({
    # the stale check's watermark is kept in memory and restored at start-up from the applied
    # log's last row per resident, which records every change received, stale ones too
    # (round 21: S-RST-01's kept-out change, then one between it and the watermark after a restart)
    "watermark-from-last-received": ("RQ-SUB-05", ("S-DUR-08", "S-RST-01")),
    # seen MessageIds appended to a journal that start-up rotates (journal → journal.1, the older
    # .1 dropped) before reading journal.1 back: known after one restart, lost after the second
    # (round 21: S-RST-01 redelivers notices after its second restart)
    "seen-ids-journal-rotated": ("RQ-SUB-05", ("S-DUR-08", "S-RST-01", "S-LATE-02")),
})


class Round16bCrashable(CrashableSubscriber):
    """The crashable subscriber with one of ROUND16B_CRASH_MODES."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.received: dict[str, int] = {}  # the last 異動連番 received per resident
        self.journal: set[str] = set()  # seen-ids-journal-rotated: since start-up
        self.journal1: set[str] = set()

    def handler(self, header, notice):
        with self.lock:
            fresh = header.message_id not in self.seen
            if fresh:
                self.journal.add(header.message_id)
                for change in notice.findall(f"{{{JUKI}}}Change"):
                    number = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
                    self.received[number] = int(change.findtext(f"{{{JUKI}}}Sequence"))
        return super().handler(header, notice)

    def crash(self, values=None) -> int:
        code = super().crash(values)
        with self.lock:
            if self.mode == "watermark-from-last-received":
                for number, state in self.residents.items():
                    state["last"] = self.received.get(number, state["last"])
            if self.mode == "seen-ids-journal-rotated":
                self.journal1, self.journal = self.journal, set()
                self.seen = set(self.journal1)
        return code
