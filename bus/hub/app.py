"""Assembling a hub from its configuration, and running it."""

from __future__ import annotations

import sys

from twisted.internet import defer

from ..core.catalog import Catalog
from ..core.config import ConfigError, HubConfig
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
from .resource import HubResource
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
        self.inspector = Inspector(self.catalog, validator, config.registry, config.limits)
        try:  # [store] archive: payloads encrypted at rest (off by default); before any thread
            self.archive = open_configured(config)
        except ArchiveError as exc:
            raise ConfigError(f"{config.path}: store.archive: {exc}") from None
        # Every N records the chain's head hash goes to the JSON operator log, so it leaves the
        # machine: a rewritten or truncated routing log shows against it (pfbus log verify --anchor).
        self.routing_log = RoutingLog(config.routing_log, on_checkpoint=lambda hop_id, digest:
                                      self.events.emit("routing_log.checkpoint", id=hop_id,
                                                       hash=digest))
        self.forwarder = Forwarder(reactor, config.max_connections_per_provider)
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
                                     admission=Admission(config.adapter_limits))
        self.exchange.archive = self.archive
        self.port = None
        self.url: str | None = None

    def _check_routes(self) -> None:
        for route in self.config.registry:
            if self.catalog.service(route.service_id) is None:
                raise ConfigError(f"{self.config.path}: routes: service {route.service_id!r} is "
                                  f"not defined by any schema catalog")
        for service_id in self.config.registry.subscribed_services():
            service = self.catalog.service(service_id)
            if service is None or service.pattern != "notice":
                raise ConfigError(f"{self.config.path}: subscriptions: {service_id!r} is not a "
                                  f"notice service of any schema catalog")

    def listen(self):
        """Bind the listening socket; returns the bound port number."""
        # Size, Content-Type and read-time limits act before a body is read (bus/hub/http.py).
        site = HubSite(HubResource(self.exchange, None), self.config.limits,
                       self.config.read_timeout, self.events)
        self.port = self.reactor.listenTCP(self.config.port, site, interface=self.config.host)
        bound = self.port.getHost().port
        self.url = self.config.public_url or f"http://{self.config.host}:{bound}"
        # Addresses in WSDLs are known only once bound (port 0 = any free port).
        site.resource.publisher = WsdlPublisher(self.catalog, self.url)
        self.events.emit("hub.listening", url=self.url, catalogs=[s.name for s in
                                                                  self.catalog.sources],
                         services=len(self.catalog.services), routes=len(self.config.registry),
                         routing_log=str(self.config.routing_log))
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
        self.routing_log.checkpoint_head()  # the last head, printed as the hub stops
        self.routing_log.close()
        self.events.emit("hub.stopped")
