"""The delivery ledger (配信台帳) of file linkage, SQLite: what was picked up, how it was judged,
and each subscriber's delivery — the facts that make delivery exactly-once across crashes.

A file row goes ``picking`` (recorded before the file leaves the inbox) → ``picked`` (it is in
the spool) → ``accepted`` | ``rejected`` | ``duplicate`` (decided in one transaction with its
deliveries) → ``receipt`` set once the sender's receipt is written. A delivery goes ``pending``
→ ``staged`` (a complete copy waits beside the outbox, fsynced) → ``delivered`` (renamed into
the outbox) → ``confirmed`` (the subscriber removed it). Every step is committed before the next
file-system step, so a restart knows exactly which step to redo (``pipeline.FilePipeline``).
Only one pipeline turn runs at a time; the lock is for the SFTP side's reads.

Two stores, one interface: ``FileLedger`` on SQLite (the default, ``[files] ledger = PATH``) and
``ledger_postgres.PostgresFileLedger`` (``ledger = "postgresql://…?schema=NAME"``); ``open_ledger``
picks by the value. The SQL is written once, with ``?`` placeholders; a store says how to connect,
insert returning the new id, and run a transaction.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from ..store.sqlite_wal import use_wal

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id {serial},
    exchange_id TEXT NOT NULL,      -- groups the file's routing-log records
    sender TEXT NOT NULL,           -- the adapter whose inbox it came from
    name TEXT NOT NULL,             -- its name as uploaded
    marker TEXT,                    -- its NAME.done marker, removed at pickup
    state TEXT NOT NULL,
    kind TEXT,
    local_gov_code TEXT,
    bytes BIGINT,
    rows BIGINT,
    sha256 TEXT,
    duplicate_of BIGINT,
    receipt TEXT,                   -- the receipt's name in the sender's outbox, once written
    picked_up_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS files_accepted_sha256 ON files (sha256)
    WHERE state = 'accepted';
CREATE UNIQUE INDEX IF NOT EXISTS files_accepted_name ON files (sender, name, kind)
    WHERE state = 'accepted';
CREATE INDEX IF NOT EXISTS files_state ON files (state);
CREATE TABLE IF NOT EXISTS deliveries (
    file_id BIGINT NOT NULL REFERENCES files (id),
    subscriber TEXT NOT NULL,
    seq BIGINT NOT NULL,           -- the subscriber's order
    name TEXT NOT NULL,             -- its name in the subscriber's outbox
    state TEXT NOT NULL,
    delivered_at TEXT,
    confirmed_at TEXT,
    inode TEXT,                     -- "dev:ino" of the delivered file: a later file of the same
                                    -- name is not it
    PRIMARY KEY (file_id, subscriber),
    UNIQUE (subscriber, seq)
);
CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries (state, subscriber, seq);
"""


class FileState(StrEnum):
    """Where a file is (ファイルの状態): ``files.state``. Its verdicts are also the receipt's
    ``status``; ``tests/unit/test_vocabularies.py`` fails when the ledger's SQL names another."""

    PICKING = "picking"  # recorded before the file leaves the inbox
    PICKED = "picked"  # in the spool, to be judged
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"  # of a file accepted before
    VANISHED = "vanished"  # the sender removed it before the move


class FileDeliveryState(StrEnum):
    """Where one file's delivery to one subscriber is (配信状態): ``deliveries.state``."""

    PENDING = "pending"
    STAGED = "staged"  # a complete copy waits beside the outbox, fsynced
    DELIVERED = "delivered"  # renamed into the outbox
    CONFIRMED = "confirmed"  # the subscriber removed it


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class FileRow:
    id: int
    exchange_id: str
    sender: str
    name: str
    marker: str | None
    state: FileState
    kind: str | None
    local_gov_code: str | None
    bytes: int | None
    rows: int | None
    sha256: str | None
    duplicate_of: int | None
    receipt: str | None

    def __post_init__(self) -> None:  # read back as text: the member (an unknown one fails)
        object.__setattr__(self, "state", FileState(self.state))


