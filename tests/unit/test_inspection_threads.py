"""Big messages parsed and validated on the inspection threads (``[hub] big_message_bytes``,
issue 13 item 2): the same replies and routing-log hops as inline, for valid and faulty requests
and answers, with each thread's own XMLSchema; a drain waits for an answer being inspected and
answers it; the configuration key is checked."""

from __future__ import annotations

import threading
import tomllib
from dataclasses import replace

import pytest
from lxml import etree
from twisted.internet import defer

from bus.core.config import ConfigError, parse_config
from bus.core.header import HEADER_TAG, PlatformHeader
from bus.core.identifiers import Modulus11Scheme
from bus.core.inspection import Inspector
from bus.core.routing import Provider, Route, ServiceRegistry
from bus.core.validator import MessageValidator
from bus.hub.exchange import SyncExchange
from bus.hub.forwarder import ProviderAnswer
from bus.hub.inspection_threads import HELD_BYTES_PER_THREAD, InspectionThreads
from bus.store.routing_log import RoutingLog
from messages import (ADDRESSEE_BAD, CHIYODA, CMN_NS, JUKI_NS, SOAP11_NS, SOAP12_NS,
                      builtin_catalog, envelope, inquiry_body, request_header, resident_xml)
from tests.support.clocked_hub import ReactorClock, events, exchange, settle

SERVICE = "juki.ResidentInquiry"
HOP_FIELDS = ("hop", "status", "fault_code", "party", "rule", "path", "line", "http_status",
              "message_id", "relates_to", "request_bytes", "response_bytes")


def answer_body(members: int = 110, defect: int | None = None, **change) -> str:
    """A found answer whose household has ``members`` members (110: ~100 KB); member
    ``defect`` carries ``change`` (resident_xml's fields)."""
    household = "".join(resident_xml("cmn:Member", **(change if i == defect else {}))
                        for i in range(members))
    return (f'<juki:ResidentInquiryResponse xmlns:juki="{JUKI_NS}" xmlns:cmn="{CMN_NS}">'
            f"<juki:Status>found</juki:Status>{resident_xml()}<juki:Household>"
            f"<cmn:HouseholdNumber>0000000019</cmn:HouseholdNumber>"
            f"<cmn:HeadName><cmn:Text>総務翔子</cmn:Text></cmn:HeadName>{household}"
            f"</juki:Household></juki:ResidentInquiryResponse>")


def deep(levels: int) -> str:
    return "<x>" * levels + "</x>" * levels


def answer(raw: bytes, body: str | None = None, soap_ns: str = SOAP11_NS, **changes) -> bytes:
    """The provider's answer to ``raw``, bound to it unless ``changes`` say otherwise."""
    header = PlatformHeader.from_element(
        etree.fromstring(raw).find(f".//{HEADER_TAG}")
    ).reply(raw)
    return envelope(answer_body() if body is None else body,
                    replace(header, **changes) if changes else header, soap_ns)


# case → (the message, the rule of the reply's first finding: None for a 200)
REQUESTS = {
    "valid": (lambda: envelope(inquiry_body()), None),
    "valid, SOAP 1.2": (lambda: envelope(inquiry_body(), soap_ns=SOAP12_NS), None),
    "malformed": (lambda: envelope(inquiry_body())[:-40], "xml:well-formed"),
    "DTD": (lambda: b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e "e">]>\n'
            + envelope(inquiry_body()).split(b"?>", 1)[1], "soap:no-dtd"),
    "schema": (lambda: envelope(inquiry_body(extra="<juki:Unknown>1</juki:Unknown>")),
               "xsd:content"),
    "check digit": (lambda: envelope(inquiry_body(ADDRESSEE_BAD)), "addressee_number"),
    "too deep": (lambda: envelope(inquiry_body(extra=deep(70))), "limit:max_depth"),
    "another endpoint's service": (lambda: envelope(inquiry_body(), request_header(
        service_id="juki.Nothing")), "service:endpoint"),
}
ANSWERS = {
    "valid 100 KB": (lambda raw, ns: answer(raw, soap_ns=ns), None),
    "malformed": (lambda raw, ns: answer(raw)[:-50], "xml:well-formed"),
    "schema": (lambda raw, ns: answer(raw, answer_body(3).replace(
        "<juki:Status>found", "<juki:Status>maybe")), "xsd:enumeration"),
    "check digit, member 57": (lambda raw, ns: answer(raw, answer_body(
        110, 57, addressee=ADDRESSEE_BAD)), "addressee_number"),
    "gender code, last member": (lambda raw, ns: answer(raw, answer_body(110, 109, gender="3")),
                                 "codelist:gender"),
    "RelatesTo": (lambda raw, ns: answer(raw, relates_to="00000000-0000-4000-8000-000000000000"),
                  "binding:relates_to"),
    "RequestHash": (lambda raw, ns: answer(raw, request_hash="AAAA"), "binding:request_hash"),
    "too deep": (lambda raw, ns: answer(raw, answer_body(2).replace(
        "<juki:Status>", deep(70) + "<juki:Status>")), "limit:max_depth"),
    "SOAP 1.2 to 1.1": (lambda raw, ns: answer(raw, soap_ns=SOAP12_NS), "soap:version"),
}


