"""Attaching the operators' side to a hub: the observer (always: events on stdout), and with
``[admin]`` the metrics, controls, readiness probe and the admin listener."""

from __future__ import annotations

from typing import Any

from twisted.internet import defer, task

from ..core.config import ConfigError
from .observer import HubObserver
from .sessions import Sessions, TokenFileError, load_token_file
from .state_file import StateFileError

PROBE_INTERVAL = 5.0  # seconds between store probes (readiness, queue gauges)


def attach(hub):
    """Give the hub's exchange and delivery service their observer (and controls); returns the
    AdminService, or None without ``[admin]``."""
    admin = None
    if hub.config.admin is not None:
        from .service import AdminService
        try:
            admin = AdminService(hub, hub.reactor, hub.events)
        except StateFileError as exc:
            raise ConfigError(f"{hub.config.path}: admin.state: {exc}") from None
    observer = HubObserver(hub.events, admin.metrics if admin else None,
                           admin.traffic if admin else None)
    hub.exchange.observer = observer
    if hub.delivery is not None:
        hub.delivery.observer = observer
    hub.refusals.observer = observer
    if admin is not None:
        admin.apply()
    return admin


class AdminListener:
    def __init__(self, hub, admin):
        self.hub = hub
        self.admin = admin
        self.port = None
        self.url: str | None = None
        self._probing: task.LoopingCall | None = None

    def listen(self) -> str:
        from .server import make_site

        settings = self.admin.settings
        try:
            tokens = load_token_file(settings.token_file) if settings.token_file else {}
        except TokenFileError as exc:
            raise ConfigError(f"{self.hub.config.path}: admin.token_file: {exc}") from None
        sessions = Sessions(tokens, settings.client_roles, settings.session_ttl)
        site = make_site(self.admin, sessions, secure=settings.tls is not None)
        reactor = self.hub.reactor
        if settings.tls is not None:
            self.port = reactor.listenSSL(settings.port, site, _tls_options(settings.tls),
                                          interface=settings.host)
        else:
            self.port = reactor.listenTCP(settings.port, site, interface=settings.host)
        host = settings.host if ":" not in settings.host else f"[{settings.host}]"
        scheme = "https" if settings.tls is not None else "http"
        self.url = f"{scheme}://{host}:{self.port.getHost().port}"
        # `pfbus admin` finds a listener bound to port 0 here
        url_file = settings.state.with_name(settings.state.name + ".url")
        url_file.parent.mkdir(parents=True, exist_ok=True)
        url_file.write_text(self.url + "\n", encoding="utf-8")
        self._probing = task.LoopingCall(self._probe)
        self._probing.clock = reactor
        self._probing.start(PROBE_INTERVAL, now=True)
        self.hub.events.emit("admin.listening", url=self.url, console=bool(
            tokens or settings.client_roles), controls=self.admin.controls.to_json())
        return self.url

    def _probe(self):
        d = self.admin.probe()
        d.addErrback(lambda f: self.hub.events.emit("admin.probe_failed",
                                                    error=f.getErrorMessage()))
        return d

    @defer.inlineCallbacks
    def stop(self):
        if self._probing is not None and self._probing.running:
            self._probing.stop()
        if self.port is not None:
            yield self.port.stopListening()
        self.admin.close()


def _tls_options(tls):
    from twisted.internet import ssl

    pem = tls.certificate.read_bytes() + b"\n" + tls.key.read_bytes()
    cert = ssl.PrivateCertificate.loadPEM(pem)
    kwargs: dict[str, Any] = {}
    if tls.client_ca is not None:
        from twisted.internet.ssl import Certificate
        cas = [Certificate.loadPEM(tls.client_ca.read_bytes())]
        kwargs = {"verify": True, "caCerts": [c.original for c in cas],
                  "requireCertificate": False}
    return ssl.CertificateOptions(privateKey=cert.privateKey.original,
                                  certificate=cert.original, **kwargs)
