"""The thirty-fifth blind batch's subscriber side (the notice store at start-up, its side tables,
the notice loader, the inbox, the names it stores): ``ThirtyfifthStore`` is mixed into ``Adapter``
through ``ThirtyfifthBatch`` (thirtyfifth.py, which declares the batch and says who wrote it and
from what). Every hook here changes nothing unless ``self.defect`` names one of the batch's
subscriber defects."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

from .standard import CMN, JST, JUKI, PFH
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt


def day_of(text: str | None) -> str:
    """An xs:date's day (yyyy-mm-dd), white space and any time zone left out."""
    return (text or "").strip(" \t\r\n")[:10]


def sent_at_instant(text: str | None) -> dt.datetime | None:
    """A SentAt as an aware instant, None when it cannot be read (the housekeeping keeps it)."""
    try:
        value = dt.datetime.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def cp932_round_trip(text: str) -> str:
    """foreigner-names-via-cp932: what a CP932 column gives back ('?' for the rest)."""
    return text.encode("cp932", "replace").decode("cp932")


def _number(change) -> str:
    return change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") or ""


def _sequence(change) -> int:
    return int((change.findtext(f"{{{JUKI}}}Sequence") or "0").strip())


def _reason(change) -> str:
    return (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()


def last_wins_by_sequence(changes: list) -> list:
    """equal-sequence-in-notice-last-wins: a notice's changes collapsed by (宛名番号, 異動連番),
    the later one in the document winning, kept in document order."""
    last = {(_number(c), _sequence(c)): c for c in changes}
    kept = set(map(id, last.values()))
    return [c for c in changes if id(c) in kept]


def sorted_by_occurred_on(changes: list) -> list:
    """notice-changes-sorted-by-occurred-on: chronological, 異動連番 for ties."""
    return sorted(changes, key=lambda c: (
        day_of(c.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn")), _sequence(c)))


class ThirtyfifthStore:
    """The thirty-fifth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    thirtyfifth: dict

    # --- the store at start-up ------------------------------------------------------------

    def _thirtyfifth_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect
        if d == "re-registration-applied-after-receipt":  # who is held as removed (除票)
            conn.execute("CREATE TABLE IF NOT EXISTS thirtyfifth_removed (number TEXT PRIMARY "
                         "KEY)")
        if d == "watermark-rebuilt-from-notice-first-change-on-start":
            conn.execute("CREATE TABLE IF NOT EXISTS thirtyfifth_log (message_id TEXT, number "
                         "TEXT, sequence INTEGER, PRIMARY KEY (message_id, number))")
            conn.execute("UPDATE resident SET last_sequence = (SELECT l.sequence FROM "
                         "thirtyfifth_log l WHERE l.number = resident.number ORDER BY l.rowid "
                         "DESC LIMIT 1) WHERE number IN (SELECT number FROM thirtyfifth_log)")
        if d == "future-dated-seen-ids-dropped-on-start":  # "debris of a clock that jumped"
            conn.execute("CREATE TABLE IF NOT EXISTS thirtyfifth_seen_at (message_id TEXT "
                         "PRIMARY KEY, sent_at TEXT)")
            now = dt.datetime.now(JST)
            for message_id, sent_at in conn.execute("SELECT message_id, sent_at FROM "
                                                    "thirtyfifth_seen_at").fetchall():
                instant = sent_at_instant(sent_at)
                if instant is not None and instant > now:
                    conn.execute("DELETE FROM seen WHERE message_id = ?", (message_id,))
                    conn.execute("DELETE FROM thirtyfifth_seen_at WHERE message_id = ?",
                                 (message_id,))

    # --- the notice loader and the inbox ----------------------------------------------------

    def _thirtyfifth_changes(self, changes: list) -> list:
        if self.defect == "equal-sequence-in-notice-last-wins":
            return last_wins_by_sequence(changes)
        if self.defect == "notice-changes-sorted-by-occurred-on":
            return sorted_by_occurred_on(changes)
        return changes

    def _thirtyfifth_dedup_key(self, key: str, header) -> str:
        if self.defect == "seen-key-with-sent-at":
            return f"{key}@{(header.findtext(f'{{{PFH}}}SentAt') or '').strip()}"
        return key

    def _thirtyfifth_marked(self, mid: str) -> None:
        if self.defect == "future-dated-seen-ids-dropped-on-start":
            self.conn.execute("INSERT OR REPLACE INTO thirtyfifth_seen_at VALUES (?, ?)",
                              (mid, self.thirtyfifth.get("sent_at", "")))

    # --- the store ------------------------------------------------------------------------

    def _thirtyfifth_name(self, change, name: str) -> str:
        if self.defect == "foreigner-names-via-cp932" and isinstance(name, str) and \
                (change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}ResidentKind") or "").strip() \
                == "2":
            return cp932_round_trip(name)
        return name

    def _thirtyfifth_applied(self, change, number: str, row, sequence: int) -> None:
        d = self.defect
        reason = _reason(change)
        if d == "unheld-correction-history-not-written" and row is None and \
                reason.startswith("C"):  # 仮登録: no 異動履歴 row to count
            self.conn.execute("UPDATE resident SET changes_applied = changes_applied - 1 "
                              "WHERE number = ?", (number,))
        if d == "re-registration-applied-after-receipt":
            if reason.startswith("B"):
                self.conn.execute("INSERT OR IGNORE INTO thirtyfifth_removed VALUES (?)",
                                  (number,))
            elif reason.startswith("A"):
                self.conn.execute("DELETE FROM thirtyfifth_removed WHERE number = ?", (number,))
        if d == "watermark-rebuilt-from-notice-first-change-on-start":
            self.conn.execute("INSERT OR IGNORE INTO thirtyfifth_log VALUES (?, ?, ?)",
                              (self.thirtyfifth.get("mid"), number, sequence))

    # --- notices applied after their receipt ------------------------------------------------

    def _thirtyfifth_in_background(self, mid, changes) -> bool:
        """re-registration-applied-after-receipt: a 記載 of a resident held as removed goes to
        the 除票回復 job, which applies the notice after the receipt."""
        if self.defect != "re-registration-applied-after-receipt":
            return False
        if not any(_reason(c).startswith("A") and self.conn.execute(
                "SELECT 1 FROM thirtyfifth_removed WHERE number = ?", (_number(c),)).fetchone()
                for c in changes):
            return False
        apply_after_receipt(self, mid, changes)
        return True


__all__ = ["ASYNC_DELAY", "ThirtyfifthStore", "cp932_round_trip", "day_of",
           "last_wins_by_sequence", "sent_at_instant", "sorted_by_occurred_on"]
