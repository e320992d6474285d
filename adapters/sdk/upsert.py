"""Writing one row of a vendor's own table by its key: update what the row carries, or insert.

``INSERT … ON CONFLICT DO UPDATE`` (and ``INSERT OR REPLACE``) is the wrong tool for an adapter
that applies partial rows — a 異動 carries the personal columns, not the vendor's own status
columns: SQLite checks the INSERT's NOT NULL constraints *before* it sees the conflict, so an
update of a known person fails whenever the partial row leaves out a NOT NULL column (vendor C's
資格区分), and ``OR REPLACE`` silently sets every column not given to NULL. ``upsert`` updates
only the columns given when the key exists; for a new row it first checks that every NOT NULL
column without a default is given and raises ``IncompleteRow`` (naming the table and the
columns, never a value) instead of a bare IntegrityError.

``upsert_many`` does the same for many rows (a 全件 page): rows that carry every required column
(the usual case) go in one ``executemany`` of ``INSERT … ON CONFLICT (key) DO UPDATE`` of the
columns they carry — safe there, since no NOT NULL check can fail before the conflict is seen —
and any other row through ``upsert``, so each row ends exactly as ``upsert`` would leave it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

__all__ = ["IncompleteRow", "required_columns", "upsert", "upsert_many"]


class IncompleteRow(ValueError):
    """A new row lacks columns its table requires (NOT NULL, no default)."""

    def __init__(self, table: str, missing: Sequence[str]):
        super().__init__(f"a new {table} row needs {', '.join(missing)} (NOT NULL); the change "
                         f"does not give {'it' if len(missing) == 1 else 'them'}")
        self.table = table
        self.missing = tuple(missing)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def required_columns(conn: sqlite3.Connection, table: str) -> tuple[str, ...]:
    """Columns an INSERT must give: NOT NULL, no default, not an INTEGER PRIMARY KEY."""
    found = []
    for _, name, kind, notnull, default, pk in conn.execute(f"PRAGMA table_info({_q(table)})"):
        if notnull and default is None and not (pk and kind.upper() == "INTEGER"):
            found.append(name)
    return tuple(found)


def upsert(conn: sqlite3.Connection, table: str, key: Sequence[str],
           row: Mapping[str, object]) -> str:
    """Update the columns ``row`` carries on the row whose ``key`` columns match, or insert
    ``row`` as a new one (no commit: the caller owns the transaction). Returns "updated" or
    "inserted"; raises IncompleteRow when a new row lacks required columns."""
    missing_key = [k for k in key if k not in row]
    if missing_key:
        raise IncompleteRow(table, missing_key)
    where = " AND ".join(f"{_q(k)} = ?" for k in key)
    key_values = tuple(row[k] for k in key)
    values = {c: v for c, v in row.items() if c not in key}
    if values:
        cursor = conn.execute(
            f"UPDATE {_q(table)} SET {', '.join(f'{_q(c)} = ?' for c in values)} WHERE {where}",
            (*values.values(), *key_values))
        if cursor.rowcount:
            return "updated"
    elif conn.execute(f"SELECT 1 FROM {_q(table)} WHERE {where}", key_values).fetchone():
        return "updated"
    missing = [c for c in required_columns(conn, table) if row.get(c) is None]
    if missing:
        raise IncompleteRow(table, missing)
    conn.execute(f"INSERT INTO {_q(table)} ({', '.join(map(_q, row))}) "
                 f"VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
    return "inserted"


def upsert_many(conn: sqlite3.Connection, table: str, key: Sequence[str],
                rows: Sequence[Mapping[str, object]]) -> None:
    """``upsert`` each of ``rows`` in order (no commit), with one statement per set of columns
    for the rows that carry every required column. ``key`` must be the table's primary key or
    a unique constraint (what ``ON CONFLICT`` names)."""
    needed = frozenset((*key, *required_columns(conn, table)))  # given, and not None
    batch: list[tuple] = []
    columns: tuple[str, ...] | None = None

    def flush() -> None:
        if batch and columns is not None:
            conn.executemany(_upsert_sql(table, tuple(key), columns), batch)
        batch.clear()

    for row in rows:
        names = tuple(row)
        if names != columns:
            flush()
            columns = names if needed <= row.keys() else None
        values = tuple(row.values())
        if columns is None or None in values and any(row[c] is None for c in needed):
            flush()
            upsert(conn, table, key, row)  # the key or a required column is missing: as one
            continue
        batch.append(values)
    flush()


def _upsert_sql(table: str, key: tuple[str, ...], columns: tuple[str, ...]) -> str:
    update = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in columns if c not in key)
    return (f"INSERT INTO {_q(table)} ({', '.join(map(_q, columns))}) "
            f"VALUES ({', '.join('?' * len(columns))}) ON CONFLICT ({', '.join(map(_q, key))}) "
            + (f"DO UPDATE SET {update}" if update else "DO NOTHING"))
