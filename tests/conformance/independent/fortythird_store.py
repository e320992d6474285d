"""The forty-third blind batch's subscriber side (the 職権 handler, the 世帯 module's trigger, the
フリガナ付与 job, the 住登外 queue, the start-up 名寄せ by 個人番号): ``FortythirdStore`` is mixed into
``Adapter`` through ``FortythirdBatch`` (fortythird.py, which declares the batch and says who wrote
it and from what). Every hook here changes nothing unless ``self.defect`` names one of the batch's
subscriber defects."""

from __future__ import annotations

import sqlite3

from .standard import CMN, JUKI
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt

# household-change-counts-every-member: the 世帯 changes (schemas/codelists/change_reason.csv)
HOUSEHOLD_REASONS = frozenset({"C02", "C03", "C04", "C05"})
EX_OFFICIO_REGISTRATION = "A04"  # 職権記載
LONG_NUMBER = 10  # long-addressee-numbers-applied-after-receipt: the 住基 range's digits
# the vendor's side tables: each resident's 世帯番号 and 個人番号
_TABLES = {
    "household-change-counts-every-member":
        "CREATE TABLE IF NOT EXISTS fortythird_household (number TEXT PRIMARY KEY, "
        "household TEXT);",
    "residents-merged-by-individual-number-on-start":
        "CREATE TABLE IF NOT EXISTS fortythird_individual (number TEXT PRIMARY KEY, "
        "individual TEXT);",
}


def without_reading(change) -> bool:
    """kana-less-names-applied-after-receipt: a change whose name carries no cmn:Kana."""
    return change.find(f"{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Kana") is None


def long_number(change) -> bool:
    """long-addressee-numbers-applied-after-receipt: a 宛名番号 of more than ten digits."""
    number = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") or ""
    return len(number.strip()) > LONG_NUMBER


def merged_by_individual_number(conn: sqlite3.Connection) -> list[str]:
    """residents-merged-by-individual-number-on-start: of the residents held under one 個人番号,
    all but the one with the highest last 異動連番 (the lowest 宛名番号 on a tie) deleted; the
    宛名番号 deleted."""
    rows = conn.execute("SELECT i.individual, r.number, r.last_sequence FROM resident r "
                        "JOIN fortythird_individual i ON i.number = r.number "
                        "WHERE i.individual IS NOT NULL "
                        "ORDER BY i.individual, r.last_sequence DESC, r.number").fetchall()
    kept: set[str] = set()
    dropped = []
    for individual, number, _ in rows:
        if individual in kept:
            dropped.append(number)
        kept.add(individual)
    for number in dropped:
        conn.execute("DELETE FROM resident WHERE number = ?", (number,))
        conn.execute("DELETE FROM fortythird_individual WHERE number = ?", (number,))
    return dropped


class FortythirdStore:
    """The forty-third batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection

    # --- the store at start-up ------------------------------------------------------------

    def _fortythird_store_opened(self, conn: sqlite3.Connection) -> None:
        if self.defect in _TABLES:
            conn.executescript(_TABLES[self.defect])
        if self.defect == "residents-merged-by-individual-number-on-start":
            merged_by_individual_number(conn)  # the start script's 名寄せ job

    # --- notices applied after their receipt -------------------------------------------------

    def _fortythird_in_background(self, header, mid, changes) -> bool:
        if (self.defect == "kana-less-names-applied-after-receipt" and
                any(without_reading(c) for c in changes)) or \
                (self.defect == "long-addressee-numbers-applied-after-receipt" and
                 any(long_number(c) for c in changes)):
            apply_after_receipt(self, mid, changes)  # the job's worker, after the receipt
            return True
        return False

    # --- a change applied ---------------------------------------------------------------------

    def _fortythird_skip(self, change, row) -> bool:
        """ex-officio-registration-as-correction: an A04 taken to the 職権修正 handler, an UPDATE
        that finds no row for a resident not held."""
        reason = (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()
        return self.defect == "ex-officio-registration-as-correction" and row is None and \
            reason == EX_OFFICIO_REGISTRATION

    def _fortythird_applied(self, change, number: str) -> None:
        resident = change.find(f"{{{JUKI}}}Resident")
        if self.defect == "residents-merged-by-individual-number-on-start":
            individual = resident.findtext(f"{{{CMN}}}IndividualNumber")
            self.conn.execute("INSERT OR REPLACE INTO fortythird_individual VALUES (?, ?)",
                              (number, individual))
        if self.defect != "household-change-counts-every-member":
            return
        household = resident.findtext(f"{{{CMN}}}HouseholdNumber")
        self.conn.execute("INSERT OR REPLACE INTO fortythird_household VALUES (?, ?)",
                          (number, household))
        reason = (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()
        if reason in HOUSEHOLD_REASONS:  # the 世帯 module's UPDATE of every member, counted
            self.conn.execute("UPDATE resident SET changes_applied = changes_applied + 1 "
                              "WHERE number <> ? AND number IN (SELECT number FROM "
                              "fortythird_household WHERE household = ?)", (number, household))


__all__ = ["ASYNC_DELAY", "EX_OFFICIO_REGISTRATION", "FortythirdStore", "HOUSEHOLD_REASONS",
           "LONG_NUMBER", "long_number", "merged_by_individual_number", "without_reading"]
