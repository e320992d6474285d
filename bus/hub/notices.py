"""Accepting notices (一方向通知の受付): the store call, off the reactor thread.

``accept`` returns once the notice and its deliveries are committed (the store batches
concurrent callers into one commit), so the publisher's receipt always means "stored durably".
No thread waits for that commit: the store's group-commit writer answers through a callback
(``StoreThreads.submit``), so an accept costs one hand-off to the writer, not a pool thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from twisted.internet import defer

from ..core import faults
from ..core.envelope import CONTENT_TYPES
from ..core.faults import HubFault
from ..core.findings import Finding
from ..core.frozen import built
from ..core.inspection import AcceptedRequest
from ..store.notices.base import NoticeRecord, NoticeStore
from ..store.notices.group_commit import NoticeStoreError
from .threads import CallThreads


class StoreThreads(CallThreads):
    """Threads of their own for store calls: group commit needs many callers waiting at once,
    more than the reactor's default pool would let through (bus/hub/threads.py: one queue put
    a call, answers handed back in bursts).

    ``stop()`` says when no thread is inside the store any more: only then may the store be
    closed (closing a SQLite connection that a thread is using crashes the process)."""

    thread_name = "store"

    def __init__(self, reactor, size: int = 32):
        super().__init__(reactor, size)

    def _refusal(self) -> Exception:
        return NoticeStoreError("the hub is stopping: the notice store is closing")

    def submit(self, f: Callable, *args) -> defer.Deferred:
        """A store call that answers through a callback: ``f(*args, done)`` returns at once and
        ``done(value, error)`` is called once later, from any thread (the accept group commit's
        writer). No store thread waits for it, and answers arriving together reach the reactor
        with one wake-up. Counted in ``busy`` until answered, like ``run``'s calls."""
        if self._stopped:
            return defer.fail(self._refusal())
        answered: defer.Deferred = defer.Deferred()

        def done(value: object, error: BaseException | None) -> None:
            self._answer(answered, value, error)

        try:
            f(*args, done)
        except Exception:
            return defer.fail()
        self._busy += 1
        return answered


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
