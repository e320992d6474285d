"""Faulty providers whose ONE defect is on the wire: the reference adapter behind a TamperProxy.

Each builder takes the reference adapter's URL and returns the proxy's ``on_request`` /
``on_reply`` (or a WSDL). Comments say which requirement the defect breaks and why it is a
realistic mistake.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
import uuid

from lxml import etree

from bus.core import faults
from bus.core.catalog import Catalog
from bus.core.faults import FAULT_NS, SOAP11_NS, SOAP12_NS, FaultCode, HubFault, fault_envelope
from bus.core.findings import Finding
from bus.core.header import HEADER_NS
from bus.core.identifiers import Modulus11Scheme
from conformance.envelopes import request_header
from schemas import BUILTIN_CATALOG

from .proxy import Call, Reply, has_doctype, header_find, is_fault, serialize, soap_ns, tree

CATALOG = Catalog.load([BUILTIN_CATALOG])
CMN = "urn:pfbus:platform:common:v1"
M11 = Modulus11Scheme()  # the test data's 宛名番号 scheme
JUKI = "urn:pfbus:unit:juki:v1"
TAX = "urn:pfbus:unit:kojin-juminzei:v1"
KOKUHO = "urn:pfbus:unit:kokuho:v1"


def _h(name: str) -> str:
    return f"{{{HEADER_NS}}}{name}"


def _reply_tree(call: Call):
    """(root, header element) of the reply, or (root, None) for a fault without header."""
    root = tree(call.reply.body)
    return root, header_find(root)


def _edit_header(edit):
    """An on_reply changing the reply's PlatformHeader with ``edit(header, request_header)``."""
    def on_reply(call: Call) -> Reply:
        root, header = _reply_tree(call)
        if header is None:
            return call.reply
        edit(header, header_find(tree(call.request)))
        return Reply(call.reply.status, serialize(root), call.reply.content_type)
    return on_reply


# --- the binding of the reply (RQ-BIND-*) and its header (RQ-MSG-03) -----------------------------

def relates_to_fresh(header, request):
    # a provider that relates the reply to a new ID of its own instead of the request's
    header.find(_h("RelatesTo")).text = str(uuid.uuid4())


def hash_of_c14n(header, request):
    # the digest of the parsed-and-re-serialised request, not of the bytes received: a classic
    # mistake of frameworks that hand the handler a DOM
    c14n = etree.tostring(request.getroottree().getroot(), method="c14n")
    header.find(_h("RequestHash")).text = base64.b64encode(hashlib.sha256(c14n).digest()).decode()


def parties_not_swapped(header, request):
    # echoes the request's parties instead of answering from the receiver to the sender
    for name in ("Sender", "Receiver"):
        header.replace(header.find(_h(name)), _copy(request.find(_h(name))))


