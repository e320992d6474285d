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

from bus.admin.metrics import HubMetrics
from bus.admin.observer import HubObserver
from bus.store.notices.base import NOTICE_OUTCOMES, NoticeOutcome
from bus.store.routing_log import open_readonly
from tests.integration.notice_tools import addressee
from tests.support.clocked_hub import (LEASE, events, fault_code, inquire, publish, settle,
                                       start_delivery)


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

