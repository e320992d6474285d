"""Faulty products for the classes the twelfth blind batch passed through the suite (round 12b):
platform fields read without their namespace, a request's size, first 全件 requests of one
RequestId in flight together, several extracts read interleaved.

Each is the reference adapter with ONE defect of the class, written from SOAP, Namespaces in XML,
docs/security.md and docs/notices.md — a front end's XPath by local name, a fixed read buffer, a
check-then-act RequestId table, a snapshot cache — not from the batch's variants. The subscriber
defect of the round (a name written from its 名寄せ search key) is a mode of
subscriber.TestSubscriber.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict

from lxml import etree
from twisted.internet import reactor
from twisted.internet.task import deferLater

from bus.core.header import HEADER_NS, HEADER_TAG

from .faulty_handlers import EXTRACT
from .faulty_wire import JUKI
from .proxy import Call, Reply, is_fault, serialize, tree
from .references import References

READ_BUFFER = 1 << 20  # the front end's one read: 1 MiB


def header_by_local_name(call: Call) -> Reply:
    """The reply's RelatesTo and Receiver are filled by a front end that finds the request's
    header with //*[local-name()='PlatformHeader'] and its fields by local name: the first block
    of that name wins, whatever its namespace."""
    if call.reply is None or is_fault(call.reply.body):
        return call.reply
    request = tree(call.request)
    found = request.xpath("//*[local-name()='Header']/*[local-name()='PlatformHeader']")
    if not found or found[0].tag == HEADER_TAG:
        return call.reply
    first = found[0]
    root = tree(call.reply.body)
    reply = root.find(f"{{{etree.QName(root).namespace}}}Header/{HEADER_TAG}")
    reply.find(f"{{{HEADER_NS}}}RelatesTo").text = first.xpath(
        "string(*[local-name()='MessageId'])")
    for name in ("LocalGovCode", "BusinessUnit", "SystemId"):
        reply.find(f"{{{HEADER_NS}}}Receiver/{{{HEADER_NS}}}{name}").text = first.xpath(
            f"string(*[local-name()='Sender']/*[local-name()='{name}'])")
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


def read_into_buffer(call: Call) -> bytes:
    """The request body read with one read of a 1 MiB buffer: the rest is never seen."""
    return call.request[:READ_BUFFER]


def extract_check_then_act(refs: References, profile: str) -> str:
    """The (Sender, RequestId) table in front of the export: looked up, the snapshot made (150 ms
    of query), then the ExtractId recorded — a second first request arriving in between is not
    found and gets a snapshot of its own. A retry after the answer is served from the table."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]
    table: dict[tuple, str] = {}

    def handler(header, request):
        request_id = request.findtext(f"{{{JUKI}}}RequestId")
        if request_id is None or request.find(f"{{{JUKI}}}ExtractId") is not None:
            return inner(header, request)
        key = (header.sender, request_id)
        request = copy.deepcopy(request)
        request.remove(request.find(f"{{{JUKI}}}RequestId"))  # the table is the wrapper's
        known = table.get(key)
        if known is not None:  # a retry: the page asked of the snapshot made before
            extract = etree.Element(f"{{{JUKI}}}ExtractId")
            extract.text = known
            request.insert(0, extract)
            return inner(header, request)

        def made():
            response = inner(header, request)
            table[key] = response.findtext(f"{{{JUKI}}}ExtractId")
            return response

        return deferLater(reactor, 0.15, made)

    return refs.app(profile, {**handlers, EXTRACT: handler})


def extract_snapshots_kept_three(refs: References, profile: str) -> str:
    """Snapshots kept in an LRU cache of three: a fourth extract evicts the least recently read,
    whose later pages are then an unknown ExtractId."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]
    cache: OrderedDict[str, None] = OrderedDict()
    evicted: set[str] = set()
    lock = threading.Lock()

    def handler(header, request):
        named = request.findtext(f"{{{JUKI}}}ExtractId")
        if named is not None and named in evicted:
            request = copy.deepcopy(request)
            request.find(f"{{{JUKI}}}ExtractId").text = f"evicted-{named}"[:64]
        response = inner(header, request)
        extract_id = response.findtext(f"{{{JUKI}}}ExtractId")
        if extract_id and extract_id not in evicted:
            with lock:
                cache[extract_id] = None
                cache.move_to_end(extract_id)
                while len(cache) > 3:
                    evicted.add(cache.popitem(last=False)[0])
        return response

    return refs.app(profile, {**handlers, EXTRACT: handler})


ROUND12B_WIRE = {
    "header-by-local-name": {"on_reply": header_by_local_name},
    "request-read-into-1-mib": {"on_request": read_into_buffer},
}
ROUND12B_HANDLERS = {
    "extract-check-then-act": extract_check_then_act,
    "extract-snapshots-kept-three": extract_snapshots_kept_three,
}
