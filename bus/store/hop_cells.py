"""A routing-log record's fields as table cells (経路ログの表), as ``HopRecord`` declares them.

One reading of each field's ``Show`` (bus/store/hop_record.py) for both tables that list hops:
``pfbus log`` (text) and the console's search and trace pages (HTML, which add links, a time
element and the whole value on hover around the same cell text). A new field's declaration
reaches both without touching either.

Pure: no SQLite, no Twisted.
"""

from __future__ import annotations

from collections.abc import Callable

from ..core.xmlpath import keep_end
from .hop_record import COLUMNS, TABLE_COLUMNS, Column, HopRecord

__all__ = ["DETAIL_COLUMNS", "TABLE_COLUMNS", "cell", "heading", "is_cut"]

# Every field of one hop, for a detail view (the console's trace; ``--format json`` in the
# CLI): the table's columns first, then those the table hides (their reasons are the table's).
DETAIL_COLUMNS: tuple[Column, ...] = TABLE_COLUMNS + tuple(
    c for c in COLUMNS if c.table.hidden is not None)


def heading(column: Column) -> str:
    return column.table.heading or column.name


def is_cut(column: Column, whole: bool = False) -> bool:
    """Whether the cell may show only part of the value (an ID's prefix, a path's end)."""
    return column.table.prefix is not None or (column.table.keep_end is not None and not whole)


def cell(h: HopRecord, column: Column, time: Callable[[str], object] = str,
         whole: bool = False) -> object:
    """The cell of ``column`` for ``h``; ``time`` formats a time field (a table's time zone),
    ``whole``: a path is not cut to its end (a detail view has the room)."""
    show, value = column.table, getattr(h, column.name)
    if show.time:
        return time(value)
    if show.prefix is not None:  # short, like a git hash: the prefix finds the rows
        return (value or "")[:show.prefix]
    if show.keep_end is not None and not whole:  # its end names the element
        return keep_end(value, show.keep_end)
    if show.decimals is not None:
        return None if value is None else f"{value:.{show.decimals}f}"
    if show.join is not None:
        sep, other = show.join
        if show.bare and not value:
            return getattr(h, other)
        return _join(sep, value, getattr(h, other))
    return value


def _join(sep: str, left: str | None, right: str | None) -> str:
    if left is None and right is None:
        return ""
    return f"{left or ''}{sep}{right or ''}"
