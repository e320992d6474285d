"""Faulty products for the statements round 15's inventory found checkable and unchecked
(docs/conformance-testing.md, Round 15): which refusal comes first (P-ORDER-01), a DOCTYPE in the forms
P-HOST-01…03 never send (P-HOST-08), an empty SOAPAction (P-EQUIV-01's soap-action-empty), an
answer the hub's parser refuses (P-WIRE-01's hub_reading).

Each is the reference adapter behind a front end with ONE defect, written from README, SOAP 1.2
Part 1 2.6, docs/security.md and SOAP 1.1 6.1.1 — an XSD-validating gateway in front of the
application, a router that reads the header before SOAP's processing model, a validator that
runs before the Receiver check, DTD detectors that look for an entity, for the bytes or for an
anchored DOCTYPE, a dispatcher keyed by SOAPAction, a streaming front end that declares a length
too — not from any blind batch's variants.
"""

from __future__ import annotations

import io
import re
import threading

from lxml import etree

from bus.core import faults
from bus.core.catalog import Catalog
from bus.core.faults import SOAP11_NS, SOAP12_NS, FaultCode, HubFault, fault_envelope
from bus.core.findings import Finding
from bus.core.header import HEADER_TAG
from bus.core.soap_headers import not_understood_by_receiver
from bus.core.validator import MessageValidator

from .faulty_round14b import _message_id, _rehashed
from .proxy import Call, Reply, TamperProxy, _Handler, has_doctype, soap_ns
from .references import References

PFH = "{urn:pfbus:platform:header:v1}"
_SERVED_VERSION = "1"
_validator: MessageValidator | None = None
_validator_lock = threading.Lock()


def _schema() -> MessageValidator:
    global _validator
    with _validator_lock:
        if _validator is None:
            _validator = MessageValidator(Catalog.load(["builtin"]))
        return _validator


def _read(raw: bytes) -> etree._Element | None:
    """The envelope as a product's parser reads it; None for what such a front end leaves to
    the application (a DTD, broken XML: P-HOST-*'s, not this defect's; a root that is no SOAP
    Envelope: P-SOAP-08's)."""
    try:
        root = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True,
                                                     load_dtd=False, remove_comments=True,
                                                     remove_pis=True))
    except etree.XMLSyntaxError:
        return None
    if root.tag not in (f"{{{SOAP11_NS}}}Envelope", f"{{{SOAP12_NS}}}Envelope"):
        return None
    return None if root.getroottree().docinfo.doctype else root


def _parts(root: etree._Element) -> tuple[list[etree._Element], etree._Element | None]:
    """The header blocks and the body's payload element."""
    ns = etree.QName(root).namespace
    header = root.find(f"{{{ns}}}Header")
    body = root.find(f"{{{ns}}}Body")
    payload = next((c for c in body if isinstance(c.tag, str)), None) if body is not None \
        else None
    return [c for c in header if isinstance(c.tag, str)] if header is not None else [], payload


def _fault(call: Call, code: FaultCode, findings: list[Finding]) -> Reply:
    """A client fault of ``findings`` in the request's SOAP version (the one its Content-Type
    names when the envelope cannot be read: a DTD, UTF-16), naming its MessageId."""
    media = next((v for k, v in call.headers.items() if k.lower() == "content-type"), "")
    ns = soap_ns(call.request) or (SOAP12_NS if "soap+xml" in media.lower() else SOAP11_NS)
    status, media = (500, "text/xml") if ns == SOAP11_NS else (400, "application/soap+xml")
    fault = HubFault(code, tuple(findings), _message_id(call.request))
    return Reply(status, fault_envelope(fault, ns), f"{media}; charset=utf-8")


def _refusal(call: Call, code: FaultCode, rule: str, text: str) -> Reply:
    return _fault(call, code, [Finding(rule, text)])


def _xsd_findings(payload: etree._Element | None) -> list[Finding]:
    if payload is None:
        return []
    return [f for f in _schema().validate(payload) if f.rule.startswith("xsd:")]


