"""Faulty products for round 46 (docs/conformance-testing.md, "Round 46"), each with ONE defect,
written from the classes of the forty-sixth blind batch's misses, not from its variants:

- a fault writer that names a finding's element by its DOM library's node path (lxml's
  ``getpath``, libxml2's xmlGetNodePath: ``*`` for an element in a default namespace, a position
  on each of those), right wherever the message prefixes its elements (``path-from-node-path``)
  — P-FAULT-14/15 send rule-breaking requests without prefixes, INV-FAULT-13 refuses a ``*``
  step;
- an HTTP layer that labels an answer with the first media type of the request's Accept field it
  has a writer for (``answer-labelled-from-accept``), and one that refuses a header section
  holding an octet above 0x7F (``obs-text-field-refused``) or a field with an empty value
  (``empty-field-value-refused``) with a bare 400 — P-WIRE-01 now sends Accept, Accept-Charset,
  UTF-8 and Latin-1 octets, empty, padded and repeated fields;
- (the subscribers) a name check against the MJ table loaded into a map keyed by MJ number
  (``mj-table-keyed-by-number``): of a number listed twice, only the row read last is known, and
  a name holding the other is refused — S-CJK-01 now sends every row such a map loses.
"""

from __future__ import annotations

import re
from functools import cache

from lxml import etree

from bus.core import faults
from conformance import cjk_blocks, fault_place

from .faulty_round19 import ALL, _fault
from .faulty_round44 import SUBSCRIBERS
from .proxy import Call, Reply, tree
from .subscriber import CMN

_PATH = re.compile(rb"(<(?:\w+:)?Path>)([^<]*)(</(?:\w+:)?Path>)")
PRODUCIBLE = ("text/xml", "application/soap+xml", "application/xml")
_IVS = re.compile("[^\U000e0100-\U000e01ef][\U000e0100-\U000e01ef]")


def path_from_node_path(call: Call) -> Reply:
    reply = call.reply
    assert reply is not None
    try:
        root = tree(call.request)
    except (etree.XMLSyntaxError, ValueError):
        return reply

    def node_path(m: re.Match) -> bytes:
        named = fault_place.named_elements(m[2].decode("utf-8"), root)
        if len(named) != 1:
            return m[0]  # a missing element, an attribute: as the product wrote it
        return m[1] + root.getroottree().getpath(named[0]).encode("utf-8") + m[3]
    return Reply(reply.status, _PATH.sub(node_path, reply.body), reply.content_type)


def answer_labelled_from_accept(call: Call) -> Reply:
    reply = call.reply
    assert reply is not None
    for part in call.received.get("accept", "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in PRODUCIBLE:
            params = reply.content_type.partition(";")[2]
            return Reply(reply.status, reply.body, media + (f";{params}" if params else ""),
                         reply.date)
    return reply


def _bad_request() -> Reply:
    return Reply(400, b"Bad Request", "text/plain")


def obs_text_field_refused(call: Call) -> bytes | Reply:
    """http.server hands the header section over as ISO-8859-1: a character above U+007F is an
    octet above 0x7F."""
    if any(max(value, default="\0") > "\x7f" for value in call.received.values()):
        return _bad_request()
    return call.request


def empty_field_value_refused(call: Call) -> bytes | Reply:
    if any(not value.strip() for value in call.received.values()):
        return _bad_request()
    return call.request


def mj_table_keyed_by_number(call: Call) -> bytes | Reply:
    known = _keyed_by_number()
    try:
        root = tree(call.request)
    except (etree.XMLSyntaxError, ValueError):
        return call.request
    for name in root.iter(f"{{{CMN}}}Text", f"{{{CMN}}}Original"):
        for sequence in _IVS.findall(name.text or ""):
            if sequence not in known:
                return _fault(call, faults.RULE_VIOLATION, "mj_characters",
                              f"U+{ord(sequence[0]):04X} U+{ord(sequence[1]):04X} is no MJ "
                              f"character")
    return call.request


@cache
def _keyed_by_number() -> frozenset[str]:
    return frozenset(dict(cjk_blocks.table_rows()).values())


ROUND46_FAULTS: list[tuple] = [
    ("path-from-node-path", "RQ-FAULT-13", ALL, ("P-FAULT-14/*", "P-FAULT-15/*", "INV-FAULT-13")),
    ("answer-labelled-from-accept", "RQ-SOAP-04", ALL, ("INV-SOAP-04",)),
    # (their bare 400 is no SOAP envelope: INV-SOAP-04)
    ("obs-text-field-refused", "RQ-SOAP-13", ALL, ("P-WIRE-01/*", "INV-SOAP-04")),
    ("empty-field-value-refused", "RQ-SOAP-13", ALL, ("P-WIRE-01/*", "INV-SOAP-04")),
    ("mj-table-keyed-by-number", "RQ-MSG-06", SUBSCRIBERS, ("S-CJK-01",)),
]
ROUND46_NAMES = {entry[0] for entry in ROUND46_FAULTS}
ROUND46_WIRE = {
    "path-from-node-path": {"on_reply": path_from_node_path},
    "answer-labelled-from-accept": {"on_reply": answer_labelled_from_accept},
    "obs-text-field-refused": {"on_request": obs_text_field_refused},
    "empty-field-value-refused": {"on_request": empty_field_value_refused},
    "mj-table-keyed-by-number": {"on_request": mj_table_keyed_by_number},
}
