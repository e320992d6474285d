"""One synchronous exchange through the hub: receive → validate → route → forward → validate the
answer → reply, recording every hop in the routing log.

The checks are the pure ``Inspector``'s; this module only moves bytes and writes the log. The
client's bytes are forwarded unchanged, so the request digest the provider computes is the digest
of what the client sent. Admission (rate limits) reads the clock given (``IReactorTime``), so
tests drive limit windows with ``task.Clock``; the hub's drain waits on ``idle()``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Protocol

from twisted.internet import defer

from ..admin.observer import HubObserver
from ..core import faults
from ..core.envelope import CONTENT_TYPES, SOAP_VERSION_NAME, version_mismatch_ns
from ..core.faults import SOAP11_NS, HubFault, Party, fault_envelope
from ..core.findings import Finding
from ..core.header import HEADER_NS, PlatformHeader, new_uuid4, request_digest
from ..core.header import Party as PartyOfHeader  # faults.Party is the fault's side
from ..core.inspection import AcceptedRequest, Inspector
from ..core.jsonlog import JsonLineLog
from ..core.ratelimit import Admission, limit_key
from ..core.shrink import CharacterAudit
from ..core.shrink import summary as shrink_summary
from ..core.receipt import ACCEPTED, DUPLICATE, receipt_envelope
from ..store.archive import PayloadArchive, PayloadKind
from ..core.replay import ReplayGuard
from ..core.xmlpath import element_path
from ..store.chained_log import ChainedLog
from ..store.routing_log import HopRecord
from ..store.hop_record import Hop, Status, trusted_record
from .evidence import Evidence
from .forwarder import Forwarder
from .inspection_threads import InspectionThreads
from .notices import NoticeIntake


class RefusalPolicy(Protocol):
    """An operator's refusals of new requests (bus.admin.controls.LiveControls)."""

    retry_after: int  # seconds, told to callers refused (Retry-After)

    def refusal(self, service_id: str | None, local_gov_code: str | None,
                message_id: str | None = None) -> HubFault | None: ...


@dataclass(frozen=True)
class HttpReply:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()  # e.g. Retry-After on PF-MAINTENANCE


