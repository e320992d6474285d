"""The routing log (経路ログ): where every message went through the hub, and why.

An embedded SQLite file with one row per *hop* (received, validated, routed, replied, ...).
Writes go through a queue to one background writer thread that commits in batches (group
commit: ``GroupWriter``, bus/store/group_writer.py; the chaining and run marks both dialects
share: ``ChainedLog``, bus/store/chained_log.py), so the Twisted reactor never waits on the
disk. WAL + ``synchronous=NORMAL``: a commit survives a crash of the process; only a power loss
can take the last few commits with it.

Tamper evidence: the writer chains every row to the one before it (``prev_hash``, ``hash``;
``bus/store/chain.py``) inside the same ``BEGIN IMMEDIATE`` transaction that inserts it, reading
the head from the file whenever another connection committed since (``PRAGMA data_version``) —
so an occasional second writer (``pfbus dlq replay``, ``pfbus archive show``) extends the same
chain. Several *hub* processes do not share a file: ``pfbus serve --workers N`` gives each worker
its own file beside the configured one, read as one log (bus/store/routing_log_files.py), and a
cluster shares one log on PostgreSQL (``open_routing_log("postgresql://…")``,
bus/store/routing_log_pg.py). Every
``checkpoint_every`` rows the head hash is stored in ``chain_checkpoints`` and handed to
``on_checkpoint`` (the hub prints it to its JSON operator log, so it leaves the machine).

Evidence or refuse: ``record()`` never drops a record; a commit that fails is retried until it
succeeds, and ``health()`` tells the hub to hold or refuse new exchanges meanwhile
(bus/hub/evidence.py); ``committed()``/``on_commit`` let it release a reply only once recorded.
The fields are declared once, in ``HopRecord`` (bus/store/hop_record.py).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .chain import GENESIS, Formats
from .chained_log import (CHAINED, CHECKPOINT_EVERY, COLUMNS, HIGH_WATER, ChainedLog,
                          RoutingLogError, Unchained, at_window, chain_pages)
from .group_writer import _now
from .hop_inserts import _INSERT as _INSERT  # re-exported: bench/retention_purge.py
from .hop_inserts import _by_shape
from .hop_record import (HOPS, PARTIES, STATUSES, Hop, HopRecord, Party, Status, to_utc_iso)
from .migrations import SchemaVersionError, check_readable, check_schema, migrate
from ..core.pg_url import is_postgres
from .sqlite_readonly import connect_readonly
from .sqlite_wal import use_wal
from .write_turns import Checkpoints, WriteTurns

if TYPE_CHECKING:  # psycopg is an extra
    from .routing_log_pg import PostgresRoutingLog

# Re-exported: the record and its vocabularies are declared in hop_record.py.
__all__ = ["HOPS", "PARTIES", "STATUSES", "Hop", "HopRecord", "Party", "RoutingLog",
           "RoutingLogError", "Status", "is_postgres", "open_readonly", "open_routing_log",
           "to_utc_iso"]

log = logging.getLogger(__name__)

_COLUMNS = COLUMNS  # the names other modules import from here
_CHAINED = CHAINED
# A WAL checkpoint after this many commits or rows (bus/store/write_turns.py): at most about
# SQLite's default of 1,000 pages when commits hold three exchanges' 18 rows (~50 pages with ten
# full indexes, ~36 since they are partial, migration 8); bigger commits share index pages
CHECKPOINT_COMMITS = 20
CHECKPOINT_ROWS = 400
# no more late hops join a batch this big (a batch retried while writing fails would grow)
MAX_ROWS = 6000


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    if readonly:  # never leaves -wal/-shm files behind (bus/store/sqlite_readonly.py)
        return connect_readonly(path)
    # cached_statements: the writer's INSERTs are one per shape and run length (_by_shape)
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False,
                           cached_statements=256)
    use_wal(conn, 5.0)  # readers never block the writer
    conn.execute("PRAGMA synchronous=NORMAL")  # fsync at checkpoints, not every commit
    return conn


class RoutingLog(ChainedLog):
    """``RoutingLog(path)`` opens or creates the log; ``readonly=True`` only reads an existing one.

    ``record()`` is non-blocking and thread-safe; ``flush()`` waits until everything recorded so
    far is committed; ``close()`` flushes and stops the writer. ``query()`` reads on its own
    connection and sees committed rows only. The writer's queue, thread, retries and health
    are ``GroupWriter``'s (bus/store/group_writer.py).
    """

    # hop_search's dialect: "+column" keeps SQLite off an index; -1 is no limit
    PLUS = "+"
    NO_LIMIT = -1
    AT_FOLLOWS_ID = True  # one writer: ``at`` grows with the id, give or take (hop_search)

    def __init__(self, path: str | Path, *, readonly: bool = False,
                 checkpoint_every: int = CHECKPOINT_EVERY,
                 on_checkpoint: Callable[[int, str], None] | None = None,
                 on_commit: Callable[[int], None] | None = None,
                 on_state: Callable[[dict], None] | None = None,
                 high_water: int = HIGH_WATER, marks_runs: bool = False,
                 run_key: str = "run") -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self._init_log(readonly=readonly, checkpoint_every=checkpoint_every,
                       on_checkpoint=on_checkpoint, on_commit=on_commit, on_state=on_state,
                       high_water=high_water, marks_runs=marks_runs)
        # Whose run mark: "run" for the hub's process (each worker of ``pfbus serve --workers
        # N`` has a file of its own); several marking writers of one file key their own, so a
        # writer's crash is found by its own restart (before files per worker the workers
        # shared one, marked "run:NODE/k": tests/integration/test_shared_stores.py).
        self.run_key = run_key
        self._writer: sqlite3.Connection | None = None
        self._turns: WriteTurns | None = None  # the writer's turns at the file's write lock
        # (data_version, id, hash) after this writer's last commit (the writer thread's)
        self._last_head: tuple[int, int, str] | None = None
        self._reader: sqlite3.Connection | None = None
        try:
            if readonly:
                if not self.path.is_file():
                    raise RoutingLogError(f"{self.path}: no such routing log")
                self._reader = _connect(self.path, readonly=True)
                check_readable(self._reader)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._turns = WriteTurns(self.path)
                self._writer = _connect(self.path, readonly=False)
                self._checkpoints = Checkpoints(self._writer, CHECKPOINT_COMMITS, CHECKPOINT_ROWS)
                migrate(self._writer)
                problems = check_schema(self._writer)
                if problems:  # a hand-edited or foreign file: writing would break the chain
                    raise SchemaVersionError("the hops table does not match HopRecord: "
                                             + "; ".join(problems))
                self._formats = read_formats(self._writer)
                if marks_runs:
                    self._begin_run()
                self._reader = _connect(self.path, readonly=False)
        except (OSError, sqlite3.Error, SchemaVersionError) as exc:
            self._close_connections()
            raise RoutingLogError(f"{self.path}: {exc}") from exc
        if not readonly:
            self._start_writer(f"routing-log:{self.path.name}")

    def _close_connections(self) -> None:
        super()._close_connections()
        if self._turns is not None:
            self._turns.close()
            self._turns = None

    def chains(self) -> list[RoutingLog]:
        """The hash chains in the log, each verified on its own: one in a SQLite file."""
        return [self]

    def own_chains(self) -> list[RoutingLog]:
        """The chains retention purges from this process: the file's one, and those of the
        workers' files beside it (``pfbus serve --workers``: worker 1 runs retention), each
        opened to write here (its ``purged`` record joins that worker's chain as any second
        writer's does); ``retention.run_retention`` closes them."""
        from .routing_log_files import worker_files

        chains = [self]
        try:
            chains += [RoutingLog(path) for _, path in worker_files(self.path)[1:]]
        except RoutingLogError:
            for opened in chains[1:]:
                opened.close()
            raise
        return chains

    def _prepare(self, items: list) -> tuple[Unchained, int, int]:
        # the rows' values and text now, outside the turn (bus/store/write_turns.py)
        batch = self._flatten(items)
        return Unchained.of(batch), len(batch), 0

    def _write(self, batch: Unchained) -> Exception | None:
        assert self._writer is not None and self._turns is not None
        started = time.monotonic()
        with self._turns:  # given back after COMMIT or ROLLBACK (bus/store/write_turns.py)
            if len(batch.values) < MAX_ROWS:  # what came while waiting for the turn joins
                late = self._flatten(self._take_waiting())
                batch.extend(late)
                self._added(len(late))
            error = self._write_in_turn(batch)
        if error is None:
            self.last_commit_seconds = time.monotonic() - started
            self.last_commit_at = time.time()
            self._checkpoints.committed(len(batch.values))
        return error

    def _write_in_turn(self, batch: Unchained) -> Exception | None:
        assert self._writer is not None
        try:
            # IMMEDIATE: the head read below and the inserts are one step for any other writer.
            self._writer.execute("BEGIN IMMEDIATE")
            # The head this writer left is still the head unless another connection committed
            # since (data_version changes only then): two reads per batch saved (issue 13).
            version = self._writer.execute("PRAGMA data_version").fetchone()[0]
            head = self._last_head
            if head is None or head[0] != version:
                head = (version, *self._head())
            rows, shapes, checkpoints = self._chain_unchained(batch, head[1], head[2],
                                                              self._formats, self.checkpoint_every)
            for insert, values in _by_shape(rows, shapes):
                self._writer.execute(insert, values)
            if checkpoints:
                self._writer.executemany(
                    "INSERT OR REPLACE INTO chain_checkpoints (hop_id, hash, at) "
                    "VALUES (?, ?, ?)", [(i, d, _now()) for i, d in checkpoints])
            self._writer.execute("COMMIT")
            self._last_head = (version, rows[-1][0], rows[-1][-1]) if rows else head
        except Exception as exc:  # e.g. disk full: the caller keeps the batch and retries
            self._last_head = None
            try:
                if self._writer.in_transaction:
                    self._writer.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            return exc
        self._announce(checkpoints)
        return None

    # -- runs: a hub's run is marked in the file so that the next start knows it crashed ------

    def _begin_run(self) -> None:
        """Mark this process's run; return what an earlier, unclosed run left (``unclean``)."""
        assert self._writer is not None
        conn = self._writer
        assert self._turns is not None
        with self._turns:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT value FROM chain_meta WHERE key = ?",
                                   (self.run_key,)).fetchone()
                head = conn.execute("SELECT MAX(id) FROM hops").fetchone()[0] or 0
                mark = self._new_run(row[0] if row is not None else None, head)
                conn.execute("INSERT OR REPLACE INTO chain_meta (key, value) VALUES (?, ?)",
                             (self.run_key, mark))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _end_run(self) -> None:
        try:
            assert self._writer is not None
            self._writer.execute("DELETE FROM chain_meta WHERE key = ?", (self.run_key,))
        except sqlite3.Error as exc:  # the next start then writes a gap record that says so
            log.error("routing log %s: cannot mark the run closed: %s", self.path, exc)

    def _head(self) -> tuple[int, str]:
        """(id, hash) of the last row: where the next row chains on."""
        assert self._writer is not None
        row = self._writer.execute("SELECT id, hash FROM hops ORDER BY id DESC LIMIT 1").fetchone()
        base_id, base_hash = chain_base(self._writer)
        if row is None or row[0] <= base_id:  # empty, only rows from before the chain, or purged
            return max(base_id, row[0] if row else 0), base_hash
        return row[0], row[1] or GENESIS  # an unhashed row in the chain: verify names it

    def checkpoint_head(self) -> tuple[int, str] | None:
        """Store and announce the current head now (the hub does so when it stops), so that a
        later truncation of the file's tail shows against a copy kept elsewhere."""
        if self.readonly or self._writer is None:
            return None
        try:
            self.flush()
        except (TimeoutError, RoutingLogError) as exc:  # the head is still worth printing
            log.error("routing log %s: %s", self.path, exc)
        with self._read_lock:
            conn = self._reader
            assert conn is not None
            row = conn.execute("SELECT id, hash FROM hops ORDER BY id DESC LIMIT 1").fetchone()
        if row is None or row[1] is None:
            return None
        # Only the writer thread writes hops; checkpoints go through the reader connection,
        # which is a separate connection and takes the file's write lock briefly.
        with self._read_lock:
            assert self._reader is not None
            self._reader.execute("INSERT OR REPLACE INTO chain_checkpoints (hop_id, hash, at) "
                                 "VALUES (?, ?, ?)", (row[0], row[1], _now()))
        self._announce([(row[0], row[1])])
        return row[0], row[1]

    # -- reading -----------------------------------------------------------------------------

    def run_summary(self, after_id: int) -> tuple[int, str | None]:
        """For recovery: (exchanges recorded after ``after_id`` that have no 'replied' hop,
        the time of the last record)."""
        cut = self._read(
            "SELECT COUNT(DISTINCT exchange_id) FROM hops WHERE id > ? AND hop = 'received' "
            "AND exchange_id NOT IN (SELECT exchange_id FROM hops WHERE id > ? AND "
            "hop = 'replied')", (after_id, after_id))[0][0]
        last = self._read("SELECT at FROM hops ORDER BY id DESC LIMIT 1")
        return int(cut), (last[0][0] if last else None)

    def has_hop(self, message_id: str, hops: tuple[Hop, ...], provider: str | None = None,
                ok: bool = False) -> bool:
        # INDEXED BY: without statistics SQLite took the index on status for ``status = 'ok'``
        # and scanned every ok hop per call — recovery after a kill (one call per fact) then
        # grew with the square of the log and held a restart for tens of seconds.
        sql = (f"SELECT 1 FROM hops INDEXED BY hops_message_id WHERE message_id = ? AND hop IN "
               f"({', '.join('?' for _ in hops)})")
        params: tuple = (message_id, *hops)
        if provider is not None:
            sql += " AND provider = ?"
            params += (provider,)
        if ok:
            sql += f" AND status = '{Status.OK}'"
        return bool(self._read(sql + " LIMIT 1", params))

    def gaps(self) -> list[tuple[int, str, str]]:
        """Gap records (id, at, reason): the log's own account of records lost in a crash."""
        return [tuple(r) for r in self._read(
            f"SELECT id, at, reason FROM hops WHERE hop = '{Hop.GAP}' ORDER BY id")]

    def recovered_count(self) -> int:
        return int(self._read(f"SELECT COUNT(*) FROM hops WHERE recovered = 1 AND hop != '{Hop.GAP}'"
                              )[0][0])

    # -- the chain ---------------------------------------------------------------------------

    def _read(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        with self._read_lock:
            if self._reader is None:
                raise RoutingLogError(f"{self.path}: routing log is closed")
            try:
                return self._reader.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise RoutingLogError(f"{self.path}: {exc}") from exc

    def chain_formats(self) -> Formats:
        """From which id each chain format applies (for verify and export)."""
        with self._read_lock:
            if self._reader is None:
                raise RoutingLogError(f"{self.path}: routing log is closed")
            return read_formats(self._reader)

    def chain_base(self) -> tuple[int, str]:
        """Where the chain in the file starts: (the id before its first record, the hash that
        record links to) — the retention anchor once old records were purged, else the chain's
        start (``start_after``, genesis)."""
        with self._read_lock:
            if self._reader is None:
                raise RoutingLogError(f"{self.path}: routing log is closed")
            return chain_base(self._reader)

    def purge_anchor(self) -> tuple[int, str] | None:
        """(last purged id, its hash) when retention deleted records, else None."""
        meta = dict(self._read("SELECT key, value FROM chain_meta WHERE key IN "
                               "('purged_through', 'purged_hash')"))
        if "purged_through" not in meta:
            return None
        return int(meta["purged_through"]), meta["purged_hash"]

    def chain_start_after(self) -> int:
        """Rows with ids up to this one were written before the chain existed (unhashed)."""
        rows = self._read("SELECT value FROM chain_meta WHERE key = 'start_after'")
        return int(rows[0][0]) if rows else 0

    def checkpoints(self) -> list[tuple[int, str, str]]:
        """Stored anchors (hop id, hash, at), oldest first."""
        return [tuple(r) for r in self._read(
            "SELECT hop_id, hash, at FROM chain_checkpoints ORDER BY hop_id")]

    def chain_rows(self, after_id: int = 0, through_id: int | None = None, page: int = 5000):
        """Every row with ``after_id < id <= through_id`` as a dict with ``id``, the hop fields,
        ``prev_hash`` and ``hash``, in id order; read page by page (constant memory)."""
        return chain_pages(self._read, f"SELECT {', '.join(_CHAINED)} FROM hops WHERE", "id", (),
                           after_id, through_id, page)

    def id_range(self, since: str | None, until: str | None) -> tuple[int, int] | None:
        """The smallest and largest row id whose ``at`` is in [since, until), if any."""
        where, params = at_window(since, until)
        sql = "SELECT MIN(id), MAX(id) FROM hops" + (" WHERE " + " AND ".join(where) if where
                                                     else "")
        lo, hi = self._read(sql, tuple(params))[0]
        return None if lo is None else (int(lo), int(hi))

    def unchained_stats(self, start_after: int) -> tuple[int, int | None]:
        """(rows at or before the chain start, the first of them with a hash): verify's check
        that the recorded start was not moved to hide rows."""
        count = self._read("SELECT COUNT(*) FROM hops WHERE id <= ?", (start_after,))[0][0]
        early = self._read("SELECT MIN(id) FROM hops WHERE id <= ? AND hash IS NOT NULL",
                           (start_after,))[0][0]
        return int(count), early

    def last_purged_record(self, after: int) -> tuple[int, str | None, str | None] | None:
        """(id, path, reason) of the newest chained ``purged`` record after ``after``."""
        rows = self._read("SELECT id, path, reason FROM hops WHERE hop = 'purged' AND id > ? "
                          "ORDER BY id DESC LIMIT 1", (after,))
        return tuple(rows[0]) if rows else None

    # -- retention (bus/store/retention.py) ------------------------------------------------------

    def purge_bounds(self, before_iso: str) -> tuple[int | None, int]:
        """(the first id, the last id written before ``before_iso``)."""
        rows = self._read("SELECT id FROM hops WHERE at >= ? ORDER BY at LIMIT 1", (before_iso,))
        hi = int(rows[0][0]) - 1 if rows else int(
            self._read("SELECT COALESCE(MAX(id), 0) FROM hops")[0][0])
        first = self._read("SELECT MIN(id) FROM hops")[0][0]
        return (None if first is None else int(first)), hi

    def set_purge_anchor(self, through: int, digest: str) -> None:
        from . import retention

        retention._set_anchor(self.path, through, digest)

    def delete_through(self, lo: int, hi: int, batch: int, pause: float,
                       progress: Callable[[int], None] | None,
                       stop: threading.Event | None) -> int:
        """Delete rows (and checkpoints) with ids lo..hi, ``batch`` ids per transaction."""
        from . import retention  # its SQLite helpers (looked up here: tests interrupt them)

        deleted = retention._delete_ids(self.path, "hops", "id", lo, hi, batch, pause,
                                        progress, stop)
        retention._delete_ids(self.path, "chain_checkpoints", "hop_id", 0, hi, batch, pause,
                              None, stop)
        return deleted

    def related_sql(self) -> str:
        """hop_search.related_exchanges' statement: the matching rows first (two index
        searches, whatever statistics say), then grouped — grouping the table directly makes
        SQLite walk the whole exchange_id index."""
        return ("WITH m AS MATERIALIZED (SELECT id, exchange_id, hop FROM hops INDEXED BY "
                "hops_message_id WHERE message_id = ? UNION SELECT id, exchange_id, hop FROM hops "
                "INDEXED BY hops_relates_to WHERE relates_to = ?) "
                "SELECT exchange_id, MIN(id), group_concat(hop, ','), "
                "(SELECT status FROM hops h2 WHERE h2.exchange_id = m.exchange_id ORDER BY id "
                "DESC LIMIT 1) FROM m GROUP BY exchange_id ORDER BY MIN(id) LIMIT ?")

    def row_hash(self, row_id: int) -> str | None:
        rows = self._read("SELECT hash FROM hops WHERE id = ?", (row_id,))
        return rows[0][0] if rows else None


def chain_base(conn: sqlite3.Connection) -> tuple[int, str]:
    meta = dict(conn.execute("SELECT key, value FROM chain_meta WHERE key IN "
                             "('start_after', 'purged_through', 'purged_hash')").fetchall())
    start_after = int(meta.get("start_after", 0))
    purged = int(meta.get("purged_through", 0))
    if purged > start_after:
        return purged, str(meta["purged_hash"])
    return start_after, GENESIS


def read_formats(conn: sqlite3.Connection) -> Formats:
    rows = conn.execute("SELECT key, value FROM chain_meta WHERE key LIKE 'format^_%^_after' "
                        "ESCAPE '^'").fetchall()
    return Formats({int(k.split("_")[1]): int(v) for k, v in rows})


if TYPE_CHECKING:
    from .routing_log_files import RoutingLogFiles

    AnyLog = RoutingLog | PostgresRoutingLog  # a routing log, either dialect


def open_routing_log(location: str | Path, *, node: str | None = None, readonly: bool = False,
                     run_key: str = "run", **options) -> RoutingLog | PostgresRoutingLog:
    """The routing log at ``location``: a SQLite path, or a ``postgresql://…?schema=NAME`` URL
    (bus/store/routing_log_pg.py; ``node`` is the chain this process writes). ``run_key``: a
    SQLite file's run mark (PostgreSQL keys it by ``node``, one chain per node or worker)."""
    if not is_postgres(location):
        return RoutingLog(location, readonly=readonly, run_key=run_key, **options)
    try:
        from .routing_log_pg import PostgresRoutingLog
    except ImportError as exc:  # the PostgreSQL extra is not installed
        raise RoutingLogError(f"a postgresql:// routing log needs psycopg "
                              f"(pip install 'pfbus[postgres]'): {exc}") from None
    try:
        return PostgresRoutingLog(str(location), node=node, readonly=readonly, **options)
    except ValueError as exc:
        raise RoutingLogError(str(exc)) from None


def open_readonly(location: str | Path) -> RoutingLog | PostgresRoutingLog | RoutingLogFiles:
    """Open an existing routing log for reading only; never creates a file or a schema. A SQLite
    log that workers wrote a file each of is read as one (bus/store/routing_log_files.py)."""
    if not is_postgres(location):
        from .routing_log_files import RoutingLogFiles

        return RoutingLogFiles.open(Path(location))
    return open_routing_log(location, readonly=True)
