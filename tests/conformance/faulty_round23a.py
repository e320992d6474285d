"""Faulty products for round 23a's classes (docs/conformance-testing.md, "Round 23a"), each with ONE
defect — a front end before the reference adapter, the reference's own handlers behind a lookup
of their own, or the SDK-built subscriber — written from the value domains (a Party's parts,
the widths of 宛名番号), not from the twenty-second batch's variants:

- a Party's 業務ユニット: a customer map of the units the vendor's customers run (01, 07, 11, 12)
  looked up for every Sender, a miss raising (``sender-unit-customer-map``); a code table of
  業務ユニット from the 2011 list of 23 (no 24 文書管理, 25 宛名管理, 26 戸籍), a code missing
  from it refused as a code-list violation (``unit-table-of-23``) — P-PARTY-01, S-PARTY-01;
- a Party's rules beyond XSD: the customer map looked up before the header's rules, so a
  団体コード with a wrong check digit or a unit outside the code list raises
  (``invalid-party-internal``: P-PARTY-02, S-PARTY-02);
- a Party's values written back: the Sender's 団体コード kept as an INTEGER, its leading zero
  lost in the reply's Receiver (``local-gov-code-as-integer``); its SystemId in a VARCHAR(32)
  (``system-id-varchar32``);
- 宛名番号's widths: a provider padding the asked key to its CHAR(10) column
  (``addressee-padded-to-column``) or comparing keys as numbers
  (``addressee-compared-as-number``) — P-WIDTH-01 (P-EDGE-01 on 住民照会); a subscriber storing a notice's
  宛名番号 zero-padded to CHAR(10) (``notice-addressee-zero-padded``, the twenty-second batch's
  class) or as a number (``notice-addressee-as-number``) — S-WIDTH-01.
"""

from __future__ import annotations

import csv
import dataclasses

from lxml import etree

from bus.core import faults
from bus.core.identifiers import is_valid_local_gov_code
from conformance import grid

from .faulty_handlers import INQUIRY, QUALIFICATION, TAXATION
from .faulty_round14b import _edit_reply_header, _rehashed
from .faulty_round19 import _fault
from .proxy import Call, Reply, header_find, tree
from .references import (JUKI_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE, References, SUB_PROFILE,
                         TAX_PROFILE)
from .subscriber import CMN as _CMN, TestSubscriber

ALL = (JUKI_PROFILE, TAX_PROFILE, SUB_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE)
SUBSCRIBERS = (SUB_PROFILE, KOKUHO_SUB_PROFILE)
PROVIDERS = (JUKI_PROFILE, TAX_PROFILE, KOKUHO_PROFILE)
PFH = "{urn:pfbus:platform:header:v1}"

with open(grid.DATA_DIR.parent.parent / "schemas" / "codelists" / "business_unit.csv",
          encoding="utf-8") as f:
    UNITS = {row["code"] for row in csv.DictReader(f)}
CUSTOMER_UNITS = {"01", "07", "11", "12"}  # the units of the vendor's customers' systems
UNITS_OF_2011 = {f"{n:02d}" for n in range(1, 24)}  # the code table before 24–26 were added


def _sender(call: Call) -> tuple[str, str]:
    root = tree(call.request)
    sender = header_find(root, f"/{PFH}Sender")
    if sender is None:
        return "", ""
    return (sender.findtext(f"{PFH}LocalGovCode") or "", sender.findtext(f"{PFH}BusinessUnit")
            or "")


def _internal(call: Call, text: str) -> Reply:
    return _fault(call, faults.PROVIDER_INTERNAL, "provider:internal", text)


# --- a Party's 業務ユニット (P-PARTY-01, S-PARTY-01) -------------------------------------------

def sender_unit_customer_map(call: Call) -> bytes | Reply:
    """After the header's rules (a unit of the code list), the Sender's unit is looked up in
    the customer map to pick the billing account: KeyError for any other."""
    try:
        code, unit = _sender(call)
    except etree.XMLSyntaxError:
        return call.request
    if unit in UNITS and unit not in CUSTOMER_UNITS:
        return _internal(call, f"KeyError: '{unit}'")
    return call.request


