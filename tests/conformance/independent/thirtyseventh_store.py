"""The thirty-seventh blind batch's subscriber side (the notice store at start-up, its side tables,
the key a change is stored under, the names it stores, the watermark it compares with, the
notices applied after their receipt): ``ThirtyseventhStore`` is mixed into ``Adapter`` through
``ThirtyseventhBatch`` (thirtyseventh.py, which declares the batch and says who wrote it and from
what). Every hook here changes nothing unless ``self.defect`` names one of the batch's subscriber
defects."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import unicodedata

from .standard import CMN, JST, JUKI
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt
from .thirtyfifth_store import cp932_round_trip, day_of

RETENTION_YEARS = 5  # 地方税法's 時効 (5 years): the vendor's retention job keeps no older resident
FORMER_SURNAME_REASONS = frozenset({"C08", "C09"})  # 旧氏・通称の記載, 旧氏・通称の削除


def _reason(change) -> str:
    return (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()


def retention_cutoff(today: dt.date) -> str:
    """residents-past-retention-purged-on-start: the day RETENTION_YEARS before ``today`` (28
    February for a 29 February)."""
    try:
        return today.replace(year=today.year - RETENTION_YEARS).isoformat()
    except ValueError:
        return today.replace(year=today.year - RETENTION_YEARS, day=28).isoformat()


def as_json_double(value) -> float:
    """watermarks-cached-as-json-double-on-start: a 異動連番 as a JSON number reads back."""
    return float(value)


def household_key(number: str, household: str) -> str:
    """resident-keyed-with-household-number: the row of (世帯番号, 宛名番号) that is not the
    resident's first one."""
    return f"{number}/{household}"


class ThirtyseventhStore:
    """The thirty-seventh batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    thirtyseventh: dict

    # --- the store at start-up ------------------------------------------------------------

    def _thirtyseventh_store_opened(self, conn: sqlite3.Connection) -> None:
        if self.defect == "resident-keyed-with-household-number":
            conn.execute("CREATE TABLE IF NOT EXISTS thirtyseventh_household (number TEXT "
                         "PRIMARY KEY, household TEXT)")
        if self.defect == "residents-past-retention-purged-on-start":
            conn.execute("CREATE TABLE IF NOT EXISTS thirtyseventh_occurred (number TEXT "
                         "PRIMARY KEY, occurred TEXT)")
            cutoff = retention_cutoff(dt.datetime.now(JST).date())
            conn.execute("DELETE FROM resident WHERE number IN (SELECT number FROM "
                         "thirtyseventh_occurred WHERE occurred < ?)", (cutoff,))
            conn.execute("DELETE FROM thirtyseventh_occurred WHERE occurred < ?", (cutoff,))
        if self.defect == "watermarks-cached-as-json-double-on-start":
            # the cache file holds every resident's last 異動連番 as a JSON number
            self.thirtyseventh["watermarks"] = {
                number: as_json_double(last) for number, last in conn.execute(
                    "SELECT number, last_sequence FROM resident")}

    # --- the key a change is stored under ----------------------------------------------------

    def _thirtyseventh_number(self, resident, number: str) -> str:
        if self.defect != "resident-keyed-with-household-number":
            return number
        household = (resident.findtext(f"{{{CMN}}}HouseholdNumber") or "").strip()
        row = self.conn.execute("SELECT household FROM thirtyseventh_household WHERE number = ?",
                                (number,)).fetchone()
        if row is None:
            self.conn.execute("INSERT INTO thirtyseventh_household VALUES (?, ?)",
                              (number, household))
            return number
        return number if row[0] == household else household_key(number, household)

    # --- the store ------------------------------------------------------------------------

    def _thirtyseventh_name(self, change, name, row):
        if not isinstance(name, str):
            return name
        if self.defect == "removal-notice-names-via-cp932" and _reason(change).startswith("B"):
            return cp932_round_trip(name)  # the 除票 table's name column
        if self.defect == "first-change-names-nfkc" and row is None:
            return unicodedata.normalize("NFKC", name)  # the 新規登録 path's input normaliser
        return name

    def _thirtyseventh_last(self, number: str, last):
        if self.defect == "watermarks-cached-as-json-double-on-start":
            return self.thirtyseventh.get("watermarks", {}).get(number, last)
        return last

    def _thirtyseventh_applied(self, change, number: str) -> None:
        if self.defect == "watermarks-cached-as-json-double-on-start":
            self.thirtyseventh.get("watermarks", {}).pop(number, None)  # the cache updated
        if self.defect == "residents-past-retention-purged-on-start":
            occurred = day_of(change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn"))
            self.conn.execute("INSERT OR REPLACE INTO thirtyseventh_occurred VALUES (?, ?)",
                              (number, occurred))

    # --- notices applied after their receipt ---------------------------------------------------

    def _thirtyseventh_in_background(self, mid, changes) -> bool:
        if self.defect != "former-surname-changes-applied-after-receipt" or \
                not any(_reason(c) in FORMER_SURNAME_REASONS for c in changes):
            return False
        apply_after_receipt(self, mid, changes)  # the 旧氏 module's job
        return True


__all__ = ["ASYNC_DELAY", "FORMER_SURNAME_REASONS", "RETENTION_YEARS", "ThirtyseventhStore",
           "as_json_double", "household_key", "retention_cutoff"]
