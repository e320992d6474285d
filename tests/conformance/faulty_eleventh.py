"""Faulty products for the classes the eleventh blind batch passed through the suite: the SOAP
envelope's own structure, a RequestId retried more than once or with the other option of a
first request, XInclude, another lexical form of a field's value, XML Schema instance
attributes.

Each is the reference adapter with ONE defect of the class, written from SOAP, XML Schema,
XInclude and docs/notices.md — a SOAP stack's habit, a vendor's retry table, an XInclude-aware
parser, a hand-written number reader, a strict unmarshaller — not from the batch's variants.
The subscriber defects of the round (the n-th redelivery, redeliveries in flight together,
several special characters in one name) are modes of subscriber.TestSubscriber."""

from __future__ import annotations

import copy
import threading

from lxml import etree

from bus.core import faults
from bus.core.faults import SOAP12_NS, HubFault, fault_envelope
from bus.core.findings import Finding
from bus.core.header import HEADER_NS

from .faulty_handlers import EXTRACT
from .faulty_tenth import hash_of_what_was_sent
from .faulty_wire import JUKI
from .proxy import Call, Reply, header_findtext, is_fault, serialize, tree
from .references import References

XSI = "http://www.w3.org/2001/XMLSchema-instance"


def header_block_unqualified(call: Call) -> Reply:
    """A vendor SOAP stack's tracing block written without a namespace (<Trace>) as the first
    block of every answer's Header — SOAP 1.1 §4.2 and SOAP 1.2 §5.2 want every header block
    namespace-qualified."""
    if call.reply is None or is_fault(call.reply.body):
        return call.reply
    root = tree(call.reply.body)
    header = root.find(f"{{{etree.QName(root).namespace}}}Header")
    if header is None:
        return call.reply
    trace = etree.Element("Trace")
    trace.text = "vendor-trace-1"
    header.insert(0, trace)
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


def xinclude_resolved(call: Call) -> bytes:
    """The front end parses with XInclude processing on (an XInclude-aware parser configured for
    "modular" messages): xi:include elements are replaced by what they include, or by their
    fallback, before the SDK validates."""
    if b"http://www.w3.org/2001/XInclude" not in call.request:
        return call.request
    root = tree(call.request)
    document = root.getroottree()
    document.xinclude()
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def _schema_fault(call: Call, message: str) -> Reply:
    """PF-SCHEMA-INVALID for the request, as the reference words a body's violation."""
    root = tree(call.request)
    ns = etree.QName(root).namespace
    mid = header_findtext(root, f"/{{{HEADER_NS}}}MessageId")
    fault = HubFault(faults.SCHEMA_INVALID, (Finding("xsd:attribute", message),), mid)
    soap12 = ns == SOAP12_NS
    return Reply(400 if soap12 else 500, fault_envelope(fault, ns),
                 "application/soap+xml; charset=utf-8" if soap12 else "text/xml; charset=utf-8")


def xsi_type_refused(call: Call) -> bytes | Reply:
    """A strict unmarshaller that binds elements to classes by their declared type: an xsi:type
    on a body element is an attribute it has no field for — refused, even when it names the
    declared type (XML Schema Part 1 §3.4.6: a type is validly derived from itself)."""
    if f"{{{XSI}}}type".encode() not in call.request and b"XMLSchema-instance" not in call.request:
        return call.request
    root = tree(call.request)
    body = root.find(f"{{{etree.QName(root).namespace}}}Body")
    if body is not None and any(el.get(f"{{{XSI}}}type") is not None for el in body.iter()
                                if isinstance(el.tag, str)):
        return _schema_fault(call, "unexpected attribute xsi:type")
    return call.request


def resend_answered_once(call: Call) -> bytes | Reply:
    """A replay guard that allows one retry: a MessageId seen twice before is refused as a
    replay (PF-DUPLICATE-MESSAGE) — the second resend of a lost reply gets a fault."""
    root = tree(call.request)
    mid = header_findtext(root, f"/{{{HEADER_NS}}}MessageId")
    with _LOCK:
        seen = call.state.setdefault("seen", {})
        seen[mid] = seen.get(mid, 0) + 1
        replayed = mid is not None and seen[mid] > 2
    if not replayed:
        return call.request
    ns = etree.QName(root).namespace
    fault = HubFault(faults.DUPLICATE_MESSAGE, (Finding("header:replay", "seen twice before"),),
                     mid)
    soap12 = ns == SOAP12_NS
    return Reply(400 if soap12 else 500, fault_envelope(fault, ns),
                 "application/soap+xml; charset=utf-8" if soap12 else "text/xml; charset=utf-8")


_LOCK = threading.Lock()


def request_id_retried_once(refs: References, profile: str) -> str:
    """A retry table with a budget: a (Sender, RequestId) row answers one retry ("a consumer
    retries once"), the next request with that RequestId is taken for a new transfer."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]
    asked: dict[tuple[str, str], int] = {}
    lock = threading.Lock()

    def handler(header, request):
        request_id = request.findtext(f"{{{JUKI}}}RequestId")
        if request_id is not None and request.find(f"{{{JUKI}}}ExtractId") is None:
            with lock:
                key = (header.sender.system_id, request_id)
                asked[key] = asked.get(key, 0) + 1
                over = asked[key] > 2
            if over:  # the budget spent: asked as if new, and a second snapshot made
                request = copy.deepcopy(request)
                el = request.find(f"{{{JUKI}}}RequestId")
                el.getparent().remove(el)
        return inner(header, request)

    return refs.app(profile, {**handlers, EXTRACT: handler})


def request_id_undated_only(refs: References, profile: str) -> str:
    """The RequestId table lives in the export module of today's data; a first request with a
    基準日 goes to the dated-extract job, which takes the date and the page size and nothing
    else: each dated request is a new snapshot."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]

    def handler(header, request):
        if request.find(f"{{{JUKI}}}AsOf") is not None and \
                request.find(f"{{{JUKI}}}RequestId") is not None:
            request = copy.deepcopy(request)
            el = request.find(f"{{{JUKI}}}RequestId")
            el.getparent().remove(el)
        return inner(header, request)

    return refs.app(profile, {**handlers, EXTRACT: handler})


def page_size_digits_only(refs: References, profile: str) -> str:
    """PageSize read by a hand-written number reader: digits only, else the vendor's default
    page of 100 — "+03", "03 " (valid xs:positiveInteger forms of 3) get pages of 100."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]

    def handler(header, request):
        el = request.find(f"{{{JUKI}}}PageSize")
        if el is not None and not (el.text or "").isdigit():
            request = copy.deepcopy(request)
            request.find(f"{{{JUKI}}}PageSize").text = "100"
        return inner(header, request)

    return refs.app(profile, {**handlers, EXTRACT: handler})


ELEVENTH_WIRE = {
    "header-block-unqualified": {"on_reply": header_block_unqualified},
    "xinclude-resolved": {"on_request": xinclude_resolved, "on_reply": hash_of_what_was_sent},
    "xsi-type-refused": {"on_request": xsi_type_refused},
    "resend-answered-once": {"on_request": resend_answered_once},
}
ELEVENTH_HANDLERS = {
    "request-id-retried-once": request_id_retried_once,
    "request-id-undated-only": request_id_undated_only,
    "page-size-digits-only": page_size_digits_only,
}
