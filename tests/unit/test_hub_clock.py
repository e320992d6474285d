"""Time in the hub, driven by ``twisted.internet.task.Clock``: delivery leases and backoff, the
drain deadline, and admission (rate limit) windows — in process, without sleeping.

The hub is assembled from a real configuration with real stores (SQLite files under tmp_path);
only the network edge is scripted: a forwarder whose posts wait until the test answers them, and
store calls made inline instead of on a thread pool (nothing here needs a running reactor). The
routing log's writer thread says what it committed through ``callFromThread`` (a reply is
released only once its records are committed): ``ReactorClock`` queues those calls and the
tests run them with ``settle`` — a bounded wait for the writer, never a timed assertion.
"""

from __future__ import annotations

import io
import json
import queue
import time

import pytest
from lxml import etree
from twisted.internet import defer, error
from twisted.internet.task import Clock

from bus.core.config import load_config
from bus.core.envelope import parse_envelope
from bus.core.header import Party, PlatformHeader
from bus.core.jsonlog import JsonLineLog
from bus.core.receipt import APPLIED, receipt_element
from bus.admin.metrics import HubMetrics
from bus.admin.observer import HubObserver
from bus.hub.app import Hub
from bus.hub.forwarder import Forwarder, ProviderAnswer
from bus.store.notices.base import NOTICE_OUTCOMES, NoticeOutcome
from bus.store.routing_log import open_readonly
from tests.integration.notice_tools import addressee, notice
from tests.support.soap import inquiry_envelope as envelope

FAULT_CODE = "{urn:pfbus:platform:fault:v1}Code"
SUBSCRIBER_TIMEOUT = 60.0  # so that a post's own timeout never fires in these tests
LEASE = SUBSCRIBER_TIMEOUT * 2 + 10  # DeliveryService's lease for this subscriber


class ReactorClock(Clock):
    """task.Clock, plus callFromThread: calls from other threads queue until ``run_queued``."""

    def __init__(self):
        super().__init__()
        self.queued: queue.SimpleQueue = queue.SimpleQueue()

    def callFromThread(self, f, *args, **kwargs) -> None:
        self.queued.put((f, args, kwargs))

    def run_queued(self) -> None:
        while True:
            try:
                f, args, kwargs = self.queued.get_nowait()
            except queue.Empty:
                return
            f(*args, **kwargs)

    def advance(self, amount: float) -> None:
        self.run_queued()
        super().advance(amount)
        self.run_queued()


def settle(hub, until, what: str = "the routing log's writer", timeout: float = 30.0):
    """Run what the writer thread handed back until ``until()`` holds (a bounded wait)."""
    deadline = time.monotonic() + timeout
    while not until():
        hub.routing_log.flush()
        hub.clock.advance(0)  # runs the queued calls, then whatever they made due now
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
    return True


class InlineThreads:
    """StoreThreads without threads: each store call runs at once on the caller's thread."""

    busy = 0

    def run(self, f, *args, **kwargs) -> defer.Deferred:
        return defer.maybeDeferred(f, *args, **kwargs)

    async def stop(self) -> None:
        pass


class ScriptedForwarder(Forwarder):
    """Each post waits until the test answers (``reply``) or fails it (``fail``)."""

    def __init__(self, clock):
        super().__init__(clock)
        self.posts: list[tuple[str, bytes, defer.Deferred]] = []

    def _exchange(self, url, headers, body):
        d: defer.Deferred = defer.Deferred()
        self.posts.append((url.decode(), body, d))
        return d

    def pending(self) -> list[int]:
        return [i for i, (_, _, d) in enumerate(self.posts) if not d.called]

    def receipt(self, i: int) -> None:
        _, raw, d = self.posts[i]
        env = parse_envelope(raw)
        header = PlatformHeader.from_element(env.header)
        root = etree.Element(f"{{{env.soap_ns}}}Envelope")
        etree.SubElement(root, f"{{{env.soap_ns}}}Header").append(
            header.reply(raw, sender=Party("131016", "07", "tax")).to_element())
        etree.SubElement(root, f"{{{env.soap_ns}}}Body").append(
            receipt_element(header.message_id, APPLIED))
        d.callback(ProviderAnswer(200, "text/xml; charset=utf-8",
                                  etree.tostring(root, xml_declaration=True, encoding="UTF-8")))

    def answer(self, i: int, status: int, body: bytes) -> None:
        self.posts[i][2].callback(ProviderAnswer(status, "text/xml; charset=utf-8", body))

    def refuse(self, i: int) -> None:
        self.posts[i][2].errback(error.ConnectionRefusedError())


