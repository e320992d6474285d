"""Faulty products for round 40b (docs/conformance-testing.md, "Round 40b"), each with ONE defect,
written from the class of the thirty-ninth blind batch's finding-place miss (a Finding's Path that
ends in the right names but is no path of the message), not from its variant:

- (a front end behind which the reference adapter answers, every role) a fault writer that
  writes each Finding's Path from the element its validator was handed — the payload element
  or the header block — not from the Envelope (``path-from-the-validated-element``):
  /juki:ResidentInquiryRequest/juki:AddresseeNumber for
  /soap:Envelope/soap:Body/juki:ResidentInquiryRequest/juki:AddresseeNumber. Its last names
  are right, so only INV-FAULT-13 (every Path a path of the request) can see it;
- (the crashable subscriber) a start-up that reloads the seen MessageIds of one publisher only,
  the system it first received a notice from (``seen-ids-of-the-first-publisher-at-start``): a
  notice a second publisher (a standby, another SystemId) sent before the restart is new again
  after it — S-RST-01's points published by a standby and delivered again by the suite's
  own system.

The batch's other miss of these classes, a later 全件 page asked for with a SentAt before its
snapshot was made, is caught by its own variant after the fact (J-FULL-01/02); no faulty product
of ours is written for it.

Round 40c, from the classes of the fortieth blind batch's misses (docs/conformance-testing.md,
"Round 40c"):

- (front ends, every role) the HTTP Date written from the host's clock in JST with the suffix
  GMT (``date-field-in-local-time``): INV-SOAP-16; a SOAP 1.2 fault's platform code added as an
  env:Subcode whose Value's prefix no declaration binds (``subcode-prefix-undeclared``):
  INV-SOAP-04; a charset label looked up among the IANA names of UTF-8, UTF-16 and US-ASCII
  only, any other answered as an internal error (``unknown-charset-as-internal-error``):
  P-EQUIV-01/S-EQUIV-01; a body read as chunked only when the field says ``chunked`` exactly
  (``chunked-only-in-lower-case``): P-WIRE-01;
- (front ends, juki.provider) a gateway that lets a request naming an ExtractId through to the
  registry as addressed to it and answers as whoever was asked
  (``later-pages-receiver-unchecked``): J-FULL-21; snapshots kept per UserId
  (``extracts-per-user-id``): a later page asked by another UserId of the system is unknown —
  J-FULL-01 and J-FULL-02.

Round 41b, from the forty-first blind batch's misses (docs/conformance-testing.md, "Round 41b"):

- (a front end, every role) a request whose bytes are not UTF-8 refused by a fault whose
  Japanese text is written by the platform's default encoding, CP932, under a UTF-8 label
  (``fault-text-in-cp932-for-bad-bytes``): P-ENC-05, and the invariants that read every
  answer's bytes (INV-SOAP-04, INV-MSG-12).

INV-SOAP-17 (an answer's framing) has round 15's ``answer-length-beside-chunked`` (faulty.py),
which sends Content-Length beside chunked and now fails it besides P-WIRE-01.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from bus.core import faults
from bus.core.faults import SOAP12_NS, Finding, HubFault, fault_envelope

from .faulty_durability import CrashableSubscriber
from .faulty_round16b import JUKI, PFH
from .faulty_round19 import ALL, _fault
from .faulty_round20 import _content_type
from .faulty_shapes import _original_hash
from .proxy import Call, Reply, header_find, header_findtext, serialize, tree

JUKI_PROFILE = ("juki.provider",)
_EXTRACT_UNKNOWN = faults.FaultCode("VENDOR-EXTRACT-UNKNOWN", faults.Party.CLIENT, 400,
                                    "no such extract")

_PFF = f"{{{faults.FAULT_NS}}}"
_PARTY = ("LocalGovCode", "BusinessUnit", "SystemId")


def path_from_the_validated_element(call: Call) -> Reply:
    reply = call.reply
    assert reply is not None
    try:
        root = tree(reply.body)
    except ValueError:
        return reply
    paths = list(root.iter(f"{_PFF}Path"))
    for el in paths:
        steps = (el.text or "").split("/")
        at = next((i for i, s in enumerate(steps) if s.endswith(("Body", "Header"))), None)
        if at is not None and at + 1 < len(steps):
            el.text = "/" + "/".join(steps[at + 1:])
    return Reply(reply.status, serialize(root), reply.content_type) if paths else reply


# --- round 40c ------------------------------------------------------------------------------

def date_field_in_local_time(call: Call) -> Reply:
    reply = call.reply
    assert reply is not None
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=9)))
    return Reply(reply.status, reply.body, reply.content_type,
                 date=now.strftime("%a, %d %b %Y %H:%M:%S GMT"))


def subcode_prefix_undeclared(call: Call) -> Reply:
    """``env:Subcode/env:Value`` = ``pfbus:<the platform code>``, no pfbus declared anywhere."""
    reply = call.reply
    assert reply is not None
    if SOAP12_NS.encode() not in reply.body:
        return reply
    root = tree(reply.body)
    value = root.find(f".//{{{SOAP12_NS}}}Code/{{{SOAP12_NS}}}Value")
    code = root.findtext(f".//{_PFF}Code")
    if value is None or not code:
        return reply
    sub = etree.SubElement(value.getparent(), f"{{{SOAP12_NS}}}Subcode")
    etree.SubElement(sub, f"{{{SOAP12_NS}}}Value").text = f"pfbus:{code}"
    return Reply(reply.status, serialize(root), reply.content_type)


_KNOWN_CHARSETS = ("utf-8", "utf-16", "us-ascii")


def unknown_charset_as_internal_error(call: Call) -> bytes | Reply:
    ctype = _content_type(call)
    labels = [p.split("=", 1)[1].strip().strip('"').lower() for p in ctype.split(";")[1:]
              if p.strip().lower().startswith("charset=")]
    if all(label in _KNOWN_CHARSETS for label in labels):
        return call.request
    return _fault(call, faults.PROVIDER_INTERNAL, "vendor:charset",
                  f"no decoder for {labels[0]!r}")


def chunked_only_in_lower_case(call: Call) -> bytes | Reply:
    coding = call.received.get("transfer-encoding", "")  # field names lower-cased
    if not coding or coding.strip() == "chunked":
        return call.request
    return _fault(call, faults.NOT_SOAP, "xml:well-formed", "Document is empty")


def _party(root, which: str) -> list:
    """The header's Sender or Receiver fields (elements; None where one is missing)."""
    return [header_find(root, f"/{{{PFH}}}{which}/{{{PFH}}}{f}") for f in _PARTY]


