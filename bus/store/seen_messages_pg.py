"""The seen MessageIds on PostgreSQL (``bus.core.replay.SeenMessages``): one table for a cluster
of hubs, so a request replayed to another machine's hub is refused (PF-DUPLICATE-MESSAGE) as one
replayed to the same hub is (issue 13 item 5). ``[store] seen_messages = "postgresql://…"``, by
default the routing log's database and schema when the log is on PostgreSQL.

The same contract as the SQLite file (bus/store/seen_messages.py, whose writer thread and batches
this store shares): the insert IS the decision. A batch is one statement — one round trip, one
transaction, committed with ``synchronous_commit = on`` before any of its requests goes on:

    INSERT … SELECT FROM unnest(ids, nows, expiries) ON CONFLICT (message_id)
        DO UPDATE … WHERE seen_messages.expires_at <= that sighting's now RETURNING message_id

The rows returned are the IDs admitted. Of two hubs inserting one ID at once, the second waits
for the first's row (the unique index), then sees it committed and unexpired: exactly one admits.
Each batch inserts its IDs in sorted order, so two batches sharing several IDs lock them in the
same order and cannot deadlock; an ID twice in one batch is inserted once (PostgreSQL refuses to
change one row twice in a statement), its later sightings being replays of the first.

Expired rows are deleted in bounded batches; ``SKIP LOCKED``: hubs purging together, or a purge
meeting a batch re-admitting an expired ID, never wait for one another. A lost connection
refuses that batch's requests (PF-LOG-UNAVAILABLE) and is reopened for the next one; so does a
statement taking longer than ``BUSY_TIMEOUT`` (``statement_timeout``: a lock held too long).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg
from psycopg import sql

from ..core.pg_url import redacted, split_url
from ..core.replay import SeenMessagesUnavailable
from .migrations import SchemaVersionError
from .pg_schema import advisory_key, applied_version, migrate
from .seen_messages import BatchedSeenMessages, Decision, Sighting
from .seen_shards import BUSY_TIMEOUT

DEFAULT_SCHEMA = "pfbus_log"  # beside the routing log's tables, as the file is beside its file

# Migration n is MIGRATIONS[n - 1]; append, never edit a released one (bus/store/pg_schema.py).
MIGRATIONS: list[list[str]] = [
    [  # 1: IF NOT EXISTS adopts a table made before versions were recorded (by the same DDL)
        """CREATE TABLE IF NOT EXISTS seen_messages (
            message_id text COLLATE "C" PRIMARY KEY,
            expires_at double precision NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS seen_messages_expiry ON seen_messages (expires_at)",
    ],
]
VERSIONS_TABLE = "seen_messages_migrations"
_SIGHT = """WITH batch AS (
        SELECT * FROM unnest(%s::text[], %s::float8[], %s::float8[]) AS b(message_id, now, expires_at))
    INSERT INTO seen_messages AS s (message_id, expires_at)
        SELECT message_id, expires_at FROM batch
    ON CONFLICT (message_id) DO UPDATE SET expires_at = excluded.expires_at
        WHERE s.expires_at <= (SELECT b.now FROM batch b WHERE b.message_id = excluded.message_id)
    RETURNING message_id"""
_PURGE = """DELETE FROM seen_messages WHERE message_id IN (
    SELECT message_id FROM seen_messages WHERE expires_at <= %s LIMIT %s FOR UPDATE SKIP LOCKED)"""


class PostgresSeenMessages(BatchedSeenMessages):
    """``PostgresSeenMessages(url)``: creates the schema and table if missing (under an advisory
    lock: hubs starting together do not race), then decides sightings off the caller's thread.
    Raises SeenMessagesUnavailable when the server cannot be reached at the start."""

    def __init__(self, url: str, clock: Callable[[], float] = time.time,
                 deliver: Callable[[Callable[[], None]], None] | None = None):
        self.dsn, self.schema = split_url(url, DEFAULT_SCHEMA, "seen messages")
        self.name = f"{redacted(self.dsn)}?schema={self.schema}"
        try:
            with self._connect() as conn, conn.transaction():
                conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(
                    sql.Identifier(self.schema)))
                # DDL only when a version is missing: even CREATE INDEX IF NOT EXISTS would
                # lock the table against the other hubs' inserts at every start
                if applied_version(conn, self.schema, VERSIONS_TABLE) != len(MIGRATIONS):
                    migrate(conn, self.schema, MIGRATIONS, versions_table=VERSIONS_TABLE,
                            lock_key=advisory_key(f"pfbus.seen_messages:{self.schema}"),
                            what="seen messages")
            self._conn: psycopg.Connection | None = self._connect(search_path=True)
        except (psycopg.Error, SchemaVersionError) as exc:
            raise SeenMessagesUnavailable(f"{self.name}: {exc}") from None
        super().__init__(f"pfbus-seen-messages:{self.schema}", clock, deliver)

    def _connect(self, search_path: bool = False) -> psycopg.Connection:
        conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)
        if search_path:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            # per session: an admitted ID is durable before its request goes on
            conn.execute("SET synchronous_commit TO on")
            # a batch waiting longer (a lock held, a stalled server) is refused, as on SQLite
            conn.execute(sql.SQL("SET statement_timeout TO {}").format(
                sql.Literal(int(BUSY_TIMEOUT * 1000))))
        return conn

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:  # lost earlier: try again for this batch
            self._conn = self._connect(search_path=True)
        return self._conn

    def _run(self, query: str, params: tuple) -> psycopg.Cursor:
        try:
            return self._connection().execute(query, params, prepare=True)
        except psycopg.Error as exc:
            if self._conn is not None and self._conn.broken:
                self._conn.close()  # reopened for the next batch
            raise SeenMessagesUnavailable(f"{self.name}: {exc.__class__.__name__}: "
                                          f"{str(exc).strip()}") from None

    def _decide(self, sightings: list[Sighting]) -> list[Decision]:
        first: dict[str, Sighting] = {}
        for sighting in sightings:
            first.setdefault(sighting[0], sighting)
        batch = sorted(first.values())  # one lock order for every hub: no deadlock
        admitted = {row[0] for row in self._run(_SIGHT, (
            [mid for mid, _, _ in batch], [now for _, now, _ in batch],
            [expires_at for _, _, expires_at in batch])).fetchall()}
        results: list[Decision] = []
        for mid, _, _ in sightings:
            results.append(mid in admitted)
            admitted.discard(mid)  # the same ID again in this batch: a replay of the first
        return results

    def _purge(self, now: float, limit: int) -> bool:
        return self._run(_PURGE, (now, limit)).rowcount >= limit

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def __len__(self) -> int:
        self.flush()
        with self._connect(search_path=True) as conn:
            row = conn.execute("SELECT count(*) FROM seen_messages").fetchone()
        return row[0] if row else 0