def unit_table_of_23(call: Call) -> bytes | Reply:
    """The 業務ユニット code table was loaded from the 2011 list (01–23)."""
    try:
        code, unit = _sender(call)
    except etree.XMLSyntaxError:
        return call.request
    if unit in UNITS and unit not in UNITS_OF_2011:
        return _fault(call, faults.RULE_VIOLATION, "codelist:business_unit",
                      f"業務ユニット {unit} is not in the code list")
    return call.request


def invalid_party_internal(call: Call) -> bytes | Reply:
    """The customer map is looked up as the header is read, before its rules: a Party the rules
    refuse is a miss there, raised as an internal error."""
    try:
        code, unit = _sender(call)
    except etree.XMLSyntaxError:
        return call.request
    if (code and len(code) == 6 and code.isdigit() and not is_valid_local_gov_code(code)) or \
            (len(unit) == 2 and unit.isdigit() and unit not in UNITS):
        return _internal(call, f"KeyError: '{code}/{unit}'")
    return call.request


# --- a Party's values written back (P-PARTY-01, S-PARTY-01, the Sender cases before) ----------

def _reply_receiver(call: Call, part: str, change) -> Reply:
    call = dataclasses.replace(call, reply=_rehashed(call))

    def fix(header):
        el = header.find(f"{PFH}Receiver/{PFH}{part}")
        if el is not None and el.text:
            el.text = change(el.text)
    return _edit_reply_header(call, fix)


def local_gov_code_as_integer(call: Call) -> Reply:
    """The Sender's 団体コード is kept in an INTEGER column and written back from it."""
    return _reply_receiver(call, "LocalGovCode", lambda t: str(int(t)) if t.isdigit() else t)


def system_id_varchar32(call: Call) -> Reply:
    """The Sender's SystemId is kept in a VARCHAR(32) column (SystemIdType allows 64)."""
    return _reply_receiver(call, "SystemId", lambda t: t[:32])


# --- 宛名番号's widths: the provider's key (J-WIDTH-01, P-WIDTH-01) ---------------------------

_HELD = [r.addressee for r in grid.load_model("juki_residents.xml")]


def _keyed(refs: References, profile: str, key) -> str:
    """The profile's reference with its inquiry's AddresseeNumber rewritten by ``key`` before
    the lookup (the answer is the record found)."""
    handlers = refs.handlers(profile)

    def wrap(inner):
        def handler(header, request):
            request = etree.fromstring(etree.tostring(request))
            for el in request.iter():
                if isinstance(el.tag, str) and etree.QName(el).localname == "AddresseeNumber" \
                        and el.text:
                    el.text = key(el.text)
            return inner(header, request)
        return handler

    return refs.app(profile, {sid: wrap(h) if sid in (INQUIRY, TAXATION, QUALIFICATION) else h
                              for sid, h in handlers.items()})


def addressee_padded_to_column(refs: References, profile: str) -> str:
    """The key is padded to the CHAR(10) column's width before the lookup."""
    return _keyed(refs, profile, lambda n: n.zfill(10))


def addressee_compared_as_number(refs: References, profile: str) -> str:
    """The key is compared as a number (``WHERE CAST(宛名番号 AS INTEGER) = ?``)."""
    def key(number: str) -> str:
        return next((h for h in _HELD if number.isdigit() and int(h) == int(number)), number)
    return _keyed(refs, profile, key)


# --- 宛名番号's widths: the subscriber's record (S-WIDTH-01) ----------------------------------

