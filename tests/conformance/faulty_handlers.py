"""Faulty providers whose ONE defect is in the vendor's own code: the reference handlers wrapped,
or the ProviderApp configured differently; and faulty service descriptions (WSDL)."""

from __future__ import annotations

import copy
import re

from lxml import etree

from adapters.sdk.provider import ProviderError
from adapters.vendor_a_registry import service as vendor_a
from adapters.vendor_b_tax import service as vendor_b

from .faulty_wire import CATALOG, JUKI, KOKUHO, TAX
from .references import JUKI_PROFILE, KOKUHO_PROFILE, References

INQUIRY, EXTRACT, TAXATION = ("juki.ResidentInquiry", "juki.ResidentFullExtract",
                              "kojinjuminzei.TaxationStatusInquiry")
QUALIFICATION = "kokuho.QualificationInquiry"
# the inquiry service of each provider profile and its namespace
INQUIRIES = {JUKI_PROFILE: (INQUIRY, JUKI), KOKUHO_PROFILE: (QUALIFICATION, KOKUHO)}


def _status(response, ns) -> str | None:
    return response.findtext(f"{{{ns}}}Status")


def not_found_as_fault(refs: References, profile: str) -> str:
    """'Not found' answered as an error: a fault where the standard wants Status not-found."""
    handlers = refs.handlers(profile)
    sid, ns = INQUIRIES.get(profile, (TAXATION, TAX))
    inner = handlers[sid]

    def handler(header, request):
        response = inner(header, request)
        if _status(response, ns) == "not-found":
            raise ProviderError("VENDOR-NOT-FOUND", "no such record")
        return response

    return refs.app(profile, {**handlers, sid: handler})


def answers_household_head(refs: References, profile: str) -> str:
    """住民照会 answers the head of the household (looked up by 世帯番号, not 宛名番号)."""
    handlers = refs.handlers(profile)

    def handler(header, request):
        response = vendor_a.resident_inquiry(refs.juki_store, header, request)
        head = response.find(f"{{{JUKI}}}Household/{{urn:pfbus:platform:common:v1}}Member")
        resident = response.find(f"{{{JUKI}}}Resident")
        if head is not None and resident is not None:
            replacement = copy.deepcopy(head)
            replacement.tag = resident.tag
            response.replace(resident, replacement)
        return response

    return refs.app(profile, {**handlers, INQUIRY: handler})


def limits_narrower(refs: References, profile: str) -> str:
    """The vendor's own limits are narrower than the XSD's: a 宛名番号 longer than its CHAR(10)
    column, a page larger than 500 records are refused instead of answered."""
    handlers = refs.handlers(profile)

    def guarded(inner, ns):
        def handler(header, request):
            number = request.findtext(f"{{{ns}}}AddresseeNumber") or ""
            size = request.findtext(f"{{{ns}}}PageSize") or "0"
            if len(number) > 10 or int(size) > 500:
                raise ProviderError("VENDOR-LIMIT", "beyond this product's limits")
            return inner(header, request)
        return handler

    ns = INQUIRIES.get(profile, (TAXATION, TAX))[1]
    return refs.app(profile, {sid: guarded(h, ns) for sid, h in handlers.items()})


def paging_overlap(refs: References, profile: str) -> str:
    """Page n starts one record early (an off-by-one offset): the last record of page n-1 is
    repeated and the last record of the extract is never sent."""
    handlers = refs.handlers(profile)

    def handler(header, request):
        response = vendor_a.full_extract(refs.juki_store, header, request)
        page = int(request.findtext(f"{{{JUKI}}}Page"))
        if page > 1:
            previous = copy.deepcopy(request)
            previous.find(f"{{{JUKI}}}Page").text = str(page - 1)
            carried = vendor_a.full_extract(refs.juki_store, header, previous) \
                .findall(f"{{{JUKI}}}Resident")[-1:]
            residents = response.findall(f"{{{JUKI}}}Resident")
            for r in residents[-1:] if carried and residents else []:
                response.remove(r)
            insert_at = len(response) - len(response.findall(f"{{{JUKI}}}Resident"))
            for r in carried:
                response.insert(insert_at, r)
        return response

    return refs.app(profile, {**handlers, EXTRACT: handler})


def wrong_fiscal_year(refs: References, profile: str) -> str:
    """課税状況照会 answers the year before the one asked (a 年度 vs 年分 confusion)."""
    handlers = refs.handlers(profile)

    def handler(header, request):
        asked = copy.deepcopy(request)
        year = asked.find(f"{{{TAX}}}FiscalYear")
        year.text = str(int(year.text[:4]) - 1)
        return vendor_b.taxation_status_inquiry(refs.tax_store, header, asked)

    return refs.app(profile, {**handlers, TAXATION: handler})