class AnsweringForwarder:
    def __init__(self, answer: bytes):
        self.answer = answer

    async def post(self, url, body, content_type, soap_action, timeout) -> ProviderAnswer:
        return ProviderAnswer(200, "text/xml; charset=utf-8", self.answer)


@pytest.fixture
def inspector() -> Inspector:
    catalog = builtin_catalog()
    registry = ServiceRegistry([Route(CHIYODA, SERVICE, Provider("p", "http://127.0.0.1:9/", 5.0),
                                      5.0)])
    return Inspector(catalog, MessageValidator(catalog, {CHIYODA: Modulus11Scheme(length=10)}),
                     registry)


def run(clock: ReactorClock, exchange_: SyncExchange, raw: bytes, soap_ns: str):
    """One exchange to its reply; the threads' answers reach it through ``callFromThread``."""
    media = "text/xml" if soap_ns == SOAP11_NS else "application/soap+xml"
    done: list = []
    defer.Deferred.fromCoroutine(exchange_.handle(raw, SERVICE, None, None, media)
                                 ).addBoth(done.append)
    while not done:
        f, args, kwargs = clock.queued.get(timeout=30)
        f(*args, **kwargs)
    (reply,) = done
    if isinstance(reply, defer.Failure):
        reply.raiseException()
    return reply


def hops(log: RoutingLog) -> list[tuple]:
    log.flush()
    return [tuple(getattr(h, f) for f in HOP_FIELDS) for h in log.query(limit=None)]


@pytest.mark.parametrize("request_case, answer_case",
                         [(r, "valid 100 KB") for r in REQUESTS]
                         + [("valid", a) for a in ANSWERS if a != "valid 100 KB"])
def test_the_threads_give_the_same_replies_and_hops_as_inline(inspector, tmp_path, request_case,
                                                               answer_case):
    make_request, request_rule = REQUESTS[request_case]
    make_answer, answer_rule = ANSWERS[answer_case]
    raw = make_request()
    soap_ns = SOAP12_NS if b"2003/05/soap-envelope" in raw else SOAP11_NS
    provider_answer = make_answer(envelope(inquiry_body()) if request_case in (
        "malformed", "DTD") else raw, soap_ns)  # one answer for both runs (its MessageId is new)
    clock = ReactorClock()
    threads = InspectionThreads(clock, inspector, size=2, threshold=1)
    where: list[str] = []
    inside = threads._inspect

    def noted(check, args):  # which thread inspected what
        where.append(threading.current_thread().name)
        return inside(check, args)

    threads._inspect = noted  # type: ignore[method-assign]
    replies, records = [], []
    for name, pool in (("inline", None), ("threads", threads)):
        log = RoutingLog(tmp_path / f"{name}.sqlite3")
        try:
            ex = SyncExchange(inspector, AnsweringForwarder(provider_answer), log, clock=clock,
                              inspection=pool)
            reply = run(clock, ex, raw, soap_ns)
            replies.append((reply.status, reply.content_type, reply.body))
            records.append(hops(log))
        finally:
            log.close()
    assert replies[0] == replies[1]
    assert records[0] == records[1]
    forwarded = any(r[0] == "routed" for r in records[0])
    # the request, and the answer when there was one, inspected on the threads
    assert where and all(name.startswith("pfbus-inspect-") for name in where)
    assert len(where) == (2 if forwarded else 1)
    rule = request_rule or answer_rule
    assert (replies[0][0] == 200) == (rule is None)
    assert records[0][-1][HOP_FIELDS.index("rule")] == rule
    defer.Deferred.fromCoroutine(threads.stop())
    clock.run_queued()


