"""Vendor C's native store (国民健康保険システム, SQLite).

Its own layout: the 被保険者 table (one row per person the 国保 system knows: 被保険者, 資格取得候補
and former 被保険者) with カナ氏名 in half-width katakana, 漢字氏名, a one-line 住所, 生年月日 as
"yyyy/mm/dd", and the qualification in vendor C's codes — 資格区分 0 候補, 1 被保険者, 8 候補取消,
9 喪失; 取得事由 01 転入, 02 出生, 03 職権; 喪失事由 11 転出, 12 死亡, 19 その他消除; dates
yyyymmdd. The 異動処理履歴 logs every change of every 異動通知 and what vendor C did with it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path

from adapters.sdk.seed import DEMO_LOCAL_GOV_CODE, with_m11_check
from adapters.sdk.upsert import upsert

DEMO_INSURER_NUMBER = "139998"  # fictional 保険者番号 of the demo municipality

INSURED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("被保険者ID", "INTEGER PRIMARY KEY AUTOINCREMENT"),  # vendor C's own key
    ("宛名番号", "TEXT NOT NULL UNIQUE"),
    ("世帯番号", "TEXT NOT NULL"),
    ("カナ氏名", "TEXT"),  # 半角カタカナ, 氏 and 名 separated by a space
    ("漢字氏名", "TEXT NOT NULL"),
    ("生年月日", "TEXT NOT NULL"),  # yyyy/mm/dd
    ("性別", "TEXT NOT NULL"),  # 1 男 / 2 女
    ("住所", "TEXT NOT NULL"),  # one line, 丁目 in full-width digits
    ("資格区分", "TEXT NOT NULL"),  # 0 候補, 1 被保険者, 8 候補取消, 9 喪失
    ("資格取得日", "TEXT"),  # yyyymmdd
    ("取得事由", "TEXT"),
    ("資格喪失日", "TEXT"),  # yyyymmdd
    ("喪失事由", "TEXT"),
    ("候補登録日", "TEXT"),  # yyyymmdd: when the 異動 made them a candidate
    ("更新日時", "TEXT"),
)
INSURED_COLUMN_NAMES = tuple(c for c, _ in INSURED_COLUMNS)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS "被保険者" ({", ".join(f"{_q(c)} {d}" for c, d in INSURED_COLUMNS)});
CREATE INDEX IF NOT EXISTS "被保険者_世帯番号" ON "被保険者" ("世帯番号");
CREATE TABLE IF NOT EXISTS "異動処理履歴" (
    "処理番号" INTEGER PRIMARY KEY AUTOINCREMENT, "宛名番号" TEXT NOT NULL,
    "異動連番" INTEGER NOT NULL, "異動事由" TEXT NOT NULL, "メッセージID" TEXT NOT NULL,
    "処理結果" TEXT NOT NULL, "処理日時" TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS "異動処理履歴_宛名番号" ON "異動処理履歴" ("宛名番号", "異動連番");
"""


def write_insured(conn: sqlite3.Connection, row: Mapping[str, object]) -> str:
    """Update the columns a 被保険者 row carries, by 宛名番号, or insert it as a new person (who
    then needs every NOT NULL column: adapters.sdk.upsert.IncompleteRow). No commit."""
    unknown = set(row) - set(INSURED_COLUMN_NAMES)
    if unknown:
        raise KeyError(f"not columns of 被保険者: {sorted(unknown)}")
    return upsert(conn, "被保険者", ("宛名番号",), {c: v for c, v in row.items()
                                                  if c != "被保険者ID"})


