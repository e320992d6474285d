"""Forwarding to providers over persistent pooled HTTP connections (twisted.web.client.Agent).

The pool keeps many connections per provider: the default of two halves throughput
(docs/performance.md). ``[hub] max_connections_per_provider`` caps the connections open to one
provider (scheme, host, port): twisted's pool caps only the idle ones it keeps, and opens a new
connection for every request beyond them, so a burst opened hundreds. Here a post takes one of
the provider's N slots before it uses a connection and gives it back once the answer is read,
so at most N are open; the rest wait in arrival order, their timeout counting from arrival (a
request that waited too long gets PF-PROVIDER-TIMEOUT and never reaches the provider).
Failures are mapped to the hub's fault codes here, at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from urllib.parse import urlsplit

from twisted.internet import defer, error
from twisted.web.client import (Agent, FileBodyProducer, HTTPConnectionPool,
                                PartialDownloadError, ResponseFailed, readBody)
from twisted.web.http_headers import Headers
from twisted.web.iweb import UNKNOWN_LENGTH

from ..core import faults
from ..core.faults import HubFault
from ..core.findings import Finding

_UNREACHABLE = (error.ConnectError, error.DNSLookupError, error.ConnectionRefusedError,
                error.NoRouteError, error.TCPTimedOutError)


@dataclass(frozen=True)
class ProviderAnswer:
    status: int
    content_type: str | None
    body: bytes


class Forwarder:
    def __init__(self, reactor, max_per_provider: int = 64, connect_timeout: float = 5.0,
                 tls=None):
        """``tls``: the IPolicyForHTTPS for https:// providers (bus.hub.tls.ProviderTLSPolicy);
        None: Twisted's default (the system's trust store)."""
        self._reactor = reactor
        self.pool = HTTPConnectionPool(reactor, persistent=True)
        self.pool.maxPersistentPerHost = max_per_provider
        self.pool.retryAutomatically = False  # a retried POST could be applied twice
        extra = {"contextFactory": tls} if tls is not None else {}
        self._agent = Agent(reactor, pool=self.pool, connectTimeout=connect_timeout, **extra)
        self.max_per_provider = max_per_provider
        self._slots: dict[tuple[str, str, int], defer.DeferredSemaphore] = {}
        self._in_flight: set[defer.Deferred] = set()
        self._stopping: Finding | None = None  # set by abort(): why cut posts fail

    @property
    def in_flight(self) -> int:
        """Posts not yet answered, those waiting for a connection included."""
        return len(self._in_flight)

    @property
    def waiting(self) -> int:
        """Posts waiting for one of their provider's connections (all N busy)."""
        return sum(len(s.waiting) for s in self._slots.values())

    def _provider_slots(self, url: str) -> defer.DeferredSemaphore:
        # The pool's own key: one provider = one scheme, host and port.
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "",
               parts.port or (443 if parts.scheme == "https" else 80))
        slots = self._slots.get(key)
        if slots is None:
            slots = self._slots[key] = defer.DeferredSemaphore(self.max_per_provider)
        return slots

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
        headers = Headers({b"Content-Type": [content_type.encode("latin-1")]})
        if soap_action is not None:
            headers.addRawHeader(b"SOAPAction", soap_action.encode("latin-1"))
        stage = ["waiting"]  # then "sent": which of the two the timeout cut
        d = self._when_free(self._provider_slots(url), url.encode("ascii"), headers, body, stage)
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
            if isinstance(exc, _UNREACHABLE):
                raise HubFault(faults.PROVIDER_UNREACHABLE, (Finding(
                    "provider:connect", f"cannot connect: {exc.__class__.__name__}"),)) from None
            tls_error = _tls_error(exc)
            if tls_error is not None:
                raise HubFault(faults.PROVIDER_UNREACHABLE, (Finding(
                    "provider:tls", f"TLS with the provider failed: {tls_error}"),)) from None
            if isinstance(exc, (ResponseFailed, error.ConnectionLost, error.ConnectionDone)):
                raise HubFault(faults.PROVIDER_UNREACHABLE, (Finding(
                    "provider:connection", "the connection failed before a complete answer: "
                    f"{exc.__class__.__name__}"),)) from None
            raise
        finally:
            self._in_flight.discard(d)
            if timer.active():
                timer.cancel()

    @defer.inlineCallbacks
    def _when_free(self, slots: defer.DeferredSemaphore, url: bytes, headers: Headers,
                   body: bytes, stage: list[str]):
        # One Deferred for slot + request + body, so a timeout cancels whichever is in progress
        # (a cancelled wait leaves the queue and holds no slot).
        yield slots.acquire()
        stage[0] = "sent"
        try:
            return (yield self._exchange(url, headers, body))
        finally:
            # The body is read: twisted has put the connection back in the pool already (its
            # quiescent callback runs before the body's end), so the next waiter reuses it.
            slots.release()

    @defer.inlineCallbacks
    def _exchange(self, url: bytes, headers: Headers, body: bytes):
        response = yield self._agent.request(b"POST", url, headers,
                                             FileBodyProducer(BytesIO(body)))
        try:
            content = yield readBody(response)
        except PartialDownloadError as exc:
            # an HTTP/1.0 answer without Content-Length ends where the provider closes the
            # connection (RFC 9112 6.3): complete, though Twisted calls it possible data loss
            if response.length != UNKNOWN_LENGTH:
                raise
            content = exc.response
        ctype = response.headers.getRawHeaders(b"content-type", [None])[0]
        return ProviderAnswer(response.code, ctype.decode("latin-1") if ctype else None, content)

    def close(self) -> defer.Deferred:
        return self.pool.closeCachedConnections()


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
