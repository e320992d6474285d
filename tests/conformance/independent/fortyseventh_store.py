"""The forty-seventh blind batch's subscriber side (the SOAP 1.2 endpoint's mapper and its seen
MessageIds, the receiver check, the 縮退 check, the UPDATE path's string type, the duplicate report,
the 住基ネット照合 module, the 遡及 module and the 住所辞書 matcher): ``FortyseventhStore`` is mixed
into ``Adapter`` through ``FortyseventhBatch`` (fortyseventh.py, which declares the batch and says
who wrote it and from what). Every hook here changes nothing unless ``self.defect`` names one of
the batch's subscriber defects."""

from __future__ import annotations

import sqlite3
import threading
import time
import unicodedata

from .standard import CMN, JUKI, SOAP12, Refusal
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt

# the seconds the slow paths take: past the hub's 10 s ([[providers]] timeout)
LATE = 12.0
NOTICE_SYSTEM = "hub"  # docs/notices.md: a notice's Receiver SystemId
REQUEST = threading.local()  # one request's own state (its thread's): its SOAP version, …


def current_soap() -> str | None:
    """The SOAP version of the message this thread is answering (set in Adapter._serve)."""
    return getattr(REQUEST, "soap", None)


def _resident(change):
    return change.find(f"{{{JUKI}}}Resident")


def without_selectors(text: str) -> str:
    """The text with its variation selectors (IVS U+E0100–U+E01EF, SVS U+FE00–U+FE0F) dropped."""
    return "".join(c for c in text if not (0xE0100 <= ord(c) <= 0xE01EF
                                           or 0xFE00 <= ord(c) <= 0xFE0F))


def utf16_units(text: str) -> int:
    """The length of ``text`` in UTF-16 code units (a character beyond the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def shrink_mismatches(body) -> list[tuple[str, str]]:
    """shrunk-name-length-compared-in-utf16-units: the (Text, Original) pairs of ``body`` whose
    lengths differ in UTF-16 units once their selectors are dropped (the vendor's check that a
    縮退 replaces character for character)."""
    out = []
    for name in body.iter(f"{{{CMN}}}Name", f"{{{CMN}}}FormerSurname", f"{{{CMN}}}HeadName"):
        text, original = name.findtext(f"{{{CMN}}}Text"), name.findtext(f"{{{CMN}}}Original")
        if text is None or original is None:
            continue
        if utf16_units(without_selectors(text)) != utf16_units(without_selectors(original)):
            out.append((text, original))
    return out


def with_resident_code(change) -> bool:
    """resident-code-changes-applied-after-receipt: a change carrying a 住民票コード."""
    return _resident(change).find(f"{{{CMN}}}ResidentCode") is not None


def with_recorded_on(change) -> bool:
    """recorded-on-changes-applied-after-receipt: a change whose event carries a 記録年月日."""
    return change.find(f"{{{JUKI}}}Event/{{{CMN}}}RecordedOn") is not None


def with_chome(change) -> bool:
    """chome-changes-applied-after-receipt: a change whose address carries a 丁目."""
    return _resident(change).find(f"{{{CMN}}}Address/{{{CMN}}}Chome") is not None


_IN_BACKGROUND = {"resident-code-changes-applied-after-receipt": with_resident_code,
                  "recorded-on-changes-applied-after-receipt": with_recorded_on,
                  "chome-changes-applied-after-receipt": with_chome}


class FortyseventhStore:
    """The forty-seventh batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    local_gov_code: str
    business_unit: str
    conn: sqlite3.Connection
    lock: threading.Lock
    memory_seen: set

    def _fortyseventh_soap12(self, name: str) -> bool:
        return self.defect == name and self.role == "subscriber" and current_soap() == SOAP12

    # --- the receiver --------------------------------------------------------------------------

    def _fortyseventh_mine_receiver(self, receiver: list, mine: bool) -> bool:
        """notice-addressed-to-own-unit-accepted: the vendor's receiver check also takes its
        own 業務ユニット for the notice service's."""
        if self.defect == "notice-addressed-to-own-unit-accepted" and \
                self.role == "subscriber" and \
                receiver == [self.local_gov_code, self.business_unit, NOTICE_SYSTEM]:
            return True
        return mine

    # --- a notice's names checked by the vendor's mapper ---------------------------------------

    def _fortyseventh_notice_checks(self, body, mid) -> None:
        if self.defect == "shrunk-name-length-compared-in-utf16-units" and \
                (found := shrink_mismatches(body)):
            raise Refusal("VENDOR-NAME", "client", "a 縮退 must replace character for character",
                          [("vendor:shrink", f"{text} / {original}: lengths differ")
                           for text, original in found], mid)

    # --- seen MessageIds of the SOAP 1.2 endpoint ---------------------------------------------

    def _fortyseventh_seen(self, mid: str) -> bool | None:
        if self._fortyseventh_soap12("seen-ids-of-soap12-notices-in-memory"):
            return mid in self.memory_seen  # the 1.2 endpoint's own set, never stored
        return None

    def _fortyseventh_mark_seen(self, mid: str) -> bool:
        if self._fortyseventh_soap12("seen-ids-of-soap12-notices-in-memory"):
            self.memory_seen.add(mid)
            return True
        return False

    # --- a change applied ----------------------------------------------------------------------

    def _fortyseventh_last(self, last: int) -> int:
        """soap12-notices-stale-check-skipped: the SOAP 1.2 mapper writes without reading the
        last 異動連番."""
        if self._fortyseventh_soap12("soap12-notices-stale-check-skipped"):
            return 0
        return last

    def _fortyseventh_name(self, name: str, row) -> str:
        """held-resident-updates-nfc: the UPDATE path's string type normalises to NFC."""
        if self.defect == "held-resident-updates-nfc" and row is not None:
            return unicodedata.normalize("NFC", name)
        return name

    def _fortyseventh_in_background(self, header, mid, changes) -> bool:
        wants = _IN_BACKGROUND.get(self.defect or "")
        if wants is not None and any(wants(c) for c in changes):
            apply_after_receipt(self, mid, changes)  # the module's job, after the receipt
            return True
        return False

    def _fortyseventh_notice_done(self, duplicate: bool) -> None:
        if self.defect == "duplicate-notice-answered-late" and duplicate:
            time.sleep(LATE)  # the duplicate report's write to the audit share


__all__ = ["ASYNC_DELAY", "FortyseventhStore", "LATE", "NOTICE_SYSTEM", "REQUEST",
           "current_soap", "shrink_mismatches", "utf16_units", "with_chome",
           "with_recorded_on", "with_resident_code", "without_selectors"]
