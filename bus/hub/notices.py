"""Accepting notices (一方向通知の受付): the store call, off the reactor thread.

``accept`` returns once the notice and its deliveries are committed (the store batches
concurrent callers into one commit), so the publisher's receipt always means "stored durably".
"""

from __future__ import annotations

import time
from collections.abc import Callable

from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from ..core import faults
from ..core.envelope import CONTENT_TYPES
from ..core.faults import HubFault
from ..core.findings import Finding
from ..core.inspection import AcceptedRequest
from ..store.notices.base import NoticeRecord, NoticeStore


class StoreThreads:
    """A thread pool of its own for store calls: group commit needs many callers waiting at
    once, more than the reactor's default pool would let through."""

    def __init__(self, reactor, size: int = 32):
        self.reactor = reactor
        self.pool = ThreadPool(minthreads=2, maxthreads=size, name="pfbus-store")
        self.pool.start()
        reactor.addSystemEventTrigger("during", "shutdown", self.pool.stop)

    def run(self, f: Callable, *args, **kwargs):
        return deferToThreadPool(self.reactor, self.pool, f, *args, **kwargs)


class NoticeIntake:
    def __init__(self, store: NoticeStore, threads: StoreThreads,
                 on_accepted: Callable[[tuple[str, ...]], None] = lambda subscribers: None):
        self.store = store
        self.threads = threads
        self.on_accepted = on_accepted

    async def accept(self, request: AcceptedRequest) -> bool:
        """True once stored durably; False for a message ID accepted before."""
        header = request.header
        record = NoticeRecord(
            message_id=header.message_id, service_id=header.service_id,
            local_gov_code=header.receiver.local_gov_code, sender=str(header.sender),
            subjects=request.subjects, content_type=CONTENT_TYPES[request.envelope.soap_ns],
            soap_action=f"urn:pfbus:service:{header.service_id}", payload=request.envelope.raw,
            received_at=time.time())
        subscribers = tuple(s.id for s in request.subscribers)
        try:
            is_new = await self.threads.run(self.store.accept, record, subscribers)
        except Exception as exc:  # the store is down or refused: nothing was acknowledged
            raise HubFault(faults.STORE_UNAVAILABLE, (Finding(
                "store:commit", f"the notice store failed: {exc.__class__.__name__}"),),
                header.message_id) from exc
        if is_new:
            self.on_accepted(subscribers)
        return is_new
