"""The hub's HTTP edge below the resource: what is refused before a body is read, and the answer
to everything twisted.web would otherwise answer itself.

twisted.web reads a whole request body before ``render`` sees it. These classes act earlier:

- ``HubChannel``: the request line and the header section are bounded — a request line over
  ``MAX_REQUEST_LINE`` bytes is answered 414 (PF-LIMIT-URI), a header line over
  ``MAX_HEADER_LINE``, a header section over ``MAX_HEADER_BYTES`` or more than ``MAX_HEADERS``
  headers 431 (PF-LIMIT-HEADERS); anything Twisted's parser refuses (a bad request line or
  header, conflicting lengths, bad chunking) 400 (PF-HTTP-BAD-REQUEST) — each with a small body,
  then the connection is closed (Twisted would drop the connection or send a bare 400).
  One request (request line, headers and body) must arrive within ``[hub] read_timeout`` seconds
  from its first byte, however slowly it trickles (slow loris); idle keep-alive connections are
  closed after the same time (``Site.timeout``). A TLS handshake that fails (no certificate,
  unknown CA, unregistered certificate, protocol version) is reported with the peer's address.
  A head that arrives whole and plain is read in one pass (bus/hub/request_head.py), leaving
  the state Twisted's line-by-line reading would; any other head is read by Twisted;
- ``LimitedRequest.gotLength``: a ``Content-Length`` above ``[hub] max_message_bytes`` is
  answered at once with PF-LIMIT-SIZE (413) and the connection closed — the body is never read;
  a POST whose Content-Type is not SOAP's is answered with PF-CONTENT-TYPE (415) the same way;
- ``LimitedRequest.handleContentChunk``: a chunked body is stopped as soon as it passes the limit;
- ``LimitedRequest.processingFailed``: an exception escaping a resource is answered 500
  (PF-HUB-INTERNAL), never with Twisted's HTML page.
- ``HubSite.hold_reads()`` (backpressure, bus/hub/evidence.py: a writer of the evidence is
  behind): the listening port accepts no new connection and a connection between two requests
  reads nothing more (its idle timeout paused); a request being received or processed goes on.
  Released, everything reads again. ``ReadGate`` (bus/hub/read_gate.py) keeps this apart from
  Twisted's own pausing.
- ``HubSite.drain()`` (the hub is stopping): idle keep-alive connections are closed; a request
  being processed is answered with ``Connection: close``; a POST that arrives on an open
  connection after that is read and answered PF-HUB-STOPPING (503), never processed or dropped.

Every answer is ``error_answer``'s: a SOAP Fault in the version the Content-Type names (1.1
otherwise) when the client speaks SOAP (a POST), else a small JSON document with the same code.
Refusals made before a message is read are reported on the operator log through ``RefusalLog``
(one line per peer per interval under a flood).
"""

from __future__ import annotations

import functools
from typing import cast

from OpenSSL import SSL
from twisted.internet import defer
from twisted.internet.interfaces import IListeningPort, IPushProducer
from twisted.internet.protocol import connectionDone
from twisted.protocols import basic
from twisted.python.failure import Failure
from twisted.web import server
from twisted.web.iweb import INonQueuedRequestFactory

from ..core import faults
from ..core.envelope import Limits
from ..core.faults import SOAP11_NS, FaultCode
from ..core.findings import Finding
from .http_answers import address_text, raw_error_response, tls_error_text
from .http_request import DEFAULT_LIMITS, LimitedRequest, site_of, tcp_of
from .read_gate import ReadGate
from .refusal_log import RefusalLog
from .refusing_channel import RefusingChannel
from .request_head import SimpleHead, simple_head
from .write_now import AnswerWriter

MAX_REQUEST_LINE = MAX_HEADER_LINE = 8192  # bytes of one line: the request line → 414, a header → 431
MAX_HEADER_BYTES = 16384  # the request line and all header lines together: more → 431
MAX_HEADERS = 100  # header fields per request: more → 431


