"""The thirtieth blind batch's subscriber side (the notice store, the inbox and the notice
mapper's own checks): ``ThirtiethStore`` is mixed into ``Adapter`` through ``ThirtiethBatch``
(thirtieth.py, which declares the batch and says who wrote it and from what). Every hook here
changes nothing unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import sqlite3
import threading
import time

from .standard import CMN, JUKI, PFH, Refusal

# stores-name-va-row-rewritten: the reading rule (ヷ ヸ ヹ ヺ written with ヴ) applied to names
VA_ROW = str.maketrans({"ヷ": "ヴァ", "ヸ": "ヴィ", "ヹ": "ヴェ", "ヺ": "ヴォ"})
# name-shime-refused-by-han-script-check: the CJK Symbols and Punctuation block's characters
# whose Unicode Script is Han (々 〇, the Hangzhou numerals, 〸 〹 〺 〻), and U+3000
_HAN_IN_SYMBOLS = {0x3000, 0x3005, 0x3007, *range(0x3021, 0x302A), *range(0x3038, 0x303C)}
ASYNC_DELAY = 0.5  # notice-with-relates-to-applied-after-receipt: the worker's poll interval

_TABLES = {
    "watermark-rebuilt-from-value-history-on-start":
        "CREATE TABLE IF NOT EXISTS value_history (number TEXT, sequence INTEGER);",
    "resident-lock-flag-left-by-kill":
        "CREATE TABLE IF NOT EXISTS resident_lock (number TEXT PRIMARY KEY);",
    "change-count-rebuilt-per-notice-on-start":
        "CREATE TABLE IF NOT EXISTS applied_log (number TEXT, message_id TEXT);",
}


def refused_by_han_script_check(text: str) -> bool:
    """name-shime-refused-by-han-script-check: a character of the CJK Symbols and Punctuation
    block (U+3000–U+303F) whose Script is not Han — 〆 among them."""
    return any(0x3000 <= ord(c) <= 0x303F and ord(c) not in _HAN_IN_SYMBOLS for c in text)


def bound_as_cp932(name: str) -> str:
    """name-update-bound-as-cp932: a name through a VARCHAR parameter in CP932."""
    return name.encode("cp932", "replace").decode("cp932")


class ThirtiethStore:
    """The thirtieth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    thirtieth: dict

    # --- the store at start-up ------------------------------------------------------------

    def _thirtieth_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect
        conn.executescript(_TABLES.get(d or "", ""))
        if d == "watermark-rebuilt-from-value-history-on-start":
            conn.execute("UPDATE resident SET last_sequence = (SELECT MAX(sequence) FROM "
                         "value_history h WHERE h.number = resident.number) "
                         "WHERE number IN (SELECT number FROM value_history)")
        if d == "change-count-rebuilt-per-notice-on-start":
            conn.execute("UPDATE resident SET changes_applied = (SELECT COUNT(DISTINCT "
                         "message_id) FROM applied_log a WHERE a.number = resident.number) "
                         "WHERE number IN (SELECT number FROM applied_log)")

    # --- a notice as it arrives: the mapper's own checks ----------------------------------

    def _thirtieth_notice_checks(self, body, mid) -> None:
        d = self.defect
        if d == "name-shime-refused-by-han-script-check":
            for resident in body.iter(f"{{{JUKI}}}Resident"):
                texts = "".join(t.text or "" for t in resident.iter(f"{{{CMN}}}Text"))
                if refused_by_han_script_check(texts):
                    raise Refusal("VENDOR-CHARACTER", "client", "氏名に使用できない文字があります",
                                  [("vendor:name", "a character of another script than Han")],
                                  mid)
        if d == "resident-lock-flag-left-by-kill" and mid:
            self._thirtieth_lock_flags(body, mid)

    def _thirtieth_lock_flags(self, body, mid) -> None:
        """resident-lock-flag-left-by-kill: the previous notice's flags are cleared once its
        receipt was written out (here: when the next message arrives in this process); a new
        notice's residents are flagged, in a committed statement, before it is applied."""
        with self.lock:
            for number in self.thirtieth.pop("flagged", []):
                self.conn.execute("DELETE FROM resident_lock WHERE number = ?", (number,))
            if self.conn.execute("SELECT 1 FROM seen WHERE message_id = ?",
                                 (mid,)).fetchone() is not None:
                return  # a duplicate: answered from the inbox, no resident touched
            numbers = sorted({(c.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
                               or "").strip() for c in body.iter(f"{{{JUKI}}}Change")})
            for number in numbers:
                if self.conn.execute("SELECT 1 FROM resident_lock WHERE number = ?",
                                     (number,)).fetchone() is not None:
                    raise Refusal("VENDOR-LOCKED", "provider", "住民が排他中です",
                                  [("vendor:lock", "the resident is locked by another process")],
                                  mid)
            for number in numbers:
                self.conn.execute("INSERT OR IGNORE INTO resident_lock VALUES (?)", (number,))
            self.thirtieth["flagged"] = numbers

    # --- the store ------------------------------------------------------------------------

    def _thirtieth_in_background(self, header, mid, changes) -> bool:
        """notice-with-relates-to-applied-after-receipt: an asynchronous result goes to the
        async-results worker, applied after the receipt."""
        if self.defect != "notice-with-relates-to-applied-after-receipt" or \
                header.find(f"{{{PFH}}}RelatesTo") is None:
            return False
        apply_after_receipt(self, mid, changes)
        return True

    def _thirtieth_name(self, change, name: str, row) -> str:
        d = self.defect
        if d == "stores-name-va-row-rewritten":
            return name.translate(VA_ROW)
        if d == "name-update-bound-as-cp932" and row is not None:  # the UPDATE path
            return bound_as_cp932(name)
        return name

    def _thirtieth_last(self, last):
        if self.defect == "full-linkage-notice-stale-check-skipped" and \
                self.thirtieth.get("linkage") == "full":
            return 0
        return last

    def _thirtieth_applied(self, number: str, row, name: str, sequence: int) -> None:
        d = self.defect
        if d == "watermark-rebuilt-from-value-history-on-start" and (row is None
                                                                     or row[1] != name):
            self.conn.execute("INSERT INTO value_history VALUES (?, ?)", (number, sequence))
        if d == "change-count-rebuilt-per-notice-on-start":
            self.conn.execute("INSERT INTO applied_log VALUES (?, ?)",
                              (number, self.thirtieth.get("mid")))



def apply_after_receipt(store, mid, changes) -> None:
    """A vendor's background job (the defects that receipt first): ``changes`` applied and
    ``mid`` marked seen on a thread of its own, ``ASYNC_DELAY`` after the receipt went out."""
    def later() -> None:
        time.sleep(ASYNC_DELAY)
        with store.lock:
            store.conn.execute("BEGIN IMMEDIATE")
            for change in changes:
                store._apply(change)
            store._mark_seen(mid)
            store.conn.execute("COMMIT")
    threading.Thread(target=later, daemon=True).start()

__all__ = ["ASYNC_DELAY", "VA_ROW", "ThirtiethStore", "apply_after_receipt", "bound_as_cp932",
           "refused_by_han_script_check"]
