"""Vendor A's native store (住民基本台帳システム, SQLite).

The layout is the vendor's, not the standard's: Japanese column names (quoted identifiers),
names in hiragana (氏名1 氏, 氏名2 名) and kanji (氏名3), 住所1 = 町名, 住所2 = 丁 in arabic
numerals, 生年月日 as 和暦 text ("H02.04.01"), other dates as yyyymmdd, 性別・続柄・住民種別・
住民状態 as text labels ("女", "世帯主", "日本人", "住民"). Rows are plain dicts keyed by column.
A 異動 goes through ``record_change``: the row and its 異動通知 (``outbox``) in one transaction.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path

from adapters.sdk.seed import (DEMO_CITY, DEMO_LOCAL_GOV_CODE, DEMO_PREFECTURE,
                               individual_number, resident_code, with_m11_check)

from adapters.sdk.upsert import upsert
from bus.store.sqlite_wal import use_wal

from . import history as _history
from . import outbox as _outbox
from . import snapshot as _snapshot
from .snapshot import UnknownExtract

__all__ = ["RegistryStore", "UnknownExtract", "seed", "SEED_RESIDENTS"]

# (column, declaration) of the 住民 table, in the vendor's order.
RESIDENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("宛名番号", "TEXT PRIMARY KEY"),
    ("世帯番号", "TEXT NOT NULL"),
    ("住民票コード", "TEXT"),
    ("個人番号", "TEXT UNIQUE"),
    ("氏名1", "TEXT"),  # 氏 (ひらがな)
    ("氏名2", "TEXT"),  # 名 (ひらがな)
    ("氏名3", "TEXT NOT NULL"),  # 氏名 (漢字), as registered
    ("旧氏1", "TEXT"),  # 旧氏 (ひらがな)
    ("旧氏3", "TEXT"),  # 旧氏 (漢字)
    ("生年月日", "TEXT NOT NULL"),  # 和暦 "H02.04.01"
    ("性別", "TEXT NOT NULL"),
    ("続柄", "TEXT NOT NULL"),
    ("住民種別", "TEXT NOT NULL"),
    ("住民状態", "TEXT NOT NULL"),
    ("郵便番号", "TEXT"),  # "100-0013"
    ("住所コード", "TEXT"),
    ("都道府県", "TEXT NOT NULL"),
    ("市区町村", "TEXT NOT NULL"),
    ("住所1", "TEXT NOT NULL"),  # 町名
    ("住所2", "TEXT"),  # 丁 (算用数字)
    ("番地", "TEXT"),
    ("方書", "TEXT"),
    ("住民となった年月日", "TEXT"),  # yyyymmdd
    ("住定年月日", "TEXT"),  # 住所を定めた年月日, yyyymmdd
)
RESIDENT_COLUMN_NAMES = tuple(c for c, _ in RESIDENT_COLUMNS)
HOUSEHOLD_COLUMN_NAMES = ("世帯番号", "世帯主宛名番号", "世帯主氏名")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS "住民" ({", ".join(f"{_q(c)} {d}" for c, d in RESIDENT_COLUMNS)});
CREATE INDEX IF NOT EXISTS "住民_世帯番号" ON "住民" ("世帯番号");
CREATE TABLE IF NOT EXISTS "世帯" ("世帯番号" TEXT PRIMARY KEY, "世帯主宛名番号" TEXT,
                                   "世帯主氏名" TEXT);
CREATE TABLE IF NOT EXISTS "照会記録" ("記録日時" TEXT NOT NULL, "メッセージID" TEXT,
                                     "照会元" TEXT, "操作者ID" TEXT, "サービスID" TEXT,
                                     "宛名番号" TEXT);
"""


ACCESS_INSERT = 'INSERT INTO "照会記録" VALUES (?, ?, ?, ?, ?, ?)'


def access_row(*, message_id: str | None, requester: str | None, user_id: str | None,
               service_id: str | None, addressee_number: str | None) -> tuple:
    """A 照会記録 row (``ACCESS_INSERT``), stamped now (UTC): when the access happened."""
    return (dt.datetime.now(dt.timezone.utc).isoformat(), message_id, requester, user_id,
            service_id, addressee_number)


