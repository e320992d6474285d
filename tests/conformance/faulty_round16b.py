"""Faulty products for round 16b's classes (docs/conformance-testing.md, "Round 16b"), each the reference
adapter behind a front end with ONE defect, written from the class, not from the sixteenth
batch's variants:

- HTTP and XML forms (P-EQUIV-01, S-EQUIV-01): a media type compared after a split at ``;``
  without trimming; prefixes resolved from the payload's own start tag; a prefix resolved by the
  first declaration of it in the text;
- identifiers as opaque text (J-FULL-19, P-IDENT-01): a RequestId read as a number, one folded to
  a search key, a replay cache keyed by a MessageId cut to 35 characters;
- check digits of every residue (P-DIGIT-01/02): a Sender's 団体コード checked by the 宛名番号
  convention, a 個人番号 or 宛名番号 check-digit table without one digit;
- the paging state machine (J-GRID-03): a first request answered as page 1, a retried first
  request answered with the page it first asked.

The subscribers of round 16b (the notice grid's SentAt orders, S-IDENT-01, S-DUR-08) are
faulty_round16b_subscribers.py's.
"""

from __future__ import annotations

import math
import re

from lxml import etree

from bus.core import faults
from bus.core.identifiers import weighted_sum

from .faulty_round14b import _rehashed
from .faulty_round16 import _rewriting
from .faulty_round15 import _refusal
from .proxy import Call, Reply, serialize, tree
from .references import JUKI_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE, SUB_PROFILE, TAX_PROFILE

ALL = (JUKI_PROFILE, TAX_PROFILE, SUB_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE)
PROVIDERS = (JUKI_PROFILE, TAX_PROFILE, KOKUHO_PROFILE)
# every service's P-EQUIV-01 and, on a subscriber, S-EQUIV-01
_EQUIV = ("P-EQUIV-01/*", "S-EQUIV-01")
_REPLAYED = ("P-IDENT-01/*", "INV-BIND-01", "INV-BIND-02", "INV-MSG-09")

_MEDIA_TYPES = ("text/xml", "application/soap+xml")


def _content_type(call: Call) -> str:
    return next((v for k, v in call.headers.items() if k.lower() == "content-type"), "")


# --- HTTP and XML forms (P-EQUIV-01, S-EQUIV-01) -------------------------------------------------

def media_type_untrimmed(call: Call) -> bytes | Reply:
    """The front end takes the media type as what precedes the first ``;``, lower-cased but not
    trimmed: ``text/xml ; charset=utf-8`` names the media type ``text/xml `` and is refused."""
    media = _content_type(call).split(";")[0].lower()
    if media.strip() in _MEDIA_TYPES and media not in _MEDIA_TYPES:
        return _refusal(call, faults.CONTENT_TYPE, "http:content-type", "unsupported media type")
    return call.request


_PREFIX_USED = re.compile(rb"<(?:([\w.-]+):)?[\w.-]+")
_DECLARED = re.compile(rb'xmlns(?::([\w.-]+))?="')


def payload_prefixes_local(call: Call) -> bytes | Reply:
    """The payload is read by a streaming reader that looks prefixes up in the namespace
    declarations of the payload's own start tag (its namespace context misused): a payload
    whose prefix, or default namespace, is declared on soap:Body or the Envelope is an unknown
    element to it."""
    body = call.request.split(b"Body", 1)
    if len(body) < 2:
        return call.request
    start = re.search(rb">\s*(<[^>!?]+>)", body[1])
    if start is None:
        return call.request
    tag = start.group(1)
    used = _PREFIX_USED.match(tag)
    prefix = (used.group(1) or b"") if used else b""
    declared = {(m.group(1) or b"") for m in _DECLARED.finditer(tag)}
    if prefix not in declared:
        return _refusal(call, faults.SCHEMA_INVALID, "service:element",
                        "the body element is not a request of this service")
    return call.request


_DECLARATION = re.compile(rb'xmlns:([\w.-]+)="([^"]*)"')
_PAYLOAD_NAMESPACES = (b"urn:pfbus:unit:", b"urn:pfbus:platform:common:")


def first_declaration_wins(call: Call) -> bytes | Reply:
    """Prefixes are resolved by a table built from the request's text, the first declaration of
    each prefix kept (a later ``xmlns:p`` taken for a repeat): a payload prefix the Envelope
    binds to another namespace and the payload rebinds is read in the outer namespace."""
    first: dict[bytes, bytes] = {}
    for m in _DECLARATION.finditer(call.request):
        first.setdefault(m.group(1), m.group(2))
    last = {m.group(1): m.group(2) for m in _DECLARATION.finditer(call.request)
            if m.group(2).startswith(_PAYLOAD_NAMESPACES)}
    if any(first.get(p) != ns for p, ns in last.items()):
        return _refusal(call, faults.SCHEMA_INVALID, "service:element",
                        "the body element is not a request of this service")
    return call.request


