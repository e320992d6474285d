"""The MessageIds of accepted requests, each until it expires (``bus.core.replay.SeenMessages``):
the idempotent receiver's table for request-response exchanges, surviving restarts.

SQLite, files next to the routing log shared by every hub process writing that log (``pfbus
serve --workers N``): one table split by a hash of the MessageId into shards, a file each
(bus/store/seen_shards.py), so that the workers rarely meet at one file's write lock. The
insert IS the decision: ``INSERT … ON CONFLICT (message_id) DO UPDATE … WHERE expires_at <=
now`` changes a row only for an ID not seen or expired, inside one write transaction of the
ID's shard — so of two sightings of one ID, in this process or in another one on the same
files, exactly one is admitted, whichever commits first. A dictionary of IDs "not yet
committed" (the single-process design before) could not see the other process's.

The hot path waits for no thread when it need not: on SQLite, ``first_sighting`` decides a
sighting at once, in the caller's thread (the reactor's in the hub), when its shard's turn is
free — one non-blocking ``flock``, the INSERT as its own transaction (WAL, ``synchronous=NORMAL``:
no fsync), the turn given back — and returns a Deferred already fired. A hand-off to a writer
thread and back (``callFromThread``) cost an exchange 3–7 ms of waiting for threads and the
reactor, for a commit that holds the file 0.1–0.25 ms (docs/performance.md). Otherwise (the turn
is taken: another worker, the writer thread's batch or purge; SQLite busy; an error) it queues
the sighting; a writer thread takes every sighting waiting (``bus.store.batching``), decides
them in one transaction per shard they fall in and hands the decisions back in one call of
``deliver`` (the hub passes ``reactor.callFromThread``: one wake-up of the reactor per batch).
Either way a request waits for that commit before it is forwarded, so an admitted ID is on disk
before its exchange goes on: a crash cannot forget an admitted ID (a power cut may, within
``synchronous=NORMAL``'s last commits). The writer thread also runs the WAL checkpoints (an
fsync) for the commits made at once, and deletes expired rows in bounded batches through the
``expires_at`` index.

Hubs on several machines keep their seen MessageIds on PostgreSQL instead (one table for all,
bus/store/seen_messages_pg.py: the same upsert, the same writer as here — ``BatchedSeenMessages``).
"""

from __future__ import annotations

import functools
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from twisted.internet import defer

from ..core.pg_url import is_postgres
from ..core.replay import SeenMessagesUnavailable
from .batching import STOP, Flush, next_batch
from .seen_shards import CHECKPOINT_COMMITS, Shard, open_shards, shard_of, transaction

BATCH = 500  # sightings per commit at most
PURGE_EVERY = 60.0  # seconds between two deletions of expired rows
PURGE_BATCH = 10_000  # rows deleted at most at once (per file on SQLite)

# A row changes (rowcount 1) only for an ID never seen or whose window has passed.
_SIGHT = """INSERT INTO seen_messages (message_id, expires_at) VALUES (?, ?)
    ON CONFLICT (message_id) DO UPDATE SET expires_at = excluded.expires_at
    WHERE seen_messages.expires_at <= ?"""
_PURGE = """DELETE FROM seen_messages WHERE message_id IN (
    SELECT message_id FROM seen_messages WHERE expires_at <= ? LIMIT ?)"""

Decided = list[tuple[defer.Deferred, object]]  # (waiter, True/False or the error)
WAKE = object()  # in a writer's queue: no sighting, only its housekeeping (checkpoints, purge)


def _fire(decided: Decided) -> None:
    for waiter, result in decided:
        if isinstance(result, BaseException):
            waiter.errback(result)
        else:
            waiter.callback(result)


Sighting = tuple[str, float, float]  # (message_id, now, expires_at)
Decision = bool | SeenMessagesUnavailable  # admitted, a replay, or this sighting's error