class Round23aSubscriber(TestSubscriber):
    """The SDK-built subscriber with one defect of round 23a's classes: its 宛名番号 column."""

    __test__ = False

    def _key(self, number: str) -> str:
        if self.mode == "notice-addressee-zero-padded":
            return number.zfill(10)  # CHAR(10), zero-filled on insert and in the WHERE
        if self.mode == "notice-addressee-as-number":
            return str(int(number)) if number.isdigit() else number  # a NUMBER(15) column
        return number

    def _apply(self, change: etree._Element, checked: bool = False) -> None:
        el = change.find(f"{{{_JUKI}}}Resident/{{{_CMN}}}AddresseeNumber")
        if el is not None and el.text:
            el.text = self._key(el.text)
        super()._apply(change, checked)

    def observe(self, values) -> tuple[int, str]:
        return super().observe({**values, "addressee_number":
                                self._key(str(values["addressee_number"]))})


_JUKI = "urn:pfbus:unit:juki:v1"

# subscriber mode → (the requirement it breaks, the cases it must fail): test_conformance_round23a
ROUND23A_MODES = {
    "notice-addressee-zero-padded": ("RQ-BEH-09", ("S-WIDTH-01",)),
    # S-EDGE-01 sends a fresh number with a leading zero more and padded to 15 digits
    "notice-addressee-as-number": ("RQ-BEH-09", ("S-WIDTH-01", "S-EDGE-01")),
}

# (name, the requirement it breaks, profiles, targets[, params, targets by profile])
ROUND23A_FAULTS: list[tuple] = [
    ("sender-unit-customer-map", "RQ-FAULT-12", ALL, ("P-PARTY-01/*",), {},
     {p: ("S-PARTY-01/*",) for p in SUBSCRIBERS}),
    ("unit-table-of-23", "RQ-FAULT-12", ALL, ("P-PARTY-01/*",), {},
     {p: ("S-PARTY-01/*",) for p in SUBSCRIBERS}),
    ("invalid-party-internal", "RQ-FAULT-02", ALL, ("P-PARTY-02/*",), {},
     {p: ("S-PARTY-02/*",) for p in SUBSCRIBERS}),
    # every answer's Receiver is judged (INV-BIND-03) and validated (INV-MSG-03: a 団体コード
    # of five digits is schema-invalid); P-DIGIT-01's 団体コード begin with 0, P-BIND-04 sends a
    # Sender SystemId of 64 characters
    ("local-gov-code-as-integer", "RQ-BIND-03", ALL, ("P-PARTY-01/*", "INV-BIND-03", "INV-MSG-03"),
     {}, {p: ("S-PARTY-01/*", "INV-BIND-03", "INV-MSG-03") for p in SUBSCRIBERS}),
    ("system-id-varchar32", "RQ-BIND-03", ALL, ("P-PARTY-01/*", "INV-BIND-03", "P-BIND-04/*"),
     {}, {p: ("S-PARTY-01/*", "INV-BIND-03", "P-BIND-04/*") for p in SUBSCRIBERS}),
    # 住民照会's held numbers at other widths are P-EDGE-01's (edges.identifier_edges)
    ("addressee-padded-to-column", "RQ-BEH-09", PROVIDERS, ("P-WIDTH-01/*",), {},
     {JUKI_PROFILE: ("P-EDGE-01",)}),
    ("addressee-compared-as-number", "RQ-BEH-09", PROVIDERS, ("P-WIDTH-01/*",), {},
     {JUKI_PROFILE: ("P-EDGE-01",)}),
]

ROUND23A_WIRE = {
    "sender-unit-customer-map": {"on_request": sender_unit_customer_map},
    "unit-table-of-23": {"on_request": unit_table_of_23},
    "invalid-party-internal": {"on_request": invalid_party_internal},
    "local-gov-code-as-integer": {"on_reply": local_gov_code_as_integer},
    "system-id-varchar32": {"on_reply": system_id_varchar32},
}
ROUND23A_HANDLERS = {"addressee-padded-to-column": addressee_padded_to_column,
                     "addressee-compared-as-number": addressee_compared_as_number}
ROUND23A_NAMES = {entry[0] for entry in ROUND23A_FAULTS}
