"""Faulty products for round 30b (docs/conformance-testing.md, "Round 30b"), each the reference
adapter or the SDK-built subscriber with ONE defect, written from the classes the thirtieth blind
batch's misses showed (SOAP's fault details, a header read beyond its place, the hub's SystemId
spelled otherwise, a notice sent as LinkageKind full, ヷ ヸ ヹ ヺ in a name), not from the batch's
variants:

- a SOAP 1.2 VersionMismatch fault whose env:Upgrade lists the answer's own envelope only
  (``upgrade-lists-own-version-only``) — P-SOAP-08 (docs/faults.md: SOAP 1.1 and 1.2);
- a SOAP 1.2 MustUnderstand fault naming the block not understood in env:NotUnderstood with a
  prefix the fault does not declare (``not-understood-qname-undeclared``) — INV-SOAP-05, which
  judges every answer's SOAP structure;
- the platform header found anywhere in the Header, the first in document order
  (``platform-header-by-descendant-search``) — P-LOOK-01's nested copy;
- a subscriber's receiver check matching the hub's SystemId by prefix
  (``notice-receiver-matched-by-prefix``) — S-ADDR-01's spellings;
- a subscriber applying a notice sent as LinkageKind full without the 異動連番 check
  (``full-notice-sequence-unchecked``), and one writing ヷ ヸ ヹ ヺ of a name's Text with ヴ, as
  a reading is written (``va-row-written-with-vu``) — S-GRID-01.
"""

from __future__ import annotations

import re
from copy import deepcopy

from lxml import etree

from bus.core.faults import SOAP12_NS
from bus.core.header import HEADER_TAG

from .faulty_round14b import _rehashed
from .faulty_round25 import ALL
from .proxy import Call, Reply, serialize, tree
from .references import KOKUHO_SUB_PROFILE, SUB_PROFILE
from .subscriber import CMN, JUKI, TestSubscriber, receipt_element

_ENV12 = f"{{{SOAP12_NS}}}"


def _reply_tree(call: Call) -> etree._Element | None:
    reply = call.reply
    if reply is None or SOAP12_NS.encode() not in reply.body or b"Fault" not in reply.body:
        return None
    return etree.fromstring(reply.body)


def _fault_code(root: etree._Element) -> str:
    value = root.findtext(f"{_ENV12}Body/{_ENV12}Fault/{_ENV12}Code/{_ENV12}Value") or ""
    return value.rpartition(":")[2]


def upgrade_lists_own_version_only(call: Call) -> Reply:
    """The Upgrade block of a VersionMismatch fault lists the envelope of the answer's version
    only (SOAP 1.2 Part 1's example lists one)."""
    reply = call.reply
    assert reply is not None
    if b"Upgrade" not in reply.body:
        return reply
    root = etree.fromstring(reply.body)
    own = etree.QName(root).namespace
    for block in root.iterfind(f"*/{_ENV12}Upgrade"):
        for supported in block.findall(f"{_ENV12}SupportedEnvelope"):
            prefix = (supported.get("qname") or "").rpartition(":")[0]
            if supported.nsmap.get(prefix or None) != own:
                block.remove(supported)
    return Reply(reply.status, serialize(root), reply.content_type)


def not_understood_qname_undeclared(call: Call) -> Reply:
    """A SOAP 1.2 MustUnderstand fault naming the block not understood in env:NotUnderstood,
    its qname written with the request's prefix, which the fault does not declare."""
    reply = call.reply
    assert reply is not None
    root = _reply_tree(call)
    if root is None or _fault_code(root) != "MustUnderstand":
        return reply
    header = root.find(f"{_ENV12}Header")
    if header is None:
        header = etree.Element(f"{_ENV12}Header")
        root.insert(0, header)
    etree.SubElement(header, f"{_ENV12}NotUnderstood").set("qname", "vnd:Block")
    return Reply(reply.status, serialize(root), reply.content_type)


