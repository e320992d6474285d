"""The twentieth blind batch's subscriber side (the notice store and the notice mapper):
``TwentiethStore`` is mixed into ``Adapter`` through ``TwentiethBatch`` (twentieth.py, which
declares the batch and says who wrote it and from what). Every hook here changes nothing unless
``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import sqlite3

from .standard import CMN, JUKI, m11_ok

# stores-full-width-latin-narrowed: ！…～ to ! … ~, the ideographic space to a space
NARROWED = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


class TwentiethStore:
    """The twentieth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection

    # --- the store at start-up ------------------------------------------------------------

    def _twentieth_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect
        if d == "watermark-rebuilt-from-change-count-on-start":  # "連番 start at 1, no gaps"
            conn.execute("UPDATE resident SET last_sequence = changes_applied")
        if d == "removed-residents-purged-on-start":
            conn.execute("CREATE TABLE IF NOT EXISTS twentieth_removed "
                         "(number TEXT PRIMARY KEY)")
            conn.execute("DELETE FROM resident WHERE number IN "
                         "(SELECT number FROM twentieth_removed)")  # the housekeeping job
            conn.execute("DELETE FROM twentieth_removed")
        if d == "refused-notices-retried-on-start":
            conn.execute("CREATE TABLE IF NOT EXISTS twentieth_dead "
                         "(number TEXT, name TEXT, sequence INTEGER)")
            for number, name, sequence in conn.execute(  # "retry the failed ones"
                    "SELECT * FROM twentieth_dead ORDER BY rowid").fetchall():
                conn.execute("INSERT INTO resident VALUES (?, ?, ?, 1) ON CONFLICT(number) DO "
                             "UPDATE SET name = excluded.name, last_sequence = "
                             "excluded.last_sequence, changes_applied = changes_applied + 1",
                             (number, name, sequence))
            conn.execute("DELETE FROM twentieth_dead")

    # --- the notice mapper ---------------------------------------------------------------

    def _twentieth_name(self, change, name: str, row) -> str:
        d = self.defect
        reason = (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()
        if d == "individual-number-change-name-not-written" and reason == "C06" and \
                row is not None:
            return row[1]  # only the 個人番号 column is updated
        if d == "stores-full-width-latin-narrowed":
            return name.translate(NARROWED)
        return name

    def _twentieth_dead_letters(self, body) -> None:
        """refused-notices-retried-on-start: the changes the rules will refuse, kept to retry."""
        for change in body.iter(f"{{{JUKI}}}Change"):
            number = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") or ""
            if not m11_ok(number):
                self.conn.execute("INSERT INTO twentieth_dead VALUES (?, ?, ?)", (
                    number, change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text"),
                    int(change.findtext(f"{{{JUKI}}}Sequence"))))

    def _twentieth_applied(self, change, number: str) -> None:
        if self.defect != "removed-residents-purged-on-start":
            return
        reason = (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()
        if reason.startswith("B"):  # 消除
            self.conn.execute("INSERT OR IGNORE INTO twentieth_removed VALUES (?)", (number,))
        else:
            self.conn.execute("DELETE FROM twentieth_removed WHERE number = ?", (number,))


__all__ = ["NARROWED", "TwentiethStore"]
