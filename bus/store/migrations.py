"""Versioned schema migrations for the routing log (経路ログ), tracked in ``PRAGMA user_version``.

Each migration is a list of SQL statements; migration *n* takes the schema from version n-1 to n.
Append new migrations, never edit released ones: a deployed file records which ones it has run.
Columns and indexes of new migrations are built from ``HopRecord``'s declaration
(``add_columns``, ``declare_indexes``), and ``check_schema`` compares a migrated file with the
declaration, so the SQL type of a field and what its index holds are written in one place.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from .hop_record import BY_NAME, COLUMNS, Column


def add_columns(*names: str) -> list[str]:
    """ALTER TABLE statements adding declared fields (their SQL type from the declaration)."""
    return [f"ALTER TABLE hops ADD COLUMN {n} {BY_NAME[n].sql}" for n in names]


def add_indexes(*names: str) -> list[str]:
    """An index of every row per name: the form of released migrations 4 and 5 (new ones use
    ``declare_indexes``)."""
    return [f"CREATE INDEX IF NOT EXISTS hops_{n} ON hops ({n})" for n in names]


def index_ddl(c: Column) -> str:
    """CREATE INDEX for a field declared ``index`` (partial where it declares so); the
    PostgreSQL schema uses it too (bus/store/routing_log_pg_schema.py)."""
    where = c.index_where
    return f"CREATE INDEX hops_{c.name} ON hops ({c.name})" + (f" WHERE {where}" if where else "")


def declare_indexes(*names: str) -> list[str]:
    """Each named field's index made as declared now: dropped, then created again when the field
    is still declared ``index`` (a rebuild: its cost grows with the table)."""
    return [statement for n in names for statement in (
        f"DROP INDEX IF EXISTS hops_{n}", *([index_ddl(BY_NAME[n])] if BY_NAME[n].index else []))]


def start_format(fmt: int) -> list[str]:
    """Chain format ``fmt`` applies to records after the current last id (older rows keep the
    format they were hashed with: ``pfbus log verify`` reads this key)."""
    return [f"INSERT OR REPLACE INTO chain_meta (key, value) SELECT 'format_{fmt:d}_after', "
            f"CAST(MAX(COALESCE((SELECT MAX(id) FROM hops), 0), COALESCE((SELECT seq FROM "
            f"sqlite_sequence WHERE name = 'hops'), 0)) AS TEXT)",
            f"UPDATE chain_meta SET value = '{fmt:d}' WHERE key = 'format'"]

# Migration n (1-based) is MIGRATIONS[n - 1].
MIGRATIONS: list[list[str]] = [
    [  # 1: the hop table and the indices operators' queries use.
        """CREATE TABLE hops (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            exchange_id TEXT NOT NULL,
            message_id TEXT,
            relates_to TEXT,
            hop TEXT NOT NULL,
            status TEXT NOT NULL,
            service_id TEXT,
            service_version TEXT,
            sender TEXT,
            receiver TEXT,
            provider TEXT,
            endpoint TEXT,
            http_status INTEGER,
            fault_code TEXT,
            party TEXT,
            rule TEXT,
            path TEXT,
            line INTEGER,
            reason TEXT,
            duration_ms REAL,
            request_bytes INTEGER,
            response_bytes INTEGER,
            soap_version TEXT,
            at TEXT NOT NULL
        )""",
        "CREATE INDEX hops_message_id ON hops (message_id)",
        "CREATE INDEX hops_relates_to ON hops (relates_to)",
        "CREATE INDEX hops_at ON hops (at)",
        "CREATE INDEX hops_service_id ON hops (service_id)",
        "CREATE INDEX hops_exchange_id ON hops (exchange_id)",
    ],
    [  # 2: notices: which delivery attempt a hop records.
        "ALTER TABLE hops ADD COLUMN attempt INTEGER",
    ],
    [  # 3: the hash chain (bus/store/chain.py). Rows written before this migration stay
        # unchained (hash NULL): the chain starts at the first row after ``chain_start_after``.
        "ALTER TABLE hops ADD COLUMN prev_hash TEXT",
        "ALTER TABLE hops ADD COLUMN hash TEXT",
        """CREATE TABLE chain_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
        "INSERT INTO chain_meta (key, value) VALUES ('format', '1')",
        "INSERT INTO chain_meta (key, value) SELECT 'start_after', CAST(COALESCE(MAX(id), 0) "
        "AS TEXT) FROM hops",
        "INSERT INTO chain_meta (key, value) VALUES ('migrated_at', "
        "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))",
        # Anchors: the head hash every N records (also printed to the operator's JSON log).
        """CREATE TABLE chain_checkpoints (
            hop_id INTEGER PRIMARY KEY,
            hash TEXT NOT NULL,
            at TEXT NOT NULL
        )""",
    ],
    [  # 4: attribution (who actually sent it: the TLS-authenticated adapter and the address),
        # recovered records after a crash; chain format 2 covers them; the operators' indexes.
        *add_columns("peer", "remote", "recovered"),
        *start_format(2),
        *add_indexes("status", "sender", "fault_code", "peer"),
    ],
    [  # 5: operators search by 団体コード: a prefix range on the receiver
        *add_indexes("receiver"),
    ],
    [  # 6: file linkage (bus/files): a file's rows; chain format 3 covers them
        *add_columns("rows"),
        *start_format(3),
    ],
    [  # 7: chain format 4 — the same fields hashed as a JSON array (bus/store/chain.py; the
        # writer's CPU, issue 13); the rows before keep the format they were written with
        *start_format(4),
    ],
    [  # 8: indexes hold only the rows operators' searches look for (the writer's CPU and WAL
        # pages, issue 13): no NULLs, no ok status; peer's index goes (no search uses it)
        *declare_indexes("status", "message_id", "relates_to", "service_id", "sender",
                         "receiver", "fault_code", "peer"),
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaVersionError(Exception):
    """The file's schema version is one this code cannot use."""


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: Sequence[Sequence[str]] = MIGRATIONS) -> int:
    """Bring the schema up to ``len(migrations)``; returns the version now stored.

    ``conn`` must be in autocommit mode (``isolation_level=None``): the migrations run in one
    explicit ``BEGIN IMMEDIATE`` transaction (``user_version`` is part of it), so a crash mid-way
    leaves the old version intact and two processes opening a new file do not both migrate.
    """
    target = len(migrations)
    current = schema_version(conn)
    if current == target:  # the common case: no write lock taken
        return current
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(conn)  # re-read under the lock: another process may have won
        _refuse_newer(current, target)
        for version in range(current + 1, target + 1):
            for statement in migrations[version - 1]:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {target:d}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return target


