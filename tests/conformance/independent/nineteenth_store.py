"""The nineteenth blind batch's subscriber side (the notice store and the notice mapper):
``NineteenthStore`` is mixed into ``Adapter`` through ``NineteenthBatch`` (nineteenth.py, which
declares the batch and says who wrote it and from what). Every hook here changes nothing unless
``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import re
import sqlite3
import threading

from .standard import CMN, JUKI

GROUP_COMMIT = 10  # seen-ids-group-committed-by-ten: the inbox table's batch
_SPACE = re.compile("[ \u3000]")


def _q(*names: str) -> str:
    """A path of juki/cmn names below a juki:Change, e.g. _q("Resident", "Name") (Clark)."""
    return "/".join(f"{{{JUKI if n in ('Resident', 'Event', 'Sequence') else CMN}}}{n}"
                    for n in names)


class NineteenthStore:
    """The nineteenth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    lock: threading.Lock
    conn: sqlite3.Connection
    nineteenth: dict

    def _nineteenth_local(self) -> threading.local:
        """What one request's later hooks read: kept per thread (one thread per request)."""
        local = self.nineteenth.get("local")
        if local is None:
            local = self.nineteenth["local"] = threading.local()
        return local

    # --- the store at start-up ------------------------------------------------------------

    def _nineteenth_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect
        if d == "stale-changes-parked-and-replayed-on-start":
            conn.execute("CREATE TABLE IF NOT EXISTS nineteenth_parked "
                         "(number TEXT, name TEXT, sequence INTEGER)")
            # "their predecessors have arrived by now": applied as they were parked
            for number, name in conn.execute("SELECT number, name FROM nineteenth_parked "
                                             "ORDER BY rowid").fetchall():
                conn.execute("UPDATE resident SET name = ? WHERE number = ?", (name, number))
            conn.execute("DELETE FROM nineteenth_parked")
        if d == "commit-failure-swallowed-for-new-household":  # filled by 全件 only
            conn.execute("CREATE TABLE IF NOT EXISTS nineteenth_household (number TEXT)")
        if d == "change-history-keyed-by-occurred-on":
            conn.execute("CREATE TABLE IF NOT EXISTS nineteenth_history "
                         "(number TEXT, occurred_on TEXT, PRIMARY KEY (number, occurred_on))")
        if d == "seen-ids-group-committed-by-ten":
            self.nineteenth["pending"] = []
        if d == "own-undo-log-replayed-on-start":
            conn.execute("CREATE TABLE IF NOT EXISTS nineteenth_undo (number TEXT PRIMARY KEY, "
                         "name TEXT, last_sequence INTEGER, changes_applied INTEGER, "
                         "existed INTEGER)")
            for number, name, last, applied, existed in conn.execute(
                    "SELECT * FROM nineteenth_undo").fetchall():  # the "recovery"
                if existed:
                    conn.execute("UPDATE resident SET name = ?, last_sequence = ?, "
                                 "changes_applied = ? WHERE number = ?",
                                 (name, last, applied, number))
                else:
                    conn.execute("DELETE FROM resident WHERE number = ?", (number,))
            conn.execute("DELETE FROM nineteenth_undo")

    # --- the notice mapper ---------------------------------------------------------------

    def _nineteenth_name(self, change, name: str, row) -> str:
        d = self.defect
        resident = change.find(f"{{{JUKI}}}Resident")
        if d == "kana-less-change-name-not-written" and row is not None and \
                resident.find(_q("Name", "Kana")) is None:
            return row[1]  # the name columns are written in the `if kana:` branch only
        if d == "stores-name-cut-at-space":
            return _SPACE.split(name, maxsplit=1)[0]  # 氏 only
        if d == "fields-read-by-position":  # the vendor's layout: the Name is 4th
            fourth = [el for el in resident if isinstance(el.tag, str)][3]
            return fourth.findtext(f"{{{CMN}}}Text") or fourth.text or ""
        return name

    def _nineteenth_stale(self, change, number: str) -> None:
        if self.defect == "stale-changes-parked-and-replayed-on-start":
            self.conn.execute("INSERT INTO nineteenth_parked VALUES (?, ?, ?)", (
                number, change.findtext(_q("Resident", "Name", "Text")),
                int(change.findtext(f"{{{JUKI}}}Sequence"))))

    def _nineteenth_skip(self, change, number: str, row) -> bool:
        """True when the change is not written by the usual upsert (this batch's way)."""
        d = self.defect
        reason = (change.findtext(_q("Event", "Reason")) or "").strip()
        if d == "record-cancellation-deletes-resident" and reason == "A07":
            self.conn.execute("DELETE FROM resident WHERE number = ?", (number,))
            return True  # "the 記載 is cancelled"
        if d == "change-history-keyed-by-occurred-on":
            occurred = (change.findtext(_q("Event", "OccurredOn")) or "").strip()[:10]
            if self.conn.execute("SELECT 1 FROM nineteenth_history WHERE number = ? AND "
                                 "occurred_on = ?", (number, occurred)).fetchone():
                return True  # "already in the 異動履歴"
            self.conn.execute("INSERT INTO nineteenth_history VALUES (?, ?)", (number, occurred))
        if d == "commit-failure-swallowed-for-new-household" and row is None and \
                self.conn.execute("SELECT 1 FROM nineteenth_household WHERE number = ?", (
                    change.findtext(_q("Resident", "HouseholdNumber")),)).fetchone() is None:
            self._nineteenth_local().failed = True  # its COMMIT will fail
            return True
        if d == "own-undo-log-replayed-on-start":
            self.conn.execute("INSERT OR REPLACE INTO nineteenth_undo VALUES (?, ?, ?, ?, ?)",
                              (number, *(row[1:4] if row else (None, None, None)),
                               row is not None))
        return False

    # --- de-duplication -------------------------------------------------------------------

    def _nineteenth_seen(self, mid: str) -> bool | None:
        if self.defect == "seen-ids-group-committed-by-ten" and mid in self.nineteenth["pending"]:
            return True
        return None

    def _nineteenth_mark_seen(self, mid: str) -> bool:
        """True when this batch recorded the seen MessageId its own way (or not at all)."""
        if self.defect == "commit-failure-swallowed-for-new-household":
            failed = getattr(self._nineteenth_local(), "failed", False)
            self._nineteenth_local().failed = False
            if failed:  # the deferred check fails the COMMIT: the whole notice rolled back,
                self.conn.execute("ROLLBACK")  # the error logged, the receipt says applied
                self.conn.execute("BEGIN IMMEDIATE")  # (what the caller commits: nothing)
            return failed
        if self.defect != "seen-ids-group-committed-by-ten":
            return False
        pending = self.nineteenth["pending"]
        pending.append(mid)
        if len(pending) >= GROUP_COMMIT:
            self.conn.executemany("INSERT OR IGNORE INTO seen VALUES (?)",
                                  [(m,) for m in pending])
            pending.clear()
        return True


__all__ = ["GROUP_COMMIT", "NineteenthStore"]
