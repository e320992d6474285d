"""A file kind catalog (``schemas/file_kinds.toml``, ファイル種別), declared once.

A file kind says how the hub recognises an uploaded file (its name pattern) and which layout
record file of the 中間標準レイアウト catalog judges it. Add a key: one ``Key(...)`` line here,
then read it in ``bus/files/kinds.py``; document it in docs/files.md.
"""

from __future__ import annotations

from .declare import REQUIRED, Key, Table
from .kinds import Int, Str, Tables

CODE = "{local_gov_code}"


def format_one(value: int) -> str | None:
    return None if value == 1 else "must be 1"


def name_pattern(value: str) -> str | None:
    if value.count(CODE) != 1:
        return f"must hold {CODE} once (the 6-digit 団体コード in the file name)"
    if "/" in value or "\\" in value or value.startswith("."):
        return "must be a plain file name (no folder, not starting with '.')"
    return None


def kind_name(value: str) -> str | None:
    if value and value.replace("-", "").replace("_", "").isalnum() and value.isascii():
        return None
    return "must be a name of ASCII letters, digits, '-' and '_'"


KIND = Table("kinds", (
    Key("kind", Str(), REQUIRED, "the file kind's ID (routes and receipts name it)", kind_name),
    Key("title", Str(nonempty=True), REQUIRED, "its Japanese name (住民異動ファイル …)"),
    Key("pattern", Str(), REQUIRED, "file name: * any characters, {local_gov_code} the 団体コード",
        name_pattern),
    Key("layout", Str(nonempty=True), REQUIRED, "the layout's ID (juki)"),
    Key("version", Str(nonempty=True), REQUIRED, "the layout's version (pfbus-1)"),
    Key("record", Str(nonempty=True), REQUIRED, "the layout's record file that judges it"),
), "a kind of file the hub accepts")

FILE_KINDS = Table("file kinds", (
    Key("format", Int(), REQUIRED, "the file kind catalog format: 1", format_one),
    Key("kinds", Tables(KIND), REQUIRED, KIND.doc),
))
