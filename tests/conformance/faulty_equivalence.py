"""Faulty products for the equivalent encodings (P-EQUIV-01, S-EQUIV-01): each is the reference
adapter with ONE defect of the class "a standard-conformant form of the message is read as
another message", written from the specifications' equivalences (XML 1.0, Namespaces in XML,
RFC 7303, RFC 9110), not from any blind batch's variants: comments, processing instructions or
CDATA refused, the payload found by its usual prefix, white space between elements refused, an
XML declaration required or parsed as a fixed string, the media type or its charset compared
literally. Each refuses the form it cannot read with a client fault of its own (a product's
usual reaction), on the wire in front of the reference."""

from __future__ import annotations

import codecs
import re

from lxml import etree

from bus.core import faults
from bus.core.envelope import CONTENT_TYPES
from bus.core.faults import SOAP11_NS, FaultCode, HubFault, fault_envelope
from bus.core.findings import Finding
from bus.core.header import HEADER_NS

from .faulty_inputs import _refuse
from .proxy import Call, Reply, header_findtext, soap_ns, tree

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# the prefixes the standard's examples and the suite's canonical messages use
_USUAL_PREFIXES = {"juki", "tax", "kokuho", "cmn"}


def _xml(call: Call) -> bytes | None:
    """The request as UTF-8 bytes without a BOM (None: UTF-16, which these defects read fine)."""
    if call.request[:2] in _UTF16_BOMS:
        return None
    return call.request.removeprefix(codecs.BOM_UTF8)


def _header(call: Call, name: str) -> str:
    return next((v for k, v in call.headers.items() if k.lower() == name), "")


def comment_refused(call: Call) -> bytes | Reply:
    """Refuses a request holding any comment (a hand-written scanner that knows elements only)."""
    if b"<!--" in (_xml(call) or b""):
        return _refuse(call, "PF-SOAP-ENVELOPE", "xml:comment", "comments are not allowed")
    return call.request


def processing_instruction_refused(call: Call) -> bytes | Reply:
    """Fails on a processing instruction other than the XML declaration — its parser throws,
    answered as its own failure (env:Receiver, HTTP 500, PF-PROVIDER-INTERNAL). SOAP 1.2 Part 1
    §5 allows a Sender fault instead of the canonical answer (round 15b), never this."""
    if re.search(rb"<\?(?!xml[\s?])", _xml(call) or b""):
        fault = FaultCode("PF-PROVIDER-INTERNAL", faults.Party.PROVIDER, 500,
                          "the provider failed to answer")
        ns = soap_ns(call.request) or SOAP11_NS
        return Reply(500, fault_envelope(HubFault(fault, (Finding(
            "provider:internal", "XMLSyntaxError: processing instruction not supported"),),
            header_findtext(tree(call.request), f"/{{{HEADER_NS}}}MessageId")), ns),
            CONTENT_TYPES[ns])
    return call.request


def cdata_refused(call: Call) -> bytes | Reply:
    """Reads text nodes only: a CDATA section is refused as unexpected markup."""
    if b"<![CDATA[" in (_xml(call) or b""):
        return _refuse(call, "PF-SOAP-ENVELOPE", "xml:cdata", "CDATA is not supported")
    return call.request


def payload_by_prefix(call: Call) -> bytes | Reply:
    """Finds the payload by the prefix the standard's examples use (juki:, tax:, …), not by its
    namespace: another prefix or a default namespace is refused."""
    try:
        root = tree(call.request)
    except etree.XMLSyntaxError:
        return call.request
    body = next((el for el in root if etree.QName(el).localname == "Body"), None)
    payload = next((el for el in body if isinstance(el.tag, str)), None) \
        if body is not None else None
    if payload is not None and payload.prefix not in _USUAL_PREFIXES \
            and b"NoSuchRequest" not in call.request:
        return _refuse(call, "PF-SCHEMA-INVALID", "xml:prefix", f"no {payload.tag} expected")
    return call.request


def white_space_between_elements_refused(call: Call) -> bytes | Reply:
    """Refuses white space between elements (a pretty-printed request) as unexpected text."""
    raw = _xml(call) or b""
    root = re.search(rb"<(?:[\w.-]+:)?Envelope[\s>]", raw)
    if root and b"<!DOCTYPE" not in raw and re.search(rb">[ \t\r\n]+<", raw[root.start():]):
        etree.fromstring(raw)  # what it cannot read is the reference's to refuse (proxy.py)
        return _refuse(call, "PF-SCHEMA-INVALID", "xml:text", "text where elements are expected")
    return call.request


def declaration_required(call: Call) -> bytes | Reply:
    """Sniffs the encoding from a mandatory XML declaration: without one, refused."""
    raw = _xml(call)
    if raw is not None and not raw.startswith(b"<?xml"):
        return _refuse(call, "PF-SOAP-ENVELOPE", "xml:declaration", "no XML declaration")
    return call.request


def declaration_literal(call: Call) -> bytes | Reply:
    """Parses the XML declaration as the fixed string its own messages use (double quotes, the
    encoding name in upper case)."""
    raw = _xml(call)
    if raw is not None and raw.startswith(b"<?xml") \
            and not raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'):
        return _refuse(call, "PF-SOAP-ENVELOPE", "xml:declaration", "unsupported declaration")
    return call.request


def media_type_case_sensitive(call: Call) -> bytes | Reply:
    """Compares the media type and the charset literally, in lower case (RFC 9110 makes both
    case-insensitive)."""
    value = _header(call, "content-type")
    media = value.split(";")[0].strip()
    if media not in ("text/xml", "application/soap+xml") or "Charset=" in value:
        return _refuse(call, "PF-SOAP-ENVELOPE", "http:content-type", f"unsupported {value}")
    return call.request


def charset_unquoted_only(call: Call) -> bytes | Reply:
    """Reads the charset parameter without removing its quotes: "utf-8" is an unknown charset."""
    m = re.search(r"charset=([^;\s]+)", _header(call, "content-type"), re.IGNORECASE)
    if m and m.group(1).lower() not in ("utf-8", "utf-16"):
        return _refuse(call, "PF-SOAP-ENVELOPE", "http:charset", f"unknown charset {m.group(1)}")
    return call.request


def content_type_parsed_by_position(call: Call) -> bytes | Reply:
    """Splits the Content-Type at '; ' and expects the charset first (parameters in order,
    one space after each ';'): another order or spacing is refused."""
    parts = _header(call, "content-type").split("; ")
    if len(parts) > 1 and not parts[1].lower().startswith("charset="):
        return _refuse(call, "PF-SOAP-ENVELOPE", "http:content-type", "charset expected first")
    return call.request


EQUIVALENCE = {
    "comment-refused": {"on_request": comment_refused},
    "processing-instruction-refused": {"on_request": processing_instruction_refused},
    "cdata-refused": {"on_request": cdata_refused},
    "payload-by-prefix": {"on_request": payload_by_prefix},
    "white-space-between-elements-refused": {"on_request": white_space_between_elements_refused},
    "declaration-required": {"on_request": declaration_required},
    "declaration-literal": {"on_request": declaration_literal},
    "media-type-case-sensitive": {"on_request": media_type_case_sensitive},
    "charset-unquoted-only": {"on_request": charset_unquoted_only},
    "content-type-parsed-by-position": {"on_request": content_type_parsed_by_position},
}
