"""The thirty-sixth blind batch's subscriber side (the notice store at start-up, its side tables,
the notices applied after their receipt or left uncommitted, the names it stores, its count of
changes): ``ThirtysixthStore`` is mixed into ``Adapter`` through ``ThirtysixthBatch``
(thirtysixth.py, which declares the batch and says who wrote it and from what). Every hook here
changes nothing unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import sqlite3
import threading

from .standard import CMN, JUKI, SOAP11
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt
from .thirtyfifth_store import cp932_round_trip, day_of


def _reason(change) -> str:
    return (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()


def _kind(change) -> str:
    return (change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}ResidentKind") or "").strip()


def year_of(change) -> str:
    """change-count-per-tax-year: the calendar year of a change's 異動年月日."""
    return day_of(change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn"))[:4]


class ThirtysixthStore:
    """The thirty-sixth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    thirtysixth: dict

    # --- the store at start-up ------------------------------------------------------------

    def _thirtysixth_store_opened(self, conn: sqlite3.Connection) -> None:
        if self.defect == "change-count-per-tax-year":
            conn.execute("CREATE TABLE IF NOT EXISTS thirtysixth_year (number TEXT PRIMARY KEY, "
                         "year TEXT)")
        if self.defect == "receipt-receiver-pinned-to-first-publisher":
            conn.execute("CREATE TABLE IF NOT EXISTS thirtysixth_publisher (id INTEGER PRIMARY "
                         "KEY CHECK (id = 1), local_gov_code TEXT, business_unit TEXT, "
                         "system_id TEXT)")

    # --- the publisher it learnt ------------------------------------------------------------

    def _thirtysixth_publisher(self, sender: tuple) -> tuple:
        """receipt-receiver-pinned-to-first-publisher: the first notice's Sender, kept."""
        with self.lock:
            self.conn.execute("INSERT OR IGNORE INTO thirtysixth_publisher VALUES (1, ?, ?, ?)",
                              sender)
            row = self.conn.execute("SELECT local_gov_code, business_unit, system_id FROM "
                                    "thirtysixth_publisher WHERE id = 1").fetchone()
        return tuple(row) if row else sender

    # --- notices applied after their receipt, or left uncommitted --------------------------

    def _thirtysixth_in_background(self, mid, changes) -> bool:
        d = self.defect
        later = (d == "utf16-notices-applied-after-receipt" and self.thirtysixth.get("utf16")) \
            or (d == "individual-number-change-applied-after-receipt"
                and any(_reason(c) == "C06" for c in changes))
        if not later:
            return False
        apply_after_receipt(self, mid, changes)
        return True

    def _thirtysixth_leave_open(self, changes) -> bool:
        """foreigner-changes-second-connection-uncommitted: the 外国人 module's connection
        commits at its next use."""
        return self.defect == "foreigner-changes-second-connection-uncommitted" and \
            any(_kind(c) == "2" for c in changes)

    # --- the store ------------------------------------------------------------------------

    def _thirtysixth_name(self, name):
        if self.defect == "soap11-notice-names-via-cp932" and isinstance(name, str) and \
                self.thirtysixth.get("soap") == SOAP11:
            return cp932_round_trip(name)
        return name

    def _thirtysixth_applied(self, change, number: str, row) -> None:
        if self.defect != "change-count-per-tax-year":
            return
        year = year_of(change)
        held = self.conn.execute("SELECT year FROM thirtysixth_year WHERE number = ?",
                                 (number,)).fetchone()
        if row is not None and held is not None and held[0] != year:  # 年間異動件数: a new year
            self.conn.execute("UPDATE resident SET changes_applied = 1 WHERE number = ?",
                              (number,))
        self.conn.execute("INSERT OR REPLACE INTO thirtysixth_year VALUES (?, ?)", (number, year))


__all__ = ["ASYNC_DELAY", "ThirtysixthStore", "year_of"]
