"""The hub's HTTP request (twisted.web's ``Request`` below the resource): what is refused before
a body is read, and the answer to everything twisted.web would otherwise answer itself — see
bus/hub/http.py's module doc for the whole edge."""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING, Any, cast

from twisted.internet.interfaces import ITCPTransport
from twisted.python import log as twisted_log
from twisted.python.failure import Failure
from twisted.web import http, server
from twisted.web.resource import _IEncodingResource
from twisted.web.server import unquote

from ..core import faults
from ..core.envelope import Limits
from ..core.faults import SOAP11_NS, FaultCode
from ..core.findings import Finding
from ..core.request_path import origin_form
from .http_answers import (content_type_finding, error_answer, http_date, raw_error_response,
                           soap_ns_of_content_type)

if TYPE_CHECKING:
    from .http import HubChannel

DEFAULT_LIMITS = Limits()  # made once: a default built in every getattr() costs a Limits() each


def site_of(channel: http.HTTPChannel) -> Any:
    """The Site that built ``channel`` (set by ``Site.buildProtocol``; twisted.web does not
    declare the attribute)."""
    return getattr(channel, "site", None)


def tcp_of(channel: http.HTTPChannel) -> ITCPTransport:
    """The channel's connection: TCP or TLS over TCP (both abort and report ``connected``)."""
    return cast(ITCPTransport, channel.transport)



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
    """A request that refuses oversized bodies and non-SOAP POSTs before reading them, and never
    answers with Twisted's error page."""

    refused = False
    stopping = False  # arrived while the hub drains: read whole, then answered PF-HUB-STOPPING
    _received = 0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A SOAP body is never a form: without this, Twisted parses every POST's Content-Type
        # with the ``email`` package (to look for form data) — ~3 % of the hub's CPU per
        # exchange, for ``request.args`` that nothing on the hub reads.
        self._parsePOSTFormSubmission = False

    @property
    def _limits(self) -> Limits:
        return getattr(site_of(self.channel), "limits", DEFAULT_LIMITS)

    def gotLength(self, length):
        ctype = self.requestHeaders.getRawHeaders(b"content-type", [None])[0]
        soap_ns = soap_ns_of_content_type(ctype)
        max_bytes = self._limits.max_bytes
        if length is not None and length > max_bytes:
            return self._refuse(faults.TOO_LARGE, Finding(
                "limit:max_bytes", f"Content-Length {length} exceeds the limit of {max_bytes} "
                f"bytes; the body was not read"), soap_ns or SOAP11_NS)
        if getattr(self.channel, "_command", b"") == b"POST" and soap_ns is None:
            return self._refuse(faults.CONTENT_TYPE, content_type_finding(ctype), SOAP11_NS)
        if getattr(self.channel, "_command", b"") == b"POST" and getattr(self.channel, "draining",
                                                                         False):
            self.stopping = True
            self.content = _Discard()
            return
        # In memory whatever its size: the body is bounded by max_bytes (a chunked one is cut at
        # it) and read whole right after; Twisted would open a temporary file for every body
        # over 100,000 bytes or without Content-Length (a file created and written, then read).
        self.content = BytesIO()

    def handleContentChunk(self, data: bytes) -> None:
        if self.refused:
            return
        self._received += len(data)
        max_bytes = self._limits.max_bytes
        if self._received > max_bytes:  # chunked (no Content-Length): stop at the limit
            ctype = self.requestHeaders.getRawHeaders(b"content-type", [None])[0]
            self._refuse(faults.TOO_LARGE, Finding(
                "limit:max_bytes", f"the body exceeds the limit of {max_bytes} bytes; the rest "
                f"was not read"), soap_ns_of_content_type(ctype) or SOAP11_NS)
            return
        super().handleContentChunk(data)

    def requestReceived(self, command, path, version):
        if self.refused:  # already answered; the body (if it all came) is not processed
            return
        if self.stopping:
            channel = cast("HubChannel", self.channel)  # HubSite builds HubChannels only
            site_of(channel).refused_while_draining += 1
            finding = Finding("hub:draining", "the hub is stopping: the request was not "
                                              "processed; send it again")
            channel.report_refusal(faults.HUB_STOPPING, finding)
            tcp_of(channel).write(raw_error_response(faults.HUB_STOPPING, finding,
                                                   self.soap_ns()))
            channel.loseConnection()
            return
        super().requestReceived(command, origin_form(path), version)

    def write(self, data: bytes) -> None:
        channel = self.channel
        if not self.startedWriting and getattr(channel, "draining", False) \
                and not channel._dataBuffer:  # pipelined requests behind this one are answered
            self.responseHeaders.setRawHeaders(b"connection", [b"close"])
            channel.persistent = False
        super().write(data)

    def process(self):
        """Twisted's ``Request.process`` with the Date header formatted once a second
        (``http_date``) instead of per request, and the Server header naming pfbus."""
        self.site = site_of(self.channel)
        self.setHeader(b"server", b"pfbus")  # not Twisted's name and version
        self.setHeader(b"date", http_date())
        self.prepath = []
        self.postpath = list(map(unquote, self.path[1:].split(b"/")))
        if self.path == b"*":
            self._handleStar()
            return
        try:
            resrc = self.site.getResourceFor(self)
            if _IEncodingResource.providedBy(resrc):
                self._encoder = resrc.getEncoder(self)
            self.render(resrc)
        except BaseException:
            self.processingFailed(Failure())

    def _handleStar(self):
        # Twisted answers "*" targets itself (an empty 200 or 405): the resource answers instead.
        try:
            assert self.site is not None  # the channel sets it before a request is parsed
            self.render(self.site.getResourceFor(self))
        except BaseException:
            self.processingFailed(Failure())

    def processingFailed(self, reason):
        """A defect: answered with PF-HUB-INTERNAL, never Twisted's HTML "Processing Failed"."""
        twisted_log.err(reason, "pfbus: a resource raised")
        if self.finished or self._disconnected:
            return reason
        soap_ns = self.soap_ns() if self.method == b"POST" else None
        status, content_type, body = error_answer(faults.HUB_INTERNAL, Finding(
            "hub:internal", "the hub failed to answer this request; its log says more"), soap_ns)
        self.setResponseCode(status)
        self.responseHeaders.setRawHeaders(b"content-type", [content_type.encode()])
        self.responseHeaders.setRawHeaders(b"content-length", [b"%d" % len(body)])
        self.write(body)
        self.finish()
        return reason

    def soap_ns(self) -> str:
        """The SOAP version this request's Content-Type names (1.1 when it names none)."""
        ctype = self.requestHeaders.getRawHeaders(b"content-type", [None])[0]
        return soap_ns_of_content_type(ctype) or SOAP11_NS

    def _refuse(self, fault: FaultCode, finding: Finding, soap_ns: str) -> None:
        self.refused = True
        self.content = _Discard()
        self.requestHeaders.removeHeader(b"expect")  # no "100 Continue" after the answer
        channel = cast("HubChannel", self.channel)  # HubSite builds HubChannels only
        channel.report_refusal(fault, finding)
        tcp_of(channel).write(raw_error_response(fault, finding, soap_ns))
        channel.loseConnection()