class HubChannel(AnswerWriter, RefusingChannel):
    """An HTTP channel that answers every malformed or oversized request head itself, with a
    deadline on receiving each whole request (slow loris), reporting failed TLS handshakes."""

    MAX_LENGTH = MAX_REQUEST_LINE  # LineReceiver: a longer line → lineLengthExceeded
    totalHeadersSize = MAX_HEADER_BYTES
    maxHeaders = MAX_HEADERS
    read_timeout: float = 30.0
    refusals: RefusalLog | None = None
    _read_deadline = None
    draining = False
    _bytes_received = 0
    _gate: ReadGate | None = None
    _hold_wanted = False  # the site holds reads (backpressure)
    _held_timeout = None  # the idle timeout, paused while held
    _host = None
    _peer = None
    _remote: str | None = None  # "" when the peer has no IP address (not a TCP connection)

    def getHost(self):
        # Twisted asks for every request (Request.__init__), a getsockname() system call each
        # time; a connection's local address does not change.
        if self._host is None:
            self._host = tcp_of(self).getHost()
        return self._host

    def getPeer(self):
        # Likewise asked for every request; the transport builds a new address object each time.
        if self._peer is None:
            self._peer = tcp_of(self).getPeer()
        return self._peer

    @property
    def remote(self) -> str | None:
        """The peer's address as IP:port (the routing log's ``remote``), formatted once."""
        if self._remote is None:
            self._remote = address_text(self.getPeer())
        return self._remote or None

    def connectionMade(self) -> None:
        super().connectionMade()
        self._gate = ReadGate(self._networkProducer)
        self._networkProducer = cast(IPushProducer, self._gate)
        if getattr(site_of(self), "reads_held", False):
            self.hold_reads(True)

    def hold_reads(self, held: bool) -> None:
        """Backpressure: read nothing more while between requests (see ``HubSite.hold_reads``)."""
        self._hold_wanted = held
        self._apply_hold()

    def _apply_hold(self) -> None:
        gate = self._gate
        if gate is None:
            return
        hold = self._hold_wanted and self.idle and not self.draining
        if hold and not gate.held:
            gate.hold(True)
            # waiting for the hub is not the peer's idleness: no idle timeout meanwhile
            self._held_timeout = self.setTimeout(None)
        elif not hold and gate.held:
            gate.hold(False)
            self.setTimeout(self._held_timeout)

    def dataReceived(self, data: bytes) -> None:
        if self._head_refused:
            return
        if self._gate is not None and self._gate.held:  # already in flight (TLS buffers): a
            self._hold_wanted = False  # request began, let it be read whole
            self._apply_hold()
        self._bytes_received += len(data)
        if data and self._read_deadline is None and not self._handlingRequest:
            self._read_deadline = self.callLater(self.read_timeout, self._read_timed_out)
        if self._at_request_start():
            head = simple_head(data, self.MAX_LENGTH, self.totalHeadersSize, self.maxHeaders)
            if head is not None:
                self.resetTimeout()  # as HTTPChannel.dataReceived
                self._read_head(head, data)
                return
        super().dataReceived(data)

    def _at_request_start(self) -> bool:
        """Nothing of a request received yet, and ``LineReceiver`` would read lines now."""
        return bool(self.line_mode and not self._buffer and not self._busyReceiving
                    and not self.paused and self.persistent and not self._handlingRequest
                    and self._HTTPChannel__first_line == 1
                    and not self._HTTPChannel__header  # type: ignore[attr-defined]
                    and not self._receivedHeaderSize)

    def _read_head(self, head: SimpleHead, data: bytes) -> None:
        """What ``LineReceiver.dataReceived`` and ``HTTPChannel.lineReceived`` /
        ``headerReceived`` do for a plain head (bus/hub/request_head.py), the same state left
        in the same order, in one pass; then the rest (the body, a pipelined request) is read
        by ``LineReceiver`` as before."""
        self._buffer = data[head.end:]  # where LineReceiver keeps it while a line is handled
        self._busyReceiving = True  # what arrives meanwhile is queued behind it, as there
        try:
            factory = self.requestFactory
            request = (factory(self) if _non_queued(factory)
                       else factory(self, len(self.requests)))
            self.requests.append(request)
            self._HTTPChannel__first_line = 0
            self._command, self._path, self._version = head.command, head.path, head.version
            stored = request.requestHeaders._rawHeaders
            for name, value in head.headers:
                if not self._maybeChooseTransferDecoder(name, value):  # answered 400 (a plain
                    return  # head never is): Twisted's headerReceived stops there too
                stored.setdefault(name, []).append(value)  # as Headers.addRawHeader
            self._receivedHeaderCount = len(head.headers)
            self._receivedHeaderSize = head.size
            self.allHeadersReceived()
            if self.length == 0:
                self.allContentReceived()
            else:
                self.setRawMode()
        finally:
            self._busyReceiving = False
        if getattr(self.transport, "disconnecting", False):
            return  # LineReceiver stops there too
        basic.LineReceiver.dataReceived(self, b"")

    def lineReceived(self, line: bytes) -> None:
        # Longer lines never get here (MAX_LENGTH: lineLengthExceeded); Twisted would answer an
        # oversized header section with a bare 400.
        if self._head_refused:
            return
        if self._receivedHeaderSize + len(line) > self.totalHeadersSize:
            return self._refuse_head(faults.LIMIT_HEADERS, Finding(
                "limit:header_bytes", f"the header section is larger than "
                f"{self.totalHeadersSize} bytes"))
        super().lineReceived(line)

    def headerReceived(self, line: bytes) -> bool:
        if self._receivedHeaderCount >= self.maxHeaders:
            self._refuse_head(faults.LIMIT_HEADERS, Finding(
                "limit:headers", f"the request has more than {self.maxHeaders} header fields"))
            return False
        return super().headerReceived(line)

    def head_refused(self, fault: FaultCode, finding: Finding) -> None:
        self._cancel_deadline()
        self.report_refusal(fault, finding)

    def report_refusal(self, fault: FaultCode, finding: Finding) -> None:
        if self.refusals is not None:
            self.refusals.refused("http.refused", self.transport, finding.rule,
                                  fault_code=fault.code)

    def allContentReceived(self) -> None:
        self._cancel_deadline()
        super().allContentReceived()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._cancel_deadline()
        if self.refusals is not None and isinstance(reason.value, SSL.Error):
            self._report_tls_refusal(reason.value)
        super().connectionLost(reason)
        site = site_of(self)
        if isinstance(site, HubSite):
            site.channel_closed(self)

    @property
    def idle(self) -> bool:
        """No request in progress or partly received."""
        return not self.requests and self._read_deadline is None

    def loseConnection(self) -> None:
        self._flush_head()  # what was written goes first
        super().loseConnection()

    def drain(self) -> None:
        self.draining = True
        if self.idle:
            self.loseConnection()

    def requestDone(self, request) -> None:
        self._flush_head()  # a head without a body
        super().requestDone(request)  # closes the connection when it is not persistent
        if self.draining and self.persistent and self.idle:
            self.loseConnection()
        elif getattr(site_of(self), "reads_held", False):  # between requests now: hold
            self.hold_reads(True)

    def _report_tls_refusal(self, error: SSL.Error) -> None:
        """A TLS connection that ended in an OpenSSL error: the handshake was refused (our
        verify callback's reason when it refused, else OpenSSL's)."""
        handle = getattr(self.transport, "getHandle", lambda: None)()
        reason = getattr(handle, "pfbus_refusal", None) or tls_error_text(error)
        assert self.refusals is not None  # connectionLost reports only with a RefusalLog
        self.refusals.refused("hub.tls_refused", self.transport, reason)

    def _cancel_deadline(self) -> None:
        if self._read_deadline is not None:
            if self._read_deadline.active():
                self._read_deadline.cancel()
            self._read_deadline = None

    def _read_timed_out(self) -> None:
        self._read_deadline = None
        req = self.requests[-1] if self.requests else None
        if req is not None and getattr(req, "refused", False):
            tcp_of(self).abortConnection()
            return
        finding = Finding("limit:read_timeout", f"the request was not received within "
                                                f"{self.read_timeout:g} seconds")
        self.report_refusal(faults.LIMIT_TIME, finding)
        tcp_of(self).write(raw_error_response(
            faults.LIMIT_TIME, finding, req.soap_ns() if isinstance(req, LimitedRequest)
            else SOAP11_NS))
        self._head_refused = True
        self.loseConnection()
        # A peer that does not read its answer is not waited for.
        self._abort_call = self.callLater(5.0, self._abort)

    def _abort(self) -> None:
        if getattr(self.transport, "connected", False):
            tcp_of(self).abortConnection()