def test_each_thread_validates_with_its_own_schema(inspector):
    clock = ReactorClock()
    threads = InspectionThreads(clock, inspector, size=2, threshold=1)
    schemas: list = []
    d = threads.run(lambda: schemas.append(threads._inspect(
        lambda own: own.validator.catalog.xsd, ())))
    while not d.called:
        f, args, kwargs = clock.queued.get(timeout=30)
        f(*args, **kwargs)
    assert schemas and schemas[0] is not inspector.validator.catalog.xsd
    defer.Deferred.fromCoroutine(threads.stop())


def test_below_the_threshold_past_the_bytes_held_or_once_stopping_inline(inspector):
    clock = ReactorClock()
    threads = InspectionThreads(clock, inspector, size=2, threshold=65536)
    assert not threads.takes(65535) and threads.takes(65536)
    release = threading.Event()
    held = [threads.inspect(10 * HELD_BYTES_PER_THREAD, lambda own: release.wait(30))]
    assert threads.takes(10 * HELD_BYTES_PER_THREAD)  # one per thread goes, however big
    held.append(threads.inspect(10 * HELD_BYTES_PER_THREAD, lambda own: release.wait(30)))
    assert not threads.takes(65536)  # a message per thread, past the bytes: the reactor's turn
    release.set()
    while not all(d.called for d in held):
        f, args, kwargs = clock.queued.get(timeout=30)
        f(*args, **kwargs)
    held = [threads.inspect(65536, lambda own: release.wait(30)) for _ in range(2)]
    assert threads.takes(2 * HELD_BYTES_PER_THREAD - 2 * 65536)  # within the bytes: it goes
    assert not threads.takes(2 * HELD_BYTES_PER_THREAD - 2 * 65536 + 1)
    while not all(d.called for d in held):
        f, args, kwargs = clock.queued.get(timeout=30)
        f(*args, **kwargs)
    stopped = defer.Deferred.fromCoroutine(threads.stop())
    assert stopped.called and not threads.takes(10**6)


def test_a_drain_waits_for_an_answer_being_inspected_and_answers_it(hub_of, monkeypatch):
    hub = hub_of(hub="big_message_bytes = 1\nbig_message_threads = 1")
    entered, release = threading.Event(), threading.Event()
    inspect_response = Inspector.inspect_response

    def held(self, raw, request):
        entered.set()
        assert release.wait(30)
        return inspect_response(self, raw, request)

    monkeypatch.setattr(Inspector, "inspect_response", held)
    raw = envelope(inquiry_body())
    reply = exchange(hub, raw, SERVICE)
    hub.seen_messages.flush()
    settle(hub, lambda: hub.forwarder.pending() == [0], "the request inspected on a thread")
    hub.forwarder.answer(0, 200, answer(raw))
    assert entered.wait(30)  # the answer is inside the inspection thread
    stopped = hub.drain(30.0)
    hub.clock.advance(1.0)
    hub.routing_log.flush()
    hub.clock.run_queued()
    assert not stopped.called and not reply.called  # waited for, not dropped
    release.set()
    settle(hub, lambda: stopped.called)
    assert reply.result.status == 200
    (done,) = events(hub, "hub.stopped")
    assert done["drained"] is True and done["exchanges_answered"] == 1
    assert done["exchanges_cut"] == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("pfbus-inspect-")]


@pytest.mark.parametrize("value, message", [
    (-1, "hub.big_message_bytes: must be an integer of 0 or more"),
    ("64k", "hub.big_message_bytes: must be an integer"),
])
def test_big_message_bytes_is_checked(value, message, tmp_path):
    text = f'[hub]\nbig_message_bytes = {value!r}\n'.replace("'", '"')
    with pytest.raises(ConfigError, match=message):
        parse_config(tomllib.loads(text), tmp_path / "hub.toml")


def test_big_message_settings_are_read_and_zero_turns_the_threads_off(tmp_path, hub_of):
    assert hub_of().inspection is None  # off by default (docs/performance.md)
    assert hub_of(hub="big_message_bytes = 65536").inspection is not None
    config = parse_config({"hub": {"big_message_bytes": 0, "big_message_threads": 3}},
                          tmp_path / "hub.toml")
    assert (config.big_message_bytes, config.big_message_threads) == (0, 3)
    assert parse_config({}, None).big_message_bytes == 0
    with pytest.raises(ConfigError, match="hub.big_message_threads: must be a positive"):
        parse_config({"hub": {"big_message_threads": 0}}, tmp_path / "hub.toml")