def later_pages_receiver_unchecked(call: Call) -> bytes | Reply:
    """A request naming an ExtractId goes to the registry as addressed to it (the one the last
    first request was addressed to): the transfer was authorised by its first request."""
    root = tree(call.request)
    fields = _party(root, "Receiver")
    if root.find(f".//{{{JUKI}}}ExtractId") is None or any(f is None for f in fields):
        call.state["receiver"] = [f.text for f in fields if f is not None]
        return call.request
    asked = [f.text for f in fields]
    if asked == call.state.get("receiver", asked):
        return call.request
    call.state.setdefault("asked", {})[id(call)] = asked
    for field, own in zip(fields, call.state["receiver"], strict=True):
        field.text = own
    return serialize(root)


def answered_as_whoever_was_asked(call: Call) -> Reply:
    """The reply's Sender is the request's Receiver, its RequestHash over the bytes received."""
    reply = call.reply
    assert reply is not None
    asked = call.state.get("asked", {}).pop(id(call), None)
    if asked is None or b"ExtractId" not in reply.body:
        return reply
    hashed = _original_hash(call)
    root = tree(hashed.body)
    for field, value in zip(_party(root, "Sender"), asked, strict=True):
        if field is not None:
            field.text = value
    return Reply(hashed.status, serialize(root), hashed.content_type)


def extracts_per_user_id(call: Call) -> bytes | Reply:
    root = tree(call.request)
    extract = root.findtext(f".//{{{JUKI}}}ExtractId")
    user = header_findtext(root, f"/{{{PFH}}}UserId")
    owner = call.state.get("owners", {}).get(extract)
    if extract is None or owner is None or owner == user:
        return call.request
    return _fault(call, _EXTRACT_UNKNOWN, "extract:unknown", f"{extract} is not yours")


