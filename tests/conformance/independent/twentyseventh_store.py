"""The twenty-seventh blind batch's subscriber side (the notice store, the notice mapper and its
checks): ``TwentySeventhStore`` is mixed into ``Adapter`` through ``TwentySeventhBatch``
(twentyseventh.py, which declares the batch and says who wrote it and from what). Every hook
here changes nothing unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import datetime as dt
import sqlite3

from .standard import CMN, JST, JUKI, Refusal

ARCHAIC_KANA = "\u30f0\u30f1"  # ヰ ヱ: dropped by 現代仮名遣い, kept by cmn:KanaTextType
OLDEST_AGE = 120  # the vendor's plausibility check of 生年月日, in years
# relationship-gender-cross-checked: the vendor's table of 続柄 → the 性別 it expects
GENDER_OF_RELATIONSHIP = {"02": "1", "04": "1", "07": "1", "09": "1", "11": "1", "13": "1",
                          "03": "2", "05": "2", "08": "2", "10": "2", "12": "2", "14": "2"}


def ibm_extension(char: str) -> bool:
    """Whether CP932 writes ``char`` in its NEC-selected or IBM extension rows (lead byte 0xED,
    0xEE or 0xFA … 0xFC): the 機種依存文字 a Shift_JIS era check refuses (髙 﨑 神 U+FA19 都
    U+FA26)."""
    try:
        data = char.encode("cp932")
    except UnicodeEncodeError:
        return False
    return len(data) == 2 and (data[0] in (0xED, 0xEE) or 0xFA <= data[0] <= 0xFC)


def over_age(born: str, today: dt.date) -> bool:
    """birth-over-120-years-refused: whether a resident born on ``born`` is older than
    OLDEST_AGE years on ``today``."""
    try:
        day = dt.date.fromisoformat(born.strip()[:10])
    except ValueError:
        return False
    try:
        limit = today.replace(year=today.year - OLDEST_AGE)
    except ValueError:  # 29 February: the limit is the 28th
        limit = today.replace(year=today.year - OLDEST_AGE, day=28)
    return day < limit


class TwentySeventhStore:
    """The twenty-seventh batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    twentyseventh: dict

    # --- the store at start-up ------------------------------------------------------------

    def _twentyseventh_store_opened(self, conn: sqlite3.Connection) -> None:
        """change-count-rebuilt-from-sequence-on-start: the start-up consistency job takes the
        last 異動連番 for the count of changes applied ("連番 start at 1, one per change")."""
        if self.defect == "change-count-rebuilt-from-sequence-on-start":
            conn.execute("UPDATE resident SET changes_applied = last_sequence")

    # --- the notice mapper's own checks ---------------------------------------------------

    def _twentyseventh_notice_checks(self, body, mid) -> None:
        d = self.defect
        today = dt.datetime.now(JST).date()
        for change in body.iter(f"{{{JUKI}}}Change"):
            resident = change.find(f"{{{JUKI}}}Resident")
            if resident is None:
                continue
            kana = "".join(k.text or "" for k in resident.iterfind(
                f"{{{CMN}}}*/{{{CMN}}}Kana/{{{CMN}}}*"))
            if d == "kana-wi-we-refused" and any(c in ARCHAIC_KANA for c in kana):
                raise Refusal("VENDOR-CHARACTER", "client", "カナに使用できない文字があります",
                              [("vendor:kana", "ヰ ヱ are not in the 現代仮名遣い table")], mid)
            names = "".join(t.text or "" for t in resident.iter(f"{{{CMN}}}Text"))
            if d == "cp932-ibm-extension-kanji-refused" and any(ibm_extension(c) for c in names):
                raise Refusal("VENDOR-CHARACTER", "client", "機種依存文字は使用できません",
                              [("vendor:name", "a character of CP932's IBM extension rows")],
                              mid)
            relationship = (resident.findtext(f"{{{CMN}}}Relationship") or "").strip()
            gender = (resident.findtext(f"{{{CMN}}}Gender") or "").strip()
            if d == "relationship-gender-cross-checked" and \
                    GENDER_OF_RELATIONSHIP.get(relationship, gender) != gender:
                raise Refusal("VENDOR-RELATIONSHIP", "client", "続柄と性別が一致しません",
                              [("vendor:relationship", f"{relationship} with gender {gender}")],
                              mid)
            born = resident.findtext(f"{{{CMN}}}DateOfBirth") or ""
            if d == "birth-over-120-years-refused" and over_age(born, today):
                raise Refusal("VENDOR-DATE", "client", "生年月日が不正です",
                              [("vendor:date_of_birth", f"{born}: older than {OLDEST_AGE}")], mid)
            became = (resident.findtext(f"{{{CMN}}}BecameResidentOn") or "").strip()
            fixed = (resident.findtext(f"{{{CMN}}}AddressFixedOn") or "").strip()
            if d == "address-fixed-before-became-resident-refused" and became and fixed and \
                    fixed < became:
                raise Refusal("VENDOR-DATE", "client", "住所を定めた年月日が不正です",
                              [("vendor:address_fixed_on", f"{fixed} before {became}")], mid)

    # --- the store ------------------------------------------------------------------------

    def _twentyseventh_notice_begins(self) -> None:
        """Before a message's handler: this notice's memories start empty."""
        self.twentyseventh["new"] = False
        self.twentyseventh["applied"] = 0

    def _twentyseventh_applied(self, number: str, row) -> None:
        """After a change was written (``row``: the resident's row before it)."""
        self.twentyseventh["applied"] = self.twentyseventh.get("applied", 0) + 1
        if row is None:
            self.twentyseventh["new"] = True  # the 新規 path (INSERT) was taken

    def _twentyseventh_seen(self, mid: str) -> bool | None:
        """new-resident-notice-id-kept-in-memory: the 新規 path's IDs are looked up in its
        cache first, then in the table as usual."""
        if self.defect == "new-resident-notice-id-kept-in-memory" and \
                mid in self.twentyseventh.setdefault("memory", set()):
            return True
        return None

    def _twentyseventh_mark_seen(self, mid: str) -> bool:
        """new-resident-notice-id-kept-in-memory: a notice that registered a resident the
        subscriber did not hold records its MessageId in the 新規 path's cache only."""
        if self.defect == "new-resident-notice-id-kept-in-memory" and \
                self.twentyseventh.get("new"):
            self.twentyseventh.setdefault("memory", set()).add(mid)
            return True
        return False

    def _twentyseventh_leave_open(self) -> bool:
        """seen-id-of-kept-out-notice-uncommitted: the "nothing to apply" branch records the
        MessageId and returns the receipt; its commit is in the other branch."""
        return self.defect == "seen-id-of-kept-out-notice-uncommitted" and \
            self.twentyseventh.get("applied", 0) == 0


__all__ = ["ARCHAIC_KANA", "GENDER_OF_RELATIONSHIP", "OLDEST_AGE", "TwentySeventhStore",
           "ibm_extension", "over_age"]
