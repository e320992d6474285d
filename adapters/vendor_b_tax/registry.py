"""Vendor B as the new resident registry: its データ取込 and データ抽出 of juki/pfbus-1.

When a municipality moves its 住民基本台帳 to vendor B, vendor B loads the 中間標準レイアウト
extract of the old registry into its own layout: the 宛名 table it already has (katakana
readings, 丁 in kanji numerals, 生年月日 as an integer, 性別 M/F, its own 消除区分/消除日) and
the registry tables it adds for that role, in its own style — 住民記録 (the items a tax system's
宛名 does not keep), 世帯, 異動履歴. In JIS X 0213-only mode the registered form of every name
that arrives in 縮退 is kept in its 原字 tables (原字 per 宛名番号, 世帯原字 per 世帯番号), so
nothing of the registry is lost and its own export hands the registered names over again.

``RegistryImporter`` implements the SDK's ``Importer`` (one SQLite transaction per batch, the
checkpoint in the same database); ``RegistryExporter`` the ``Exporter`` (for the round trip and
the reconciliation).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence

from adapters.sdk.migration import Exporter, Importer, Incoming, MigrationError, \
    SqliteCheckpoints
from adapters.sdk.text import int_to_kanji, kanji_to_int

from .notices import DELETION_KIND
from .store import ADDRESSEE_COLUMN_NAMES, TaxStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS "住民記録" (
    "宛名番号" TEXT PRIMARY KEY, "団体コード" TEXT NOT NULL, "住民票コード" TEXT,
    "旧氏" TEXT, "旧氏カナ" TEXT, "住所コード" TEXT, "住民日" INTEGER, "住定日" INTEGER);
CREATE TABLE IF NOT EXISTS "世帯" (
    "世帯番号" TEXT PRIMARY KEY, "団体コード" TEXT NOT NULL, "世帯主宛名番号" TEXT NOT NULL,
    "世帯主名" TEXT NOT NULL, "世帯員数" INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS "異動履歴" (
    "宛名番号" TEXT NOT NULL, "異動連番" INTEGER NOT NULL, "異動事由" TEXT NOT NULL,
    "異動日" INTEGER NOT NULL, "届出日" INTEGER, "異動後住民状態" TEXT NOT NULL,
    "異動後世帯番号" TEXT NOT NULL, PRIMARY KEY ("宛名番号", "異動連番"));
CREATE TABLE IF NOT EXISTS "原字" ("宛名番号" TEXT NOT NULL, "項目" TEXT NOT NULL,
    "原字" TEXT NOT NULL, PRIMARY KEY ("宛名番号", "項目"));
CREATE TABLE IF NOT EXISTS "世帯原字" ("世帯番号" TEXT NOT NULL, "項目" TEXT NOT NULL,
    "原字" TEXT NOT NULL, PRIMARY KEY ("世帯番号", "項目"));
CREATE INDEX IF NOT EXISTS "宛名_世帯番号" ON "宛名" ("世帯番号");
"""

REGISTRY_SYSTEM_ID = "vendor-b-registry"  # vendor B's system ID as the 住民基本台帳 system
_GENDER = {"1": "M", "2": "F"}
_GENDER_BACK = {v: k for k, v in _GENDER.items()}
# 住民状態 code → vendor B's 消除区分 when the history does not say (転出者 T, 死亡者 D, その他 Z)
_STATUS_DELETION = {"2": "T", "3": "D", "4": "Z"}
# standard item → vendor B column, for names kept in 縮退 with their registered form
_RESIDENT_TEXT = {"氏名": "名前(漢字)", "旧氏": "旧氏", "都道府県": "都道府県",
                  "市区町村": "市区町村", "町名": "町名", "番地": "番地", "方書": "方書"}


def ensure_registry(store: TaxStore) -> None:
    with store.lock, store.conn:
        store.conn.executescript(SCHEMA)


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _q(name: str) -> str:
    return '"' + name + '"'


