"""Delivering stored notices to subscribers (配信): one loop per subscriber, guaranteed delivery.

Each loop claims due deliveries from the shared store under a lease (so any hub node may deliver,
and a dead node's claims expire), POSTs the exact bytes the publisher sent, checks the
subscriber's answer like any provider's (binding to the request, schema, a pfr:NoticeReceipt),
and then marks the delivery done — or schedules a retry by the subscriber's policy, or moves it to
the dead letter channel. Every attempt is a routing-log hop. The store keeps per-subject order:
what one claim returns never shares a subject, so a claim is delivered in parallel.

Time comes from the clock given (``IReactorTime``: the reactor, or ``task.Clock`` in tests):
leases, backoff and the poll all read ``clock.seconds()`` and wait with ``clock.callLater``.

Draining (``drain()``): the loops stop claiming; deliveries in flight finish, or — cut by the
hub's drain deadline (PF-HUB-STOPPING from the forwarder) — are released for redelivery without
counting the attempt; ``drain()`` returns once no loop and no delivery touches the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from twisted.internet import defer
from twisted.python import log as twisted_log
from twisted.python.failure import Failure

from ..admin.observer import HubObserver
from ..core import faults
from ..core.faults import FAULT_DETAIL_TAG, SOAP12_NS, FaultDetail, HubFault
from ..core.findings import Finding
from ..core.inspection import Inspector
from ..core.receipt import APPLIED, DUPLICATE, receipt_status
from ..core.routing import Provider
from ..store.notices.base import ATTEMPT_OUTCOMES, Delivery, NoticeOutcome, NoticeStore
from ..store.chained_log import ChainedLog
from ..store.routing_log import HopRecord
from ..store.hop_record import Hop, Status
from .forwarder import Forwarder
from .notices import StoreThreads


class DeliveryService:
    def __init__(self, clock, store: NoticeStore, threads: StoreThreads,
                 subscribers: dict[str, Provider], forwarder: Forwarder, inspector: Inspector,
                 routing_log: ChainedLog, node_id: str, poll_interval: float = 0.5, *,
                 is_paused: Callable[[str], bool] | None = None,
                 observer: HubObserver | None = None):
        self.clock = clock  # IReactorTime
        self.store = store
        self.threads = threads
        self.subscribers = subscribers
        self.forwarder = forwarder
        self.inspector = inspector
        self.log = routing_log
        self.node_id = node_id
        self.poll_interval = poll_interval  # other nodes' notices are found by polling
        self.running = False
        self.draining = False
        self._wake: dict[str, defer.Deferred] = {}
        self._loops: list[defer.Deferred] = []
        self._inflight: set[defer.Deferred] = set()
        # an operator's pause (bus.admin.controls.LiveControls.is_paused), read at each claim
        self.is_paused = is_paused or (lambda subscriber_id: False)
        self.observer = observer  # events and metrics
        # how attempts ended since the start (the hub.stopped event reports a stop's share)
        self.counts: dict[NoticeOutcome, int] = dict.fromkeys(ATTEMPT_OUTCOMES, 0)

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    async def start(self) -> None:
        # Deliveries this node had in flight when it last stopped (or was killed) are due again
        # now, not only once their leases expire.
        await self.threads.run(self.store.release_node, self.node_id)
        if self.draining:  # the hub began to stop while this node's leases were released
            return
        self.running = True
        for sub in self.subscribers.values():
            loop = defer.Deferred.fromCoroutine(self._loop(sub))
            loop.addErrback(twisted_log.err, f"delivery loop of {sub.id} failed")
            self._loops.append(loop)

    def notify(self, subscriber_ids) -> None:
        """New notices for these subscribers: claim now instead of at the next poll."""
        for sid in subscriber_ids:
            self._wakeup(sid)

    async def drain(self) -> None:
        """Claim nothing more; return once every loop has ended (a claim it was making has
        returned) and every delivery in flight has finished and recorded its outcome. The hub
        bounds the wait by cutting the forwarder's posts at its drain deadline."""
        self.running = False
        self.draining = True
        for sid in list(self._wake):
            self._wakeup(sid)
        while self._loops or self._inflight:
            await defer.DeferredList([*self._loops, *self._inflight], consumeErrors=True)
            self._loops = [loop for loop in self._loops if not loop.called]

    def _wakeup(self, sid: str) -> None:
        d = self._wake.pop(sid, None)
        if d is not None and not d.called:
            d.callback(None)

    async def _sleep(self, sid: str, seconds: float) -> None:
        if not self.running:
            return
        d = self._wake[sid] = defer.Deferred()
        timer = self.clock.callLater(seconds, self._wakeup, sid)
        await d
        if timer.active():
            timer.cancel()

    async def _loop(self, sub: Provider) -> None:
        lease = sub.timeout * 2 + 10  # expires only if this node died mid-delivery
        mine: set[defer.Deferred] = set()
        while self.running:
            if not self.log.health()["accepting"]:  # evidence or refuse: no unrecordable delivery
                await self._sleep(sub.id, self.poll_interval)
                continue
            free = sub.concurrency - len(mine)
            claimed: list[Delivery] = []
            if free > 0 and not self.is_paused(sub.id):  # paused: the queue stays as it is
                try:
                    claimed = await self.threads.run(self.store.claim, sub.id, self.node_id,
                                                     lease, free, self.clock.seconds())
                except Exception:  # the store is unreachable: keep trying, say so
                    twisted_log.err(None, f"claiming for {sub.id} failed")
            if not self.running:  # draining began while claiming: hand them straight back
                for delivery in claimed:
                    await self._release(sub, delivery, "the hub began to drain while claiming")
                break
            for delivery in claimed:
                task = defer.Deferred.fromCoroutine(self._deliver(sub, delivery))
                mine.add(task)
                self._inflight.add(task)
                task.addBoth(self._finished, task, mine, sub.id)
            if not claimed:
                await self._sleep(sub.id, self.poll_interval)

    def _finished(self, result, task, mine: set, sid: str) -> None:
        mine.discard(task)
        self._inflight.discard(task)
        self._wakeup(sid)  # a finished delivery may unblock its subject or free a slot
        if isinstance(result, Failure):  # e.g. the store failed: the lease brings it back
            twisted_log.err(result, f"delivery to {sid} did not complete")

    async def _deliver(self, sub: Provider, d: Delivery) -> None:
        started = time.monotonic()
        hop = dict(message_id=d.message_id, service_id=d.service_id, provider=sub.id,
                   endpoint=sub.url, attempt=d.attempts, request_bytes=len(d.payload))
        try:
            request = self.inspector.stored_request(d.payload, sub)
            hop.update(sender=str(request.header.sender), receiver=str(request.header.receiver),
                       service_version=request.header.service_version,
                       soap_version=request.envelope.soap_version)
            answer = await self.forwarder.post(sub.url, d.payload, d.content_type, d.soap_action,
                                               sub.timeout)
            hop.update(http_status=answer.status, response_bytes=len(answer.body))
            response = self.inspector.inspect_response(answer.body, request)
            if response.is_fault:
                code, message = subscriber_fault(response.envelope.body)
                raise HubFault(faults.PROVIDER_FAULT, (Finding(f"provider:{code}", message),),
                               d.message_id)
            status = receipt_status(response.envelope.body)
            if status not in (APPLIED, DUPLICATE):
                raise HubFault(faults.PROVIDER_INVALID, (Finding(
                    "notice:receipt", "the subscriber did not answer with a receipt "
                    "(applied or duplicate)"),), d.message_id)
        except HubFault as fault:
            if fault.fault is faults.HUB_STOPPING:
                hop.update(fault_code=fault.fault.code, party=fault.fault.party,
                           rule=fault.first.rule if fault.first else None)
                await self._release(sub, d, "cut at the drain deadline", hop, started)
                return
            await self._failed(sub, d, fault, hop, started)
            return
        except Exception as exc:  # a defect: never lose the delivery over it
            twisted_log.err(None, f"delivering {d.message_id} to {sub.id}")
            await self._failed(sub, d, HubFault(faults.HUB_INTERNAL, (Finding(
                "hub:delivery", exc.__class__.__name__),)), hop, started)
            return
        done = await self.threads.run(self.store.complete, d.id, self.node_id)
        self._record(NoticeOutcome.DELIVERED, Hop.DELIVERY, Status.OK, hop, started,
                     reason=status if done else
                     f"{status}; lease had expired, another node redelivers")

    async def _release(self, sub: Provider, d: Delivery, why: str, hop: dict | None = None,
                       started: float | None = None) -> None:
        """The hub is stopping: back to pending, due now, the attempt not counted."""
        released = await self.threads.run(self.store.release, d.id, self.node_id)
        if hop is None or started is None:  # never attempted: nothing to record
            self.counts[NoticeOutcome.RELEASED] += 1
        else:
            self._record(NoticeOutcome.RELEASED, Hop.DELIVERY, Status.ERROR, hop, started,
                         reason=f"released for redelivery: {why}" if released else
                         f"{why}; lease had expired, another node redelivers")

    async def _failed(self, sub: Provider, d: Delivery, fault: HubFault, hop: dict,
                      started: float) -> None:
        first = fault.first
        # The store and `pfbus dlq` keep this text: code, rule and path, never payload values —
        # except the subscriber's own error message, which its adapter writes for operators
        # (adapters.sdk.provider.ProviderError: no personal data).
        if fault.fault is faults.PROVIDER_FAULT and first is not None:
            error = f"{fault.fault.code} {first.rule}: {first.message}"
        else:
            error = fault.fault.code + (f" {first.rule} at {first.path or '-'}" if first else "")
        now = self.clock.seconds()
        when = sub.policy.next_attempt(d.attempts, d.enqueued_at, now)
        hop.update(fault_code=fault.fault.code, party=fault.fault.party,
                   rule=first.rule if first else None, path=first.path if first else None,
                   line=first.line if first else None)
        if when is None:
            await self.threads.run(self.store.dead, d.id, self.node_id, error)
            self._record(NoticeOutcome.DEAD, Hop.DEAD_LETTERED, Status.ERROR, hop, started,
                         reason=f"policy exhausted after {d.attempts} attempt(s)")
        else:
            await self.threads.run(self.store.retry_later, d.id, self.node_id, error, when)
            self._record(NoticeOutcome.RETRIED, Hop.DELIVERY, Status.ERROR, hop, started,
                         reason=f"retry in {when - now:.1f} s")

    def _record(self, outcome: NoticeOutcome, hop_name: Hop, status: Status, hop: dict,
                started: float, reason: str) -> None:
        """An attempt ended: counted, recorded (a routing-log hop), told to the observer."""
        self.counts[outcome] += 1
        self.log.record(HopRecord(hop=hop_name, status=status, reason=reason,
                                  duration_ms=round((time.monotonic() - started) * 1000, 3),
                                  **hop))
        if self.observer is not None:
            self.observer.delivery(outcome, status, hop, reason)


MAX_MESSAGE = 300  # characters of a subscriber's error message kept with its dead letter


def subscriber_fault(body) -> tuple[str, str]:
    """(the subscriber's own error code, its message) from the SOAP Fault it answered: the
    ``pff:FaultDetail`` code and first finding (the adapter SDK writes them), else the
    faultstring (SOAP 1.1) or Reason text (1.2) less a leading "CODE: "."""
    detail_el = body.find(f".//{FAULT_DETAIL_TAG}")
    detail = FaultDetail.from_element(detail_el) if detail_el is not None else None
    code = detail.code if detail is not None and detail.code else "none"
    message = detail.findings[0].message if detail is not None and detail.findings else ""
    if not message:
        reason = body.findtext(".//faultstring") or body.findtext(
            f".//{{{SOAP12_NS}}}Reason/{{{SOAP12_NS}}}Text") or ""
        message = reason.removeprefix(f"{code}: ").strip()
    message = " ".join(message.split())
    return code, (message[:MAX_MESSAGE] + "…" if len(message) > MAX_MESSAGE else message) or \
        "the subscriber refused the notice"
