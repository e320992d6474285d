"""Faulty providers of round 2: defects that show on ONE message shape only (the SOAP 1.2 path,
later 全件 pages, not-found answers, faults), defects across answers (a reused reply MessageId, a
clock 9 hours off), and defects on inputs the first suite never sent (hostile XML, a charset that
disagrees with the body, a request for another system, the other inquiry key, AsOf, a one-person
household). Each is the reference adapter with that one defect.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import time
import unicodedata
import uuid

from lxml import etree

from adapters.sdk.provider import ProviderError
from adapters.vendor_a_registry import service as vendor_a
from adapters.vendor_a_registry.store import UnknownExtract
from bus.core import faults
from bus.core.faults import FAULT_NS, SOAP11_NS, SOAP12_NS, FaultCode, HubFault, fault_envelope
from bus.core.findings import Finding

from .faulty_handlers import EXTRACT, INQUIRY
from .faulty_wire import CMN, JUKI, _edit_header, _h
from .proxy import Call, Reply, header_find, is_fault, serialize, soap_ns, tree
from .references import References

# --- one message shape only -----------------------------------------------------------------------


def _only(condition, edit):
    """An on_reply applying the header ``edit`` only to replies where ``condition(call)``."""
    edited = _edit_header(edit)

    def on_reply(call: Call) -> Reply:
        return edited(call) if condition(call) else call.reply
    return on_reply


def _soap12(call: Call) -> bool:
    return soap_ns(call.request) == SOAP12_NS


def _later_page(call: Call) -> bool:
    page = tree(call.request).findtext(f".//{{{JUKI}}}Page")
    return page is not None and page.strip() != "1"


def _not_found(call: Call) -> bool:
    return b">not-found<" in call.reply.body


def hash_of_c14n(header, request):
    # over SOAP 1.2 the stack hands over a re-serialised request: the digest is of that
    c14n = etree.tostring(request.getroottree().getroot(), method="c14n")
    header.find(_h("RequestHash")).text = base64.b64encode(hashlib.sha256(c14n).digest()).decode()


def relates_to_fresh(header, request):
    # later pages are answered from a cursor that forgot which request it serves
    header.find(_h("RelatesTo")).text = str(uuid.uuid4())


def sent_at_utc(header, request):
    # the not-found path builds its header in another module, with UTC
    header.find(_h("SentAt")).text = dt.datetime.now(dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def parties_not_swapped(header, request):
    for name in ("Sender", "Receiver"):
        header.replace(header.find(_h(name)), etree.fromstring(
            etree.tostring(request.find(_h(name)))))


def reply_id_reused(header, request):
    # a reply MessageId made once at start-up (a constant field, not a fresh UUID per reply)
    header.find(_h("MessageId")).text = "5f0c3a52-1d0e-4d7e-9a3b-2b8f1c9d0e11"


def clock_nine_hours_off(header, request):
    # the server clock runs on UTC, but the code appends +09:00 to its local time
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    header.find(_h("SentAt")).text = now.strftime("%Y-%m-%dT%H:%M:%S") + "+09:00"


def _on_later_pages(edit):
    def on_reply(call: Call) -> Reply:
        if is_fault(call.reply.body) or not _later_page(call):
            return call.reply
        root = tree(call.reply.body)
        edit(root)
        return Reply(call.reply.status, serialize(root), call.reply.content_type)
    return on_reply


def gender_dropped(root):
    for el in list(root.iter(f"{{{CMN}}}Gender")):
        el.getparent().remove(el)


def individual_number_mangled(root):
    for el in root.iter(f"{{{CMN}}}IndividualNumber"):
        el.text = el.text[:-1] + str((int(el.text[-1]) + 1) % 10)


def fault_text_private_use(call: Call) -> Reply:
    """Fault strings quote the vendor's own text with its 外字 (U+E001) unmapped."""
    if not is_fault(call.reply.body):
        return call.reply
    root = tree(call.reply.body)
    for el in root.iter("faultstring", f"{{{SOAP12_NS}}}Text"):
        el.text = (el.text or "") + " (担当 \ue001橋)"
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


def charset_mislabelled(call: Call) -> Reply:
    """UTF-8 bytes labelled Shift_JIS (a web server's default charset)."""
    ctype = call.reply.content_type.split(";")[0]
    return Reply(call.reply.status, call.reply.body, f"{ctype}; charset=Shift_JIS")


