"""The hub's HTTP face (twisted.web): SOAP endpoints, ``?wsdl``, schemas and a health check.

- ``POST /services/<ServiceId>`` (or ``POST /``: routed by the header alone) — a SOAP 1.1/1.2
  exchange;
- ``GET /services/<ServiceId>?wsdl`` — the service's WSDL, addressed to this hub;
- ``GET /schemas/<catalog>/<path>.xsd`` — the XSDs those WSDLs import;
- ``GET /health`` — 200 and a small JSON document while the hub serves.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

from twisted.internet import defer
from twisted.python import log as twisted_log
from twisted.web import resource, server

from ..core import faults
from ..core.envelope import CONTENT_TYPES
from ..core.faults import SOAP11_NS, HubFault, fault_envelope
from ..core.access import AccessPolicy
from .exchange import SyncExchange
from .tls import certificate_identity
from .wsdl import WsdlPublisher


def remote_of(request: server.Request) -> str | None:
    """The caller's address as IP:port (the routing log's ``remote``)."""
    address = request.getClientAddress()
    host, port = getattr(address, "host", None), getattr(address, "port", None)
    if host is None:
        return None
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class HubResource(resource.Resource):
    isLeaf = True

    def __init__(self, exchange: SyncExchange, publisher: WsdlPublisher,
                 access: AccessPolicy | None = None):
        super().__init__()
        self.exchange = exchange
        self.publisher = publisher
        self.access = access  # maps a verified client certificate to its adapter ID

    def render_GET(self, request: server.Request):
        parts = [unquote(p.decode("utf-8", "replace")) for p in request.postpath]
        query = request.uri.partition(b"?")[2].lower()
        if parts[:1] == ["services"] and len(parts) == 2 and query in (b"wsdl", b"wsdl="):
            body = self.publisher.wsdl(parts[1])
            return self._send(request, 200 if body else 404, "text/xml; charset=utf-8",
                              body or f"unknown service {parts[1]}\n".encode())
        if parts[:1] == ["schemas"] and len(parts) >= 3:
            body = self.publisher.schema_file(parts[1], "/".join(parts[2:]))
            return self._send(request, 200 if body else 404, "text/xml; charset=utf-8",
                              body or b"no such schema\n")
        if parts == ["health"]:
            return self._send(request, 200, "application/json",
                              json.dumps({"status": "ok"}).encode())
        return self._send(request, 404, "text/plain; charset=utf-8", b"not found\n")

    def render_POST(self, request: server.Request):
        parts = [unquote(p.decode("utf-8", "replace")) for p in request.postpath if p]
        if parts and not (parts[0] == "services" and len(parts) == 2):
            return self._send(request, 404, "text/plain; charset=utf-8", b"not found\n")
        endpoint_service = parts[1] if parts else None
        raw = request.content.read()
        action = request.getHeader("soapaction")
        d = defer.Deferred.fromCoroutine(self.exchange.handle(raw, endpoint_service, action,
                                                              peer=self.peer_of(request),
                                                              content_type=request.getHeader(
                                                                  "content-type"),
                                                              remote=remote_of(request)))
        d.addCallback(lambda reply: self._finish(request, reply.status, reply.content_type,
                                                 reply.body))
        d.addErrback(self._internal_error, request)
        return server.NOT_DONE_YET

    def peer_of(self, request: server.Request) -> str | None:
        """The adapter ID authenticated by the caller's TLS client certificate, else None."""
        if self.access is None:
            return None
        identity = certificate_identity(request.transport)
        return self.access.identify(*identity) if identity else None

    def _internal_error(self, failure, request: server.Request) -> None:
        # A bug must still answer with a fault, never a traceback page.
        twisted_log.err(failure, "pfbus exchange failed")
        body = fault_envelope(HubFault(faults.HUB_INTERNAL), SOAP11_NS)
        self._finish(request, 500, CONTENT_TYPES[SOAP11_NS], body)

    @staticmethod
    def _send(request: server.Request, status: int, content_type: str, body: bytes) -> bytes:
        request.setResponseCode(status)
        request.setHeader(b"content-type", content_type.encode())
        return body

    @staticmethod
    def _finish(request: server.Request, status: int, content_type: str, body: bytes) -> None:
        if request.finished or request._disconnected:
            return
        request.setResponseCode(status)
        request.setHeader(b"content-type", content_type.encode())
        request.write(body)
        request.finish()
