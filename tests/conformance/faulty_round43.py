"""Faulty products for round 43b (docs/conformance-testing.md, "Round 43b"), each with ONE defect,
written from the classes of the forty-third blind batch's misses, not from its variants — each a
front end in front of the reference adapter (a TamperProxy):

- a binder reading integers through Python's ``int()`` before validating
  (``integers-read-through-int``): full-width or Arabic-Indic digits, an underscore between
  digits, taken for the number — P-NEIGH-01's new forms;
- a decoder that joins two character references to a UTF-16 surrogate pair into the character
  they would make (``surrogate-references-joined``): P-HOST-04's new form answered;
- a fault writer that names the element open where the parser stopped as the Path of an
  ``xml:well-formed`` finding (``well-formed-finding-with-path``): INV-FAULT-13;
- (juki.provider) a lookup that takes a 宛名番号 nobody holds for a 世帯番号 and answers the
  household's head (``household-number-as-addressee``): J-GRID-01's new points.

Round 43c, the batch's framing class:

- a front end that takes a body's length from Content-Length whenever the field is there and
  looks at Transfer-Encoding only without it (``length-before-coding``): a chunked request that
  carries both is read as the first Content-Length bytes of its chunked framing and refused as
  not well-formed — P-WIRE-01's ``chunked-body-with-content-length`` (RFC 9112 6.3: the coding
  overrides the length, or the request is refused at the HTTP layer).

Round 43d, the batch's last class (a case that waits, P-CLOCK-01, so not among the generic
runs: an ordinary run meets the defect only by chance):

- a header writer that leaves SentAt's seconds out when they are zero, as Java's
  ``OffsetDateTime.toString()`` does (``seconds-left-out-on-the-minute``): INV-MSG-03 on the
  answers P-CLOCK-01 gets in a minute's first second.

(The subscriber's — a 記載 other than A01 of a resident not held waiting for its record — is
faulty_notice_grid.py's ``registration-waits-for-a01``.)
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from lxml import etree

from conformance import grid

from .faulty_round16b import JUKI
from bus.core import faults

from .faulty_round19 import ALL, _fault
from .faulty_round42 import answered_for_the_bytes_sent
from .proxy import Call, Reply, serialize, tree

JUKI_PROFILE = ("juki.provider",)
# the messages with integer fields: a 全件 request (Page, PageSize) and a notice (異動連番, 丁目)
WITH_INTEGERS = ("juki.provider", "kojinjuminzei.subscriber", "kokuho.subscriber")
CMN = "urn:pfbus:platform:common:v1"
MODEL = Path(grid.__file__).parent / "data" / "juki_residents.xml"

# a whole text of decimal digits in any script, underscores between them (what int() reads),
# in the integer fields a binder maps to int (juki-v1.xsd, common-v1.xsd)
_INTEGER = re.compile(r"\s*[+-]?\d+(?:_\d+)*\s*")
_INTEGER_FIELDS = {f"{{{JUKI}}}Page", f"{{{JUKI}}}PageSize", f"{{{JUKI}}}Sequence",
                   f"{{{CMN}}}Chome"}
_PAIR = re.compile(rb"&#[xX](D[89ABab][0-9A-Fa-f]{2});&#[xX](D[C-Fc-f][0-9A-Fa-f]{2});")
_WELL_FORMED = re.compile(rb"(<(\w+:)?Rule>\s*xml:well-formed\s*</(?:\w+:)?Rule>)(?!\s*<(?:\w+:)?Path>)")


def integers_read_through_int(call: Call) -> bytes:
    try:
        root = tree(call.request)
    except (etree.XMLSyntaxError, ValueError):
        return call.request
    changed = False
    for el in root.iter(*_INTEGER_FIELDS):
        text = el.text or ""
        if (not text.isascii() or "_" in text) and _INTEGER.fullmatch(text):
            el.text, changed = str(int(text)), True
    return serialize(root) if changed else call.request


def surrogate_references_joined(call: Call) -> bytes:
    def joined(m: re.Match) -> bytes:
        pair = int(m[1], 16).to_bytes(2, "big") + int(m[2], 16).to_bytes(2, "big")
        return pair.decode("utf-16-be").encode("utf-8")
    return _PAIR.sub(joined, call.request)


def well_formed_finding_with_path(call: Call) -> Reply:
    reply = call.reply
    assert reply is not None
    if b"xml:well-formed" not in reply.body:
        return reply
    body = _WELL_FORMED.sub(lambda m: m[1] + b"<" + (m[2] or b"") + b"Path>/soap:Envelope/"
                            b"soap:Body</" + (m[2] or b"") + b"Path>", reply.body)
    return Reply(reply.status, body, reply.content_type)


@cache
def _heads() -> dict[str, str]:
    """世帯番号 → its head's 宛名番号 (世帯主, Relationship 01; else its first member), of the
    households whose number no resident holds as a 宛名番号."""
    model = grid.load_model(str(MODEL))
    held = {r.addressee for r in model}
    heads: dict[str, str] = {}
    for r in model:
        if r.household not in held and (r.household not in heads or
                                        r.fields.get("cmn:Relationship") == "01"):
            heads[r.household] = r.addressee
    return heads


def household_number_as_addressee(call: Call) -> bytes:
    if b"ResidentInquiryRequest" not in call.request:
        return call.request
    root = tree(call.request)
    for key in root.iter(f"{{{JUKI}}}AddresseeNumber"):
        head = _heads().get((key.text or "").strip())
        if head is not None:
            key.text = head
            return serialize(root)
    return call.request


def length_before_coding(call: Call) -> bytes | Reply:
    length = call.received.get("content-length")
    if length is None or "chunked" not in call.received.get("transfer-encoding", "").lower():
        return call.request
    framing = f"{call.chunks[0]:x}" if call.chunks else "0"  # where the read bytes begin
    return _fault(call, faults.NOT_SOAP, "xml:well-formed",
                  f"Start tag expected, '<' not found (the {length} bytes read begin {framing!r})")


_ON_THE_MINUTE = re.compile(rb"(<(?:\w+:)?SentAt>\s*\d{4}-\d\d-\d\dT\d\d:\d\d):00(?:\.0+)?"
                            rb"(\s*[+-]\d\d:\d\d\s*</)")


def seconds_left_out_on_the_minute(call: Call) -> Reply:
    reply = call.reply
    assert reply is not None
    return Reply(reply.status, _ON_THE_MINUTE.sub(rb"\1\2", reply.body), reply.content_type)


ROUND43_FAULTS: list[tuple] = [
    ("integers-read-through-int", "RQ-FAULT-01", WITH_INTEGERS,
     ("P-NEIGH-01/juki.ResidentFullExtract", "P-NEIGH-01/juki.ResidentChangeNotice")),
    ("surrogate-references-joined", "RQ-FAULT-07", ALL, ("P-HOST-04/*",)),
    ("well-formed-finding-with-path", "RQ-FAULT-13", ALL, ("INV-FAULT-13",)),
    ("household-number-as-addressee", "RQ-BEH-02", JUKI_PROFILE, ("J-GRID-01",)),
    ("length-before-coding", "RQ-SOAP-13", ALL, ("P-WIRE-01/*",)),
]
ROUND43_NAMES = {entry[0] for entry in ROUND43_FAULTS}
ROUND43_WIRE = {
    "integers-read-through-int": {"on_request": integers_read_through_int,
                                  "on_reply": answered_for_the_bytes_sent},
    "surrogate-references-joined": {"on_request": surrogate_references_joined,
                                    "on_reply": answered_for_the_bytes_sent},
    "well-formed-finding-with-path": {"on_reply": well_formed_finding_with_path},
    "household-number-as-addressee": {"on_request": household_number_as_addressee,
                                      "on_reply": answered_for_the_bytes_sent},
    "length-before-coding": {"on_request": length_before_coding},
}
