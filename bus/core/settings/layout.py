"""A 中間標準レイアウト layout file (``schemas/layouts/*.toml``), declared once.

Add a key: one ``Key(...)`` line here, then read it in ``bus/migration/layout.py``; document it
in docs/migration.md.
"""

from __future__ import annotations

from typing import Any

from .declare import REQUIRED, Key, Table
from .kinds import Bool, Choice, Int, ListOf, MapOf, Str, Sub, Tables

TYPES = ("text", "number", "date", "code")  # 文字, 数字, 日付, コード
IDENTIFIERS = ("local_gov_code", "individual_number", "addressee_number")
CHARACTER_RULES = ("mj", "jisx0213", "katakana", "ascii")


def format_one(value: int) -> str | None:
    return None if value == 1 else "must be 1"


def plain_csv_name(value: str) -> str | None:
    if value.endswith(".csv") and "/" not in value and "\\" not in value:
        return None
    return "must be a plain file name ending in .csv"


def pair(value: tuple[Any, ...]) -> str | None:
    if all(len(p) == 2 for p in value):
        return None
    return "must be a list of [history item, current item] pairs"


ITEM = Table("files.items", (
    Key("no", Int(1), REQUIRED, "項目番号"),
    Key("name", Str(nonempty=True), REQUIRED, "項目名: the CSV header of the column"),
    Key("type", Choice(TYPES), REQUIRED, "text 文字, number 数字, date 日付 (YYYYMMDD), code コード"),
    Key("length", Int(1), None, "max characters (text) or digits (number, code)"),
    Key("exact", Bool(), False, "the length is exact"),
    Key("required", Bool(), False, "必須"),
    Key("codelist", Str(nonempty=True), None, "a code list of [codelists]"),
    Key("identifier", Choice(IDENTIFIERS), None, "a check-digit rule"),
    Key("characters", Choice(CHARACTER_RULES), None, "text items: the characters allowed"),
    Key("description", Str(), "", "for people"),
), "an item (項目) of a record file")

FILE = Table("files", (
    Key("record", Str(nonempty=True), REQUIRED, "the record type's ID (used in relations)"),
    Key("title", Str(nonempty=True), REQUIRED, "its Japanese name (住民, 世帯 …)"),
    Key("file", Str(nonempty=True), REQUIRED, "the CSV file's name", plain_csv_name),
    Key("key", ListOf(Str(nonempty=True), nonempty=True), REQUIRED, "items of the record key"),
    Key("order", ListOf(Str(nonempty=True)), (), "items the rows are sorted by"),
    Key("items", Tables(ITEM), REQUIRED, ITEM.doc),
    Key("description", Str(), "", "for people"),
), "a record file (one CSV file per record type)")

REFERENCE = Table("references", (
    Key("from", Str(nonempty=True), REQUIRED, "record.item whose values must exist …"),
    Key("to", Str(nonempty=True), REQUIRED, "… as the key record.item of another file"),
), "a reference across files")

WHERE = Table("member_counts.where", (
    Key("item", Str(nonempty=True), REQUIRED, "record.item of the counted file"),
    Key("equals", Str(), REQUIRED, "the value counted rows have"),
), "which rows count")

MEMBER_COUNT = Table("member_counts", (
    Key("count", Str(nonempty=True), REQUIRED, "record.item holding the count (世帯員数)"),
    Key("key", Str(nonempty=True), REQUIRED, "record.item of the same file: what is counted"),
    Key("of", Str(nonempty=True), REQUIRED, "record.item of the counted file"),
    Key("where", Sub(WHERE), None, WHERE.doc),
), "a count that must match the rows of another file")

HISTORY = Table("histories", (
    Key("history", Str(nonempty=True), REQUIRED, "record.item: the history rows' key"),
    Key("order", Str(nonempty=True), REQUIRED, "record.item: the history's order (number)"),
    Key("current", Str(nonempty=True), REQUIRED, "record.item: the current rows' key"),
    Key("match", ListOf(ListOf(Str(nonempty=True))), (), "[history item, current item] pairs",
        pair),
), "a history whose last row must match the current state")

LAYOUT = Table("layout", (
    Key("format", Int(), REQUIRED, "the layout file format: 1", format_one),
    Key("layout", Str(nonempty=True), REQUIRED, "the layout's ID (juki)"),
    Key("version", Str(nonempty=True), REQUIRED, "its version (pfbus-1, V2.7 …)"),
    Key("title", Str(nonempty=True), REQUIRED, "for people"),
    Key("unit", Str(nonempty=True), REQUIRED, "業務ユニットコード"),
    Key("source", Str(), "", "where the layout comes from"),
    Key("codelists", MapOf(Str(nonempty=True)), {}, "name = CSV file, relative to this file"),
    Key("files", Tables(FILE), REQUIRED, FILE.doc),
    Key("references", Tables(REFERENCE), [], REFERENCE.doc),
    Key("member_counts", Tables(MEMBER_COUNT), [], MEMBER_COUNT.doc),
    Key("histories", Tables(HISTORY), [], HISTORY.doc),
))
