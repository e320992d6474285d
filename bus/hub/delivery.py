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
from ..core.envelope import CONTENT_TYPES
from ..core.inspection import Inspector, RequestBinding
from ..core.receipt import APPLIED, DUPLICATE, receipt_status
from ..core.routing import Provider
from ..store.notices.base import ATTEMPT_OUTCOMES, Delivery, NoticeOutcome, NoticeStore
from ..store.chained_log import ChainedLog
from ..store.hop_record import Hop, HopRecord, Status, trusted_record
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
        self._poked: set[str] = set()  # woken while not asleep: the next sleep returns at once
        # Deliveries answered with a receipt, waiting for their loop's next store call, which
        # completes them and claims in one transaction (delivery id, fired with its answer).
        self._completions: dict[str, list[tuple[int, defer.Deferred]]] = {}
        self._looping: set[str] = set()  # subscribers whose loop takes completions
        self._loops: list[defer.Deferred] = []
        self._inflight: set[defer.Deferred] = set()
        # an operator's pause (bus.admin.controls.LiveControls.is_paused), read at each claim
        self.is_paused = is_paused or (lambda subscriber_id: False)
        self.observer = observer  # events and metrics
        # While one store call's completions are answered: their hops, handed to the routing
        # log together afterwards (_complete_and_claim); None: each hop is handed off alone.
        self._gathered: list[HopRecord] | None = None
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
        else:  # the loop is in a store call: it must look again before it sleeps
            self._poked.add(sid)

    async def _sleep(self, sid: str, seconds: float) -> None:
        if not self.running:
            return
        if sid in self._poked:
            self._poked.discard(sid)
            return
        d = self._wake[sid] = defer.Deferred()
        timer = self.clock.callLater(seconds, self._wakeup, sid)
        await d
        if timer.active():
            timer.cancel()

    async def _loop(self, sub: Provider) -> None:
        self._looping.add(sub.id)
        try:
            await self._claim_loop(sub)
        finally:
            # Deliveries answered after the loop's last store call: complete them now (and
            # those still to come go to the store directly, see _settled).
            self._looping.discard(sub.id)
            while self._completions.get(sub.id):
                await self._complete_and_claim(sub, 0)

    async def _claim_loop(self, sub: Provider) -> None:
        mine: set[defer.Deferred] = set()
        while self.running:
            # evidence or refuse: no unrecordable delivery; paused: the queue stays as it is
            may_claim = self.log.accepting() and not self.is_paused(sub.id)
            # the deliveries completed in the same transaction free their slots for the claim
            free = sub.concurrency - len(mine) + len(self._completions.get(sub.id, ()))
            claimed = await self._complete_and_claim(sub, free if may_claim else 0)
            if not self.running:  # draining began while claiming: hand them straight back
                for delivery in claimed:
                    await self._release(sub, delivery, "the hub began to drain while claiming")
                break
            for delivery in claimed:
                task = defer.Deferred.fromCoroutine(self._deliver(sub, delivery))
                mine.add(task)
                self._inflight.add(task)
                task.addBoth(self._finished, task, mine, sub.id)
            if not claimed and not self._completions.get(sub.id):
                await self._sleep(sub.id, self.poll_interval)

    async def _complete_and_claim(self, sub: Provider, limit: int) -> list[Delivery]:
        """One store call: complete the deliveries answered since the last one, then claim up
        to ``limit``. Completing before claiming frees their subjects for this very claim."""
        completing = self._completions.pop(sub.id, [])
        if not completing and limit <= 0:
            return []
        lease = sub.timeout * 2 + 10  # expires only if this node died mid-delivery
        try:
            done, claimed = await self.threads.run(
                self.store.complete_and_claim, [i for i, _ in completing], sub.id, self.node_id,
                lease, max(limit, 0), self.clock.seconds())
        except Exception as exc:  # the store is unreachable: keep trying, say so
            twisted_log.err(None, f"claiming for {sub.id} failed")
            for _, waiter in completing:  # the lease brings these back
                waiter.errback(exc)
            return []
        # Each waiter's delivery resumes at once and records its hop: one hand-off for all
        # (issue 13: a queue put and a writer wake-up per delivery before).
        gathered: list[HopRecord] = []
        self._gathered = gathered
        try:
            for (_, waiter), ok in zip(completing, done, strict=True):
                waiter.callback(ok)
        finally:
            self._gathered = None
            self._hand_off(gathered)
        return claimed

    async def _settled(self, sub: Provider, d: Delivery) -> bool:
        """Mark ``d`` delivered: through the loop's next store call while it runs (one
        transaction for all answered since), else directly. False: the lease had expired."""
        if sub.id not in self._looping:
            return await self.threads.run(self.store.complete, d.id, self.node_id)
        waiter: defer.Deferred[bool] = defer.Deferred()
        self._completions.setdefault(sub.id, []).append((d.id, waiter))
        self._wakeup(sub.id)
        return await waiter

    def _finished(self, result, task, mine: set, sid: str) -> None:
        mine.discard(task)
        self._inflight.discard(task)
        if result is not _COMPLETED_BY_LOOP:  # that claim already counted the slot and subject
            self._wakeup(sid)  # a finished delivery may unblock its subject or free a slot
        if isinstance(result, Failure):  # e.g. the store failed: the lease brings it back
            twisted_log.err(result, f"delivery to {sid} did not complete")

    def _binding(self, sub: Provider, d: Delivery, hop: dict) -> RequestBinding:
        """What the receipt is checked against, and the hop's header fields: from the fields
        stored at acceptance; a notice stored before they were kept is parsed once more."""
        soap_ns = _SOAP_NS.get(d.content_type)
        if d.receiver is None or d.service_version is None or soap_ns is None:
            request = self.inspector.stored_request(d.payload, sub)
            hop.update(sender=str(request.header.sender), receiver=str(request.header.receiver),
                       service_version=request.header.service_version,
                       soap_version=request.envelope.soap_version)
            return RequestBinding.of(request)
        binding = self.inspector.stored_binding(d.payload, soap_ns, d.message_id, d.service_id,
                                                d.request_hash)
        hop.update(sender=d.sender, receiver=d.receiver, service_version=d.service_version,
                   soap_version=binding.soap_version)
        return binding

    async def _deliver(self, sub: Provider, d: Delivery) -> object | None:
        started = time.monotonic()
        hop = dict(message_id=d.message_id, service_id=d.service_id, provider=sub.id,
                   endpoint=sub.url, attempt=d.attempts, request_bytes=len(d.payload))
        try:
            request = self._binding(sub, d, hop)
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
                return None
            await self._failed(sub, d, fault, hop, started)
            return None
        except Exception as exc:  # a defect: never lose the delivery over it
            twisted_log.err(None, f"delivering {d.message_id} to {sub.id}")
            await self._failed(sub, d, HubFault(faults.HUB_INTERNAL, (Finding(
                "hub:delivery", exc.__class__.__name__),)), hop, started)
            return None
        by_loop = sub.id in self._looping
        done = await self._settled(sub, d)
        self._record(NoticeOutcome.DELIVERED, Hop.DELIVERY, Status.OK, hop, started,
                     reason=status if done else
                     f"{status}; lease had expired, another node redelivers")
        return _COMPLETED_BY_LOOP if by_loop else None

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
        # the frozen dataclass's checks skipped for the hub's own values (trusted_record:
        # the same record; ~0.1 M instructions per delivery less, issue 13)
        record = trusted_record(hop_name, status, {
            **hop, "reason": reason,
            "duration_ms": round((time.monotonic() - started) * 1000, 3)})
        if self._gathered is not None:
            self._gathered.append(record)
        else:
            self._hand_off([record])
        if self.observer is not None:
            self.observer.delivery(outcome, status, hop, reason)

    def _hand_off(self, hops: list[HopRecord]) -> None:
        """Nothing waits for a delivery hop's commit (the attempt's outcome is already in the
        notice store, which a crash's gap record reads: bus/store/log_recovery.py), so it may
        wait up to ``chained_log.DEFER`` to share a commit with other hops."""
        if hops:
            self.log.record_many(hops, awaited=False)


_COMPLETED_BY_LOOP = object()  # a delivery's result: its loop completed it along with a claim
_SOAP_NS = {content_type: ns for ns, content_type in CONTENT_TYPES.items()}

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
