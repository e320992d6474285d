"""全件抽出 as a running registry serves it (Twisted): nothing of it blocks the reactor.

A first request (no ExtractId) opens a snapshot in a worker thread (snapshot.SnapshotBuilder:
the head with its 件数 at once, then the records copied in batches by that thread, ``ahead``
records past the furthest page asked for) and is
answered as soon as its page is built — at 1,000,000 residents the first page no longer waits for
the whole copy (it did: 25 s, past the hub's 10 s timeout, issue 13). A page not built yet waits
for the builder's progress. Pages are read and written as XML (service.extract_page_xml) in
worker threads, and the SDK provider checks an answer that comes through a Deferred in a worker
thread too: the reactor keeps answering inquiries meanwhile.

Idempotent creation: first requests with the same requester and RequestId get one snapshot — the
one in the database, or, while its head is being written, the same pending open. At start,
snapshots a previous run left unfinished are marked for pruning; pruning (snapshot.prune: lease
and age) then runs every ``prune_every`` seconds in a worker thread on its own connection.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass, field

from lxml import etree
from twisted.internet import defer, task
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

from bus.core.gaiji import GaijiTable
from bus.core.header import PlatformHeader

from . import snapshot
from .service import ExtractRequest, extract_page_xml, requester_of
from .snapshot import Head, UnknownExtract
from .store import RESIDENT_COLUMN_NAMES, RegistryStore


@dataclass
class _Build:
    """A snapshot this process is copying: how far, and the page requests waiting for it."""
    head: Head
    builder: snapshot.SnapshotBuilder
    built: int = 0
    done: bool = False
    error: Failure | None = None
    waiters: list[tuple[int, defer.Deferred]] = field(default_factory=list)

    def advance(self, built: int) -> None:
        self.built = built
        still = []
        for needed, d in self.waiters:
            if needed <= built:
                d.callback(None)
            else:
                still.append((needed, d))
        self.waiters = still

    def fail(self, failure: Failure) -> None:
        self.error = failure
        waiters, self.waiters = self.waiters, []
        for _, d in waiters:
            d.errback(failure)


class ExtractService:
    """juki.ResidentFullExtract of a serving registry whose store is a database file."""

    def __init__(self, store: RegistryStore, reactor, *, batch: int = snapshot.BATCH,
                 ahead: int | None = snapshot.AHEAD,
                 lease: dt.timedelta = snapshot.EXTRACT_LEASE,
                 max_age: dt.timedelta = snapshot.EXTRACT_RETENTION,
                 prune_every: float = 600.0, gaiji: GaijiTable | None = None):
        path = store.path
        if path is None:
            raise ValueError("snapshots are built off the reactor only in a database file; "
                             "a store in memory uses service.full_extract")
        self.store, self.reactor, self.path = store, reactor, path
        self.batch, self.lease, self.max_age, self.prune_every = batch, lease, max_age, prune_every
        self.ahead = ahead  # records copied past the furthest page asked (None: all at once)
        self.gaiji = gaiji  # vendor A's 外字 table: pages leave as standard text
        self._builds: dict[str, _Build] = {}
        self._opening: dict[tuple[str, str], list[defer.Deferred]] = {}
        self._pruner: task.LoopingCall | None = None
        self._stopping = threading.Event()  # builders give up between two batches

    # --- life -------------------------------------------------------------------------------

    def start(self) -> None:
        """Mark snapshots left unfinished by a previous run (no builder of this process runs
        yet) for pruning, and prune every ``prune_every`` s from now on."""
        with self.store.lock:
            snapshot.abandon_unfinished(self.store.conn)
        self._pruner = task.LoopingCall(self.prune)
        self._pruner.clock = self.reactor
        self._pruner.start(self.prune_every, now=True)
        # A stop must not wait for a whole copy (the reactor's thread pool joins its workers).
        self.reactor.addSystemEventTrigger("before", "shutdown", self.stop)

    def stop(self) -> None:
        """Stop pruning; builders in progress give up after their current batch (their
        snapshots are pruned at the next start)."""
        self._stopping.set()
        if self._pruner is not None and self._pruner.running:
            self._pruner.stop()

    def prune(self) -> defer.Deferred:
        """Prune abandoned and old snapshots in a worker thread; fires with their IDs."""
        def run() -> list[str]:
            conn = sqlite3.connect(self.path, timeout=30)
            try:
                return snapshot.prune(conn, lease=self.lease, max_age=self.max_age,
                                      batch=self.batch)
            finally:
                conn.close()

        def forget(pruned: list[str]) -> list[str]:
            for extract_id in pruned:
                self._builds.pop(extract_id, None)
            return pruned

        return deferToThread(run).addCallback(forget)

    # --- one request ------------------------------------------------------------------------

    def handle(self, header: PlatformHeader | None,
               request_el: etree._Element) -> defer.Deferred:
        """The provider's handler: a Deferred firing with one page of the response."""
        request = ExtractRequest.read(request_el)  # a bad request fails here, at once
        return defer.Deferred.fromCoroutine(self._answer(requester_of(header), request))

    async def _answer(self, requester: str, request: ExtractRequest) -> etree._Element:
        if request.extract_id is None:
            head = await self._open(requester, request)
        else:
            head, page = await deferToThread(self._head_and_page, request)
            if page is not None:
                return page
        await self._built(head, min(request.rows_needed, head.count))
        return await deferToThread(self._page, head.extract_id, request)

    def _head_and_page(self, request: ExtractRequest) -> tuple[Head, etree._Element | None]:
        """The head of a later page's snapshot and, when it is complete (nothing to wait for),
        the page too: one trip to a worker thread instead of two."""
        head = self._head(request.extract_id or "")
        return head, self._page(head.extract_id, request) if head.complete else None

    def _page(self, extract_id: str, request: ExtractRequest) -> etree._Element:
        """One page, read and written as XML in a worker thread (never in the reactor's)."""
        total, rows = self.store.extract_page(extract_id, request.page, request.page_size)
        return extract_page_xml(request, extract_id, total, rows, self.gaiji)

    def _head(self, extract_id: str) -> Head:
        with self.store.lock:
            return snapshot.head(self.store.conn, extract_id)

    async def _built(self, head: Head, needed: int) -> None:
        """Return once the first ``needed`` records of the snapshot are copied."""
        build = self._builds.get(head.extract_id)
        if build is not None and not build.done:
            build.builder.want(needed)  # the copy keeps ahead of the pages asked for
        if head.complete or head.built >= needed:
            return
        if build is None:  # being built, but not by this process: its builder is gone
            raise UnknownExtract(f"ExtractId {head.extract_id!r} was abandoned unfinished")
        if build.error is not None:
            build.error.raiseException()
        if build.done or build.built >= needed:
            return
        waiting: defer.Deferred = defer.Deferred()
        build.waiters.append((needed, waiting))
        await waiting

    async def _open(self, requester: str, request: ExtractRequest) -> Head:
        """The snapshot of a first request: a new one, or the one of its RequestId."""
        key = (requester, request.request_id) if request.request_id else None
        if key is not None and key in self._opening:  # the same first request, still opening
            joined: defer.Deferred = defer.Deferred()
            self._opening[key].append(joined)
            return await joined
        if key is not None:
            self._opening[key] = []
        builder = snapshot.SnapshotBuilder(self.path, RESIDENT_COLUMN_NAMES, batch=self.batch,
                                           stop=self._stopping, ahead=self.ahead,
                                           idle=self.lease)
        try:
            head, created = await deferToThread(builder.open, request.as_of, requester,
                                                request.request_id)
        except Exception:
            failure = Failure()
            for joined in self._opening.pop(key, []) if key else []:
                joined.errback(failure)
            raise
        if created and not head.complete:  # complete: it fitted in one batch (open copied it)
            self._start_copy(builder, head)
        for joined in self._opening.pop(key, []) if key else []:
            joined.callback(head)
        return head

    def _start_copy(self, builder: snapshot.SnapshotBuilder, head: Head) -> None:
        build = self._builds[head.extract_id] = _Build(head, builder)

        def progress(built: int) -> None:  # in the builder's thread
            self.reactor.callFromThread(build.advance, built)

        def done(count: int) -> None:
            build.done = True
            build.advance(count)

        copying = deferToThread(builder.copy, head.extract_id, progress)
        copying.addCallbacks(done, build.fail)