def note_extract_owner(call: Call) -> Reply:
    reply = call.reply
    assert reply is not None
    if b"ExtractId" in reply.body and b"Fault" not in reply.body:
        request, answer = tree(call.request), tree(reply.body)
        extract = answer.findtext(f".//{{{JUKI}}}ExtractId")
        if request.find(f".//{{{JUKI}}}ExtractId") is None and extract:
            call.state.setdefault("owners", {})[extract] = header_findtext(
                request, f"/{{{PFH}}}UserId")
    return reply


# --- round 41b ------------------------------------------------------------------------------

def fault_text_in_cp932_for_bad_bytes(call: Call) -> bytes | Reply:
    if call.request.startswith((b"\xff\xfe", b"\xfe\xff")) or b'encoding="UTF-8"' not in \
            call.request[:60]:
        return call.request
    try:
        call.request.decode("utf-8")
    except UnicodeDecodeError:
        fault = HubFault(faults.MALFORMED_XML, (Finding("xml:well-formed", "文字コードが不正です"),))
        body = fault_envelope(fault).decode("utf-8").encode("cp932")  # the platform's default
        return Reply(500, body, "text/xml; charset=utf-8")
    return call.request


ROUND40_FAULTS: list[tuple] = [
    ("path-from-the-validated-element", "RQ-FAULT-13", ALL, ("INV-FAULT-13",)),
    ("date-field-in-local-time", "RQ-SOAP-16", ALL, ("INV-SOAP-16",)),
    ("subcode-prefix-undeclared", "RQ-SOAP-04", ALL, ("INV-SOAP-04",)),
    ("unknown-charset-as-internal-error", "RQ-SOAP-06", ALL, ("P-EQUIV-01/*", "S-EQUIV-01")),
    ("chunked-only-in-lower-case", "RQ-SOAP-13", ALL, ("P-WIRE-01/*",)),
    ("later-pages-receiver-unchecked", "RQ-FAULT-08", JUKI_PROFILE, ("J-FULL-21",)),
    ("extracts-per-user-id", "RQ-BEH-03", JUKI_PROFILE, ("J-FULL-01", "J-FULL-02")),
    ("fault-text-in-cp932-for-bad-bytes", "RQ-FAULT-07", ALL,
     ("P-ENC-05/*", "INV-SOAP-04", "INV-MSG-12")),
]
ROUND40_NAMES = {entry[0] for entry in ROUND40_FAULTS}
ROUND40_WIRE = {
    "path-from-the-validated-element": {"on_reply": path_from_the_validated_element},
    "date-field-in-local-time": {"on_reply": date_field_in_local_time},
    "subcode-prefix-undeclared": {"on_reply": subcode_prefix_undeclared},
    "unknown-charset-as-internal-error": {"on_request": unknown_charset_as_internal_error},
    "chunked-only-in-lower-case": {"on_request": chunked_only_in_lower_case},
    "later-pages-receiver-unchecked": {"on_request": later_pages_receiver_unchecked,
                                       "on_reply": answered_as_whoever_was_asked},
    "extracts-per-user-id": {"on_request": extracts_per_user_id,
                             "on_reply": note_extract_owner},
    "fault-text-in-cp932-for-bad-bytes": {"on_request": fault_text_in_cp932_for_bad_bytes},
}


# mode → (the requirement it breaks, the subscriber cases it must fail): test_conformance_round40
ROUND40_MODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "seen-ids-of-the-first-publisher-at-start": ("RQ-SUB-05", ("S-RST-01", "S-LATE-02")),
}


class Round40Subscriber(CrashableSubscriber):
    """The crashable subscriber with one of ROUND40_MODES."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.publisher: dict[str, str] = {}  # MessageId → the Sender SystemId it came from

    def handler(self, header, notice):
        with self.lock:
            self.publisher.setdefault(header.message_id, header.sender.system_id)
        return super().handler(header, notice)

    def crash(self, values=None) -> int:
        code = super().crash(values)
        if self.mode == "seen-ids-of-the-first-publisher-at-start" and self.publisher:
            first = next(iter(self.publisher.values()))
            with self.lock:
                self.seen = {m for m in self.seen if self.publisher.get(m, first) == first}
        return code

