"""The answers the hub's HTTP edge writes itself, and the small formats they need: a refusal as
a SOAP Fault (in the version the request's Content-Type names) or as JSON, a whole raw HTTP
response for a connection that closes after it, reason phrases, the Date header, peer addresses
and OpenSSL's reason for a failed handshake (bus/hub/http.py, bus/hub/http_request.py,
bus/hub/resource.py; the SDK's adapter site answers with the same, adapters/sdk/site.py)."""

from __future__ import annotations

import json
import time

from OpenSSL import SSL
from twisted.web import http

from ..core.envelope import CONTENT_TYPES
from ..core.faults import SOAP11_NS, SOAP12_NS, FaultCode, HubFault, fault_envelope
from ..core.findings import Finding

SOAP_MEDIA_TYPES = {b"text/xml": SOAP11_NS, b"application/soap+xml": SOAP12_NS}
JSON_TYPE = "application/json"


def soap_ns_of_content_type(content_type: bytes | None) -> str | None:
    """The SOAP version a Content-Type names, or None when it names neither."""
    if not content_type:
        return None
    media = content_type.split(b";", 1)[0].strip().lower()
    return SOAP_MEDIA_TYPES.get(media)


def content_type_finding(content_type: bytes | None) -> Finding:
    """The finding of a POST whose Content-Type names no SOAP version (PF-CONTENT-TYPE)."""
    shown = (content_type or b"(none)").decode("latin-1")[:80]
    return Finding("http:content-type", f"Content-Type {shown} is neither text/xml (SOAP 1.1) "
                   f"nor application/soap+xml (SOAP 1.2)")


def error_answer(fault: FaultCode, finding: Finding, soap_ns: str | None
                 ) -> tuple[int, str, bytes]:
    """(HTTP status, Content-Type, body) of a refusal: a SOAP Fault in ``soap_ns``, or, for a
    client that does not speak SOAP (``soap_ns`` None), ``{"code", "status", "message"}``.
    Neither quotes what the client sent beyond the finding's own text."""
    if soap_ns is None:
        body = json.dumps({"code": fault.code, "status": fault.http_status,
                           "message": f"{fault.summary} ({finding.message})"},
                          ensure_ascii=False).encode() + b"\n"
        return fault.http_status, JSON_TYPE, body
    return (fault.http_status, CONTENT_TYPES[soap_ns],
            fault_envelope(HubFault(fault, (finding,)), soap_ns))


def raw_error_response(fault: FaultCode, finding: Finding, soap_ns: str | None) -> bytes:
    """A complete HTTP/1.1 response carrying ``error_answer``; the connection closes after it."""
    status, content_type, body = error_answer(fault, finding, soap_ns)
    reason = reason_phrase(status)
    return (b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n"
            b"\r\n" % (status, reason, content_type.encode(), len(body))) + body


_RESPONSES = http.RESPONSES
_REASONS = {408: b"Request Timeout", 413: b"Content Too Large", 414: b"URI Too Long",
            431: b"Request Header Fields Too Large"}


def reason_phrase(status: int) -> bytes:
    # RESPONSES read once: twisted.web.http is a deprecation proxy, an attribute read through
    # it costs a Python call per answer
    return _REASONS.get(status) or _RESPONSES.get(status, b"Error")




def address_text(address: object) -> str:
    """An IP address and port as IP:port ([IP]:port for IPv6); "" when it is not one."""
    host, port = getattr(address, "host", None), getattr(address, "port", None)
    if host is None:
        return ""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


_date: tuple[int, bytes] = (-1, b"")


def http_date(now: float | None = None) -> bytes:
    """The Date header's value (RFC 9110 IMF-fixdate) for ``now`` (default: the time), formatted
    once per second: Twisted formats it for every request."""
    global _date
    second = int(time.time() if now is None else now)
    if _date[0] != second:
        _date = (second, http.datetimeToString(second))
    return _date[1]


def tls_error_text(error: SSL.Error) -> str:
    """OpenSSL's reason for a failed TLS connection, e.g. ``peer did not return a certificate``,
    ``unsupported protocol``, ``certificate verify failed``."""
    for entry in (error.args[0] if error.args and isinstance(error.args[0], list) else []):
        if isinstance(entry, tuple) and entry and entry[-1]:
            return str(entry[-1])[:200]
    return error.__class__.__name__

