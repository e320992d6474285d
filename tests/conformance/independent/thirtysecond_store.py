"""The thirty-second blind batch's subscriber side (the notice store, the inbox and the notice
mapper's own checks): ``ThirtysecondStore`` is mixed into ``Adapter`` through
``ThirtysecondBatch`` (thirtysecond.py, which declares the batch and says who wrote it and from
what). Every hook here changes nothing unless ``self.defect`` names one of the batch's subscriber
defects."""

from __future__ import annotations

import sqlite3
import threading
import unicodedata

from .standard import PFH

_TABLES = {
    "duplicate-receipt-receiver-of-first-sender":
        "CREATE TABLE IF NOT EXISTS inbox_sender (message_id TEXT PRIMARY KEY, system TEXT);",
    "names-rebuilt-from-history-text-sequence-on-start":
        "CREATE TABLE IF NOT EXISTS name_history (number TEXT, sequence TEXT, name TEXT);",
}


class ThirtysecondStore:
    """The thirty-second batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    thirtysecond: dict

    # --- the store at start-up ------------------------------------------------------------

    def _thirtysecond_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect
        conn.executescript(_TABLES.get(d or "", ""))
        if d == "names-rebuilt-from-history-text-sequence-on-start":
            conn.execute("UPDATE resident SET name = (SELECT h.name FROM name_history h WHERE "
                         "h.number = resident.number ORDER BY h.sequence DESC LIMIT 1) WHERE "
                         "EXISTS (SELECT 1 FROM name_history h WHERE h.number = resident.number)")
        if d == "watermarks-of-single-change-residents-cleared-on-start":
            conn.execute("UPDATE resident SET last_sequence = 0 WHERE changes_applied = 1")

    # --- a notice as it arrives: the inbox ------------------------------------------------

    def _thirtysecond_notice_checks(self, header, mid) -> None:
        if self.defect == "duplicate-receipt-receiver-of-first-sender":
            with self.lock:
                self.conn.execute("INSERT OR IGNORE INTO inbox_sender VALUES (?, ?)", (
                    mid, header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}SystemId")))

    def _thirtysecond_first_sender(self, mid: str | None) -> str | None:
        row = self.conn.execute("SELECT system FROM inbox_sender WHERE message_id = ?",
                                (mid,)).fetchone()
        return None if row is None else row[0]

    # --- the seen MessageIds --------------------------------------------------------------

    def _thirtysecond_seen(self, mid: str) -> bool | None:
        if self.defect == "seen-ids-of-multi-change-notices-in-memory" and \
                self.thirtysecond.get("several"):
            return mid in self.thirtysecond.setdefault("memory_seen", set())
        return None

    def _thirtysecond_mark_seen(self, mid: str) -> bool:
        if self.defect == "seen-ids-of-multi-change-notices-in-memory" and \
                self.thirtysecond.get("several"):
            self.thirtysecond.setdefault("memory_seen", set()).add(mid)
            return True
        return False

    # --- the store ------------------------------------------------------------------------

    def _thirtysecond_name(self, name: str, row) -> str:
        if self.defect == "stores-name-nfd":
            return unicodedata.normalize("NFD", name)
        return name

    def _thirtysecond_applied(self, number: str, name: str, sequence: int) -> None:
        if self.defect == "names-rebuilt-from-history-text-sequence-on-start":
            self.conn.execute("INSERT INTO name_history VALUES (?, ?, ?)",
                              (number, str(sequence), name))


__all__ = ["ThirtysecondStore"]