@pytest.fixture
def hub_of(tmp_path):
    """``hub_of(limits=...)``: a Hub on a Clock; its events as parsed JSON lines."""
    made = []

    def make(limits: str = "{ rate = 1000.0, burst = 1000, concurrency = 64 }",
             delivery: str = "max_attempts = 5, backoff_initial = 10.0"):
        config = tmp_path / "hub.toml"
        config.write_text(f"""
[hub]
listen = "127.0.0.1:0"
allow_plain_http = true
node_id = "node-1"
limits = {limits}
[store]
routing_log = "log.sqlite3"
notices = "sqlite:{tmp_path / 'notices.sqlite3'}"
[[tenants]]
local_gov_code = "131016"
name = "千代田区"
[[providers]]
id = "registry"
url = "http://127.0.0.1:9/registry"
timeout = {SUBSCRIBER_TIMEOUT}
[[routes]]
local_gov_code = "131016"
service = "juki.ResidentInquiry"
provider = "registry"
[[providers]]
id = "tax"
url = "http://127.0.0.1:9/tax"
timeout = {SUBSCRIBER_TIMEOUT}
delivery = {{ {delivery} }}
[[subscriptions]]
local_gov_code = "131016"
service = "juki.ResidentChangeNotice"
subscriber = "tax"
""", encoding="utf-8")
        clock, out = ReactorClock(), io.StringIO()
        forwarder = ScriptedForwarder(clock)
        hub = Hub(load_config(config), clock, JsonLineLog(out), forwarder=forwarder,
                  store_threads=InlineThreads())
        hub.clock, hub.out = clock, out
        made.append(hub)
        return hub

    yield make
    for hub in made:  # a failed test must not leave writer threads and open files behind
        if hub.state != "stopped":
            stopped = hub.stop()
            hub.clock.advance(0)
            settle(hub, lambda stopped=stopped: stopped.called)


def events(hub, name: str) -> list[dict]:
    lines = [json.loads(line) for line in hub.out.getvalue().splitlines()]
    return [e for e in lines if e["event"] == name]


def exchange(hub, raw: bytes, service: str) -> defer.Deferred:
    return defer.Deferred.fromCoroutine(hub.exchange.handle(raw, service, None, None,
                                                            "text/xml; charset=utf-8"))


def publish(hub, who: str, sequence: int = 1):
    raw, _ = notice(who, sequence)
    reply = exchange(hub, raw, "juki.ResidentChangeNotice")
    settle(hub, lambda: reply.called)
    assert reply.result.status == 200  # stored durably before the receipt


def inquire(hub) -> defer.Deferred:
    """A request, let through the replay guard (its writer thread decides the MessageId)."""
    raw, _ = envelope()
    reply = exchange(hub, raw, "juki.ResidentInquiry")
    hub.seen_messages.flush()
    hub.clock.run_queued()
    return reply


def fault_code(reply) -> str | None:
    return etree.fromstring(reply.body).findtext(f".//{FAULT_CODE}")


def start_delivery(hub) -> None:
    started = defer.Deferred.fromCoroutine(hub.delivery.start())
    assert started.called


def test_backoff_waits_on_the_clock_before_the_next_attempt(hub_of):
    hub = hub_of()
    clock, forwarder = hub.clock, hub.forwarder
    start_delivery(hub)
    publish(hub, addressee(4000))
    assert forwarder.pending() == [0]
    forwarder.refuse(0)  # PF-PROVIDER-UNREACHABLE: retry after backoff_initial = 10 s ± 20 %
    clock.advance(7.9)
    assert len(forwarder.posts) == 1  # polled, but not due yet
    clock.advance(4.6)
    assert forwarder.pending() == [1]  # the second attempt, at t = 8 … 12
    forwarder.receipt(1)
    stats = hub.delivery.store.stats(now=clock.seconds())
    assert [(s.delivered, s.pending, s.inflight) for s in stats] == [(1, 0, 0)]


def test_a_dead_nodes_lease_is_claimed_only_once_it_expires(hub_of):
    hub = hub_of()
    clock, store = hub.clock, hub.delivery.store
    publish(hub, addressee(4100))
    # node-0 claimed it at t = 0 and died: nobody runs its delivery.
    assert len(store.claim("tax", "node-0", LEASE, 1, clock.seconds())) == 1
    start_delivery(hub)  # node-1
    clock.advance(LEASE - 1)
    assert hub.forwarder.posts == []
    clock.advance(1.5)
    assert hub.forwarder.pending() == [0]  # expired: node-1 delivers it
    hub.forwarder.receipt(0)
    assert store.stats()[0].delivered == 1