def qualification_lost_ignored(refs: References, profile: str) -> str:
    """資格喪失 not looked at: a resident whose insurance ended is answered as insured."""
    handlers = refs.handlers(profile)
    inner = handlers[QUALIFICATION]

    def handler(header, request):
        response = inner(header, request)
        for el in response.iter(f"{{{KOKUHO}}}QualificationStatus"):
            if el.text == "lost":
                el.text = "insured"
                lost = el.getparent().find(f"{{{KOKUHO}}}LostOn")
                if lost is not None:
                    el.getparent().remove(lost)
        return response

    return refs.app(profile, {**handlers, QUALIFICATION: handler})


def qualification_as_of_ignored(refs: References, profile: str) -> str:
    """The 基準日 is ignored: every inquiry is answered as of today."""
    handlers = refs.handlers(profile)
    inner = handlers[QUALIFICATION]

    def handler(header, request):
        today = copy.deepcopy(request)
        for el in today.findall(f"{{{KOKUHO}}}AsOf"):
            today.remove(el)
        return inner(header, today)

    return refs.app(profile, {**handlers, QUALIFICATION: handler})


def extract_per_request(refs: References, profile: str) -> str:
    """Every first 全件 request makes a new snapshot: the RequestId is ignored."""
    handlers = refs.handlers(profile)

    def handler(header, request):
        for el in request.findall(f"{{{JUKI}}}RequestId"):
            request.remove(el)
        return vendor_a.full_extract(refs.juki_store, header, request)

    return refs.app(profile, {**handlers, EXTRACT: handler})


def no_validation(refs: References, profile: str) -> str:
    """The SDK's validation switched off: whatever arrives goes to the vendor's code."""
    return refs.app(profile, validate=False)


HANDLERS = {
    "not-found-as-fault": not_found_as_fault,
    "answers-household-head": answers_household_head,
    "limits-narrower": limits_narrower,
    "paging-overlap": paging_overlap,
    "extract-per-request": extract_per_request,
    "wrong-fiscal-year": wrong_fiscal_year,
    "no-validation": no_validation,
    "qualification-lost-ignored": qualification_lost_ignored,
    "qualification-as-of-ignored": qualification_as_of_ignored,
}


# --- service descriptions ------------------------------------------------------------------------

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP11 = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"


def _wsdl(edit):
    def serve(service_id: str) -> bytes | None:
        spec = CATALOG.service(service_id)
        if spec is None:
            return None
        root = etree.parse(str(spec.wsdl)).getroot()
        changed = edit(root)
        root = changed if changed is not None else root
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return serve


def rpc_style(root):
    # an RPC/encoded-era toolkit's default
    for el in root.iter(f"{{{SOAP11}}}binding", f"{{{SOAP12}}}binding"):
        el.set("style", "rpc")


def no_soap12(root):
    # a SOAP 1.1-only stack
    for b in root.findall(f"{{{WSDL_NS}}}binding"):
        if b.find(f"{{{SOAP12}}}binding") is not None:
            root.remove(b)
    for port in root.iter(f"{{{WSDL_NS}}}port"):
        if port.find(f"{{{SOAP12}}}address") is not None:
            port.getparent().remove(port)


def wrong_namespace(root):
    # the unit's namespace of an older draft: the parts name elements nobody else knows
    old = root.nsmap
    for prefix in ("juki", "tax", "kokuho"):
        if prefix in old:
            new_ns = old[prefix].replace(":v1", ":v0")
            for part in root.iter(f"{{{WSDL_NS}}}part"):
                if part.get("element", "").startswith(f"{prefix}:"):
                    part.set("element", "{%s}%s" % (new_ns, part.get("element").split(":")[1]))
    return _resolve_curly_qnames(root)


def _resolve_curly_qnames(root):
    """Write ``{ns}local`` attribute values back as ``x0:local`` with a declared prefix."""
    text = etree.tostring(root).decode()
    namespaces = sorted(set(re.findall(r'element="\{([^}]*)\}', text)))
    for i, ns in enumerate(namespaces):
        text = text.replace(f'element="{{{ns}}}', f'element="x{i}:')
        text = text.replace("<wsdl:definitions ", f'<wsdl:definitions xmlns:x{i}="{ns}" ', 1)
    return etree.fromstring(text.encode())


def fault_undeclared(root):
    # the operation forgets its fault: callers' stubs cannot read pff:FaultDetail
    for op in root.iter(f"{{{WSDL_NS}}}portType"):
        for fault in op.iter(f"{{{WSDL_NS}}}fault"):
            fault.getparent().remove(fault)


WSDLS = {
    "wsdl-rpc-style": _wsdl(rpc_style),
    "wsdl-no-soap12": _wsdl(no_soap12),
    "wsdl-wrong-namespace": _wsdl(wrong_namespace),
    "wsdl-fault-undeclared": _wsdl(fault_undeclared),
}
