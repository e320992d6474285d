"""Faulty products for the classes the thirteenth blind batch passed through the suite (round 13):
values in lexical forms the XSD allows, optional request elements in the combinations clients
send, HTTP forms a standard client sends, and a RequestId map that forgets.

Each is the reference adapter with ONE defect of the class, written from XML Schema (xs:dateTime's
whiteSpace and its hour 24), RFC 9110/9112 (Expect, Connection), juki-v1.xsd and docs/notices.md
— a replay guard's anchored regular expression, java.time's hour range, a front end that answers
before reading, a RequestId table consulted first, a cache with a TTL — not from the batch's
variants. The subscriber defects of the round (IVS selectors outside a range written one off,
selectors beyond a table of sixteen, a staging buffer shared by concurrent notices) are modes of
subscriber.TestSubscriber.
"""

from __future__ import annotations

import copy
import re
import threading
import time

from lxml import etree

from bus.core import faults
from bus.core.faults import SOAP11_NS, FaultCode, HubFault, fault_envelope
from bus.core.findings import Finding

from .faulty_handlers import EXTRACT
from .faulty_wire import JUKI
from .proxy import Call, Reply, header_find, soap_ns, tree
from .references import References

_SENT_AT = re.compile(rb"<(?:[\w.-]+:)?SentAt>([^<]*)</")
# written from the examples: a date, a time, optional fractions, +09:00 — anchored at both ends
_SENT_AT_FORM = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?\+09:00$")


def _refusal(call: Call, code: FaultCode, rule: str, text: str) -> Reply:
    """A client fault in the request's SOAP version, naming its MessageId."""
    header = header_find(tree(call.request))
    mid = header.findtext("{urn:pfbus:platform:header:v1}MessageId") \
        if header is not None else None
    ns = soap_ns(call.request) or SOAP11_NS
    status, media = (500, "text/xml") if ns == SOAP11_NS else (400, "application/soap+xml")
    return Reply(status, fault_envelope(HubFault(code, (Finding(rule, text),), mid), ns),
                 f"{media}; charset=utf-8")


def _sent_at(call: Call) -> str | None:
    m = _SENT_AT.search(call.request, max(call.request.find(b"PlatformHeader"), 0))
    return m.group(1).decode("utf-8", "replace") if m else None


def sent_at_anchored(call: Call) -> bytes | Reply:
    """The replay guard reads SentAt with a regular expression anchored at both ends (^…$): a
    SentAt followed by white space — the same xs:dateTime — is refused as unreadable
    (PF-MESSAGE-STALE, freshness:sent_at). The hour 24 it reads right (the next day's 00:00)."""
    value = _sent_at(call)
    if value is None or _SENT_AT_FORM.match(value):
        return call.request
    return _refusal(call, faults.MESSAGE_STALE, "freshness:sent_at",
                    f"SentAt {value!r} is not a date and time")


def sent_at_hour_24_refused(call: Call) -> bytes | Reply:
    """SentAt parsed as java.time's OffsetDateTime does after trimming: hours 00–23 only, so the
    day before's 24:00:00 (XSD 1.0's first instant of the next day) is refused as an invalid
    header."""
    value = (_sent_at(call) or "").strip()
    m = _SENT_AT_FORM.match(value)
    if m is None or int(m.group(4)) < 24:
        return call.request
    return _refusal(call, faults.HEADER_INVALID, "xsd:dateTime",
                    f"SentAt {value}: HourOfDay must be 0–23")


def expect_answered_unread(call: Call) -> bytes | Reply:
    """A front end that, given Expect: 100-continue, answers at once with what it has read —
    the head only — instead of sending 100 (Continue) and reading the content: the body the
    client sent straight away is discarded, the request refused as holding no envelope."""
    if call.received.get("expect", "").strip().lower() != "100-continue":
        return call.request
    return _refusal(call, faults.MALFORMED_XML, "xml:well-formed", "no content was read")


def close_before_flush(call: Call) -> Reply:
    """Given Connection: close, the front end closes its writer before the answer is flushed:
    200 with an empty body."""
    if call.received.get("connection", "").strip().lower() == "close" and call.reply:
        return Reply(call.reply.status, b"", call.reply.content_type)
    return call.reply


def later_page_keyed_by_request_id(refs: References, profile: str) -> str:
    """The export consults its (Sender, RequestId) table first: any request carrying a known
    RequestId is taken for its transfer's retried first request and answered with page 1 —
    a later page that keeps its RequestId beside the ExtractId gets the first page."""
    handlers = refs.handlers(profile)
    inner = handlers[EXTRACT]

    def handler(header, request):
        if request.find(f"{{{JUKI}}}RequestId") is not None and \
                request.find(f"{{{JUKI}}}ExtractId") is not None:
            request = copy.deepcopy(request)
            request.remove(request.find(f"{{{JUKI}}}ExtractId"))
            request.find(f"{{{JUKI}}}Page").text = "1"  # "the retried first request"
        return inner(header, request)

    return refs.app(profile, {**handlers, EXTRACT: handler})


class RequestIdsWithTtl:
    """The (Sender, RequestId) → ExtractId table as a cache whose entries live ``ttl`` seconds
    (a scaled-down minute): a first request retried later gets a snapshot of its own."""

    def __init__(self, refs: References, profile: str, ttl: float = 1.0):
        handlers = refs.handlers(profile)
        self.inner, self.ttl = handlers[EXTRACT], ttl
        self.table: dict[tuple, tuple[float, str]] = {}
        self.lock = threading.Lock()
        self.url = refs.app(profile, {**handlers, EXTRACT: self.handler})

    def handler(self, header, request):
        request_id = request.findtext(f"{{{JUKI}}}RequestId")
        if request_id is None or request.find(f"{{{JUKI}}}ExtractId") is not None:
            return self.inner(header, request)
        key = (header.sender, request_id)
        request = copy.deepcopy(request)
        request.remove(request.find(f"{{{JUKI}}}RequestId"))  # the table is the wrapper's
        with self.lock:
            born, known = self.table.get(key, (0.0, None))
            if known is not None and time.monotonic() - born <= self.ttl:
                extract = etree.Element(f"{{{JUKI}}}ExtractId")
                extract.text = known
                request.insert(0, extract)
                return self.inner(header, request)
            response = self.inner(header, request)
            self.table[key] = (time.monotonic(), response.findtext(f"{{{JUKI}}}ExtractId"))
            return response


ROUND13_WIRE = {
    "sent-at-anchored": {"on_request": sent_at_anchored},
    "sent-at-hour-24-refused": {"on_request": sent_at_hour_24_refused},
    "expect-answered-unread": {"on_request": expect_answered_unread},
    "close-before-flush": {"on_reply": close_before_flush},
}
ROUND13_HANDLERS = {
    "later-page-keyed-by-request-id": later_page_keyed_by_request_id,
}
# run with --param waiting_cases=true (J-FULL-17 waits): test_conformance_round13.py
# mode → (the requirement it breaks, the cases it must fail)
# (round 35b: P-LATE-01 retries every RequestId at the end of the run, seconds later — past the
# table's TTL of 1 s — in the ordinary run too)
WAITING_MODES = {"request-id-map-ttl": ("RQ-BEH-08", ("J-FULL-17", "P-LATE-01"))}
