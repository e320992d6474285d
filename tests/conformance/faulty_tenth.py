"""Faulty products for the classes the tenth blind batch passed through the suite on the
request side: how mustUnderstand is read (its value, the roles that name the product), which
code a header's schema violation gets, and a valid key at the end of its value domain.

Each is the reference adapter (or the SDK-built subscriber, for the wire defects) with ONE
defect of the class, written from SOAP and docs/faults.md — a SOAP stack's shortcut, a
validator's, a vendor's own check — not from the batch's variants. The subscriber defects of
the round (receipts, order, characters, a notice of many changes) are modes of
subscriber.TestSubscriber."""

from __future__ import annotations

import base64
import hashlib
import re

from lxml import etree

from adapters.sdk.provider import ProviderError
from bus.core import faults
from bus.core.faults import (FAULT_DETAIL_TAG, FAULT_NS, SOAP11_NS, SOAP12_NS, FaultCode,
                             HubFault, fault_envelope)
from bus.core.findings import Finding
from bus.core.header import HEADER_NS, HEADER_TAG

from .faulty_handlers import INQUIRY
from .faulty_wire import JUKI
from .proxy import Call, Reply, header_find, header_findtext, is_fault, serialize, tree
from .references import References

_ROLE = {SOAP11_NS: f"{{{SOAP11_NS}}}actor", SOAP12_NS: f"{{{SOAP12_NS}}}role"}


def _blocks(call: Call):
    """The envelope's SOAP namespace and its header blocks other than the platform header."""
    try:
        root = tree(call.request)
    except etree.XMLSyntaxError:
        return None, []
    ns = etree.QName(root).namespace
    header = root.find(f"{{{ns}}}Header")
    return ns, [b for b in (header if header is not None else []) if
                isinstance(b.tag, str) and b.tag != HEADER_TAG]


def _must_understand_fault(call: Call, ns: str, block) -> Reply:
    """SOAP's MustUnderstand fault for ``block``, as the reference words it (HTTP 500)."""
    mid = header_findtext(tree(call.request), f"/{{{HEADER_NS}}}MessageId")
    code = FaultCode(faults.MUST_UNDERSTAND.code, faults.Party.CLIENT, 500,
                     "a header block is not understood", soap_code="MustUnderstand")
    finding = Finding("soap:mustUnderstand", f"{block.tag} is not understood")
    return Reply(500, fault_envelope(HubFault(code, (finding,), mid), ns),
                 "application/soap+xml; charset=utf-8" if ns == SOAP12_NS
                 else "text/xml; charset=utf-8")


def must_understand_any_value(call: Call) -> bytes | Reply:
    """mustUnderstand read as "is the attribute there": a block addressed to this system (no
    actor/role) that carries it at all — "0" and "false" too — is refused as not understood."""
    ns, blocks = _blocks(call)
    for block in blocks:
        if block.get(f"{{{ns}}}mustUnderstand") is not None and block.get(_ROLE[ns]) is None:
            return _must_understand_fault(call, ns, block)
    return call.request


_TARGETED = re.compile(rb'(<[A-Za-z_][\w.-]*:\w+\b[^>]*?\s[A-Za-z_][\w.-]*:(?:actor|role)='
                       rb'"[^"]*"[^>]*>)')
_MUST = re.compile(rb'\s[A-Za-z_][\w.-]*:mustUnderstand="[^"]*"')


def roles_taken_as_elsewhere(call: Call) -> bytes:
    """A SOAP stack that takes a block with any actor/role for some other node's: its
    mustUnderstand is never applied here (actor/role next and ultimateReceiver name this
    system too). The reference is handed those blocks without the attribute."""
    return _TARGETED.sub(lambda m: _MUST.sub(b"", m.group(1)), call.request)


def hash_of_what_was_sent(call: Call) -> Reply:
    """The reply's RequestHash put back to the digest of the suite's bytes."""
    if call.reply is None or call.forwarded == call.request:
        return call.reply
    root = tree(call.reply.body)
    el = header_find(root, f"/{{{HEADER_NS}}}RequestHash")
    if el is None:
        return call.reply
    el.text = base64.b64encode(hashlib.sha256(call.request).digest()).decode()
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


def header_facets_as_schema(call: Call) -> Reply:
    """One validator for the header and the body, one code for what it finds: a fault whose
    findings are XSD facets (xsd:pattern, xsd:maxLength …) is PF-SCHEMA-INVALID, the header's
    included."""
    if call.reply is None or not is_fault(call.reply.body):
        return call.reply
    root = tree(call.reply.body)
    changed = False
    for detail in root.iter(FAULT_DETAIL_TAG):
        code = detail.find(f"{{{FAULT_NS}}}Code")
        rules = [f.findtext(f"{{{FAULT_NS}}}Rule") or "" for f in
                 detail.iter(f"{{{FAULT_NS}}}Finding")]
        if code is not None and code.text == "PF-HEADER-INVALID" and \
                any(r.startswith("xsd:") for r in rules):
            code.text, changed = "PF-SCHEMA-INVALID", True
    if not changed:
        return call.reply
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


def repeated_digit_keys_refused(refs: References, profile: str) -> str:
    """A vendor's "dummy number" check: a 宛名番号 or 個人番号 of one digit repeated
    (0000000000, 000000000000) is refused as a placeholder — valid numbers, check digit and
    all, that are looked up elsewhere and answered not found."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        for tag in ("AddresseeNumber", "IndividualNumber"):
            value = (request.findtext(f"{{{JUKI}}}{tag}") or "").strip()
            if value and len(set(value)) == 1:
                raise ProviderError("VENDOR-DUMMY-NUMBER", f"{tag} {value} is a placeholder")
        return inner(header, request)

    return refs.app(profile, {**handlers, INQUIRY: handler})


TENTH_WIRE = {
    "must-understand-any-value": {"on_request": must_understand_any_value},
    "roles-taken-as-elsewhere": {"on_request": roles_taken_as_elsewhere,
                                 "on_reply": hash_of_what_was_sent},
    "header-facets-as-schema": {"on_reply": header_facets_as_schema},
}
TENTH_HANDLERS = {
    "repeated-digit-keys-refused": repeated_digit_keys_refused,
}
