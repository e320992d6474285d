"""Faulty products for round 25's classes (docs/conformance-testing.md, "Round 25"), each the
reference adapter or the SDK-built subscriber with ONE defect, written from the enumerated
domains (the neighbours of a ServiceId and a Version under header-v1.xsd's patterns; a notice of
several changes of one resident in every order; every optional element of the notice's types),
not from the twenty-fifth batch's variants:

- a router that does not compare ServiceId and Version as the characters they are: the ServiceId
  compared case-insensitively (``service-id-casefold``), by its part after the unit prefix
  (``service-id-by-operation``), after NFKC and strip (``service-id-nfkc-stripped``: a
  full-width letter, a space at an end served); a Version with a leading ``v`` taken for the
  same (``version-v-prefix``) — P-SVC-01, S-SVC-01;
- a notice of several changes of one resident leaving the wrong cursor: after it, the resident's
  last 異動連番 is the one of its last change in the notice in document order
  (``multi-change-cursor-last-in-document``) or of its first (a per-notice row written from the
  resident's first change: ``multi-change-cursor-first-in-document``), not the highest applied
  — S-MULTI-04 (a last 異動連番 read once per notice is GRID_MODES' ``notice-last-read-once``);
- an address mapper written from a sample carrying every optional element: Katagaki appended
  to Banchi, failing on an address with Katagaki and no Banchi
  (``katagaki-without-banchi-crashes``); the 住所コード looked up with the 郵便番号, failing on an
  AddressCode without a PostalCode (``address-code-without-postal-code-crashes``) — S-OPT-01.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from lxml import etree

from .faulty_twelfth import _BY_REQUEST, _SERVICE_ID, _VERSION, _in_header, _named_back
from .proxy import Call, tree
from .references import (JUKI_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE, SUB_PROFILE,
                         TAX_PROFILE)
from .subscriber import CMN, JUKI, TestSubscriber

ALL = (JUKI_PROFILE, TAX_PROFILE, SUB_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE)
SUBSCRIBERS = (SUB_PROFILE, KOKUHO_SUB_PROFILE)


def _served(call: Call) -> str | None:
    """The service the body element is the request of (what the router serves here)."""
    root = tree(call.request)
    body = root.find(f"{{{etree.QName(root).namespace}}}Body")
    payload = next((el for el in body if isinstance(el.tag, str)), None) \
        if body is not None else None
    return _BY_REQUEST.get(payload.tag) if payload is not None else None


def _service_id_taken(same: Callable[[str, str], bool]) -> Callable[[Call], bytes]:
    """A router whose ServiceId comparison is ``same(sent, served)``: a ServiceId it takes for
    the served one is served (the header rewritten to it before the reference reads it)."""
    def on_request(call: Call) -> bytes:
        m = _in_header(_SERVICE_ID, call.request)
        served = _served(call)
        if m is None or served is None:
            return call.request
        sent = m.group(2).decode("utf-8", "replace")
        if sent == served or not same(sent, served):
            return call.request
        return call.request[:m.start(2)] + served.encode() + call.request[m.end(2):]
    return on_request


def _version_v_prefix(call: Call) -> bytes:
    """The Version compared after dropping a leading lower-case v (a release tag, ``v1``)."""
    m = _in_header(_VERSION, call.request)
    if m is None or not re.fullmatch(rb"v[0-9][0-9.]*", m.group(2)):
        return call.request
    return call.request[:m.start(2)] + m.group(2)[1:] + call.request[m.end(2):]


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


ROUND25_WIRE = {
    "service-id-casefold": {"on_request": _service_id_taken(
        lambda sent, served: sent.casefold() == served.casefold()),
        "on_reply": _named_back(_SERVICE_ID)},
    "service-id-by-operation": {"on_request": _service_id_taken(
        lambda sent, served: sent.rpartition(".")[2] == served.rpartition(".")[2]),
        "on_reply": _named_back(_SERVICE_ID)},
    "service-id-nfkc-stripped": {"on_request": _service_id_taken(
        lambda sent, served: _nfkc(sent) == served), "on_reply": _named_back(_SERVICE_ID)},
    "version-v-prefix": {"on_request": _version_v_prefix, "on_reply": _named_back(_VERSION)},
}

# a router that serves a spelling the schema refuses (by-operation: ｊuki.ResidentInquiry, a
# digit or space first; nfkc-stripped: full-width, spaces) echoes it in the reply's Service, as
# header.reply does: the reply's header is schema-invalid too (INV-MSG-03)
_ECHOES_INVALID = ("service-id-by-operation", "service-id-nfkc-stripped")


# a notice served under another ServiceId is no notice to the invariants: its receipt, from the
# subscriber's own party, is not addressed back as a reply to that service must be (INV-BIND-03)
_SERVES_NAMED = ("service-id-casefold", "service-id-by-operation", "service-id-nfkc-stripped")


def _targets(name: str, case: str, subscriber: bool = False) -> tuple[str, ...]:
    return ((case,) + (("INV-MSG-03",) if name in _ECHOES_INVALID else ())
            + (("INV-BIND-03",) if subscriber and name in _SERVES_NAMED else ()))


# (name, the requirement it breaks, profiles, targets[, params, targets by profile])
ROUND25_FAULTS: list[tuple] = [
    (name, "RQ-FAULT-08", ALL, _targets(name, "P-SVC-01/*"), {},
     {p: _targets(name, "S-SVC-01/*", True) for p in SUBSCRIBERS}) for name in ROUND25_WIRE]
ROUND25_NAMES = {entry[0] for entry in ROUND25_FAULTS}

# subscriber mode → (the requirement it breaks, the cases it must fail): test_conformance_round25
ROUND25_MODES = {
    "multi-change-cursor-last-in-document": ("RQ-SUB-03", ("S-MULTI-04",)),
    "multi-change-cursor-first-in-document": ("RQ-SUB-03", ("S-MULTI-04",)),
    "katagaki-without-banchi-crashes": ("RQ-SUB-01", ("S-OPT-01",)),
    # (S-EDGE-01's AddressCode of 16 digits comes without a PostalCode too)
    "address-code-without-postal-code-crashes": ("RQ-SUB-01", ("S-OPT-01", "S-EDGE-01")),
}


def _number(change: etree._Element) -> str:
    return change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") or ""


class Round25Subscriber(TestSubscriber):
    """The SDK-built subscriber with one defect of round 25's classes."""

    __test__ = False

    def handler(self, header, notice: etree._Element) -> etree._Element:
        changes = notice.findall(f"{{{JUKI}}}Change")
        for address in notice.iter(f"{{{CMN}}}Address"):
            has = {etree.QName(el).localname for el in address}
            if self.mode == "katagaki-without-banchi-crashes" and "Katagaki" in has and \
                    "Banchi" not in has:
                raise TypeError("unsupported operand type(s) for +: 'NoneType' and 'str'")
            if self.mode == "address-code-without-postal-code-crashes" and \
                    "AddressCode" in has and "PostalCode" not in has:
                raise KeyError("postal_code")
        duplicate = header.message_id in self.seen
        receipt = super().handler(header, notice)
        if self.mode and self.mode.startswith("multi-change-cursor") and not duplicate:
            numbers = [_number(c) for c in changes]
            ordered = changes if self.mode.endswith("last-in-document") else changes[::-1]
            for change in ordered:  # the cursor the defective writer leaves per resident
                number = _number(change)
                if numbers.count(number) > 1 and number in self.residents:
                    self.residents[number]["last"] = int(change.findtext(f"{{{JUKI}}}Sequence"))
        return receipt
