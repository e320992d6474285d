"""Taking turns at a SQLite file's write lock across processes (``pfbus serve --workers N``).

SQLite never waits for a lock in the kernel: a connection that finds a file's write lock taken
gets SQLITE_BUSY, and its busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms
between tries without being woken when the lock is released. Two hub processes writing one
routing log or one table of seen MessageIds commit every few milliseconds each, so the waiter
kept finding the lock taken again and slept on: 0.1–0.6 s waits, a p99 of half a second with two
workers (docs/performance.md "Workers without the busy handler's sleeps").

So a store's writer takes a *turn* first: an exclusive ``flock`` on ``FILE-lock`` beside the
database, taken before ``BEGIN IMMEDIATE`` and given back after ``COMMIT``/``ROLLBACK``. The
kernel wakes the next waiter the moment a turn is given back, and with its turn held a writer
finds SQLite's lock free. Programs that do not take turns (``pfbus dlq replay``, retention, the
``sqlite3`` shell) still meet SQLite's lock and its busy handler, as before: a writer never
waits for a turn while it holds SQLite's lock, so the two cannot wait for each other.

SQLite checkpoints a WAL file (copies it into the database, an fsync: milliseconds) inside the
``COMMIT`` that crosses 1,000 pages, so inside the turn; ``Checkpoints`` turns that off on the
writer's connection and runs the same PASSIVE checkpoint after the turn instead — every
``commits`` commits or ``rows`` rows, whichever comes first, so that a burst of big commits
does not grow the WAL far past SQLite's 1,000 pages — while another process may take its turn.

A process that dies gives its turn back (the kernel closes its descriptor). A turn is held for
one transaction only; a process stopped inside one (SIGSTOP) holds up the others' writers, as it
would hold SQLite's own lock.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from pathlib import Path
from types import TracebackType

SUFFIX = "-lock"


class WriteTurns:
    """``with turns:`` around a write transaction on the file at ``path``. One descriptor per
    thread: a ``flock`` belongs to an open file description, so threads sharing one would not
    exclude each other (the notice store writes from several threads)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(f"{path}{SUFFIX}")
        self._local = threading.local()
        self._fds: list[int] = []
        self._fds_lock = threading.Lock()
        self._fd()  # an unwritable directory fails here, at open, not in the first commit

    def _fd(self) -> int:
        fd = getattr(self._local, "fd", None)
        if fd is None:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._local.fd = fd
            with self._fds_lock:
                self._fds.append(fd)
        return fd

    def __enter__(self) -> WriteTurns:
        fcntl.flock(self._fd(), fcntl.LOCK_EX)  # blocks in the kernel, without the GIL
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        fcntl.flock(self._local.fd, fcntl.LOCK_UN)

    def try_take(self) -> bool:
        """Take the turn only if it is free now (never waits): True when taken — give it back
        with ``__exit__`` (``with turns`` after a True is wrong: it would wait again)."""
        try:
            fcntl.flock(self._fd(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def close(self) -> None:
        """Close every thread's descriptor (the file stays: another process may hold it)."""
        with self._fds_lock:
            fds, self._fds = self._fds, []
        for fd in fds:
            os.close(fd)


class Checkpoints:
    """A writer connection's WAL checkpoints, run outside its turns (see the module doc)."""

    def __init__(self, conn: sqlite3.Connection, commits: int, rows: int) -> None:
        conn.execute("PRAGMA wal_autocheckpoint=0")
        self._conn = conn
        self.commits = commits
        self.rows = rows
        self._commits = self._rows = 0

    def committed(self, rows: int, commits: int = 1) -> None:
        """After ``commits`` commits of ``rows`` rows in all, with the turn given back."""
        self._commits += commits
        self._rows += rows
        if self._commits < self.commits and self._rows < self.rows:
            return
        self._commits = self._rows = 0
        try:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.OperationalError:  # busy or failing: the WAL keeps it, the next one copies it
            pass