@dataclass(frozen=True)
class Delivery:
    file_id: int
    subscriber: str
    seq: int
    name: str
    state: FileDeliveryState

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", FileDeliveryState(self.state))


class TxLike(Protocol):
    """A transaction's statements (``?`` placeholders)."""

    def execute(self, sql: str, params: tuple = ()) -> None: ...

    def one(self, sql: str, params: tuple = ()) -> Any: ...


class _SqliteTx:
    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def execute(self, sql: str, params: tuple = ()) -> None:
        self._conn.execute(sql, params)

    def one(self, sql: str, params: tuple = ()) -> Any:
        return self._conn.execute(sql, params).fetchone()[0]


_FILE_COLUMNS = ("id, exchange_id, sender, name, marker, state, kind, local_gov_code, bytes, "
                 "rows, sha256, duplicate_of, receipt")


class FileLedger:
    """The ledger on SQLite (``synchronous=FULL``: a committed step survives power loss)."""

    SERIAL = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        use_wal(self._conn, 5.0)
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(SCHEMA.format(serial=self.SERIAL))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- what a store provides (SQLite here) ----------------------------------------------------

    def _write(self, sql: str, params: tuple = ()) -> None:
        with self._lock:
            self._conn.execute(sql, params)

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _insert(self, sql: str, params: tuple) -> int:
        with self._lock:
            return int(self._conn.execute(sql, params).lastrowid or 0)

    @contextmanager
    def _transaction(self) -> Iterator[TxLike]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTx(self._conn)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    # -- files ------------------------------------------------------------------------------

    def begin_pickup(self, sender: str, name: str, marker: str | None) -> FileRow:
        new_id = self._insert("INSERT INTO files (exchange_id, sender, name, marker, state, "
                              "picked_up_at) VALUES (?, ?, ?, ?, ?, ?)",
                              (str(uuid.uuid4()), sender, name, marker, FileState.PICKING,
                               _now()))
        row = self.file(new_id)
        assert row is not None
        return row

    def set_state(self, file_id: int, state: FileState) -> None:
        self._write("UPDATE files SET state = ? WHERE id = ?", (state, file_id))

    def file(self, file_id: int) -> FileRow | None:
        rows = self._read(f"SELECT {_FILE_COLUMNS} FROM files WHERE id = ?", (file_id,))
        return FileRow(*rows[0]) if rows else None

    def files_in(self, *states: FileState) -> list[FileRow]:
        marks = ", ".join("?" for _ in states)
        return [FileRow(*r) for r in self._read(
            f"SELECT {_FILE_COLUMNS} FROM files WHERE state IN ({marks}) ORDER BY id", states)]

    def unreceipted(self) -> list[FileRow]:
        return [FileRow(*r) for r in self._read(
            f"SELECT {_FILE_COLUMNS} FROM files WHERE state IN ('{FileState.ACCEPTED}', "
            f"'{FileState.REJECTED}', '{FileState.DUPLICATE}') AND receipt IS NULL ORDER BY id")]

    def accepted_like(self, sha256: str, sender: str, name: str, kind: str) -> FileRow | None:
        """The accepted file this one duplicates: the same SHA-256, or the same sender, name
        and kind."""
        rows = self._read(f"SELECT {_FILE_COLUMNS} FROM files WHERE state = "
                          f"'{FileState.ACCEPTED}' AND "
                          "(sha256 = ? OR (sender = ? AND name = ? AND kind = ?)) ORDER BY id "
                          "LIMIT 1", (sha256, sender, name, kind))
        return FileRow(*rows[0]) if rows else None

    def decide(self, file_id: int, state: FileState, *, kind: str | None, code: str | None,
               size: int | None, rows: int | None, sha256: str | None,
               subscribers: tuple[str, ...] = (), duplicate_of: int | None = None,
               delivered_name: str | None = None) -> None:
        """The verdict and, for an accepted file, one pending delivery per subscriber (each
        next in its subscriber's order), in one transaction."""
        with self._transaction() as c:
            c.execute("UPDATE files SET state = ?, kind = ?, local_gov_code = ?, bytes = ?, "
                      "rows = ?, sha256 = ?, duplicate_of = ?, decided_at = ? WHERE id = ?",
                      (state, kind, code, size, rows, sha256, duplicate_of, _now(), file_id))
            for subscriber in subscribers:
                seq = c.one("SELECT COALESCE(MAX(seq), 0) + 1 FROM deliveries WHERE "
                            "subscriber = ?", (subscriber,))
                c.execute("INSERT INTO deliveries (file_id, subscriber, seq, name, state) "
                          "VALUES (?, ?, ?, ?, ?)",
                          (file_id, subscriber, seq, delivered_name, FileDeliveryState.PENDING))

    def receipt_written(self, file_id: int, receipt: str) -> None:
        self._write("UPDATE files SET receipt = ? WHERE id = ?", (receipt, file_id))

    def purge(self, before: str) -> int:
        """Forget files done with before ``before`` (UTC ISO): confirmed by every subscriber,
        rejected or duplicate (their receipt written), or vanished. A file still waiting for a
        subscriber is never purged. Returns the number of files forgotten."""
        done = (f"COALESCE(decided_at, picked_up_at) < ? AND (state = '{FileState.VANISHED}' OR "
                f"(receipt IS NOT NULL AND (state IN ('{FileState.REJECTED}', "
                f"'{FileState.DUPLICATE}') OR (state = '{FileState.ACCEPTED}' AND NOT EXISTS "
                "(SELECT 1 FROM deliveries d WHERE d.file_id = files.id AND d.state <> "
                f"'{FileDeliveryState.CONFIRMED}')))))")
        with self._transaction() as c:
            count = c.one(f"SELECT count(*) FROM files WHERE {done}", (before,))
            c.execute(f"DELETE FROM deliveries WHERE file_id IN (SELECT id FROM files WHERE "
                      f"{done})", (before,))
            c.execute(f"DELETE FROM files WHERE {done}", (before,))
        return int(count)

    # -- deliveries ---------------------------------------------------------------------------

    def deliveries(self, *states: FileDeliveryState) -> list[Delivery]:
        """In each subscriber's order."""
        marks = ", ".join("?" for _ in states)
        return [Delivery(*r) for r in self._read(
            "SELECT file_id, subscriber, seq, name, state FROM deliveries WHERE state IN "
            f"({marks}) ORDER BY subscriber, seq", states)]

    def deliveries_of(self, file_id: int) -> list[Delivery]:
        return [Delivery(*r) for r in self._read(
            "SELECT file_id, subscriber, seq, name, state FROM deliveries WHERE file_id = ? "
            "ORDER BY subscriber", (file_id,))]

    def set_delivery(self, file_id: int, subscriber: str, state: FileDeliveryState,
                     inode: str | None = None) -> None:
        if state == FileDeliveryState.DELIVERED:
            self._write("UPDATE deliveries SET state = ?, delivered_at = ?, inode = ? WHERE "
                        "file_id = ? AND subscriber = ?",
                        (state, _now(), inode, file_id, subscriber))
        elif state == FileDeliveryState.CONFIRMED:
            self._write("UPDATE deliveries SET state = ?, confirmed_at = ? WHERE file_id = ? "
                        "AND subscriber = ?", (state, _now(), file_id, subscriber))
        else:
            self._write("UPDATE deliveries SET state = ? WHERE file_id = ? AND subscriber = ?",
                        (state, file_id, subscriber))

    def inode(self, file_id: int, subscriber: str) -> str | None:
        rows = self._read("SELECT inode FROM deliveries WHERE file_id = ? AND subscriber = ?",
                          (file_id, subscriber))
        return rows[0][0] if rows else None


def open_ledger(location: str | Path) -> FileLedger:
    """The ledger ``[files] ledger`` names: a ``postgresql://…[?schema=NAME]`` URL or a SQLite
    path."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        from .ledger_postgres import PostgresFileLedger
        return PostgresFileLedger(text)
    return FileLedger(location)
