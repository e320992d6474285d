"""Faulty products for round 19's classes (docs/conformance-testing.md, "Round 19"), each with ONE defect
— the reference adapter behind a front end, vendor A's inquiry behind a handler of its own, the
crashable SDK-built subscriber — written from the class (the grammar of namespace attributes and
of character references, the value domain, the 基準日, a start-up), not from the nineteenth
batch's variants:

- namespace attributes (P-EQUIV-01, S-EQUIV-01): a guard refusing any declaration of a reserved
  prefix; a namespace table that takes an empty namespace name for an error; a tokenizer whose
  names are ASCII only; a version sniffed by the first envelope namespace found in the bytes
  (a version read from the envelope's prefix is not here: P-SOAP-02's prefixes already fail it);
- character references (P-EQUIV-01, S-EQUIV-01): a pre-parser decoder reading a decimal
  reference with ``strtol(…, 0)`` — a leading zero makes it octal; one keeping a hexadecimal
  reference's value in a UTF-16 code unit;
- the 基準日 on every record of an answer (J-INQ-15): the household taken as of its 世帯主's
  住民となった年月日;
- what a restart may change (S-START-01): stale changes queued and re-checked at start-up by
  their 異動年月日;
- the identifiers a request names (J-FULL-20): an ExtractId looked up in a column of 40
  characters, a longer one failing as the provider's own error.
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from bus.core import faults
from bus.core.faults import SOAP11_NS, FaultCode, HubFault, fault_envelope
from bus.core.findings import Finding

from .faulty_also import with_restart_cases_also_failed
from .faulty_durability import CrashableSubscriber
from .faulty_handlers import INQUIRY
from .faulty_round14b import _rehashed
from .faulty_wire import JUKI
from .proxy import Call, Reply, tree
from .references import (JUKI_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE, References, SUB_PROFILE,
                         TAX_PROFILE)

ALL = (JUKI_PROFILE, TAX_PROFILE, SUB_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE)
SUBSCRIBERS = (SUB_PROFILE, KOKUHO_SUB_PROFILE)
_EQUIV = ("P-EQUIV-01/*", "S-EQUIV-01")
PFH = "{urn:pfbus:platform:header:v1}"
CMN = "{urn:pfbus:platform:common:v1}"
SOAP11 = b"http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = b"http://www.w3.org/2003/05/soap-envelope"


def _fault(call: Call, code: FaultCode, rule: str, text: str, ns: str | None = None) -> Reply:
    """A fault of ``code`` in SOAP version ``ns`` (the request's), naming the request's MessageId
    as a parser reads it — a front end's defect is its one rule, never how it finds the ID."""
    root = tree(call.request)
    ns = ns or etree.QName(root).namespace
    media = "text/xml" if ns == SOAP11_NS else "application/soap+xml"
    status = 500 if ns == SOAP11_NS else code.http_status
    fault = HubFault(code, (Finding(rule, text),), root.findtext(f".//{PFH}MessageId"))
    return Reply(status, fault_envelope(fault, ns), f"{media}; charset=utf-8")


def _envelope_refusal(call: Call, text: str) -> Reply:
    return _fault(call, faults.NOT_SOAP, "xml:namespace", text)


# --- namespace attributes (P-EQUIV-01, S-EQUIV-01) ---------------------------------------------

def reserved_prefix_declared_refused(call: Call) -> bytes | Reply:
    """A hardening rule "no declaration of a prefix beginning with xml": Namespaces in XML §3
    reserves them against *rebinding*, and allows ``xmlns:xml`` bound to its own namespace."""
    if re.search(rb"\sxmlns:xml[\w.-]*\s*=", call.request):
        return _envelope_refusal(call, "a reserved prefix is declared")
    return call.request


def empty_namespace_name_refused(call: Call) -> bytes | Reply:
    """The namespace table refuses an empty namespace name, the undeclaration included."""
    if re.search(rb"\sxmlns\s*=\s*[\"'][\"']", call.request):
        return _envelope_refusal(call, "an empty namespace name")
    return call.request


def version_by_first_envelope_namespace(call: Call) -> bytes | Reply:
    """The SOAP version is whichever envelope namespace comes first in the bytes — the one on
    the Envelope in every message the vendor's clients write; an unused declaration of the other
    version before it is taken for the envelope's."""
    found = re.search(re.escape(SOAP11) + rb"|" + re.escape(SOAP12), call.request)
    if found and found.group(0).decode() != etree.QName(tree(call.request)).namespace:
        # answered as the version it took the message for
        return _fault(call, faults.VERSION_MISMATCH, "soap:version",
                      "the envelope is not of this SOAP version", found.group(0).decode())
    return call.request


def ascii_names_only(call: Call) -> bytes | Reply:
    """The front end's tokenizer reads names as ``[A-Za-z0-9_.:-]``: a prefix of other name
    characters (XML 1.0 NameChar, an NCName) is a syntax error to it."""
    for tag in re.findall(rb"<(/?[^\s>/!?]+)", call.request):
        if any(b > 0x7F for b in tag):
            return _fault(call, faults.NOT_SOAP, "xml:syntax", "an invalid name")
    return call.request


# --- character references (P-EQUIV-01, S-EQUIV-01) ---------------------------------------------

def decimal_reference_read_octal(call: Call) -> bytes | Reply:
    """The legacy payload decoder turns each decimal reference of soap:Body into its character
    before the parser, with C's ``strtol(digits, NULL, 0)``: ``&#0000108;`` is read in octal up
    to the first digit that is not one, another character."""
    def one(m: re.Match) -> bytes:
        digits = m.group(1)
        if len(digits) < 2 or not digits.startswith(b"0"):
            return m.group(0)
        octal = re.match(rb"[0-7]*", digits)
        assert octal is not None  # strtol stops at the first digit that is not octal
        return f"&#{int(octal.group(0) or b'0', 8)};".encode()
    at = call.request.find(b"Body")
    return call.request[:at] + re.sub(rb"&#([0-9]+);", one, call.request[at:])


def hex_reference_as_code_unit(call: Call) -> bytes | Reply:
    """The legacy decoder stores a hexadecimal reference's value in a UTF-16 code unit (a
    ``wchar_t`` of two bytes): a character outside the BMP loses its top bits — ``&#x20bb7;``
    (𠮷) becomes U+0BB7."""
    def one(m: re.Match) -> bytes:
        value = int(m.group(1), 16)
        return f"&#x{value & 0xFFFF:X};".encode() if value > 0xFFFF else m.group(0)
    return re.sub(rb"&#x([0-9A-Fa-f]+);", one, call.request)


# --- the value domain of the identifiers a request names (J-FULL-20) -----------------------------

_WIDTH = 40  # the vendor's identifier column: VARCHAR(40), a SHA-1's hexadecimal width


def identifier_column_width(call: Call) -> bytes | Reply:
    """A later request's ExtractId is looked up in the snapshot table's VARCHAR(40) column (the
    product's own IDs are SHA-1s): an ExtractId longer than the column — ExtractIdType allows
    64 characters — makes the query fail, answered as the provider's own error
    (PF-PROVIDER-INTERNAL) where an unknown ExtractId is the client's."""
    value = tree(call.request).findtext(".//{urn:pfbus:unit:juki:v1}ExtractId")
    if value is not None and _WIDTH < len(value) <= 64:  # a longer one the XSD check refuses
        return _fault(call, faults.PROVIDER_INTERNAL, "provider:internal",
                      "value too long for type character varying(40)")
    return call.request


# --- the 基準日 applied to every record an answer holds (J-INQ-15) --------------------------------

def household_as_of_head_registration(refs: References, profile: str) -> str:
    """The resident is looked up as of the 基準日; the household from a snapshot keyed by its
    世帯主's 住民となった年月日 (the day the 世帯 was set up): members who came later are left
    out whatever the 基準日."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        response = inner(header, request)
        household = response.find(f"{{{JUKI}}}Household")
        as_of = request.find(f"{{{JUKI}}}AsOf")
        if household is None or as_of is None:
            return response
        head = next((m for m in household.findall(f"{CMN}Member")
                     if m.findtext(f"{CMN}Relationship") == "01"), None)
        set_up = head.findtext(f"{CMN}BecameResidentOn") if head is not None else None
        if set_up:
            asked = copy.deepcopy(request)
            asked.find(f"{{{JUKI}}}AsOf").text = set_up
            then = inner(None, asked).find(f"{{{JUKI}}}Household")
            if then is not None:
                response.replace(household, then)
        return response

    return refs.app(profile, {**handlers, INQUIRY: handler})


# --- what a restart may change (S-START-01) -----------------------------------------------------

class StartUpRecheckSubscriber(CrashableSubscriber):
    """A change kept out as stale goes to a re-check queue, and a job at start-up applies each
    queued change whose 異動年月日 is not older than the resident's newest applied one — the
    date compared where the 異動連番 decides: after a restart an older state (of the same day)
    overwrites the newer one."""

    __test__ = False

    def __init__(self, mode: str | None = "start-up-recheck"):
        super().__init__(mode)
        self.recheck: list[etree._Element] = []
        self.newest_day: dict[str, str] = {}

    def _apply(self, change: etree._Element, checked: bool = False) -> None:
        number = change.findtext(f"{{{JUKI}}}Resident/{CMN}AddresseeNumber") or ""
        day = change.findtext(f"{{{JUKI}}}Event/{CMN}OccurredOn") or ""
        held = self.residents.get(number)
        if held is not None and int(change.findtext(f"{{{JUKI}}}Sequence") or 0) <= held["last"]:
            self.recheck.append(copy.deepcopy(change))
        else:
            self.newest_day[number] = max(day, self.newest_day.get(number, ""))
        super()._apply(change, checked)

    def crash(self, values=None) -> int:
        code = super().crash(values)
        with self.lock:
            queued, self.recheck = self.recheck, []
            for change in queued:
                number = change.findtext(f"{{{JUKI}}}Resident/{CMN}AddresseeNumber") or ""
                if (change.findtext(f"{{{JUKI}}}Event/{CMN}OccurredOn") or "") >= \
                        self.newest_day.get(number, ""):
                    super()._apply(change, checked=True)
        return code


# subscriber mode → (the requirement it breaks, the cases it must fail): test_conformance_round19
# (round 16b's S-DUR-08 restarts after a kept-out change as well: its model sees the replay)
# (round 21: S-RST-01's kept-out outcomes, re-applied at its restarts)
ROUND19_MODES = with_restart_cases_also_failed(
    {"start-up-recheck": ("RQ-SUB-05", ("S-START-01", "S-DUR-08", "S-RST-01"))})


# (name, the requirement it breaks, profiles, targets[, targets by profile]): faulty.Faulty's
ROUND19_FAULTS: list[tuple] = [
    ("reserved-prefix-declared-refused", "RQ-SOAP-06", ALL, _EQUIV),
    ("empty-namespace-name-refused", "RQ-SOAP-06", ALL, _EQUIV),
    # answered in the version it took the message for: INV-SOAP-04 as well
    ("version-by-first-envelope-namespace", "RQ-SOAP-06", ALL, (*_EQUIV, "INV-SOAP-04")),
    ("ascii-names-only", "RQ-SOAP-06", ALL, _EQUIV),
    # a digit 8 or 9 makes a control character of it: the request is then not well-formed and
    # its fault cannot name the MessageId (INV-FAULT-06) — what such a product answers
    # (a one-character value — 全件's Page and PageSize — is written in hexadecimal by the form)
    ("decimal-reference-read-octal", "RQ-SOAP-06", ALL, (*_EQUIV, "INV-FAULT-06"), {},
     {JUKI_PROFILE: ("P-EQUIV-01/juki.ResidentInquiry", "INV-FAULT-06")}),
    # only a notice carries a character outside the BMP (the sample's 𠮷)
    ("hex-reference-as-code-unit", "RQ-SOAP-06", SUBSCRIBERS, _EQUIV),
    ("identifier-column-width", "RQ-BEH-03", (JUKI_PROFILE,), ("J-FULL-20",)),
    ("household-as-of-head-registration", "RQ-BEH-07", (JUKI_PROFILE,), ("J-INQ-15",)),
]

ROUND19_HANDLERS = {"household-as-of-head-registration": household_as_of_head_registration}
ROUND19_WIRE = {
    "identifier-column-width": {"on_request": identifier_column_width},
    # the reply hashed over the request as sent (the defect is the reading, not the hash)
    "hex-reference-as-code-unit": {"on_request": hex_reference_as_code_unit,
                                   "on_reply": _rehashed},
    "reserved-prefix-declared-refused": {"on_request": reserved_prefix_declared_refused},
    "empty-namespace-name-refused": {"on_request": empty_namespace_name_refused},
    "version-by-first-envelope-namespace": {"on_request": version_by_first_envelope_namespace},
    "ascii-names-only": {"on_request": ascii_names_only},
    "decimal-reference-read-octal": {"on_request": decimal_reference_read_octal},
}
