"""The MessageIds of accepted requests, each until it expires (``bus.core.replay.SeenMessages``):
the idempotent receiver's table for request-response exchanges, surviving restarts.

SQLite, one file next to the routing log, shared by every hub process writing that log
(``pfbus serve --workers N``). The insert IS the decision: ``INSERT … ON CONFLICT (message_id)
DO UPDATE … WHERE expires_at <= now`` changes a row only for an ID not seen or expired, inside
one write transaction — so of two sightings of one ID, in this process or in another one on the
same file, exactly one is admitted, whichever commits first. A dictionary of IDs "not yet
committed" (the single-process design before) could not see the other process's.

The hot path stays off the disk's critical path and off the reactor: ``first_sighting`` queues
the sighting and returns a Deferred; a writer thread takes every sighting waiting
(``bus.store.batching``), decides them in one transaction (one commit per batch, WAL with
``synchronous=NORMAL``) and hands the decisions back in one call of ``deliver`` (the hub passes
``reactor.callFromThread``: one wake-up of the reactor per batch). A request waits for that
commit before it is forwarded, so an admitted ID is on disk before its exchange goes on: a crash
cannot forget an admitted ID (a power cut may, within ``synchronous=NORMAL``'s last commits).
Expired rows are deleted by the writer, in bounded batches through the ``expires_at`` index.

Hubs on several machines keep their seen MessageIds on PostgreSQL instead (one table for all,
bus/store/seen_messages_pg.py: the same upsert, the same writer as here — ``BatchedSeenMessages``).
"""

from __future__ import annotations

import functools
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from twisted.internet import defer

from ..core.pg_url import is_postgres
from ..core.replay import SeenMessagesUnavailable
from .batching import STOP, Flush, next_batch
from .sqlite_wal import use_wal
from .write_turns import Checkpoints, WriteTurns

BATCH = 500  # sightings per commit at most
PURGE_EVERY = 60.0  # seconds between two deletions of expired rows
PURGE_BATCH = 10_000  # rows deleted at most at once
BUSY_TIMEOUT = 30.0  # seconds the writer waits for another process's write lock
# A WAL checkpoint after this many commits or sightings (bus/store/write_turns.py): about
# SQLite's default of 1,000 pages when a commit decides two sightings (~5.5 pages)
CHECKPOINT_COMMITS = 180
CHECKPOINT_ROWS = 360

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS seen_messages (
        message_id TEXT PRIMARY KEY,
        expires_at REAL NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS seen_messages_expiry ON seen_messages (expires_at)",
)
# A row changes (rowcount 1) only for an ID never seen or whose window has passed.
_SIGHT = """INSERT INTO seen_messages (message_id, expires_at) VALUES (?, ?)
    ON CONFLICT (message_id) DO UPDATE SET expires_at = excluded.expires_at
    WHERE seen_messages.expires_at <= ?"""
_PURGE = """DELETE FROM seen_messages WHERE message_id IN (
    SELECT message_id FROM seen_messages WHERE expires_at <= ? LIMIT ?)"""

Decided = list[tuple[defer.Deferred, object]]  # (waiter, True/False or the error)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT, isolation_level=None,
                           check_same_thread=False)
    use_wal(conn, BUSY_TIMEOUT)  # the reader never waits for the writer
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _fire(decided: Decided) -> None:
    for waiter, result in decided:
        if isinstance(result, BaseException):
            waiter.errback(result)
        else:
            waiter.callback(result)


Sighting = tuple[str, float, float]  # (message_id, now, expires_at)


