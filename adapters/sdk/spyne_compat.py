"""The one place that makes spyne 2.14's Twisted transport run on Twisted >= 24.11.

spyne 2.14.0 (its last release, 2022) breaks in four ways on Twisted 26 / Python 3.11, measured:

1. ``import spyne.server.twisted`` fails: ``spyne.util._twisted_ws`` imports
   ``twisted.python.constants``, removed in Twisted 24.11. The module was moved out of Twisted into
   the ``constantly`` package (a Twisted dependency) with the same API, so an alias fixes it.
2. ``GET ?wsdl`` answers 500: ``_reconstruct_url`` joins ``str`` with the ``bytes`` Twisted gives
   for the URI and the X-Forwarded-* headers (spyne issue #600, fix never released).
3. Every SOAP ``POST`` is refused with 405: ``Soap11.create_in_document`` compares the request
   method with ``"POST"``, and spyne's Twisted transport context returns Twisted's ``b"POST"``
   (spyne issue #709; also the open PR #685).
4. A request body over 100,000 bytes answers 500: Twisted keeps such bodies in a temporary file,
   spyne then hands the parser an ``mmap`` of it, and ``soap11._parse_xml_string`` joins that with
   ``str`` (TypeError). Found by this SDK's tests (a 200-change 異動通知 is ~260 kB); no spyne issue
   seen. Reporting "no file descriptor" makes spyne read the body as bytes, as it does for small
   ones.

And one cost: 5. spyne's ``MethodContext.close`` runs a full ``gc.collect()`` after a request
whenever the last one is over ``spyne.const.MIN_GC_INTERVAL`` (1 s) old, in the reactor thread,
holding the GIL — "to have file descriptors returned in a timely manner" (of uploaded files,
which it closes just before, and which this SDK never has: 4.). In vendor A serving a 全件 it
took ~35 % of the reactor's time (py-spy; ~0.3 s per collection with the schemas' object
models in memory), and every request waited behind it. The interval is set to infinity: Python's
own generational collector still runs as it does everywhere else.

With the collections gone, :func:`release_documents` (the provider listens with it for
``method_context_closed``) drops a finished context's documents, so a large answer is freed at
once rather than when the collector next finds the context's cycle.

6. spyne's ``soap11._from_soap`` finds the envelope's Header and Body with
``element.xpath("e:Header", namespaces=…)``, which compiles an XPath expression on every call —
twice a request, ~6 % of vendor A's reactor time in a conformance run (py-spy). :func:`_from_soap`
finds the same elements with ``find`` (the first of each, as the XPath's first), with spyne's
faults.

:func:`apply` patches exactly these six, is idempotent, and must run before
``spyne.server.twisted`` is imported (``adapters.sdk.provider`` calls it at import time). Each patch
is a no-op where spyne or Twisted already behave. Nothing else of spyne is changed; the contract
tests in ``tests/integration/test_sdk_roundtrip.py`` (zeep against the served ``?wsdl``, SOAP 1.1
and 1.2 POSTs) fail if a future spyne or Twisted breaks this again.
"""

from __future__ import annotations

import importlib
import sys
import threading

#: Names of the patches applied in this process, for diagnostics (``pfbus`` health reports).
APPLIED: list[str] = []
_lock = threading.Lock()


def apply() -> None:
    """Apply the fixes once per process (safe to call any number of times)."""
    with _lock:
        if APPLIED:
            return
        _alias_twisted_constants()
        from spyne.server.twisted import http  # importable only after the alias

        http._reconstruct_url = _reconstruct_url
        APPLIED.append("spyne#600 _reconstruct_url str/bytes")
        http.TwistedHttpTransportContext.get_request_method = _get_request_method
        APPLIED.append("spyne#709 request method as str")
        http._has_fd = _has_no_fd
        APPLIED.append("large bodies read as bytes, not mmap")
        from spyne import const

        const.MIN_GC_INTERVAL = float("inf")
        APPLIED.append("no gc.collect() per request (MIN_GC_INTERVAL)")
        from spyne.protocol.soap import soap11

        soap11._from_soap = _from_soap
        APPLIED.append("_from_soap without two XPath compilations per request")