class SyncExchange:
    def __init__(self, inspector: Inspector, forwarder: Forwarder, routing_log: ChainedLog,
                 events: JsonLineLog | None = None, notices: NoticeIntake | None = None, *,
                 characters: CharacterAudit | None = None, admission: Admission | None = None,
                 archive: PayloadArchive | None = None, clock=None,
                 evidence: Evidence | None = None,
                 replay: ReplayGuard | None = None, controls: RefusalPolicy | None = None,
                 observer: HubObserver | None = None,
                 inspection: InspectionThreads | None = None):
        self.inspector = inspector
        # [hub] big_message_bytes: big requests and answers inspected off the reactor thread
        self.inspection = inspection
        self.forwarder = forwarder
        self.log = routing_log
        self.events = events
        self.notices = notices
        self.characters = characters  # receivers that store only JIS X 0213 (縮退 audit)
        self.admission = admission or Admission()  # per-adapter rate and concurrency limits
        self.archive = archive  # [store] archive: the exact payloads, encrypted at rest
        if clock is None:
            from twisted.internet import reactor as clock
        self.clock = clock  # IReactorTime: admission's windows
        self.replay = replay  # requests' MessageIds seen within [hub] replay_window
        # [admin]: an operator's maintenance or paused routes (bus.admin.controls.LiveControls)
        self.controls = controls
        self.observer = observer  # events, metrics, dashboard traffic (bus.admin.observer)
        self.open = 0  # exchanges begun and not yet answered
        self.answered = 0  # exchanges answered (with a reply or a fault)
        self.cut = 0  # of which answered PF-HUB-STOPPING: cut by the hub's drain deadline
        self._idle: list[defer.Deferred] = []
        # evidence or refuse (bus/hub/evidence.py): admission by the log's health, replies
        # released once recorded; None only in tests that drive the exchange without a hub
        self.evidence = evidence

    async def idle(self) -> None:
        """Return once no exchange is open (at once if none is)."""
        while self.open:
            waiter: defer.Deferred = defer.Deferred()
            self._idle.append(waiter)
            await waiter

    async def handle(self, raw: bytes, endpoint_service: str | None = None,
                     soap_action: str | None = None, peer: str | None = None,
                     content_type: str | None = None, remote: str | None = None) -> HttpReply:
        """One exchange. ``peer`` is the adapter ID authenticated by the caller's TLS client
        certificate (``[[adapters]]``), or None when the caller is not authenticated (plain
        HTTP in development, or TLS without a client certificate); ``remote`` the caller's
        address (IP:port). Both go on every hop: a refusal names who actually sent it."""
        self.open += 1
        try:
            return await self._handle(raw, endpoint_service, soap_action, peer, content_type,
                                      remote)
        finally:
            self.open -= 1
            self.answered += 1
            if not self.open:
                waiters, self._idle = self._idle, []
                for waiter in waiters:  # next turn: once the caller has written this reply
                    self.clock.callLater(0, waiter.callback, None)

    async def _handle(self, raw: bytes, endpoint_service: str | None, soap_action: str | None,
                      peer: str | None, content_type: str | None,
                      remote: str | None) -> HttpReply:
        if self.evidence is not None:
            try:
                await self.evidence.admit(peer, remote)
            except HubFault as fault:  # the log cannot take it: refused, on stdout only
                soap_ns = _soap_ns_of(raw)
                return HttpReply(500 if soap_ns == SOAP11_NS else fault.fault.http_status,
                                 CONTENT_TYPES[soap_ns], fault_envelope(fault, soap_ns))
        hops = _Hops(self.log, len(raw), peer, remote)
        try:
            reply = await self._exchange(hops, raw, endpoint_service, soap_action, peer,
                                         content_type)
        finally:  # even a defect's exception leaves the hops recorded so far on record
            hops.hand_off()
        if self.evidence is not None:
            try:  # the strict form: the client sees the answer only once it is on record
                await self.evidence.released(hops.seq, hops.archive_seq)
            except HubFault as fault:
                return self._fault_reply(hops, fault, _soap_ns_of(raw))
        return reply

    async def _exchange(self, hops: _Hops, raw: bytes, endpoint_service: str | None,
                        soap_action: str | None, peer: str | None,
                        content_type: str | None) -> HttpReply:
        early = None
        if peer is not None:  # authenticated: every request counts, even one that fails to parse
            try:
                early = self.admission.admit(limit_key(peer, ""), self.clock.seconds())
            except HubFault as fault:
                hops.add(Hop.REJECTED, Status.FAULT, fault)
                return self._fault_reply(hops, fault, _soap_ns_of(raw))
        inspection = self.inspection
        try:
            if inspection is not None and inspection.takes(len(raw)):
                request = await inspection.inspect(len(raw), Inspector.inspect_request, raw,
                                                   endpoint_service, soap_action, content_type,
                                                   peer)
            else:
                request = self.inspector.inspect_request(raw, endpoint_service, soap_action,
                                                         content_type, peer=peer)
        except HubFault as fault:
            if early is not None:
                early()
            if fault.header is not None:
                hops.bind_header(fault.header)
            else:  # an invalid header: what could safely be read of it
                hops.common.update(message_id=fault.message_id, sender=fault.sender)
            hops.add(Hop.REJECTED, Status.FAULT, fault)
            return self._fault_reply(hops, fault, version_mismatch_ns(fault, content_type)
                                     if fault.fault is faults.VERSION_MISMATCH
                                     else _soap_ns_of(raw))
        hops.bind(request)
        hops.add(Hop.VALIDATED, Status.OK)
        # An operator's maintenance or paused route (bus.admin.controls): 503 + Retry-After.
        controls = self.controls
        refusal = controls.refusal(
            request.header.service_id, request.header.receiver.local_gov_code,
            request.header.message_id) if controls is not None else None
        if refusal is not None:
            assert controls is not None
            if early is not None:
                early()
            hops.add(Hop.REJECTED, Status.FAULT, refusal)
            return self._fault_reply(hops, refusal, request.envelope.soap_ns, status=503,
                                     headers=(("Retry-After", str(controls.retry_after)),))
        try:  # per-adapter rate and concurrency (bus.core.ratelimit)
            release = early or self.admission.admit(limit_key(peer, str(request.header.sender)),
                                                    self.clock.seconds())
        except HubFault as raised:
            limited = raised.but(message_id=request.header.message_id)
            hops.add(Hop.REJECTED, Status.FAULT, limited)
            return self._fault_reply(hops, limited, request.envelope.soap_ns)
        try:
            if self.replay is not None and not request.is_notice:
                # Notices: the notice store is their idempotent receiver (a `duplicate` receipt).
                try:
                    await self._check_replay(self.replay, request)
                except HubFault as fault:
                    hops.add(Hop.REJECTED, Status.FAULT, fault)
                    return self._fault_reply(hops, fault, request.envelope.soap_ns)
            # Archived once admitted: a flood refused by the limits does not fill the archive.
            self._archive(request, PayloadKind.NOTICE if request.is_notice
                          else PayloadKind.REQUEST, raw, hops)
            return await self._dispatch(request, hops, raw, soap_action)
        finally:
            release()

    async def _check_replay(self, replay: ReplayGuard, request: AcceptedRequest) -> None:
        try:
            await replay.admit(request.header.message_id, self.inspector.clock())
        except HubFault as fault:  # the MessageId's path and line: only for a refusal
            header_el = request.envelope.header
            mid = header_el.find(f"{{{HEADER_NS}}}MessageId") if header_el is not None else None
            if mid is None:
                raise
            where = {"path": element_path(mid, self.inspector.catalog.prefixes),
                     "line": mid.sourceline}
            raise fault.but(findings=tuple(replace(f, **where) for f in fault.findings)
                            ).with_traceback(fault.__traceback__) from None

    async def _dispatch(self, request: AcceptedRequest, hops: _Hops, raw: bytes,
                        soap_action: str | None) -> HttpReply:
        if request.is_notice:
            return await self._publish(request, hops)
        self._audit_shrink(hops, request.envelope.body, request.header.receiver)
        route = request.route
        assert route is not None  # a request (not a notice) is routed to its provider
        soap_ns = request.envelope.soap_ns
        started = time.monotonic()
        # received, validated (…) are queued before the provider is waited for; nothing waits
        # for their commit, so they may share the reply's (ChainedLog.record_many)
        hops.hand_off(awaited=False)
        try:
            answer = await self.forwarder.post(route.provider.url, raw, CONTENT_TYPES[soap_ns],
                                               soap_action, route.timeout)
        except HubFault as raised:
            fault = raised.but(message_id=request.header.message_id)
            hops.provider_ms = _ms(started)
            hops.add(Hop.ROUTED, Status.ERROR, fault, duration_ms=hops.provider_ms)
            return self._fault_reply(hops, fault, soap_ns)
        hops.provider_ms = _ms(started)
        hops.add(Hop.ROUTED, Status.OK, duration_ms=hops.provider_ms)
        hops.add(Hop.PROVIDER_RESPONSE, Status.FAULT if answer.status >= 400 else Status.OK,
                 http_status=answer.status, response_bytes=len(answer.body))
        self._archive(request, PayloadKind.RESPONSE, answer.body, hops)
        inspection = self.inspection
        try:
            if inspection is not None and inspection.takes(len(answer.body)):
                response = await inspection.inspect(len(answer.body),
                                                    Inspector.inspect_response, answer.body,
                                                    request)
            else:
                response = self.inspector.inspect_response(answer.body, request)
        except HubFault as fault:
            if answer.status >= 400 and fault.fault is faults.PROVIDER_INVALID:
                fault = HubFault(faults.PROVIDER_HTTP_ERROR, fault.findings, fault.message_id)
            hops.add(Hop.RESPONSE_REJECTED, Status.FAULT, fault)
            return self._fault_reply(hops, fault, soap_ns)
        hops.add(Hop.RESPONSE_VALIDATED, Status.FAULT if response.is_fault else Status.OK,
                 reply_header=response.header)
        if not response.is_fault:  # the reply's receiver: the system that asked
            self._audit_shrink(hops, response.envelope.body, request.header.sender)
        status = 500 if response.is_fault else 200
        hops.add(Hop.REPLIED, Status.FAULT if response.is_fault else Status.OK, http_status=status,
                 response_bytes=len(answer.body), duration_ms=hops.elapsed_ms(),
                 party=Party.PROVIDER if response.is_fault else None)
        self._emit(hops)
        return HttpReply(status, CONTENT_TYPES[soap_ns], answer.body)

    async def _publish(self, request: AcceptedRequest, hops: _Hops) -> HttpReply:
        """A notice: acknowledged only once stored durably (and then delivered by the
        DeliveryService); a message ID seen before is acknowledged as a duplicate, not stored."""
        soap_ns = request.envelope.soap_ns
        if self.notices is None:
            fault = HubFault(faults.STORE_UNAVAILABLE, (Finding(
                "store:configured", "this hub has no notice store"),), request.header.message_id)
            hops.add(Hop.REJECTED, Status.ERROR, fault)
            return self._fault_reply(hops, fault, soap_ns)
        # received and validated stay with the exchange until its reply: one hand-off per
        # notice (issue 13). Nothing waited for their commit; the store's commit comes within
        # milliseconds, and a crash meanwhile leaves the notice unacknowledged (or, if stored,
        # in the gap record's facts: bus/store/log_recovery.py).
        # once per notice: the publisher's receipt carries it, the store keeps it for the
        # subscribers' receipts (issue 13: it was computed again for each delivery)
        digest = request_digest(request.envelope.raw)
        try:
            is_new = await self.notices.accept(request, digest)
        except HubFault as fault:
            hops.add(Hop.REJECTED, Status.ERROR, fault)
            return self._fault_reply(hops, fault, soap_ns)
        status = ACCEPTED if is_new else DUPLICATE
        if is_new and self.observer is not None:
            self.observer.notices_accepted(s.id for s in request.subscribers)
        hops.add(Hop.ACCEPTED if is_new else Hop.DUPLICATE, Status.OK,
                 provider=",".join(s.id for s in request.subscribers))
        body = receipt_envelope(request, status, digest)
        hops.add(Hop.REPLIED, Status.OK, http_status=200, response_bytes=len(body),
                 duration_ms=hops.elapsed_ms())
        self._emit(hops)
        return HttpReply(200, CONTENT_TYPES[soap_ns], body)

    def _archive(self, request: AcceptedRequest, kind: str, payload: bytes, hops: _Hops) -> None:
        """Keep the exact bytes, encrypted; the archive's writer thread does the work (the reply
        waits for its commit: ``Evidence.released``)."""
        if self.archive is not None:
            hops.archive_seq = self.archive.store(request.header.message_id, kind, payload,
                               hops.common["exchange_id"])

    def _audit_shrink(self, hops: _Hops, body, party: PartyOfHeader) -> None:
        """Record the 縮退 the receiver's adapter applies (it declared JIS X 0213 only): which
        MJ characters became what, and the first field's path; never the name itself. The
        party is named as text only when there is a policy to ask (issue 13: twice per
        exchange for nothing otherwise)."""
        if not self.characters:
            return
        receiver = str(party)
        plan = self.characters.shrink_plan(body, receiver)
        if plan:
            hops.add(Hop.SHRINK, Status.OK, rule="shrink", path=plan[0].path, line=plan[0].line,
                     reason=f"縮退 for {receiver} (JIS X 0213): {shrink_summary(plan)}")

    def _fault_reply(self, hops: _Hops, fault: HubFault, soap_ns: str, status: int | None = None,
                     headers: tuple = ()) -> HttpReply:
        if fault.fault is faults.HUB_STOPPING:
            self.cut += 1
        body = fault_envelope(fault, soap_ns)
        # SOAP 1.1 answers every fault with 500; SOAP 1.2 distinguishes sender faults (400).
        if status is None:
            status = 500 if soap_ns == SOAP11_NS else fault.fault.http_status
        hops.add(Hop.REPLIED, Status.FAULT, fault, http_status=status, response_bytes=len(body),
                 duration_ms=hops.elapsed_ms())
        self._emit(hops)
        return HttpReply(status, CONTENT_TYPES[soap_ns], body, headers)

    def _emit(self, hops: _Hops) -> None:
        hops.hand_off()  # the exchange's last hop ("replied") and those before it
        if self.observer is not None:
            self.observer.exchange(hops.last, hops.provider_ms)
        if self.events is not None:
            last = hops.last
            assert last is not None  # _Hops starts with the "received" hop
            self.events.emit_soon("exchange", exchange_id=last.exchange_id, message_id=last.message_id,
                             service_id=last.service_id, sender=last.sender,
                             receiver=last.receiver, provider=last.provider, status=last.status,
                             fault_code=last.fault_code, party=last.party,
                             duration_ms=last.duration_ms)


