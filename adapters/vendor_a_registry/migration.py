"""Vendor A's データ抽出: its registry exported to the 中間標準レイアウト (juki/pfbus-1).

Vendor A implements the SDK's ``Exporter`` over its own tables: 世帯 (with 世帯員数 counted from
住民), 住民 (labels → code-list codes, 和暦 → YYYYMMDD, hiragana → katakana, "100-0013" →
1000013, 住所2 → 丁目) and its 異動履歴 (kept for this purpose: the change history a registry
hands over). Names leave in vendor A's own characters; ``export_extract`` applies its 外字 table.

``populate`` fills a store with a synthetic municipality (any size, deterministic) for demos,
tests and benchmarks: households of one to four, names with vendor A's 外字, an MJ IVS character
kept as UCS + selector, readings, and a history that adds up to each record.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Mapping

from adapters.sdk.migration import Exporter, MigrationError
from adapters.sdk.seed import (DEMO_CITY, DEMO_PREFECTURE, individual_number, resident_code,
                               with_m11_check)
from adapters.sdk.text import hiragana_to_katakana, parse_arabic

from .mapping import _labels, wareki_to_date, date_to_wareki
from .store import SEED_RESIDENTS, RegistryStore

_COLUMN_LIST = {"性別": "gender", "続柄": "relationship", "住民種別": "resident_kind",
                "住民状態": "resident_status"}


@functools.cache
def _codes(column: str) -> dict[str, str]:
    """label → code of the standard code list vendor A stores labels of."""
    return {label: code for code, label in _labels(_COLUMN_LIST[column]).items()}


def _code(column: str, label: str, where: str) -> str:
    try:
        return _codes(column)[label]
    except KeyError:
        raise MigrationError(f"{where}: {column} holds a label that is not in code list "
                             f"{_COLUMN_LIST[column]}") from None


class VendorAExporter(Exporter):
    """Vendor A's registry as juki/pfbus-1 rows (the SDK writes the files)."""

    layout, version = "juki", "pfbus-1"

    def __init__(self, store: RegistryStore, producer: str = "vendor-a-juki"):
        self.store = store
        self.producer = producer
        self.local_gov_code = store.local_gov_code

    def rows(self, record: str) -> Iterator[Mapping[str, str | None]]:
        if record == "household":
            return self._households()
        if record == "resident":
            return self._residents()
        if record == "change":
            return self._changes()
        raise MigrationError(f"vendor A has no {record} records")

    def _cursor(self, sql: str):
        cur = self.store.conn.cursor()
        cur.row_factory = None  # tuples: a million rows are read one at a time
        return cur.execute(sql)

    def _households(self) -> Iterator[dict]:
        code = self.local_gov_code
        for number, head, head_name, members in self._cursor(
                'SELECT h."世帯番号", h."世帯主宛名番号", h."世帯主氏名", (SELECT count(*) FROM '
                '"住民" r WHERE r."世帯番号" = h."世帯番号" AND r."住民状態" = \'住民\') '
                'FROM "世帯" h ORDER BY h."世帯番号"'):
            yield {"団体コード": code, "世帯番号": number, "世帯主宛名番号": head,
                   "世帯主氏名": head_name, "世帯員数": str(members)}

    def _residents(self) -> Iterator[dict]:
        code = self.local_gov_code
        cols = ", ".join(f'"{c}"' for c in _RESIDENT_READ)
        for values in self._cursor(f'SELECT {cols} FROM "住民" ORDER BY "世帯番号", "宛名番号"'):
            row = dict(zip(_RESIDENT_READ, values, strict=True))
            where = f"住民 {row['宛名番号']}"
            postal = row["郵便番号"]
            chome = row["住所2"]
            yield {
                "団体コード": code, "宛名番号": row["宛名番号"], "世帯番号": row["世帯番号"],
                "住民票コード": row["住民票コード"], "個人番号": row["個人番号"],
                "氏名": row["氏名3"],
                "氏名フリガナ氏": hiragana_to_katakana(row["氏名1"] or ""),
                "氏名フリガナ名": hiragana_to_katakana(row["氏名2"] or ""),
                "旧氏": row["旧氏3"],
                "旧氏フリガナ": hiragana_to_katakana(row["旧氏1"] or ""),
                "生年月日": _ymd_of_wareki(row["生年月日"]),
                "性別": _code("性別", row["性別"], where),
                "続柄": _code("続柄", row["続柄"], where),
                "住民種別": _code("住民種別", row["住民種別"], where),
                "住民状態": _code("住民状態", row["住民状態"], where),
                "郵便番号": postal.replace("-", "") if postal else None,
                "住所コード": row["住所コード"],
                "都道府県": row["都道府県"], "市区町村": row["市区町村"], "町名": row["住所1"],
                "丁目": str(parse_arabic(chome)) if chome else None,
                "番地": row["番地"], "方書": row["方書"],
                "住民となった年月日": row["住民となった年月日"],
                "住所を定めた年月日": row["住定年月日"],
            }

    def _changes(self) -> Iterator[dict]:
        code = self.local_gov_code
        for number, serial, reason, on, notified, status, household in self._cursor(
                'SELECT "宛名番号", "異動連番", "異動事由", "異動年月日", "届出年月日", '
                '"異動後住民状態", "異動後世帯番号" FROM "異動履歴" ORDER BY "宛名番号", "異動連番"'):
            yield {"団体コード": code, "宛名番号": number, "異動連番": str(serial),
                   "異動事由": reason, "異動年月日": on, "届出年月日": notified,
                   "異動後住民状態": _code("住民状態", status, f"異動履歴 {number}"),
                   "異動後世帯番号": household}


