"""The embedded notice store (保管転送 on SQLite): one file, one hub process.

Durability: WAL, and ``synchronous=FULL`` on the accept writer's connection, so the WAL is
fsynced at every accept commit — an acknowledged notice survives a power cut, not only a crash
of the process (``NORMAL`` would only fsync at checkpoints: fine for the routing log, not for a
notice a sender already deleted from its own outbox). Group commit pays that fsync once per
batch of concurrent senders.

Lease transitions (claim, complete, retry, dead, release) run with ``synchronous=NORMAL`` on the
callers' own connections: a power cut can take the last few of them back, which at worst
redelivers a notice (the receiver is an idempotent receiver) or re-counts an attempt. The WAL is
a log: a later FULL commit syncs every frame before it, so the file always recovers to a prefix
of the commits and never loses an accept because of an unsynced transition. Operator actions
(replay, purge) are rare and run with FULL, so an operator's decision is not silently undone.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..migrations import migrate
from ..sqlite_readonly import connect_readonly, user_version
from ..sqlite_wal import use_wal
from ..write_turns import WriteTurns
from .base import (DEAD_COLUMNS, DELIVERY_COLUMNS, DeadLetter, Delivery, NoticeRecord,
                   QueueStats, dead_letter_from_row, delivery_from_row,
                   purge_finished_notices, read_recent_facts)
from .claiming import Candidate, decode_subjects, select_claimable
from .group_commit import AcceptDone, AcceptRequest, GroupCommitter, NoticeStoreError

BUSY_TIMEOUT = 30.0  # seconds a writer waits for SQLite's write lock before failing

# Migration n (1-based) is MIGRATIONS[n - 1]; append, never edit a released one.
MIGRATIONS: list[list[str]] = [
    [  # 1: notices, deliveries and the indices the claim and operator queries use.
        """CREATE TABLE notices (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- acceptance order; never reused
            message_id TEXT NOT NULL UNIQUE,        -- the idempotent receiver's key
            service_id TEXT NOT NULL,
            local_gov_code TEXT NOT NULL,
            sender TEXT NOT NULL,
            subjects TEXT NOT NULL,                 -- JSON array of ordering keys
            content_type TEXT NOT NULL,
            soap_action TEXT,
            payload BLOB NOT NULL,
            received_at REAL NOT NULL,
            accepted_at REAL NOT NULL
        )""",
        """CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            seq INTEGER NOT NULL REFERENCES notices (seq),
            subscriber TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'inflight', 'delivered', 'dead', 'purged')),
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before REAL NOT NULL DEFAULT 0,     -- 0: due whatever the clock says
            lease_owner TEXT,
            lease_until REAL,
            last_error TEXT,
            error_at REAL,
            enqueued_at REAL NOT NULL,
            finished_at REAL,                       -- delivered, died or purged at
            UNIQUE (seq, subscriber)
        )""",
        # The claim scans exactly these rows in seq order (same IN list: SQLite only uses a
        # partial index when the query repeats its WHERE term).
        "CREATE INDEX deliveries_unfinished ON deliveries (subscriber, seq) "
        "WHERE state IN ('pending', 'inflight', 'dead')",
        "CREATE INDEX deliveries_leases ON deliveries (lease_owner) WHERE state = 'inflight'",
        "CREATE INDEX deliveries_state ON deliveries (subscriber, state)",
        "CREATE INDEX deliveries_errors ON deliveries (subscriber, error_at) "
        "WHERE error_at IS NOT NULL",
    ],
    [  # 2: the header fields delivery records in its hops, so it never parses a notice again
        # (NULL for notices accepted before: delivery reads those from the payload).
        "ALTER TABLE notices ADD COLUMN receiver TEXT",
        "ALTER TABLE notices ADD COLUMN service_version TEXT",
    ],
    [  # 3: the same table, its state's CHECK and the claim's partial index written without a
        # list of 3+ constants: SQLite evaluates `x IN (a, b, c)` by building a temporary B-tree
        # (each execution, for the new row and the old), three per UPDATE of a delivery and two
        # per INSERT — about half of each statement's instructions (issue 13). The same rows are
        # allowed and indexed; a CHECK cannot be altered, so the table is copied (ids and its
        # AUTOINCREMENT counter kept).
        """CREATE TABLE deliveries_3 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            seq INTEGER NOT NULL REFERENCES notices (seq),
            subscriber TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state = 'pending' OR state = 'inflight' OR state = 'delivered'
                       OR state = 'dead' OR state = 'purged'),
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before REAL NOT NULL DEFAULT 0,     -- 0: due whatever the clock says
            lease_owner TEXT,
            lease_until REAL,
            last_error TEXT,
            error_at REAL,
            enqueued_at REAL NOT NULL,
            finished_at REAL,                       -- delivered, died or purged at
            UNIQUE (seq, subscriber)
        )""",
        "INSERT INTO deliveries_3 (id, seq, subscriber, state, attempts, not_before, lease_owner, "
        "lease_until, last_error, error_at, enqueued_at, finished_at) SELECT id, seq, subscriber, "
        "state, attempts, not_before, lease_owner, lease_until, last_error, error_at, "
        "enqueued_at, finished_at FROM deliveries",
        "DELETE FROM sqlite_sequence WHERE name = 'deliveries_3'",
        "INSERT INTO sqlite_sequence (name, seq) "
        "SELECT 'deliveries_3', seq FROM sqlite_sequence WHERE name = 'deliveries'",
        "DROP TABLE deliveries",  # its indexes and counter with it
        "ALTER TABLE deliveries_3 RENAME TO deliveries",
        # The claim's rows (pending, inflight, dead); its query repeats this term.
        "CREATE INDEX deliveries_unfinished ON deliveries (subscriber, seq) "
        "WHERE state NOT IN ('delivered', 'purged')",
        "CREATE INDEX deliveries_leases ON deliveries (lease_owner) WHERE state = 'inflight'",
        "CREATE INDEX deliveries_state ON deliveries (subscriber, state)",
        "CREATE INDEX deliveries_errors ON deliveries (subscriber, error_at) "
        "WHERE error_at IS NOT NULL",
    ],
    [  # 4: the notice's request_digest, kept at acceptance: its receipts are checked against
        # it without hashing the payload once per delivery (NULL before: hashed then).
        "ALTER TABLE notices ADD COLUMN request_hash TEXT",
    ],
]

_INSERT_NOTICE = """INSERT INTO notices (message_id, service_id, local_gov_code, sender, subjects,
    content_type, soap_action, payload, received_at, accepted_at, receiver, service_version,
    request_hash)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING"""
_INSERT_DELIVERY = "INSERT INTO deliveries (seq, subscriber, enqueued_at) VALUES (?, ?, ?)"
_CANDIDATES = """SELECT d.id, d.seq, d.state, d.not_before, d.lease_until, n.subjects
    FROM deliveries d JOIN notices n ON n.seq = d.seq
    WHERE d.subscriber = ? AND d.state NOT IN ('delivered', 'purged') ORDER BY d.seq"""
# lease_owner is kept: it records which node delivered.
_COMPLETE = """UPDATE deliveries SET state = 'delivered', lease_until = NULL, finished_at = ?
    WHERE id = ? AND state = 'inflight' AND lease_owner = ?"""


def _selection(subscriber: str | None, delivery_ids: Sequence[int] | None) -> tuple[str, list]:
    """The WHERE terms narrowing an operator action; an empty id list selects nothing."""
    terms = ""
    params: list[object] = []
    if subscriber is not None:
        terms += " AND subscriber = ?"
        params.append(subscriber)
    if delivery_ids is not None:
        ids = [int(i) for i in delivery_ids]
        terms += f" AND id IN ({', '.join('?' for _ in ids)})" if ids else " AND 0"
        params += ids
    return terms, params


class SqliteNoticeStore:
    """``SqliteNoticeStore(path)`` opens or creates the store file and migrates it;
    ``readonly=True`` only reads an existing one (operators' commands), never creating a file.

    Accepts go through one writer thread (group commit); every other method runs on the calling
    thread's own connection (``threading.local``), writing inside ``BEGIN IMMEDIATE`` so that
    claims for a subscriber are serialised by SQLite's write lock — each transaction in its turn
    at that lock, across threads and worker processes (bus/store/write_turns.py).
    """

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()  # the connection list and the closed flag
        self._closed = False
        self._committer: GroupCommitter | None = None
        self._turns: WriteTurns | None = None
        if readonly:
            self._writer = self._open_readonly()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # every write transaction, of any thread or worker process, in its turn
        # (bus/store/write_turns.py)
        self._turns = WriteTurns(self.path)
        try:
            self._writer = self._connect(synchronous="FULL")
            try:
                migrate(self._writer, MIGRATIONS)
            except BaseException:
                self._writer.close()
                raise
        except BaseException:
            self._turns.close()
            raise
        self._committer = GroupCommitter(f"notice-store:{self.path.name}", self._write_batch)

    # -- connections ---------------------------------------------------------------------------

    def _open_readonly(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise NoticeStoreError(f"{self.path}: no such notice store")
        try:
            conn = connect_readonly(self.path, BUSY_TIMEOUT)
            version = user_version(conn)
        except sqlite3.Error as exc:
            raise NoticeStoreError(f"{self.path}: {exc}") from None
        if version != len(MIGRATIONS):
            conn.close()
            raise NoticeStoreError(
                f"{self.path}: not a notice store of this pfbus (schema version {version}, "
                f"expected {len(MIGRATIONS)})" + ("; open it once with the hub to migrate"
                                                  if 0 < version < len(MIGRATIONS) else ""))
        return conn

    def _connect(self, synchronous: str) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None,
                               check_same_thread=False)  # closed by close() on another thread
        use_wal(conn, BUSY_TIMEOUT)  # readers never block the writer
        conn.execute(f"PRAGMA synchronous={synchronous}")
        return conn

    def _conn(self) -> sqlite3.Connection:
        if self.readonly:  # one connection, the caller's thread: an operator's command
            if self._closed:
                raise NoticeStoreError(f"{self.path}: notice store is closed")
            return self._writer
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                if self._closed:
                    raise NoticeStoreError(f"{self.path}: notice store is closed")
                conn = self._connect(synchronous="NORMAL")
                self._connections.append(conn)
            self._local.conn = conn
        elif self._closed:
            raise NoticeStoreError(f"{self.path}: notice store is closed")
        return conn

    @contextmanager
    def _transaction(self, durable: bool = False) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        if durable:
            conn.execute("PRAGMA synchronous=FULL")
        assert self._turns is not None
        try:
            with self._turns:
                conn.execute("BEGIN IMMEDIATE")  # take the write lock now: no upgrade deadlocks
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
        finally:
            if durable:
                conn.execute("PRAGMA synchronous=NORMAL")

    # -- accepting -----------------------------------------------------------------------------

    def accept(self, notice: NoticeRecord, subscribers: Sequence[str]) -> bool:
        if self._committer is None:
            raise NoticeStoreError(f"{self.path}: notice store opened read-only")
        return self._committer.submit(notice, subscribers)

    def accept_async(self, notice: NoticeRecord, subscribers: Sequence[str],
                     on_done: AcceptDone) -> None:
        if self._committer is None:
            raise NoticeStoreError(f"{self.path}: notice store opened read-only")
        self._committer.submit_async(notice, subscribers, on_done)

    def _write_batch(self, batch: list[AcceptRequest]) -> None:
        conn, now = self._writer, time.time()
        assert self._turns is not None
        with self._turns:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for request in batch:
                    # A savepoint per notice: one failing insert must not take the others with it.
                    conn.execute("SAVEPOINT notice")
                    try:
                        request.accepted = self._insert(conn, request, now)
                        conn.execute("RELEASE notice")
                    except Exception as exc:
                        conn.execute("ROLLBACK TO notice")
                        conn.execute("RELEASE notice")
                        request.accepted, request.error = None, exc
                conn.execute("COMMIT")  # the one fsync of the batch (synchronous=FULL)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @staticmethod
    def _insert(conn: sqlite3.Connection, request: AcceptRequest, now: float) -> bool:
        n = request.notice
        cur = conn.execute(_INSERT_NOTICE, (
            n.message_id, n.service_id, n.local_gov_code, n.sender, json.dumps(list(n.subjects)),
            n.content_type, n.soap_action, n.payload, n.received_at, now, n.receiver,
            n.service_version, n.request_hash))
        if cur.rowcount != 1:
            return False  # seen before (maybe earlier in this very batch): store nothing
        conn.executemany(_INSERT_DELIVERY, [(cur.lastrowid, s, now) for s in request.subscribers])
        return True

    # -- delivering ----------------------------------------------------------------------------

    def claim(self, subscriber: str, node: str, lease_seconds: float, limit: int,
              now: float | None = None) -> list[Delivery]:
        return self.complete_and_claim((), subscriber, node, lease_seconds, limit, now)[1]

    def complete_and_claim(self, completed: Sequence[int], subscriber: str, node: str,
                           lease_seconds: float, limit: int, now: float | None = None
                           ) -> tuple[list[bool], list[Delivery]]:
        now = time.time() if now is None else now
        if not completed and limit <= 0:
            return [], []
        with self._transaction() as conn:
            finished_at = time.time()
            done = [conn.execute(_COMPLETE, (finished_at, i, node)).rowcount == 1
                    for i in completed]
            return done, self._claim(conn, subscriber, node, lease_seconds, limit, now)

    @staticmethod
    def _claim(conn: sqlite3.Connection, subscriber: str, node: str, lease_seconds: float,
               limit: int, now: float) -> list[Delivery]:
        if limit <= 0:
            return []
        cur = conn.execute(_CANDIDATES, (subscriber,))
        rows = (Candidate(r[0], r[1], r[2], r[3], r[4], decode_subjects(r[5])) for r in cur)
        ids = [c.id for c in select_claimable(rows, now, limit)]
        cur.close()  # the scan usually stops early: finish the statement before writing
        if not ids:
            return []
        conn.executemany(
            "UPDATE deliveries SET state = 'inflight', lease_owner = ?, lease_until = ?, "
            "attempts = attempts + 1 WHERE id = ?",
            [(node, now + lease_seconds, i) for i in ids])
        claimed = conn.execute(
            f"SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN notices n ON n.seq = d.seq "
            f"WHERE d.id IN ({', '.join('?' for _ in ids)}) ORDER BY d.seq", ids).fetchall()
        return [delivery_from_row(r, decode_subjects(r[5])) for r in claimed]

    def _finish(self, sql: str, params: tuple) -> bool:
        with self._transaction() as conn:
            return conn.execute(sql, params).rowcount == 1

    def complete(self, delivery_id: int, node: str) -> bool:
        return self._finish(_COMPLETE, (time.time(), delivery_id, node))

    def retry_later(self, delivery_id: int, node: str, error: str, not_before: float) -> bool:
        return self._finish(
            "UPDATE deliveries SET state = 'pending', not_before = ?, last_error = ?, "
            "error_at = ?, lease_owner = NULL, lease_until = NULL "
            "WHERE id = ? AND state = 'inflight' AND lease_owner = ?",
            (not_before, error, time.time(), delivery_id, node))

    def dead(self, delivery_id: int, node: str, error: str) -> bool:
        now = time.time()
        return self._finish(
            "UPDATE deliveries SET state = 'dead', last_error = ?, error_at = ?, "
            "lease_until = NULL, finished_at = ? "
            "WHERE id = ? AND state = 'inflight' AND lease_owner = ?",
            (error, now, now, delivery_id, node))

    def release(self, delivery_id: int, node: str) -> bool:
        return self._finish(
            "UPDATE deliveries SET state = 'pending', attempts = max(attempts - 1, 0), "
            "lease_owner = NULL, lease_until = NULL "
            "WHERE id = ? AND state = 'inflight' AND lease_owner = ?", (delivery_id, node))

    def release_node(self, node: str) -> int:
        with self._transaction() as conn:
            return conn.execute(
                "UPDATE deliveries SET state = 'pending', lease_owner = NULL, lease_until = NULL "
                "WHERE state = 'inflight' AND lease_owner = ?", (node,)).rowcount

    # -- operators -----------------------------------------------------------------------------

    def stats(self, now: float | None = None) -> list[QueueStats]:
        """``oldest_pending_age`` counts every undelivered, live delivery (pending or in
        flight); ``last_error`` is the most recent error recorded for the subscriber, even if
        later deliveries succeeded."""
        now = time.time() if now is None else now
        conn = self._conn()
        rows = conn.execute(
            "SELECT subscriber, sum(state = 'pending'), sum(state = 'inflight'), "
            "sum(state = 'delivered'), sum(state = 'dead'), "
            "min(CASE WHEN state IN ('pending', 'inflight') THEN enqueued_at END) "
            "FROM deliveries GROUP BY subscriber ORDER BY subscriber").fetchall()
        errors = {s: conn.execute(
            "SELECT last_error FROM deliveries WHERE subscriber = ? AND error_at IS NOT NULL "
            "ORDER BY error_at DESC LIMIT 1", (s,)).fetchone() for s, *_ in rows}
        return [QueueStats(subscriber=s, pending=p, inflight=i, delivered=d, dead=x,
                           oldest_pending_age=None if oldest is None else max(0.0, now - oldest),
                           last_error=errors[s][0] if errors[s] else None)
                for s, p, i, d, x, oldest in rows]

    def recent_facts(self, since: float) -> Iterator[tuple]:
        return read_recent_facts(self._conn().execute, "?", since)

    def purge_finished(self, delivered_before: float | None, dead_before: float | None,
                       batch: int = 5000) -> int:
        """Retention: delete notices whose every delivery is finished and old enough —
        delivered before ``delivered_before``, dead or purged before ``dead_before`` (None:
        kept for ever) — ``batch`` notices per transaction; returns how many."""
        def delete(seqs: list[int]) -> None:
            marks = ", ".join("?" for _ in seqs)
            with self._transaction() as conn:
                conn.execute(f"DELETE FROM deliveries WHERE seq IN ({marks})", seqs)
                conn.execute(f"DELETE FROM notices WHERE seq IN ({marks})", seqs)

        return purge_finished_notices(self._conn().execute, "?", delete, delivered_before,
                                      dead_before, batch)

    def dead_letters(self, subscriber: str | None = None, limit: int = 100) -> list[DeadLetter]:
        where, params = _selection(subscriber, None)
        rows = self._conn().execute(
            f"SELECT {DEAD_COLUMNS} FROM deliveries d JOIN notices n ON n.seq = d.seq "
            f"WHERE d.state = 'dead'{where} "
            f"ORDER BY d.seq, d.id LIMIT ?", [*params, int(limit)]).fetchall()
        return [dead_letter_from_row(r) for r in rows]

    def dead_letter(self, delivery_id: int) -> DeadLetter | None:
        row = self._conn().execute(
            f"SELECT {DEAD_COLUMNS}, n.payload FROM deliveries d JOIN notices n "
            f"ON n.seq = d.seq WHERE d.id = ? AND d.state = 'dead'", (delivery_id,)).fetchone()
        return None if row is None else dead_letter_from_row(row, with_payload=True)

    def replay(self, subscriber: str | None = None,
               delivery_ids: Sequence[int] | None = None) -> int:
        """Both filters None: every dead letter. ``seq`` is kept, so order is kept."""
        where, params = _selection(subscriber, delivery_ids)
        with self._transaction(durable=True) as conn:
            return conn.execute(
                "UPDATE deliveries SET state = 'pending', not_before = 0, attempts = 0, "
                "lease_owner = NULL, lease_until = NULL, finished_at = NULL "
                f"WHERE state = 'dead'{where}", params).rowcount

    def purge(self, subscriber: str | None = None,
              delivery_ids: Sequence[int] | None = None) -> int:
        """Both filters None: every dead letter."""
        where, params = _selection(subscriber, delivery_ids)
        with self._transaction(durable=True) as conn:
            return conn.execute(
                f"UPDATE deliveries SET state = 'purged', finished_at = ? "
                f"WHERE state = 'dead'{where}", [time.time(), *params]).rowcount

    def close(self) -> None:
        """Commit queued accepts, stop the writer, close every connection. Safe to call twice."""
        if self._committer is not None:
            self._committer.close()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in (self._writer, *connections):
            conn.close()
        if self._turns is not None:
            self._turns.close()

    def __enter__(self) -> SqliteNoticeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
