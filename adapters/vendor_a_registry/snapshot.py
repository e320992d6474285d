"""全件抽出 snapshots (スナップショット) of vendor A's 住民 table, built and kept in the database.

A snapshot freezes every record of a 全件抽出 (those resident on or before 基準日, ordered by
宛名番号) as JSON rows in ``全件抽出``, numbered 0…件数-1, so that every page reads one consistent
state while the registry keeps changing. Its head row in ``全件抽出管理`` says how far it is built.

Two ways to build one, both without the records passing through Python lists:

- ``build_now``: one ``INSERT … SELECT`` on the caller's connection, in one transaction (a store
  in memory, tests, embedded use: the caller waits);
- ``SnapshotBuilder``: on a database file, in the caller's (worker) thread, with its own two
  connections: a reader whose single read transaction is the snapshot (WAL: it blocks no
  writer), and a writer that commits ``batch`` rows at a time, so the registry's other writers
  (照会記録 of an inquiry, a clerk's 異動) wait at most one batch. The head is written first
  (with 件数): pages already built can be served while the rest is copied. With ``ahead`` the
  copy keeps only that far ahead of the pages asked for (``want``): its cost is spread over the
  transfer (at 1,000,000 residents it made the first 200,000 records 2.5 times slower when
  copied all at once) — the read transaction then lasts as long as the transfer. Records that
  fit in one batch are copied by ``open`` in its write transaction, as ``build_now`` does.

Idempotent creation: a first request naming a RequestId gets the snapshot made for the same
requester and RequestId, never a second one (a unique index, checked in the writer's write
transaction). Cleanup: a snapshot not read (or built) for ``lease``, or older than ``max_age``,
is pruned — its head marked 削除中 first (pages of it are then unknown), then its rows deleted
in batches, then the head; an unfinished one left by a crashed builder is pruned likewise.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

BUILDING, COMPLETE, DELETING = "作成中", "完了", "削除中"
EXTRACT_LEASE = dt.timedelta(hours=6)  # unread this long: the receiver gave up (abandoned)
EXTRACT_RETENTION = dt.timedelta(hours=24)  # older than this: pruned whatever its use
BATCH = 5_000  # rows per write transaction of a build or a prune
AHEAD = 4 * BATCH  # a serving builder copies this many records past the furthest page asked

SCHEMA = """
CREATE TABLE IF NOT EXISTS "全件抽出管理" ("抽出ID" TEXT PRIMARY KEY, "作成日時" TEXT NOT NULL,
    "件数" INTEGER NOT NULL, "依頼元" TEXT, "要求ID" TEXT,
    "状態" TEXT NOT NULL DEFAULT '完了', "作成済件数" INTEGER NOT NULL DEFAULT 0,
    "最終利用日時" TEXT, "列名" TEXT);
CREATE TABLE IF NOT EXISTS "全件抽出" ("抽出ID" TEXT NOT NULL, "連番" INTEGER NOT NULL,
                                     "内容" TEXT NOT NULL, PRIMARY KEY ("抽出ID", "連番"));
"""
_INDEXES = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "全件抽出管理_要求" ON "全件抽出管理" '
    '("依頼元", "要求ID") WHERE "要求ID" IS NOT NULL',
    # prune's searches (by last use, by age, by state): without them each prune read every head,
    # and a store that prunes before each extract it makes (RegistryStore.create_extract) grew
    # quadratically slower with the extracts it kept (a whole day's in 6 hours of leases)
    'CREATE INDEX IF NOT EXISTS "全件抽出管理_最終利用" ON "全件抽出管理" '
    '(coalesce("最終利用日時", "作成日時"))',
    'CREATE INDEX IF NOT EXISTS "全件抽出管理_作成" ON "全件抽出管理" ("作成日時")',
    'CREATE INDEX IF NOT EXISTS "全件抽出管理_状態" ON "全件抽出管理" ("状態")',
)
# Columns added to a store made before snapshots were built in batches (UPGRADE on open).
_ADDED = (('"依頼元"', "TEXT"), ('"要求ID"', "TEXT"),
          ('"状態"', "TEXT NOT NULL DEFAULT '完了'"),
          ('"作成済件数"', "INTEGER NOT NULL DEFAULT 0"), ('"最終利用日時"', "TEXT"),
          ('"列名"', "TEXT"))
RENEW_EVERY = dt.timedelta(minutes=1)  # a page read renews the lease at most this often


class UnknownExtract(LookupError):
    """A 全件抽出 ExtractId this store never issued or has already pruned."""


class SnapshotStopped(Exception):
    """The builder was told to stop before the copy was complete (the snapshot is pruned)."""


class ExtractNotReady(LookupError):
    """The page asked for is not built yet (its snapshot is still being copied)."""


@dataclass(frozen=True)
class Head:
    """A snapshot's 全件抽出管理 row."""
    extract_id: str
    count: int  # 件数: records in the snapshot
    built: int  # 作成済件数: records copied so far (= count once complete)
    state: str
    used: str | None = None  # 最終利用日時
    columns: tuple[str, ...] | None = None  # 列名: a record's values, in order (None: objects)

    @property
    def complete(self) -> bool:
        return self.state == COMPLETE


