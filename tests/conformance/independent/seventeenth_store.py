"""The seventeenth blind batch's subscriber side (the notice store and the notice mapper):
``SeventeenthStore`` is mixed into ``Adapter`` through ``SeventeenthBatch`` (seventeenth.py, which
declares the batch and says who wrote it and from what). Every hook here changes nothing unless
``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .standard import CMN, JUKI, PFH, PFR, SOAP12, Refusal

# seen-ids-bloom-filter-trusted: the filter in front of the seen table (1,024 bits, 3 hashes)
BLOOM_BITS, BLOOM_HASHES = 1024, 3
_INT32_MAX = 2**31 - 1
_KATAKANA_TO_HIRAGANA = {c: c - 0x60 for c in range(0x30A1, 0x30F7)}
_STORE_TABLES = ("CREATE TABLE IF NOT EXISTS seen (message_id TEXT PRIMARY KEY);"
                 "CREATE TABLE IF NOT EXISTS resident (number TEXT PRIMARY KEY, name TEXT, "
                 "last_sequence INTEGER, changes_applied INTEGER);")
_SIDE_TABLES = {
    "sequence-per-fiscal-year": "CREATE TABLE IF NOT EXISTS seventeenth_fy (number TEXT, "
                                "fy INTEGER, last INTEGER, PRIMARY KEY (number, fy));",
    "same-name-and-birth-refused": "CREATE TABLE IF NOT EXISTS seventeenth_persons (number TEXT "
                                   "PRIMARY KEY, name TEXT, born TEXT);",
    "resident-view-rebuilt-newest-first": "CREATE TABLE IF NOT EXISTS seventeenth_journal (id "
                                          "INTEGER PRIMARY KEY, number TEXT, name TEXT, "
                                          "sequence INTEGER);",
}


def bloom_bits(message_id: str) -> list[int]:
    """The filter's bit positions of one MessageId."""
    return [int.from_bytes(hashlib.sha256(f"{i}:{message_id}".encode()).digest()[:4], "big")
            % BLOOM_BITS for i in range(BLOOM_HASHES)]


def collation_key(text: str) -> str:
    """What a case-, width- and kana-insensitive collation (Japanese_CI_AS) compares: ﾏﾘｱ, マリア
    and まりあ are equal, so are ROSSI and Rossi."""
    return unicodedata.normalize("NFKC", text).translate(_KATAKANA_TO_HIRAGANA).casefold()


def fiscal_year(text: str | None) -> int:
    """年度 of a date: April to March (2025-03-31 is 2024年度, 2025-04-01 2025年度)."""
    try:
        day = dt.date.fromisoformat((text or "").strip()[:10])
    except ValueError:  # a form the vendor's parser does not read: its "unknown" year
        return 0
    return day.year if day.month >= 4 else day.year - 1


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip()[:10]) if text else None
    except ValueError:
        return None


def _internal(what: str, mid) -> Refusal:
    return Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice could not be stored",
                   [("vendor:store", what)], mid)


def _q(*names: str) -> str:
    """A path of juki/cmn names below a juki:Change, e.g. _q("Resident", "Name") (Clark)."""
    return "/".join(f"{{{JUKI if n in ('Resident', 'Event', 'Sequence') else CMN}}}{n}"
                    for n in names)


