"""The twenty-ninth blind batch's subscriber side (the notice store, the inbox and the notice
mapper's own checks): ``TwentyNinthStore`` is mixed into ``Adapter`` through ``TwentyNinthBatch``
(twentyninth.py, which declares the batch and says who wrote it and from what). Every hook here
changes nothing unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import datetime as dt
import sqlite3

from lxml import etree

from .standard import CMN, JST, JUKI, PFH, PFR, Refusal

GETA = "\u3013"  # 〓: where a 縮退 found no candidate (docs/characters.md)
URO_1_1_END = 0x9FA5  # 龥: the last ideograph of Unicode 1.1's URO, the end of [一-龥]
URO_END = 0x9FFF  # the CJK Unified Ideographs block ends here
KEPT_ONLINE_YEARS = 2  # seen-ids-expire-two-years-after-occurred-on
OWN_ID_GLOB = "????????-????-4*"  # seen-ids-migration-rerun-keeps-uuid4: the vendor's own IDs

_TABLES = {
    "duplicate-receipt-request-hash-of-first":
        "CREATE TABLE IF NOT EXISTS receipt_hash (message_id TEXT PRIMARY KEY, hash TEXT);",
    "seen-ids-expire-two-years-after-occurred-on":
        "CREATE TABLE IF NOT EXISTS seen_online (message_id TEXT PRIMARY KEY, "
        "keep_until TEXT);",
    "seen-ids-rebuilt-from-receive-log-on-start":
        "CREATE TABLE IF NOT EXISTS receive_log (message_id TEXT PRIMARY KEY);",
}


def after_uro_1_1(char: str) -> bool:
    """name-uro-unicode-1-1-range-refused: a URO ideograph the regex [一-龥] does not admit."""
    return URO_1_1_END < ord(char) <= URO_END


def keep_until(occurred_on: str) -> str:
    """seen-ids-expire-two-years-after-occurred-on: the day up to which the inbox keeps a
    MessageId online (two years after the 異動年月日; 29 February kept as 28 February)."""
    try:
        day = dt.date.fromisoformat(occurred_on.strip()[:10])
    except ValueError:
        return "9999-12-31"
    try:
        return day.replace(year=day.year + KEPT_ONLINE_YEARS).isoformat()
    except ValueError:
        return day.replace(year=day.year + KEPT_ONLINE_YEARS, day=28).isoformat()


class TwentyNinthStore:
    """The twenty-ninth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    twentyninth: dict

    # --- the store at start-up ------------------------------------------------------------

    def _twentyninth_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect
        conn.executescript(_TABLES.get(d or "", ""))
        if d == "seen-ids-rebuilt-from-receive-log-on-start":
            # the start-up job rebuilds the inbox from the log of every MessageId received
            conn.execute("INSERT OR IGNORE INTO seen SELECT message_id FROM receive_log")
        if d == "seen-ids-migration-rerun-keeps-uuid4":
            # the inbox migration (user_version never set: it runs at every start) copies the
            # rows of its own ID format into the new table and drops the old one
            conn.execute("DELETE FROM seen WHERE message_id NOT GLOB ?", (OWN_ID_GLOB,))

    # --- a notice as it arrives: the mapper's own checks ----------------------------------

    def _twentyninth_notice_begins(self, body, mid) -> None:
        """Before a notice's rules: this notice's memories, and the receive log."""
        changes = list(body.iter(f"{{{JUKI}}}Change"))
        self.twentyninth["reasons"] = [(c.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "")
                                       .strip() for c in changes]
        self.twentyninth["occurred"] = max(
            ((c.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn") or "").strip()[:10]
             for c in changes), default="")
        self.twentyninth["first"] = not self.twentyninth.get("handled")
        self.twentyninth["handled"] = True
        if self.defect == "seen-ids-rebuilt-from-receive-log-on-start" and mid:
            self.conn.execute("INSERT OR IGNORE INTO receive_log VALUES (?)", (mid,))

    def _twentyninth_notice_checks(self, body, mid) -> None:
        d = self.defect
        for change in body.iter(f"{{{JUKI}}}Change"):
            reason = (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()
            resident = change.find(f"{{{JUKI}}}Resident")
            if resident is None:
                continue
            if d == "reason-two-character-column-internal" and reason[1:].isdigit() and \
                    len(reason[0] + str(int(reason[1:]))) > 2:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice could not be stored",
                              [("vendor:store", f"value too long for 異動事由 CHAR(2): "
                                                f"{reason[0]}{int(reason[1:])}")], mid)
            status = (resident.findtext(f"{{{CMN}}}ResidentStatus") or "").strip()
            if d == "removal-reason-status-cross-checked" and (
                    (reason.startswith("B") and status == "1")
                    or (reason.startswith("A") and status not in ("", "1"))):
                raise Refusal("VENDOR-STATUS", "client", "異動事由と住民状態が一致しません",
                              [("vendor:resident_status", f"{reason} with status {status}")], mid)
            texts = "".join(t.text or "" for t in resident.iter(f"{{{CMN}}}Text",
                                                                 f"{{{CMN}}}Original"))
            if d == "name-uro-unicode-1-1-range-refused" and any(after_uro_1_1(c)
                                                                 for c in texts):
                raise Refusal("VENDOR-CHARACTER", "client", "氏名に使用できない文字があります",
                              [("vendor:name", "a kanji outside [一-龥]")], mid)

    def _twentyninth_inbox(self, mid) -> object | None:
        """seen-ids-rebuilt-from-receive-log-on-start: the vendor's inbox looks the MessageId
        up before anything else of the notice (a choice of its own: the store is the same)."""
        if self.defect == "seen-ids-rebuilt-from-receive-log-on-start" and \
                self.role == "subscriber" and mid and \
                self.conn.execute("SELECT 1 FROM seen WHERE message_id = ?",
                                  (mid,)).fetchone() is not None:
            receipt = etree.Element(f"{{{PFR}}}NoticeReceipt", nsmap={"pfr": PFR})
            etree.SubElement(receipt, f"{{{PFR}}}MessageId").text = mid
            etree.SubElement(receipt, f"{{{PFR}}}Status").text = "duplicate"
            return receipt
        return None

    # --- the store ------------------------------------------------------------------------

    def _twentyninth_seen(self, mid: str) -> bool | None:
        """seen-ids-expire-two-years-after-occurred-on: only the MessageIds still online."""
        if self.defect != "seen-ids-expire-two-years-after-occurred-on":
            return None
        row = self.conn.execute("SELECT keep_until FROM seen_online WHERE message_id = ?",
                                (mid,)).fetchone()
        if row is not None and row[0] < dt.datetime.now(JST).date().isoformat():
            return False
        return None

    def _twentyninth_mark_seen(self, mid: str) -> bool:
        """ex-officio-correction-id-not-recorded: the 職権修正 branch records no MessageId."""
        return self.defect == "ex-officio-correction-id-not-recorded" and \
            "C11" in self.twentyninth.get("reasons", [])

    def _twentyninth_marked(self, mid: str) -> None:
        """After a MessageId was recorded."""
        if self.defect == "seen-ids-expire-two-years-after-occurred-on":
            self.conn.execute("INSERT OR REPLACE INTO seen_online VALUES (?, ?)",
                              (mid, keep_until(self.twentyninth.get("occurred", ""))))

    def _twentyninth_name(self, change, name: str) -> str:
        """stores-original-when-text-has-geta: a 縮退 holding 〓 "lost a character": the
        mapper takes the registered form instead."""
        if self.defect == "stores-original-when-text-has-geta" and GETA in name:
            original = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Original")
            if original:
                return original
        return name

    def _twentyninth_last(self, last):
        """first-notice-after-start-in-initial-load-mode: no 異動連番 check (a 全件 carries
        none) until the first notice after a start has been handled."""
        if self.defect == "first-notice-after-start-in-initial-load-mode" and \
                self.twentyninth.get("first"):
            return 0
        return last

    def _twentyninth_receipt_header(self, h, response) -> None:
        """duplicate-receipt-request-hash-of-first: the inbox row keeps the first delivery's
        RequestHash, and the duplicate receipt is written from it."""
        if self.defect != "duplicate-receipt-request-hash-of-first" or \
                response.tag != f"{{{PFR}}}NoticeReceipt":
            return
        mid = response.findtext(f"{{{PFR}}}MessageId")
        digest = h.find(f"{{{PFH}}}RequestHash")
        if digest is None or not mid:
            return
        if response.findtext(f"{{{PFR}}}Status") == "duplicate":
            row = self.conn.execute("SELECT hash FROM receipt_hash WHERE message_id = ?",
                                    (mid,)).fetchone()
            if row is not None:
                digest.text = row[0]
        else:
            self.conn.execute("INSERT OR IGNORE INTO receipt_hash VALUES (?, ?)",
                              (mid, digest.text))


__all__ = ["GETA", "KEPT_ONLINE_YEARS", "OWN_ID_GLOB", "TwentyNinthStore", "after_uro_1_1",
           "keep_until"]