def upgrade(conn: sqlite3.Connection) -> None:
    """Create the tables, or add the columns a store of an older version lacks."""
    conn.executescript(SCHEMA)
    have = {r[1] for r in conn.execute('PRAGMA table_info("全件抽出管理")')}
    with conn:
        for column, declaration in _ADDED:
            if column.strip('"') not in have:
                conn.execute(f'ALTER TABLE "全件抽出管理" ADD COLUMN {column} {declaration}')
        for index in _INDEXES:
            conn.execute(index)


_INSERT_HEAD = ('INSERT INTO "全件抽出管理" ("抽出ID", "作成日時", "件数", "依頼元", "要求ID", '
                '"状態", "作成済件数", "最終利用日時", "列名") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
_AS_OF = '? IS NULL OR "住民となった年月日" IS NULL OR "住民となった年月日" <= ?'  # 基準日


def _json(resident_columns: tuple[str, ...]) -> str:
    # The row as a JSON array made by SQLite (json_array keeps UTF-8 and NULL as null), in the
    # order of the columns the head names (列名): half the bytes of an object repeating the
    # names in every row, cheaper to make and to read. Snapshots of an older version, whose head
    # names no columns, hold objects (json_object) and are read as such.
    return "json_array(" + ", ".join(f'"{c}"' for c in resident_columns) + ")"


def _records_sql(resident_columns: tuple[str, ...]) -> str:
    return f'SELECT {_json(resident_columns)} FROM "住民" WHERE {_AS_OF} ORDER BY "宛名番号"'


# The records of a 全件抽出 counted up to a limit (whether they fit in one batch: cheap at any size)
_COUNT_UP_TO_SQL = f'SELECT count(*) FROM (SELECT 1 FROM "住民" WHERE {_AS_OF} LIMIT ?)'


def _count_sql() -> str:
    return f'SELECT count(*) FROM "住民" WHERE {_AS_OF}'


def _as_of_args(as_of: dt.date | None) -> tuple[str | None, str | None]:
    # yyyymmdd with a four-digit year (strftime's %Y drops a three-digit year's leading zero)
    return (None if as_of is None else as_of.isoformat().replace("-", ""),) * 2  # type: ignore[return-value]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def _head(conn: sqlite3.Connection, where: str, args: tuple) -> Head | None:
    row = conn.execute(f'SELECT "抽出ID", "件数", "作成済件数", "状態", "最終利用日時", "列名" '
                       f'FROM "全件抽出管理" WHERE {where}', args).fetchone()
    if row is None:
        return None
    extract_id, count, built, state, used, columns = row
    return Head(extract_id, count, count if state == COMPLETE else built, state, used,
                None if columns is None else tuple(json.loads(columns)))


def find(conn: sqlite3.Connection, requester: str, request_id: str) -> Head | None:
    """The live snapshot made for ``requester``'s ``request_id``, if any."""
    head = _head(conn, '"依頼元" = ? AND "要求ID" = ?', (requester, request_id))
    return None if head is None or head.state == DELETING else head


def head(conn: sqlite3.Connection, extract_id: str) -> Head:
    """A snapshot's head; UnknownExtract when never issued, pruned or being pruned."""
    found = _head(conn, '"抽出ID" = ?', (extract_id,))
    if found is None or found.state == DELETING:
        raise UnknownExtract(f"unknown or expired ExtractId {extract_id!r}")
    return found


def build_now(conn: sqlite3.Connection, resident_columns: tuple[str, ...],
              as_of: dt.date | None, requester: str | None = None,
              request_id: str | None = None) -> Head:
    """Build a whole snapshot in one transaction on ``conn`` (the caller holds its lock), or
    return the one already made for ``requester``'s ``request_id``."""
    with conn:
        if request_id is not None:
            existing = find(conn, requester or "", request_id)
            if existing is not None:
                return existing
        return _copy_all(conn, resident_columns, as_of, requester or "", request_id)


def _copy_all(conn: sqlite3.Connection, resident_columns: tuple[str, ...],
              as_of: dt.date | None, requester: str, request_id: str | None) -> Head:
    """Every record and the head of a complete snapshot, in the caller's write transaction."""
    extract_id, now = uuid.uuid4().hex, _now()
    count = conn.execute(
        'INSERT INTO "全件抽出" SELECT ?, row_number() OVER (ORDER BY "宛名番号") - 1, '
        f'{_json(resident_columns)} FROM "住民" WHERE {_AS_OF}',
        (extract_id, *_as_of_args(as_of))).rowcount
    conn.execute(_INSERT_HEAD, (extract_id, now, count, requester, request_id, COMPLETE, count,
                                now, json.dumps(resident_columns)))
    return Head(extract_id, count, count, COMPLETE, now, tuple(resident_columns))


def read_page(conn: sqlite3.Connection, extract_id: str, page: int,
              page_size: int) -> tuple[int, list[dict]]:
    """(件数, records of 1-based ``page``); UnknownExtract, or ExtractNotReady for a page not
    copied yet. Reading renews the snapshot's lease."""
    found = head(conn, extract_id)
    start = (page - 1) * page_size
    if found.built < min(start + page_size, found.count):
        raise ExtractNotReady(f"page {page} of {extract_id} is not built yet")
    # a page past the end holds nothing, however far past: Page is xs:positiveInteger, and a
    # start beyond SQLite's 64-bit integers would not even bind (2⁶³ and up, J-FULL-12)
    rows = [] if start >= found.count else conn.execute(
        'SELECT "内容" FROM "全件抽出" WHERE "抽出ID" = ? AND "連番" >= ? AND "連番" < ? ORDER BY '
        '"連番"', (extract_id, start, start + page_size))
    if found.columns is None:  # made by an older version: objects
        records = [json.loads(r[0]) for r in rows]
    else:
        columns = found.columns
        records = [dict(zip(columns, json.loads(r[0]), strict=True)) for r in rows]
    now = dt.datetime.now(dt.timezone.utc)
    if found.used is None or dt.datetime.fromisoformat(found.used) < now - RENEW_EVERY:
        with conn:  # not per page: a write (and its commit) per page only to say "still read"
            conn.execute('UPDATE "全件抽出管理" SET "最終利用日時" = ? WHERE "抽出ID" = ?',
                         (now.isoformat(), extract_id))
    return found.count, records


class SnapshotBuilder:
    """Builds one snapshot of the database file ``path`` in batches (see the module doc); run
    ``open`` and then ``copy`` in worker threads (one after the other), never in a reactor's."""

    def __init__(self, path: str, resident_columns: tuple[str, ...], *, batch: int = BATCH,
                 stop: threading.Event | None = None, ahead: int | None = None,
                 idle: dt.timedelta = EXTRACT_LEASE):
        self.path = path
        self.columns = resident_columns
        self.batch = batch
        self.stop = stop or threading.Event()  # set: copy gives up between two batches
        # ahead: copy only this far past the records pages have asked for (``want``), so the
        # copy's cost is spread over the transfer instead of slowing its first pages; None:
        # copy everything at once. idle: no page asked for this long — the receiver gave up.
        self.ahead, self.idle = ahead, idle.total_seconds()
        self._wanted = 0
        self._last_wanted = time.monotonic()
        self._demand = threading.Condition()
        self._reader: sqlite3.Connection | None = None
        self._writer: sqlite3.Connection | None = None
        self._complete: int | None = None  # records, when open() built the whole snapshot

    def want(self, records: int) -> None:
        """A page needs the first ``records`` records (any thread): with ``ahead``, the copy
        goes on up to ``ahead`` records past the most asked for so far."""
        with self._demand:
            self._last_wanted = time.monotonic()
            if records > self._wanted:
                self._wanted = records
                self._demand.notify_all()

    def _wait_for_demand(self, done: int, extract_id: str) -> None:
        """Return when the next batch is wanted; SnapshotStopped when told to stop, or when no
        page was asked for during ``idle`` (then the snapshot is pruned, as an abandoned one)."""
        if self.ahead is None:
            return
        with self._demand:
            while done >= self._wanted + self.ahead:
                if self.stop.is_set():
                    raise SnapshotStopped(f"{extract_id}: stopped after {done} records")
                if time.monotonic() - self._last_wanted > self.idle:
                    raise SnapshotStopped(f"{extract_id}: no page asked for, abandoned")
                self._demand.wait(1.0)  # a want() wakes it at once; stop is seen within 1 s

    def open(self, as_of: dt.date | None, requester: str,
             request_id: str | None) -> tuple[Head, bool]:
        """(head, True) of a new snapshot whose records are then copied by ``copy`` (complete
        already when they fit in one batch); or (head, False) of the one already made for
        ``requester``'s ``request_id``."""
        # check_same_thread off: open and copy may run in two threads of a pool, never at once
        writer = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                 check_same_thread=False)
        # This connection writes only snapshots: copies a new 全件抽出 can make again. Their
        # commits need not wait for the disk (WAL, NORMAL: atomic and consistent, durable
        # against a crash of the process; a power cut may lose the last ones, and the receiver
        # then gets "unknown ExtractId" and starts again, as after the lease). The fsync was
        # ~2 ms of each snapshot's 3 ms; the registry's own writes (住民, 照会記録, the outbox)
        # keep their connection's FULL.
        writer.execute("PRAGMA synchronous = NORMAL")
        try:
            writer.execute("BEGIN IMMEDIATE")  # the check and the insert: one writer at a time
            existing = find(writer, requester, request_id) if request_id else None
            if existing is not None:
                writer.execute("ROLLBACK")
                writer.close()
                return existing, False
            if writer.execute(_COUNT_UP_TO_SQL, (*_as_of_args(as_of), self.batch + 1)
                              ).fetchone()[0] <= self.batch:
                # No more than one batch: copied here, in the write transaction that checked
                # (one consistent state: it holds the write lock), complete at its one commit;
                # copy() has nothing left to do. The batched build costs ~4x the CPU (a second
                # connection, a worker thread, 4 commits) — most 全件抽出 of a small registry,
                # the conformance suite's 160 a run among them.
                head_ = _copy_all(writer, self.columns, as_of, requester, request_id)
                writer.execute("COMMIT")
                writer.close()
                self._complete = head_.count
                return head_, True
            reader = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                     check_same_thread=False)
            reader.execute("BEGIN")  # the snapshot: this read transaction, until copy() ends
            count = reader.execute(_count_sql(), _as_of_args(as_of)).fetchone()[0]
            head_ = Head(uuid.uuid4().hex, count, 0, BUILDING)
            now = _now()
            writer.execute(_INSERT_HEAD, (head_.extract_id, now, count, requester, request_id,
                                          BUILDING, 0, now, json.dumps(self.columns)))
            writer.execute("COMMIT")
        except BaseException:
            writer.close()
            raise
        self._reader, self._writer, self._as_of = reader, writer, as_of
        return head_, True

    def copy(self, extract_id: str, on_progress: Callable[[int], None]) -> int:
        """Copy the records, ``batch`` per transaction, calling ``on_progress(rows copied)``
        after each commit; marks the snapshot complete. On failure the snapshot is marked for
        pruning (its pages are unknown from then on) and the error raised."""
        if self._complete is not None:  # open() copied it all (one batch at most)
            on_progress(self._complete)
            return self._complete
        reader, writer = self._reader, self._writer
        assert reader is not None and writer is not None, "open() first"
        done = 0
        try:
            cursor = reader.execute(_records_sql(self.columns), _as_of_args(self._as_of))
            while True:
                self._wait_for_demand(done, extract_id)
                rows = cursor.fetchmany(self.batch)
                if not rows:
                    break
                if self.stop.is_set():  # the process stops: not wait for the whole copy
                    raise SnapshotStopped(f"{extract_id}: stopped after {done} records")
                writer.execute("BEGIN IMMEDIATE")
                writer.executemany('INSERT INTO "全件抽出" VALUES (?, ?, ?)',
                                   [(extract_id, done + i, r[0]) for i, r in enumerate(rows)])
                done += len(rows)
                writer.execute('UPDATE "全件抽出管理" SET "作成済件数" = ?, "最終利用日時" = ? '
                               'WHERE "抽出ID" = ?', (done, _now(), extract_id))
                writer.execute("COMMIT")
                on_progress(done)
            writer.execute('UPDATE "全件抽出管理" SET "状態" = ?, "作成済件数" = ? '
                           'WHERE "抽出ID" = ?', (COMPLETE, done, extract_id))
            return done
        except BaseException:
            if writer.in_transaction:
                writer.execute("ROLLBACK")
            writer.execute('UPDATE "全件抽出管理" SET "状態" = ? WHERE "抽出ID" = ?',
                           (DELETING, extract_id))
            raise
        finally:
            reader.execute("ROLLBACK")
            reader.close()
            # The reader kept the WAL from being checkpointed: it holds the whole snapshot now
            # (~0.7 GB at 1,000,000 residents). Checkpoint it here, in the builder's thread, or
            # the next commit's automatic checkpoint does it — an inquiry's access record in
            # the reactor thread, stalled ~1 s (measured: bench/full_transfer.py).
            try:
                writer.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                writer.close()