class RegistryImporter(SqliteCheckpoints, Importer):
    """Loads juki/pfbus-1 into vendor B's tables (see the module docstring)."""

    layout, version = "juki", "pfbus-1"

    def __init__(self, store: TaxStore, taken_at: str):
        self.store = store
        self.conn = store.conn
        self.taken_at = taken_at  # 取得日時: when the extract was made (same on every run)
        ensure_registry(store)
        self._heads: dict[str, tuple[str, str | None]] = {}  # 世帯番号 → 世帯主名 (+ 原字)

    @contextlib.contextmanager
    def transaction(self):
        with self.store.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.conn.rollback()
                raise
            self.conn.commit()

    def load(self, record: str, rows: Sequence[Incoming]) -> None:
        if record == "household":
            self._households(rows)
        elif record == "resident":
            self._residents(rows)
        elif record == "change":
            self._changes(rows)
        else:
            raise MigrationError(f"vendor B's registry has no {record} records")

    def _households(self, rows: Sequence[Incoming]) -> None:
        self._heads.clear()
        self.conn.executemany(
            'INSERT OR REPLACE INTO "世帯" VALUES (?, ?, ?, ?, ?)',
            [(r.values["世帯番号"], r.values["団体コード"], r.values["世帯主宛名番号"],
              r.values["世帯主氏名"], int(r.values["世帯員数"])) for r in rows])
        self.conn.executemany(
            'INSERT OR REPLACE INTO "世帯原字" VALUES (?, ?, ?)',
            [(r.values["世帯番号"], "世帯主名", r.originals["世帯主氏名"]) for r in rows
             if "世帯主氏名" in r.originals])
        for r in rows:  # the residents of these households follow in the same batch
            self._heads[r.values["世帯番号"]] = (r.values["世帯主氏名"],
                                               r.originals.get("世帯主氏名"))

    def _residents(self, rows: Sequence[Incoming]) -> None:
        columns = [c for c in ADDRESSEE_COLUMN_NAMES if c not in ("消除日", "最終異動日")]
        addressees, records, originals = [], [], []
        for r in rows:
            v = r.values
            number = v["宛名番号"]
            head_name, head_original = self._heads.get(v["世帯番号"], (None, None))
            b = {"宛名番号": number, "個人番号": v["個人番号"] or None, "世帯番号": v["世帯番号"],
                 "名前1": v["氏名フリガナ氏"] or None, "名前2": v["氏名フリガナ名"] or None,
                 "名前(漢字)": v["氏名"], "生年月日": int(v["生年月日"]),
                 "性別": _GENDER[v["性別"]], "続柄": v["続柄"], "住民種別": v["住民種別"],
                 "住民状態": v["住民状態"], "郵便番号": v["郵便番号"] or None,
                 "都道府県": v["都道府県"], "市区町村": v["市区町村"], "町名": v["町名"],
                 "丁": int_to_kanji(int(v["丁目"])) if v["丁目"] else None,
                 "番地": v["番地"] or None, "方書": v["方書"] or None, "世帯主名": head_name,
                 "取得日時": self.taken_at, "消除区分": _STATUS_DELETION.get(v["住民状態"])}
            addressees.append(tuple(b[c] for c in columns))
            records.append((number, v["団体コード"], v["住民票コード"] or None, v["旧氏"] or None,
                            v["旧氏フリガナ"] or None, v["住所コード"] or None,
                            _int(v["住民となった年月日"]), _int(v["住所を定めた年月日"])))
            originals += [(number, _RESIDENT_TEXT[item], text)
                          for item, text in r.originals.items()]
            if head_original is not None:
                originals.append((number, "世帯主名", head_original))
        self.conn.executemany(
            f'INSERT OR REPLACE INTO "宛名" ({", ".join(map(_q, columns))}) '
            f'VALUES ({", ".join("?" * len(columns))})', addressees)
        self.conn.executemany('INSERT OR REPLACE INTO "住民記録" VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                              records)
        self.conn.executemany('DELETE FROM "原字" WHERE "宛名番号" = ?',
                              [(r.values["宛名番号"],) for r in rows])
        self.conn.executemany('INSERT INTO "原字" VALUES (?, ?, ?)', originals)

    def _changes(self, rows: Sequence[Incoming]) -> None:
        self.conn.executemany(
            'INSERT OR REPLACE INTO "異動履歴" VALUES (?, ?, ?, ?, ?, ?, ?)',
            [(r.values["宛名番号"], int(r.values["異動連番"]), r.values["異動事由"],
              int(r.values["異動年月日"]), _int(r.values["届出年月日"]),
              r.values["異動後住民状態"], r.values["異動後世帯番号"]) for r in rows])
        last: dict[str, Incoming] = {}
        deleted: dict[str, Incoming] = {}
        for r in rows:  # a resident's whole history is in one batch (the SDK's grouping)
            last[r.values["宛名番号"]] = r
            if r.values["異動事由"] in DELETION_KIND:
                deleted[r.values["宛名番号"]] = r
        self.conn.executemany(
            'UPDATE "宛名" SET "最終異動日" = ?, "消除日" = ?, "消除区分" = coalesce(?, '
            '"消除区分") WHERE "宛名番号" = ?',
            [(int(r.values["異動年月日"]),
              int(deleted[n].values["異動年月日"]) if n in deleted else None,
              DELETION_KIND[deleted[n].values["異動事由"]] if n in deleted else None, n)
             for n, r in last.items()])


class RegistryExporter(Exporter):
    """Vendor B's registry as juki/pfbus-1 rows: the registered names (原字 where kept)."""

    layout, version = "juki", "pfbus-1"

    def __init__(self, store: TaxStore, producer: str = REGISTRY_SYSTEM_ID):
        self.store = store
        self.producer = producer
        self.local_gov_code = store.local_gov_code
        ensure_registry(store)

    def _cursor(self, sql: str, args: tuple = ()):
        cur = self.store.conn.cursor()
        cur.row_factory = None
        return cur.execute(sql, args)

    def rows(self, record: str) -> Iterator[Mapping[str, str | None]]:
        if record == "household":
            return self._households()
        if record == "resident":
            return self._residents()
        if record == "change":
            return self._changes()
        raise MigrationError(f"vendor B's registry has no {record} records")

    def _households(self) -> Iterator[dict]:
        return self._household_rows('ORDER BY h."世帯番号"')

    def _household_rows(self, where: str, args: tuple = ()) -> Iterator[dict]:
        for number, code, head, name, original, members in self._cursor(
                'SELECT h."世帯番号", h."団体コード", h."世帯主宛名番号", h."世帯主名", '
                'o."原字", (SELECT count(*) FROM "宛名" a WHERE a."世帯番号" = h."世帯番号" '
                'AND a."住民状態" = \'1\') FROM "世帯" h LEFT JOIN "世帯原字" o ON '
                f'o."世帯番号" = h."世帯番号" AND o."項目" = \'世帯主名\' {where}', args):
            yield {"団体コード": code, "世帯番号": number, "世帯主宛名番号": head,
                   "世帯主氏名": original or name, "世帯員数": str(members)}

    def _residents(self) -> Iterator[dict]:
        return self.residents('ORDER BY a."世帯番号", a."宛名番号"')

    def residents(self, where: str, args: tuple = ()) -> Iterator[dict]:
        """Residents as juki/pfbus-1 rows (``where``: the SQL after the join, e.g. a WHERE on
        ``a.`` = 宛名 and an ORDER BY), names in their registered form."""
        cols = ", ".join(f'a.{_q(c)}' for c in ADDRESSEE_COLUMN_NAMES)
        sql = (f'SELECT {cols}, r."団体コード", r."住民票コード", r."旧氏", r."旧氏カナ", '
               'r."住所コード", r."住民日", r."住定日", (SELECT json_group_object("項目", "原字") '
               'FROM "原字" o WHERE o."宛名番号" = a."宛名番号") FROM "宛名" a JOIN "住民記録" r '
               f'ON r."宛名番号" = a."宛名番号" {where}')
        n = len(ADDRESSEE_COLUMN_NAMES)
        for values in self._cursor(sql, args):
            b = dict(zip(ADDRESSEE_COLUMN_NAMES, values[:n], strict=True))
            code, resident_code, former, former_kana, address_code, since, fixed, kept = \
                values[n:]
            registered = json.loads(kept) if kept else {}

            def name(column: str, value, registered=registered):
                return registered.get(column, value)
            chome = b["丁"]
            yield {
                "団体コード": code, "宛名番号": b["宛名番号"], "世帯番号": b["世帯番号"],
                "住民票コード": resident_code, "個人番号": b["個人番号"],
                "氏名": name("名前(漢字)", b["名前(漢字)"]),
                "氏名フリガナ氏": b["名前1"], "氏名フリガナ名": b["名前2"],
                "旧氏": name("旧氏", former), "旧氏フリガナ": former_kana,
                "生年月日": str(b["生年月日"]), "性別": _GENDER_BACK[b["性別"]],
                "続柄": b["続柄"], "住民種別": b["住民種別"], "住民状態": b["住民状態"],
                "郵便番号": b["郵便番号"], "住所コード": address_code,
                "都道府県": name("都道府県", b["都道府県"]),
                "市区町村": name("市区町村", b["市区町村"]), "町名": name("町名", b["町名"]),
                "丁目": str(kanji_to_int(chome)) if chome else None,
                "番地": name("番地", b["番地"]), "方書": name("方書", b["方書"]),
                "住民となった年月日": None if since is None else str(since),
                "住所を定めた年月日": None if fixed is None else str(fixed),
            }

    def household(self, number: str) -> dict | None:
        """One 世帯 as a juki/pfbus-1 row, or None."""
        return next(self._household_rows('WHERE h."世帯番号" = ?', (number,)), None)

    def _changes(self) -> Iterator[dict]:
        code = self.local_gov_code
        for number, serial, reason, on, notified, status, household in self._cursor(
                'SELECT * FROM "異動履歴" ORDER BY "宛名番号", "異動連番"'):
            yield {"団体コード": code, "宛名番号": number, "異動連番": str(serial),
                   "異動事由": reason, "異動年月日": str(on),
                   "届出年月日": None if notified is None else str(notified),
                   "異動後住民状態": status, "異動後世帯番号": household}


def main(argv: list[str] | None = None) -> int:
    """``python -m adapters.vendor_b_tax.registry import --db B.sqlite3 DIR [--characters
    jisx0213] [--dry-run]`` (run again to resume) / ``… export --db B.sqlite3 --out DIR``."""
    import sys

    from adapters.sdk.migration_cli import export_main, import_main

    from . import GAIJI_TABLE
    args = list(sys.argv[1:] if argv is None else argv)
    prog = "python -m adapters.vendor_b_tax.registry"
    if args[:1] == ["export"]:
        return export_main(args[1:], lambda ns: RegistryExporter(TaxStore.open(ns.db)),
                           prog=f"{prog} export", gaiji_default=str(GAIJI_TABLE))
    if args[:1] == ["import"]:
        return import_main(args[1:], lambda ns, manifest: RegistryImporter(
            TaxStore.open(ns.db, local_gov_code=manifest.local_gov_code), manifest.created),
            prog=f"{prog} import", gaiji_default=str(GAIJI_TABLE))
    if args[:1] == ["serve"]:
        return serve(args[1:])
    print(f"usage: {prog} import|export|serve …", file=sys.stderr)
    return 2


def serve(argv: list[str]) -> int:
    """``… serve --db B.sqlite3 [--port 0]``: vendor B as the registry, serving
    juki.ResidentInquiry and juki.ResidentFullExtract from its migrated tables."""
    import argparse

    from adapters.sdk.characters import CharacterPolicy
    from adapters.sdk.provider import ProviderApp
    from adapters.sdk.runner import add_backlog_option, run_provider
    from bus.core.header import Party

    from . import GAIJI_TABLE
    from .registry_service import UnknownExtract, handlers
    parser = argparse.ArgumentParser(prog="python -m adapters.vendor_b_tax.registry serve")
    parser.add_argument("--db", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--local-gov-code", default="131016")
    parser.add_argument("--system-id", default=REGISTRY_SYSTEM_ID)
    parser.add_argument("--gaiji", default=str(GAIJI_TABLE), metavar="TSV")
    add_backlog_option(parser)
    args = parser.parse_args(argv)
    store = TaxStore.open(args.db, local_gov_code=args.local_gov_code)
    app = ProviderApp(Party(args.local_gov_code, "01", args.system_id), handlers(store),
                      client_errors={UnknownExtract: "VENDOR-B-EXTRACT-UNKNOWN"},
                      characters=CharacterPolicy(args.gaiji or None))
    run_provider(app, name=args.system_id, host=args.host, port=args.port,
                 backlog=args.backlog)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
