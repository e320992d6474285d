"""Vendor B's native store (個人住民税システム, SQLite).

Its own layout: the 宛名 table keeps 名前1/名前2 in katakana, 名前(漢字), 町名, 丁 in kanji
numerals ("二"), 生年月日 as an 8-digit integer, 性別 as M/F; the 課税台帳 keeps one row per
宛名番号 and 課税年度 with the vendor's 課税区分 letters (K 課税, H 非課税, M 未申告) and the
levies in yen. Residents arrive from the registry (住民照会, and 異動通知 applied by
``notices``); 消除 is vendor B's own 消除区分/消除日; the 異動適用履歴 logs every change applied.
Taxation is the vendor's own data.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path

from adapters.sdk.seed import DEMO_LOCAL_GOV_CODE, with_m11_check
from adapters.sdk.upsert import upsert, upsert_many

ADDRESSEE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("宛名番号", "TEXT PRIMARY KEY"),
    ("個人番号", "TEXT"),
    ("世帯番号", "TEXT"),
    ("名前1", "TEXT"),  # 氏 (カタカナ)
    ("名前2", "TEXT"),  # 名 (カタカナ)
    ("名前(漢字)", "TEXT NOT NULL"),
    ("生年月日", "INTEGER NOT NULL"),  # yyyymmdd
    ("性別", "TEXT NOT NULL"),  # M / F
    ("続柄", "TEXT"),  # standard 続柄 code, as received
    ("住民種別", "TEXT"),  # standard code, as received
    ("住民状態", "TEXT"),  # standard code, as received
    ("郵便番号", "TEXT"),  # 7 digits
    ("都道府県", "TEXT"),
    ("市区町村", "TEXT"),
    ("町名", "TEXT"),
    ("丁", "TEXT"),  # 漢数字
    ("番地", "TEXT"),
    ("方書", "TEXT"),
    ("世帯主名", "TEXT"),
    ("取得日時", "TEXT"),  # when it was last taken from the registry (UTC, ISO 8601)
    ("消除区分", "TEXT"),  # vendor B's own: T 転出, D 死亡, S 職権消除, Z その他; NULL = 在籍
    ("消除日", "INTEGER"),  # yyyymmdd of the 消除
    ("最終異動日", "INTEGER"),  # yyyymmdd of the last 異動 applied from a notice
)
ADDRESSEE_COLUMN_NAMES = tuple(c for c, _ in ADDRESSEE_COLUMNS)
TAXATION_COLUMN_NAMES = ("宛名番号", "課税年度", "課税区分", "市町村民税所得割額",
                         "市町村民税均等割額", "道府県民税所得割額", "道府県民税均等割額")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS "宛名" ({", ".join(f"{_q(c)} {d}" for c, d in ADDRESSEE_COLUMNS)});
CREATE TABLE IF NOT EXISTS "課税台帳" (
    "宛名番号" TEXT NOT NULL, "課税年度" INTEGER NOT NULL, "課税区分" TEXT NOT NULL,
    "市町村民税所得割額" INTEGER, "市町村民税均等割額" INTEGER,
    "道府県民税所得割額" INTEGER, "道府県民税均等割額" INTEGER,
    PRIMARY KEY ("宛名番号", "課税年度"));
CREATE TABLE IF NOT EXISTS "異動適用履歴" (
    "適用番号" INTEGER PRIMARY KEY AUTOINCREMENT, "宛名番号" TEXT NOT NULL,
    "異動連番" INTEGER NOT NULL, "異動事由" TEXT NOT NULL, "メッセージID" TEXT NOT NULL,
    "適用結果" TEXT NOT NULL, "適用日時" TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS "異動適用履歴_宛名番号" ON "異動適用履歴" ("宛名番号", "異動連番");
"""
# columns added after the first release: added to older files when opened
_ADDED_COLUMNS = ("消除区分", "消除日", "最終異動日")


