"""The thirty-fourth blind batch's subscriber side (the notice store at start-up, its side tables,
the names it stores, the notices applied after their receipt): ``ThirtyfourthStore`` is mixed
into ``Adapter`` through ``ThirtyfourthBatch`` (thirtyfourth.py, which declares the batch and says
who wrote it and from what). Every hook here changes nothing unless ``self.defect`` names one of
the batch's subscriber defects."""

from __future__ import annotations

import sqlite3
import threading
import unicodedata

from .standard import CMN, JUKI, PFH, SOAP12
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt

_IVS = range(0xE0100, 0xE01F0)


def strip_ivs(text: str) -> str:
    """multi-change-notices-ivs-stripped: a name without its Moji_Joho IVS selectors."""
    return "".join(c for c in text if ord(c) not in _IVS)


def day_of(text: str | None) -> str:
    """An xs:date's day (yyyy-mm-dd), white space and any time zone left out."""
    return (text or "").strip(" \t\r\n")[:10]


class ThirtyfourthStore:
    """The thirty-fourth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    thirtyfourth: dict

    # --- the store at start-up ------------------------------------------------------------

    def _thirtyfourth_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect
        if d == "equal-sequence-later-occurred-on-applied":  # the 異動 key's second column
            conn.execute("CREATE TABLE IF NOT EXISTS thirtyfourth_occurred (number TEXT PRIMARY "
                         "KEY, occurred TEXT)")
        if d == "names-replaced-by-original-on-start":  # the 原字 table, synced at start-up
            conn.execute("CREATE TABLE IF NOT EXISTS thirtyfourth_original (number TEXT PRIMARY "
                         "KEY, name TEXT)")
            conn.execute("UPDATE resident SET name = (SELECT o.name FROM thirtyfourth_original o "
                         "WHERE o.number = resident.number) WHERE number IN (SELECT number FROM "
                         "thirtyfourth_original)")
        if d == "addressee-numbers-padded-to-ten-on-start":  # the CHAR(10) key migration
            conn.execute("UPDATE OR IGNORE resident SET number = substr('0000000000' || number, "
                         "-10) WHERE length(number) < 10")
        if d == "names-nfc-normalised-on-start":  # the search index's rebuild writes back
            rows = conn.execute("SELECT number, name FROM resident").fetchall()
            for number, name in rows:
                if isinstance(name, str) and unicodedata.normalize("NFC", name) != name:
                    conn.execute("UPDATE resident SET name = ? WHERE number = ?",
                                 (unicodedata.normalize("NFC", name), number))

    # --- the store ------------------------------------------------------------------------

    def _thirtyfourth_name(self, name: str) -> str:
        d = self.defect
        if not isinstance(name, str):
            return name
        if d == "soap12-notice-names-nfc" and self.thirtyfourth.get("soap") == SOAP12:
            return unicodedata.normalize("NFC", name)
        if d == "multi-change-notices-ivs-stripped" and self.thirtyfourth.get("several"):
            return strip_ivs(name)
        return name

    def _thirtyfourth_last(self, change, number: str, sequence: int, last: int) -> int:
        if self.defect != "equal-sequence-later-occurred-on-applied" or not last or \
                sequence != last:
            return last
        row = self.conn.execute("SELECT occurred FROM thirtyfourth_occurred WHERE number = ?",
                                (number,)).fetchone()
        occurred = day_of(change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn"))
        if row is not None and occurred > row[0]:  # "a corrected 異動, resent": applied
            return last - 1
        return last

    def _thirtyfourth_stale(self) -> None:
        self.thirtyfourth["kept"] = self.thirtyfourth.get("kept", 0) + 1

    def _thirtyfourth_applied(self, change, number: str) -> None:
        self.thirtyfourth["applied"] = self.thirtyfourth.get("applied", 0) + 1
        d = self.defect
        if d == "equal-sequence-later-occurred-on-applied":
            self.conn.execute("INSERT OR REPLACE INTO thirtyfourth_occurred VALUES (?, ?)",
                              (number, day_of(change.findtext(
                                  f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn"))))
        if d == "names-replaced-by-original-on-start":
            original = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Original")
            if original:
                self.conn.execute("INSERT OR REPLACE INTO thirtyfourth_original VALUES (?, ?)",
                                  (number, original))
            else:
                self.conn.execute("DELETE FROM thirtyfourth_original WHERE number = ?",
                                  (number,))

    # --- notices applied after their receipt ------------------------------------------------

    def _thirtyfourth_in_background(self, header, mid, changes) -> bool:
        """full-linkage-notices-applied-after-receipt: a notice sent as full goes to the
        vendor's 全件 bulk loader, which applies it after the receipt."""
        if self.defect != "full-linkage-notices-applied-after-receipt" or \
                (header.findtext(f"{{{PFH}}}LinkageKind") or "").strip() != "full":
            return False
        apply_after_receipt(self, mid, changes)
        return True


__all__ = ["ASYNC_DELAY", "ThirtyfourthStore", "day_of", "strip_ivs"]