class BatchedSeenMessages:
    """The queue, writer thread and decision loop every store of seen MessageIds shares; a
    store gives ``_decide`` (a batch of sightings → one decision each, in one transaction),
    ``_purge`` and ``_close``.

    ``deliver(call)`` runs ``call`` where the Deferreds may fire: the reactor thread in the
    hub (``reactor.callFromThread``); by default the writer thread itself."""

    def __init__(self, name: str, clock: Callable[[], float] = time.time,
                 deliver: Callable[[Callable[[], None]], None] | None = None):
        self._clock = clock  # for the writer's purges only
        self._deliver = deliver or (lambda call: call())
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, name=name, daemon=True)
        self._writer.start()

    def first_sighting(self, message_id: str, now: float, expires_at: float) -> defer.Deferred:
        """Fires with True when ``message_id`` is recorded until ``expires_at`` by this call,
        False when it is already recorded with an expiry after ``now`` (a replay)."""
        waiter: defer.Deferred = defer.Deferred()
        self._queue.put((message_id, now, expires_at, waiter))
        return waiter

    def flush(self) -> None:
        """Return once every sighting so far is decided and handed to ``deliver``."""
        marker = Flush()
        self._queue.put(marker)
        marker.done.wait()

    def _write(self) -> None:
        next_purge = 0.0
        while True:
            items, markers, stop = next_batch(self._queue, BATCH)
            if items:
                self._deliver(functools.partial(_fire, self._decided(items)))
            now = self._clock()
            if now >= next_purge:  # a full batch deleted: more is waiting, go on next time
                try:
                    deleted = self._purge(now, PURGE_BATCH)
                except SeenMessagesUnavailable:  # the next batch's purge tries again
                    deleted = 0
                next_purge = now if deleted >= PURGE_BATCH else now + PURGE_EVERY
            for marker in markers:
                marker.done.set()
            if stop:
                self._close()
                return

    def _decided(self, items: list) -> Decided:
        """An error refuses the whole batch's sightings (the exchanges fail, none is admitted
        unrecorded)."""
        try:
            results = self._decide([(mid, now, expires_at) for mid, now, expires_at, _ in items])
        except SeenMessagesUnavailable as exc:
            return [(waiter, exc) for *_, waiter in items]
        return [(waiter, result) for (*_, waiter), result in zip(items, results, strict=True)]

    def _decide(self, sightings: list[Sighting]) -> list[bool]:
        """One decision per sighting, committed together; SeenMessagesUnavailable otherwise."""
        raise NotImplementedError

    def _purge(self, now: float, limit: int) -> int:
        """Delete at most ``limit`` rows expired at ``now``; how many were."""
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        if self._writer.is_alive():
            self._queue.put(STOP)
            self._writer.join()


class SqliteSeenMessages(BatchedSeenMessages):
    def __init__(self, path: Path, clock: Callable[[], float] = time.time,
                 deliver: Callable[[Callable[[], None]], None] | None = None):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        conn = _connect(path)
        try:
            for statement in _SCHEMA:
                conn.execute(statement)
        except BaseException:
            conn.close()
            raise
        self._conn = conn  # the writer thread's from here on
        try:
            self._turns = WriteTurns(path)  # bus/store/write_turns.py
            self._checkpoints = Checkpoints(conn, CHECKPOINT_COMMITS, CHECKPOINT_ROWS)
        except BaseException:
            conn.close()
            raise
        super().__init__("pfbus-seen-messages", clock, deliver)

    def _decide(self, sightings: list[Sighting]) -> list[bool]:
        conn = self._conn
        try:
            with self._turns:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    results = [conn.execute(_SIGHT, (mid, expires_at, now)).rowcount == 1
                               for mid, now, expires_at in sightings]
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            raise SeenMessagesUnavailable(f"{exc.__class__.__name__}: {exc}") from None
        self._checkpoints.committed(len(sightings))
        return results

    def _purge(self, now: float, limit: int) -> int:
        try:
            with self._turns:
                return self._conn.execute(_PURGE, (now, limit)).rowcount
        except sqlite3.Error as exc:  # busy or failing
            raise SeenMessagesUnavailable(str(exc)) from None

    def _close(self) -> None:
        self._conn.close()
        self._turns.close()

    def __len__(self) -> int:
        self.flush()
        conn = _connect(self._path)
        try:
            return conn.execute("SELECT count(*) FROM seen_messages").fetchone()[0]
        finally:
            conn.close()


def open_seen_messages(location: str, deliver: Callable[[Callable[[], None]], None] | None = None
                       ) -> BatchedSeenMessages:
    """The store at ``[store] seen_messages`` (resolved by bus/core/config.py): ``sqlite:PATH``
    or a ``postgresql://…?schema=NAME`` URL. SeenMessagesUnavailable when it cannot be opened."""
    if not is_postgres(location):
        try:
            return SqliteSeenMessages(Path(location.removeprefix("sqlite:")), deliver=deliver)
        except (OSError, sqlite3.Error) as exc:
            raise SeenMessagesUnavailable(f"{location}: {exc}") from None
    try:
        from .seen_messages_pg import PostgresSeenMessages
    except ImportError as exc:  # the PostgreSQL extra is not installed
        raise SeenMessagesUnavailable(f"a postgresql:// store needs psycopg "
                                      f"(pip install 'pfbus[postgres]'): {exc}") from None
    return PostgresSeenMessages(location, deliver=deliver)
