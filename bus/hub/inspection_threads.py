"""Big messages parsed and validated off the reactor thread (issue 13 item 2).

A request or answer of ``[hub] big_message_bytes`` or more is inspected — parse, depth, the
envelope, header, XSD and rules beyond it, the binding — on one of ``[hub]
big_message_threads`` threads, by the same pure ``Inspector`` with an XMLSchema of its own (an
lxml XMLSchema keeps its error log on the object: two threads sharing one would read each
other's errors). lxml releases the GIL in libxml2's parse and XSD validation, so a 100 KB
answer's floor (parse 9.8 M + XSD 6.5 M instructions) runs beside the reactor thread, which
meanwhile reads, routes and answers other exchanges. The same code decides either way, so the
faults are the same (code, rule, path, line).

Drain: an exchange whose message is being inspected is open (``SyncExchange.idle`` waits for
it, its hops are recorded after); ``stop()`` then waits for any call left and ends the threads.
Once stopping, or while the threads hold enough bytes already, messages are inspected inline
(``takes``): nothing is refused or queued without bound for the pool's sake.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from twisted.internet import defer

from ..core.inspection import Inspector
from .threads import CallThreads


HELD_BYTES_PER_THREAD = 1024 * 1024  # see InspectionThreads.takes


class InspectionThreads(CallThreads):
    thread_name = "inspect"

    def __init__(self, reactor, inspector: Inspector, size: int, threshold: int):
        super().__init__(reactor, size)
        self.threshold = threshold  # bytes: a message this big or bigger is inspected here
        self._inspector = inspector
        self._local = threading.local()  # each thread's own inspector (its own XMLSchema)
        self._held = 0  # bytes of the messages handed to the threads, not yet taken back

    def takes(self, size: int) -> bool:
        """Whether a message of ``size`` bytes is inspected on the threads (else inline): not
        once stopping; one message per thread always goes, however big; more only while the
        messages handed to the threads and not yet taken back hold less than
        ``HELD_BYTES_PER_THREAD`` per thread. Past that the reactor inspects the message itself,
        which also slows its reading of more: each message waiting keeps its bytes, and each
        inspected one its tree (~8× its bytes) until the reactor takes it — without a bound,
        500 connections held ~140 MB more."""
        return size >= self.threshold and not self._stopped and (
            self._busy < self.size or self._held + size <= HELD_BYTES_PER_THREAD * self.size)

    def inspect(self, size: int, check: Callable[..., Any], *args) -> defer.Deferred:
        """``check(inspector, *args)`` — ``Inspector.inspect_request`` or ``inspect_response``
        of a message of ``size`` bytes — on one of the threads, with that thread's inspector;
        its result or HubFault on the reactor."""
        self._held += size

        def taken(result: Any) -> Any:
            self._held -= size
            return result

        return self.run(self._inspect, check, args).addBoth(taken)

    def _inspect(self, check: Callable[..., Any], args: tuple) -> Any:
        own = getattr(self._local, "inspector", None)
        if own is None:  # once per thread: the schemas compiled again (~1 ms)
            own = self._local.inspector = self._inspector.with_own_schema()
        return check(own, *args)