class SeventeenthStore:
    """The seventeenth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    db: Path | None
    lock: threading.Lock
    conn: sqlite3.Connection
    seventeenth: dict

    def _seventeenth_local(self) -> threading.local:
        """What one notice's later hooks read: kept per thread (one thread per request)."""
        local = self.seventeenth.get("local")
        if local is None:
            local = self.seventeenth["local"] = threading.local()
        return local

    # --- the store at start-up ------------------------------------------------------------------

    def _seventeenth_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect or ""
        self._seventeenth_local()
        if d in _SIDE_TABLES:
            conn.executescript(_SIDE_TABLES[d])
        if d == "seen-ids-bloom-filter-trusted":  # the filter is rebuilt from the table
            bloom = 0
            for (mid,) in conn.execute("SELECT message_id FROM seen"):
                for bit in bloom_bits(mid):
                    bloom |= 1 << bit
            self.seventeenth["bloom"] = bloom
        if d == "resident-view-rebuilt-newest-first":
            # the resident table is a view of the change journal, rebuilt at every start: read
            # newest first and upserted, so the last write — the OLDEST change — wins
            conn.execute("BEGIN IMMEDIATE")
            for number, name, sequence in conn.execute(
                    "SELECT number, name, sequence FROM seventeenth_journal "
                    "ORDER BY id DESC").fetchall():
                conn.execute("UPDATE resident SET name = ?, last_sequence = ? WHERE number = ?",
                             (name, sequence, number))
            conn.execute("COMMIT")

    @contextmanager
    def _seventeenth_store(self, soap: str) -> Iterator[None]:
        """Around one notice's work under the store's lock: soap12-endpoint-store-default-memory
        gives the SOAP 1.2 endpoint its own store, the configuration's default (":memory:")."""
        if self.defect != "soap12-endpoint-store-default-memory" or soap != SOAP12:
            yield
            return
        memory = self.seventeenth.get("memory")
        if memory is None:
            memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            memory.executescript(_STORE_TABLES)
            self.seventeenth["memory"] = memory
        main, self.conn = self.conn, memory
        try:
            yield
        finally:
            self.conn = main

    # --- the notice mapper, before the rules beyond XSD -----------------------------------------

    def _seventeenth_notice_checks(self, header, body, mid) -> None:
        d = self.defect
        if d == "standard-version-pinned-refused" and \
                header.findtext(f"{{{PFH}}}StandardVersion") != "1.0":
            raise Refusal("PF-HEADER-INVALID", "client", "the header is invalid",
                          [("header:standard_version", "StandardVersion must be 1.0")], mid)
        changes = body.findall(f"{{{JUKI}}}Change")
        if d == "late-notification-refused":
            for change in changes:
                occurred = _date(change.findtext(_q("Event", "OccurredOn")))
                notified = _date(change.findtext(_q("Event", "NotifiedOn")))
                if occurred and notified and (notified - occurred).days > 14:
                    raise Refusal("PF-RULE-VIOLATION", "client", "a rule beyond XSD is broken",
                                  [("vendor:notified_on", "届出 more than 14 days after the "
                                                          "異動 (届出期間経過)")], mid)
        if d == "address-code-int32-internal":
            for el in body.iter(f"{{{CMN}}}AddressCode"):
                if int((el.text or "0").strip()) > _INT32_MAX:
                    raise _internal("integer out of range: 住所コード", mid)
        if d == "same-name-and-birth-refused":
            self._seventeenth_same_person(changes, mid)
        if d == "watermark-cached-before-rules":
            self._seventeenth_map_watermarks(changes)

    def _seventeenth_same_person(self, changes: list, mid) -> None:
        """same-name-and-birth-refused: the 二重登録 index UNIQUE (氏名, 生年月日)."""
        seen: dict[tuple[str, str], str] = {}
        with self.lock:
            for change in changes:
                number = change.findtext(_q("Resident", "AddresseeNumber"))
                person = (change.findtext(_q("Resident", "Name", "Text")) or "",
                          (change.findtext(_q("Resident", "DateOfBirth")) or "").strip()[:10])
                other = self.conn.execute(
                    "SELECT number FROM seventeenth_persons WHERE name = ? AND born = ? AND "
                    "number <> ?", (*person, number)).fetchone()
                if other is not None or seen.setdefault(person, number) != number:
                    raise _internal("UNIQUE constraint failed: persons.name, persons.born", mid)

    def _seventeenth_map_watermarks(self, changes: list) -> None:
        """watermark-cached-before-rules: each change is judged against the resident objects of
        the vendor's cache as it is mapped, and the cache takes its 異動連番 there and then — before
        the rules run, and whatever becomes of the notice."""
        fresh = set()
        with self.lock:
            cache = self.seventeenth.setdefault("watermarks", {})
            for change in changes:
                number = change.findtext(_q("Resident", "AddresseeNumber"))
                sequence = int(change.findtext(f"{{{JUKI}}}Sequence"))
                if number not in cache:
                    row = self._row(number)  # the store's row (Subscriber._row)
                    cache[number] = row[2] if row else 0
                if sequence > cache[number]:
                    fresh.add((number, sequence))
                    cache[number] = sequence
        self._seventeenth_local().fresh = fresh

    # --- de-duplication and the receipt ---------------------------------------------------------

    def _seventeenth_seen(self, mid: str) -> bool | None:
        if self.defect == "seen-ids-bloom-filter-trusted" and \
                all(self.seventeenth["bloom"] >> bit & 1 for bit in bloom_bits(mid)):
            return True  # "maybe seen" taken for seen: the table is not asked
        return None

    def _seventeenth_marked(self, mid: str) -> None:
        if self.defect == "seen-ids-bloom-filter-trusted":
            for bit in bloom_bits(mid):
                self.seventeenth["bloom"] |= 1 << bit

    def _seventeenth_receipt(self, receipt, duplicate: bool):
        if self.defect == "duplicate-receipt-template-whitespace" and duplicate:
            for el in receipt:  # the de-duplication filter's canned receipt, an indented template
                if el.tag in (f"{{{PFR}}}MessageId", f"{{{PFR}}}Status"):
                    el.text = f"\n      {el.text}\n    "
        return receipt

    # --- applying a change ----------------------------------------------------------------------

    def _seventeenth_name(self, change, name: str, row) -> str:
        d = self.defect
        if d == "stores-kana-when-kanji-unstorable":
            try:
                name.encode("shift_jis")  # the 氏名 column: JIS X 0208
            except UnicodeEncodeError:
                kana = change.find(_q("Resident", "Name", "Kana"))
                parts = [t for t in (kana.findtext(f"{{{CMN}}}Family"),
                                     kana.findtext(f"{{{CMN}}}Given")) if t] \
                    if kana is not None else []
                return "\u3000".join(parts) or name
        if d == "name-update-skipped-width-insensitive" and row is not None and \
                row[1] != name and collation_key(row[1]) == collation_key(name):
            return row[1]  # UPDATE … SET name = ? WHERE number = ? AND name <> ?: no row matched
        return name

    def _seventeenth_last(self, change, number: str, last):
        if self.defect != "sequence-per-fiscal-year":
            return last
        row = self.conn.execute("SELECT last FROM seventeenth_fy WHERE number = ? AND fy = ?",
                                (number, fiscal_year(change.findtext(_q("Event", "OccurredOn")))
                                 )).fetchone()
        return row[0] if row else 0

    def _seventeenth_skip(self, change, row) -> bool:
        d = self.defect
        if d == "registration-of-held-resident-ignored" and row is not None and \
                (change.findtext(_q("Event", "Reason")) or "").startswith("A"):
            return True  # 記載 is an INSERT OR IGNORE: the row exists, nothing is written
        if d == "watermark-cached-before-rules":
            key = (change.findtext(_q("Resident", "AddresseeNumber")),
                   int(change.findtext(f"{{{JUKI}}}Sequence")))
            return key not in getattr(self._seventeenth_local(), "fresh", set())
        return False

    def _seventeenth_applied(self, change, number: str, name: str, sequence: int) -> None:
        d = self.defect
        if d == "sequence-per-fiscal-year":
            self.conn.execute("INSERT OR REPLACE INTO seventeenth_fy VALUES (?, ?, ?)",
                              (number, fiscal_year(change.findtext(_q("Event", "OccurredOn"))),
                               sequence))
        if d == "same-name-and-birth-refused":
            self.conn.execute("INSERT OR REPLACE INTO seventeenth_persons VALUES (?, ?, ?)",
                              (number, change.findtext(_q("Resident", "Name", "Text")),
                               (change.findtext(_q("Resident", "DateOfBirth")) or "")
                               .strip()[:10]))
        if d == "resident-view-rebuilt-newest-first":
            self.conn.execute("INSERT INTO seventeenth_journal (number, name, sequence) "
                              "VALUES (?, ?, ?)", (number, name, sequence))


__all__ = ["BLOOM_BITS", "BLOOM_HASHES", "SeventeenthStore", "bloom_bits", "collation_key",
           "fiscal_year"]
