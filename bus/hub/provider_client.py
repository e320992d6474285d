"""Persistent HTTP/1.1 connections to one provider: the forwarder's client.

``ProviderLink`` holds one provider's (scheme, host, port) connections: at most ``cap`` open at
once, each carrying one request at a time. A post takes one of the link's slots (``slots``, a
DeferredSemaphore: later posts wait in arrival order), then an idle connection — the one used
last — or a new one, and keeps the slot until its answer is read or it failed. A connection is
opened only when none is idle, so open connections never exceed the slots. A connection whose
answer was read whole and allows it goes back to the idle list; any other one is closed: a
failure, a cancel (the forwarder's timeout), an answer marked ``Connection: close`` or ended by
the close, bytes nobody asked for. Idle connections are closed after ``idle_timeout`` by one
timer per link, not one per return.

Why not twisted.web's client: ``HTTP11ClientProtocol`` and its parser built several state
machines, Deferreds, a ``Response`` and a producer per answer, and its pool a ``callLater`` per
return — most of the hub's HTTP client cost (docs/performance.md). The answer's bytes are read by
bus/hub/http_answer.py, strictly and within limits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet import defer, protocol
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.python.failure import Failure

from .http_answer import Answer, AnswerCut, AnswerParser, AnswerTooLarge, MalformedAnswer
from .write_now import write_now

IDLE_TIMEOUT = 240.0  # seconds an unused connection stays open (twisted's pool's default)


class ConnectionFailed(Exception):
    """The connection ended before a complete answer; ``reasons``: why it ended (a TLS failure
    is found there)."""

    def __init__(self, detail: str, reason: Failure) -> None:
        super().__init__(detail)
        self.reasons = [reason]


class _Connection(protocol.Protocol):
    """One connection; ``request`` sends a whole request and fires with its ``Answer``."""

    def __init__(self, link: ProviderLink) -> None:
        self._link = link
        self._parser: AnswerParser | None = None  # an answer is awaited
        self._done: defer.Deferred | None = None
        self.lost: defer.Deferred = defer.Deferred()  # fires when the connection has ended
        self.idle_since = 0.0
        self._ended = False

    def request(self, data: bytes, max_body: int) -> defer.Deferred:
        self._parser = AnswerParser(max_body)
        done = self._done = defer.Deferred(self._cancel)
        assert self.transport is not None
        write_now(self.transport, data)  # sent now, not on the reactor's next turn
        return done

    def dataReceived(self, data: bytes) -> None:
        parser = self._parser
        if parser is None:  # an answer nobody asked for: the connection cannot be trusted
            self._link.forget(self)
            self._abort()
            return
        try:
            answer = parser.feed(data)
        except (MalformedAnswer, AnswerTooLarge) as exc:
            self._fail(exc)
            return
        if answer is not None:
            self._answered(answer, parser)

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self._ended = True
        self._link.forget(self)
        parser = self._parser
        if parser is not None:
            try:
                answer = parser.end()
            except AnswerCut as exc:
                self._fail(ConnectionFailed(f"{exc} ({type(reason.value).__name__})", reason),
                           abort=False)
            except MalformedAnswer as exc:
                self._fail(exc, abort=False)
            else:
                self._answered(answer, parser)
        self.lost.callback(None)

    def close(self) -> None:
        assert self.transport is not None
        self.transport.loseConnection()

    def _answered(self, answer: Answer, parser: AnswerParser) -> None:
        done = self._done
        assert done is not None
        self._parser = self._done = None
        if parser.rest:  # bytes after the answer: nobody asked for them
            self._link.forget(self)
            self._abort()
        elif answer.keep_alive:
            # idle before the answer is handed on, so the post it frees finds this connection
            self._link.idle(self)
        elif not self._ended:
            self.close()
        done.callback(answer)

    def _fail(self, exc: Exception, abort: bool = True) -> None:
        # closed first: the errback frees the slot, and the next post must not find this
        # connection still counted as open (one more than the cap)
        done = self._done
        self._parser = self._done = None
        self._link.forget(self)
        if abort:
            self._abort()
        if done is not None:
            done.errback(exc)

    def _cancel(self, _: defer.Deferred) -> None:
        """The forwarder's timeout (or the hub's drain deadline) cut the exchange: the connection
        is closed, never reused with an answer half read."""
        self._parser = self._done = None
        self._link.forget(self)
        self._abort()

    def _abort(self) -> None:
        transport = self.transport
        if transport is not None:
            transport.abortConnection()  # type: ignore[attr-defined]


def _request(connection: Any, data: bytes, max_body: int) -> defer.Deferred:
    # Any: the endpoint's Deferred is typed as firing with an IProtocol; it is a _Connection
    return connection.request(data, max_body)


class _Factory(protocol.Factory):
    def __init__(self, link: ProviderLink) -> None:
        self._link = link

    def buildProtocol(self, addr: object) -> _Connection:
        return _Connection(self._link)


class ProviderLink:
    """One provider's connections (see the module's docstring)."""

    def __init__(self, reactor, endpoint: Callable[[], IStreamClientEndpoint], cap: int,
                 idle_timeout: float = IDLE_TIMEOUT) -> None:
        """``endpoint``: makes the endpoint new connections are opened through, when the first
        is needed."""
        self._reactor = reactor
        self._make_endpoint = endpoint
        self._endpoint: IStreamClientEndpoint | None = None
        self._factory = _Factory(self)
        self.slots = defer.DeferredSemaphore(cap)
        self._idle: list[_Connection] = []  # the oldest first
        self._idle_timeout = idle_timeout
        self._sweep = None  # the timer closing idle connections
        self._closing = False

    def exchange(self, data: bytes, max_body: int) -> defer.Deferred:
        """Send ``data`` (a whole request) on an idle or new connection; fires with the
        ``Answer``. Call it holding one of ``slots``."""
        if self._idle:
            return self._idle.pop().request(data, max_body)
        if self._endpoint is None:
            self._endpoint = self._make_endpoint()
        return self._endpoint.connect(self._factory).addCallback(_request, data, max_body)

    def idle(self, connection: _Connection) -> None:
        if self._closing:
            connection.close()
            return
        connection.idle_since = self._reactor.seconds()
        self._idle.append(connection)
        if self._sweep is None:
            self._sweep = self._reactor.callLater(self._idle_timeout, self._close_expired)

    def forget(self, connection: _Connection) -> None:
        """``connection`` is ending: no longer handed out."""
        if connection in self._idle:
            self._idle.remove(connection)

    def _close_expired(self) -> None:
        self._sweep = None
        deadline = self._reactor.seconds() - self._idle_timeout
        while self._idle and self._idle[0].idle_since <= deadline:
            self._idle.pop(0).close()
        if self._idle:
            self._sweep = self._reactor.callLater(
                self._idle[0].idle_since - deadline, self._close_expired)

    def close(self) -> defer.Deferred:
        """Close the idle connections (and any returned later); fires once they have ended."""
        self._closing = True
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
        return defer.gatherResults([c.lost for c in idle])
