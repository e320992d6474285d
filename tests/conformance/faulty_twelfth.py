"""Faulty products for round 12's classes: a value read as its first text node, the household
of a 住民照会 with a 基準日 answered as of today, a request for another version of a service
answered.

Each is the reference adapter with ONE defect of the class, written from the XML Infoset, SOAP,
README ("Every value is read as XML defines it", "A system answers only what is addressed to
it") and juki-v1.xsd (基準日) — a hand-written payload mapper and a dispatcher that never reads
the Version on the wire in front of the reference, a household query without the date in the
vendor's own handler."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

from lxml import etree

from bus.core.header import HEADER_NS

from .faulty_handlers import INQUIRY
from .faulty_tenth import hash_of_what_was_sent
from .faulty_wire import CATALOG, JUKI
from .proxy import Call, Reply, header_findtext, serialize, tree
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


_VERSION = re.compile(rb"(<(?:[\w.-]+:)?Version>)([^<]*)(</)")


def _in_header(field: re.Pattern, raw: bytes) -> re.Match | None:
    """``field`` in the platform header, not in a vendor block before it (P-LOOK-01's look-alike
    and nested copy): searched from the start tag of the platform header's MessageId (its first
    field; the Header's child read as a product reads it), else from header-v1's namespace on,
    so the defect stays the one the docstring names."""
    start = max(raw.find(HEADER_NS.encode()), 0)
    try:
        message_id = header_findtext(tree(raw), f"/{{{HEADER_NS}}}MessageId")
    except etree.XMLSyntaxError:
        message_id = None
    at = raw.find(message_id.strip().encode()) if message_id and message_id.strip() else -1
    return field.search(raw, raw.rfind(b"<", 0, at) if at > 0 else start)


def version_unchecked(call: Call) -> bytes:
    """The dispatcher looks a request up by its body element and never reads the header's
    Service/Version: a request for version 2 is answered as version 1's (the reply header
    still copies the request's Service, as ``header.reply`` does)."""
    m = _in_header(_VERSION, call.request)
    if m is None or m.group(2).strip() == b"1":
        return call.request
    return call.request[:m.start(2)] + b"1" + call.request[m.end(2):]


_SERVICE_ID = re.compile(rb"(<(?:[\w.-]+:)?ServiceId>)([^<]*)(</)")
_BY_REQUEST = {s.request_tag: s.id for s in CATALOG.services.values()}


def service_id_unchecked(call: Call) -> bytes:
    """The dispatcher takes the service from the body element and never reads the header's
    ServiceId: a request naming another service (or none the catalog has) is answered as the
    body's."""
    m = _in_header(_SERVICE_ID, call.request)
    root = tree(call.request)
    body = root.find(f"{{{etree.QName(root).namespace}}}Body")
    payload = next((el for el in body if isinstance(el.tag, str)), None) \
        if body is not None else None
    served = _BY_REQUEST.get(payload.tag) if payload is not None else None
    if m is None or served is None or m.group(2).strip() == served.encode():
        return call.request
    return call.request[:m.start(2)] + served.encode() + call.request[m.end(2):]


def _named_back(field: re.Pattern) -> Callable[[Call], Reply]:
    """The reply names what the request named in ``field`` (a product that copies the header's
    Service, as ``header.reply`` does), and hashes the bytes the suite sent."""
    def on_reply(call: Call) -> Reply:
        reply = hash_of_what_was_sent(call)
        sent = _in_header(field, call.request)
        if reply is None or sent is None or call.forwarded == call.request:
            return reply
        body = field.sub(lambda m: m.group(1) + sent.group(2) + m.group(3), reply.body,
                         count=1)
        return Reply(reply.status, body, reply.content_type)
    return on_reply


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
    "service-version-unchecked": {"on_request": version_unchecked,
                                  "on_reply": _named_back(_VERSION)},
    "service-id-unchecked": {"on_request": service_id_unchecked,
                             "on_reply": _named_back(_SERVICE_ID)},
}