_RESIDENT_READ = ("宛名番号", "世帯番号", "住民票コード", "個人番号", "氏名1", "氏名2", "氏名3",
                  "旧氏1", "旧氏3", "生年月日", "性別", "続柄", "住民種別", "住民状態", "郵便番号",
                  "住所コード", "都道府県", "市区町村", "住所1", "住所2", "番地", "方書",
                  "住民となった年月日", "住定年月日")


@functools.lru_cache(maxsize=100_000)
def _ymd_of_wareki(text: str) -> str:
    return wareki_to_date(text).strftime("%Y%m%d")


# --- a synthetic municipality ---------------------------------------------------------------

# (kanji as vendor A stores it — its 外字 as private-use codes —, reading). U+E000 邊+IVS,
# U+E001 髙, U+E002 𠮷, U+E003 葛+IVS are vendor A's 外字 (gaiji.tsv); 辻 + U+E0102 (MJ025760)
# is kept as UCS + IVS.
_FAMILIES = (("佐藤", "さとう"), ("鈴木", "すずき"), ("\ue001橋", "たかはし"), ("田中", "たなか"),
             ("渡\ue000", "わたなべ"), ("伊藤", "いとう"), ("\ue002田", "よしだ"),
             ("山本", "やまもと"), ("\ue003西", "かさい"), ("辻\U000e0102本", "つじもと"),
             ("中村", "なかむら"), ("小林", "こばやし"), ("加藤", "かとう"), ("総務", "そうむ"))
_GIVEN = (("翔子", "しょうこ", "女"), ("大輔", "だいすけ", "男"), ("陽翔", "はると", "男"),
          ("美咲", "みさき", "女"), ("健一", "けんいち", "男"), ("結衣", "ゆい", "女"),
          ("蓮", "れん", "男"), ("陽菜", "ひな", "女"), ("一郎", "いちろう", "男"),
          ("さくら", "さくら", "女"))
_TOWNS = (("霞が関", "100-0013"), ("神田神保町", "101-0051"), ("麹町", "102-0083"),
          ("永田町", "100-0014"))
_RELATIONS = ("世帯主", "妻", "子", "子")


def _serials(start: int) -> Iterator[str]:
    n = start
    while True:
        try:
            yield with_m11_check(n)
        except ValueError:
            pass  # remainder 1 under M11W2-7: municipalities never issue such numbers
        n += 1


def populate(store: RegistryStore, residents: int, *, first_serial: int = 100_000,
             batch: int = 20_000) -> int:
    """Add ``residents`` synthetic residents in households (deterministic), their 世帯 rows and
    異動履歴. Returns the number of households."""
    addressees = _serials(first_serial)
    households = _serials(first_serial + 50_000_000)
    people: list[tuple] = []
    homes: list[tuple] = []
    history: list[tuple] = []
    conn = store.conn
    cols = ", ".join(f'"{c}"' for c in _RESIDENT_COLUMNS_WRITTEN)
    sql_resident = (f'INSERT INTO "住民" ({cols}) VALUES '
                    f'({", ".join("?" * len(_RESIDENT_COLUMNS_WRITTEN))})')

    def flush() -> None:
        with store.lock, conn:
            conn.executemany(sql_resident, people)
            conn.executemany('INSERT INTO "世帯" VALUES (?, ?, ?)', homes)
            conn.executemany('INSERT INTO "異動履歴" VALUES (?, ?, ?, ?, ?, ?, ?)', history)
        people.clear(), homes.clear(), history.clear()

    made = house_count = 0
    while made < residents:
        house_count += 1
        household = next(households)
        size = min(1 + house_count % 4, residents - made)
        family, family_kana = _FAMILIES[house_count % len(_FAMILIES)]
        town, postal = _TOWNS[house_count % len(_TOWNS)]
        moved_out = house_count % 23 == 0  # now and then a household left the city (転出者)
        head_number = None
        for member in range(size):
            made += 1
            number = next(addressees)
            given, given_kana, gender = _GIVEN[(house_count + member * 3) % len(_GIVEN)]
            born = f"{1950 + (made * 7) % 60:04d}{1 + made % 12:02d}{1 + made % 28:02d}"
            since = f"{2000 + made % 24:04d}{1 + made % 12:02d}{1 + (made * 3) % 28:02d}"
            since = max(since, born)  # nobody becomes a resident before being born
            relation = _RELATIONS[member] if member < len(_RELATIONS) else "同居人"
            if member == 0:
                head_number = number
            status = "転出者" if moved_out else "住民"
            people.append((
                number, household, resident_code(f"{2_000_000_000 + made:010d}"),
                individual_number(f"{10_000_000_000 + made:011d}"), family_kana, given_kana,
                family + given, None, None,
                date_to_wareki(_date(born)), gender, relation, "日本人", status, postal, None,
                DEMO_PREFECTURE, DEMO_CITY, town, str(1 + made % 4), f"{1 + made % 30}番地",
                None, since, since))
            history.append((number, 1, "A03" if born == since else "A01", since, since, "住民",
                            household))
            if moved_out:
                history.append((number, 2, "B01", "20250401", "20250401", "転出者", household))
        family_head_name = family + _GIVEN[house_count % len(_GIVEN)][0]
        homes.append((household, head_number, family_head_name))
        if len(people) >= batch:
            flush()
    flush()
    return house_count