def abandon_unfinished(conn: sqlite3.Connection) -> int:
    """Mark for pruning the snapshots a builder left unfinished (the serving process starts:
    no builder of it runs yet). Returns how many."""
    with conn:
        return conn.execute('UPDATE "全件抽出管理" SET "状態" = ? WHERE "状態" = ?',
                            (DELETING, BUILDING)).rowcount


# prune's searches of the heads, each by an index of _INDEXES (test_vendor_a_snapshots.py)
PRUNE_SEARCHES = (
    'UPDATE "全件抽出管理" SET "状態" = ? WHERE "状態" <> ? AND '
    '(coalesce("最終利用日時", "作成日時") < ? OR "作成日時" < ?)',
    'UPDATE "全件抽出管理" SET "状態" = ? WHERE "状態" = ? AND "最終利用日時" < ?',
    'SELECT "抽出ID" FROM "全件抽出管理" WHERE "状態" = ?',
)


def prune(conn: sqlite3.Connection, *, lease: dt.timedelta = EXTRACT_LEASE,
          max_age: dt.timedelta = EXTRACT_RETENTION, batch: int = BATCH,
          now: dt.datetime | None = None) -> list[str]:
    """Delete the snapshots unread for ``lease`` or older than ``max_age`` (and those marked
    削除中), ``batch`` rows per transaction; returns their IDs. Safe to stop at any point: a
    head marked 削除中 is finished by the next run."""
    now = now or dt.datetime.now(dt.timezone.utc)
    idle, old = (now - lease).isoformat(), (now - max_age).isoformat()
    with conn:
        conn.execute(PRUNE_SEARCHES[0], (DELETING, BUILDING, idle, old))
        # a builder that stalled past the lease (its process hung or died) is abandoned too
        conn.execute(PRUNE_SEARCHES[1], (DELETING, BUILDING, idle))
    doomed = [r[0] for r in conn.execute(PRUNE_SEARCHES[2], (DELETING,))]
    for extract_id in doomed:
        while True:
            with conn:
                deleted = conn.execute(
                    'DELETE FROM "全件抽出" WHERE rowid IN (SELECT rowid FROM "全件抽出" '
                    'WHERE "抽出ID" = ? LIMIT ?)', (extract_id, batch)).rowcount
            if deleted == 0:
                break
        with conn:
            conn.execute('DELETE FROM "全件抽出管理" WHERE "抽出ID" = ?', (extract_id,))
    return doomed
