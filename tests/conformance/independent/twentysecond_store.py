"""The twenty-second blind batch's subscriber side (the notice store, the notice mapper and its
checks): ``TwentySecondStore`` is mixed into ``Adapter`` through ``TwentySecondBatch``
(twentysecond.py, which declares the batch and says who wrote it and from what). Every hook here
changes nothing unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

from .standard import CMN, JST, JUKI, Refusal

ASSESSMENT_DAY = "01-01"  # removal-on-assessment-day-not-applied: 賦課期日, 1月1日
REMAKING = frozenset({"A05", "A06", "B05", "B06"})  # 改製, 再製: "housekeeping"
NOT_FAMILY = frozenset({"18", "19"})  # cohabitant-changes-not-held: 縁故者, 同居人
KEY_WIDTH = 10  # short-addressee-number-left-padded: the vendor's CHAR(10) key
MIDDLE_DOTS = str.maketrans({"\u30fb": "\u3000", "\uff65": "\u3000"})  # ・ ･ → 全角 space
DEFAULT_IVS = "\U000e0100"
MJ_ONLY = frozenset("\u9ad9\U00020bb7")  # 髙 𠮷: MJ, not JIS X 0213 (the vendor's list)
_SELECTOR = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_SIDE_TABLES = {
    "residents-rebuilt-by-message-id-on-start":  # the vendor's event archive
        "CREATE TABLE IF NOT EXISTS twentysecond_archive (message_id TEXT, number TEXT, "
        "name TEXT, sequence INTEGER)",
    "seen-ids-of-stale-notices-pruned-on-start":  # the notices that changed a row
        "CREATE TABLE IF NOT EXISTS twentysecond_effective (message_id TEXT PRIMARY KEY)",
    "seen-ids-looked-up-in-current-month-partition":  # the inbox, partitioned by month
        "CREATE TABLE IF NOT EXISTS twentysecond_seen (month TEXT, message_id TEXT, "
        "PRIMARY KEY (month, message_id))",
    "removed-watermarks-cleared-on-start":  # the 除票 register
        "CREATE TABLE IF NOT EXISTS twentysecond_removed (number TEXT PRIMARY KEY)",
}


def _resident(change, local: str) -> str:
    return (change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}{local}") or "").strip()


def _event(change, local: str) -> str:
    return (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}{local}") or "").strip()


def with_default_ivs(text: str | None) -> str | None:
    """ivs-added-to-mj-characters: U+E0100 after each MJ character outside JIS X 0213 that has
    no selector."""
    if not text:
        return text
    out = []
    for i, c in enumerate(text):
        out.append(c)
        if c in MJ_ONLY and not (i + 1 < len(text) and _SELECTOR.match(text[i + 1])):
            out.append(DEFAULT_IVS)
    return "".join(out)


class TwentySecondStore:
    """The twenty-second batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    ninth: dict
    twentysecond: dict

    # --- the store at start-up ------------------------------------------------------------

    def _twentysecond_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect
        if d in _SIDE_TABLES:
            conn.execute(_SIDE_TABLES[d])
        if d == "residents-rebuilt-by-message-id-on-start":  # the projection rebuilt from the
            for number, name, sequence in conn.execute(  # archive, in its key's order
                    "SELECT number, name, sequence FROM twentysecond_archive "
                    "ORDER BY message_id").fetchall():
                conn.execute("UPDATE resident SET name = ?, last_sequence = ? WHERE number = ?",
                             (name, sequence, number))
        if d == "seen-ids-of-stale-notices-pruned-on-start":  # "orphan" IDs: no row changed
            conn.execute("DELETE FROM seen WHERE message_id NOT IN "
                         "(SELECT message_id FROM twentysecond_effective)")
        if d == "removed-watermarks-cleared-on-start":  # 除票 housekeeping: "their 異動 is over"
            conn.execute("UPDATE resident SET last_sequence = 0 WHERE number IN "
                         "(SELECT number FROM twentysecond_removed)")

    # --- seen MessageIds ------------------------------------------------------------------

    def _twentysecond_seen(self, mid: str) -> bool | None:
        if self.defect != "seen-ids-looked-up-in-current-month-partition":
            return None
        month = dt.datetime.now(JST).strftime("%Y-%m")  # "only this month's partition"
        return self.conn.execute("SELECT 1 FROM twentysecond_seen WHERE month = ? AND "
                                 "message_id = ?", (month, mid)).fetchone() is not None

    def _twentysecond_mark_seen(self, mid: str) -> bool:
        if self.defect != "seen-ids-looked-up-in-current-month-partition":
            return False
        sent_at = self.twentysecond.get("sent_at", {}).get(mid) or ""
        self.conn.execute("INSERT OR IGNORE INTO twentysecond_seen VALUES (?, ?)",
                          (sent_at.strip()[:7], mid))  # the partition of the notice's SentAt
        return True

    # --- the vendor's checks of a notice, before anything is applied ------------------------

    def _twentysecond_notice_checks(self, body, mid) -> None:
        d = self.defect
        history: set[tuple[str, str]] = set()  # (MessageId, 宛名番号): the 異動履歴's key
        for change in body.iter(f"{{{JUKI}}}Change"):
            key = (mid, _resident(change, "AddresseeNumber"))
            if d == "history-keyed-by-notice-and-resident-internal" and key in history:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice cannot be stored",
                              [("vendor:history", "UNIQUE constraint failed: 異動履歴 "
                                                  "(message_id, 宛名番号)")], mid)
            history.add(key)
            if d == "death-of-head-refused" and _event(change, "Reason") == "B03" and \
                    _resident(change, "Relationship") == "01":
                raise Refusal("VENDOR-HOUSEHOLD", "client", "世帯主の死亡: 世帯主変更が先",
                              [("vendor:household", "the household has no head (C05 first)")],
                              mid)
            if d == "resident-status-4-internal" and _resident(change, "ResidentStatus") == "4":
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice cannot be stored",
                              [("vendor:store", "CHECK constraint failed: 住民状態 IN (1, 2, 3)")],
                              mid)

    # --- the notice mapper ---------------------------------------------------------------

    def _twentysecond_number(self, number: str) -> str:
        if self.defect == "short-addressee-number-left-padded":
            return number.zfill(KEY_WIDTH)  # LPAD(宛名番号, 10, '0')
        return number

    def _twentysecond_name(self, change, name: str | None) -> str | None:
        d = self.defect
        if d == "former-surname-deletion-name-cleared" and _event(change, "Reason") == "C09":
            return None  # the C09 screen's UPDATE: 旧氏 = NULL, 氏名 = NULL (copied columns)
        if name is None:
            return name
        if d == "stores-name-middle-dot-replaced":
            return name.translate(MIDDLE_DOTS)
        if d == "ivs-added-to-mj-characters":
            return with_default_ivs(name)
        if d == "name-cut-at-comma-by-csv-loader":
            return name.split(",", 1)[0]  # the bulk loader's unquoted CSV field
        return name

    def _twentysecond_skip(self, change) -> bool:
        reason = _event(change, "Reason")
        if self.defect == "cohabitant-changes-not-held":
            return _resident(change, "Relationship") in NOT_FAMILY
        if self.defect == "remaking-changes-ignored":
            return reason in REMAKING
        return self.defect == "removal-on-assessment-day-not-applied" and \
            reason.startswith("B") and \
            _event(change, "OccurredOn")[5:10] == ASSESSMENT_DAY  # "here on the 賦課期日"

    def _twentysecond_applied(self, change, number: str, name, sequence: int) -> None:
        d = self.defect
        mid = self.ninth.get("current")
        if d == "residents-rebuilt-by-message-id-on-start":
            self.conn.execute("INSERT INTO twentysecond_archive VALUES (?, ?, ?, ?)",
                              (mid, number, name, sequence))
        if d == "seen-ids-of-stale-notices-pruned-on-start":
            self.conn.execute("INSERT OR IGNORE INTO twentysecond_effective VALUES (?)", (mid,))
        if d == "removed-watermarks-cleared-on-start":
            if _event(change, "Reason").startswith("B"):
                self.conn.execute("INSERT OR IGNORE INTO twentysecond_removed VALUES (?)",
                                  (number,))
            elif _event(change, "Reason").startswith("A"):
                self.conn.execute("DELETE FROM twentysecond_removed WHERE number = ?", (number,))


__all__ = ["ASSESSMENT_DAY", "DEFAULT_IVS", "KEY_WIDTH", "MIDDLE_DOTS", "MJ_ONLY", "NOT_FAMILY",
           "REMAKING",
           "TwentySecondStore", "with_default_ivs"]