def _upsert_sql(table: str, columns: tuple[str, ...]) -> str:
    return (f"INSERT OR REPLACE INTO {_q(table)} ({', '.join(map(_q, columns))}) "
            f"VALUES ({', '.join('?' * len(columns))})")


class RegistryStore:
    """Vendor A's database. Thread-safe: one connection behind a lock (handlers may run in
    a server's worker threads)."""

    def __init__(self, conn: sqlite3.Connection, local_gov_code: str = DEMO_LOCAL_GOV_CODE):
        self._conn = conn
        self._lock = threading.RLock()
        self.local_gov_code = local_gov_code  # 団体コード of the municipality it serves
        conn.row_factory = sqlite3.Row
        conn.executescript(_SCHEMA + _outbox.SCHEMA + _history.SCHEMA)
        _snapshot.upgrade(conn)

    @classmethod
    def open(cls, path: str | Path = ":memory:", *,
             local_gov_code: str = DEMO_LOCAL_GOV_CODE) -> RegistryStore:
        """Open (creating the tables if needed) the store at ``path``. A file is put in WAL
        mode: the serving (publishing) process and a clerk's process share it."""
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        if str(path) != ":memory:":
            use_wal(conn, 30)
            # A 全件抽出 snapshot is copied while its reader holds the WAL open: the WAL grows by
            # the snapshot's size (~0.75 GB at 1,000,000 residents); shrink it afterwards.
            conn.execute("PRAGMA journal_size_limit = 67108864")
        return cls(conn, local_gov_code)

    @property
    def conn(self) -> sqlite3.Connection:
        return self._conn

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def close(self) -> None:
        self._conn.close()

    def _all(self, sql: str, args: tuple = ()) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._conn.execute(sql, args)]

    def resident_by_addressee_number(self, number: str) -> dict | None:
        rows = self._all('SELECT * FROM "住民" WHERE "宛名番号" = ?', (number,))
        return rows[0] if rows else None

    def resident_by_individual_number(self, number: str) -> dict | None:
        rows = self._all('SELECT * FROM "住民" WHERE "個人番号" = ?', (number,))
        return rows[0] if rows else None

    def household(self, household_number: str) -> dict | None:
        rows = self._all('SELECT * FROM "世帯" WHERE "世帯番号" = ?', (household_number,))
        return rows[0] if rows else None

    def household_members(self, household_number: str) -> list[dict]:
        """Every record of the household (消除者 included; each carries its 住民状態),
        世帯主 first, then by 宛名番号: a stable order."""
        return self._all('SELECT * FROM "住民" WHERE "世帯番号" = ? '
                         'ORDER BY "続柄" <> \'世帯主\', "宛名番号"', (household_number,))

    def as_of(self, row: dict, day: dt.date | None) -> dict | None:
        """Resident ``row`` as it was at the end of ``day`` (None: not a resident yet then).

        The 基準日 of a 住民照会 asks for the state on that day (juki-v1.xsd). Vendor A keeps
        住民状態 and 世帯番号 per 異動 (history.py), not names or addresses: those are today's.
        Before a record's first recorded 異動 (records loaded before history was kept) its
        current state stands, from the day it became a resident."""
        if day is None:
            return row
        became = row.get("住民となった年月日")
        # isoformat, not strftime("%Y…"): glibc writes year 999 as "999", which sorts after 2015
        if became and became > day.isoformat().replace("-", ""):
            return None
        with self._lock:
            state = _history.state_on(self._conn, row["宛名番号"], day)
        return row if state is None else {**row, **state}

    def household_members_on(self, household_number: str, day: dt.date | None) -> list[dict]:
        """The records of household ``household_number`` at the end of ``day`` (today's when
        None), each as it was then; 世帯主 first, then by 宛名番号."""
        if day is None:
            return self.household_members(household_number)
        with self._lock:
            ever = _history.households_of(self._conn, household_number)
        marks = ", ".join("?" * len(ever))
        rows = self._all(f'SELECT * FROM "住民" WHERE "世帯番号" = ? OR "宛名番号" IN ({marks}) '
                         'ORDER BY "続柄" <> \'世帯主\', "宛名番号"', (household_number, *ever))
        then = (self.as_of(r, day) for r in rows)
        return [r for r in then if r is not None and r["世帯番号"] == household_number]

    def residents(self) -> list[dict]:
        return self._all('SELECT * FROM "住民" ORDER BY "宛名番号"')

    def upsert_resident(self, row: Mapping[str, object]) -> None:
        """Insert or replace one 住民 row; unknown keys are an error, missing ones NULL."""
        unknown = set(row) - set(RESIDENT_COLUMN_NAMES)
        if unknown:
            raise KeyError(f"not columns of 住民: {sorted(unknown)}")
        self._upsert("住民", RESIDENT_COLUMN_NAMES, row)

    def upsert_household(self, row: Mapping[str, object]) -> None:
        self._upsert("世帯", HOUSEHOLD_COLUMN_NAMES, row)

    def _upsert(self, table: str, columns: tuple[str, ...], row: Mapping[str, object]) -> None:
        with self._lock, self._conn:
            self._conn.execute(_upsert_sql(table, columns), tuple(row.get(c) for c in columns))

    def record_change(self, row: Mapping[str, object], reason: str,
                      occurred_on: dt.date | str, *, notified_on: dt.date | str | None = None,
                      user_id: str = "juki-clerk", household: Mapping[str, object] | None = None,
                      characters=None) -> dict:
        """A 異動: write the resident ``row`` (its state after the change; and ``household``
        if given) AND its 異動通知 into the outbox, in one transaction. Returns the outbox row
        (異動連番, メッセージID…). Raises outbox.OutboxError (nothing written) when the notice
        would be invalid. ``characters``: the adapter's CharacterPolicy (its 外字 table), so
        that the notice carries MJ characters."""
        unknown = set(row) - set(RESIDENT_COLUMN_NAMES)
        if unknown:
            raise KeyError(f"not columns of 住民: {sorted(unknown)}")
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                # The row is the resident's whole state after the change; a new resident's
                # must carry every NOT NULL column (IncompleteRow, nothing written).
                upsert(self._conn, "住民", ("宛名番号",),
                       {c: row.get(c) for c in RESIDENT_COLUMN_NAMES})
                if household is not None:
                    upsert(self._conn, "世帯", ("世帯番号",),
                           {c: household.get(c) for c in HOUSEHOLD_COLUMN_NAMES})
                entry = _outbox.append(self._conn, row, reason, occurred_on,
                                      local_gov_code=self.local_gov_code, user_id=user_id,
                                      notified_on=notified_on, characters=characters)
                _history.append(self._conn, row, reason, _outbox.day(occurred_on),
                                None if notified_on is None else _outbox.day(notified_on))
                self._conn.commit()
            except BaseException:
                self._conn.rollback()
                raise
        return entry

    def outbox(self) -> _outbox.Outbox:
        """The 異動通知 outbox over this store's connection (for the publisher)."""
        return _outbox.Outbox(self._conn, self._lock)

    def log_access(self, **access: str | None) -> None:
        """照会記録: who looked at whom (the registry must be able to answer for every access);
        ``access_row``'s arguments. Committed (fsynced) before it returns."""
        with self._lock, self._conn:
            self._conn.execute(ACCESS_INSERT, access_row(**access))

    def access_log(self) -> list[dict]:
        return self._all('SELECT * FROM "照会記録" ORDER BY rowid')

    @property
    def path(self) -> str | None:
        """The database file, or None for a store in memory."""
        with self._lock:
            name = self._conn.execute("PRAGMA database_list").fetchone()[2]
        return name or None

    def create_extract(self, as_of: dt.date | None = None, *, requester: str | None = None,
                       request_id: str | None = None) -> tuple[str, int]:
        """Freeze the records of a 全件抽出 (those resident on or before ``as_of``, ordered by
        宛名番号) in one transaction, the caller waiting (snapshot.build_now; a serving process
        builds in batches off its reactor: extracts.py). With ``request_id``: the snapshot made
        for the same requester and request ID if there is one. Returns (id, count)."""
        with self._lock:
            _snapshot.prune(self._conn)
            made = _snapshot.build_now(self._conn, RESIDENT_COLUMN_NAMES, as_of, requester,
                                       request_id)
        return made.extract_id, made.count

    def extract_page(self, extract_id: str, page: int, page_size: int) -> tuple[int, list[dict]]:
        """(total count, rows of 1-based ``page``) of a frozen extract; raises UnknownExtract
        (or snapshot.ExtractNotReady for a page not built yet)."""
        with self._lock:
            return _snapshot.read_page(self._conn, extract_id, page, page_size)