def soap12_fault_without_message_id(call: Call) -> Reply:
    if not (_soap12(call) and is_fault(call.reply.body)):
        return call.reply
    root = tree(call.reply.body)
    for el in root.iter(f"{{{FAULT_NS}}}MessageId"):
        el.getparent().remove(el)
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


def slow_not_found(call: Call) -> Reply:
    """A not-found answer after a slow fallback search (the index misses): 1.5 s."""
    if _not_found(call):
        time.sleep(1.5)  # the simulated product's slowness, not a wait of the test
    return call.reply


# --- characters that normalisation and code pages change (J-CHR-04/05) ---------------------------

def _text_edit(change, condition=lambda call: True):
    """An on_reply changing the text of every element of the answers ``condition`` selects."""
    def on_reply(call: Call) -> Reply:
        if is_fault(call.reply.body) or not condition(call):
            return call.reply
        root = tree(call.reply.body)
        for el in root.iter():
            if el.text:
                el.text = change(el.text)
        return Reply(call.reply.status, serialize(root), call.reply.content_type)
    return on_reply


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _cp932_round_trip(text: str) -> str:
    # stored as Shift_JIS (JIS X 0208 mapping), read back as CP932: − U+2212 becomes U+FF0D
    return text.replace("\u2212", "\uff0d").replace("\u301c", "\uff5e")


def _is_extract(call: Call) -> bool:
    return b"ResidentFullExtractResponse" in call.reply.body


def slow_duplicate_receipt(call: Call) -> Reply:
    """A duplicate notice is looked up in the archive, not the index: 1.5 s."""
    if b">duplicate<" in call.reply.body:
        time.sleep(1.5)  # the simulated product's slowness, not a wait of the test
    return call.reply


# --- hostile and unusual input --------------------------------------------------------------------

def _original_hash(call: Call) -> Reply:
    """The reply to what was forwarded, its RequestHash put back to the bytes the suite sent."""
    root = tree(call.reply.body)
    el = header_find(root, f"/{_h('RequestHash')}")
    if el is not None:
        el.text = base64.b64encode(hashlib.sha256(call.request).digest()).decode()
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


def dtd_expanded(call: Call) -> bytes:
    """Parses with a permissive parser: the DTD is read and its entities expanded (local
    external ones too), the document handed on as if it had had none."""
    if b"<!DOCTYPE" not in call.request:
        return call.request
    parser = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=True)
    root = etree.fromstring(call.request, parser)
    user = root.find(f".//{_h('UserId')}")
    if user is not None and user.text:
        user.text = user.text.strip()[:64]
    return serialize(root)


def malformed_as_html(call: Call) -> bytes | Reply:
    try:
        tree(call.request)
    except etree.XMLSyntaxError:
        return Reply(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>",
                     "text/html")
    return call.request


def charset_crash(call: Call) -> bytes | Reply:
    """Decodes by the HTTP charset, fails, and answers with its own internal error."""
    ctype = call.headers.get("Content-Type", call.headers.get("content-type", ""))
    if "charset=utf-8" in ctype.lower().replace('"', ""):
        return call.request
    header = header_find(tree(call.request))
    mid = header.findtext(_h("MessageId")) if header is not None else None
    code = FaultCode("PF-PROVIDER-INTERNAL", faults.Party.PROVIDER, 500, "decoding failed")
    ns = soap_ns(call.request) or SOAP11_NS
    return Reply(500, fault_envelope(HubFault(code, (Finding("vendor:decode", "cannot decode"),),
                                              mid), ns),
                 "text/xml; charset=utf-8" if ns == SOAP11_NS else
                 "application/soap+xml; charset=utf-8")


def _head_name_nfkc(call: Call) -> Reply:
    if is_fault(call.reply.body):
        return call.reply
    root = tree(call.reply.body)
    for el in root.iter(f"{{{CMN}}}HeadName"):
        text = el.find(f"{{{CMN}}}Text")
        text.text = _nfkc(text.text)
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