def _misaddressed(call: Call, blocks: list[etree._Element]) -> str | None:
    """The rule a header check refuses the request by (Receiver, Version), or None."""
    header = next((b for b in blocks if b.tag == HEADER_TAG), None)
    if header is None:
        return None
    own = call.state["receiver"]
    receiver = header.find(f"{PFH}Receiver")
    service = header.findtext(f"{PFH}Service/{PFH}ServiceId") or ""
    got = (receiver.findtext(f"{PFH}LocalGovCode"), receiver.findtext(f"{PFH}BusinessUnit"),
           receiver.findtext(f"{PFH}SystemId")) if receiver is not None else (None,) * 3
    # a notice is addressed to the hub of its municipality and unit (住基's 異動通知: 01)
    notice = service.endswith("ChangeNotice")
    if got != ((own.local_gov_code, "01", "hub") if notice else
               (own.local_gov_code, own.business_unit, own.system_id)):
        return "header:receiver"
    if header.findtext(f"{PFH}Service/{PFH}Version") != _SERVED_VERSION:
        return "service:version"
    return None


# --- which refusal comes first (P-ORDER-01) -----------------------------------------------------

def schema_gateway_first(call: Call) -> bytes | Reply:
    """An XSD-validating gateway in front of the application: a body the service's schema
    refuses is answered PF-SCHEMA-INVALID before SOAP's header processing and the Receiver and
    Version checks ever run."""
    root = _read(call.request)
    if root is None:
        return call.request
    findings = _xsd_findings(_parts(root)[1])
    return _fault(call, faults.SCHEMA_INVALID, findings) if findings else call.request


def header_routed_before_must_understand(call: Call) -> bytes | Reply:
    """The router reads the platform header first and refuses a message for another system or
    version; SOAP's mustUnderstand processing comes after it, in the application."""
    root = _read(call.request)
    if root is None:
        return call.request
    blocks, _ = _parts(root)
    if not not_understood_by_receiver(blocks, etree.QName(root).namespace):
        return call.request  # the reference answers as it should
    rule = _misaddressed(call, blocks)
    if rule is None:
        return call.request
    return _refusal(call, faults.PROVIDER_MISROUTED, rule, "not for this system")


def receiver_checked_after_validation(call: Call) -> bytes | Reply:
    """mustUnderstand first, as SOAP says, then the body validated, and only then whether the
    message is this system's (Receiver, Version): a misaddressed, invalid message is answered as
    a schema violation."""
    root = _read(call.request)
    if root is None:
        return call.request
    blocks, payload = _parts(root)
    if not_understood_by_receiver(blocks, etree.QName(root).namespace) \
            or _misaddressed(call, blocks) is None:
        return call.request
    findings = _xsd_findings(payload)
    return _fault(call, faults.SCHEMA_INVALID, findings) if findings else call.request


# --- a DOCTYPE in other forms (P-HOST-08) ---------------------------------------------------------

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _past_the_doctype(raw: bytes) -> bytes:
    """The request as a parser that reads past its DOCTYPE sees it: internal entities expanded,
    the DOCTYPE gone, in the request's own encoding."""
    root = etree.fromstring(raw, etree.XMLParser(resolve_entities=True, no_network=True,
                                                 load_dtd=True))
    encoding = "UTF-16" if raw.startswith(_UTF16_BOMS) else "UTF-8"
    return etree.tostring(root, xml_declaration=True, encoding=encoding)


def _text(raw: bytes) -> str:
    return raw.decode("utf-16") if raw.startswith(_UTF16_BOMS) else raw.decode("utf-8", "replace")


def _dtd_refusal(call: Call) -> Reply:
    return _refusal(call, faults.DTD_FORBIDDEN, "soap:no-dtd", "a DTD is not allowed in SOAP")


def _dtd_check(refuse):
    """A front end refusing a request with a DTD when ``refuse(raw)``; any other DTD is read
    past (the reply hashed over the request as sent)."""
    def on_request(call: Call) -> bytes | Reply:
        if refuse(call.request):
            return _dtd_refusal(call)
        return _past_the_doctype(call.request) if has_doctype(call.request) else call.request
    return {"on_request": on_request, "on_reply": _rehashed}


_GENERAL_ENTITY = re.compile(r"<!ENTITY\s+[^%\s]")
_ANCHORED = re.compile(r"\A\ufeff?(?:<\?xml[^>]*\?>)?\s*<!DOCTYPE")