def test_drain_waits_until_the_deadline_then_cuts_and_releases(hub_of, tmp_path):
    hub = hub_of()
    clock, forwarder = hub.clock, hub.forwarder
    # metrics as an [admin] hub has them (this test's hub has none): a release is counted as
    # released, not as a failed attempt to retry
    metrics = HubMetrics([], [], ["tax"], "node-1")
    hub.delivery.observer = HubObserver(None, metrics)
    start_delivery(hub)
    publish(hub, addressee(4200))
    reply = inquire(hub)
    assert forwarder.pending() == [0, 1] and not reply.called  # a delivery and an inquiry
    stopped = hub.drain(30.0)
    assert hub.draining and hub.state == "draining"
    clock.advance(29.9)
    assert not reply.called and not stopped.called  # in flight: waited for
    clock.advance(0.2)
    settle(hub, lambda: stopped.called)
    assert hub.state == "stopped"
    assert reply.called and fault_code(reply.result) == "PF-HUB-STOPPING"
    assert reply.result.status == 500  # SOAP 1.1: every fault is 500 (1.2 would be 503)
    (done,) = events(hub, "hub.stopped")
    assert (done["drained"], done["exchanges_cut"]) == (False, 1)
    assert done["deliveries"] == {NoticeOutcome.DELIVERED: 0, NoticeOutcome.RETRIED: 0,
                                  NoticeOutcome.DEAD: 0, NoticeOutcome.RELEASED: 1}
    notices = {s.labels["outcome"]: s.value for m in metrics.registry.collect()
               if m.name == "pfbus_notices" for s in m.samples if s.name.endswith("_total")}
    assert notices == {**dict.fromkeys(NOTICE_OUTCOMES, 0.0), NoticeOutcome.RELEASED: 1.0}
    log = open_readonly(tmp_path / "log.sqlite3")
    try:
        hops = log.query(limit=None)
    finally:
        log.close()
    inquiry = [h for h in hops if h.service_id == "juki.ResidentInquiry"]
    assert [(h.hop, h.fault_code) for h in inquiry[-2:]] == [
        ("routed", "PF-HUB-STOPPING"), ("replied", "PF-HUB-STOPPING")]
    assert inquiry[-1].rule == "hub:drain_timeout" and inquiry[-1].party == "hub"
    released = [h for h in hops if h.hop == "delivery"]
    assert released[-1].reason.startswith("released for redelivery")
    # Released, not failed: due again at once, the cut attempt not counted.
    store = open_store(tmp_path)
    try:
        (again,) = store.claim("tax", "node-2", 60, 5)
        assert again.attempts == 1
    finally:
        store.close()


def open_store(tmp_path):
    from bus.store.notices import open_notice_store
    return open_notice_store(f"sqlite:{tmp_path / 'notices.sqlite3'}")


def test_drain_ends_before_the_deadline_when_work_finishes(hub_of):
    hub = hub_of()
    clock, forwarder = hub.clock, hub.forwarder
    start_delivery(hub)
    publish(hub, addressee(4300))
    stopped = hub.drain(30.0)
    clock.advance(1.0)
    assert not stopped.called
    forwarder.receipt(0)
    settle(hub, lambda: stopped.called)
    (done,) = events(hub, "hub.stopped")
    assert done["drained"] is True and done["deliveries"][NoticeOutcome.DELIVERED] == 1


def test_a_second_stop_cuts_at_once(hub_of):
    hub = hub_of()
    reply = inquire(hub)
    stopped = hub.drain(30.0)
    hub.clock.advance(1.0)
    assert not stopped.called
    hub.drain(0)  # the second signal
    hub.clock.advance(0)
    settle(hub, lambda: stopped.called)
    assert fault_code(reply.result) == "PF-HUB-STOPPING"


def test_rate_limit_window_follows_the_clock(hub_of):
    hub = hub_of(limits="{ rate = 1.0, burst = 2, concurrency = 64 }")
    first, second, third = inquire(hub), inquire(hub), inquire(hub)
    settle(hub, lambda: third.called)
    assert not first.called and not second.called  # admitted: at the provider
    assert fault_code(third.result) == "PF-LIMIT-RATE"
    hub.clock.advance(0.5)
    fourth = inquire(hub)
    settle(hub, lambda: fourth.called)
    assert fault_code(fourth.result) == "PF-LIMIT-RATE"  # half a token
    hub.clock.advance(0.5)
    fifth = inquire(hub)
    settle(hub, lambda: len(hub.forwarder.posts) == 3)  # one token again: admitted
    assert not fifth.called

