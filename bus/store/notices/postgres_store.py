"""The shared notice store (保管転送 on PostgreSQL): several hub processes, one queue.

Sync psycopg 3 only, one connection per thread: the Twisted edge calls the store from threads,
and async psycopg does not run on the default reactor.

- Accept: one writer thread per process commits concurrent callers in one transaction (group
  commit: one WAL flush for the batch). The transaction first takes a per-schema advisory lock, so
  accept transactions of all nodes commit one after another and ``seq`` order *is* commit order:
  a claim never sees seq 11 and later a seq 10 appearing behind it.
- Claim: ``SELECT … FROM subscribers … FOR NO KEY UPDATE SKIP LOCKED`` serialises claiming per
  subscriber across nodes (a node finding it locked returns nothing and polls again). NO KEY
  UPDATE rather than UPDATE: it does not conflict with the KEY SHARE lock that the foreign key
  check of an accept takes on the same row, so claims never stall accepts. The candidates are
  then read in one snapshot (a server-side cursor, abandoned once ``limit`` rows are chosen).
- Durability: the accept writer's session runs with ``synchronous_commit = on`` whatever the
  server's default. Lease transitions (claim, complete, retry, dead, release) run with ``off``:
  a server crash can take the last few back (never an accept: the WAL is replayed in order, so
  an accept's flush also flushes every transition before it), which at worst redelivers a
  notice to an idempotent receiver. Operator actions (replay, purge) wait for their flush.
- Times: when a caller passes no ``now``, the server's clock is used, so the lease of a node
  with a skewed clock still expires when the other nodes think it does.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg
from psycopg import sql

from ..pg_schema import applied_version, migrate
from .base import (DEAD_COLUMNS, DELIVERY_COLUMNS, DeadLetter, Delivery, NoticeRecord,
                   QueueStats, dead_letter_from_row, delivery_from_row,
                   purge_finished_notices, read_recent_facts)
from .claiming import Candidate, decode_subjects, select_claimable
from .group_commit import AcceptDone, AcceptRequest, GroupCommitter, NoticeStoreError

# Migration n (1-based) is MIGRATIONS[n - 1]; append, never edit a released one.
MIGRATIONS: list[list[str]] = [
    [  # 1: subscribers (the claim lock), notices, deliveries and their indices.
        """CREATE TABLE subscribers (
            name text PRIMARY KEY,
            created_at double precision NOT NULL DEFAULT extract(epoch FROM now())
        )""",
        """CREATE TABLE notices (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- acceptance (= commit) order
            message_id text NOT NULL UNIQUE,                      -- the idempotent receiver's key
            service_id text NOT NULL,
            local_gov_code text NOT NULL,
            sender text NOT NULL,
            subjects jsonb NOT NULL,
            content_type text NOT NULL,
            soap_action text,
            payload bytea NOT NULL,
            received_at double precision NOT NULL,
            accepted_at double precision NOT NULL
        )""",
        """CREATE TABLE deliveries (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            seq bigint NOT NULL REFERENCES notices (seq),
            subscriber text NOT NULL REFERENCES subscribers (name),
            state text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'inflight', 'delivered', 'dead', 'purged')),
            attempts integer NOT NULL DEFAULT 0,
            not_before double precision NOT NULL DEFAULT 0,  -- 0: due whatever the clock says
            lease_owner text,
            lease_until double precision,
            last_error text,
            error_at double precision,
            enqueued_at double precision NOT NULL,
            finished_at double precision,                    -- delivered, died or purged at
            UNIQUE (seq, subscriber)
        )""",
        "CREATE INDEX deliveries_unfinished ON deliveries (subscriber, seq) "
        "WHERE state IN ('pending', 'inflight', 'dead')",
        "CREATE INDEX deliveries_leases ON deliveries (lease_owner) WHERE state = 'inflight'",
        "CREATE INDEX deliveries_state ON deliveries (subscriber, state)",
        "CREATE INDEX deliveries_errors ON deliveries (subscriber, error_at) "
        "WHERE error_at IS NOT NULL",
    ],
    [  # 2: the header fields delivery records in its hops, so it never parses a notice again
        # (NULL for notices accepted before: delivery reads those from the payload).
        "ALTER TABLE notices ADD COLUMN receiver text, ADD COLUMN service_version text",
    ],
    [  # 3: the notice's request_digest, kept at acceptance: its receipts are checked against
        # it without hashing the payload once per delivery (NULL before: hashed then).
        "ALTER TABLE notices ADD COLUMN request_hash text",
    ],
]

_NOW = "extract(epoch FROM clock_timestamp())::float8"  # the server's clock, POSIX seconds
_INSERT_NOTICES = """INSERT INTO notices (message_id, service_id, local_gov_code, sender,
        subjects, content_type, soap_action, payload, received_at, accepted_at, receiver,
        service_version, request_hash)
    SELECT m, sv, lg, sd, sj::jsonb, ct, sa, p, r, extract(epoch FROM clock_timestamp())::float8,
        rc, vr, rh
    FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[],
                %b::text[], %b::bytea[], %b::float8[], %b::text[], %b::text[], %b::text[])
         WITH ORDINALITY AS u (m, sv, lg, sd, sj, ct, sa, p, r, rc, vr, rh, ord)
    ORDER BY ord  -- seq follows arrival order within the batch
    ON CONFLICT (message_id) DO NOTHING
    RETURNING message_id, seq"""
# lease_owner is kept: it records which node delivered.
_COMPLETE = f"state = 'delivered', lease_until = NULL, finished_at = {_NOW}"
_CANDIDATES = """SELECT d.id, d.seq, d.state, d.not_before, d.lease_until, n.subjects::text
    FROM deliveries d JOIN notices n ON n.seq = d.seq
    WHERE d.subscriber = %s AND d.state IN ('pending', 'inflight', 'dead') ORDER BY d.seq"""
_FIRST_PAGE = 512  # unfinished deliveries a claim reads in one round trip before streaming


def _candidates(rows: Iterable[Sequence[Any]]) -> Iterator[Candidate]:
    return (Candidate(r[0], r[1], r[2], r[3], r[4], decode_subjects(r[5])) for r in rows)


def _lock_key(purpose: str, schema: str) -> int:
    """A stable 64-bit advisory lock key per purpose and schema (stores in other schemas of
    the same database do not contend)."""
    digest = hashlib.blake2b(f"pfbus.notices:{purpose}:{schema}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _one(cursor: psycopg.Cursor[Any]) -> Any:
    """The single value of a query that always answers one row (an aggregate, now())."""
    row = cursor.fetchone()
    assert row is not None
    return row[0]


def _selection(subscriber: str | None, delivery_ids: Sequence[int] | None) -> tuple[str, list]:
    """The WHERE terms narrowing an operator action; an empty id list selects nothing."""
    terms = ""
    params: list[object] = []
    if subscriber is not None:
        terms += " AND d.subscriber = %s"
        params.append(subscriber)
    if delivery_ids is not None:
        terms += " AND d.id = ANY(%s)"
        params.append([int(i) for i in delivery_ids])
    return terms, params


class PostgresNoticeStore:
    """``PostgresNoticeStore(dsn, schema="pfbus")``: creates the schema and migrates it (under
    an advisory lock, so hub processes starting together do not race). ``readonly=True`` only
    reads an existing schema (operators' commands), in read-only transactions."""

    def __init__(self, dsn: str, schema: str = "pfbus", *, readonly: bool = False) -> None:
        self.dsn, self.schema, self.readonly = dsn, schema, readonly
        self._accept_key = _lock_key("accept", schema)
        self._local = threading.local()
        self._connections: list[psycopg.Connection] = []
        self._lock = threading.Lock()  # the connection list and the closed flag
        self._closed = False
        self._known_subscribers: set[str] = set()  # writer thread only: rows known to exist
        self._writer: psycopg.Connection | None = None
        self._committer: GroupCommitter | None = None
        if readonly:
            self._check_readable()
            return
        self._migrate()
        self._committer = GroupCommitter(f"notice-store:{schema}", self._write_batch)

    # -- connections ---------------------------------------------------------------------------

    def _connect(self, synchronous_commit: str = "on") -> psycopg.Connection:
        conn = psycopg.connect(self.dsn, autocommit=True)  # transactions are explicit
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
        # Set per session, so an accept never depends on the server's default.
        conn.execute(sql.SQL("SET synchronous_commit TO {}").format(sql.Literal(
            synchronous_commit)))
        if self.readonly:
            conn.execute("SET default_transaction_read_only TO on")
        return conn

    def _check_readable(self) -> None:
        """The schema exists at this pfbus's version; nothing is created."""
        with self._connect() as conn:
            current = applied_version(conn, self.schema, "schema_migrations")
        if current is None:
            raise NoticeStoreError(f"notice store schema {self.schema}: not found")
        if current != len(MIGRATIONS):
            raise NoticeStoreError(f"notice store schema {self.schema} is at version {current}, "
                                   f"this pfbus reads {len(MIGRATIONS)}")

    def _conn(self) -> psycopg.Connection:
        conn = getattr(self._local, "conn", None)
        if self._closed:
            raise NoticeStoreError(f"notice store {self.schema}: closed")
        if conn is None or conn.closed:  # first use on this thread, or lost (server restart)
            conn = self._connect(synchronous_commit="off")  # see the module doc: transitions
            with self._lock:
                self._connections = [c for c in self._connections if not c.closed]
                self._connections.append(conn)
            self._local.conn = conn
        return conn

    def _migrate(self) -> None:
        with self._connect() as conn, conn.transaction():
            migrate(conn, self.schema, MIGRATIONS, versions_table="schema_migrations",
                    lock_key=_lock_key("migrate", self.schema), what="notice store")

    # -- accepting -----------------------------------------------------------------------------

    def accept(self, notice: NoticeRecord, subscribers: Sequence[str]) -> bool:
        if self._committer is None:
            raise NoticeStoreError(f"notice store {self.schema}: opened read-only")
        return self._committer.submit(notice, subscribers)

    def accept_async(self, notice: NoticeRecord, subscribers: Sequence[str],
                     on_done: AcceptDone) -> None:
        if self._committer is None:
            raise NoticeStoreError(f"notice store {self.schema}: opened read-only")
        self._committer.submit_async(notice, subscribers, on_done)

    def _write_batch(self, batch: list[AcceptRequest]) -> None:
        if self._writer is None or self._writer.closed:
            self._writer = self._connect()
            with self._lock:
                self._connections.append(self._writer)
            self._known_subscribers.clear()  # a failed batch may have added none of them
        conn = self._writer
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._accept_key,))
                try:
                    with conn.transaction():  # fast path: the whole batch in a few statements
                        self._insert(conn, batch)
                except (psycopg.DataError, psycopg.IntegrityError, psycopg.ProgrammingError):
                    # One bad notice: redo one by one, each in its own savepoint.
                    for request in batch:
                        try:
                            with conn.transaction():
                                self._insert(conn, [request])
                        except (psycopg.DataError, psycopg.IntegrityError,
                                psycopg.ProgrammingError) as exc:
                            request.accepted, request.error = None, exc
        except BaseException:
            self._known_subscribers.clear()  # rolled back: the cache may name absent rows
            raise

    def _insert(self, conn: psycopg.Connection, batch: list[AcceptRequest]) -> None:
        notices = [r.notice for r in batch]
        # The arrays in binary (%b): in text each payload is escaped to hex and the array's
        # quoting then runs a regular expression over every character (~40 % of the group
        # commit's instructions for 2.3 KB notices, issue 13); in binary the bytes go as they are
        rows = conn.execute(_INSERT_NOTICES, (
            [n.message_id for n in notices], [n.service_id for n in notices],
            [n.local_gov_code for n in notices], [n.sender for n in notices],
            [json.dumps(list(n.subjects)) for n in notices], [n.content_type for n in notices],
            [n.soap_action for n in notices], [n.payload for n in notices],
            [float(n.received_at) for n in notices], [n.receiver for n in notices],
            [n.service_version for n in notices],
            [n.request_hash for n in notices])).fetchall()
        new: dict[str, int] = dict(rows)  # message_id -> seq of the rows this statement inserted
        seqs, names = [], []
        for request in batch:
            # The first request carrying an ID gets its row; a repeat, here or earlier, is False.
            seq = new.pop(request.notice.message_id, None)
            request.accepted = seq is not None
            if seq is not None:
                seqs += [seq] * len(request.subscribers)
                names += request.subscribers
        unknown = sorted(set(names) - self._known_subscribers)
        if unknown:  # the claim lock's row; DO NOTHING never waits on a claimer's lock
            conn.execute("INSERT INTO subscribers (name) SELECT unnest(%s::text[]) "
                         "ON CONFLICT DO NOTHING", (unknown,))
        if seqs:
            conn.execute(f"INSERT INTO deliveries (seq, subscriber, enqueued_at) "
                         f"SELECT s, n, {_NOW} FROM unnest(%s::bigint[], %s::text[]) AS u (s, n)",
                         (seqs, names))
        self._known_subscribers.update(unknown)

    # -- delivering ----------------------------------------------------------------------------

    def claim(self, subscriber: str, node: str, lease_seconds: float, limit: int,
              now: float | None = None) -> list[Delivery]:
        return self.complete_and_claim((), subscriber, node, lease_seconds, limit, now)[1]

    def complete_and_claim(self, completed: Sequence[int], subscriber: str, node: str,
                           lease_seconds: float, limit: int, now: float | None = None
                           ) -> tuple[list[bool], list[Delivery]]:
        if not completed and limit <= 0:
            return [], []
        conn = self._conn()
        with conn.transaction():
            done: list[bool] = []
            if completed:
                ids = [int(i) for i in completed]
                finished = {r[0] for r in conn.execute(
                    f"UPDATE deliveries SET {_COMPLETE} WHERE id = ANY(%s) "
                    f"AND state = 'inflight' AND lease_owner = %s RETURNING id",
                    (ids, node))}
                done = [i in finished for i in ids]
            return done, self._claim(conn, subscriber, node, lease_seconds, limit, now)

    @staticmethod
    def _claim(conn: psycopg.Connection, subscriber: str, node: str, lease_seconds: float,
               limit: int, now: float | None) -> list[Delivery]:
        if limit <= 0:
            return []
        if now is None:
            now = _one(conn.execute(f"SELECT {_NOW}"))
        if conn.execute("SELECT name FROM subscribers WHERE name = %s "
                        "FOR NO KEY UPDATE SKIP LOCKED", (subscriber,)).fetchone() is None:
            return []  # unknown subscriber, or another node is claiming for it right now
        # Most claims decide within the queue's first rows: read those in one round trip. Only
        # when they are all read without deciding is the whole queue streamed (one snapshot,
        # a server-side cursor). select_claimable abandons its input once it has decided, so a
        # decision within the first page is the one the whole stream would give.
        # rows in binary: no integer or float parsed from text (a page is up to 512 rows)
        page = conn.execute(_CANDIDATES + " LIMIT %s", (subscriber, _FIRST_PAGE),
                            binary=True).fetchall()
        chosen = select_claimable(_candidates(page), now, limit)
        if len(page) == _FIRST_PAGE and len(chosen) < limit:
            with conn.cursor(name="pfbus_claim_candidates") as cur:  # one snapshot, streamed
                cur.itersize = 256
                cur.execute(_CANDIDATES, (subscriber,), binary=True)
                chosen = select_claimable(_candidates(cur), now, limit)
        ids = [c.id for c in chosen]
        if not ids:
            return []
        # The state guard: the old owner of an expired lease may have finished it since
        # the snapshot; never turn a delivered or dead row back into an in-flight one.
        rows = conn.execute(
            f"UPDATE deliveries d SET state = 'inflight', lease_owner = %s, "
            f"lease_until = %s, attempts = d.attempts + 1 FROM notices n "
            f"WHERE n.seq = d.seq AND d.id = ANY(%s) AND d.state IN ('pending', 'inflight') "
            f"RETURNING {DELIVERY_COLUMNS}", (node, now + lease_seconds, ids),
            binary=True).fetchall()  # the payloads as bytes, not hex text to decode
        return sorted((delivery_from_row(r, r[5]) for r in rows), key=lambda d: d.seq)

    def _finish(self, assignments: str, delivery_id: int, node: str, params: tuple = ()) -> bool:
        cur = self._conn().execute(
            f"UPDATE deliveries SET {assignments} "
            f"WHERE id = %s AND state = 'inflight' AND lease_owner = %s",
            (*params, delivery_id, node))
        return cur.rowcount == 1

    def complete(self, delivery_id: int, node: str) -> bool:
        return self._finish(_COMPLETE, delivery_id, node)

    def retry_later(self, delivery_id: int, node: str, error: str, not_before: float) -> bool:
        return self._finish(f"state = 'pending', not_before = %s, last_error = %s, "
                            f"error_at = {_NOW}, lease_owner = NULL, lease_until = NULL",
                            delivery_id, node, (not_before, error))

    def dead(self, delivery_id: int, node: str, error: str) -> bool:
        return self._finish(f"state = 'dead', last_error = %s, error_at = {_NOW}, "
                            f"lease_until = NULL, finished_at = {_NOW}",
                            delivery_id, node, (error,))

    def release(self, delivery_id: int, node: str) -> bool:
        return self._finish("state = 'pending', attempts = greatest(attempts - 1, 0), "
                            "lease_owner = NULL, lease_until = NULL", delivery_id, node)

    def release_node(self, node: str) -> int:
        return self._conn().execute(
            "UPDATE deliveries SET state = 'pending', lease_owner = NULL, lease_until = NULL "
            "WHERE state = 'inflight' AND lease_owner = %s", (node,)).rowcount

    # -- operators -----------------------------------------------------------------------------

    def stats(self, now: float | None = None) -> list[QueueStats]:
        """``oldest_pending_age`` counts every undelivered, live delivery (pending or in
        flight); ``last_error`` is the most recent error recorded for the subscriber, even if
        later deliveries succeeded."""
        rows = self._conn().execute(
            f"SELECT d.subscriber, count(*) FILTER (WHERE state = 'pending'), "
            f"count(*) FILTER (WHERE state = 'inflight'), "
            f"count(*) FILTER (WHERE state = 'delivered'), count(*) FILTER (WHERE state = 'dead'), "
            f"coalesce(%s::float8, {_NOW}) "
            f"- min(enqueued_at) FILTER (WHERE state IN ('pending', 'inflight')), "
            f"(SELECT e.last_error FROM deliveries e WHERE e.subscriber = d.subscriber "
            f"AND e.error_at IS NOT NULL ORDER BY e.error_at DESC LIMIT 1) "
            f"FROM deliveries d GROUP BY d.subscriber ORDER BY d.subscriber", (now,)).fetchall()
        return [QueueStats(s, p, i, d, x, None if age is None else max(0.0, age), error)
                for s, p, i, d, x, age, error in rows]

    def recent_facts(self, since: float) -> Iterator[tuple]:
        return read_recent_facts(self._conn().execute, "%s", since)

    def purge_finished(self, delivered_before: float | None, dead_before: float | None,
                       batch: int = 5000) -> int:
        """Retention: delete notices whose every delivery is finished and old enough —
        delivered before ``delivered_before``, dead or purged before ``dead_before`` (None:
        kept for ever) — ``batch`` notices per transaction; returns how many."""
        def delete(seqs: list[int]) -> None:
            conn = self._conn()
            with conn.transaction():
                conn.execute("DELETE FROM deliveries WHERE seq = ANY(%s)", (seqs,))
                conn.execute("DELETE FROM notices WHERE seq = ANY(%s)", (seqs,))

        return purge_finished_notices(self._conn().execute, "%s", delete, delivered_before,
                                      dead_before, batch)

    def dead_letters(self, subscriber: str | None = None, limit: int = 100) -> list[DeadLetter]:
        where, params = _selection(subscriber, None)
        rows = self._conn().execute(
            f"SELECT {DEAD_COLUMNS} FROM deliveries d JOIN notices n ON n.seq = d.seq "
            f"WHERE d.state = 'dead'{where} ORDER BY d.seq, d.id LIMIT %s",
            [*params, int(limit)]).fetchall()
        return [dead_letter_from_row(r) for r in rows]

    def dead_letter(self, delivery_id: int) -> DeadLetter | None:
        row = self._conn().execute(
            f"SELECT {DEAD_COLUMNS}, n.payload FROM deliveries d JOIN notices n "
            f"ON n.seq = d.seq WHERE d.id = %s AND d.state = 'dead'", (delivery_id,)).fetchone()
        return None if row is None else dead_letter_from_row(row, with_payload=True)

    def replay(self, subscriber: str | None = None,
               delivery_ids: Sequence[int] | None = None) -> int:
        """Both filters None: every dead letter. ``seq`` is kept, so order is kept."""
        where, params = _selection(subscriber, delivery_ids)
        return self._durably(
            f"UPDATE deliveries d SET state = 'pending', not_before = 0, attempts = 0, "
            f"lease_owner = NULL, lease_until = NULL, finished_at = NULL "
            f"WHERE d.state = 'dead'{where}", params)

    def purge(self, subscriber: str | None = None,
              delivery_ids: Sequence[int] | None = None) -> int:
        """Both filters None: every dead letter."""
        where, params = _selection(subscriber, delivery_ids)
        return self._durably(
            f"UPDATE deliveries d SET state = 'purged', finished_at = {_NOW} "
            f"WHERE d.state = 'dead'{where}", params)

    def _durably(self, statement: str, params: list) -> int:
        """An operator's decision waits for its WAL flush, unlike a lease transition."""
        conn = self._conn()
        with conn.transaction():
            conn.execute("SET LOCAL synchronous_commit TO on")
            return conn.execute(statement, params).rowcount

    def close(self) -> None:
        """Commit queued accepts, stop the writer, close every connection. Safe to call twice."""
        if self._committer is not None:
            self._committer.close()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()

    def __enter__(self) -> PostgresNoticeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
