"""Assembling a hub from its configuration, running it, and draining it when it stops.

Drain (SIGTERM/SIGINT, ``Hub.drain``): the listening socket closes at once and the hub's state
becomes ``draining`` (``/health`` answers 503, ``Hub.draining`` for readiness); requests already
read are answered, new ones on open connections are answered PF-HUB-STOPPING; exchanges and
deliveries in flight get until ``[hub] drain_timeout`` to finish. At the deadline the forwarder
cuts what is left: an exchange is answered PF-HUB-STOPPING and closed in the routing log, a
delivery is released for redelivery. An exchange whose big message is being parsed and validated
on the inspection threads (``[hub] big_message_bytes``) is open like any other and is answered;
those threads end once no exchange is open. Then, in this order — because a store must never be closed
under a thread still using it — the store threads finish their calls, the notice store closes,
the provider connections close, the archive and the routing log flush and close (its head hash
printed as the last checkpoint), and ``hub.stopped`` says what the drain did.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import cast

from twisted.internet import defer, task
from twisted.internet.threads import deferToThread
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IListeningPort
from twisted.protocols.tls import TLSMemoryBIOFactory

from ..admin import wiring as admin_wiring
from ..core.catalog import Catalog
from ..core.config import ConfigError, HubConfig
from ..core.config_checks import catalog_findings
from ..core.findings import Finding
from ..core.inspection import Inspector
from ..core.jsonlog import JsonLineLog
from ..core.ratelimit import Admission
from ..core.replay import Freshness, ReplayGuard, SeenMessagesUnavailable
from ..core.shrink import CharacterAudit
from ..core.validator import MessageValidator
from ..files.service import FileLinkage
from ..store.archive import ArchiveError, open_configured
from ..store.log_recovery import recover, recover_files
from ..store.retention import run_retention
from ..store.routing_log import is_postgres, open_readonly
from ..store.seen_messages import open_seen_messages
from ..store.notices import open_notice_store
from .delivery import DeliveryService
from .evidence import Evidence
from .exchange import SyncExchange
from .forwarder import Forwarder
from .http import HubSite
from .inspection_threads import InspectionThreads
from .lifecycle import HubState
from .notices import NoticeIntake, StoreThreads
from .refusal_log import RefusalLog
from .resource import HubResource
from .tls import ProviderTLSPolicy, server_options
from .workers import SINGLE, WorkerRole, adopt_listening_socket
from .wsdl import WsdlPublisher


CLOSE_TIMEOUT = 5.0  # seconds the drain waits for peers to take their last answers


class Hub:
    """A running hub: listening port, routing log, connection pool."""

    def __init__(self, config: HubConfig, reactor, events: JsonLineLog | None = None, *,
                 forwarder: Forwarder | None = None, store_threads: StoreThreads | None = None,
                 worker: WorkerRole = SINGLE):
        """``reactor`` is also the clock of everything time-based (``task.Clock`` in tests,
        with a ``forwarder`` and ``store_threads`` that need no real reactor). ``worker``: this
        process among ``pfbus serve --workers N`` (bus/hub/workers.py)."""
        started = time.time()  # recovery looks only at notice-store facts older than this
        self.config = config
        self.worker = worker
        self.reactor = reactor  # IReactorCore + IReactorTCP/SSL + IReactorTime
        self.state = HubState.SERVING
        self.drain_timeout = config.drain_timeout  # [hub] drain_timeout
        self._waiters: list[defer.Deferred] = []
        self._deadline = None
        self.threads: StoreThreads | None = None
        self.events = events or JsonLineLog(sys.stderr)
        # The line per exchange is flushed once per reactor turn, not per line (issue 13)
        self.events.flush_each_turn(lambda flush: reactor.callLater(0, flush))
        # Everything compiled here, once: the hot path compiles nothing per request.
        self.catalog = Catalog.load(config.catalogs)
        self._check_routes()
        validator = MessageValidator(
            self.catalog, {code: t.addressee_scheme for code, t in config.tenants.items()},
            characters={code: t.characters for code, t in config.tenants.items()},
            gaiji={party: s.registered_gaiji for party, s in config.systems.items()})
        freshness = Freshness(config.clock_skew, config.max_age)
        # SentAt is judged by the wall clock (time.time), not the reactor's: a test's Clock
        # starts at 0, and SentAt is the sender's wall-clock time.
        self.inspector = Inspector(self.catalog, validator, config.registry, config.limits,
                                   access=config.access, freshness=freshness)
        # [hub] big_message_bytes: big messages parsed and validated off the reactor thread
        self.inspection = InspectionThreads(
            reactor, self.inspector, config.big_message_threads, config.big_message_bytes
        ) if config.big_message_bytes else None
        # The operators' side, before any store opens (a bad [admin] state file is a config
        # error): the observer (events; with [admin] metrics, traffic) and the controls in force.
        ops = admin_wiring.operators(config, self.catalog, self.events)
        # Requests' MessageIds, remembered for [hub] replay_window across restarts.
        try:
            self.seen_messages = open_seen_messages(config.seen_messages_location,
                                                    deliver=reactor.callFromThread)
        except SeenMessagesUnavailable as exc:  # it names the file or the redacted URL
            raise ConfigError(f"{config.path}: store.seen_messages: cannot open the MessageIds "
                              f"seen: {exc}") from None
        try:
            replay = ReplayGuard(self.seen_messages, config.replay_window, freshness)
        except ValueError as exc:
            self.seen_messages.close()
            raise ConfigError(f"{config.path}: hub.replay_window: {exc}") from None
        try:  # [store] archive: payloads encrypted at rest (off by default); before any thread
            self.archive = open_configured(config)
        except ArchiveError as exc:
            raise ConfigError(f"{config.path}: store.archive: {exc}") from None
        # Every N records the chain's head hash goes to the JSON operator log, so it leaves the
        # machine: a rewritten or truncated routing log shows against it (pfbus log verify --anchor).
        # Evidence or refuse (bus/hub/evidence.py): new exchanges only while the log can
        # record them, replies released once recorded.
        # With --workers N on SQLite each worker writes a file of its own (bus/hub/workers.py).
        self.evidence = Evidence.open(reactor, worker.routing_log(config.routing_log_location),
                                      self.events, archive=self.archive,
                                      node=worker.node_id(config.node_id),
                                      on_checkpoint=lambda hop_id, digest: self.events.emit(
                                          "routing_log.checkpoint", id=hop_id, hash=digest))
        self.routing_log = self.evidence.log
        self.forwarder = forwarder or Forwarder(
            reactor, config.max_connections_per_provider,
            tls=ProviderTLSPolicy(config.provider_ca, config.client_certificate,
                                  config.client_key), max_answer_bytes=config.limits.max_bytes)
        self.delivery: DeliveryService | None = None
        intake = None
        subscribers = config.registry.all_subscribers()
        if subscribers and config.notice_store:
            store = open_notice_store(config.notice_store)
            threads = self.threads = store_threads or StoreThreads(reactor)
            self.delivery = DeliveryService(
                reactor, store, threads, subscribers, self.forwarder, self.inspector,
                self.routing_log, worker.node_id(config.node_id), observer=ops.observer,
                is_paused=ops.controls.is_paused if ops.controls is not None else None)
            intake = NoticeIntake(store, threads, self.delivery.notify)
        # The previous run crashed: a gap record and the notice store's facts, before serving.
        notices = self.delivery.store if self.delivery else None
        location = config.routing_log_location
        sqlite_files = not is_postgres(location)
        recovery = recover(self.routing_log, notices, until=started, reader=(
            (lambda: open_readonly(location)) if sqlite_files else None))
        if recovery is not None:
            self.events.emit("routing_log.gap", **recovery.as_event())
        if sqlite_files and worker.first:  # files of workers a restart with fewer left behind
            for path, orphan in recover_files(Path(location), worker.count, notices,
                                              until=started):
                self.events.emit("routing_log.gap", file=str(path), **orphan.as_event())
        self.exchange = SyncExchange(self.inspector, self.forwarder, self.routing_log,
                                     self.events, intake, characters=CharacterAudit(
                                         self.catalog, {party: s.receiver for party, s
                                                        in config.systems.items()}),
                                     admission=Admission(config.adapter_limits),
                                     archive=self.archive, clock=reactor,
                                     evidence=self.evidence, replay=replay,
                                     controls=ops.controls, observer=ops.observer,
                                     inspection=self.inspection)
        self.publisher = WsdlPublisher(self.catalog)  # addressed once the port is bound
        self.port: IListeningPort | None = None
        self.site: HubSite | None = None
        self.url: str | None = None
        # TLS and HTTP refusals before a message is read: one line per peer per interval.
        self.refusals = RefusalLog(self.events, reactor, observer=ops.observer)
        # With [admin]: the operator actions (they use the parts above), the admin listener —
        # in the first worker only (one admin port per hub; bus/hub/workers.py).
        self.admin = admin_wiring.admin_service(self, ops) if worker.first else None
        self._controls = ops.controls  # the other workers follow worker 1's changes (listen)
        self._follower: task.LoopingCall | None = None
        self.admin_listener = (admin_wiring.AdminListener(self, self.admin)
                               if self.admin is not None else None)
        # [files]: file linkage (ファイル連携), SFTP and drop folders (bus/files)
        self.files = FileLinkage(
            config.files, reactor, self.events, self.routing_log,
            {code: t.addressee_scheme for code, t in config.tenants.items()}, config.path) \
            if config.files is not None and worker.first else None
        if self.files is not None and self.admin is not None:  # files and rows on /metrics
            self.admin.metrics.add_gauges(self.files.metric_families)
        self._retention_timer: task.LoopingCall | None = None
        self._retention_run: defer.Deferred | None = None
        self._retention_stop = threading.Event()

    def _check_routes(self) -> None:
        """Routes, subscriptions and access rules name services of the loaded catalogs."""
        findings = catalog_findings(self.config, self.catalog)
        if findings:
            raise ConfigError(findings[0])

    def listen(self):
        """Bind the listening socket; returns the bound port number."""
        # Size, Content-Type and read-time limits act before a body is read (bus/hub/http*.py).
        config = self.config
        if config.tls is None and not config.allow_plain_http:
            raise ConfigError(f"{config.path}: hub.tls: is required: the hub listens over TLS "
                              "([hub] tls = { certificate, key, client_ca }); plain HTTP only "
                              "with [hub] allow_plain_http = true, for development")
        site = self.site = HubSite(HubResource(self.exchange, self.publisher,
                                               access=config.access, state=lambda: self.state),
                                   config.limits, config.read_timeout, self.events,
                                   self.refusals)
        if config.tls is not None:
            try:
                options = server_options(config, config.access)
            except Exception as exc:  # unreadable PEM, a key that does not match …
                raise ConfigError(f"{config.path}: hub.tls: cannot load the certificate, key or "
                                  f"client CA: {exc.__class__.__name__}: {exc}") from None
            if self.worker.listen_fd is not None:  # the supervisor's socket, shared
                self.port = adopt_listening_socket(
                    self.reactor, self.worker.listen_fd, TLSMemoryBIOFactory(options, False, site))
            else:
                self.port = self.reactor.listenSSL(config.port, site, options,
                                                   backlog=config.backlog, interface=config.host)
        elif self.worker.listen_fd is not None:
            self.port = adopt_listening_socket(self.reactor, self.worker.listen_fd, site)
        else:
            # [hub] backlog: Twisted's default of 50 overflows at a few hundred clients.
            self.port = self.reactor.listenTCP(config.port, site, backlog=config.backlog,
                                               interface=config.host)
        bound = cast(IPv4Address | IPv6Address, self.port.getHost()).port
        # backpressure (bus/hub/evidence.py): a writer behind holds the reading of new requests
        site.listening_port = self.port
        self.evidence.read_gate = site.hold_reads
        scheme = "https" if config.tls is not None else "http"
        self.url = config.public_url or f"{scheme}://{config.host}:{bound}"
        if config.tls is None:
            self.events.emit(
                "hub.plain_http_warning", url=self.url,
                warning="plain HTTP (allow_plain_http = true): for development only - no "
                        "encryption and no authentication of adapters; "
                        + ("access rights are checked against the sender each message claims, "
                           "which any caller can spoof" if config.access is not None else
                           "no [[adapters]]/[[access]] configured: access control is off"))
        # Addresses in WSDLs are known only once bound (port 0 = any free port).
        self.publisher.publish_at(self.url)
        if self.files is not None:
            self.files.listen()
        self.events.emit("hub.listening", url=self.url, catalogs=[s.name for s in
                                                                  self.catalog.sources],
                         services=len(self.catalog.services), routes=len(self.config.registry),
                         routing_log=self.routing_log.name)
        if self.admin_listener is not None:
            self.admin_listener.listen()
        elif self._controls is not None and config.admin is not None:  # a worker after the 1st
            self._follower = admin_wiring.follow_state_file(self.reactor, config.admin.state,
                                                            self._controls, self.events)
        return bound

    def start_retention(self, every: float = 86_400.0, first_after: float = 60.0) -> None:
        """Run ``[retention]`` daily, off the reactor (bus/store/retention.py); stop() waits
        for a run in progress (it ends between two batches) before closing the stores."""
        def run_once():
            if self._retention_run is not None:
                return  # the previous run is still going
            d = deferToThread(
                run_retention, self.config.retention, self.routing_log,
                self.delivery.store if self.delivery else None, self.config.archive,
                stop=self._retention_stop)
            d.addCallbacks(lambda done: self.events.emit(
                "retention.done", **{p.store: p.deleted for p in done}),
                lambda failure: self.events.emit("retention.failed",
                                                 error=failure.getErrorMessage()))
            d.addBoth(lambda _: setattr(self, "_retention_run", None))
            self._retention_run = d

        self._retention_timer = task.LoopingCall(run_once)
        self._retention_timer.clock = self.reactor
        self._retention_timer.start(every, now=False)
        self.reactor.callLater(first_after, lambda: self._retention_timer.running and run_once())

    @property
    def draining(self) -> bool:
        """True from the moment a stop begins: readiness answers "not ready" (ops' /ready)."""
        return self.state is not HubState.SERVING

    def drain(self, timeout: float | None = None) -> defer.Deferred:
        """Stop gracefully (see the module doc); fires once everything is closed. Called again
        while draining, it only brings the deadline forward to ``timeout`` (a second signal:
        ``timeout=0`` cuts what is in flight now — the stores are still closed safely)."""
        if self.state is HubState.STOPPED:
            return defer.succeed(None)
        timeout = self.drain_timeout if timeout is None else max(0.0, timeout)
        waiter: defer.Deferred = defer.Deferred()
        self._waiters.append(waiter)
        if self.state is HubState.SERVING:
            self.state = HubState.DRAINING
            defer.Deferred.fromCoroutine(self._drain(timeout))
        elif self._deadline is not None and self._deadline.active() and \
                self._deadline.getTime() - self.reactor.seconds() > timeout:
            self._deadline.reset(timeout)
        return waiter

    def stop(self) -> defer.Deferred:
        """Stop now: what is in flight is cut at once (``drain(0)``)."""
        return self.drain(0)

    async def _drain(self, timeout: float) -> None:
        clock, exchange, delivery = self.reactor, self.exchange, self.delivery
        began = clock.seconds()
        answered, before = exchange.answered, dict(delivery.counts) if delivery else {}
        self.events.emit("hub.draining", drain_timeout=timeout, exchanges=exchange.open,
                         deliveries=delivery.in_flight if delivery else 0,
                         connections=len(self.site.channels) if self.site else 0)
        error = None
        try:
            stopped_listening = self.port.stopListening() if self.port is not None else None
            if self.files is not None:
                await defer.Deferred.fromCoroutine(self.files.stop())
            if self.site is not None:
                self.site.drain()
            deadline = self._deadline = clock.callLater(timeout, self._cut)
            waits = [defer.Deferred.fromCoroutine(exchange.idle())]
            if delivery is not None:
                waits.append(defer.Deferred.fromCoroutine(delivery.drain()))
            await defer.gatherResults(waits, consumeErrors=True)
            within = deadline.active()
            if within:
                deadline.cancel()
            if self.inspection is not None:  # no exchange is open: nothing is left inside
                await defer.Deferred.fromCoroutine(self.inspection.stop())
            # a retention run in progress uses the stores from a thread: it ends between two
            # batches (the next run deletes the rest)
            if self._retention_timer is not None and self._retention_timer.running:
                self._retention_timer.stop()
            self._retention_stop.set()
            if self._retention_run is not None:
                await self._retention_run
            if stopped_listening is not None:
                await stopped_listening
            if self.site is not None:  # the answers written go out before the reactor stops
                closed = self.site.close_connections()
                closed.addTimeout(CLOSE_TIMEOUT, clock)
                try:
                    await closed
                except defer.TimeoutError:
                    self.site.abort_connections()
            # Only once no thread is inside the store may it be closed (SQLite: a connection
            # closed under a running statement crashes the process).
            if self.threads is not None:
                await defer.Deferred.fromCoroutine(self.threads.stop())
            if delivery is not None:
                delivery.store.close()
            await self.forwarder.close()
        except Exception as exc:  # said on stdout; the stores below are still closed
            error, within = f"{exc.__class__.__name__}: {exc}", False
        finally:
            try:
                if self.archive is not None:
                    self.archive.close()
                    if self.archive.lost:  # writing failed to the end of the drain
                        self.events.emit("payload_archive.lost", count=self.archive.lost)
                self.refusals.stop()
                if self._follower is not None and self._follower.running:
                    self._follower.stop()
                self.seen_messages.close()  # no exchange is open any more
                if self.admin_listener is not None:  # last: /ready says "not ready" until the end
                    await self.admin_listener.stop()
                self.routing_log.checkpoint_head()  # the last head, printed as the hub stops
                self.routing_log.close()
                if self.routing_log.lost:  # writing failed to the end: the next start records a gap
                    self.events.emit("routing_log.lost", count=self.routing_log.lost)
            except Exception as exc:
                error, within = error or f"{exc.__class__.__name__}: {exc}", False
            self.state = HubState.STOPPED
        after = delivery.counts if delivery else {}
        self.events.emit(
            "hub.stopped", drained=within, seconds=round(clock.seconds() - began, 3),
            exchanges_answered=exchange.answered - answered, exchanges_cut=exchange.cut,
            requests_refused=self.site.refused_while_draining if self.site else 0,
            deliveries={k: after[k] - before.get(k, 0) for k in after},
            **({"error": error} if error else {}))
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.callback(None)

    def _cut(self) -> None:
        """The drain deadline: what still waits for a provider or subscriber is cut."""
        self.events.emit("hub.drain_deadline", exchanges=self.exchange.open,
                         deliveries=self.delivery.in_flight if self.delivery else 0)
        self.forwarder.abort(Finding("hub:drain_timeout", "the hub is stopping and the "
                                     "exchange did not complete within its drain timeout"))
