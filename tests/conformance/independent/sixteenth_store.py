"""The sixteenth blind batch's subscriber side (the notice store): ``SixteenthStore`` is mixed into
``Adapter`` through ``SixteenthBatch`` (sixteenth.py, which declares the batch and says who wrote
it and from what). Every hook here changes nothing unless ``self.defect`` names one of the
batch's subscriber defects."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import threading
import time
from pathlib import Path

from .standard import CMN, JUKI, PFH, PFR

# dash-like characters a 名寄せ normaliser folds into the prolonged sound mark ー (U+30FC):
# ‐ ‒ – — ― − － ｰ (the ASCII hyphen-minus of Latin names is left alone)
DASHES_TO_CHOON = str.maketrans({c: "\u30fc" for c in "\u2010\u2012\u2013\u2014\u2015\u2212"
                                 "\uff0d\uff70"})
_LOWER_LATIN = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_STRIPSLASHES = re.compile(rb"\\(.)", re.S)


def sjis_5c_eaten(text: str) -> str:
    """The name through a Shift_JIS layer that takes the byte 0x5C for an escape (stripslashes on
    the bytes): the 0x5C that ends 十 ソ 表 能 申 … (ダメ文字) is dropped and its lead byte pairs
    with the next byte. Characters Shift_JIS lacks pass by untouched (another layer's concern)."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            data = _STRIPSLASHES.sub(rb"\1", "".join(run).encode("cp932"))
            out.append(data.decode("cp932", "replace"))
            run.clear()

    for c in text:
        try:
            c.encode("cp932")
        except UnicodeEncodeError:
            flush()
            out.append(c)
        else:
            run.append(c)
    flush()
    return "".join(out)


class SixteenthStore:
    """The sixteenth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    db: Path | None
    lock: threading.Lock
    conn: sqlite3.Connection
    sixteenth: dict

    def _sixteenth_local(self) -> threading.local:
        """What one notice's later hooks read: kept per thread (one thread per request)."""
        local = self.sixteenth.get("local")
        if local is None:
            local = self.sixteenth["local"] = threading.local()
        return local

    # --- the store at start-up ------------------------------------------------------------------

    def _sixteenth_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect
        self._sixteenth_local()
        if d == "seen-ids-read-from-start-snapshot":
            # the de-duplication filter's own connection, opened at start-up in one read
            # transaction that is never ended: its WAL snapshot is the store as it was then
            reader = sqlite3.connect(str(self.db), check_same_thread=False,
                                     isolation_level=None)
            reader.execute("BEGIN")
            reader.execute("SELECT COUNT(*) FROM seen").fetchone()
            self.sixteenth["reader"] = reader
        if d == "seen-ids-journal-rotated-on-start":
            journal = Path(f"{self.db}.seen-journal")
            previous = Path(f"{journal}.1")
            previous.unlink(missing_ok=True)  # the run before last: dropped
            if journal.exists():
                journal.replace(previous)  # the last run's journal: kept for one start
            self.sixteenth["journal"] = journal
            self.sixteenth["journal_seen"] = set(previous.read_text().split()) \
                if previous.exists() else set()
        if d == "watermark-restored-from-log-tail":
            conn.execute("CREATE TABLE IF NOT EXISTS sixteenth_log (number TEXT, "
                         "sequence INTEGER)")
            self.sixteenth["marks"] = dict(conn.execute(  # the last row written per resident
                "SELECT number, sequence FROM sixteenth_log WHERE rowid IN "
                "(SELECT MAX(rowid) FROM sixteenth_log GROUP BY number)").fetchall())
        if d == "changes-ordered-by-sent-at":
            conn.execute("CREATE TABLE IF NOT EXISTS sixteenth_sent (number TEXT PRIMARY KEY, "
                         "sent_at REAL)")

    # --- de-duplication -------------------------------------------------------------------------

    def _sixteenth_seen(self, mid: str) -> bool | None:
        if self.defect == "seen-ids-read-from-start-snapshot" and "reader" in self.sixteenth:
            return self.sixteenth["reader"].execute(
                "SELECT 1 FROM seen WHERE message_id = ?", (mid,)).fetchone() is not None
        if self.defect == "seen-ids-journal-rotated-on-start":
            return mid in self.sixteenth["journal_seen"]
        return None

    def _sixteenth_mark_seen(self, mid: str) -> bool:
        """True when the MessageId was recorded here (not in the seen table)."""
        if self.defect != "seen-ids-journal-rotated-on-start":
            return False
        with open(self.sixteenth["journal"], "a", encoding="ascii") as f:
            f.write(mid + "\n")
            f.flush()
            os.fsync(f.fileno())  # durable: what the rotation loses is the file, not a line
        self.sixteenth["journal_seen"].add(mid)
        return True

    def _sixteenth_duplicate(self, duplicate: bool, changes: list, header) -> bool:
        """Under the store's lock, as the notice's duplicate check is made: what the notice's
        later hooks need, kept for this request's thread."""
        d = self.defect
        local = self._sixteenth_local()
        if d == "multi-change-receipt-per-change":
            local.changes = len(changes)
        if d == "new-resident-receipted-accepted":
            local.new = any(self.conn.execute(
                "SELECT 1 FROM resident WHERE number = ?",
                (c.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber"),)).fetchone() is None
                for c in changes)
        if d == "changes-ordered-by-sent-at":
            try:
                local.sent_at = dt.datetime.fromisoformat(
                    header.findtext(f"{{{PFH}}}SentAt").strip()).timestamp()
            except ValueError:  # a form its parser does not read (T24:00:00): the clock's
                local.sent_at = time.time()
        return duplicate

    def _sixteenth_receipt(self, receipt, duplicate: bool):
        if self.defect == "new-resident-receipted-accepted" and not duplicate and \
                getattr(self._sixteenth_local(), "new", False):
            receipt.find(f"{{{PFR}}}Status").text = "accepted"
        return receipt

    # --- applying a change ----------------------------------------------------------------------

    def _sixteenth_name(self, number: str, name: str) -> str:
        d = self.defect
        if d == "sjis-5c-escape-eaten":
            return sjis_5c_eaten(name)
        if d == "stores-name-whitespace-collapsed":  # xs:token's collapse, by its JAXB binding
            return re.sub("[ \t\r\n]+", " ", name).strip(" \t\r\n")
        if d == "stores-latin-upper-cased":  # an EBCDIC katakana code page: no a-z
            return name.translate(_LOWER_LATIN)
        if d == "dash-like-unified-to-choon" and self.role == "subscriber":
            return name.translate(DASHES_TO_CHOON)
        if d == "long-name-overflow-written-after-receipt" and len(name) > 20:
            threading.Thread(target=self._sixteenth_overflow, args=(number, name),
                             daemon=True).start()
            return name[:20]  # the row's column; the rest goes to the overflow later
        return name

    def _sixteenth_overflow(self, number: str, name: str) -> None:
        """long-name-overflow-written-after-receipt: the overflow writer, after the receipt."""
        time.sleep(1.5)
        with self.lock:
            self.conn.execute("UPDATE resident SET name = ? WHERE number = ?", (name, number))

    def _sixteenth_last(self, number: str, sequence: int, last):
        if self.defect != "watermark-restored-from-log-tail":
            return last
        # every change received is logged (applied or not); the check reads the watermark the
        # process keeps, loaded at start-up from the log's last row per resident
        self.conn.execute("INSERT INTO sixteenth_log (number, sequence) VALUES (?, ?)",
                          (number, sequence))
        return self.sixteenth["marks"].get(number, 0)

    def _sixteenth_skip(self, number: str) -> bool:
        if self.defect != "changes-ordered-by-sent-at":
            return False
        row = self.conn.execute("SELECT sent_at FROM sixteenth_sent WHERE number = ?",
                                (number,)).fetchone()
        return row is not None and self._sixteenth_local().sent_at < row[0]  # last writer wins

    def _sixteenth_applied(self, number: str, sequence: int) -> None:
        d = self.defect
        if d == "watermark-restored-from-log-tail":
            marks = self.sixteenth["marks"]
            marks[number] = max(marks.get(number, 0), sequence)
        if d == "changes-ordered-by-sent-at":
            self.conn.execute("INSERT OR REPLACE INTO sixteenth_sent VALUES (?, ?)",
                              (number, self._sixteenth_local().sent_at))


__all__ = ["DASHES_TO_CHOON", "SixteenthStore", "sjis_5c_eaten"]
