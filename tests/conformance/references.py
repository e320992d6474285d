"""The reference adapters, served in this process, and variants of them with changed handlers.

Vendor A (住民基本台帳) and vendor B (個人住民税) run as the SDK's ProviderApp on loopback, each on
its own seeded in-memory store, exactly as their ``__main__`` builds them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from twisted.web.resource import Resource

from adapters.sdk.provider import ProviderApp
from adapters.sdk.testing import Server, serve
from adapters.vendor_a_registry import service as vendor_a
from adapters.vendor_a_registry.mapping import MappingError
from adapters.vendor_a_registry.store import RegistryStore, UnknownExtract, seed as seed_a
from adapters.vendor_b_tax import service as vendor_b
from adapters.vendor_b_tax.mapping import MappingError as VendorBMappingError
from adapters.vendor_b_tax.notices import notice_handlers
from adapters.vendor_b_tax.store import TaxStore, seed as seed_b
from adapters.vendor_c_kokuho import service as vendor_c
from adapters.vendor_c_kokuho.notices import notice_handlers as vendor_c_notice_handlers
from adapters.vendor_c_kokuho.store import KokuhoStore, seed as seed_c
from bus.core.header import Party
from conformance.commands import CallableCommand

from . import observe_vendor_c
from .observe_vendor_b import observe

JUKI_PROFILE, TAX_PROFILE = "juki.provider", "kojinjuminzei.provider"
SUB_PROFILE = "kojinjuminzei.subscriber"
KOKUHO_PROFILE, KOKUHO_SUB_PROFILE = "kokuho.provider", "kokuho.subscriber"
SUBSCRIBER_PROFILES = (SUB_PROFILE, KOKUHO_SUB_PROFILE)
PARTIES = {JUKI_PROFILE: Party("131016", "01", "vendor-a-juki"),
           KOKUHO_PROFILE: Party("131016", "11", "vendor-c-kokuho"),
           KOKUHO_SUB_PROFILE: Party("131016", "11", "vendor-c-kokuho"),
           TAX_PROFILE: Party("131016", "07", "vendor-b-tax"),
           SUB_PROFILE: Party("131016", "07", "vendor-b-tax")}

# spyne logs every fault it answers at ERROR with a traceback; the faults here are on purpose.
logging.getLogger("spyne").setLevel(logging.CRITICAL)
logging.getLogger("adapters.sdk.provider").setLevel(logging.CRITICAL)


@dataclass
class Sut:
    """A product under test: where it answers, what it publishes, what the run must be told."""

    url: str
    wsdl: str | None = None
    params: dict = field(default_factory=dict)
    observe: CallableCommand | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in self.closers:
            close()


class References:
    def __init__(self) -> None:
        self.juki_store = RegistryStore.open()
        seed_a(self.juki_store)
        self.tax_store = TaxStore.open()
        seed_b(self.tax_store)
        self.subscriber_store = TaxStore.open()  # vendor B receiving 異動通知, a store of its own
        self.kokuho_store = KokuhoStore.open()
        seed_c(self.kokuho_store)
        # vendor C receiving 異動通知 (`serve --seed`), a store of its own: the provider cases'
        # 被保険者 stay as seeded
        self.kokuho_subscriber_store = KokuhoStore.open()
        seed_c(self.kokuho_subscriber_store)
        self._servers: list[Server] = []
        self._urls: dict[str, str] = {}

    def handlers(self, profile: str) -> dict:
        if profile == JUKI_PROFILE:
            return vendor_a.handlers(self.juki_store)
        if profile == SUB_PROFILE:
            return notice_handlers(self.subscriber_store)
        if profile == KOKUHO_PROFILE:
            return vendor_c.handlers(self.kokuho_store)
        if profile == KOKUHO_SUB_PROFILE:
            return vendor_c_notice_handlers(self.kokuho_subscriber_store)
        return vendor_b.handlers(self.tax_store)

    def app(self, profile: str, handlers: Mapping | None = None, party: Party | None = None,
            **options) -> str:
        """Serve a ProviderApp of ``profile``'s vendor (its handlers, or ``handlers``), as its
        own party or as ``party`` (another vendor's product with the same data)."""
        errors = {MappingError: "VENDOR-A-DATA-ERROR"} if profile == JUKI_PROFILE else \
            vendor_c.ERRORS if profile in (KOKUHO_PROFILE, KOKUHO_SUB_PROFILE) \
            else {VendorBMappingError: "VENDOR-B-DATA-ERROR"}
        # an unknown ExtractId is the client's error (docs/notices.md)
        client_errors = {UnknownExtract: "VENDOR-A-EXTRACT-UNKNOWN"} if profile == JUKI_PROFILE \
            else {}
        app = ProviderApp(party or PARTIES[profile], handlers or self.handlers(profile), errors=errors,
                          client_errors=client_errors, **options)
        root = Resource()
        root.putChild(b"soap", app.resource())
        return self.serve(root) + "/soap"

    def serve(self, root: Resource) -> str:
        """Serve ``root`` on loopback until ``close``; its base URL."""
        server = serve(root)
        self._servers.append(server)
        return server.url

    def url(self, profile: str) -> str:
        """The reference adapter of ``profile`` (one server, shared)."""
        if profile not in self._urls:
            self._urls[profile] = self.app(profile)
        return self._urls[profile]

    def closer_of_new_servers(self) -> Callable[[], None]:
        """What closes the servers started from now on (a test's faulty variants), keeping the
        shared ones: a module's tests would otherwise leave one listening server each, and every
        later test's reactor turn pays for them."""
        mark = len(self._servers)

        def close() -> None:
            started, self._servers[mark:] = self._servers[mark:], []
            urls = {s.url for s in started}
            self._urls = {p: u for p, u in self._urls.items() if u.removesuffix("/soap") not in urls}
            for server in started:
                server.close()
        return close

    def observe_vendor_b(self, values) -> tuple[int, str]:
        """The --observe contract for vendor B's subscriber (observe_vendor_b.py), in process."""
        return observe(self.subscriber_store, values["addressee_number"])

    def observe_vendor_c(self, values) -> tuple[int, str]:
        """The --observe contract for vendor C's subscriber (observe_vendor_c.py), in process."""
        return observe_vendor_c.observe(self.kokuho_subscriber_store, values["addressee_number"])

    def observer(self, profile: str) -> CallableCommand | None:
        if profile == SUB_PROFILE:
            return CallableCommand(self.observe_vendor_b, "vendor-b observe")
        if profile == KOKUHO_SUB_PROFILE:
            return CallableCommand(self.observe_vendor_c, "vendor-c observe")
        return None

    def close(self) -> None:
        for server in self._servers:
            server.close()
        for store in (self.juki_store, self.tax_store, self.subscriber_store, self.kokuho_store,
                      self.kokuho_subscriber_store):
            store.close()
