"""Per-adapter admission as SyncExchange enforces it (no sockets): refused requests are never
forwarded, slots are released whatever happens, and an authenticated adapter's every request
counts — even one that fails to parse."""

from __future__ import annotations

import pytest

from bus.core import faults
from bus.core.catalog import Catalog
from bus.core.faults import HubFault
from bus.core.identifiers import Modulus11Scheme
from bus.core.inspection import Inspector
from bus.core.ratelimit import Admission, AdapterLimits, LimitPolicy
from bus.core.routing import Provider, Route, ServiceRegistry
from bus.core.validator import MessageValidator
from bus.hub.exchange import SyncExchange
from bus.store.routing_log import RoutingLog
from schemas import BUILTIN_CATALOG

from tests.support.soap import CHIYODA
from tests.support.soap import inquiry_envelope as envelope


class Suspend:
    def __await__(self):
        yield "suspended"


class FakeForwarder:
    """Counts posts; fails each (the provider is irrelevant here) or holds it (``hold``)."""

    def __init__(self):
        self.posts = 0
        self.hold = False

    async def post(self, url, body, content_type, soap_action, timeout):
        self.posts += 1
        if self.hold:
            await Suspend()
        raise HubFault(faults.PROVIDER_UNREACHABLE)


def run(coro):
    """Drive a coroutine that needs no reactor; returns its value, or the coroutine if held."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    return coro


@pytest.fixture
def exchange(tmp_path):
    catalog = Catalog.load((BUILTIN_CATALOG,))
    registry = ServiceRegistry([Route(CHIYODA, "juki.ResidentInquiry",
                                      Provider("p", "http://127.0.0.1:9/", 1.0), 1.0)])
    inspector = Inspector(catalog, MessageValidator(catalog, {CHIYODA: Modulus11Scheme(length=10)}),
                          registry)
    log = RoutingLog(tmp_path / "log.sqlite3")
    ex = SyncExchange(inspector, FakeForwarder(), log, admission=Admission(LimitPolicy(
        AdapterLimits(rate=0.001, burst=3, concurrency=2))))
    yield ex
    log.close()


def code_of(reply) -> str:
    return reply.body.split(b"<pff:Code>")[1].split(b"</pff:Code>")[0].decode()


def test_rate_refusal_is_not_forwarded_and_keyed_by_sender(exchange):
    replies = [run(exchange.handle(envelope()[0])) for _ in range(5)]
    assert [code_of(r) for r in replies] == ["PF-PROVIDER-UNREACHABLE"] * 3 + ["PF-LIMIT-RATE"] * 2
    assert exchange.forwarder.posts == 3
    other = envelope(sender_code="011002")[0]  # another Sender: its own bucket
    assert code_of(run(exchange.handle(other))) != "PF-LIMIT-RATE"


def test_concurrency_slots_are_held_while_forwarding_and_released(exchange):
    exchange.forwarder.hold = True
    held = [run(exchange.handle(envelope()[0])) for _ in range(2)]
    assert all(not hasattr(h, "body") for h in held)  # both suspended in the forwarder
    reply = run(exchange.handle(envelope()[0]))
    assert code_of(reply) == "PF-LIMIT-CONCURRENCY" and reply.status == 500  # SOAP 1.1
    for h in held:
        with pytest.raises(StopIteration):
            h.send(None)
    key = "131016/07/vendor-b-tax"
    assert exchange.admission.in_flight(key) == 0


def test_authenticated_peer_counts_before_parsing(exchange):
    codes = [code_of(run(exchange.handle(b"<not-xml", peer="vendor-b"))) for _ in range(4)]
    assert codes == ["PF-XML-MALFORMED"] * 3 + ["PF-LIMIT-RATE"]
    assert exchange.admission.in_flight("vendor-b") == 0
