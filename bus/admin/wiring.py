"""The operators' side of a hub: the observer (always: events on stdout), and with ``[admin]``
the metrics, controls, readiness probe and the admin listener. ``operators`` is built before the
hub's parts (they take it in their constructors), ``admin_service`` once they exist."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twisted.internet import defer, task

from ..core.config import ConfigError
from ..core.jsonlog import JsonLineLog
from . import state_file
from .controls import LiveControls
from .metrics import HubMetrics
from .observer import HubObserver
from .sessions import Sessions, TokenFileError, load_token_file
from .state_file import StateFileError
from .traffic import Traffic

PROBE_INTERVAL = 5.0  # seconds between store probes (readiness, queue gauges)


@dataclass(frozen=True)
class Operators:
    """What the hub's parts are built with, before they are built: the observer (always), and
    with ``[admin]`` the controls in force, the metrics and the dashboard's traffic."""

    observer: HubObserver
    controls: LiveControls | None = None
    metrics: HubMetrics | None = None
    traffic: Traffic | None = None


def operators(config, catalog, events: JsonLineLog) -> Operators:
    """The operators' side of a hub about to be assembled (``Hub.__init__`` passes its parts to
    the exchange, the delivery service and the refusal log); a bad state file is a config error."""
    if config.admin is None:
        return Operators(HubObserver(events))
    try:
        saved = state_file.load(config.admin.state)
    except StateFileError as exc:
        raise ConfigError(f"{config.path}: admin.state: {exc}") from None
    metrics = HubMetrics(catalog.services, [r.provider.id for r in config.registry],
                         sorted(config.registry.all_subscribers()), config.node_id)
    traffic = Traffic()
    return Operators(HubObserver(events, metrics, traffic),
                     LiveControls(saved, config.admin.retry_after), metrics, traffic)


def admin_service(hub, ops: Operators):
    """The AdminService of an assembled hub, or None without ``[admin]``."""
    if ops.controls is None or ops.metrics is None or ops.traffic is None:
        return None
    from .service import AdminService
    return AdminService(hub, hub.reactor, hub.events, ops.controls, ops.metrics, ops.traffic)


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


def follow_state_file(reactor, path: Path, controls: LiveControls, events: JsonLineLog,
                      every: float = 1.0) -> task.LoopingCall:
    """Workers 2..N of ``pfbus serve --workers N`` (bus/hub/workers.py): the admin listener is
    worker 1's, which records a change and saves it to ``[admin] state`` before it takes effect;
    the other workers take it from there within ``every`` seconds (a stat per second; the file
    is read only when it changed, and it is always whole: saved by an atomic rename)."""
    seen: list[tuple[int, int] | None] = [None]

    def look() -> None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return
        mark = (stat.st_mtime_ns, stat.st_ino)
        if mark == seen[0]:
            return
        try:
            controls.current = state_file.load(path)
        except StateFileError as exc:  # keep what is in force; say so once per change
            events.emit("admin.state_unreadable", error=str(exc))
        else:
            events.emit("admin.controls_followed", controls=controls.current.to_json())
        seen[0] = mark

    follower = task.LoopingCall(look)
    follower.clock = reactor
    follower.start(every, now=True)
    return follower
