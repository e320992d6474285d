"""Faulty products for round 12's classes: a value read as its first text node, the household
of a 住民照会 with a 基準日 answered as of today.

Each is the reference adapter with ONE defect of the class, written from the XML Infoset, SOAP,
README ("Every value is read as XML defines it") and juki-v1.xsd (基準日) — a hand-written
payload mapper on the wire in front of the reference, a household query without the date in
the vendor's own handler."""

from __future__ import annotations

import copy

from lxml import etree

from .faulty_handlers import INQUIRY
from .faulty_tenth import hash_of_what_was_sent
from .faulty_wire import JUKI
from .proxy import Call, serialize
from .references import References

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


def household_as_of_today(refs: References, profile: str) -> str:
    """The resident is looked up as of the 基準日, the household by its number as it is today:
    members who joined it after the 基準日 are listed, those who left since are not."""
    handlers = refs.handlers(profile)
    inner = handlers[INQUIRY]

    def handler(header, request):
        response = inner(header, request)
        household = response.find(f"{{{JUKI}}}Household")
        if household is None or request.find(f"{{{JUKI}}}AsOf") is None:
            return response
        today = copy.deepcopy(request)
        today.remove(today.find(f"{{{JUKI}}}AsOf"))
        now = inner(None, today).find(f"{{{JUKI}}}Household")
        if now is not None and now.findtext("*") == household.findtext("*"):
            response.replace(household, now)
        return response

    return refs.app(profile, {**handlers, INQUIRY: handler})


TWELFTH_HANDLERS = {"household-as-of-today": household_as_of_today}
TWELFTH_WIRE = {
    "first-text-node-only": {"on_request": first_text_node_only,
                             "on_reply": hash_of_what_was_sent},
}
