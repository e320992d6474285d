"""The routing log (経路ログ): where every message went through the hub, and why.

An embedded SQLite file with one row per *hop* (received, validated, routed, replied, ...).
Writes go through a queue to one background writer thread that commits in batches (group
commit), so the Twisted reactor never waits on the disk. WAL + ``synchronous=NORMAL``: a commit
survives a crash of the process; only a power loss can take the last few commits with it.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import queue
import sqlite3
import threading
import uuid
import weakref
from dataclasses import dataclass, field, fields
from pathlib import Path

from .migrations import SchemaVersionError, check_readable, migrate

log = logging.getLogger(__name__)

HOPS = ("received", "validated", "rejected", "routed", "provider_response",
        "response_validated", "response_rejected", "replied",
        # notices: stored durably / seen before; each delivery attempt to a subscriber; given up
        # (dead letter channel); handed back to delivery by an operator
        "accepted", "duplicate", "delivery", "dead_lettered", "replayed",
        # characters: the 縮退 a JIS X 0213-only receiver's adapter applies (which MJ characters)
        "shrink")
STATUSES = ("ok", "fault", "error")
PARTIES = ("client", "provider", "hub")

MAX_BATCH = 1000  # rows per commit: bounds one transaction, amortises the fsync
MAX_QUEUED = 100_000  # beyond this record() drops (and counts) rather than grow memory


class RoutingLogError(Exception):
    """The routing log cannot be opened, written or read."""


def to_utc_iso(value: str | dt.datetime) -> str:
    """Normalise a timestamp to the stored form: UTC, ISO-8601, microseconds, ``+00:00``.

    A naive value is taken as UTC. Raises ValueError for text that is not ISO-8601.
    """
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _new_exchange_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, kw_only=True)
class HopRecord:
    """One step of one message through the hub.

    Metadata only: IDs, routing decisions, sizes, timings, and *where* validation failed
    (rule, path, line). Never put personal data or any other payload value in here — ``reason``
    names what was wrong ("element missing", "not a valid date"), not the offending value. The
    file is read by operators and kept far longer than the messages themselves.
    """

    hop: str  # one of HOPS
    status: str  # one of STATUSES
    message_id: str | None = None
    relates_to: str | None = None  # on a reply: the request's message ID
    service_id: str | None = None
    service_version: str | None = None
    sender: str | None = None  # 団体コード/業務ユニット/system, e.g. "131016/07/vendor-b-tax"
    receiver: str | None = None
    provider: str | None = None  # provider ID routed to
    endpoint: str | None = None  # provider URL
    http_status: int | None = None
    fault_code: str | None = None
    party: str | None = None  # who was at fault: one of PARTIES
    rule: str | None = None
    path: str | None = None
    line: int | None = None
    reason: str | None = None
    duration_ms: float | None = None
    request_bytes: int | None = None
    response_bytes: int | None = None
    soap_version: str | None = None
    attempt: int | None = None  # notices: which delivery attempt (1 = the first)
    at: str = field(default_factory=_now)  # UTC ISO-8601 with microseconds
    # One per inbound HTTP exchange: groups the hops even when no message ID could be read.
    exchange_id: str = field(default_factory=_new_exchange_id)

    def __post_init__(self) -> None:
        # Fail at the call site, not later on the writer thread where nobody sees it.
        if self.hop not in HOPS:
            raise ValueError(f"unknown hop {self.hop!r}; expected one of {', '.join(HOPS)}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; expected one of {', '.join(STATUSES)}")
        if self.party is not None and self.party not in PARTIES:
            raise ValueError(f"unknown party {self.party!r}; expected one of {', '.join(PARTIES)}")
        # One stored form, so that time ranges compare correctly as text (fast path: the
        # default and rows read back are already in it).
        if not (len(self.at) == 32 and self.at.endswith("+00:00") and self.at[19] == "."):
            object.__setattr__(self, "at", to_utc_iso(self.at))


_COLUMNS = tuple(f.name for f in fields(HopRecord))
_INSERT = (f"INSERT INTO hops ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join('?' for _ in _COLUMNS)})")


class _Flush:
    """A marker in the queue: set once every record queued before it has been handled."""

    def __init__(self) -> None:
        self.done = threading.Event()


_STOP = object()


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    if readonly:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        if not path.with_name(path.name + "-wal").exists():
            # No hub has the file open: read it as immutable. A plain read-only open of a WAL
            # database would leave -wal/-shm files owned by whoever ran `pfbus log` (often
            # root), which the hub's own user then cannot open.
            uri += "&immutable=1"
        conn = sqlite3.connect(uri, uri=True, timeout=5.0, isolation_level=None,
                               check_same_thread=False)
    else:
        conn = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        conn.execute("PRAGMA synchronous=NORMAL")  # fsync at checkpoints, not every commit
    return conn


class RoutingLog:
    """``RoutingLog(path)`` opens or creates the log; ``readonly=True`` only reads an existing one.

    ``record()`` is non-blocking and thread-safe; ``flush()`` waits until everything recorded so
    far is committed; ``close()`` flushes and stops the writer. ``query()`` reads on its own
    connection and sees committed rows only.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.dropped = 0  # records lost: queue full, or a batch failed to commit
        self._last_error: object = None
        self._dropped_reported = 0  # what flush() has already raised about
        self._lock = threading.Lock()  # record/close/counters: held only for microseconds
        self._read_lock = threading.Lock()  # the reader connection: a query never holds _lock
        self._closed = False
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._thread: threading.Thread | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=MAX_QUEUED)
        try:
            if readonly:
                if not self.path.is_file():
                    raise RoutingLogError(f"{self.path}: no such routing log")
                self._reader = _connect(self.path, readonly=True)
                check_readable(self._reader)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._writer = _connect(self.path, readonly=False)
                migrate(self._writer)
                self._reader = _connect(self.path, readonly=False)
        except (OSError, sqlite3.Error, SchemaVersionError) as exc:
            self._close_connections()
            raise RoutingLogError(f"{self.path}: {exc}") from exc
        if not readonly:
            self._thread = threading.Thread(target=self._run, name=f"routing-log:{self.path.name}",
                                            daemon=True)
            self._thread.start()
            # A daemon thread dies silently at exit: flush whatever is queued first.
            atexit.register(_close_ref, weakref.ref(self))

    # -- writing -----------------------------------------------------------------------------

    def record(self, hop: HopRecord) -> None:
        """Queue one hop for writing; never waits for the disk."""
        with self._lock:  # so a record cannot slip in behind close()'s stop marker
            if self._closed or self.readonly:
                raise RoutingLogError(f"{self.path}: routing log is "
                                      f"{'read-only' if self.readonly else 'closed'}")
            try:
                self._queue.put_nowait(hop)
            except queue.Full:
                # Blocking here would stall the reactor: losing log rows is the lesser harm.
                self.dropped += 1
                self._last_error = "queue full (writer cannot keep up)"
                if self.dropped == 1 or self.dropped % 10_000 == 0:
                    log.error("routing log %s: queue full, %d hop records dropped",
                              self.path, self.dropped)

    def flush(self, timeout: float = 5.0) -> None:
        """Block until every hop recorded before this call is committed.

        Raises TimeoutError if that takes longer than ``timeout`` seconds, and RoutingLogError if
        any hop recorded since the previous flush was lost (queue full or a failed commit).
        """
        if self.readonly or self._thread is None or not self._thread.is_alive():
            return
        marker = _Flush()
        try:
            self._queue.put(marker, timeout=timeout)
        except queue.Full:
            raise TimeoutError(f"routing log {self.path}: flush timed out (queue full)") from None
        if not marker.done.wait(timeout):
            raise TimeoutError(f"routing log {self.path}: flush not done in {timeout} s")
        with self._lock:
            lost = self.dropped - self._dropped_reported
            self._dropped_reported = self.dropped
        if lost:
            raise RoutingLogError(f"{self.path}: {lost} hop records were not written: "
                                  f"{self._last_error}")

    def close(self) -> None:
        """Flush, stop the writer thread, close the connections. Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._thread is not None:
            self._queue.put(_STOP)  # after every record: record() now refuses
            self._thread.join()
        with self._read_lock:
            self._close_connections()

    def __enter__(self) -> RoutingLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        assert self._writer is not None
        stop = False
        while not stop:
            batch: list[HopRecord] = []
            markers: list[_Flush] = []
            item = self._queue.get()  # block for the first; take whatever else is waiting
            while True:
                if item is _STOP:
                    stop = True
                elif isinstance(item, _Flush):
                    markers.append(item)
                else:
                    batch.append(item)
                if stop or len(batch) >= MAX_BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._write(batch)
            for marker in markers:
                marker.done.set()

    def _write(self, batch: list[HopRecord]) -> None:
        assert self._writer is not None
        try:
            self._writer.execute("BEGIN")
            self._writer.executemany(_INSERT, [tuple(getattr(h, c) for c in _COLUMNS) for h in batch])
            self._writer.execute("COMMIT")
        except Exception as exc:  # e.g. disk full: keep the writer (and hub) alive, say so loudly
            if self._writer.in_transaction:
                self._writer.execute("ROLLBACK")
            with self._lock:
                self._last_error = exc
                self.dropped += len(batch)
            log.error("routing log %s: %d hop records not written: %s", self.path, len(batch), exc)

    def _close_connections(self) -> None:
        for name in ("_reader", "_writer"):
            conn = getattr(self, name, None)
            if conn is not None:
                conn.close()
                setattr(self, name, None)

    # -- reading -----------------------------------------------------------------------------

    def query(self, message_id: str | None = None, service_id: str | None = None,
              status: str | None = None, hop: str | None = None,
              since: str | dt.datetime | None = None, until: str | dt.datetime | None = None,
              limit: int | None = 1000, *, exchange_id: str | None = None) -> list[HopRecord]:
        """Committed hops matching every given filter, oldest first (by row id).

        ``message_id`` matches a hop's message_id or relates_to (a request ID also finds its
        reply's hops) and every hop of the same HTTP exchange (e.g. "received" before the ID was
        read). ``since`` is inclusive, ``until`` exclusive; naive times are UTC. ``limit=None``
        means no limit.
        """
        where: list[str] = []
        params: list[object] = []
        if message_id is not None:
            where.append("(message_id = ? OR relates_to = ? OR exchange_id IN "
                         "(SELECT exchange_id FROM hops WHERE message_id = ? OR relates_to = ?))")
            params += [message_id] * 4
        if status is not None and status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if hop is not None and hop not in HOPS:
            raise ValueError(f"unknown hop {hop!r}")
        for column, value in (("exchange_id", exchange_id), ("service_id", service_id),
                              ("status", status), ("hop", hop)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            where.append("at >= ?")
            params.append(to_utc_iso(since))
        if until is not None:
            where.append("at < ?")
            params.append(to_utc_iso(until))
        sql = f"SELECT {', '.join(_COLUMNS)} FROM hops"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id LIMIT ?"
        params.append(-1 if limit is None else int(limit))
        with self._read_lock:
            if self._reader is None:
                raise RoutingLogError(f"{self.path}: routing log is closed")
            try:
                rows = self._reader.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise RoutingLogError(f"{self.path}: {exc}") from exc
        return [HopRecord(**dict(zip(_COLUMNS, row))) for row in rows]


def open_readonly(path: str | Path) -> RoutingLog:
    """Open an existing routing log for reading only; never creates a file."""
    return RoutingLog(path, readonly=True)


def _close_ref(ref: weakref.ref) -> None:
    routing_log = ref()
    if routing_log is not None:
        routing_log.close()
