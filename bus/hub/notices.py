"""Accepting notices (一方向通知の受付): the store call, off the reactor thread.

``accept`` returns once the notice and its deliveries are committed (the store batches
concurrent callers into one commit), so the publisher's receipt always means "stored durably".
No thread waits for that commit: the store's group-commit writer answers through a callback
(``StoreThreads.submit``), so an accept costs one hand-off to the writer, not a pool thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from twisted.internet import defer
from twisted.python.failure import Failure

from ..core import faults
from ..core.envelope import CONTENT_TYPES
from ..core.faults import HubFault
from ..core.findings import Finding
from ..core.frozen import built
from ..core.inspection import AcceptedRequest
from ..store.notices.base import NoticeRecord, NoticeStore
from ..store.notices.group_commit import NoticeStoreError


class StoreThreads:
    """Threads of their own for store calls: group commit needs many callers waiting at once,
    more than the reactor's default pool would let through.

    A call is one queue put; a thread takes it, runs it and hands the answer back with the
    others that arrive together — one wake-up of the reactor for many (issue 13: Twisted's
    ``deferToThreadPool`` took ~170 k instructions a call, two wake-ups and its pool's
    coordinator). Threads start as calls find none idle, up to ``size``.

    It counts the calls still running, so that ``stop()`` can say when no thread is inside the
    store any more: only then may the store be closed (closing a SQLite connection that a
    thread is using crashes the process)."""

    def __init__(self, reactor, size: int = 32):
        self.reactor = reactor
        self.size = size
        self._calls: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._waiting = 0  # threads blocked for a call
        self._queued = 0  # calls put and not yet taken by a thread
        self._threads_lock = threading.Lock()
        self._busy = 0  # calls made and not yet answered (the reactor's count)
        self._quiet: list[defer.Deferred] = []  # stop()'s waits for _busy to reach 0
        self._stopped = False
        # answers of run()'s and submit()'s calls, handed to the reactor in bursts
        self._answers: list[tuple[defer.Deferred, object, BaseException | Failure | None]] = []
        self._answers_lock = threading.Lock()
        reactor.addSystemEventTrigger("during", "shutdown", self._stop_pool)

    @property
    def busy(self) -> int:
        """Store calls not yet returned."""
        return self._busy

    def run(self, f: Callable, *args, **kwargs) -> defer.Deferred:
        """``f(*args, **kwargs)`` on a store thread; its result (or failure) on the reactor."""
        if self._stopped:
            return defer.fail(NoticeStoreError("the hub is stopping: the notice store is closing"))
        answered: defer.Deferred = defer.Deferred()
        self._busy += 1
        with self._threads_lock:
            self._queued += 1
            if self._queued > self._waiting and len(self._threads) < self.size:
                thread = threading.Thread(target=self._work, daemon=True,
                                          name=f"pfbus-store-{len(self._threads)}")
                self._threads.append(thread)
                thread.start()
        self._calls.put((answered, f, args, kwargs))
        return answered

    def _work(self) -> None:
        calls, lock = self._calls, self._threads_lock
        while True:
            with lock:
                self._waiting += 1
            item = calls.get()
            with lock:
                self._waiting -= 1
                if item is _STOP:
                    return
                self._queued -= 1
            answered, f, args, kwargs = item
            try:
                value, error = f(*args, **kwargs), None
            except BaseException:
                value, error = None, Failure()
            self._answer(answered, value, error)

    def submit(self, f: Callable, *args) -> defer.Deferred:
        """A store call that answers through a callback: ``f(*args, done)`` returns at once and
        ``done(value, error)`` is called once later, from any thread (the accept group commit's
        writer). No store thread waits for it, and answers arriving together reach the reactor
        with one wake-up. Counted in ``busy`` until answered, like ``run``'s calls."""
        if self._stopped:
            return defer.fail(NoticeStoreError("the hub is stopping: the notice store is closing"))
        answered: defer.Deferred = defer.Deferred()

        def done(value: object, error: BaseException | None) -> None:
            self._answer(answered, value, error)

        try:
            f(*args, done)
        except Exception:
            return defer.fail()
        self._busy += 1
        return answered

    def _answer(self, answered: defer.Deferred, value: object,
                error: BaseException | Failure | None) -> None:
        """From any thread: queue the answer; the first of a burst wakes the reactor."""
        with self._answers_lock:
            self._answers.append((answered, value, error))
            if len(self._answers) > 1:  # a wake-up is already on its way
                return
        self.reactor.callFromThread(self._fire_answers)

    def _fire_answers(self) -> None:
        with self._answers_lock:
            answers, self._answers = self._answers, []
        self._busy -= len(answers)  # every one of these calls has returned
        for answered, value, error in answers:
            if answered.called:  # its caller gave up on it (cancelled): the call is over
                continue
            if error is not None:
                answered.errback(error)
            else:
                answered.callback(value)
        if not self._busy and self._quiet:
            waiters, self._quiet = self._quiet, []
            for waiter in waiters:
                waiter.callback(None)

    async def stop(self) -> None:
        """Refuse new calls, wait until every call made has returned, then end the threads."""
        self._stopped = True
        while self._busy:
            waiter: defer.Deferred = defer.Deferred()
            self._quiet.append(waiter)
            await waiter
        self._stop_pool()

    def _stop_pool(self) -> None:
        """End the threads once the calls queued before have run (FIFO)."""
        self._stopped = True  # the reactor's shutdown, or stop(): no call after this
        with self._threads_lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._calls.put(_STOP)
        for thread in threads:
            thread.join()


_STOP = object()  # a store thread's last item


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
        # every field named, without the frozen __init__ (bus/core/frozen.py: issue 13)
        record = built(
            NoticeRecord, message_id=header.message_id, service_id=header.service_id,
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
