"""SyncExchange hands an exchange's hops to the routing log in groups (issue 13: one queue put
per group, not per hop): what happened before the hub waits for the provider is queued before it
waits, the rest with the reply — and every hop is in the log, in order, whatever the outcome."""

from __future__ import annotations

import pytest

from bus.core import faults
from bus.core.catalog import Catalog
from bus.core.faults import HubFault
from bus.core.identifiers import Modulus11Scheme
from bus.core.inspection import Inspector
from bus.core.routing import Provider, Route, ServiceRegistry
from bus.core.validator import MessageValidator
from bus.hub.exchange import SyncExchange
from bus.store.routing_log import RoutingLog
from schemas import BUILTIN_CATALOG

from tests.support.soap import CHIYODA
from tests.support.soap import inquiry_envelope as envelope


class CountingLog(RoutingLog):
    """A real routing log that remembers each hand-off (the hop names in it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hand_offs: list[list[str]] = []
        self.awaited: list[bool] = []  # per hand-off: does the reply's release wait for it

    def record(self, hop):
        self.hand_offs.append([hop.hop])
        return super().record(hop)

    def record_many(self, hops, awaited=True):
        self.hand_offs.append([h.hop for h in hops])
        self.awaited.append(awaited)
        return super().record_many(hops, awaited)


class Suspend:
    def __await__(self):
        yield "suspended"


class HeldForwarder:
    """Holds each post once (the provider is being waited for), then fails it."""

    async def post(self, url, body, content_type, soap_action, timeout):
        await Suspend()
        raise HubFault(faults.PROVIDER_UNREACHABLE)


@pytest.fixture
def exchange(tmp_path):
    catalog = Catalog.load((BUILTIN_CATALOG,))
    registry = ServiceRegistry([Route(CHIYODA, "juki.ResidentInquiry",
                                      Provider("p", "http://127.0.0.1:9/", 1.0), 1.0)])
    inspector = Inspector(catalog, MessageValidator(catalog, {CHIYODA: Modulus11Scheme(length=10)}),
                          registry)
    log = CountingLog(tmp_path / "log.sqlite3")
    yield SyncExchange(inspector, HeldForwarder(), log)
    log.close()


def test_hops_before_the_provider_wait_are_queued_before_it_the_rest_with_the_reply(exchange):
    log = exchange.log
    held = exchange.handle(envelope()[0])
    assert held.send(None) == "suspended"  # waiting for the provider
    assert log.hand_offs == [["received", "validated"]]
    with pytest.raises(StopIteration) as done:
        held.send(None)
    assert done.value.value.status == 500
    assert log.hand_offs == [["received", "validated"], ["routed", "replied"]]
    # only the reply's hand-off is awaited: the first may share its commit (batching.gather)
    assert log.awaited == [False, True]
    log.flush()
    assert [h.hop for h in log.query()] == ["received", "validated", "routed", "replied"]
    assert log.committed() == 4


def test_a_refused_request_is_one_hand_off(exchange):
    log = exchange.log
    with pytest.raises(StopIteration):
        exchange.handle(b"<not-xml").send(None)
    assert log.hand_offs == [["received", "rejected", "replied"]]
    assert log.awaited == [True]
    log.flush()
    assert [h.hop for h in log.query()] == ["received", "rejected", "replied"]
