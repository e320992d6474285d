"""Assembling a hub from its configuration, and running it."""

from __future__ import annotations

import sys
from typing import cast

from twisted.internet import defer
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IListeningPort

from ..admin import wiring as admin_wiring
from ..core.catalog import Catalog
from ..core.config import ConfigError, HubConfig
from ..core.config_checks import catalog_findings
from ..core.inspection import Inspector
from ..core.jsonlog import JsonLineLog
from ..core.ratelimit import Admission
from ..core.shrink import CharacterAudit
from ..core.validator import MessageValidator
from ..store.archive import ArchiveError, open_configured
from ..store.routing_log import RoutingLog
from ..store.notices import open_notice_store
from .delivery import DeliveryService
from .exchange import SyncExchange
from .forwarder import Forwarder
from .http import HubSite
from .notices import NoticeIntake, StoreThreads
from .refusal_log import RefusalLog
from .resource import HubResource
from .tls import ProviderTLSPolicy, server_options
from .wsdl import WsdlPublisher


class Hub:
    """A running hub: listening port, routing log, connection pool."""

    def __init__(self, config: HubConfig, reactor, events: JsonLineLog | None = None):
        self.config = config
        self.reactor = reactor
        self.events = events or JsonLineLog(sys.stderr)
        # Everything compiled here, once: the hot path compiles nothing per request.
        self.catalog = Catalog.load(config.catalogs)
        self._check_routes()
        validator = MessageValidator(
            self.catalog, {code: t.addressee_scheme for code, t in config.tenants.items()},
            characters={code: t.characters for code, t in config.tenants.items()},
            gaiji={party: s.registered_gaiji for party, s in config.systems.items()})
        self.inspector = Inspector(self.catalog, validator, config.registry, config.limits,
                                   access=config.access)
        try:  # [store] archive: payloads encrypted at rest (off by default); before any thread
            self.archive = open_configured(config)
        except ArchiveError as exc:
            raise ConfigError(f"{config.path}: store.archive: {exc}") from None
        # Every N records the chain's head hash goes to the JSON operator log, so it leaves the
        # machine: a rewritten or truncated routing log shows against it (pfbus log verify --anchor).
        self.routing_log = RoutingLog(config.routing_log, on_checkpoint=lambda hop_id, digest:
                                      self.events.emit("routing_log.checkpoint", id=hop_id,
                                                       hash=digest))
        self.forwarder = Forwarder(reactor, config.max_connections_per_provider,
                                   tls=ProviderTLSPolicy(config.provider_ca,
                                                         config.client_certificate,
                                                         config.client_key))
        self.delivery: DeliveryService | None = None
        intake = None
        subscribers = config.registry.all_subscribers()
        if subscribers and config.notice_store:
            store = open_notice_store(config.notice_store)
            threads = StoreThreads(reactor)
            self.delivery = DeliveryService(reactor, store, threads, subscribers, self.forwarder,
                                            self.inspector, self.routing_log, config.node_id)
            intake = NoticeIntake(store, threads, self.delivery.notify)
        self.exchange = SyncExchange(self.inspector, self.forwarder, self.routing_log,
                                     self.events, intake, characters=CharacterAudit(
                                         self.catalog, {party: s.receiver for party, s
                                                        in config.systems.items()}),
                                     admission=Admission(config.adapter_limits),
                                     archive=self.archive)
        self.publisher = WsdlPublisher(self.catalog)  # addressed once the port is bound
        self.port: IListeningPort | None = None
        self.url: str | None = None
        # TLS and HTTP refusals before a message is read: one line per peer per interval.
        self.refusals = RefusalLog(self.events, reactor)
        # The operators' side: events, and with [admin] metrics, controls, the admin listener.
        self.admin = admin_wiring.attach(self)
        self.admin_listener = (admin_wiring.AdminListener(self, self.admin)
                               if self.admin is not None else None)

    def _check_routes(self) -> None:
        """Routes, subscriptions and access rules name services of the loaded catalogs."""
        findings = catalog_findings(self.config, self.catalog)
        if findings:
            raise ConfigError(findings[0])

    def listen(self):
        """Bind the listening socket; returns the bound port number."""
        # Size, Content-Type and read-time limits act before a body is read (bus/hub/http.py).
        config = self.config
        if config.tls is None and not config.allow_plain_http:
            raise ConfigError(f"{config.path}: hub.tls: is required: the hub listens over TLS "
                              "([hub] tls = { certificate, key, client_ca }); plain HTTP only "
                              "with [hub] allow_plain_http = true, for development")
        site = HubSite(HubResource(self.exchange, self.publisher, access=config.access),
                       config.limits, config.read_timeout, self.events, self.refusals)
        if config.tls is not None:
            try:
                options = server_options(config, config.access)
            except Exception as exc:  # unreadable PEM, a key that does not match …
                raise ConfigError(f"{config.path}: hub.tls: cannot load the certificate, key or "
                                  f"client CA: {exc.__class__.__name__}: {exc}") from None
            self.port = self.reactor.listenSSL(config.port, site, options,
                                               interface=config.host)
        else:
            self.port = self.reactor.listenTCP(config.port, site, interface=config.host)
        bound = cast(IPv4Address | IPv6Address, self.port.getHost()).port
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
        self.events.emit("hub.listening", url=self.url, catalogs=[s.name for s in
                                                                  self.catalog.sources],
                         services=len(self.catalog.services), routes=len(self.config.registry),
                         routing_log=str(self.config.routing_log))
        if self.admin_listener is not None:
            self.admin_listener.listen()
        return bound

    @defer.inlineCallbacks
    def stop(self):
        if self.port is not None:
            yield self.port.stopListening()
        if self.delivery is not None:
            yield defer.Deferred.fromCoroutine(self.delivery.stop())
            self.delivery.store.close()
        yield self.forwarder.close()
        if self.archive is not None:
            self.archive.close()
        self.refusals.stop()
        if self.admin_listener is not None:  # last: /ready answers "not ready" until the end
            yield self.admin_listener.stop()
        self.routing_log.checkpoint_head()  # the last head, printed as the hub stops
        self.routing_log.close()
        self.events.emit("hub.stopped")
