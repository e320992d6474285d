"""The HTTP site an adapter serves: every answer is the adapter's own.

Twisted answers what no resource handles with its own HTML pages ("404 - No Such Resource",
"405 - Method Not Allowed", "501 - Huh?", "Processing Failed"). A vendor system's endpoint
answers like the hub does instead (docs/faults.md): a SOAP Fault to a POST, in the SOAP version
its Content-Type names, and a small JSON document to anything else — the platform's codes
PF-HTTP-NOT-FOUND, PF-HTTP-METHOD and PF-PROVIDER-INTERNAL, the client's path never echoed.
What Twisted's HTTP parser itself refuses — a request line or header that is not HTTP, a
line longer than it reads — it answers with a bare ``400 Bad Request`` or by dropping the
connection; ``AdapterChannel`` answers those as the hub's channel does (bus/hub/http.py):
PF-HTTP-BAD-REQUEST (400), PF-LIMIT-URI (414), PF-LIMIT-HEADERS (431), then closes.

No access log: Twisted's Site formats a Combined Log Format line per request and writes it to
``twisted.python.log``, which no adapter process observes — the lines were formatted (~5 % of
vendor A's CPU in a conformance run, py-spy) and then held in Twisted's buffer of events logged
before logging starts, unread. An adapter's operator log is its own (one JSON object a line).
"""

from __future__ import annotations

from twisted.python import log as twisted_log
from twisted.web import resource, server

from bus.core import faults
from bus.core.envelope import SOAP11_NS
from bus.core.findings import Finding
from bus.core.request_path import origin_form
from bus.hub.http_answers import error_answer, soap_ns_of_content_type
from bus.hub.refusing_channel import RefusingChannel


def provider_site(root: resource.Resource) -> server.Site:
    """The Site an adapter serves ``root`` with.

    SOAP bodies are never forms, so Twisted is told not to look for one: it would parse every
    POST's Content-Type with the email package, and answer a ``multipart/form-data`` type it
    cannot read (no boundary) with its own empty 400, not a SOAP Fault."""
    site = _AdapterSite(root, requestFactory=AdapterRequest, parsePOSTFormSubmission=False)
    site.displayTracebacks = False
    site.protocol = AdapterChannel  # type: ignore[assignment]
    return site


class _AdapterSite(server.Site):
    def log(self, request) -> None:
        """No access-log line (see the module doc)."""


class AdapterChannel(RefusingChannel):
    """HTTP/1.1 whose parser refusals are answered with the platform's codes, then closed
    (bus/hub/refusing_channel.py, as the hub's channel)."""


class AdapterRequest(server.Request):
    """A request whose refusals and failures are answered as the adapter's, not Twisted's."""

    def requestReceived(self, command, path, version):
        # an absolute-form target (a client behind a forward proxy) names the same resource
        super().requestReceived(command, origin_form(path), version)

    def render(self, resrc) -> None:
        if _is_twisted_error_page(resrc):  # what traversal gives for an unknown path
            resrc = _Refusal(faults.HTTP_NOT_FOUND, Finding(
                "http:path", "no service of this adapter is at this path"))
        super().render(_MethodGuard(resrc))

    def processingFailed(self, reason):
        twisted_log.err(reason, "adapter: rendering failed")
        if self.finished or self._disconnected:
            return reason
        status, content_type, body = _answer(self, faults.PROVIDER_INTERNAL, Finding(
            "provider:internal", "the adapter failed to answer this request; its log says more"))
        self.setResponseCode(status)
        self.setHeader(b"content-type", content_type.encode())
        self.setHeader(b"content-length", str(len(body)).encode())
        self.write(body)
        self.finish()
        return reason


def _is_twisted_error_page(resrc: resource.Resource) -> bool:
    """Twisted's error pages (NoResource, ForbiddenResource, twisted.web.pages' …): their
    classes are private and have changed between releases, so they are known by where they are
    defined and the status code they carry."""
    return type(resrc).__module__ in ("twisted.web.resource", "twisted.web.pages") \
        and isinstance(getattr(resrc, "code", None), int)


def _answer(request: server.Request, fault: faults.FaultCode, finding: Finding
            ) -> tuple[int, str, bytes]:
    """A SOAP Fault to a POST (the client speaks SOAP: 1.2 when its Content-Type says so, else
    1.1), JSON to anything else."""
    soap_ns = None
    if request.method == b"POST":
        soap_ns = soap_ns_of_content_type(request.getHeader(b"content-type")) or SOAP11_NS
    return error_answer(fault, finding, soap_ns)


def _refuse(request: server.Request, fault: faults.FaultCode, finding: Finding) -> bytes:
    status, content_type, body = _answer(request, fault, finding)
    request.setResponseCode(status)
    request.setHeader(b"content-type", content_type.encode())
    return body


class _Refusal(resource.Resource):
    isLeaf = True

    def __init__(self, fault: faults.FaultCode, finding: Finding):
        super().__init__()
        self._fault, self._finding = fault, finding

    def render(self, request):
        return _refuse(request, self._fault, self._finding)


class _MethodGuard(resource.Resource):
    """Renders ``inner``; a method it does not serve is refused with PF-HTTP-METHOD and Allow."""

    isLeaf = True

    def __init__(self, inner: resource.Resource):
        super().__init__()
        self._inner = inner

    def render(self, request):
        inner = self._inner
        # Resource.render_HEAD calls render_GET, which a POST-only resource does not have
        if request.method == b"HEAD" and type(inner).render is resource.Resource.render \
                and not hasattr(inner, "render_GET"):
            return self._unsupported(request, _methods_of(inner))
        try:
            return inner.render(request)
        except server.UnsupportedMethod as unsupported:
            return self._unsupported(request, unsupported.allowedMethods)

    @staticmethod
    def _unsupported(request, methods) -> bytes:
        # HEAD only with GET: Twisted lists it for every resource (Resource.render_HEAD)
        allowed = b", ".join(m for m in methods or (b"POST",)
                             if m != b"HEAD" or b"GET" in methods)
        request.setHeader(b"allow", allowed)
        return _refuse(request, faults.HTTP_METHOD, Finding(
            "http:method", f"served here: {allowed.decode()}"))


def _methods_of(res: resource.Resource) -> list[bytes]:
    return sorted(name[len("render_"):].encode("ascii") for name in dir(res)
                  if name.startswith("render_"))