def _date(yyyymmdd: str) -> dt.date:
    return dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))


_RESIDENT_COLUMNS_WRITTEN = ("宛名番号", "世帯番号", "住民票コード", "個人番号", "氏名1", "氏名2",
                             "氏名3", "旧氏1", "旧氏3", "生年月日", "性別", "続柄", "住民種別",
                             "住民状態", "郵便番号", "住所コード", "都道府県", "市区町村", "住所1",
                             "住所2", "番地", "方書", "住民となった年月日", "住定年月日")


def seed_history(store: RegistryStore) -> None:
    """The 異動履歴 of the seed residents (``store.seed``): each came in (転入, or 出生 when born
    on the day they became residents); those no longer 住民 left (転出)."""
    rows = []
    for r in SEED_RESIDENTS:
        since = r["住民となった年月日"]
        born = wareki_to_date(r["生年月日"]).strftime("%Y%m%d")
        rows.append((r["宛名番号"], 1, "A03" if born == since else "A01", since, since, "住民",
                     r["世帯番号"]))
        if r["住民状態"] != "住民":
            rows.append((r["宛名番号"], 2, "B01", "20240331", "20240331", r["住民状態"],
                         r["世帯番号"]))
    with store.lock, store.conn:
        store.conn.executemany('INSERT OR REPLACE INTO "異動履歴" VALUES (?, ?, ?, ?, ?, ?, ?)',
                               rows)



def seed_as_stored(store: RegistryStore, gaiji) -> None:
    """The seed residents (``store.seed``) as vendor A's database holds them: the characters its
    外字 table lists as its own private-use codes (髙 → U+E001, 𠮷 → U+E002, 葛+IVS → U+E003),
    with their 異動履歴."""
    from .store import seed
    seed(store)
    with store.lock, store.conn:
        for table, key, columns in (("住民", "宛名番号", ("氏名3", "旧氏3")),
                                    ("世帯", "世帯番号", ("世帯主氏名",))):
            for row in store.conn.execute(f'SELECT * FROM "{table}"').fetchall():
                for column in columns:
                    if row[column]:
                        store.conn.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE "{key}" = ?',
                                           (gaiji.from_standard(row[column]), row[key]))
    seed_history(store)


def main(argv: list[str] | None = None) -> int:
    """``python -m adapters.vendor_a_registry.migration export --db A.sqlite3 --out DIR``
    (``--seed-demo`` / ``--populate N`` first fill an empty store, for demos and benchmarks)."""
    import sys

    from adapters.sdk.migration_cli import export_main

    from . import GAIJI_TABLE
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["export"]:
        args = args[1:]

    def extra(parser) -> None:
        parser.add_argument("--local-gov-code", default="131016", help="団体コード")
        parser.add_argument("--seed-demo", action="store_true",
                            help="an empty store gets the demo residents (as vendor A stores "
                                 "them: its 外字 as private-use codes) first")
        parser.add_argument("--populate", type=int, default=0, metavar="N",
                            help="an empty store gets N synthetic residents first")

    def make(ns) -> VendorAExporter:
        store = RegistryStore.open(ns.db, local_gov_code=ns.local_gov_code)
        if not store.conn.execute('SELECT count(*) FROM "住民"').fetchone()[0]:
            from bus.core.gaiji import GaijiTable
            if ns.seed_demo:
                seed_as_stored(store, GaijiTable.load(GAIJI_TABLE))
            if ns.populate:
                populate(store, ns.populate)
        return VendorAExporter(store)
    return export_main(args, make, prog="python -m adapters.vendor_a_registry.migration export",
                       gaiji_default=str(GAIJI_TABLE), extra=extra,
                       fills_new_db=lambda ns: bool(ns.seed_demo or ns.populate))


if __name__ == "__main__":
    raise SystemExit(main())
