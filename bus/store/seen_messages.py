"""The MessageIds of accepted requests, each until it expires (``bus.core.replay.SeenMessages``):
the idempotent receiver's table for request-response exchanges, surviving restarts.

SQLite, one file next to the routing log, one hub process. The hot path stays cheap: a sighting
is a dictionary look-up of the IDs not yet committed plus one primary-key read (~20 µs measured
on the 2-core development machine; a write per request was ~130 µs). The new ID goes into that
dictionary at once — so a replay arriving a microsecond later is refused — and is inserted by a
writer thread in batches (``bus.store.batching``), one commit per batch, then leaves the
dictionary. A crash of the process can forget the IDs of the last batch not yet committed (a few
milliseconds of traffic); WAL with ``synchronous=NORMAL``: a power cut may forget a little more.
Expired rows are deleted by the writer, in bounded batches through the ``expires_at`` index.

Several hub processes on PostgreSQL will need the same table shared and the insert as the
decision (``INSERT … ON CONFLICT (message_id) DO UPDATE … WHERE expires_at <= now``, one round
trip, off the reactor thread); not written yet (issue 13 brings the shared PostgreSQL routing log
it would live beside).
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from pathlib import Path

from .batching import STOP, Flush, next_batch

BATCH = 500  # sightings per commit at most
PURGE_EVERY = 60.0  # seconds between two deletions of expired rows
PURGE_BATCH = 10_000  # rows deleted at most at once

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS seen_messages (
        message_id TEXT PRIMARY KEY,
        expires_at REAL NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS seen_messages_expiry ON seen_messages (expires_at)",
)
_READ = "SELECT expires_at FROM seen_messages WHERE message_id = ?"
_WRITE = "INSERT OR REPLACE INTO seen_messages (message_id, expires_at) VALUES (?, ?)"
_PURGE = """DELETE FROM seen_messages WHERE message_id IN (
    SELECT message_id FROM seen_messages WHERE expires_at <= ? LIMIT ?)"""


def seen_messages_path(routing_log: Path) -> Path:
    """Where a hub keeps its seen MessageIds: beside its routing log
    (``var/routing-log.sqlite3`` → ``var/routing-log.seen.sqlite3``)."""
    return routing_log.with_name(routing_log.stem + ".seen.sqlite3")


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")  # the reader never waits for the writer
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


class SqliteSeenMessages:
    def __init__(self, path: Path, clock=time.time):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._read = _connect(path)  # the caller's thread (the reactor)
        for statement in _SCHEMA:
            self._read.execute(statement)
        self._clock = clock  # for the writer's purges only
        self._pending: dict[str, float] = {}  # seen, not yet committed
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, args=(_connect(path),),
                                        name="pfbus-seen-messages", daemon=True)
        self._writer.start()

    def first_sighting(self, message_id: str, now: float, expires_at: float) -> bool:
        # One critical section: the writer commits a batch *before* it forgets those IDs under
        # this lock, so an ID is always either pending here or visible to the read. A read
        # outside the lock could miss both (read before the commit, look after the forget) and
        # admit a replay twice.
        with self._lock:
            if self._pending.get(message_id, 0.0) > now:
                return False
            row = self._read.execute(_READ, (message_id,)).fetchone()
            if row is not None and row[0] > now:
                return False
            self._pending[message_id] = expires_at
        self._queue.put((message_id, expires_at))
        return True

    def flush(self) -> None:
        """Return once every sighting so far is committed."""
        marker = Flush()
        self._queue.put(marker)
        marker.done.wait()

    def _write(self, conn: sqlite3.Connection) -> None:
        next_purge = 0.0
        while True:
            items, markers, stop = next_batch(self._queue, BATCH)
            if items:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(_WRITE, items)
                conn.execute("COMMIT")
                with self._lock:
                    for message_id, expires_at in items:
                        if self._pending.get(message_id) == expires_at:
                            del self._pending[message_id]
            now = self._clock()
            if now >= next_purge:  # a full batch deleted: more is waiting, go on next time
                deleted = conn.execute(_PURGE, (now, PURGE_BATCH)).rowcount
                next_purge = now if deleted >= PURGE_BATCH else now + PURGE_EVERY
            for marker in markers:
                marker.done.set()
            if stop:
                conn.close()
                return

    def __len__(self) -> int:
        self.flush()
        return self._read.execute("SELECT count(*) FROM seen_messages").fetchone()[0]

    def close(self) -> None:
        if self._writer.is_alive():
            self._queue.put(STOP)
            self._writer.join()
        self._read.close()