class KokuhoStore:
    """Vendor C's database; one connection behind a lock (handlers run in worker threads)."""

    def __init__(self, conn: sqlite3.Connection, local_gov_code: str = DEMO_LOCAL_GOV_CODE,
                 insurer_number: str = DEMO_INSURER_NUMBER):
        self._conn = conn
        self._lock = threading.RLock()
        self.local_gov_code = local_gov_code
        self.insurer_number = insurer_number  # 保険者番号
        conn.row_factory = sqlite3.Row
        conn.executescript(_SCHEMA)

    @classmethod
    def open(cls, path: str | Path = ":memory:", **kwargs) -> KokuhoStore:
        return cls(sqlite3.connect(str(path), timeout=30, check_same_thread=False), **kwargs)

    @property
    def conn(self) -> sqlite3.Connection:
        return self._conn

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def close(self) -> None:
        self._conn.close()

    def insured(self, addressee_number: str) -> dict | None:
        with self._lock:
            row = self._conn.execute('SELECT * FROM "被保険者" WHERE "宛名番号" = ?',
                                     (addressee_number,)).fetchone()
        return None if row is None else dict(row)

    def all_insured(self) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._conn.execute(
                'SELECT * FROM "被保険者" ORDER BY "宛名番号"')]

    def upsert_insured(self, row: Mapping[str, object]) -> None:
        with self._lock, self._conn:
            write_insured(self._conn, row)

    def processed_changes(self, addressee_number: str | None = None) -> list[dict]:
        """The 異動処理履歴, in the order processed."""
        with self._lock:
            return [dict(r) for r in self._conn.execute(
                'SELECT * FROM "異動処理履歴" WHERE ? IS NULL OR "宛名番号" = ? '
                'ORDER BY "処理番号"', (addressee_number, addressee_number))]


# --- seed data: fictional 国保 被保険者 of 千代田区 (宛名番号 shared with the registry) ---------

SEED_INSURED: tuple[dict, ...] = (
    {"宛名番号": with_m11_check(1004), "世帯番号": with_m11_check(5002),
     "カナ氏名": "ﾀｶﾊｼ ｹﾝｲﾁ", "漢字氏名": "髙橋健一", "生年月日": "1975/02/28", "性別": "1",
     "住所": "東京都千代田区神田神保町１丁目3番地", "資格区分": "1", "資格取得日": "19980310",
     "取得事由": "01"},
    {"宛名番号": with_m11_check(1005), "世帯番号": with_m11_check(5002),
     "カナ氏名": "ﾀｶﾊｼ ﾐｻｷ", "漢字氏名": "髙橋美咲", "生年月日": "1978/09/09", "性別": "2",
     "住所": "東京都千代田区神田神保町１丁目3番地", "資格区分": "1", "資格取得日": "20030501",
     "取得事由": "01"},
    {"宛名番号": with_m11_check(1006), "世帯番号": with_m11_check(5003),
     "カナ氏名": "ﾛｯｼ ｳﾞｨｵﾗ", "漢字氏名": "ROSSI VIOLA", "生年月日": "1995/12/24", "性別": "2",
     "住所": "東京都千代田区麹町３丁目5番地1\u3000麹町ハイツ301号", "資格区分": "1",
     "資格取得日": "20230110", "取得事由": "01"},
    {"宛名番号": with_m11_check(1007), "世帯番号": with_m11_check(5004),
     "カナ氏名": "ﾖｼﾀﾞ ｲﾁﾛｳ", "漢字氏名": "\U00020BB7田一郎", "生年月日": "1970/07/07",
     "性別": "1", "住所": "東京都千代田区永田町２丁目10番地", "資格区分": "9",
     "資格取得日": "20000401", "取得事由": "01", "資格喪失日": "20240401", "喪失事由": "11"},
    # the edges of the 宛名番号's value domain (the conformance suite's P-DOMAIN-02): the most
    # leading zeros and the largest of the registry's numbers, each alone in a household
    {"宛名番号": with_m11_check(1), "世帯番号": with_m11_check(2),
     "カナ氏名": "ﾌｸﾀﾞ ﾊﾅ", "漢字氏名": "福田ハナ", "生年月日": "1990/01/01", "性別": "2",
     "住所": "東京都千代田区神田須田町１丁目１２番地", "資格区分": "1", "資格取得日": "20150401",
     "取得事由": "01"},
    {"宛名番号": with_m11_check(999_999_999), "世帯番号": with_m11_check(999_999_990),
     "カナ氏名": "ﾂﾂﾞｷ ﾕｷ", "漢字氏名": "都筑ユキ", "生年月日": "1985/05/05", "性別": "2",
     "住所": "東京都千代田区神田須田町１丁目３番地", "資格区分": "1", "資格取得日": "20160401",
     "取得事由": "01"},
)


def seed(store: KokuhoStore) -> None:
    """Fill the 被保険者 table with the fictional rows not there yet (idempotent): ``--seed`` is
    given at every start, and a start must not undo what the notices applied since (a restart
    changes no observation: docs/notices.md, S-HELD-01)."""
    for row in SEED_INSURED:
        if store.insured(str(row["宛名番号"])) is None:
            store.upsert_insured(row)
