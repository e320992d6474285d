"""The thirty-first blind batch's subscriber side (the notice store and the notice mapper's own
checks): ``ThirtyfirstStore`` is mixed into ``Adapter`` through ``ThirtyfirstBatch``
(thirtyfirst.py, which declares the batch and says who wrote it and from what). Every hook here
changes nothing unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

from .standard import CMN, JUKI, Refusal

# name-update-skipped-selector-insensitive: what a collation without _VSS does not compare
_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")

_TABLES = {
    "watermark-rebuilt-from-receive-log-on-start":
        "CREATE TABLE IF NOT EXISTS received_change (number TEXT, sequence INTEGER);",
}


def without_selectors(name: str) -> str:
    """name-update-skipped-selector-insensitive: a name as the collation compares it."""
    return _SELECTORS.sub("", name)


def main_file_watermarks(db: Path) -> dict[str, int]:
    """watermarks-read-from-main-file-on-start: the last 異動連番s in a copy of the database's
    main file alone (no -wal: what was committed since the last checkpoint is not in it)."""
    copy = Path(f"{db}.watermarks")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    copy.write_bytes(db.read_bytes() if db.exists() else b"")
    conn = sqlite3.connect(str(copy))
    try:
        return {number: sequence for number, sequence in
                conn.execute("SELECT number, last_sequence FROM resident")}
    except sqlite3.DatabaseError:  # no resident table in the main file yet
        return {}
    finally:
        conn.close()


class ThirtyfirstStore:
    """The thirty-first batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    db: Path
    conn: sqlite3.Connection
    lock: threading.Lock
    thirtyfirst: dict

    # --- the store at start-up ------------------------------------------------------------

    def _thirtyfirst_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect
        conn.executescript(_TABLES.get(d or "", ""))
        if d == "watermarks-read-from-main-file-on-start":
            self.thirtyfirst["watermarks"] = main_file_watermarks(Path(self.db))
        if d == "watermark-trigger-created-with-table-only":  # the tables were missing: the
            self.thirtyfirst["trigger"] = conn.execute(  # set-up created them, and the trigger
                "SELECT COUNT(*) FROM seen").fetchone()[0] == 0
        if d == "watermark-rebuilt-from-receive-log-on-start":
            conn.execute("UPDATE resident SET last_sequence = (SELECT MAX(sequence) FROM "
                         "received_change r WHERE r.number = resident.number) WHERE "
                         "(SELECT MAX(sequence) FROM received_change r WHERE r.number = "
                         "resident.number) > last_sequence")

    # --- a notice as it arrives: the mapper's own checks ----------------------------------

    def _thirtyfirst_notice_checks(self, body, mid) -> None:
        d = self.defect
        changes = list(body.iter(f"{{{JUKI}}}Change"))
        if d == "watermark-rebuilt-from-receive-log-on-start":
            with self.lock:
                for change in changes:
                    self.conn.execute("INSERT INTO received_change VALUES (?, ?)", (
                        (change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
                         or "").strip(), int(change.findtext(f"{{{JUKI}}}Sequence"))))
        if d == "recorded-before-occurred-refused":
            for change in changes:
                occurred = (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn") or "")[:10]
                recorded = (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}RecordedOn") or "")[:10]
                if recorded and recorded < occurred:
                    raise Refusal("VENDOR-DATES", "client", "記録年月日が異動年月日より前です",
                                  [("vendor:dates", "RecordedOn before OccurredOn")], mid)

    # --- the store ------------------------------------------------------------------------

    def _thirtyfirst_number(self, number: str) -> str:
        """notice-addressee-number-of-first-change: the key read once per notice."""
        if self.defect != "notice-addressee-number-of-first-change":
            return number
        if self.thirtyfirst.get("first_number") is None:
            self.thirtyfirst["first_number"] = number
        return self.thirtyfirst["first_number"]

    def _thirtyfirst_name(self, name: str, row) -> str:
        if self.defect == "name-update-skipped-selector-insensitive" and row is not None and \
                row[1] != name and without_selectors(row[1]) == without_selectors(name):
            return row[1]  # WHERE name <> ? matched no row: the old name stays
        return name

    def _thirtyfirst_last(self, number: str, last):
        if self.defect == "watermarks-read-from-main-file-on-start":
            return self.thirtyfirst.get("watermarks", {}).get(number, 0)
        return last

    def _thirtyfirst_applied(self, number: str, row, sequence: int) -> None:
        d = self.defect
        if d == "watermarks-read-from-main-file-on-start":
            self.thirtyfirst.setdefault("watermarks", {})[number] = sequence
        if d == "watermark-trigger-created-with-table-only" and row is not None and \
                not self.thirtyfirst.get("trigger"):  # no trigger: the UPDATE keeps it
            self.conn.execute("UPDATE resident SET last_sequence = ? WHERE number = ?",
                              (row[2], number))


__all__ = ["ThirtyfirstStore", "main_file_watermarks", "without_selectors"]
