"""Versioned schemas on PostgreSQL: one migration runner for every store kept there (the
routing log, the notice store, the seen MessageIds).

Each store lists its migrations (migration *n* is ``migrations[n - 1]``; append, never edit a
released one) and records the versions it has applied in its own table in its schema, so stores
sharing a schema (the routing log and the seen MessageIds, by default) migrate independently.
Hubs starting together migrate one at a time under a transaction-scoped advisory lock; a schema
newer than this pfbus is refused rather than written with an older layout.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import psycopg
from psycopg import sql

from .migrations import SchemaVersionError


def advisory_key(text: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_*lock`` derived from ``text``."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big",
                          signed=True)


def migrate(conn: psycopg.Connection, schema: str, migrations: Sequence[Sequence[str]], *,
            versions_table: str, lock_key: int, what: str) -> int:
    """Create ``schema`` if missing and apply the migrations it lacks; returns the version now
    recorded. Run inside the caller's transaction (its lock is released at the commit, so later
    checks in the same transaction still hold it); ``conn``'s search_path must name ``schema``
    or the statements must qualify their tables."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {}.{} (version integer PRIMARY KEY, "
                         "applied_at timestamptz NOT NULL DEFAULT now())").format(
        sql.Identifier(schema), sql.Identifier(versions_table)))
    current = applied_version(conn, schema, versions_table) or 0
    target = len(migrations)
    if current > target:
        raise SchemaVersionError(f"{what} schema {schema} is at version {current}, newer than "
                                 f"this pfbus understands ({target}); use a newer pfbus")
    for version in range(current + 1, target + 1):
        for statement in migrations[version - 1]:
            conn.execute(statement)
        conn.execute(sql.SQL("INSERT INTO {}.{} (version) VALUES (%s)").format(
            sql.Identifier(schema), sql.Identifier(versions_table)), (version,))
    return target


def applied_version(conn: psycopg.Connection, schema: str, versions_table: str) -> int | None:
    """The newest version recorded in ``schema``, or None when it has no versions table (no
    store there)."""
    row = conn.execute("SELECT to_regclass(%s)", (f"{schema}.{versions_table}",)).fetchone()
    if row is None or row[0] is None:
        return None
    found = conn.execute(sql.SQL("SELECT coalesce(max(version), 0) FROM {}.{}").format(
        sql.Identifier(schema), sql.Identifier(versions_table))).fetchone()
    return int(found[0]) if found else 0