# --- seed data: fictional residents of 千代田区 -------------------------------------------------

# The characters whose mapping differs between JIS X 0208 (Shift_JIS / EUC-JP decoders) and
# CP932: 〜 ‖ − ¢ £ ¬ ― as JIS maps them (a CP932 round trip makes them ～ ∥ － ￠ ￡ ￢; ― U+2015
# is JIS X 0213's — EM DASH U+2014), and ～ ∥ － as CP932 maps them (a Shift_JIS or EUC-JP
# decoder makes them 〜 ‖ −). ￠ ￡ ￢ are outside the catalog's repertoire, so never in the data.
LEGACY_JIS = "\u301c\u2016\u2212\u00a2\u00a3\u00ac\u2015"
LEGACY_CP932 = "\uff5e\u2225\uff0d"
# each text field also holds a CJK compatibility ideograph (NFC changes it) and half-width kana
# or full-width digits (NFKC changes them)
CP_TOWN_JIS = "\uFA1B田ﾏﾁ" + LEGACY_JIS
CP_TOWN_CP932 = "\uFA26筑ﾏﾁ" + LEGACY_CP932

_PLACES = {  # 町名 → 郵便番号
    "霞が関": "100-0013", "神田神保町": "101-0051", "麹町": "102-0083", "永田町": "100-0014",
    "\uFA19田小川町": "101-0052", CP_TOWN_JIS: "101-0054", CP_TOWN_CP932: "101-0047"}