class BatchedSeenMessages:
    """The queue, writer thread and decision loop every store of seen MessageIds shares; a
    store gives ``_decide`` (a batch of sightings → one decision each, in one transaction),
    ``_purge`` and ``_close``.

    ``deliver(call)`` runs ``call`` where the Deferreds may fire: the reactor thread in the
    hub (``reactor.callFromThread``); by default the writer thread itself."""

    def __init__(self, name: str, clock: Callable[[], float] = time.time,
                 deliver: Callable[[Callable[[], None]], None] | None = None):
        self._clock = clock  # for the writer's purges only
        self._deliver = deliver or (lambda call: call())
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, name=name, daemon=True)
        self._writer.start()

    def first_sighting(self, message_id: str, now: float, expires_at: float) -> defer.Deferred:
        """Fires with True when ``message_id`` is recorded until ``expires_at`` by this call,
        False when it is already recorded with an expiry after ``now`` (a replay)."""
        waiter: defer.Deferred = defer.Deferred()
        self._queue.put((message_id, now, expires_at, waiter))
        return waiter

    def flush(self) -> None:
        """Return once every sighting so far is decided and handed to ``deliver``."""
        marker = Flush()
        self._queue.put(marker)
        marker.done.wait()

    def _write(self) -> None:
        next_purge = 0.0
        while True:
            items, markers, stop = next_batch(self._queue, BATCH)
            items = [item for item in items if item is not WAKE]
            if items:
                self._deliver(functools.partial(_fire, self._decided(items)))
            self._housekeeping()
            now = self._clock()
            if now >= next_purge:  # more is waiting: go on next time
                try:
                    more = self._purge(now, PURGE_BATCH)
                except SeenMessagesUnavailable:  # the next batch's purge tries again
                    more = False
                next_purge = now if more else now + PURGE_EVERY
            for marker in markers:
                marker.done.set()
            if stop:
                self._close()
                return

    def _decided(self, items: list) -> Decided:
        """An error refuses the whole batch's sightings (the exchanges fail, none is admitted
        unrecorded)."""
        try:
            results = self._decide([(mid, now, expires_at) for mid, now, expires_at, _ in items])
        except SeenMessagesUnavailable as exc:
            return [(waiter, exc) for *_, waiter in items]
        return [(waiter, result) for (*_, waiter), result in zip(items, results, strict=True)]

    def _decide(self, sightings: list[Sighting]) -> list[Decision]:
        """One decision per sighting, each committed before it is returned; raises
        SeenMessagesUnavailable when none can be decided."""
        raise NotImplementedError

    def _housekeeping(self) -> None:
        """On the writer thread, after each batch (or WAKE): what the store does besides."""

    def _purge(self, now: float, limit: int) -> bool:
        """Delete rows expired at ``now``, at most ``limit`` at once (per file); whether more
        may be waiting."""
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        if self._writer.is_alive():
            self._queue.put(STOP)
            self._writer.join()


