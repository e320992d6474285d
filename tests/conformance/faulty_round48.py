"""Faulty products for round 48 (docs/conformance-testing.md, "Round 48"), each with ONE defect,
written from the classes of the forty-eighth blind batch's misses, not from its variants:

- (every profile) a message in UTF-16 is decoded on a path of its own that runs no rule beyond
  XSD (``utf16-rules-skipped``): a wrong check digit is looked up or stored as it is, an unknown
  異動事由 applied as an ordinary one — P-FAULT-17/18 send rule violations in UTF-16;
- (juki.provider) an inquiry with a 基準日 goes to a history query that binds its 宛名番号 as a
  number (``dated-key-read-as-number``): 19 and 000000000000019 find 0000000019 — P-EDGE-01
  asks the key's other forms with a 基準日 too;
- (providers) a request whose Receiver SystemId is ``hub`` is taken for one the hub routed to
  the product (``receiver-hub-accepted``) — P-ADDR-08.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

from lxml import etree

from bus.core.header import HEADER_NS
from conformance import grid

from .faulty_round16b import JUKI, PROVIDERS
from .faulty_round19 import ALL
from .faulty_round42 import answered_for_the_bytes_sent
from .faulty_round43 import JUKI_PROFILE
from .faulty_round44 import SUBSCRIBERS
from .proxy import Call, serialize, tree
from .references import PARTIES

_KINDS = {"AddresseeNumber": "addressee", "IndividualNumber": "individual"}
_REASONS = Path(__file__).parents[2] / "schemas" / "codelists" / "change_reason.csv"
_KNOWN = {row["code"] for row in csv.DictReader(_REASONS.open(encoding="utf-8"))}


def _utf16(root: etree._Element) -> bytes:
    text = etree.tostring(root, encoding="unicode")
    return codecs.BOM_UTF16_LE + ('<?xml version="1.0" encoding="UTF-16"?>\n' + text) \
        .encode("utf-16-le")


def utf16_rules_skipped(call: Call) -> bytes:
    """What the unchecked path makes of the message: each key with its check digit as the
    number's digits would have it, a 異動事由 outside the list read as an ordinary one."""
    if not call.request.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return call.request
    root = tree(call.request)
    changed = False
    for el in root.iter():
        if not isinstance(el.tag, str) or el.text is None:
            continue
        name = etree.QName(el).localname
        value = el.text.strip()
        if name in _KINDS and value.isdigit() and len(value) > 1:
            fixed = grid.with_check_digit(value[:-1], _KINDS[name])
            changed |= fixed != value
            el.text = fixed
        elif name == "Reason" and value not in _KNOWN:
            el.text, changed = "A01", True  # 国内転入
    return _utf16(root) if changed else call.request


def dated_key_read_as_number(call: Call) -> bytes:
    if b"AsOf" not in call.request or b"AddresseeNumber" not in call.request:
        return call.request
    root = tree(call.request)
    for request in root.iter(f"{{{JUKI}}}ResidentInquiryRequest"):
        key = request.find(f"{{{JUKI}}}AddresseeNumber")
        if request.find(f"{{{JUKI}}}AsOf") is None or key is None or \
                not (key.text or "").strip().isdigit():
            continue
        as_number = str(int(key.text.strip())).rjust(10, "0")  # the held numbers' width
        if as_number != key.text.strip():
            key.text = as_number
            return serialize(root)
    return call.request


def receiver_hub_accepted(call: Call) -> bytes:
    """``hub`` read as 'whoever the hub routes to': the product's own SystemId of that unit."""
    if b">hub<" not in call.request:
        return call.request
    root = tree(call.request)
    for receiver in root.iter(f"{{{HEADER_NS}}}Receiver"):
        system = receiver.find(f"{{{HEADER_NS}}}SystemId")
        unit = receiver.findtext(f"{{{HEADER_NS}}}BusinessUnit")
        own = next((p.system_id for p in PARTIES.values() if p.business_unit == unit), None)
        if system is not None and system.text == "hub" and own is not None:
            system.text = own
            return serialize(root)
    return call.request


ROUND48_FAULTS: list[tuple] = [
    ("utf16-rules-skipped", "RQ-FAULT-02", ALL, ("P-FAULT-17/*",),
     {}, {p: ("P-FAULT-17/*", "P-FAULT-18/*") for p in SUBSCRIBERS}),
    # answered as the product's own: its reply's Sender is not the request's Receiver
    ("receiver-hub-accepted", "RQ-FAULT-08", PROVIDERS, ("P-ADDR-08/*", "INV-BIND-03")),
    ("dated-key-read-as-number", "RQ-MSG-02", JUKI_PROFILE, ("P-EDGE-01",)),
]
ROUND48_NAMES = {entry[0] for entry in ROUND48_FAULTS}
ROUND48_WIRE = {
    "utf16-rules-skipped": {"on_request": utf16_rules_skipped,
                            "on_reply": answered_for_the_bytes_sent},
    "receiver-hub-accepted": {"on_request": receiver_hub_accepted,
                              "on_reply": answered_for_the_bytes_sent},
    "dated-key-read-as-number": {"on_request": dated_key_read_as_number,
                                 "on_reply": answered_for_the_bytes_sent},
}