# --- an empty SOAPAction (P-EQUIV-01) -------------------------------------------------------------

def soap_action_dispatch(call: Call) -> bytes | Reply:
    """Dispatch by SOAPAction whenever the field is present (only a missing one falls back to
    the body): an empty SOAPAction, which SOAP 1.1 6.1.1 gives the request-URI's meaning,
    names no operation here."""
    action = next((v for k, v in call.headers.items() if k.lower() == "soapaction"), None)
    if action is None or action.strip().strip('"'):
        return call.request
    return _refusal(call, faults.NOT_SOAP, "soap:action",
                    "the SOAPAction names no operation of this endpoint")


# --- an answer's framing as the hub reads it (P-WIRE-01) ---------------------------------------

class _LengthBesideChunked(_Handler):
    """A front end that streams every answer in chunks and also declares its length: RFC 9112
    6.3 lets a client ignore the Content-Length (the suite's does), the hub refuses the answer
    (docs/security.md: none with Transfer-Encoding)."""

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(f"{len(reply.body):x}\r\n".encode() + reply.body + b"\r\n0\r\n\r\n")
        self.close_connection = True


def answer_length_beside_chunked(refs: References, profile: str) -> str:
    proxy = TamperProxy(refs.url(profile))
    proxy._server.RequestHandlerClass = type(  # type: ignore[attr-defined]
        "LengthBesideChunked", (_LengthBesideChunked,), {"owner": proxy})
    refs._servers.append(proxy)  # closed with the references' servers  # type: ignore[arg-type]
    return proxy.url


class _TrailerRefused(_Handler):
    """A chunked-body decoder that expects the empty line right after the last chunk: a
    trailer field (RFC 9112 7.1.2) is refused as bad chunking (400)."""

    def do_POST(self):
        if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            return super().do_POST()
        parts = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            parts.append(self.rfile.read(size))
            self.rfile.readline()
        if self.rfile.readline().strip():  # a trailer field where the empty line belongs
            media = self.headers.get("Content-Type", "")
            ns = SOAP12_NS if "soap+xml" in media.lower() else SOAP11_NS
            fault = HubFault(faults.HTTP_BAD_REQUEST, (Finding("http:syntax", "bad chunking"),))
            self.close_connection = True
            return self._send(Reply(400, fault_envelope(fault, ns), (
                "application/soap+xml" if ns == SOAP12_NS else "text/xml") + "; charset=utf-8"))
        # the body is read: handed on as if it had come with a Content-Length
        raw = b"".join(parts)
        del self.headers["Transfer-Encoding"]
        self.headers["Content-Length"] = str(len(raw))
        self.rfile = io.BufferedReader(io.BytesIO(raw))  # type: ignore[arg-type]
        return super().do_POST()


def chunk_trailer_refused(refs: References, profile: str) -> str:
    proxy = TamperProxy(refs.url(profile))
    proxy._server.RequestHandlerClass = type(  # type: ignore[attr-defined]
        "TrailerRefused", (_TrailerRefused,), {"owner": proxy})
    refs._servers.append(proxy)  # closed with the references' servers  # type: ignore[arg-type]
    return proxy.url


ROUND15_HANDLERS = {"answer-length-beside-chunked": answer_length_beside_chunked,
                    "chunk-trailer-refused": chunk_trailer_refused}

ROUND15_WIRE = {
    "schema-gateway-first": {"on_request": schema_gateway_first},
    "header-routed-before-must-understand": {"on_request": header_routed_before_must_understand},
    "receiver-checked-after-validation": {"on_request": receiver_checked_after_validation},
    "dtd-refused-when-declaring-entities": _dtd_check(
        lambda raw: has_doctype(raw) and bool(_GENERAL_ENTITY.search(_text(raw)))),
    "doctype-sought-in-utf8-bytes": _dtd_check(lambda raw: b"<!DOCTYPE" in raw),
    "doctype-anchored-after-declaration": _dtd_check(
        lambda raw: bool(_ANCHORED.match(_text(raw)))),
    "soap-action-dispatch": {"on_request": soap_action_dispatch},
}