SHAPES = {
    "soap12-hash-of-c14n": {"on_reply": _only(_soap12, hash_of_c14n)},
    "later-pages-relates-to-fresh": {"on_reply": _only(_later_page, relates_to_fresh)},
    "not-found-sent-at-utc": {"on_reply": _only(_not_found, sent_at_utc)},
    "soap12-parties-not-swapped": {"on_reply": _only(_soap12, parties_not_swapped)},
    "reply-id-reused": {"on_reply": _edit_header(reply_id_reused)},
    "clock-nine-hours-off": {"on_reply": _edit_header(clock_nine_hours_off)},
    "later-pages-gender-dropped": {"on_reply": _on_later_pages(gender_dropped)},
    "later-pages-individual-number-mangled": {
        "on_reply": _on_later_pages(individual_number_mangled)},
    "fault-text-private-use": {"on_reply": fault_text_private_use},
    "charset-mislabelled": {"on_reply": charset_mislabelled},
    "soap12-fault-without-message-id": {"on_reply": soap12_fault_without_message_id},
    "slow-not-found": {"on_reply": slow_not_found},
    "slow-duplicate-receipt": {"on_reply": slow_duplicate_receipt},
    "nfc-normalised": {"on_reply": _text_edit(_nfc)},
    "nfkc-normalised": {"on_reply": _text_edit(_nfkc)},
    "cp932-round-trip": {"on_reply": _text_edit(_cp932_round_trip)},
    # only the household head's name goes through the vendor's NFKC "cleaning"
    "head-name-nfkc": {"on_reply": _head_name_nfkc},
    # only the batch (全件) path normalises
    "extract-nfc": {"on_reply": _text_edit(_nfc, _is_extract)},
    "dtd-expanded": {"on_request": dtd_expanded, "on_reply": _original_hash},
    "malformed-as-html": {"on_request": malformed_as_html},
    "charset-crash": {"on_request": charset_crash},
}


# --- the vendor's own code ------------------------------------------------------------------------

def receiver_unchecked(refs: References, profile: str) -> str:
    """Answers whatever arrives, whoever it is for (the SDK's receiver check switched off)."""
    return refs.app(profile, check_receiver=False)


def _inquiry_refusing(refs: References, profile: str, sid: str, child: str) -> str:
    handlers = refs.handlers(profile)
    inner = handlers[sid]

    def handler(header, request):
        if request.find(f"{{{JUKI}}}{child}") is not None:
            raise ProviderError("VENDOR-UNSUPPORTED", f"{child} is not supported")
        return inner(header, request)

    return refs.app(profile, {**handlers, sid: handler})


def individual_number_unsupported(refs: References, profile: str) -> str:
    """Only 宛名番号 is implemented: an inquiry by 個人番号 is refused."""
    return _inquiry_refusing(refs, profile, INQUIRY, "IndividualNumber")


def as_of_ignored_by_individual_number(refs: References, profile: str) -> str:
    """The 個人番号 lookup path forgets the 基準日: answered as of today."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        if request.find(f"{{{JUKI}}}IndividualNumber") is not None:
            request = copy.deepcopy(request)
            for as_of in request.findall(f"{{{JUKI}}}AsOf"):
                request.remove(as_of)
        return inner(header, request)

    return refs.app(profile, {**handlers, INQUIRY: handler})


def extract_unknown_id_empty_page(refs: References, profile: str) -> str:
    """An unknown ExtractId is answered with an empty page (0 of 0) instead of a fault."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]

    def handler(header, request):
        try:
            return inner(header, request)
        except UnknownExtract:
            read = vendor_a.ExtractRequest.read(request)
            return vendor_a.extract_page_element(read, read.extract_id or "", 0, [])

    return refs.app(profile, {**handlers, EXTRACT: handler})


