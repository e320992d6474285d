"""The hub's HTTP edge below the resource: what is refused before a body is read.

twisted.web reads a whole request body before ``render`` sees it. These classes act earlier:

- ``LimitedRequest.gotLength``: a ``Content-Length`` above ``[hub] max_message_bytes`` is
  answered at once with PF-LIMIT-SIZE (413) and the connection closed — the body is never read;
  a POST whose Content-Type is not SOAP's is answered with PF-CONTENT-TYPE (415) the same way;
- ``LimitedRequest.handleContentChunk``: a chunked body is stopped as soon as it passes the limit;
- ``HubChannel``: one request (request line, headers and body) must arrive within
  ``[hub] read_timeout`` seconds from its first byte, however slowly it trickles (slow loris);
  idle keep-alive connections are closed after the same time (``Site.timeout``).

Every refusal is a SOAP Fault in the version the Content-Type names (1.1 otherwise).
"""

from __future__ import annotations

from twisted.web import http, server

from ..core import faults
from ..core.envelope import CONTENT_TYPES, Limits
from ..core.faults import SOAP11_NS, SOAP12_NS, FaultCode, HubFault, fault_envelope
from ..core.findings import Finding

_REASONS = {408: b"Request Timeout", 413: b"Content Too Large", 415: b"Unsupported Media Type"}
SOAP_MEDIA_TYPES = {b"text/xml": SOAP11_NS, b"application/soap+xml": SOAP12_NS}


def soap_ns_of_content_type(content_type: bytes | None) -> str | None:
    """The SOAP version a Content-Type names, or None when it names neither."""
    if not content_type:
        return None
    media = content_type.split(b";", 1)[0].strip().lower()
    return SOAP_MEDIA_TYPES.get(media)


def raw_fault_response(fault: FaultCode, finding: Finding, soap_ns: str) -> bytes:
    """A complete HTTP/1.1 response carrying a SOAP Fault; the connection closes after it."""
    body = fault_envelope(HubFault(fault, (finding,)), soap_ns)
    reason = _REASONS.get(fault.http_status, b"Error")
    return (b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n"
            b"\r\n" % (fault.http_status, reason, CONTENT_TYPES[soap_ns].encode(), len(body))
            ) + body


class _Discard:
    """Where the rest of a refused body goes (nowhere)."""

    def write(self, data: bytes) -> None:
        pass

    def seek(self, *args) -> None:
        pass

    def read(self, *args) -> bytes:
        return b""

    def close(self) -> None:
        pass


class LimitedRequest(server.Request):
    """A request that refuses oversized bodies and non-SOAP POSTs before reading them."""

    refused = False
    _received = 0

    @property
    def _limits(self) -> Limits:
        return getattr(self.channel.site, "limits", Limits())

    def gotLength(self, length):
        ctype = self.requestHeaders.getRawHeaders(b"content-type", [None])[0]
        soap_ns = soap_ns_of_content_type(ctype)
        max_bytes = self._limits.max_bytes
        if length is not None and length > max_bytes:
            return self._refuse(faults.TOO_LARGE, Finding(
                "limit:max_bytes", f"Content-Length {length} exceeds the limit of {max_bytes} "
                f"bytes; the body was not read"), soap_ns)
        if getattr(self.channel, "_command", b"") == b"POST" and soap_ns is None:
            shown = (ctype or b"(none)").decode("latin-1")[:80]
            return self._refuse(faults.CONTENT_TYPE, Finding(
                "http:content-type", f"Content-Type {shown} is neither text/xml (SOAP 1.1) nor "
                f"application/soap+xml (SOAP 1.2)"), None)
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self.refused:
            return
        self._received += len(data)
        max_bytes = self._limits.max_bytes
        if self._received > max_bytes:  # chunked (no Content-Length): stop at the limit
            ctype = self.requestHeaders.getRawHeaders(b"content-type", [None])[0]
            self._refuse(faults.TOO_LARGE, Finding(
                "limit:max_bytes", f"the body exceeds the limit of {max_bytes} bytes; the rest "
                f"was not read"), soap_ns_of_content_type(ctype))
            return
        super().handleContentChunk(data)

    def requestReceived(self, command, path, version):
        if self.refused:  # already answered; the body (if it all came) is not processed
            return
        super().requestReceived(command, path, version)

    def _refuse(self, fault: FaultCode, finding: Finding, soap_ns: str | None) -> None:
        self.refused = True
        self.content = _Discard()
        self.requestHeaders.removeHeader(b"expect")  # no "100 Continue" after the answer
        channel = self.channel
        events = getattr(channel.site, "events", None)
        if events is not None:
            events.emit("http.refused", fault_code=fault.code, rule=finding.rule,
                        peer=str(channel.transport.getPeer()))
        channel.transport.write(raw_fault_response(fault, finding, soap_ns or SOAP11_NS))
        channel.loseConnection()


class HubChannel(http.HTTPChannel):
    """An HTTP channel with a deadline on receiving each whole request (slow loris)."""

    read_timeout: float = 30.0
    _read_deadline = None

    def dataReceived(self, data: bytes) -> None:
        if data and self._read_deadline is None and not self._handlingRequest:
            self._read_deadline = self.callLater(self.read_timeout, self._read_timed_out)
        super().dataReceived(data)

    def allContentReceived(self) -> None:
        self._cancel_deadline()
        super().allContentReceived()

    def connectionLost(self, reason) -> None:
        self._cancel_deadline()
        super().connectionLost(reason)

    def _cancel_deadline(self) -> None:
        if self._read_deadline is not None:
            if self._read_deadline.active():
                self._read_deadline.cancel()
            self._read_deadline = None

    def _read_timed_out(self) -> None:
        self._read_deadline = None
        req = self.requests[-1] if self.requests else None
        if req is not None and getattr(req, "refused", False):
            self.transport.abortConnection()
            return
        ctype = req.requestHeaders.getRawHeaders(b"content-type", [None])[0] if req else None
        self.transport.write(raw_fault_response(faults.LIMIT_TIME, Finding(
            "limit:read_timeout", f"the request was not received within {self.read_timeout:g} "
            f"seconds"), soap_ns_of_content_type(ctype) or SOAP11_NS))
        self.loseConnection()
        # A peer that does not read its answer is not waited for.
        self._abort_call = self.callLater(5.0, self._abort)

    def _abort(self) -> None:
        if self.transport is not None and self.transport.connected:
            self.transport.abortConnection()


class HubSite(server.Site):
    """``server.Site`` with the hub's request class, channel deadline and limits."""

    protocol = HubChannel
    requestFactory = LimitedRequest

    def __init__(self, resource, limits: Limits = Limits(), read_timeout: float = 30.0,
                 events=None, **kwargs):
        super().__init__(resource, timeout=read_timeout, **kwargs)
        self.limits = limits
        self.read_timeout = read_timeout
        self.events = events
        self.displayTracebacks = False

    def buildProtocol(self, addr):
        channel = super().buildProtocol(addr)
        channel.read_timeout = self.read_timeout
        return channel
