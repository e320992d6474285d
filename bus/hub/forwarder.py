"""Forwarding to providers over persistent pooled HTTP connections (twisted.web's HTTP/1.1 client).

The pool keeps many connections per provider: the default of two halves throughput
(docs/performance.md). ``[hub] max_connections_per_provider`` caps the connections open to one
provider (scheme, host, port): twisted's pool caps only the idle ones it keeps, and opens a new
connection for every request beyond them, so a burst opened hundreds. Here a post takes one of
the provider's N slots before it uses a connection and gives it back once the answer is read,
so at most N are open; the rest wait in arrival order, their timeout counting from arrival (a
request that waited too long gets PF-PROVIDER-TIMEOUT and never reaches the provider).
Failures are mapped to the hub's fault codes here, at the edge. An answer is held in memory
until it is checked, so it is bounded like a request (``[hub] max_message_bytes``): a larger one
is cut as it passes the limit (or refused from its Content-Length, unread) and its connection
closed — a provider cannot make the hub hold an answer of any size.

Requests go straight to twisted.web's HTTP/1.1 client protocol (``HTTP11ClientProtocol``, its
strict response parser) on the pool's connections, without ``Agent``: Agent parsed the URL,
built an endpoint and encoded the host name (IDNA) for every request, and sent the body
through a cooperator task a reactor turn later; here each provider's endpoint, pool key and
Host header are made once, and the body is written with the head.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from twisted.internet import defer, error, protocol
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.web.client import (BrowserLikePolicyForHTTPS, HTTPConnectionPool, Request,
                                ResponseDone, ResponseFailed)
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers
from twisted.web.iweb import UNKNOWN_LENGTH, IBodyProducer
from zope.interface import implementer

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


@dataclass(frozen=True)
class _Target:
    """One provider URL, resolved once: the pool's key (scheme, host, port: one provider), the
    request target and the Host header."""

    key: tuple[str, str, int]
    path: bytes
    host: bytes
    slots: defer.DeferredSemaphore


class AnswerTooLarge(Exception):
    """The provider's answer passed ``max_answer_bytes`` (declared or as received)."""


class Forwarder:
    def __init__(self, reactor, max_per_provider: int = 64, connect_timeout: float = 5.0,
                 tls=None, max_answer_bytes: int = 8 * 1024 * 1024):
        """``tls``: the IPolicyForHTTPS for https:// providers (bus.hub.tls.ProviderTLSPolicy);
        None: Twisted's default (the system's trust store)."""
        self._reactor = reactor
        self.max_answer_bytes = max_answer_bytes
        self.pool = HTTPConnectionPool(reactor, persistent=True)
        self.pool.maxPersistentPerHost = max_per_provider
        self.pool.retryAutomatically = False  # a retried POST could be applied twice
        self._tls = tls if tls is not None else BrowserLikePolicyForHTTPS()
        self._connect_timeout = connect_timeout
        self.max_per_provider = max_per_provider
        self._slots: dict[tuple[str, str, int], defer.DeferredSemaphore] = {}
        self._targets: dict[bytes, _Target] = {}  # the configured providers' and subscribers'
        self._endpoints: dict[tuple[str, str, int], IStreamClientEndpoint] = {}
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

    def _target(self, url: bytes) -> _Target:
        target = self._targets.get(url)
        if target is None:
            parts = urlsplit(url.decode("ascii"))
            host, https = parts.hostname or "", parts.scheme == "https"
            port = parts.port or (443 if https else 80)
            key = (parts.scheme, host, port)  # one provider = one scheme, host and port
            slots = self._slots.get(key)
            if slots is None:
                slots = self._slots[key] = defer.DeferredSemaphore(self.max_per_provider)
            netloc = f"[{host}]" if ":" in host else host
            if parts.port is not None and parts.port != (443 if https else 80):
                netloc += f":{port}"
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            target = self._targets[url] = _Target(key, path.encode("ascii"),
                                                  netloc.encode("idna"), slots)
        return target

    def _endpoint(self, key: tuple[str, str, int]) -> IStreamClientEndpoint:
        """How new connections to one provider are made (TLS for https)."""
        endpoint = self._endpoints.get(key)
        if endpoint is None:
            scheme, host, port = key
            endpoint = HostnameEndpoint(self._reactor, host, port,
                                        timeout=self._connect_timeout)
            if scheme == "https":
                endpoint = wrapClientTLS(self._tls.creatorForNetloc(host.encode("idna"), port),
                                         endpoint)
            self._endpoints[key] = endpoint
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
        headers = Headers({b"Host": [target.host],
                           b"Content-Type": [content_type.encode("latin-1")]})
        if soap_action is not None:
            headers.addRawHeader(b"SOAPAction", soap_action.encode("latin-1"))
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
            if isinstance(exc, (ResponseFailed, error.ConnectionLost, error.ConnectionDone)):
                raise HubFault(faults.PROVIDER_UNREACHABLE, (Finding(
                    "provider:connection", "the connection failed before a complete answer: "
                    f"{exc.__class__.__name__}"),)) from None
            raise
        finally:
            self._in_flight.discard(d)
            if timer.active():
                timer.cancel()

    def _when_free(self, target: _Target, headers: Headers, body: bytes,
                   stage: list[str]) -> defer.Deferred:
        # One Deferred for slot + request + body, so a timeout cancels whichever is in progress
        # (a cancelled wait leaves the queue and holds no slot). Plain callbacks: a chained
        # Deferred's cancel reaches the step in progress, as inlineCallbacks' did, for less.
        def acquired(_) -> defer.Deferred:
            stage[0] = "sent"
            return self._exchange(target, headers, body)

        def release(result):
            if stage[0] == "sent":
                # The body is read: twisted has put the connection back in the pool already
                # (its quiescent callback runs before the body's end), so the next waiter
                # reuses it.
                target.slots.release()
            return result

        return target.slots.acquire().addCallback(acquired).addBoth(release)

    def _exchange(self, target: _Target, headers: Headers, body: bytes) -> defer.Deferred:
        return self.pool.getConnection(target.key, self._endpoint(target.key)).addCallback(
            _send, target.path, headers, body, self.max_answer_bytes)

    def close(self) -> defer.Deferred:
        return self.pool.closeCachedConnections()


