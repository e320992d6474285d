"""The hub's HTTP face (twisted.web): SOAP endpoints, ``?wsdl``, schemas and a health check.

- ``POST /services/<ServiceId>`` (or ``POST /``: routed by the header alone) — a SOAP 1.1/1.2
  exchange;
- ``GET /services/<ServiceId>?wsdl`` — the service's WSDL, addressed to this hub;
- ``GET /schemas/<catalog>/<path>.xsd`` — the XSDs those WSDLs import;
- ``GET /health`` — 200 and ``{"status": "ok"}`` while the hub serves; 503 and
  ``{"status": "draining"}`` once it is stopping (``state`` is the Hub's).

Everything else is answered here too, never by twisted.web: a path that cannot be read (400/404,
``bus.core.request_path``: decoded exactly once), a path that names nothing (404), another method
(405, with ``Allow``), a defect (500) — a SOAP Fault to a POST, a small JSON document otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from twisted.internet import defer
from twisted.python import log as twisted_log
from twisted.web import resource, server

from ..core import faults
from ..core.access import AccessPolicy
from ..core.faults import FaultCode
from ..core.findings import Finding
from ..core.request_path import PathRefused, path_segments
from .exchange import SyncExchange
from .lifecycle import HubState
from .http import HubChannel
from .http_answers import JSON_TYPE, address_text, error_answer, reason_phrase
from .http_request import LimitedRequest
from .tls import certificate_identity
from .wsdl import WsdlPublisher

XML_TYPE = "text/xml; charset=utf-8"


def remote_of(request: server.Request) -> str | None:
    """The caller's address as IP:port (the routing log's ``remote``)."""
    channel = request.channel
    if isinstance(channel, HubChannel):  # formatted once per connection
        return channel.remote
    return address_text(request.getClientAddress()) or None


def _last_text(values: Sequence[bytes] | None) -> str | None:
    """``request.getHeader(name)`` for a ``str`` name: the last value, as UTF-8 text (by
    ``bytes`` name, not ``str``: Twisted encodes a ``str`` name and decodes every value)."""
    return values[-1].decode("utf8") if values else None


class HubResource(resource.Resource):
    isLeaf = True

    def __init__(self, exchange: SyncExchange, publisher: WsdlPublisher,
                 access: AccessPolicy | None = None,
                 state: Callable[[], HubState] = lambda: HubState.SERVING):
        super().__init__()
        self.exchange = exchange
        self.publisher = publisher
        self.access = access  # maps a verified client certificate to its adapter ID
        self.state = state  # the Hub's state (bus.hub.app.Hub.state)

    def render(self, request: server.Request):
        try:
            return self._route(request)
        except Exception:  # a defect: still the hub's own answer (LimitedRequest.processingFailed)
            twisted_log.err(None, "pfbus: rendering failed")
            return self._refuse(request, faults.HUB_INTERNAL, Finding(
                "hub:internal", "the hub failed to answer this request; its log says more"))

    def _route(self, request: server.Request):
        method = request.method
        try:
            parts = path_segments(request.path)
        except PathRefused as refused:
            code = faults.HTTP_NOT_FOUND if refused.status == 404 else faults.HTTP_BAD_REQUEST
            return self._refuse(request, code, Finding(refused.rule, str(refused)))
        is_endpoint = parts == () or (len(parts) == 2 and parts[0] == "services")
        if method == b"POST":
            if not is_endpoint:
                return self._not_found(request)
            return self._exchange(request, parts[1] if parts else None)
        if method not in (b"GET", b"HEAD"):
            allowed = b"POST, GET, HEAD" if len(parts) == 2 and parts[0] == "services" else \
                b"POST" if parts == () else b"GET, HEAD"
            request.setHeader(b"allow", allowed)
            return self._refuse(request, faults.HTTP_METHOD, Finding(
                "http:method", f"served here: {allowed.decode()}"))
        query = request.uri.partition(b"?")[2].lower()
        if len(parts) == 2 and parts[0] == "services" and query in (b"wsdl", b"wsdl="):
            body = self.publisher.wsdl(parts[1])
            if body is None:  # the name is not echoed: it is the client's text
                return self._refuse(request, faults.HTTP_NOT_FOUND, Finding(
                    "http:wsdl", "no loaded catalog defines this service"))
            return self._send(request, 200, XML_TYPE, body)
        if len(parts) >= 3 and parts[0] == "schemas":
            body = self.publisher.schema_file(parts[1], "/".join(parts[2:]))
            if body is None:
                return self._not_found(request)
            return self._send(request, 200, XML_TYPE, body)
        if parts == ("health",):
            state = self.state()
            serving = state is HubState.SERVING
            return self._send(request, 200 if serving else 503, JSON_TYPE,
                              json.dumps({"status": "ok" if serving else str(state)}
                                         ).encode())
        return self._not_found(request)

    def _exchange(self, request: server.Request, endpoint_service: str | None):
        assert request.content is not None  # the body, read by twisted.web before rendering
        raw = request.content.read()
        headers = request.requestHeaders
        d = defer.Deferred.fromCoroutine(self.exchange.handle(
            raw, endpoint_service, _last_text(headers.getRawHeaders(b"soapaction")),
            peer=self.peer_of(request),
            content_type=_last_text(headers.getRawHeaders(b"content-type")),
            remote=remote_of(request)))
        d.addCallback(lambda reply: self._finish(request, reply.status, reply.content_type,
                                                 reply.body, reply.headers))
        d.addErrback(self._internal_error, request)
        return server.NOT_DONE_YET

    def peer_of(self, request: server.Request) -> str | None:
        """The adapter ID authenticated by the caller's TLS client certificate, else None."""
        if self.access is None:
            return None
        identity = certificate_identity(request.transport)
        return self.access.identify(*identity) if identity else None

    def _not_found(self, request: server.Request) -> bytes:
        return self._refuse(request, faults.HTTP_NOT_FOUND, Finding(
            "http:path", "nothing is served at this path"))

    def _refuse(self, request: server.Request, fault: FaultCode, finding: Finding) -> bytes:
        """A SOAP Fault to a POST (the client speaks SOAP), else JSON; the path is not echoed."""
        soap_ns = request.soap_ns() if (request.method == b"POST"
                                        and isinstance(request, LimitedRequest)) else None
        report = getattr(request.channel, "report_refusal", None)
        if report is not None:  # one http.refused line per peer per interval
            report(fault, finding)
        status, content_type, body = error_answer(fault, finding, soap_ns)
        return self._send(request, status, content_type, body)

    def _internal_error(self, failure, request: server.Request) -> None:
        # A bug must still answer with a fault, never a traceback page.
        twisted_log.err(failure, "pfbus exchange failed")
        status, content_type, body = error_answer(faults.HUB_INTERNAL, Finding(
            "hub:internal", "the hub failed to process the message; its log says more"),
            request.soap_ns() if isinstance(request, LimitedRequest) else None)
        self._finish(request, status, content_type, body)

    @staticmethod
    def _send(request: server.Request, status: int, content_type: str, body: bytes) -> bytes:
        request.setResponseCode(status, reason_phrase(status))
        request.setHeader(b"content-type", content_type.encode())
        return body

    @staticmethod
    def _finish(request: server.Request, status: int, content_type: str, body: bytes,
                headers: tuple = ()) -> None:
        if request.finished or request._disconnected:
            return
        request.setResponseCode(status, reason_phrase(status))
        request.setHeader(b"content-type", content_type.encode())
        # with its length the answer is written whole (Twisted would frame it as chunks)
        request.setHeader(b"content-length", b"%d" % len(body))
        for name, value in headers:
            request.setHeader(name.encode(), value.encode())
        request.write(body)
        request.finish()
