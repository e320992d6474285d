"""A small pool of threads for calls off the reactor thread, with a stop that waits for them.

A call is one queue put; a thread takes it, runs it and hands the answer back with the others
that arrive together — one wake-up of the reactor for many (issue 13: Twisted's
``deferToThreadPool`` took ~170 k instructions a call, two wake-ups and its pool's
coordinator). Threads start as calls find none idle, up to ``size``.

It counts the calls still running, so that ``stop()`` can say when no thread is inside the
work any more (the notice store may then be closed; the big messages being inspected have been
answered: bus/hub/notices.py, bus/hub/inspection_threads.py).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from twisted.internet import defer
from twisted.python.failure import Failure


class CallThreads:
    thread_name = "call"  # threads are named pfbus-NAME-K

    def __init__(self, reactor, size: int):
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
        # answers of the calls, handed to the reactor in bursts
        self._answers: list[tuple[defer.Deferred, object, BaseException | Failure | None]] = []
        self._answers_lock = threading.Lock()
        reactor.addSystemEventTrigger("during", "shutdown", self._stop_pool)

    @property
    def busy(self) -> int:
        """Calls not yet returned."""
        return self._busy

    def _refusal(self) -> Exception:
        """What a call made after ``stop()`` fails with."""
        return RuntimeError("stopped")

    def run(self, f: Callable, *args, **kwargs) -> defer.Deferred:
        """``f(*args, **kwargs)`` on one of the threads; its result (or failure) on the
        reactor."""
        if self._stopped:
            return defer.fail(self._refusal())
        answered: defer.Deferred = defer.Deferred()
        self._busy += 1
        with self._threads_lock:
            self._queued += 1
            if self._queued > self._waiting and len(self._threads) < self.size:
                thread = threading.Thread(target=self._work, daemon=True,
                                          name=f"pfbus-{self.thread_name}-{len(self._threads)}")
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


_STOP = object()  # a thread's last item
