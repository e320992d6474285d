"""Forwarding to providers over persistent HTTP/1.1 connections, at most N open per provider.

The pool keeps many connections per provider: the default of two halves throughput
(docs/performance.md). ``[hub] max_connections_per_provider`` caps the connections open to one
provider (scheme, host, port) (twisted's pool, used before, capped only the idle ones it kept,
so a burst opened hundreds). A post takes one of the provider's N slots before it uses a
connection and gives it back once the answer is read, so at most N are open; the rest wait in
arrival order, their timeout counting from arrival (a request that waited too long gets
PF-PROVIDER-TIMEOUT and never reaches the provider).
Failures are mapped to the hub's fault codes here, at the edge. An answer is held in memory
until it is checked, so it is bounded like a request (``[hub] max_message_bytes``): a larger one
is cut as it passes the limit (or refused from its Content-Length, unread) and its connection
closed — a provider cannot make the hub hold an answer of any size.

Requests go over the hub's own persistent-connection client (bus/hub/provider_client.py, its
strict answer parser bus/hub/http_answer.py): each provider's endpoint, request line and Host
header are made once, and a request is written as one piece, head and body.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from twisted.internet import defer, error
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.web.client import BrowserLikePolicyForHTTPS

from ..core import faults
from ..core.faults import HubFault
from ..core.findings import Finding
from .http_answer import Answer, AnswerTooLarge, MalformedAnswer
from .provider_client import ConnectionFailed, ProviderLink

_UNREACHABLE = (error.ConnectError, error.DNSLookupError, error.ConnectionRefusedError,
                error.NoRouteError, error.TCPTimedOutError)

ProviderAnswer = Answer  # status, content type, body (and whether the connection stays open)


@dataclass(frozen=True)
class _Target:
    """One provider URL, resolved once: the pool's key (scheme, host, port: one provider), the
    request target, the head's start (request line and Host) and the provider's connections."""

    key: tuple[str, str, int]
    path: bytes
    start: bytes
    link: ProviderLink


class Forwarder:
    def __init__(self, reactor, max_per_provider: int = 64, connect_timeout: float = 5.0,
                 tls=None, max_answer_bytes: int = 8 * 1024 * 1024):
        """``tls``: the IPolicyForHTTPS for https:// providers (bus.hub.tls.ProviderTLSPolicy);
        None: Twisted's default (the system's trust store)."""
        self._reactor = reactor
        self.max_answer_bytes = max_answer_bytes
        self._tls = tls if tls is not None else BrowserLikePolicyForHTTPS()
        self._connect_timeout = connect_timeout
        self.max_per_provider = max_per_provider
        self._links: dict[tuple[str, str, int], ProviderLink] = {}
        self._targets: dict[bytes, _Target] = {}  # the configured providers' and subscribers'
        self._in_flight: set[defer.Deferred] = set()
        self._stopping: Finding | None = None  # set by abort(): why cut posts fail

    @property
    def in_flight(self) -> int:
        """Posts not yet answered, those waiting for a connection included."""
        return len(self._in_flight)

    @property
    def waiting(self) -> int:
        """Posts waiting for one of their provider's connections (all N busy)."""
        return sum(len(link.slots.waiting) for link in self._links.values())

    def _target(self, url: bytes) -> _Target:
        target = self._targets.get(url)
        if target is None:
            parts = urlsplit(url.decode("ascii"))
            host, https = parts.hostname or "", parts.scheme == "https"
            port = parts.port or (443 if https else 80)
            key = (parts.scheme, host, port)  # one provider = one scheme, host and port
            link = self._links.get(key)
            if link is None:
                link = self._links[key] = ProviderLink(
                    self._reactor, lambda: self._endpoint(key), self.max_per_provider)
            netloc = f"[{host}]" if ":" in host else host
            if parts.port is not None and parts.port != (443 if https else 80):
                netloc += f":{port}"
            path = ((parts.path or "/") + (f"?{parts.query}" if parts.query else "")).encode(
                "ascii")
            target = self._targets[url] = _Target(
                key, path, b"POST %s HTTP/1.1\r\nHost: %s\r\n" % (path, netloc.encode("idna")),
                link)
        return target

    def _endpoint(self, key: tuple[str, str, int]) -> IStreamClientEndpoint:
        """How new connections to one provider are made (TLS for https)."""
        scheme, host, port = key
        endpoint: IStreamClientEndpoint = HostnameEndpoint(self._reactor, host, port,
                                                           timeout=self._connect_timeout)
        if scheme == "https":
            endpoint = wrapClientTLS(self._tls.creatorForNetloc(host.encode("idna"), port),
                                     endpoint)
        return endpoint

    def abort(self, why: Finding) -> None:
        """Cut every post in flight, and refuse new ones, with PF-HUB-STOPPING: the hub's drain
        deadline has passed. Each caller answers or releases its message as that fault says."""
        self._stopping = why
        for d in list(self._in_flight):
            d.cancel()

    async def post(self, url: str, body: bytes, content_type: str, soap_action: str | None,
                   timeout: float) -> ProviderAnswer:
        """POST ``body`` unchanged to the provider; raise HubFault when it fails to answer."""
        if self._stopping is not None:
            raise HubFault(faults.HUB_STOPPING, (self._stopping,))
        target = self._target(url.encode("ascii"))
        headers = b"Content-Type: %s\r\n" % _field_value(content_type)
        if soap_action is not None:
            headers += b"SOAPAction: %s\r\n" % _field_value(soap_action)
        stage = ["waiting"]  # then "sent": which of the two the timeout cut
        d = self._when_free(target, headers, body, stage)
        self._in_flight.add(d)
        # Cancelling surfaces as different errors depending on the stage it hit (waiting for a
        # connection, connecting, waiting, reading the body), so whether it was the timeout is
        # remembered here.
        expired = []

        def expire() -> None:
            expired.append(True)
            d.cancel()

        timer = self._reactor.callLater(timeout, expire)
        try:
            return await d
        except Exception as exc:
            if self._stopping is not None:
                raise HubFault(faults.HUB_STOPPING, (self._stopping,)) from None
            if expired and stage[0] == "waiting":
                raise HubFault(faults.PROVIDER_TIMEOUT, (Finding(
                    "provider:timeout", f"no connection to the provider free within "
                    f"{timeout:g} s: all {self.max_per_provider} busy "
                    "(max_connections_per_provider)"),)) from None
            if expired:
                raise HubFault(faults.PROVIDER_TIMEOUT, (Finding(
                    "provider:timeout", f"no complete answer within {timeout:g} s"),)) from None
            if isinstance(exc, AnswerTooLarge):
                raise HubFault(faults.PROVIDER_INVALID, (Finding(
                    "provider:max_bytes", f"the answer is larger than {self.max_answer_bytes} "
                    "bytes ([hub] max_message_bytes): cut, its connection closed"),)) from None
            if isinstance(exc, _UNREACHABLE):
                raise HubFault(faults.PROVIDER_UNREACHABLE, (Finding(
                    "provider:connect", f"cannot connect: {exc.__class__.__name__}"),)) from None
            tls_error = _tls_error(exc)
            if tls_error is not None:
                raise HubFault(faults.PROVIDER_UNREACHABLE, (Finding(
                    "provider:tls", f"TLS with the provider failed: {tls_error}"),)) from None
            if isinstance(exc, (ConnectionFailed, MalformedAnswer, error.ConnectionLost,
                                error.ConnectionDone)):
                what = ("the answer is not HTTP/1.1 as this hub reads it, its connection closed"
                        if isinstance(exc, MalformedAnswer) else
                        "the connection failed before a complete answer")
                raise HubFault(faults.PROVIDER_UNREACHABLE, (Finding(
                    "provider:connection", f"{what}: {exc}"),)) from None
            raise
        finally:
            self._in_flight.discard(d)
            if timer.active():
                timer.cancel()

    def _when_free(self, target: _Target, headers: bytes, body: bytes,
                   stage: list[str]) -> defer.Deferred:
        # One Deferred for slot + request + answer, so a timeout cancels whichever is in
        # progress (a cancelled wait leaves the queue and holds no slot). Plain callbacks: a
        # chained Deferred's cancel reaches the step in progress.
        slots = target.link.slots

        def acquired(_) -> defer.Deferred:
            stage[0] = "sent"
            return self._exchange(target, headers, body)

        def release(result):
            if stage[0] == "sent":
                # The answer is read: its connection is idle again (or closed) already, so the
                # next waiter reuses it or may open one.
                slots.release()
            return result

        return slots.acquire().addCallback(acquired).addBoth(release)

    def _exchange(self, target: _Target, headers: bytes, body: bytes) -> defer.Deferred:
        """One POST of ``body`` to ``target``; fires with its ``ProviderAnswer``. ``headers``:
        the request's Content-Type and SOAPAction lines."""
        return target.link.exchange(b"%s%sContent-Length: %d\r\n\r\n%s" % (
            target.start, headers, len(body), body), self.max_answer_bytes)

    def close(self) -> defer.Deferred:
        """Close the idle connections; fires once they have ended."""
        return defer.gatherResults([link.close() for link in self._links.values()])


def _field_value(text: str) -> bytes:
    """A header value as sent: latin-1, a line break or other control character as a space (a
    value must not end the header line)."""
    value = text.encode("latin-1")
    if not text.isprintable():
        value = bytes(32 if c < 32 or c == 127 else c for c in value)
    return value


def _tls_error(exc: Exception) -> str | None:
    """A short reason when ``exc`` is (or wraps) a TLS failure: verification, handshake."""
    from OpenSSL import SSL

    reasons = [f.value for f in getattr(exc, "reasons", [])] or [exc]
    for reason in reasons:
        if isinstance(reason, SSL.Error):
            args = reason.args[0] if reason.args else []
            texts = [a[2] for a in args if isinstance(a, tuple) and len(a) == 3]
            return "; ".join(texts) or "handshake failed"
        if reason.__class__.__name__ == "VerificationError":  # service_identity: host name
            return "the certificate does not name this host"
    return None
