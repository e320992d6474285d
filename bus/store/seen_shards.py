"""The files of the seen MessageIds on SQLite (受信済みメッセージID表の分割): one table split by a
hash of the MessageId into ``shards`` files, so that the workers of ``pfbus serve --workers N``
rarely wait for one another's write lock (docs/performance.md "Workers with the seen MessageIds
in shards").

Shard 0 is the configured file (``routing-log.seen.sqlite3`` by default); shard k > 0 is
``STEM.shard-K.SUFFIX`` beside it. A MessageId always lands in the same shard
(``shard_of``: CRC-32 of its UTF-8 bytes, modulo the count), so the insert into that shard's
table is still the whole decision and exactly one of two sightings of one ID is admitted,
whichever worker saw them. The count is kept in shard 0 (table ``seen_shards``), never taken
from the code: a store made with 8 shards keeps 8, or IDs would be looked for in other files.

A file of the single-file layout (before the shards; the same table, no ``seen_shards``) is
taken over at open, in shard 0's turn (the other workers wait for it): its unexpired rows are
copied into their shards (an upsert keeping the later expiry, so a copy interrupted by a crash
is copied again at the next open), then shard 0 deletes the rows it no longer holds and
records the count — one transaction, so an upgrade forgets no ID it had seen. A new file is the
same case with no rows. Every process writing the store must run this layout: stop all workers
before an upgrade (a process of the earlier version would go on writing every ID into shard 0).
"""

from __future__ import annotations

import sqlite3
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .sqlite_wal import use_wal
from .write_turns import Checkpoints, WriteTurns

SHARDS = 8  # for a new store; ≥ the workers a machine runs, so two rarely meet on one file
BUSY_TIMEOUT = 30.0  # seconds a connection waits for another process's write lock
# A WAL checkpoint after this many commits or sightings (bus/store/write_turns.py): about
# SQLite's default of 1,000 pages when a commit decides two sightings (~5.5 pages)
CHECKPOINT_COMMITS = 180
CHECKPOINT_ROWS = 360
COPY_CHUNK = 10_000  # rows of a single file copied into the shards per read

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS seen_messages (
        message_id TEXT PRIMARY KEY,
        expires_at REAL NOT NULL
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS seen_messages_expiry ON seen_messages (expires_at)",
)
_COPY = """INSERT INTO seen_messages (message_id, expires_at) VALUES (?, ?)
    ON CONFLICT (message_id) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)"""


def shard_of(message_id: str, shards: int) -> int:
    """The shard that holds ``message_id``: the same in every process and every version."""
    return zlib.crc32(message_id.encode("utf-8")) % shards


def shard_path(path: Path, shard: int) -> Path:
    """Shard 0 is the configured file; shard k its sibling ``STEM.shard-K.SUFFIX``."""
    return path if shard == 0 else path.with_name(f"{path.stem}.shard-{shard}{path.suffix}")


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT, isolation_level=None,
                           check_same_thread=False)
    try:
        use_wal(conn, BUSY_TIMEOUT)  # the reader never waits for the writer
        conn.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            conn.execute(statement)
    except BaseException:
        conn.close()
        raise
    return conn


@dataclass
class Shard:
    """One file of the store: the writer thread's connection, its turns and checkpoints; and
    the connection a sighting is decided on at once, in the caller's thread, when the file's
    turn is free (``now``: SQLite's busy handler off, checkpoints left to the writer thread,
    which counts these commits from ``now_commits``)."""

    path: Path
    conn: sqlite3.Connection
    turns: WriteTurns
    checkpoints: Checkpoints
    now: sqlite3.Connection
    now_lock: threading.Lock = field(default_factory=threading.Lock)
    now_commits: int = 0  # commits on ``now`` (under now_lock)
    now_counted: int = 0  # of which the writer thread has counted for checkpoints

    def close(self) -> None:
        with self.now_lock:
            self.now.close()
        self.conn.close()
        self.turns.close()


def _open_shard(path: Path) -> Shard:
    conn = connect(path)
    now = None
    try:
        now = connect(path)
        # Neither may wait on the caller's thread: a lock held by a program that takes no turn
        # (the sqlite3 shell) answers BUSY at once, and the sighting goes to the writer thread;
        # a checkpoint (an fsync) is run by the writer thread for these commits too.
        now.execute("PRAGMA busy_timeout=0")
        now.execute("PRAGMA wal_autocheckpoint=0")
        return Shard(path, conn, WriteTurns(path),
                     Checkpoints(conn, CHECKPOINT_COMMITS, CHECKPOINT_ROWS), now)
    except BaseException:
        conn.close()
        if now is not None:
            now.close()
        raise


def open_shards(path: Path, now: float) -> list[Shard]:
    """Every shard of the store at ``path``, shard 0 first; takes a single file over (module
    doc). ``now``: rows expired by then are not copied (the purge would delete them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shards = [_open_shard(path)]
    try:
        count = _recorded_count(shards[0].conn)
        if count is None:  # recorded once, never changed: only a take-over needs the turn
            with shards[0].turns:
                count = _recorded_count(shards[0].conn)
                shards += [_open_shard(shard_path(path, k)) for k in range(1, count or SHARDS)]
                if count is None:
                    _take_over(shards, now)
        else:
            shards += [_open_shard(shard_path(path, k)) for k in range(1, count)]
    except BaseException:
        for shard in shards:
            shard.close()
        raise
    return shards


def _recorded_count(conn: sqlite3.Connection) -> int | None:
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'seen_shards'").fetchone() is None:
        return None
    return int(conn.execute("SELECT shards FROM seen_shards").fetchone()[0])


def _take_over(shards: list[Shard], now: float) -> None:
    """Shard 0 holds every ID (a single file, or a new one): copy each row to its shard, then
    delete the copied rows and record the count in one transaction of shard 0."""
    count = len(shards)
    rows = shards[0].conn.execute(
        "SELECT message_id, expires_at FROM seen_messages WHERE expires_at > ?", (now,))
    while chunk := rows.fetchmany(COPY_CHUNK):
        by_shard: dict[int, list[tuple[str, float]]] = {}
        for row in chunk:
            by_shard.setdefault(shard_of(row[0], count), []).append(row)
        for k, moved in by_shard.items():
            if k:
                with transaction(shards[k].conn) as conn:
                    conn.executemany(_COPY, moved)
    with transaction(shards[0].conn) as conn:
        conn.create_function("pfbus_seen_shard", 2, shard_of, deterministic=True)
        conn.execute("DELETE FROM seen_messages WHERE pfbus_seen_shard(message_id, ?) != 0",
                     (count,))
        conn.execute("CREATE TABLE seen_shards (shards INTEGER NOT NULL)")
        conn.execute("INSERT INTO seen_shards VALUES (?)", (count,))


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
