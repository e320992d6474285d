"""Faulty products for round 12's classes: a value read as its first text node.

Each is the reference adapter with ONE defect of the class, written from the XML Infoset, SOAP
and README ("Every value is read as XML defines it") — a hand-written payload mapper — on the
wire in front of the reference."""

from __future__ import annotations

from lxml import etree

from .faulty_tenth import hash_of_what_was_sent
from .proxy import Call, serialize

_KEEPING = dict(resolve_entities=False, no_network=True)  # lxml's defaults: comments, PIs kept


def first_text_node_only(call: Call) -> bytes:
    """The vendor's payload mapper reads each body value with lxml's ``.text`` (``findtext``):
    the text before the first comment or processing instruction inside it, the rest lost —
    ``00000<!-- -->50024`` is read as ``00000``. The header is read by the SDK, correctly."""
    if b"<!--" not in call.request and b"<?" not in call.request[5:]:
        return call.request
    root = etree.fromstring(call.request, etree.XMLParser(**_KEEPING))
    body = root.find(f"{{{etree.QName(root).namespace}}}Body")
    changed = False
    for el in body.iter() if body is not None else ():
        nodes = list(el)
        if not isinstance(el.tag, str) or not nodes or \
                any(isinstance(n.tag, str) for n in nodes):
            continue  # only leaf values split by comments or PIs
        for node in nodes:
            el.remove(node)  # the node and its tail: what follows the first text node
        changed = True
    return serialize(root) if changed else call.request


TWELFTH_WIRE = {
    "first-text-node-only": {"on_request": first_text_node_only,
                             "on_reply": hash_of_what_was_sent},
}
