"""Faulty products for how a product refuses and how it reads a date, the classes the ninth
blind batch still passed: a fault that blames the product for the client's error (RQ-FAULT-09),
a hostile input refused under another rule than its own (RQ-FAULT-07), a fault that stops at
the first problem (RQ-FAULT-10), the platform header's SOAP attributes refused (RQ-SOAP-08), and
an xs:date read as a midnight at its offset (RQ-EDGE-03).

Each is the reference adapter, or the SDK-built subscriber, with ONE defect of the class, written
from the docs and the XSD (a parser's habit, a validator's shortcut, a date library's), not
from the batch's variants."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from lxml import etree

from adapters.sdk.provider import ProviderError
from adapters.vendor_a_registry.store import UnknownExtract
from bus.core.faults import FAULT_DETAIL_TAG, FAULT_NS

from .faulty_handlers import EXTRACT, INQUIRY
from .faulty_inputs import _refuse
from .faulty_wire import JUKI
from .proxy import Call, Reply, header_find, is_fault, serialize, tree
from .references import References
from .subscriber import CMN, TestSubscriber

JST = dt.timezone(dt.timedelta(hours=9))
_SOAP_NAMESPACES = ("{http://schemas.xmlsoap.org/soap/envelope/}",
                    "{http://www.w3.org/2003/05/soap-envelope}")


# --- on the wire (a TamperProxy in front of the reference) --------------------------------------

def dtd_named_malformed(call: Call) -> bytes | Reply:
    """A DOCTYPE refused by a parser configured to reject it, its error passed on as is: the
    client's fault, but PF-XML-MALFORMED / xml:well-formed instead of PF-XML-DTD / soap:no-dtd."""
    if b"<!DOCTYPE" in call.request[:4096]:  # answered in the request's version, as the
        # reference does (the envelope read without its DOCTYPE and entity references)
        readable = re.sub(rb"&\w+;", b"x", re.sub(rb"<!DOCTYPE.*?\]>", b"", call.request,
                                                   flags=re.DOTALL))
        return _refuse(dataclasses.replace(call, request=readable), "PF-XML-MALFORMED",
                       "xml:well-formed", "DOCTYPE is not allowed (line 2)")
    return call.request


def header_attributes_strict(call: Call) -> bytes | Reply:
    """The platform header checked against a copy of header-v1.xsd without its anyAttribute:
    any SOAP attribute on it (mustUnderstand, actor/role, encodingStyle, relay) is refused."""
    try:
        header = header_find(tree(call.request))
    except etree.XMLSyntaxError:
        return call.request
    if header is not None and any(k.startswith(_SOAP_NAMESPACES) for k in header.attrib):
        return _refuse(call, "PF-HEADER-INVALID", "xsd:attribute",
                       "attribute not allowed on PlatformHeader")
    return call.request


def findings_fail_fast(call: Call) -> Reply:
    """A validator that stops at its first problem: a fault keeps only its first Finding."""
    if not is_fault(call.reply.body):
        return call.reply
    root = tree(call.reply.body)
    for detail in root.iter(FAULT_DETAIL_TAG):
        for extra in detail.findall(f"{{{FAULT_NS}}}Finding")[1:]:
            detail.remove(extra)
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


# --- handlers of the reference ------------------------------------------------------------------

def extract_expiry_blamed_on_self(refs: References, profile: str) -> str:
    """An unknown ExtractId taken for a snapshot this product let expire: answered as its own
    failure (Party provider, soap:Server), though the client named an extract that is not."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]

    def handler(header, request):
        try:
            return inner(header, request)
        except UnknownExtract:
            raise ProviderError("VENDOR-EXTRACT-EXPIRED", "the snapshot is no longer kept") \
                from None

    return refs.app(profile, {**handlers, EXTRACT: handler})


def jst_day(value: str) -> str:
    """An xs:date read as a midnight at its offset and converted to a JST date (a zoned date
    type's habit): 2025-04-01+14:00 becomes 2025-03-31; without a timezone, unchanged."""
    text = value.strip()
    if len(text) == 10:
        return text
    zone = dt.timezone.utc if text.endswith("Z") else \
        dt.datetime.strptime(text[10:].replace(":", ""), "%z").tzinfo
    midnight = dt.datetime.combine(dt.date.fromisoformat(text[:10]), dt.time(), zone)
    return midnight.astimezone(JST).date().isoformat()


def as_of_at_jst_midnight(refs: References, profile: str) -> str:
    """基準日 converted to JST before the lookup (住民照会 and 全件抽出 alike)."""
    handlers = refs.handlers(profile)

    def wrap(inner):
        def handler(header, request):
            el = request.find(f"{{{JUKI}}}AsOf")
            if el is not None and el.text:
                el.text = jst_day(el.text)
            return inner(header, request)
        return handler

    return refs.app(profile, {**handlers, INQUIRY: wrap(handlers[INQUIRY]),
                              EXTRACT: wrap(handlers[EXTRACT])})


REFUSAL_WIRE = {
    "dtd-named-malformed": {"on_request": dtd_named_malformed},
    "header-attributes-strict": {"on_request": header_attributes_strict},
    "findings-fail-fast": {"on_reply": findings_fail_fast},
}
REFUSAL_HANDLERS = {
    "extract-expiry-blamed-on-self": extract_expiry_blamed_on_self,
    "as-of-at-jst-midnight": as_of_at_jst_midnight,
}


# --- subscribers --------------------------------------------------------------------------------

# mode → (the requirement it breaks, the subscriber cases it must fail)
DATE_MODES = {
    # dates parsed as local dates (yyyy-mm-dd only): a timezone refused
    "notice-dates-local-only": ("RQ-EDGE-03", ("S-EDGE-03",)),
    # dates stored as the JST day of their midnight at the written offset
    "notice-dates-to-jst": ("RQ-EDGE-03", ("S-EDGE-03",)),
}
_DATES = tuple(f"{{{CMN}}}{n}" for n in ("DateOfBirth", "BecameResidentOn", "AddressFixedOn",
                                         "OccurredOn", "NotifiedOn", "RecordedOn"))


class DateSubscriber(TestSubscriber):
    __test__ = False

    def handler(self, header, notice: etree._Element) -> etree._Element:
        for el in notice.iter(*_DATES):
            if self.mode == "notice-dates-local-only" and len((el.text or "").strip()) != 10:
                raise ProviderError("VENDOR-DATE", "a date must be yyyy-mm-dd")
            if self.mode == "notice-dates-to-jst":
                el.text = jst_day(el.text or "")
        return super().handler(header, notice)
