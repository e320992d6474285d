"""Faulty products for round 47 (docs/conformance-testing.md, "Round 47"), each with ONE defect,
written from the classes of the forty-seventh blind batch's misses, not from its variants:

- (juki.provider) an inquiry with a 基準日 goes to a history query that reads its key as it
  comes, without the rule checks (``dated-inquiry-rules-skipped``): a wrong check digit there is
  looked up and answered — P-FAULT-16 breaks a check digit in every request shape.
"""

from __future__ import annotations

from lxml import etree

from bus.core.identifiers import DEFAULT_ADDRESSEE_SCHEME, is_valid_individual_number
from conformance import grid

from .faulty_round42 import answered_for_the_bytes_sent
from .faulty_round43 import JUKI_PROFILE
from .proxy import Call, serialize, tree
from .subscriber import JUKI

# a valid key nobody holds, which the history query finds nothing for
UNHELD = {"AddresseeNumber": grid.with_check_digit("999999999", "addressee"),
          "IndividualNumber": grid.with_check_digit("99999999999", "individual")}


def _valid(name: str, value: str) -> bool:
    if name == "AddresseeNumber":
        return DEFAULT_ADDRESSEE_SCHEME.problem(value) is None
    return is_valid_individual_number(value)


def dated_inquiry_rules_skipped(call: Call) -> bytes:
    if b"AsOf" not in call.request or b"ResidentInquiryRequest" not in call.request:
        return call.request
    try:
        root = tree(call.request)
    except (etree.XMLSyntaxError, ValueError):
        return call.request
    request = root.find(f".//{{{JUKI}}}ResidentInquiryRequest")
    if request is None or request.find(f"{{{JUKI}}}AsOf") is None:
        return call.request
    for name, unheld in UNHELD.items():
        key = request.find(f"{{{JUKI}}}{name}")
        value = (key.text or "").strip() if key is not None else ""
        # a number of the key's form whose check digit is wrong (a value the XSD refuses is
        # the schema's business, checked before either query)
        if value.isascii() and value.isdigit() and len(value) == len(unheld) \
                and not _valid(name, value):
            assert key is not None
            key.text = unheld  # what the unchecked lookup finds: nobody
            return serialize(root)
    return call.request


ROUND47_FAULTS: list[tuple] = [
    ("dated-inquiry-rules-skipped", "RQ-FAULT-02", JUKI_PROFILE, ("P-FAULT-16/juki.ResidentInquiry",)),
]
ROUND47_NAMES = {entry[0] for entry in ROUND47_FAULTS}
ROUND47_WIRE = {
    "dated-inquiry-rules-skipped": {"on_request": dated_inquiry_rules_skipped,
                                    "on_reply": answered_for_the_bytes_sent},
}