class _Hops:
    """Builds the hop records of one exchange, carrying what every hop repeats.

    Hops are handed to the routing log in groups (``hand_off``: before the wait for the
    provider, and with the reply; a notice's all with its reply), not one by one: one queue put and at most
    one wake-up of the writer thread per group instead of per hop (issue 13: ~6 puts per
    exchange). Nothing changes for the evidence: records were only *queued* per hop before too,
    within the same reactor turn, and the reply is still released only once its last hop —
    and so every hop before it — is committed (``seq``, bus/hub/evidence.py)."""

    def __init__(self, log: ChainedLog, request_bytes: int, peer: str | None = None,
                 remote: str | None = None):
        self.log = log
        self.started = time.monotonic()
        self.common: dict = {"exchange_id": new_uuid4(), "request_bytes": request_bytes,
                             "peer": peer, "remote": remote}
        self.last: HopRecord | None = None
        self.provider_ms: float | None = None  # the provider's round trip, once called
        self.seq: int | None = None  # the routing log's sequence number of the last hop
        self._pending: list[HopRecord] = []  # added, not yet handed to the routing log
        self.archive_seq: int | None = None  # the archive's, of the last payload archived
        self.add(Hop.RECEIVED, Status.OK)

    def bind(self, request: AcceptedRequest) -> None:
        self.bind_header(request.header)
        self.common["soap_version"] = request.envelope.soap_version
        if request.route is not None:
            self.common.update(provider=request.route.provider.id,
                               endpoint=request.route.provider.url)

    def bind_header(self, h: PlatformHeader) -> None:
        self.common.update(message_id=h.message_id, relates_to=h.relates_to,
                           service_id=h.service_id, service_version=h.service_version,
                           sender=str(h.sender), receiver=str(h.receiver))

    def add(self, hop: Hop, status: Status, fault: HubFault | None = None,
            reply_header: PlatformHeader | None = None, **fields) -> None:
        record = dict(self.common)
        if fault is not None:
            first = fault.first
            record.update(fault_code=fault.fault.code, party=fault.fault.party,
                          reason=fault.fault.summary)
            if fault.message_id and not record.get("message_id"):
                record["message_id"] = fault.message_id
            if first is not None:
                # rule, path and line locate the problem; the finding's text may quote payload
                # values, so it stays out of the log.
                record.update(rule=first.rule, path=first.path, line=first.line)
        if reply_header is not None:
            record["relates_to"] = reply_header.relates_to
            record["message_id"] = reply_header.message_id
        record.update(fields)
        self.last = trusted_record(hop, status, record)  # HopRecord(hop=…, status=…, **record)
        self._pending.append(self.last)

    def hand_off(self, awaited: bool = True) -> None:
        """Queue the hops added since the last hand-off, as one group; ``awaited=False``: one
        the reply's release does not wait for (it may wait for the reply's own commit)."""
        if self._pending:
            pending, self._pending = self._pending, []
            self.seq = self.log.record_many(pending, awaited)

    def elapsed_ms(self) -> float:
        return _ms(self.started)


def _ms(since: float) -> float:
    return round((time.monotonic() - since) * 1000, 3)


def _soap_ns_of(raw: bytes) -> str:
    """Answer a rejected message in its own SOAP version when it can be told, else 1.1."""
    head = raw[:2048]
    return next((ns for ns in SOAP_VERSION_NAME if ns.encode() in head and ns != SOAP11_NS),
                SOAP11_NS)