def _alias_twisted_constants() -> None:
    try:
        importlib.import_module("twisted.python.constants")
    except ImportError:
        import constantly

        sys.modules["twisted.python.constants"] = constantly
        APPLIED.append("twisted.python.constants -> constantly")


def _text(value: bytes | str | None) -> str | None:
    # Twisted hands headers and URIs over as bytes; HTTP allows only ASCII in them.
    if isinstance(value, bytes):
        return value.decode("ascii", errors="replace")
    return value


def _reconstruct_url(request) -> str:
    """spyne's ``_reconstruct_url`` (the URL written into the generated WSDL), str-safe."""
    server_name = _text(request.getHeader(b"x-forwarded-host"))
    server_port = _text(request.getHeader(b"x-forwarded-port"))
    proto = _text(request.getHeader(b"x-forwarded-proto"))
    try:
        port = int(server_port) if server_port is not None else request.getHost().port
    except ValueError:
        port = request.getHost().port
    secure = (proto == "https") if proto is not None else bool(request.isSecure())
    if server_name is None:
        server_name = _text(request.getRequestHostname())
    if (secure, port) not in ((True, 443), (False, 80)) and ":" not in server_name:
        server_name = f"{server_name}:{port}"
    return f"{'https' if secure else 'http'}://{server_name}{_text(request.uri)}"


def _has_no_fd(stream) -> bool:
    """Replaces spyne's ``_has_fd``: never mmap the request body (see 4. above)."""
    return False


def _get_request_method(self) -> str:
    """The HTTP method as ``str``, which is what spyne's SOAP protocols compare against."""
    return _text(self.req.method)


def _from_soap(in_envelope_xml, xmlids=None, **kwargs):
    """spyne 2.14's ``soap11._from_soap`` (header children, first body child) with ``find``
    for its two ``xpath`` calls: the same results and faults (see 6. above)."""
    from spyne.model.fault import Fault
    from spyne.protocol.soap.soap11 import resolve_hrefs

    ns_soap = kwargs.pop("ns", "http://schemas.xmlsoap.org/soap/envelope/")
    if xmlids:
        resolve_hrefs(in_envelope_xml, xmlids)
    if in_envelope_xml.tag != "{%s}Envelope" % ns_soap:
        raise Fault("Client.SoapError", "No {%s}Envelope element was found!" % ns_soap)
    header_el = in_envelope_xml.find("{%s}Header" % ns_soap)
    body_el = in_envelope_xml.find("{%s}Body" % ns_soap)
    if header_el is None and body_el is None:
        raise Fault("Client.SoapError", "Soap envelope is empty!")
    header = header_el.getchildren() if header_el is not None else None
    body = body_el[0] if body_el is not None and len(body_el) > 0 else None
    return header, body


# What a spyne context holds of one exchange: the documents, their parts, the bodies' objects.
_DOCUMENTS = ("in_string", "in_document", "in_header_doc", "in_body_doc", "in_object",
              "out_object", "out_header_doc", "out_body_doc", "out_document", "out_string",
              "udc")


def release_documents(ctx) -> None:
    """Once an exchange is answered, its context lets go of the request and the answer.

    spyne's contexts are reference cycles (context ↔ transport ↔ protocol), freed only when the
    cyclic collector runs — and spyne_compat stops spyne forcing that once a second. A 全件 page
    is a tree of ~35,000 elements (MBs of libxml2 memory): held by cycles until a collection,
    a few dozen of them took vendor A from ~200 to ~370 MB. Released here, they are freed at once.
    """
    for name in _DOCUMENTS:
        if getattr(ctx, name, None) is not None:
            setattr(ctx, name, None)