class TaxStore:
    """Vendor B's database; one connection behind a lock (handlers may run in worker threads)."""

    def __init__(self, conn: sqlite3.Connection, local_gov_code: str = DEMO_LOCAL_GOV_CODE):
        self._conn = conn
        self._lock = threading.RLock()
        self.local_gov_code = local_gov_code  # 団体コード
        conn.row_factory = sqlite3.Row
        conn.executescript(_SCHEMA)
        present = {r[1] for r in conn.execute('PRAGMA table_info("宛名")')}
        declared = dict(ADDRESSEE_COLUMNS)
        for column in _ADDED_COLUMNS:
            if column not in present:
                conn.execute(f'ALTER TABLE "宛名" ADD COLUMN {_q(column)} {declared[column]}')
        conn.commit()

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, for work done in one transaction (hold ``lock`` around it)."""
        return self._conn

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    @classmethod
    def open(cls, path: str | Path = ":memory:", *,
             local_gov_code: str = DEMO_LOCAL_GOV_CODE) -> TaxStore:
        """Open (creating the tables if needed) the store at ``path``."""
        return cls(sqlite3.connect(str(path), timeout=30, check_same_thread=False),
                   local_gov_code)

    def close(self) -> None:
        self._conn.close()

    def _one(self, sql: str, args: tuple) -> dict | None:
        with self._lock:
            row = self._conn.execute(sql, args).fetchone()
        return None if row is None else dict(row)

    def addressee(self, addressee_number: str) -> dict | None:
        return self._one('SELECT * FROM "宛名" WHERE "宛名番号" = ?', (addressee_number,))

    def addressees(self) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._conn.execute('SELECT * FROM "宛名" ORDER BY "宛名番号"')]

    def taxation(self, addressee_number: str, fiscal_year: int) -> dict | None:
        return self._one('SELECT * FROM "課税台帳" WHERE "宛名番号" = ? AND "課税年度" = ?',
                         (addressee_number, fiscal_year))

    def upsert_addressee(self, row: Mapping[str, object]) -> None:
        """Insert one 宛名 row or update the columns it carries (others are kept), stamping
        取得日時 when the row does not carry one."""
        with self._lock, self._conn:
            write_addressee(self._conn, row)

    def applied_changes(self, addressee_number: str | None = None) -> list[dict]:
        """The 異動適用履歴 (every change a notice carried, in the order applied)."""
        with self._lock:
            return [dict(r) for r in self._conn.execute(
                'SELECT * FROM "異動適用履歴" WHERE ? IS NULL OR "宛名番号" = ? '
                'ORDER BY "適用番号"', (addressee_number, addressee_number))]

    def upsert_taxation(self, row: Mapping[str, object]) -> None:
        self._upsert("課税台帳", TAXATION_COLUMN_NAMES, row)

    def _upsert(self, table: str, columns: tuple[str, ...], row: Mapping[str, object]) -> None:
        sql = (f"INSERT OR REPLACE INTO {_q(table)} ({', '.join(map(_q, columns))}) "
               f"VALUES ({', '.join('?' * len(columns))})")
        with self._lock, self._conn:
            self._conn.execute(sql, tuple(row.get(c) for c in columns))


def write_addressee(conn: sqlite3.Connection, row: Mapping[str, object]) -> None:
    """Upsert a 宛名 row on ``conn`` without committing (the caller owns the transaction):
    adapters.sdk.upsert, so a partial row updates a known person and never fails on a NOT NULL
    column it does not carry."""
    unknown = set(row) - set(ADDRESSEE_COLUMN_NAMES)
    if unknown:
        raise KeyError(f"not columns of 宛名: {sorted(unknown)}")
    row = dict(row)
    row.setdefault("取得日時", dt.datetime.now(dt.timezone.utc).isoformat())
    # Only the columns given are updated; a new person needs every NOT NULL column.
    upsert(conn, "宛名", ("宛名番号",), row)


def write_addressees(conn: sqlite3.Connection, rows: list[Mapping[str, object]]) -> None:
    """``write_addressee`` for each of ``rows`` (a 全件 page) on ``conn``, without committing:
    one statement for the page (adapters.sdk.upsert.upsert_many), one 取得日時 for the rows
    that carry none (they were taken from the registry in one answer)."""
    known = set(ADDRESSEE_COLUMN_NAMES)
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    stamped = []
    for row in rows:
        if not row.keys() <= known:
            raise KeyError(f"not columns of 宛名: {sorted(set(row) - known)}")
        stamped.append(row if "取得日時" in row else {**row, "取得日時": now})
    upsert_many(conn, "宛名", ("宛名番号",), stamped)


# --- seed data: fictional 課税台帳 of 千代田区 ------------------------------------------------
# 宛名番号 are the municipality's shared numbering (統合宛名), so they match vendor A's records.
# 均等割 (yen, 区市町村民税 / 道府県民税): 3,500 / 1,500 up to FY2023 (incl. the reconstruction
# surcharge), 3,000 / 1,000 from FY2024. 所得割 rates in Tokyo's wards: 6 % and 4 %.

def _taxation(serial: int, category: str, income_levy: int | None, *, year: int = 2024,
              per_capita: bool = True) -> dict:
    municipal, prefectural = (3000, 1000) if year >= 2024 else (3500, 1500)
    return {"宛名番号": with_m11_check(serial), "課税年度": year, "課税区分": category,
            "市町村民税所得割額": income_levy,
            "市町村民税均等割額": municipal if per_capita else 0,
            "道府県民税所得割額": None if income_levy is None else income_levy * 2 // 3,
            "道府県民税均等割額": prefectural if per_capita else 0}


SEED_TAXATION: tuple[dict, ...] = (
    _taxation(1001, "K", 186_000),  # 総務翔子
    _taxation(1001, "K", 171_000, year=2023),  # 総務翔子, the year before
    _taxation(1002, "K", 204_600),  # 総務大輔
    _taxation(1004, "K", 312_000),  # 髙橋健一
    _taxation(1005, "H", 0, per_capita=False),  # 髙橋美咲: 非課税
    {"宛名番号": with_m11_check(1006), "課税年度": 2024, "課税区分": "M",  # 未申告: no amounts
     "市町村民税所得割額": None, "市町村民税均等割額": None,
     "道府県民税所得割額": None, "道府県民税均等割額": None},
    # the edges of the 宛名番号's value domain (the conformance suite's P-DOMAIN-02): the most
    # leading zeros and the largest of the registry's numbers
    _taxation(1, "K", 98_400),  # 福田ﾊﾅ, 0000000019
    _taxation(999_999_999, "K", 150_000),  # 都筑ﾕｷ, 9999999996
)


def seed(store: TaxStore) -> None:
    """Fill the 課税台帳 with the fictional FY2024 taxation (idempotent). The 宛名 table stays
    empty: residents come from the registry through 住民照会."""
    for row in SEED_TAXATION:
        store.upsert_taxation(row)
