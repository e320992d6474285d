"""adapters.sdk.upsert.upsert_many: a 全件 page written with one statement must leave every row
exactly as ``upsert`` row by row does — partial rows updating only what they carry, new rows
needing every required column (IncompleteRow), the same key twice in a page, the order kept."""

from __future__ import annotations

import sqlite3

import pytest

from adapters.sdk.upsert import IncompleteRow, upsert, upsert_many
from adapters.vendor_b_tax.store import TaxStore, write_addressee, write_addressees

SCHEMA = ('CREATE TABLE t (k TEXT PRIMARY KEY, a TEXT NOT NULL, b TEXT, '
          'c TEXT NOT NULL DEFAULT \'x\')')
EXISTING = [("1", "A1", "B1", "C1"), ("2", "A2", None, "C2")]
ROWS = [
    {"k": "1", "a": "A1'", "b": "B1'"},  # known, complete: updated, c kept
    {"k": "3", "a": "A3", "b": None},  # new, complete
    {"k": "2", "b": "B2'"},  # known, partial (no a): updated through upsert
    {"k": "3", "a": "A3'", "b": "B3"},  # the same key again in the page: updated
    {"k": "4", "a": "A4", "b": "B4", "c": "C4"},  # other columns: a second statement
    {"k": "5", "b": "B5", "a": "A5"},  # the same columns in another order
]


def table(rows=EXISTING) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(SCHEMA)
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    return conn


def content(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("SELECT * FROM t ORDER BY k").fetchall()


def test_many_rows_end_as_upsert_leaves_them_one_by_one():
    one_by_one, many = table(), table()
    for row in ROWS:
        upsert(one_by_one, "t", ("k",), row)
    upsert_many(many, "t", ("k",), ROWS)
    assert content(many) == content(one_by_one)
    assert content(many)[0] == ("1", "A1'", "B1'", "C1") and content(many)[2][1] == "A3'"


@pytest.mark.parametrize("bad", [{"k": "9", "b": "B9"}, {"k": "9", "a": None},
                                 {"a": "A9"}])
def test_a_new_row_without_its_required_columns_is_refused_as_upsert_refuses_it(bad):
    conn = table()
    with pytest.raises(IncompleteRow):
        upsert_many(conn, "t", ("k",), [ROWS[0], bad])


def test_a_page_of_addressees_is_written_as_row_by_row(tmp_path):
    rows = [{"宛名番号": f"{n:010d}", "名前(漢字)": f"名{n}", "生年月日": 19900101 + n,
             "性別": "F", "町名": "霞が関", "取得日時": "2026-12-03T00:00:00+00:00"}
            for n in range(5)]
    rows.append({**rows[1], "町名": "永田町"})
    one, page = TaxStore.open(tmp_path / "one.sqlite3"), TaxStore.open(tmp_path / "page.sqlite3")
    for row in rows:
        write_addressee(one.conn, row)
    write_addressees(page.conn, rows)
    assert page.addressees() == one.addressees() and page.addressees()[1]["町名"] == "永田町"
    with pytest.raises(KeyError):
        write_addressees(page.conn, [{**rows[0], "氏名": "x"}])
    write_addressees(page.conn, [{k: v for k, v in rows[0].items() if k != "取得日時"}])
    assert page.addressee(rows[0]["宛名番号"])["取得日時"] != rows[0]["取得日時"]  # stamped