class SqliteSeenMessages(BatchedSeenMessages):
    """The seen MessageIds in SQLite files beside the routing log, split by a hash of the ID
    (bus/store/seen_shards.py): each sighting is decided in its shard's turn and transaction,
    so two workers wait for each other only when their IDs meet in one file."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time,
                 deliver: Callable[[Callable[[], None]], None] | None = None):
        self._shards = open_shards(path, clock())  # the writer thread's from here on
        self._woken = False  # a WAKE is queued for checkpoints of the commits made at once
        super().__init__("pfbus-seen-messages", clock, deliver)

    def first_sighting(self, message_id: str, now: float, expires_at: float) -> defer.Deferred:
        """As ``BatchedSeenMessages.first_sighting``; decided at once when the ID's shard's turn
        is free (module doc), else by the writer thread."""
        shard = self._shards[shard_of(message_id, len(self._shards))]
        decided = _decide_now(shard, message_id, now, expires_at)
        if decided is None:
            return super().first_sighting(message_id, now, expires_at)
        if shard.now_commits - shard.now_counted >= CHECKPOINT_COMMITS and not self._woken:
            self._woken = True  # once until the writer has counted them: not a put per call
            self._queue.put(WAKE)
        return defer.succeed(decided)

    def _housekeeping(self) -> None:
        """Count the commits made at once for the WAL checkpoints (the writer's to run)."""
        self._woken = False
        for shard in self._shards:
            made = shard.now_commits - shard.now_counted  # read once: the caller may add more
            if made:
                shard.now_counted += made
                shard.checkpoints.committed(made, made)

    @property
    def paths(self) -> list[Path]:
        """Every file of the store, shard 0 (the configured one) first."""
        return [shard.path for shard in self._shards]

    def _decide(self, sightings: list[Sighting]) -> list[Decision]:
        count = len(self._shards)
        by_shard: dict[int, list[int]] = {}
        for n, (mid, _, _) in enumerate(sightings):
            by_shard.setdefault(shard_of(mid, count), []).append(n)
        results: list[Decision] = [False] * len(sightings)
        for k, ns in by_shard.items():
            try:
                decided = self._decide_in(self._shards[k], [sightings[n] for n in ns])
            except SeenMessagesUnavailable as exc:  # this file's sightings only
                decided = [exc] * len(ns)
            for n, result in zip(ns, decided, strict=True):
                results[n] = result
        return results

    @staticmethod
    def _decide_in(shard: Shard, sightings: list[Sighting]) -> list[Decision]:
        conn = shard.conn
        try:
            with shard.turns:
                if len(sightings) == 1:  # its own transaction: one call into SQLite in the turn
                    mid, now, expires_at = sightings[0]
                    results: list[Decision] = [
                        conn.execute(_SIGHT, (mid, expires_at, now)).rowcount == 1]
                else:
                    with transaction(conn):
                        results = [conn.execute(_SIGHT, (mid, expires_at, now)).rowcount == 1
                                   for mid, now, expires_at in sightings]
        except sqlite3.Error as exc:
            raise SeenMessagesUnavailable(
                f"{shard.path.name}: {exc.__class__.__name__}: {exc}") from None
        shard.checkpoints.committed(len(sightings))
        return results

    def _purge(self, now: float, limit: int) -> bool:
        more = False
        for shard in self._shards:
            try:
                with shard.turns:
                    more |= shard.conn.execute(_PURGE, (now, limit)).rowcount >= limit
            except sqlite3.Error as exc:  # busy or failing
                raise SeenMessagesUnavailable(f"{shard.path.name}: {exc}") from None
        return more

    def _close(self) -> None:
        for shard in self._shards:
            shard.close()

    def __len__(self) -> int:
        self.flush()
        total = 0
        for path in self.paths:
            conn = sqlite3.connect(path)
            try:
                total += conn.execute("SELECT count(*) FROM seen_messages").fetchone()[0]
            finally:
                conn.close()
        return total


def _decide_now(shard: Shard, message_id: str, now: float, expires_at: float) -> bool | None:
    """A sighting decided in the caller's thread if the shard's turn is free now: admitted or
    a replay, committed; None when it was not tried or failed (busy, an error): nothing was
    written then, and the writer thread decides it (and reports an error)."""
    if not shard.now_lock.acquire(blocking=False):  # another thread is deciding on it
        return None
    try:
        try:
            if not shard.turns.try_take():
                return None
        except OSError:  # e.g. closed: the writer thread says what is wrong
            return None
        try:  # its own transaction: SQLite's lock, the INSERT, the commit, in one call
            admitted = shard.now.execute(_SIGHT, (message_id, expires_at, now)).rowcount == 1
        except sqlite3.Error:  # not written (a failed statement rolls back)
            return None
        finally:  # never swallowed: a decision made must not be made again as a replay
            shard.turns.__exit__(None, None, None)
        shard.now_commits += 1
        return admitted
    finally:
        shard.now_lock.release()


def open_seen_messages(location: str, deliver: Callable[[Callable[[], None]], None] | None = None
                       ) -> BatchedSeenMessages:
    """The store at ``[store] seen_messages`` (resolved by bus/core/config.py): ``sqlite:PATH``
    or a ``postgresql://…?schema=NAME`` URL. SeenMessagesUnavailable when it cannot be opened."""
    if not is_postgres(location):
        try:
            return SqliteSeenMessages(Path(location.removeprefix("sqlite:")), deliver=deliver)
        except (OSError, sqlite3.Error) as exc:
            raise SeenMessagesUnavailable(f"{location}: {exc}") from None
    try:
        from .seen_messages_pg import PostgresSeenMessages
    except ImportError as exc:  # the PostgreSQL extra is not installed
        raise SeenMessagesUnavailable(f"a postgresql:// store needs psycopg "
                                      f"(pip install 'pfbus[postgres]'): {exc}") from None
    return PostgresSeenMessages(location, deliver=deliver)