# --- identifiers as opaque text (J-FULL-19, P-IDENT-01) ------------------------------------------

JUKI = "urn:pfbus:unit:juki:v1"
PFH = "urn:pfbus:platform:header:v1"


def _request_id_as_number(root: etree._Element) -> bool:
    """The RequestId passes a job queue's JSON, where text that reads as a number becomes one
    (a float): 0042, 42e0 and 42 name one extract, and two 19-digit numbers one double holds."""
    el = root.find(f".//{{{JUKI}}}RequestId")
    try:
        number = float(el.text or "") if el is not None else math.nan
    except ValueError:
        return False
    if el is None or not math.isfinite(number) or number != int(number) \
            or el.text == str(int(number)):
        return False
    el.text = str(int(number))
    return True


def _request_id_folded(root: etree._Element) -> bool:
    """RequestIds are kept as a search key: lower-cased, hyphens dropped (after the schema's
    check: only a valid RequestId is folded)."""
    el = root.find(f".//{{{JUKI}}}RequestId")
    if el is None or not re.fullmatch(r"[A-Za-z0-9-]{1,64}", el.text or "") \
            or el.text == (key := (el.text or "").lower().replace("-", "")):
        return False
    el.text = key
    return True


_MESSAGE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _message_id(raw: bytes) -> str | None:
    try:
        return tree(raw).findtext(f".//{{{PFH}}}MessageId")
    except etree.XMLSyntaxError:
        return None


def replay_key_35(call: Call) -> bytes | Reply:
    """A replay cache in front of the product (a resend gets the answer sent before) keyed by
    the MessageId in a CHAR(35) column: a MessageId that differs from an earlier one only in its
    last hex digit gets the earlier message's answer."""
    mid = _message_id(call.request)
    if mid and _MESSAGE_ID.fullmatch(mid):  # after the header's check: a valid MessageId
        earlier = call.state.setdefault("replies", {}).get(mid[:35])
        if earlier is not None and earlier[0] != mid:
            return earlier[1]
    return call.request


def _remember_reply(call: Call) -> Reply:
    mid = _message_id(call.request)
    if mid and _MESSAGE_ID.fullmatch(mid) and call.reply is not None:
        call.state.setdefault("replies", {}).setdefault(mid[:35], (mid, call.reply))
    return call.reply  # type: ignore[return-value]


# --- check digits (P-DIGIT-01, P-DIGIT-02) --------------------------------------------------------

def local_gov_by_addressee_rule(call: Call) -> bytes | Reply:
    """The parties' 団体コード checked with the 宛名番号 routine's convention (remainder 0 or 1
    → 0): a valid code of remainder 0, whose check digit is 1, is refused."""
    for code in re.findall(rb"<(?:[\w.-]+:)?LocalGovCode>\s*(\d{6})\s*<", call.request):
        text = code.decode()
        remainder = weighted_sum(text[:5], (6, 5, 4, 3, 2)) % 11
        if int(text[5]) != (0 if remainder <= 1 else 11 - remainder):
            return _refusal(call, faults.RULE_VIOLATION, "local_gov_code",
                            f"{text}: 団体コード check digit does not match")
    return call.request


def _digit_table(element: bytes, width: int, missing: bytes, rule: str):
    """A key's check digit looked up in a table of the digits the vendor's own data held: a
    valid number whose check digit is ``missing`` is refused."""
    pattern = re.compile(rb"<(?:[\w.-]+:)?%s>\s*(\d{%d})\s*<" % (element, width))

    def on_request(call: Call) -> bytes | Reply:
        for number in pattern.findall(call.request):
            if number.endswith(missing):
                return _refusal(call, faults.RULE_VIOLATION, rule,
                                f"{number.decode()}: check digit not in the table")
        return call.request
    return on_request


# --- the paging state machine (J-GRID-03) --------------------------------------------------------

def _first_page(root: etree._Element) -> etree._Element | None:
    """A first request's (no ExtractId) valid Page element, or None."""
    body = root.find(f".//{{{JUKI}}}ResidentFullExtractRequest")
    if body is None or body.find(f"{{{JUKI}}}ExtractId") is not None:
        return None
    page = body.find(f"{{{JUKI}}}Page")
    return page if page is not None and re.fullmatch(r"[1-9]\d*", page.text or "") else None