@functools.lru_cache(maxsize=8)
def _non_queued(factory: object) -> bool:
    """Whether Twisted builds requests with ``factory(channel)`` (it asks per request; a zope
    interface check costs ~5 k instructions, and the site's factory is one class)."""
    return bool(INonQueuedRequestFactory.providedBy(factory))



class HubSite(server.Site):
    """``server.Site`` with the hub's request class, channel deadline and limits."""

    # twisted.web types this as a factory of its HTTP/1.1-or-2 switcher; the hub's channel is
    # HTTP/1.1 only, built directly
    protocol = HubChannel  # type: ignore[assignment]
    requestFactory = LimitedRequest

    def __init__(self, resource, limits: Limits = DEFAULT_LIMITS, read_timeout: float = 30.0,
                 events=None, refusals: RefusalLog | None = None, **kwargs):
        super().__init__(resource, timeout=read_timeout, **kwargs)
        self.limits = limits
        self.read_timeout = read_timeout
        self.events = events
        self.refusals = refusals
        self.displayTracebacks = False
        self.channels: set[HubChannel] = set()
        self.draining = False
        self.refused_while_draining = 0
        self._all_closed: list[defer.Deferred] = []
        self.listening_port: IListeningPort | None = None  # set by the hub once it listens
        self.reads_held = False

    def log(self, request) -> None:
        """No Combined Log Format line per request: the hub's record of a request is its JSON
        event line and the routing log, and nothing observes Twisted's log here, so the line
        was formatted and published for no reader (2 % of the reactor thread's instructions per
        exchange)."""

    def hold_reads(self, held: bool) -> None:
        """Backpressure (bus/hub/evidence.py): while held, the listening port accepts no new
        connection (they wait in the kernel's backlog) and no open connection reads a new
        request; a request being received or processed goes on. Released: all read again."""
        if held == self.reads_held:
            return
        self.reads_held = held
        port = self.listening_port
        if port is not None and getattr(port, "connected", False):  # not once stopped
            # tcp.Port (TCP and TLS alike) is a FileDescriptor: reading = accepting
            (port.stopReading if held else port.startReading)()  # type: ignore[attr-defined]
        for channel in list(self.channels):
            channel.hold_reads(held)

    def drain(self) -> None:
        """Stop taking requests on the connections already open (see the module doc)."""
        self.draining = True
        for channel in list(self.channels):
            channel.drain()

    def close_connections(self) -> defer.Deferred:
        """The drain is over: close what is left. Fires once every connection has closed — so
        the answers written are sent: stopping the reactor drops what is still buffered."""
        for channel in list(self.channels):
            channel.loseConnection()
        if not self.channels:
            return defer.succeed(None)
        closed: defer.Deferred = defer.Deferred()
        self._all_closed.append(closed)
        return closed

    def abort_connections(self) -> None:
        """Peers that do not read their answer are not waited for."""
        for channel in list(self.channels):
            tcp_of(channel).abortConnection()

    def channel_closed(self, channel: HubChannel) -> None:
        self.channels.discard(channel)
        if not self.channels:
            waiters, self._all_closed = self._all_closed, []
            for waiter in waiters:
                waiter.callback(None)

    def buildProtocol(self, addr):
        channel = super().buildProtocol(addr)
        channel.read_timeout = self.read_timeout
        channel.refusals = self.refusals
        channel.draining = self.draining
        self.channels.add(channel)
        return channel