@implementer(IBodyProducer)
class _BytesBody:
    """A request body already in memory, written at once after the head (FileBodyProducer
    would write it from a cooperator task, a reactor turn later)."""

    def __init__(self, body: bytes) -> None:
        self.length = len(body)
        self._body = body

    def startProducing(self, consumer) -> defer.Deferred:
        consumer.write(self._body)
        return defer.succeed(None)

    def pauseProducing(self) -> None:
        pass

    def resumeProducing(self) -> None:
        pass

    def stopProducing(self) -> None:
        pass


class _BodyReader(protocol.Protocol):
    """Collects an answer's body; an HTTP/1.0 answer without Content-Length ends where the
    provider closes the connection (RFC 9112 6.3): complete, though Twisted calls it possible
    data loss."""

    def __init__(self, done: defer.Deferred, response, limit: int, close) -> None:
        self._done, self._response, self._left, self._close = done, response, limit, close
        self._parts: list[bytes] = []

    def dataReceived(self, data: bytes) -> None:
        self._left -= len(data)
        if self._left < 0:
            if not self._done.called:
                # closed first: the errback frees the slot, and the next waiter must not find
                # this connection still open (one more than max_connections_per_provider)
                self._close()
                self._done.errback(AnswerTooLarge())
            return
        self._parts.append(data)

    def connectionLost(self, reason=protocol.connectionDone) -> None:
        if self._done.called:  # cancelled: the connection's end comes later
            return
        response = self._response
        if reason.check(ResponseDone) or (reason.check(PotentialDataLoss)
                                          and response.length is UNKNOWN_LENGTH):
            ctype = response.headers.getRawHeaders(b"content-type", [None])[0]
            self._done.callback(ProviderAnswer(response.code, ctype.decode("latin-1")
                                               if ctype else None, b"".join(self._parts)))
        else:
            self._done.errback(reason)


def _send(connection, path: bytes, headers: Headers, body: bytes, limit: int) -> defer.Deferred:
    """One POST on ``connection`` (HTTP11ClientProtocol); fires with the whole answer."""
    return connection.request(Request(b"POST", path, headers, _BytesBody(body),
                                       persistent=True)).addCallback(_read_answer, connection,
                                                                     limit)


def _read_answer(response, connection, limit: int) -> defer.Deferred:
    """The answer with its whole body. Cancelled (the timeout), the connection is closed at
    once: it is not handed back to the pool with an answer half read, and no longer counts as
    open."""
    def close() -> None:
        if connection.transport is not None:
            connection.transport.abortConnection()

    if response.length is not UNKNOWN_LENGTH and response.length > limit:
        close()  # refused from its head: the body is never read
        return defer.fail(AnswerTooLarge())
    done: defer.Deferred = defer.Deferred(lambda _: close())
    response.deliverBody(_BodyReader(done, response, limit, close))
    return done


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
