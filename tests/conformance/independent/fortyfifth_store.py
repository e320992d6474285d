"""The forty-fifth blind batch's subscriber side (the inbox's record of each notice's binding, the
除票 module, the 扶養 worker, the start script's duplicate high-water mark, the mapper's 旧氏 column
and its reading dictionary, the 記載 handler's 住民となった日): ``FortyfifthStore`` is mixed into
``Adapter`` through ``FortyfifthBatch`` (fortyfifth.py, which declares the batch and says who wrote
it and from what). Every hook here changes nothing unless ``self.defect`` names one of the batch's
subscriber defects."""

from __future__ import annotations

import sqlite3
import threading

from .standard import CMN, JUKI, PFR, Refusal
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt

HEAD = "01"  # codelists relationship: 01 世帯主
RESIDENT = "1"  # codelists resident_status: 1 住民
RECEIPT = f"{{{PFR}}}NoticeReceipt"
# duplicate-receipt-in-first-delivery-soap-version: the inbox's record of each notice's binding
_BINDINGS = "CREATE TABLE IF NOT EXISTS inbox_binding (message_id TEXT PRIMARY KEY, soap TEXT)"


def _resident(change):
    return change.find(f"{{{JUKI}}}Resident")


def _reason(change) -> str:
    return (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()


def correction_of_removed(change) -> bool:
    """removed-resident-corrections-applied-after-receipt: a 修正 (C..) whose resident's 住民状態
    is not 1 (住民) — a 転出者's, a 死亡者's 除票 corrected."""
    status = (_resident(change).findtext(f"{{{CMN}}}ResidentStatus") or "").strip()
    return _reason(change).startswith("C") and status != RESIDENT


def household_member(change) -> bool:
    """household-member-changes-applied-after-receipt: a change of a 世帯員 (続柄 not 01)."""
    return (_resident(change).findtext(f"{{{CMN}}}Relationship") or "").strip() != HEAD


def registration_without_became_resident_on(change) -> bool:
    """registration-without-became-resident-on-refused: a 記載 (A..) whose resident carries no
    cmn:BecameResidentOn."""
    return _reason(change).startswith("A") and \
        _resident(change).find(f"{{{CMN}}}BecameResidentOn") is None


def outside_cp932(text: str | None) -> bool:
    """former-surname-non-cp932-internal: text the 旧氏 column's strict CP932 conversion cannot
    hold as it is — a character CP932 has no code for (an IVS selector, 𠮷), or one it only
    maps to another character (〜 U+301C read back as ～ U+FF5E, − U+2212 as － U+FF0D)."""
    try:
        return (text or "").encode("cp932").decode("cp932") != (text or "")
    except UnicodeEncodeError:
        return True


def beyond_bmp(text: str | None) -> bool:
    """kana-less-nonbmp-names-internal: a character the reading dictionary's UCS-2 keys cannot
    hold (𠮷, an IVS selector)."""
    return any(ord(c) > 0xFFFF for c in text or "")


def kana_less_beyond_bmp(change) -> bool:
    """kana-less-nonbmp-names-internal: a name without cmn:Kana holding a character beyond the
    BMP."""
    name = _resident(change).find(f"{{{CMN}}}Name")
    return name.find(f"{{{CMN}}}Kana") is None and beyond_bmp(name.findtext(f"{{{CMN}}}Text"))


def high_water_mark(conn: sqlite3.Connection) -> str | None:
    """seen-ids-restored-as-high-water-mark: the largest MessageId received (as text)."""
    return conn.execute("SELECT MAX(message_id) FROM seen").fetchone()[0]


class FortyfifthStore:
    """The forty-fifth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    fortyfifth: dict

    # --- the store at start-up ------------------------------------------------------------

    def _fortyfifth_store_opened(self, conn: sqlite3.Connection) -> None:
        if self.defect == "seen-ids-restored-as-high-water-mark":
            self.fortyfifth["high"] = high_water_mark(conn)  # the recovery's "last one read"
        if self.defect == "duplicate-receipt-in-first-delivery-soap-version":
            conn.execute(_BINDINGS)

    def _fortyfifth_seen(self, mid: str) -> bool | None:
        """seen-ids-restored-as-high-water-mark: every MessageId at or below the mark restored
        at start-up taken for one received."""
        high = self.fortyfifth.get("high")
        if self.defect == "seen-ids-restored-as-high-water-mark" and high and mid <= high:
            return True
        return None

    # --- a notice's changes checked by the vendor's mapper ----------------------------------

    def _fortyfifth_notice_checks(self, body, mid) -> None:
        changes = body.findall(f"{{{JUKI}}}Change")
        if self.defect == "registration-without-became-resident-on-refused" and \
                any(registration_without_became_resident_on(c) for c in changes):
            raise Refusal("VENDOR-DATE", "client", "住民となった年月日 is required",
                          [("vendor:became_resident_on", "a 記載 without 住民となった年月日")], mid)
        if self.defect == "former-surname-non-cp932-internal" and any(outside_cp932(
                _resident(c).findtext(f"{{{CMN}}}FormerSurname/{{{CMN}}}Text"))
                for c in changes):
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice could not be stored",
                          [("vendor:internal", "旧氏: character conversion failed")], mid)
        if self.defect == "kana-less-nonbmp-names-internal" and \
                any(kana_less_beyond_bmp(c) for c in changes):
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice could not be stored",
                          [("vendor:internal", "読み仮名: dictionary lookup failed")], mid)

    # --- notices applied after their receipt -------------------------------------------------

    def _fortyfifth_in_background(self, header, mid, changes) -> bool:
        if (self.defect == "removed-resident-corrections-applied-after-receipt" and
                any(correction_of_removed(c) for c in changes)) or \
                (self.defect == "household-member-changes-applied-after-receipt" and
                 any(household_member(c) for c in changes)):
            apply_after_receipt(self, mid, changes)  # the 除票 module's / the 扶養 worker's
            return True
        return False

    # --- the receipt's envelope -------------------------------------------------------------

    def _fortyfifth_receipt_soap(self, soap: str, response) -> str:
        """duplicate-receipt-in-first-delivery-soap-version: the binding of a notice's first
        delivery kept in the inbox; a duplicate receipt written by that binding's writer."""
        if self.defect != "duplicate-receipt-in-first-delivery-soap-version" or \
                response.tag != RECEIPT:
            return soap
        mid = response.findtext(f"{{{PFR}}}MessageId")
        with self.lock:
            if response.findtext(f"{{{PFR}}}Status") != "duplicate":
                self.conn.execute("INSERT OR IGNORE INTO inbox_binding VALUES (?, ?)",
                                  (mid, soap))
                return soap
            row = self.conn.execute("SELECT soap FROM inbox_binding WHERE message_id = ?",
                                    (mid,)).fetchone()
        return row[0] if row else soap


__all__ = ["ASYNC_DELAY", "FortyfifthStore", "HEAD", "RESIDENT", "beyond_bmp",
           "correction_of_removed", "high_water_mark", "household_member",
           "kana_less_beyond_bmp", "outside_cp932", "registration_without_became_resident_on"]