def header_by_descendant_search(call: Call) -> bytes | Reply:
    """The platform header looked up with ``.//pfh:PlatformHeader``, the first match taken: a
    copy nested in a vendor block before it is read as the request's header."""
    if HEADER_TAG.split("}")[0][1:].encode() not in call.request:
        return call.request
    root = tree(call.request)
    header = root.find(f"{{{etree.QName(root).namespace}}}Header")
    if header is None:
        return call.request
    first = next(header.iter(HEADER_TAG), None)
    real = header.find(HEADER_TAG)
    if first is None or real is None or first is real:
        return call.request
    header.replace(real, deepcopy(first))
    return serialize(root)


_RECEIVER_SYSTEM = re.compile(rb"(<(?:[\w.-]+:)?Receiver>.*?<(?:[\w.-]+:)?SystemId>)([^<]*)(</)",
                              re.S)
HUB = "hub"


def notice_receiver_by_prefix(call: Call) -> bytes | Reply:
    """A notice's Receiver SystemId matched as LIKE 'hub%' (or a prefix of it): read as the
    hub's (the forwarded bytes name it), the reply hashed over what was sent."""
    m = _RECEIVER_SYSTEM.search(call.request)
    if m is None:
        return call.request
    got = m.group(2).decode("utf-8")
    if got == HUB or not (got.startswith(HUB) or HUB.startswith(got)) or not got:
        return call.request
    return call.request[:m.start(2)] + HUB.encode() + call.request[m.end(2):]


SUBSCRIBERS = (SUB_PROFILE, KOKUHO_SUB_PROFILE)
ROUND30_FAULTS: list[tuple] = [
    ("upgrade-lists-own-version-only", "RQ-SOAP-14", ALL, ("P-SOAP-08/*",)),
    ("not-understood-qname-undeclared", "RQ-SOAP-09", ALL, ("INV-SOAP-05",)),
    # (the fault for the copy's Receiver names the copy's MessageId: INV-FAULT-06)
    ("platform-header-by-descendant-search", "RQ-SOAP-10", ALL, ("P-LOOK-01/*", "INV-FAULT-06")),
    ("notice-receiver-matched-by-prefix", "RQ-FAULT-08", SUBSCRIBERS, ("S-ADDR-01*",)),
]
ROUND30_NAMES = {entry[0] for entry in ROUND30_FAULTS}
ROUND30_WIRE = {
    "upgrade-lists-own-version-only": {"on_reply": upgrade_lists_own_version_only},
    "not-understood-qname-undeclared": {"on_reply": not_understood_qname_undeclared},
    "platform-header-by-descendant-search": {"on_request": header_by_descendant_search},
    "notice-receiver-matched-by-prefix": {"on_request": notice_receiver_by_prefix,
                                          "on_reply": _rehashed},
}

# subscriber mode → (the requirement it breaks, the cases it must fail): test_conformance_round30
ROUND30_MODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "full-notice-sequence-unchecked": ("RQ-SUB-03", ("S-GRID-01",)),
    "va-row-written-with-vu": ("RQ-MSG-06", ("S-GRID-01",)),
}
_VU = str.maketrans({"ヷ": "ヴァ", "ヸ": "ヴィ", "ヹ": "ヴェ", "ヺ": "ヴォ"})


class Round30Subscriber(TestSubscriber):
    """The SDK-built subscriber with one defect of round 30b's classes."""

    __test__ = False

    def handler(self, header, notice: etree._Element) -> etree._Element:
        if self.mode == "va-row-written-with-vu":
            notice = deepcopy(notice)
            for text in notice.iter(f"{{{CMN}}}Text"):
                text.text = (text.text or "").translate(_VU)
        if self.mode == "full-notice-sequence-unchecked" and header.linkage_kind == "full":
            with self.lock:  # "a piece of a 全件 load": taken as it comes
                duplicate = header.message_id in self.seen
                self.seen.add(header.message_id)
                for change in [] if duplicate else notice.findall(f"{{{JUKI}}}Change"):
                    self._apply(change, checked=True)
            return receipt_element(header.message_id, "duplicate" if duplicate else "applied")
        return super().handler(header, notice)