def _inquiry_edited(refs: References, profile: str, edit) -> str:
    """The reference's 住民照会 with ``edit(request, response)`` applied to each found answer."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        response = inner(header, request)
        if response.find(f"{{{JUKI}}}Resident") is not None:
            edit(request, response)
        return response

    return refs.app(profile, {**handlers, INQUIRY: handler})


def head_name_of_requested(refs: References, profile: str) -> str:
    """HeadName is the requested resident's name, not the 世帯主's."""
    def edit(request, response):
        head = response.find(f"{{{JUKI}}}Household/{{{CMN}}}HeadName")
        name = copy.deepcopy(response.find(f"{{{JUKI}}}Resident/{{{CMN}}}Name"))
        name.tag = head.tag
        head.getparent().replace(head, name)
    return _inquiry_edited(refs, profile, edit)


def member_kana_dropped(refs: References, profile: str) -> str:
    """Household members are read from a table without readings: no Kana."""
    def edit(request, response):
        for kana in response.findall(f"{{{JUKI}}}Household/{{{CMN}}}Member/{{{CMN}}}Name/"
                                     f"{{{CMN}}}Kana"):
            kana.getparent().remove(kana)
    return _inquiry_edited(refs, profile, edit)


def dates_shifted(refs: References, profile: str) -> str:
    """Dates written through UTC midnight: each one day early."""
    def edit(request, response):
        for el in response.iter(f"{{{CMN}}}DateOfBirth"):
            el.text = (dt.date.fromisoformat(el.text) - dt.timedelta(days=1)).isoformat()
    return _inquiry_edited(refs, profile, edit)


def name_spaces_removed(refs: References, profile: str) -> str:
    """Spaces removed from names (ROSSI VIOLA → ROSSIVIOLA) in the Resident and Members."""
    def edit(request, response):
        for text in response.iter(f"{{{CMN}}}Text"):
            if text.getparent().tag == f"{{{CMN}}}Name":
                text.text = (text.text or "").replace(" ", "").replace("\u3000", "")
    return _inquiry_edited(refs, profile, edit)


def mynumber_remainder_zero_refused(refs: References, profile: str) -> str:
    """個人番号 check digit taken mod 10: a number whose remainder is 0 (check digit 0) refused."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        number = request.findtext(f"{{{JUKI}}}IndividualNumber")
        if number is not None:
            s = sum(int(d) * (n + 1 if n <= 6 else n - 5)
                    for n, d in enumerate(reversed(number[:11]), start=1))
            if s % 11 == 0:
                raise ProviderError("VENDOR-CHECK-DIGIT", "個人番号 check digit does not match")
        return inner(header, request)

    return refs.app(profile, {**handlers, INQUIRY: handler})


def as_of_refused(refs: References, profile: str) -> str:
    """No history: an inquiry with a 基準日 is refused."""
    return _inquiry_refusing(refs, profile, INQUIRY, "AsOf")


def extract_as_of_refused(refs: References, profile: str) -> str:
    """No history: a 全件抽出 with a 基準日 is refused."""
    return _inquiry_refusing(refs, profile, EXTRACT, "AsOf")


def unknown_individual_number_fault(refs: References, profile: str) -> str:
    """An inquiry by a 個人番号 nobody holds is answered as an error, not as not-found."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        response = inner(header, request)
        if request.find(f"{{{JUKI}}}IndividualNumber") is not None and \
                response.findtext(f"{{{JUKI}}}Status") == "not-found":
            raise ProviderError("VENDOR-NO-MYNUMBER", "個人番号 not on record")
        return response

    return refs.app(profile, {**handlers, INQUIRY: handler})


def future_as_of_refused(refs: References, profile: str) -> str:
    """A 基準日 after today is refused (the vendor's date check)."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        as_of = request.findtext(f"{{{JUKI}}}AsOf")
        if as_of and as_of[:10] > dt.date.today().isoformat():
            raise ProviderError("VENDOR-AS-OF", "a 基準日 in the future")
        return inner(header, request)

    return refs.app(profile, {**handlers, INQUIRY: handler})


def single_member_twice(refs: References, profile: str) -> str:
    """A household of one lists its member twice (the head joined in once more)."""
    handlers = refs.handlers(profile)

    def handler(header, request):
        response = vendor_a.resident_inquiry(refs.juki_store, header, request)
        household = response.find(f"{{{JUKI}}}Household")
        members = household.findall(f"{{{CMN}}}Member") if household is not None else []
        if len(members) == 1:
            household.append(copy.deepcopy(members[0]))
        return response

    return refs.app(profile, {**handlers, INQUIRY: handler})


SHAPE_HANDLERS = {
    "receiver-unchecked": receiver_unchecked,
    "individual-number-unsupported": individual_number_unsupported,
    "as-of-refused": as_of_refused,
    "as-of-ignored-by-individual-number": as_of_ignored_by_individual_number,
    "extract-unknown-id-empty-page": extract_unknown_id_empty_page,
    "head-name-of-requested": head_name_of_requested,
    "member-kana-dropped": member_kana_dropped,
    "dates-shifted": dates_shifted,
    "name-spaces-removed": name_spaces_removed,
    "mynumber-remainder-zero-refused": mynumber_remainder_zero_refused,
    "extract-as-of-refused": extract_as_of_refused,
    "single-member-twice": single_member_twice,
    "unknown-individual-number-fault": unknown_individual_number_fault,
    "future-as-of-refused": future_as_of_refused,
}
