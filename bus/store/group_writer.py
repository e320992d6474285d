"""The background writer every evidence store shares (group commit): the routing log on SQLite
and on PostgreSQL, and the payload archive.

Callers hand items to a queue and never wait for the disk; one writer thread takes what is
waiting as one batch and commits it in one transaction (one fsync for many). Evidence or refuse:
a batch whose commit fails is kept and retried (backing off up to ``RETRY_MAX``) until it is
written; ``health()`` says ``failing`` meanwhile and ``behind`` while more than ``high_water``
items (or ``high_water_bytes``) wait, so the hub holds or refuses new exchanges
(bus/hub/evidence.py) instead of dropping anything. ``committed()``/``on_commit`` let it release
a reply only once its records are written. Only ``close()`` gives up, after its timeout
(``lost``).

A store subclasses ``GroupWriter`` and supplies the SQL: ``_prepare`` (queued items to rows, once
per batch: a retry writes the same rows), ``_write`` (one transaction; returns the exception
instead of raising), ``_stopped`` (after the writer ended) and ``_close_connections``.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import queue
import threading
import weakref
from collections.abc import Callable
from enum import StrEnum
from typing import Any, ClassVar

from .batching import STOP, Flush, gather, next_batch, take_waiting

log = logging.getLogger(__name__)

RETRY_MAX = 2.0  # seconds between two attempts while writing fails


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


class WriterState(StrEnum):
    """A background writer's state (書き込み状態; ``health()["state"]`` of the routing log and
    the payload archive): what admission, readiness and metrics decide by."""

    OK = "ok"
    BEHIND = "behind"  # more than high_water wait: new exchanges are held
    FAILING = "failing"  # a commit failed and is retried: new exchanges are refused
    CLOSED = "closed"


class GroupWriter:
    """The queue, the writer thread and its health; see the module doc."""

    WHAT: ClassVar[str] = "store"  # in messages: "routing log", "payload archive"
    UNIT: ClassVar[str] = "records"  # what it writes, in messages
    MAX_BATCH: ClassVar[int] = 1000  # hand-offs per commit: bounds one transaction
    # seconds an ``Unawaited`` hand-off may wait for the next awaited one (batching.gather)
    DEFER: ClassVar[float] = 0.0
    Error: ClassVar[type[Exception]] = Exception  # what record/flush raise
    name: str  # where it writes, in messages (a path, a redacted URL)
    readonly: bool

    def _init_writer(self, *, high_water: int, high_water_bytes: int | None = None,
                     on_commit: Callable[[int], None] | None = None,
                     on_state: Callable[[dict], None] | None = None) -> None:
        self.high_water = high_water
        self.high_water_bytes = high_water_bytes
        # Writer-thread callbacks: on_commit(seq) after each commit; on_state(health) when
        # writing starts or stops failing.
        self.on_commit = on_commit
        self.on_state = on_state
        self.lost = 0  # items given up (close() while writing failed)
        self._lost_reported = 0  # what flush() has already raised about
        self._recorded = 0  # sequence numbers in this process
        self._committed = 0
        self._queued_bytes = 0
        self._failing: tuple[str, str] | None = None  # (error, since) while writing fails
        self._give_up = threading.Event()
        self.last_commit_seconds: float | None = None  # how long the last commit took
        self.last_commit_at: float | None = None  # epoch seconds of the last commit
        self._lock = threading.Lock()  # enqueue/close/counters: held only for microseconds
        self._closed = False
        self._thread: threading.Thread | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self.defer = self.DEFER  # the writer thread reads it per batch
        # what _take_waiting added to the batch being written (the writer thread's)
        self._late_count = self._late_size = 0
        self._late_markers: list[Flush] = []
        self._late_stop = False

    def _start_writer(self, thread_name: str) -> None:
        self._thread = threading.Thread(target=self._run, name=thread_name, daemon=True)
        self._thread.start()
        # A daemon thread dies silently at exit: flush whatever is queued first.
        atexit.register(_close_ref, weakref.ref(self))

    # -- what subclasses supply ------------------------------------------------------------------

    def _prepare(self, items: list) -> tuple[Any, int, int]:
        """(what ``_write`` takes, how many items, how many bytes) for one batch."""
        raise NotImplementedError

    def _write(self, rows: Any) -> Exception | None:
        raise NotImplementedError

    def _take_waiting(self) -> list:
        """For ``_write``, once its turn at the file came (bus/store/write_turns.py): the
        items queued since the batch was taken, to go into the same commit — they would
        otherwise wait for another turn. The caller tells ``_added`` how many items and bytes
        they add to the batch; flush markers and STOP met here are handled once the batch is
        committed, as if they had come with it."""
        items, markers, stop = take_waiting(self._queue, self.MAX_BATCH)
        self._late_markers += markers
        self._late_stop = self._late_stop or stop
        return items

    def _added(self, count: int, size: int = 0) -> None:
        """What ``_take_waiting``'s items add to the batch being written."""
        self._late_count += count
        self._late_size += size

    def _stopped(self) -> None:
        """After the writer thread ended (``lost`` is final), before the connections close."""

    def _close_connections(self) -> None:
        raise NotImplementedError

    # -- the callers' side -------------------------------------------------------------------------

    def _enqueue(self, item: object, count: int = 1, size: int = 0) -> int:
        """Queue one hand-off of ``count`` items; returns the last one's sequence number. An
        ``Unawaited`` list may wait for the next hand-off's commit (``DEFER``)."""
        with self._lock:  # so nothing slips in behind close()'s stop marker
            if self._closed or self.readonly:
                raise self.Error(f"{self.name}: {self.WHAT} is "
                                 f"{'read-only' if self.readonly else 'closed'}")
            if count:
                self._recorded += count
                self._queued_bytes += size
                self._queue.put(item)
            return self._recorded

    def committed(self) -> int:
        """The sequence number up to which every item is committed."""
        return self._committed

    def health(self) -> dict:
        """The writer's state for admission, readiness, metrics and the console (thread-safe,
        cheap). Keys:

        - ``state``: ``ok``; ``behind`` (more than ``high_water`` items, or ``high_water_bytes``,
          wait: new exchanges are held); ``failing`` (a commit failed and is retried: new
          exchanges are refused); ``closed``. ``accepting``: state is ``ok``.
        - ``backlog``: items queued, not yet committed; ``high_water``; ``max_backlog``
          (twice ``high_water``: readiness says "not ready" past half of it, i.e. when behind);
          with a byte limit also ``backlog_bytes`` and ``high_water_bytes``.
        - ``last_error``, ``failing_since`` (ISO) while failing; ``lost`` (= ``dropped``):
          items given up, only ever by close() while writing still failed.
        - ``writer_alive``; ``last_commit_seconds`` (how long the last commit took) and
          ``last_commit_at`` (epoch seconds).
        """
        with self._lock:
            state, backlog, queued_bytes = self._levels()
            failing = self._failing
            lost = self.lost
        health: dict = {"state": state, "accepting": state is WriterState.OK,
                        "backlog": backlog}
        if self.high_water_bytes is not None:
            health.update(backlog_bytes=queued_bytes, high_water=self.high_water,
                          high_water_bytes=self.high_water_bytes)
        else:
            health["high_water"] = self.high_water
        health.update({"max_backlog": 2 * self.high_water,
                       "last_error": failing[0] if failing else None,
                       "failing_since": failing[1] if failing else None,
                       "lost": lost, "dropped": lost,
                       "writer_alive": self._thread is not None and self._thread.is_alive(),
                       "last_commit_seconds": self.last_commit_seconds,
                       "last_commit_at": self.last_commit_at})
        return health

    def _levels(self) -> tuple[WriterState, int, int]:
        """(state, backlog, queued bytes); the caller holds ``_lock``."""
        backlog = self._recorded - self._committed - self.lost
        queued_bytes = self._queued_bytes
        if self._closed:
            state = WriterState.CLOSED
        elif self._failing is not None:
            state = WriterState.FAILING
        elif backlog > self.high_water or (self.high_water_bytes is not None
                                           and queued_bytes > self.high_water_bytes):
            state = WriterState.BEHIND
        else:
            state = WriterState.OK
        return state, backlog, queued_bytes

    def accepting(self) -> bool:
        """``health()["accepting"]`` without the rest of ``health()`` (a dict of 15 keys and a
        look at the thread): admission and the delivery loops ask it per exchange and per claim
        (issue 13)."""
        with self._lock:
            return self._levels()[0] is WriterState.OK

    def pressure(self) -> tuple[WriterState, bool]:
        """(state, whether the backlog is above its low-water mark — half its high water, in
        records or bytes): what backpressure decides by (bus/hub/evidence.py), as
        ``health()`` says it."""
        with self._lock:
            state, backlog, queued_bytes = self._levels()
        above_low = backlog > self.high_water // 2 or (
            self.high_water_bytes is not None and queued_bytes > self.high_water_bytes // 2)
        return state, above_low

    def flush(self, timeout: float = 5.0) -> None:
        """Block until every item queued before this call is committed.

        Raises TimeoutError if that takes longer than ``timeout`` seconds (e.g. while writing
        fails: the items are kept and retried), and ``Error`` if items were given up since the
        previous flush (only ``close()`` gives up, after its timeout).
        """
        if self.readonly or self._thread is None or not self._thread.is_alive():
            return
        marker = Flush()
        self._queue.put(marker)
        if not marker.done.wait(timeout):
            error = self.health()["last_error"]
            raise TimeoutError(f"{self.WHAT} {self.name}: flush not done in {timeout} s"
                               + (f" (writing fails: {error})" if error else ""))
        with self._lock:
            lost, self._lost_reported = self.lost - self._lost_reported, self.lost
        if lost:
            raise self.Error(f"{self.name}: {lost} {self.UNIT} were not written")

    def close(self, timeout: float = 10.0) -> None:
        """Flush, stop the writer thread, close the connections. Safe to call twice.

        While writing fails, the writer keeps retrying for up to ``timeout`` seconds; what is
        still unwritten then is given up and counted in ``lost`` (reported on stderr)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._thread is not None:
            self._queue.put(STOP)  # after every item: _enqueue now refuses
            self._thread.join(timeout)
            if self._thread.is_alive():
                self._give_up.set()
                self._thread.join()
            if self.lost:
                log.error("%s %s: %d %s could not be written before close", self.WHAT,
                          self.name, self.lost, self.UNIT)
            self._stopped()
        self._close_connections()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the writer thread -------------------------------------------------------------------------

    def _run(self) -> None:
        stop = False
        while not stop:
            items, markers, stop = gather(self._queue, *next_batch(self._queue, self.MAX_BATCH),
                                          self.MAX_BATCH, self.defer)
            if items:
                self._write_until_done(*self._prepare(items))
            markers += self._late_markers  # after any marker of the batch: queue order
            stop = stop or self._late_stop
            self._late_markers, self._late_stop = [], False
            for marker in markers:
                marker.done.set()

    def _write_until_done(self, rows: Any, count: int, size: int) -> None:
        """Evidence or refuse: a batch that fails (disk full, read-only file, locked or broken
        database, server gone) is kept and retried until it is written; the hub refuses new
        exchanges meanwhile (``health()["state"]`` is ``WriterState.FAILING``). Only close() can give up."""
        delay = 0.05
        while True:
            error = self._write(rows)
            if error is None:
                break
            with self._lock:
                first = self._failing is None
                self._failing = (f"{error.__class__.__name__}: {error}",
                                 self._failing[1] if self._failing else _now())
            if first:
                log.error("%s %s: writing fails, %d %s kept and retried: %s", self.WHAT,
                          self.name, count, self.UNIT, error)
                self._tell_state()
            if self._give_up.wait(delay):
                with self._lock:
                    self.lost += count + self._late_count
                    self._queued_bytes -= size + self._late_size
                    self._late_count = self._late_size = 0
                return
            delay = min(delay * 2, RETRY_MAX)
        with self._lock:
            recovered = self._failing is not None
            self._failing = None
            self._committed += count + self._late_count
            self._queued_bytes -= size + self._late_size
            self._late_count = self._late_size = 0
            committed = self._committed
        if recovered:
            log.warning("%s %s: writing works again", self.WHAT, self.name)
            self._tell_state()
        if self.on_commit is not None:
            try:
                self.on_commit(committed)
            except Exception:  # the hub's callback must not stop the writer
                log.exception("%s %s: commit callback failed", self.WHAT, self.name)

    def _tell_state(self) -> None:
        if self.on_state is not None:
            try:
                self.on_state(self.health())
            except Exception:
                log.exception("%s %s: state callback failed", self.WHAT, self.name)


def _close_ref(ref: weakref.ref) -> None:
    writer = ref()
    if writer is not None:
        writer.close()