def _resident(serial: int, household: int, kana: tuple[str, str | None], kanji: str, born: str,
              gender: str, relation: str, town: str, chome: str | None, banchi: str,
              since: str, *, mynumber: str, jumin: str, kind: str = "日本人",
              status: str = "住民", katagaki: str | None = None,
              former: tuple[str, str] | None = None) -> dict:
    return {
        "宛名番号": with_m11_check(serial), "世帯番号": with_m11_check(household),
        "住民票コード": resident_code(jumin), "個人番号": individual_number(mynumber),
        "氏名1": kana[0], "氏名2": kana[1], "氏名3": kanji,
        "旧氏1": former[0] if former else None, "旧氏3": former[1] if former else None,
        "生年月日": born, "性別": gender, "続柄": relation, "住民種別": kind, "住民状態": status,
        "郵便番号": _PLACES[town], "住所コード": None, "都道府県": DEMO_PREFECTURE,
        "市区町村": DEMO_CITY, "住所1": town, "住所2": chome, "番地": banchi, "方書": katagaki,
        "住民となった年月日": since, "住定年月日": since,
    }


SEED_RESIDENTS: tuple[dict, ...] = (
    # 総務翔子 (the seed's example) and her household, 霞が関2丁目
    _resident(1001, 5001, ("そうむ", "しょうこ"), "総務翔子", "H02.04.01", "女", "世帯主",
              "霞が関", "2", "1番2号", "20150401", mynumber="12345678901", jumin="1000000001"),
    _resident(1002, 5001, ("そうむ", "だいすけ"), "総務大輔", "S62.11.23", "男", "夫",
              "霞が関", "2", "1番2号", "20180601", mynumber="23456789012", jumin="1000000002"),
    _resident(1003, 5001, ("そうむ", "はると"), "総務陽翔", "R03.06.15", "男", "子",
              "霞が関", "2", "1番2号", "20210615", mynumber="34567890123", jumin="1000000003"),
    # 髙橋 (髙 outside JIS X 0208) household; the wife's 旧氏 葛西 with an MJ IVS (MJ022335)
    _resident(1004, 5002, ("たかはし", "けんいち"), "髙橋健一", "S50.02.28", "男", "世帯主",
              "神田神保町", "1", "3番地", "19980310", mynumber="45678901234", jumin="1000000004"),
    _resident(1005, 5002, ("たかはし", "みさき"), "髙橋美咲", "S53.09.09", "女", "妻",
              "神田神保町", "1", "3番地", "20030501", mynumber="56789012345", jumin="1000000005",
              former=("かさい", "葛\U000E0102西")),
    # a foreign resident: alphabet name, reading with ゔ and small kana
    _resident(1006, 5003, ("ろっし", "ゔぃおら"), "ROSSI VIOLA", "H07.12.24", "女", "世帯主",
              "麹町", "3", "5番地1", "20230110", mynumber="67890123456", jumin="1000000006",
              kind="外国人", katagaki="麹町ハイツ301号"),
    # 𠮷田 (U+20BB7, outside the BMP), moved out of the city (除票: 転出者)
    _resident(1007, 5004, ("よしだ", "いちろう"), "𠮷田一郎", "S45.07.07", "男", "世帯主",
              "永田町", "2", "10番地", "20000401", mynumber="78901234567", jumin="1000000007",
              status="転出者"),
    # characters that normalisation and legacy code pages change, as registered: 神 as the CJK
    # compatibility ideograph U+FA19 (NFC makes it U+795E), half-width katakana and full-width
    # digits (NFKC makes them full-width and ASCII), the minus sign U+2212 (a Shift_JIS → CP932
    # round trip makes it U+FF0D). Alone in her household.
    _resident(1021, 5021, ("かみや", "まりあ"), "\uFA19谷ﾏﾘｱ", "H10.03.03", "女", "世帯主",
              "\uFA19田小川町", "3", "１２番地\u22123", "20240501", mynumber="89012345678",
              jumin="1000000021", katagaki="ｶﾝﾀﾞﾊｲﾂ１０１号", former=("かんだ", "\uFA19田")),
    # IVS sequences at both ends of the selectors MJ uses, two in one name: 渡邉 with U+E011F
    # (MJ026193) and 俞 with U+E0100 (VS17, MJ006784). Alone in her household; she moved in on
    # 総務陽翔's day (a day of its own would add 全件 grid points: J-GRID-02's 基準日 per day).
    _resident(1031, 5031, ("わたなべ", "ゆうこ"), "渡邉\U000E011F俞\U000E0100子", "H05.05.05", "女",
              "世帯主", "麹町", "4", "2番地", "20210615", mynumber="90123456789",
              jumin="1000000031"),
    # the edges of the inquiry keys' value domains (docs/conformance-testing.md, P-DOMAIN-01), each alone
    # in her household, 宛名番号 in 千代田区's width (10 digits, examples/hub.toml): the smallest
    # 宛名番号 and 世帯番号 issued (eight leading zeros), a 個人番号 and a 住民票コード beginning
    # with 0 (a number column drops them) …
    _resident(1, 2, ("ふくだ", "はな"), "\uFA1B田ﾊﾅ" + LEGACY_JIS, "H12.02.29", "女",
              "世帯主", CP_TOWN_JIS, "1", "１２番地" + LEGACY_JIS, "20240901",
              mynumber="00012345678", jumin="0000000001",
              katagaki="ﾊｲﾂ\uFA1B１号" + LEGACY_JIS,
              former=("ふくい", "\uFA1B井ｲ" + LEGACY_JIS)),
    # … and the largest valid values: 宛名番号 9999999996 (a 32-bit column overflows), 個人番号
    # 999999999996; her text holds the CP932 side of each mapping difference
    _resident(999999999, 999999990, ("つづき", "ゆき"), "\uFA26筑ﾕｷ" + LEGACY_CP932,
              "R02.02.29", "女", "世帯主", CP_TOWN_CP932, "2", "３番地" + LEGACY_CP932,
              "20250301", mynumber="99999999999", jumin="9999999999",
              katagaki="ﾂﾂﾞｷ\uFA26２号" + LEGACY_CP932,
              former=("つつい", "\uFA26井ｲ" + LEGACY_CP932)),
)


def seed(store: RegistryStore) -> None:
    """Fill the store with the fictional 千代田区 residents (idempotent)."""
    for row in SEED_RESIDENTS:
        store.upsert_resident(row)
    for row in SEED_RESIDENTS:
        if row["続柄"] == "世帯主":
            store.upsert_household({"世帯番号": row["世帯番号"], "世帯主宛名番号": row["宛名番号"],
                                    "世帯主氏名": row["氏名3"]})
