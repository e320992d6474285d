"""Opening an existing SQLite store for reading only (operators' commands: queue, dlq, log).

Never creates a file: a missing store is the caller's error naming the path. When no hub has the
file open (no ``-wal`` beside it) it is read as immutable, so that a read by another user (often
root) leaves no ``-wal``/``-shm`` files the hub's own user then cannot open.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect_readonly(path: Path, timeout: float = 5.0) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?mode=ro"
    if not path.with_name(path.name + "-wal").exists():
        uri += "&immutable=1"
    return sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None,
                           check_same_thread=False)


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])