def _first_request_page_one(root: etree._Element) -> bool:
    """"The first request starts the transfer": a first request is answered as page 1."""
    page = _first_page(root)
    if page is None or page.text == "1":
        return False
    page.text = "1"
    return True


def retry_keeps_first_page(call: Call) -> bytes:
    """A first request retried with its RequestId is answered with the Page it first asked
    (the stored answer's page), whatever Page the retry names."""
    root = tree(call.request)
    page = _first_page(root)
    request_id = root.findtext(f".//{{{JUKI}}}RequestId")
    if page is None or not request_id:
        return call.request
    first = call.state.setdefault("first_pages", {}).setdefault(request_id, page.text)
    if first == page.text:
        return call.request
    page.text = first
    return serialize(root)


# (name, the requirement it breaks, profiles, targets[, params, targets by profile]): faulty.Faulty's
ROUND16B_FAULTY: list[tuple] = [
    ("media-type-untrimmed", "RQ-SOAP-06", ALL, _EQUIV),
    ("payload-prefixes-local", "RQ-SOAP-06", ALL, _EQUIV),
    ("first-declaration-wins", "RQ-SOAP-06", ALL, _EQUIV),
    ("request-id-as-number", "RQ-BEH-08", (JUKI_PROFILE,), ("J-FULL-19",)),
    # (P-EDGE-01 sends RequestIds differing in case only)
    ("request-id-folded", "RQ-BEH-08", (JUKI_PROFILE,), ("J-FULL-19", "P-EDGE-01")),
    # (the invariants judge every answer's RelatesTo, RequestHash and own MessageId: the earlier
    # message's; S-IDENT-01 gets the earlier notice's receipt, over the other SOAP version)
    ("replay-key-35", "RQ-BEH-01", ALL, _REPLAYED, {},
     {p: (*_REPLAYED, "S-IDENT-01", "INV-SOAP-04", "INV-SUB-01")
      for p in (SUB_PROFILE, KOKUHO_SUB_PROFILE)}),
    # the remainder-0 code goes to the profile's first service (check_digits.local_gov_codes)
    ("local-gov-by-addressee-rule", "RQ-FAULT-12", ALL, (), {}, {
        JUKI_PROFILE: ("P-DIGIT-01/juki.ResidentInquiry",),
        TAX_PROFILE: ("P-DIGIT-01/kojinjuminzei.TaxationStatusInquiry",),
        KOKUHO_PROFILE: ("P-DIGIT-01/kokuho.QualificationInquiry",),
        SUB_PROFILE: ("P-DIGIT-01/juki.ResidentChangeNotice",),
        KOKUHO_SUB_PROFILE: ("P-DIGIT-01/juki.ResidentChangeNotice",)}),
    # (J-INQ-06's unknown 個人番号 999999999899 has check digit 9 too)
    ("individual-number-digit-table", "RQ-MSG-02", (JUKI_PROFILE,), ("P-DIGIT-02", "J-INQ-06")),
    ("addressee-digit-table", "RQ-MSG-02", (JUKI_PROFILE,), ("P-DIGIT-02",)),
    ("first-request-page-one", "RQ-BEH-03", (JUKI_PROFILE,), ("J-GRID-03",)),
    ("retry-keeps-first-page", "RQ-BEH-08", (JUKI_PROFILE,), ("J-GRID-03",)),
]

ROUND16B_WIRE = {
    "media-type-untrimmed": {"on_request": media_type_untrimmed},
    "payload-prefixes-local": {"on_request": payload_prefixes_local},
    "first-declaration-wins": {"on_request": first_declaration_wins},
    "request-id-as-number": _rewriting(_request_id_as_number),
    "request-id-folded": _rewriting(_request_id_folded),
    "replay-key-35": {"on_request": replay_key_35, "on_reply": _remember_reply},
    "local-gov-by-addressee-rule": {"on_request": local_gov_by_addressee_rule},
    "individual-number-digit-table": {"on_request": _digit_table(
        b"IndividualNumber", 12, b"9", "individual_number")},
    "addressee-digit-table": {"on_request": _digit_table(
        b"AddresseeNumber", 10, b"8", "addressee_number")},
    "first-request-page-one": _rewriting(_first_request_page_one),
    "retry-keeps-first-page": {"on_request": retry_keeps_first_page, "on_reply": _rehashed},
}
ROUND16B_HANDLERS: dict = {}
