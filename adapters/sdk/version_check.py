"""The envelope a binding carries, checked before spyne reads a request (SOAP のバージョン確認).

SOAP 1.1 4.1.2 and SOAP 1.2 Part 1 5.4.7 answer a message whose root is not the Envelope of the
SOAP version the receiver reads with SOAP's own fault code, VersionMismatch — spyne answers it
as a client error (``Client.SoapError``). So ``refusal`` looks at the root element first: the
expected Envelope (every well-formed request) costs the read of its first start tag and goes to
spyne; anything else is parsed as the hub parses it and, when it is a version error, answered
here exactly as the hub answers it (``bus.core.envelope.version_mismatch_ns``, docs/faults.md):
PF-SOAP-ENVELOPE with VersionMismatch, HTTP 500, the Upgrade block naming both envelopes. An
envelope of the right version whose own structure is broken — a Body holding no element or two,
two Bodies or Headers, content after the Body — is refused here too, as the hub refuses it
(PF-SOAP-ENVELOPE, rule soap:envelope, a client fault): spyne answered an empty Body with a
server fault (P-SOAP-09, round 39b). That check parses a request of up to ``_CHECKED_BYTES`` once
more (59 µs for a 1 kB inquiry, measured 2026-12-07 on the 2-core CI host under load ~5); not
well-formed XML is left to spyne, as before. Used by ``provider._ServiceResource``.
"""

from __future__ import annotations

from typing import IO

from lxml import etree

from bus.core import faults
from bus.core.envelope import (CONTENT_TYPES, SOAP_VERSION_NAME, parse_envelope,
                               version_mismatch_ns)
from bus.core.faults import SOAP11_NS, SOAP12_NS, HubFault, fault_envelope
from bus.core.findings import Finding
from bus.core.xmlpath import element_path

_CHUNK = 4096  # the root's start tag is in the first few kB of any request


def expected_namespace(content_type: str) -> str:
    """The SOAP version a request's Content-Type names: 1.2 for ``application/soap+xml``, 1.1
    for anything else (``text/xml``, or a Content-Type naming no SOAP version)."""
    media = content_type.split(";")[0].strip().lower()
    return SOAP12_NS if media == "application/soap+xml" else SOAP11_NS


def root_tag(stream: IO[bytes]) -> str | None:
    """The root element's tag, reading no further than its start tag; None when the bytes are
    not well-formed before it (spyne answers PF-XML-MALFORMED)."""
    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=False)
    try:
        while chunk := stream.read(_CHUNK):
            parser.feed(chunk)
            for _, el in parser.read_events():
                return str(el.tag)
        parser.close()
    except etree.XMLSyntaxError:
        return None
    return None


def refusal(stream: IO[bytes], content_type: str) -> tuple[int, str, bytes] | None:
    """(HTTP status, Content-Type, body) of the VersionMismatch fault the request gets (or of
    the DTD's, which the hub refuses first), or None when it is not a version error; ``stream``
    is left at its start either way."""
    expected = expected_namespace(content_type)
    stream.seek(0)
    tag = root_tag(stream)
    stream.seek(0)
    if tag is None:
        return None  # not well-formed before the root: spyne answers PF-XML-MALFORMED
    if tag == f"{{{expected}}}Envelope":
        return _broken(stream, content_type)
    raw = stream.read()
    stream.seek(0)
    try:
        envelope = parse_envelope(raw)
    except HubFault as fault:  # a DTD first, as the hub orders them; a root of no SOAP version
        if fault.fault in (faults.VERSION_MISMATCH, faults.DTD_FORBIDDEN):
            return _answer(fault, content_type)
        return None
    if envelope.soap_ns == expected:
        return None
    media = content_type.split(";")[0].strip() or "no SOAP media type"
    return _answer(HubFault(faults.VERSION_MISMATCH, (Finding(
        "soap:version", f"a SOAP {envelope.soap_version} envelope sent as {media[:60]}, which "
        f"is SOAP {SOAP_VERSION_NAME[expected]}'s binding", element_path(envelope.root),
        envelope.root.sourceline),)), content_type)


def _broken(stream: IO[bytes], content_type: str) -> tuple[int, str, bytes] | None:
    """The PF-SOAP-ENVELOPE fault of an envelope of the right version whose structure is
    broken, or None (anything else — well-formed or not — goes on to spyne)."""
    raw = stream.read(_CHECKED_BYTES + 1)
    stream.seek(0)
    if len(raw) > _CHECKED_BYTES:
        return None
    try:
        parse_envelope(raw)
    except HubFault as fault:
        if fault.fault is faults.NOT_SOAP:
            return _answer(fault, content_type)
    return None


_CHECKED_BYTES = 64 * 1024  # requests are a few kB; a larger one is left to spyne


def _answer(fault: HubFault, content_type: str) -> tuple[int, str, bytes]:
    if fault.fault is faults.VERSION_MISMATCH:
        ns = version_mismatch_ns(fault, content_type)
    else:  # the DTD's or a broken envelope's fault, in the version the Content-Type names
        ns = expected_namespace(content_type)
    # SOAP 1.1 answers every fault with 500; SOAP 1.2 Part 2 7.5.2.2: VersionMismatch 500
    status = 500 if ns == SOAP11_NS else fault.fault.http_status
    return status, CONTENT_TYPES[ns], fault_envelope(fault, ns)