def check_readable(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """For read-only opens: the schema must be exactly the one this code knows."""
    current = schema_version(conn)
    if current == 0:
        raise SchemaVersionError("not a routing log (no schema version recorded)")
    _refuse_newer(current, target)
    if current < target:
        raise SchemaVersionError(
            f"schema version {current} is older than {target}; open it once with the hub "
            f"(read-write) to migrate")
    return current


def check_schema(conn: sqlite3.Connection) -> list[str]:
    """Where the file's ``hops`` table disagrees with ``HopRecord``'s declaration (empty: none).

    Checks every declared field's column, SQL type and NOT NULL, that no undeclared column
    exists (besides id, prev_hash, hash), that each field declared ``index`` has its index
    ``hops_<field>`` on it with the declared WHERE (``Column.index_where``), and that no field
    declared without one has a ``hops_<field>`` index (each costs the writer per row). Indexes
    under other names are an operator's own and not checked.
    """
    info = {r[1]: (r[2].upper(), bool(r[3])) for r in conn.execute("PRAGMA table_info(hops)")}
    problems = []
    for c in COLUMNS:
        if c.name not in info:
            problems.append(f"column {c.name} is declared but not in the table")
        elif info[c.name] != (c.sql, c.not_null):
            problems.append(f"column {c.name}: table has {info[c.name]}, declared "
                            f"{(c.sql, c.not_null)}")
    for extra in set(info) - set(BY_NAME) - {"id", "prev_hash", "hash"}:
        problems.append(f"column {extra} is in the table but not declared in HopRecord")
    ours = {f"hops_{c.name}" for c in COLUMNS}  # an operator's own indexes are not read
    indexes = {name: ([r[2] for r in conn.execute(f"PRAGMA index_info({name})")],
                      _where_of(sql)) for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'hops' AND "
        "sql IS NOT NULL").fetchall() if name in ours}
    return problems + index_problems(indexes)


def index_problems(indexes: dict[str, tuple[list[str], str | None]]) -> list[str]:
    """How the ``hops_<field>`` indexes found (name → key columns, WHERE in the declaration's
    spelling) differ from HopRecord's declaration — both dialects' ``check_schema``. Indexes of
    other names (an operator's own) are not judged."""
    problems = []
    for c in COLUMNS:
        name = f"hops_{c.name}"
        if name not in indexes:
            if c.index:
                problems.append(f"column {c.name} is declared index=True but has no index "
                                f"{name}")
            continue
        if not c.index:
            problems.append(f"index {name} exists but column {c.name} is declared without one")
            continue
        keys, where = indexes[name]
        if keys != [c.name] or where != c.index_where:
            problems.append(f"index {name} is on {keys} where {where}; declared on "
                            f"[{c.name!r}] where {c.index_where}")
    return problems


def _where_of(create: str) -> str | None:
    """The WHERE of a CREATE INDEX statement as stored in sqlite_master (None: every row)."""
    head, sep, where = create.partition(" WHERE ")
    return " ".join(where.split()) if sep else None


def _refuse_newer(current: int, target: int) -> None:
    if current > target:
        raise SchemaVersionError(
            f"schema version {current} is newer than this pfbus understands ({target}); "
            f"use a newer pfbus, or restore a file written by this version")
