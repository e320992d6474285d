"""Accepting notices (一方向通知の受付): the store call, off the reactor thread.

``accept`` returns once the notice and its deliveries are committed (the store batches
concurrent callers into one commit), so the publisher's receipt always means "stored durably".
No thread waits for that commit: the store's group-commit writer answers through a callback
(``StoreThreads.submit``), so an accept costs one hand-off to the writer, not a pool thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from twisted.internet import defer
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from ..core import faults
from ..core.envelope import CONTENT_TYPES
from ..core.faults import HubFault
from ..core.findings import Finding
from ..core.inspection import AcceptedRequest
from ..store.notices.base import NoticeRecord, NoticeStore
from ..store.notices.group_commit import NoticeStoreError


class StoreThreads:
    """A thread pool of its own for store calls: group commit needs many callers waiting at
    once, more than the reactor's default pool would let through.

    It counts the calls still running, so that ``stop()`` can say when no thread is inside the
    store any more: only then may the store be closed (closing a SQLite connection that a
    thread is using crashes the process)."""

    def __init__(self, reactor, size: int = 32):
        self.reactor = reactor
        self.pool = ThreadPool(minthreads=2, maxthreads=size, name="pfbus-store")
        self.pool.start()
        self._running: set[defer.Deferred] = set()  # fire when their call has returned
        self._stopped = False
        # answers of submit()'s calls, handed to the reactor in bursts (one wake-up for many)
        self._answers: list[tuple[defer.Deferred, object, BaseException | None]] = []
        self._answers_lock = threading.Lock()
        reactor.addSystemEventTrigger("during", "shutdown", self._stop_pool)

    @property
    def busy(self) -> int:
        """Store calls not yet returned."""
        return len(self._running)

    def run(self, f: Callable, *args, **kwargs) -> defer.Deferred:
        if self._stopped:
            return defer.fail(NoticeStoreError("the hub is stopping: the notice store is closing"))
        returned: defer.Deferred = defer.Deferred()
        self._running.add(returned)
        returned.addBoth(lambda _: self._running.discard(returned))

        def call():
            try:
                return f(*args, **kwargs)
            finally:  # whatever the caller did with its Deferred, the thread is out of f now
                self.reactor.callFromThread(returned.callback, None)

        return deferToThreadPool(self.reactor, self.pool, call)

    def submit(self, f: Callable, *args) -> defer.Deferred:
        """A store call that answers through a callback: ``f(*args, done)`` returns at once and
        ``done(value, error)`` is called once later, from any thread (the accept group commit's
        writer). No pool thread waits for it, and answers arriving together reach the reactor
        with one wake-up. Counted in ``busy`` until answered, like ``run``'s calls."""
        if self._stopped:
            return defer.fail(NoticeStoreError("the hub is stopping: the notice store is closing"))
        answered: defer.Deferred = defer.Deferred()

        def done(value: object, error: BaseException | None) -> None:
            with self._answers_lock:
                self._answers.append((answered, value, error))
                if len(self._answers) > 1:  # a wake-up is already on its way
                    return
            self.reactor.callFromThread(self._fire_answers)

        try:
            f(*args, done)
        except Exception:
            return defer.fail()
        self._running.add(answered)
        result: defer.Deferred = defer.Deferred()

        def settle(outcome):
            self._running.discard(answered)
            if isinstance(outcome, Failure):
                result.errback(outcome)
            else:
                result.callback(outcome)

        answered.addBoth(settle)
        return result

    def _fire_answers(self) -> None:
        with self._answers_lock:
            answers, self._answers = self._answers, []
        for answered, value, error in answers:
            if error is not None:
                answered.errback(error)
            else:
                answered.callback(value)

    async def stop(self) -> None:
        """Refuse new calls, wait until every call made has returned, then end the threads."""
        self._stopped = True
        while self._running:
            await defer.DeferredList(list(self._running))
        self._stop_pool()

    def _stop_pool(self) -> None:
        if self.pool.started:
            self.pool.stop()


class NoticeIntake:
    def __init__(self, store: NoticeStore, threads: StoreThreads,
                 on_accepted: Callable[[tuple[str, ...]], None] = lambda subscribers: None):
        self.store = store
        self.threads = threads
        self.on_accepted = on_accepted

    async def accept(self, request: AcceptedRequest, digest: str | None = None) -> bool:
        """True once stored durably; False for a message ID accepted before. ``digest``: the
        notice's ``request_digest``, kept with it (delivery checks receipts against it)."""
        header = request.header
        record = NoticeRecord(
            message_id=header.message_id, service_id=header.service_id,
            local_gov_code=header.receiver.local_gov_code, sender=str(header.sender),
            subjects=request.subjects, content_type=CONTENT_TYPES[request.envelope.soap_ns],
            soap_action=f"urn:pfbus:service:{header.service_id}", payload=request.envelope.raw,
            received_at=time.time(), receiver=str(header.receiver),
            service_version=header.service_version, request_hash=digest)
        subscribers = tuple(s.id for s in request.subscribers)
        try:  # no thread waits for the commit: the store's writer answers
            is_new = await self.threads.submit(self.store.accept_async, record, subscribers)
        except Exception as exc:  # the store is down or refused: nothing was acknowledged
            raise HubFault(faults.STORE_UNAVAILABLE, (Finding(
                "store:commit", f"the notice store failed: {exc.__class__.__name__}"),),
                header.message_id) from exc
        if is_new:
            self.on_accepted(subscribers)
        return is_new
