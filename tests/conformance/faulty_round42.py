"""Faulty products for round 42b (docs/conformance-testing.md, "Round 42b"), each with ONE defect,
written from the classes of the forty-second blind batch's misses, not from its variants — each a
front end in front of the reference adapter (a TamperProxy):

- a fault writer that counts a Finding's Line from 0 (``finding-line-from-zero``): every Line
  one before the line it means — INV-FAULT-13 (no Line before the line its place begins on),
  and the cases that judge a rule finding's place (P-FAULT-02 and its kin);
- a reader that strips what comes before the XML declaration — white space, a comment — and
  parses the rest (``prolog-stripped``): P-HOST-04;
- an envelope without a soap:Header element answered as the provider's own failure
  (``header-element-absent-as-internal``): P-FAULT-04;
- a Content-Length with a leading zero read as an octal number (``content-length-octal``): the
  body cut short, refused as not well-formed — P-WIRE-01;
- a chunked body decoded chunk by chunk, a character split between two chunks replaced
  (``chunks-decoded-apart``): a notice's name stored with U+FFFD — P-WIRE-01 on a subscriber,
  by its observation;
- (juki.provider) an inquiry holding both keys of the xs:choice answered by its first
  (``inquiry-second-key-dropped``): J-INQ-16.
"""

from __future__ import annotations

import re

from lxml import etree

from bus.core import faults

from .faulty_round16b import JUKI
from .faulty_round19 import ALL, _fault
from .faulty_shapes import _original_hash
from .proxy import Call, Reply, serialize, tree

JUKI_PROFILE = ("juki.provider",)
SUBSCRIBERS = ("kojinjuminzei.subscriber", "kokuho.subscriber")

_LINE = re.compile(rb"(<(?:[\w.-]+:)?Line>)\s*(\d+)\s*(</)")
_PROLOG = re.compile(rb"^(?:\s|<!--.*?-->)+(?=<\?xml)", re.S)


def finding_line_from_zero(call: Call) -> Reply:
    reply = call.reply
    assert reply is not None
    if b"Line>" not in reply.body:
        return reply
    body = _LINE.sub(lambda m: m[1] + str(int(m[2]) - 1).encode() + m[3], reply.body)
    return Reply(reply.status, body, reply.content_type)


def prolog_stripped(call: Call) -> bytes:
    return _PROLOG.sub(b"", call.request, count=1)


def header_element_absent_as_internal(call: Call) -> bytes | Reply:
    try:
        root = tree(call.request)
    except (etree.XMLSyntaxError, ValueError):  # not XML: the reference's to refuse
        return call.request
    if any(isinstance(c.tag, str) and etree.QName(c).localname == "Header" for c in root):
        return call.request
    return _fault(call, faults.PROVIDER_INTERNAL, "provider:internal",
                  "header block lookup failed")


def content_length_octal(call: Call) -> bytes:
    length = call.received.get("content-length", "").strip()
    if len(length) > 1 and length.startswith("0") and length.isdigit():
        octal = re.match(r"[0-7]*", length)[0]  # as strtol(…, 8) reads: to the first 8 or 9
        return call.request[:int(octal, 8)]
    return call.request


def chunks_decoded_apart(call: Call) -> bytes:
    if len(call.chunks) < 2:
        return call.request
    text, at = [], 0
    for size in call.chunks:
        text.append(call.request[at:at + size].decode("utf-8", "replace"))
        at += size
    return "".join(text).encode("utf-8")


def answered_for_the_bytes_sent(call: Call) -> Reply:
    """The RequestHash of the bytes the suite sent, not of the request as changed: the defect is
    what the product reads, not what it hashes."""
    assert call.reply is not None
    return call.reply if call.forwarded == call.request else _original_hash(call)


def inquiry_second_key_dropped(call: Call) -> bytes:
    if b"ResidentInquiryRequest" not in call.request or b"IndividualNumber" not in call.request:
        return call.request
    root = tree(call.request)
    for request in root.iter(f"{{{JUKI}}}ResidentInquiryRequest"):
        keys = [request.find(f"{{{JUKI}}}{k}") for k in ("AddresseeNumber", "IndividualNumber")]
        if all(k is not None for k in keys):
            request.remove(keys[1])
            return serialize(root)
    return call.request


ROUND42_FAULTS: list[tuple] = [
    # (the cases judging a rule finding's place see its Line too)
    ("finding-line-from-zero", "RQ-FAULT-13", ALL,
     ("INV-FAULT-13", "P-FAULT-02/*", "P-FAULT-07/*", "P-FAULT-08/*", "P-FAULT-09/*")),
    ("prolog-stripped", "RQ-FAULT-07", ALL, ("P-HOST-04/*",)),
    ("header-element-absent-as-internal", "RQ-FAULT-04", ALL, ("P-FAULT-04/*",)),
    # (the body cut short holds no readable MessageId for the fault to name: INV-FAULT-06)
    ("content-length-octal", "RQ-SOAP-13", ALL, ("P-WIRE-01/*", "INV-FAULT-06")),
    ("chunks-decoded-apart", "RQ-SOAP-13", SUBSCRIBERS, ("P-WIRE-01/*",)),
    ("inquiry-second-key-dropped", "RQ-FAULT-01", JUKI_PROFILE, ("J-INQ-16",)),
]
ROUND42_NAMES = {entry[0] for entry in ROUND42_FAULTS}
ROUND42_WIRE = {
    "finding-line-from-zero": {"on_reply": finding_line_from_zero},
    "prolog-stripped": {"on_request": prolog_stripped},
    "header-element-absent-as-internal": {"on_request": header_element_absent_as_internal},
    "content-length-octal": {"on_request": content_length_octal},
    "chunks-decoded-apart": {"on_request": chunks_decoded_apart},
    "inquiry-second-key-dropped": {"on_request": inquiry_second_key_dropped,
                                   "on_reply": answered_for_the_bytes_sent},
}
