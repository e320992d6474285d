"""Faulty products for round 45 (docs/conformance-testing.md, "Round 45"), each with ONE defect,
written from the classes of the forty-fifth blind batch's misses, not from its variants:

- a fault writer that numbers every step of a finding's Path, as a DOM library's XPath of a node
  (``path-steps-numbered``: ``/soap:Envelope[1]/soap:Body[1]/…[1]``) — INV-FAULT-13 now holds
  docs/faults.md's "a position only where siblings share a name";
- a front end that reads a chunk-size as a decimal number (``chunk-size-read-as-decimal``): a
  size holding a hex letter is refused with a bare 400 — P-WIRE-01's chunked forms now write
  both sizes with letters, in either case;
- (juki.provider) an inquiry by 個人番号 answered only to Senders of the 業務ユニット the vendor
  lists as its 番号利用事務 (``individual-number-units-listed``), refused from any other —
  P-PARTY-01 now sends every Sender an inquiry by 個人番号 too;
- (juki.provider) an extract lookup that also finds an extract by the RequestId that made it
  (``request-id-as-extract-id``): a later page naming a RequestId as its ExtractId is served —
  J-FULL-04 now sends one;
- (the subscribers) a store that writes a change of a resident whose 住民状態 is not 1 (a
  転出者's, a 死亡者's record) half a second after the receipt, from a worker of its own
  (``removed-status-written-later``: a mode of the crashable subscriber) — S-IDCHG-01's last
  notice now gives its residents every 住民状態 and observes them right after.
"""

from __future__ import annotations

import copy
import re
import threading

from lxml import etree

from .faulty_durability import CrashableSubscriber
from bus.core import faults

from .faulty_round16b import PFH
from .faulty_round19 import ALL, _fault
from .faulty_round42 import answered_for_the_bytes_sent
from .faulty_round43 import JUKI_PROFILE
from .proxy import Call, Reply, header_findtext, serialize, tree
from .subscriber import CMN, JUKI

_PATH = re.compile(rb"(<(?:\w+:)?Path>)([^<]*)(</(?:\w+:)?Path>)")
_STEP = re.compile(r"(/[^/\[]+)(?=/|$)")  # a step without a position
LATER = 0.5  # seconds after the receipt that a resident not 住民 is written


def path_steps_numbered(call: Call) -> Reply:
    reply = call.reply
    assert reply is not None

    def numbered(m: re.Match) -> bytes:
        path = m[2].decode("utf-8")
        return m[1] + _STEP.sub(lambda s: s[1] + "[1]", path).encode("utf-8") + m[3]
    return Reply(reply.status, _PATH.sub(numbered, reply.body), reply.content_type)


def chunk_size_read_as_decimal(call: Call) -> bytes | Reply:
    if any(c in "abcdef" for size in call.chunks for c in f"{size:x}"):
        return Reply(400, b"Bad Request: invalid chunk size", "text/plain")
    return call.request


def extract_by_request_id(call: Call) -> bytes:
    """A later page's ExtractId that is a RequestId this proxy saw answered: the extract's."""
    made = call.state.setdefault("extract_of_request", {})
    try:
        root = tree(call.request)
    except (etree.XMLSyntaxError, ValueError):
        return call.request
    key = root.find(f".//{{{JUKI}}}ExtractId")
    if key is not None and (key.text or "").strip() in made:
        key.text = made[(key.text or "").strip()]
        return serialize(root)
    return call.request


def remember_request_ids(call: Call) -> Reply:
    reply = answered_for_the_bytes_sent(call)
    request_id = _text(call.request, "RequestId")
    extract_id = _text(reply.body, "ExtractId")
    if request_id and extract_id:
        call.state.setdefault("extract_of_request", {})[request_id] = extract_id
    return reply


def _text(raw: bytes, name: str) -> str | None:
    try:
        return (tree(raw).findtext(f".//{{{JUKI}}}{name}") or "").strip() or None
    except (etree.XMLSyntaxError, ValueError):
        return None


NUMBER_UNITS = {"01", "07", "11"}  # individual-number-units-listed: the vendor's list


def individual_number_units_listed(call: Call) -> bytes | Reply:
    if b"IndividualNumber" not in call.request or b"ResidentInquiryRequest" not in call.request:
        return call.request
    root = tree(call.request)
    unit = (header_findtext(root, f"/{{{PFH}}}Sender/{{{PFH}}}BusinessUnit") or "").strip()
    if root.find(f".//{{{JUKI}}}ResidentInquiryRequest/{{{JUKI}}}IndividualNumber") is None \
            or unit in NUMBER_UNITS:
        return call.request
    return _fault(call, faults.RULE_VIOLATION, "vendor:number-use",
                  f"業務ユニット {unit} is not listed for inquiries by 個人番号")


class Round45Subscriber(CrashableSubscriber):
    """The crashable subscriber with one of ROUND45_MODES."""

    __test__ = False

    def _apply(self, change, checked: bool = False) -> None:
        status = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}ResidentStatus") or "1"
        if self.mode == "removed-status-written-later" and status.strip() != "1":
            later = copy.deepcopy(change)

            def write() -> None:
                with self.lock:
                    super(Round45Subscriber, self)._apply(later, checked)
            threading.Timer(LATER, write).start()
            return
        super()._apply(change, checked)


ROUND45_FAULTS: list[tuple] = [
    ("path-steps-numbered", "RQ-FAULT-13", ALL, ("INV-FAULT-13",)),
    # (its bare 400 is no SOAP envelope: INV-SOAP-04)
    ("chunk-size-read-as-decimal", "RQ-SOAP-13", ALL, ("P-WIRE-01/*", "INV-SOAP-04")),
    ("request-id-as-extract-id", "RQ-BEH-03", JUKI_PROFILE, ("J-FULL-04",)),
    ("individual-number-units-listed", "RQ-FAULT-12", JUKI_PROFILE, ("P-PARTY-01/juki.ResidentInquiry",)),
]
ROUND45_NAMES = {entry[0] for entry in ROUND45_FAULTS}
ROUND45_WIRE = {
    "path-steps-numbered": {"on_reply": path_steps_numbered},
    "chunk-size-read-as-decimal": {"on_request": chunk_size_read_as_decimal},
    "individual-number-units-listed": {"on_request": individual_number_units_listed},
    "request-id-as-extract-id": {"on_request": extract_by_request_id,
                                 "on_reply": remember_request_ids},
}
# mode → (the requirement it breaks, the subscriber cases it must fail)
ROUND45_MODES: dict[str, tuple[str, tuple[str, ...]]] = {
    # (S-EDGE-01 observes a 住民状態 2 right after its receipt too; S-RELOAD-01 observes again
    # the residents S-IDCHG-01 observed before their writes)
    "removed-status-written-later": ("RQ-SUB-04", ("S-IDCHG-01", "S-EDGE-01", "S-RELOAD-01")),
}
