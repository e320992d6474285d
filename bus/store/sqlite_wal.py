"""Putting a SQLite store in WAL mode when several processes may open it at the same moment.

``pfbus serve --workers N`` starts N hub processes that open the same store files together. While
one of them creates a new file (rollback journal until it switches), SQLite answers another's
``PRAGMA journal_mode=WAL`` with SQLITE_BUSY at once, without calling the busy handler, so the
connection's ``timeout`` does not apply and the worker failed to start ("database is locked").
``use_wal`` waits for the lock as the busy handler would, within the connection's timeout.
"""

from __future__ import annotations

import sqlite3
import time

_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def use_wal(conn: sqlite3.Connection, timeout: float) -> str:
    """``PRAGMA journal_mode=WAL``, retried while another connection holds the lock it needs;
    gives up (the same ``OperationalError``) after ``timeout`` seconds. Returns the journal mode
    SQLite reports ("wal", or "memory" for an in-memory database)."""
    deadline = time.monotonic() + timeout
    pause = 0.002
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", None) not in _BUSY or \
                    time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