def sent_at_utc(header, request):
    # the server clock's UTC time, not JST (+09:00)
    header.find(_h("SentAt")).text = dt.datetime.now(dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def sent_at_echoed(header, request):
    # the request's header copied over: its SentAt, not the answer's
    header.find(_h("SentAt")).text = request.findtext(_h("SentAt"))


def sent_at_frozen(call: Call) -> Reply:
    """Every answer carries the SentAt of its first one: a reply-header template filled in once,
    at start-up. Within clock_skew of the suite's clock, so only the run-level check sees it."""
    root, header = _reply_tree(call)
    if header is None:
        return call.reply
    header.find(_h("SentAt")).text = call.state.setdefault("frozen", header.findtext(_h("SentAt")))
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


def _copy(el):
    return etree.fromstring(etree.tostring(el))


# --- SOAP versions and faults (RQ-SOAP-12, RQ-FAULT-*) -------------------------------------------

def soap12_as_11(call: Call) -> Reply:
    """Answers a SOAP 1.2 request with a SOAP 1.1 envelope (a stack with one protocol only)."""
    if soap_ns(call.request) != SOAP12_NS or is_fault(call.reply.body):
        return call.reply
    root = tree(call.reply.body)
    env = etree.Element(f"{{{SOAP11_NS}}}Envelope", nsmap={"soap": SOAP11_NS})
    for part in root:
        moved = etree.SubElement(env, f"{{{SOAP11_NS}}}{etree.QName(part).localname}")
        moved.extend(list(part))
    return Reply(200, serialize(env), "text/xml; charset=utf-8")


def soap11_as_12(call: Call) -> Reply:
    """Answers a SOAP 1.1 request with a SOAP 1.2 envelope (a SOAP 1.2-only stack)."""
    if soap_ns(call.request) != SOAP11_NS or is_fault(call.reply.body):
        return call.reply
    root = tree(call.reply.body)
    env = etree.Element(f"{{{SOAP12_NS}}}Envelope", nsmap={"soap": SOAP12_NS})
    for part in root:
        moved = etree.SubElement(env, f"{{{SOAP12_NS}}}{etree.QName(part).localname}")
        moved.extend(list(part))
    return Reply(200, serialize(env), "application/soap+xml; charset=utf-8")


def soap12_fault_500(call: Call) -> Reply:
    """Every SOAP 1.2 fault with HTTP 500, even the client's (SOAP 1.2 wants 400 for Sender)."""
    if soap_ns(call.request) == SOAP12_NS and call.reply.status == 400:
        return Reply(500, call.reply.body, call.reply.content_type)
    return call.reply


def fault_without_message_id(call: Call) -> Reply:
    """Faults that do not say which message they answer."""
    if not is_fault(call.reply.body):
        return call.reply
    root = tree(call.reply.body)
    for el in root.iter(f"{{{FAULT_NS}}}MessageId"):
        el.getparent().remove(el)
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


def header_optional(call: Call) -> bytes:
    """Answers a request without a PlatformHeader as if it had one (the header is 'optional')."""
    root = tree(call.request)
    if header_find(root) is not None:
        return call.request
    ns = root.tag[1:].split("}")[0]
    body = root.find(f"{{{ns}}}Body")[0]
    spec = next((s for s in CATALOG.services.values() if s.request_tag == body.tag), None)
    if spec is None:
        return call.request
    receiver = call.state["receiver"]  # the product behind the proxy
    params = {"sut_local_gov_code": receiver.local_gov_code, "suite_business_unit": "07",
              "suite_system_id": "anyone", "user_id": "anyone",
              "sut_system_id": receiver.system_id}
    header = root.find(f"{{{ns}}}Header")
    if header is None:
        header = etree.Element(f"{{{ns}}}Header")
        root.insert(0, header)
    header.append(request_header(spec, params).to_element())
    return serialize(root)


def unknown_as_404_page(call: Call) -> bytes | Reply:
    """An unknown body element gets the web server's HTML 404 page, not a SOAP fault."""
    try:
        root = tree(call.request)
        # the body's first element (a comment before it is no body element: one defect only)
        body = next(el for el in root.find(f"{{{root.tag[1:].split('}')[0]}}}Body")
                    if isinstance(el.tag, str))
    except (etree.XMLSyntaxError, TypeError, StopIteration):
        return call.request
    if any(s.request_tag == body.tag for s in CATALOG.services.values()):
        return call.request
    return Reply(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")


def duplicate_refused(call: Call) -> bytes | Reply:
    """A MessageId seen before is refused with a vendor fault instead of answered again."""
    header = header_find(tree(call.request))
    mid = header.findtext(_h("MessageId")) if header is not None else None
    seen = call.state.setdefault("seen", set())
    if mid is not None and mid in seen:
        code = FaultCode("VENDOR-DUPLICATE", faults.Party.PROVIDER, 500, "already received")
        ns = soap_ns(call.request) or SOAP11_NS
        media = "text/xml" if ns == SOAP11_NS else "application/soap+xml"  # one defect only
        return Reply(500, fault_envelope(HubFault(code, (Finding("vendor:duplicate",
                                                                 "seen before"),), mid), ns),
                     f"{media}; charset=utf-8")
    seen.add(mid)
    return call.request


def slow_on_large(call: Call) -> bytes:
    """A 15-digit 宛名番号 or a 1,000-record page falls off the index: a full scan, 1.5 s."""
    root = tree(call.request)
    numbers = [el.text or "" for el in root.iter(f"{{{JUKI}}}AddresseeNumber",
                                                 f"{{{TAX}}}AddresseeNumber",
                                                 f"{{{KOKUHO}}}AddresseeNumber")]
    sizes = [int(el.text) for el in root.iter(f"{{{JUKI}}}PageSize") if (el.text or "").isdigit()]
    if any(10 < len(n) <= 15 for n in numbers) or 1000 in sizes:  # valid, but large
        time.sleep(1.5)  # the simulated product's slowness, not a wait of the test
    return call.request


def rules_ignored(call: Call) -> bytes:
    """Checks the XSD but no check digit or code list: the reference adapter is handed the
    request with the rule violations 'ignored' (made valid), and its reply's RequestHash is put
    back to the digest of what the suite sent."""
    if has_doctype(call.request):  # no rule to ignore: not re-serialised
        return call.request
    root = tree(call.request)
    for el in root.iter(f"{{{JUKI}}}AddresseeNumber", f"{{{TAX}}}AddresseeNumber",
                        f"{{{KOKUHO}}}AddresseeNumber", f"{{{CMN}}}AddresseeNumber"):
        number = el.text or ""
        if number.isdigit() and len(number) > 1 and M11.problem(number):  # any wrong digit
            el.text = number[:-1] + str(M11.check_digit(number[:-1]))
    for el in root.iter(f"{{{CMN}}}Reason"):
        if el.text == "Z99":
            el.text = "A01"
    call.state["digest"] = base64.b64encode(hashlib.sha256(call.request).digest()).decode()
    return serialize(root)


def rules_ignored_reply(call: Call) -> Reply:
    root, header = _reply_tree(call)
    if header is not None and header.find(_h("RequestHash")) is not None:
        header.find(_h("RequestHash")).text = base64.b64encode(
            hashlib.sha256(call.request).digest()).decode()
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


# --- bodies (RQ-MSG-01/02/06) ---------------------------------------------------------------------

def _edit_body(edit):
    def on_reply(call: Call) -> Reply:
        if is_fault(call.reply.body):
            return call.reply
        root = tree(call.reply.body)
        edit(root)
        return Reply(call.reply.status, serialize(root), call.reply.content_type)
    return on_reply


def address_in_unit_namespace(root):
    # 住所 elements written in the unit's namespace instead of the common vocabulary's
    for el in list(root.iter(f"{{{CMN}}}Prefecture", f"{{{CMN}}}City", f"{{{CMN}}}Town")):
        el.tag = f"{{{JUKI}}}{etree.QName(el).localname}"


def gender_missing(root):
    # 性別 left out (a NULL column mapped to "no element")
    for el in list(root.iter(f"{{{CMN}}}Gender")):
        el.getparent().remove(el)


def individual_number_bad_check_digit(root):
    # 個人番号 with its last digit mangled (a width conversion that drops and re-adds a digit)
    for el in root.iter(f"{{{CMN}}}IndividualNumber"):
        el.text = el.text[:-1] + str((int(el.text[-1]) + 1) % 10)


def category_not_in_code_list(root):
    # the vendor's own 課税区分 letter mapped to a code the code list does not have
    for el in root.iter(f"{{{TAX}}}Category"):
        el.text = "9"


def taxation_extra_element(root):
    # a vendor extension element inside the standard type
    for el in root.iter(f"{{{TAX}}}Taxation"):
        etree.SubElement(el, f"{{{TAX}}}Remarks").text = "vendor B"


def qualification_extra_element(root):
    # the vendor's own 資格区分 code beside the standard status
    for el in root.iter(f"{{{KOKUHO}}}Qualification"):
        etree.SubElement(el, f"{{{KOKUHO}}}VendorCode").text = "1"


def qualification_number_bad_check_digit(root):
    # the 宛名番号 re-keyed from vendor C's own column, its check digit recomputed wrongly
    for el in root.iter(f"{{{KOKUHO}}}AddresseeNumber"):
        el.text = el.text[:-1] + str((int(el.text[-1]) + 1) % 10)


def insurer_number_wrong(root):
    # the 保険者番号 of the prefecture's 国保連合会 instead of the municipality's
    for el in root.iter(f"{{{KOKUHO}}}InsurerNumber"):
        el.text = "130005"


def receipt_extra_element(root):
    # a vendor's own field inside the platform's receipt
    for el in root.iter("{urn:pfbus:platform:receipt:v1}NoticeReceipt"):
        etree.SubElement(el, "{urn:pfbus:platform:receipt:v1}Note").text = "vendor B"


def text_replace(old: str, new: str):
    def on_reply(call: Call) -> Reply:
        body = call.reply.body.decode("utf-8").replace(old, new)
        return Reply(call.reply.status, body.encode("utf-8"), call.reply.content_type)
    return on_reply


def strip_ivs(call: Call) -> Reply:
    # variation selectors dropped (a "normalising" text layer)
    text = "".join(c for c in call.reply.body.decode("utf-8")
                   if not 0xE0100 <= ord(c) <= 0xE01EF)
    return Reply(call.reply.status, text.encode("utf-8"), call.reply.content_type)


WIRE = {
    "relates-to-fresh": {"on_reply": _edit_header(relates_to_fresh)},
    "hash-of-c14n": {"on_reply": _edit_header(hash_of_c14n)},
    "parties-not-swapped": {"on_reply": _edit_header(parties_not_swapped)},
    "sent-at-utc": {"on_reply": _edit_header(sent_at_utc)},
    "sent-at-echoed": {"on_reply": _edit_header(sent_at_echoed)},
    "sent-at-frozen": {"on_reply": sent_at_frozen},
    "soap11-as-12": {"on_reply": soap11_as_12},
    "soap12-as-11": {"on_reply": soap12_as_11},
    "soap12-fault-500": {"on_reply": soap12_fault_500},
    "fault-without-message-id": {"on_reply": fault_without_message_id},
    "header-optional": {"on_request": header_optional},
    "unknown-as-404-page": {"on_request": unknown_as_404_page},
    "duplicate-refused": {"on_request": duplicate_refused},
    "slow-on-large": {"on_request": slow_on_large},
    "rules-ignored": {"on_request": rules_ignored, "on_reply": rules_ignored_reply},
    "address-in-unit-namespace": {"on_reply": _edit_body(address_in_unit_namespace)},
    "gender-missing": {"on_reply": _edit_body(gender_missing)},
    "individual-number-bad-check-digit": {
        "on_reply": _edit_body(individual_number_bad_check_digit)},
    "category-not-in-code-list": {"on_reply": _edit_body(category_not_in_code_list)},
    "taxation-extra-element": {"on_reply": _edit_body(taxation_extra_element)},
    "receipt-extra-element": {"on_reply": _edit_body(receipt_extra_element)},
    "qualification-extra-element": {"on_reply": _edit_body(qualification_extra_element)},
    "qualification-number-bad-check-digit": {
        "on_reply": _edit_body(qualification_number_bad_check_digit)},
    "insurer-number-wrong": {"on_reply": _edit_body(insurer_number_wrong)},
    "nonbmp-degraded": {"on_reply": text_replace("𠮷", "吉")},
    "ivs-stripped": {"on_reply": strip_ivs},
    # vendor A's 外字 code for 髙 (MJ028902) sent as is, not mapped through its table
    "gaiji-leaked": {"on_reply": text_replace("髙", "\ue001")},
}
