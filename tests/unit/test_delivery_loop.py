"""The delivery loop's store calls and what it reads (配信), on a hub driven by a Clock
(tests/support/clocked_hub.py): receipts are checked against the fields the store kept at
acceptance, without parsing the notice again; receipts answered while the loop waits for the
store are completed together, with the next claim, in one store call — and every one of them is
still recorded only after its completion committed."""

from __future__ import annotations

import sqlite3

from twisted.internet import defer

from bus.core.receipt import APPLIED
from bus.store.routing_log import open_readonly
from tests.integration.notice_tools import addressee
from tests.support.clocked_hub import publish, settle, start_delivery


class GatedThreads:
    """Store calls inline, except while ``gated``: then they wait until ``open()``."""

    busy = 0

    def __init__(self) -> None:
        self.gated = False
        self.waiting: list[tuple] = []

    def run(self, f, *args, **kwargs) -> defer.Deferred:
        if not self.gated:
            return defer.maybeDeferred(f, *args, **kwargs)
        d: defer.Deferred = defer.Deferred()
        self.waiting.append((f, args, kwargs, d))
        return d

    def open(self) -> None:
        self.gated = False
        while self.waiting:
            f, args, kwargs, d = self.waiting.pop(0)
            defer.maybeDeferred(f, *args, **kwargs).chainDeferred(d)

    async def stop(self) -> None:
        pass


def spy_complete_and_claim(store) -> list[tuple[list[int], list[str]]]:
    """Each call's (completed delivery ids, claimed message ids)."""
    calls: list[tuple[list[int], list[str]]] = []
    real = store.complete_and_claim

    def spy(completed, *args, **kwargs):
        done, claimed = real(completed, *args, **kwargs)
        calls.append((list(completed), [d.message_id for d in claimed]))
        return done, claimed

    store.complete_and_claim = spy
    return calls


def hops(hub, tmp_path, name: str):
    hub.routing_log.flush()
    log = open_readonly(tmp_path / "log.sqlite3")
    try:
        return [h for h in log.query(limit=None) if h.hop == name]
    finally:
        log.close()


def delivered(hub) -> int:
    return hub.delivery.store.stats()[0].delivered


def header_fields(h) -> tuple:
    return (h.message_id, h.sender, h.receiver, h.service_id, h.service_version, h.soap_version)


def test_receipts_are_checked_against_stored_fields_without_parsing_the_notice(
        hub_of, tmp_path, monkeypatch):
    hub = hub_of()
    parsed = []
    real = hub.inspector.stored_request
    monkeypatch.setattr(hub.inspector, "stored_request",
                        lambda raw, sub: parsed.append(raw) or real(raw, sub))
    start_delivery(hub)
    publish(hub, addressee(4400))
    hub.forwarder.receipt(0)
    settle(hub, lambda: delivered(hub) == 1)
    assert parsed == []
    (accepted,) = hops(hub, tmp_path, "accepted")
    (delivery,) = hops(hub, tmp_path, "delivery")
    # the hop carries the header fields the accepting exchange recorded, read from the store
    assert header_fields(delivery) == header_fields(accepted)
    assert (delivery.status, delivery.reason, delivery.provider) == ("ok", APPLIED, "tax")


def test_a_notice_stored_before_its_fields_were_kept_is_parsed_once_more(
        hub_of, tmp_path, monkeypatch):
    hub = hub_of()
    publish(hub, addressee(4500))
    with sqlite3.connect(tmp_path / "notices.sqlite3") as conn:  # as schema version 1 left it
        conn.execute("UPDATE notices SET receiver = NULL, service_version = NULL")
    parsed = []
    real = hub.inspector.stored_request
    monkeypatch.setattr(hub.inspector, "stored_request",
                        lambda raw, sub: parsed.append(raw) or real(raw, sub))
    start_delivery(hub)
    hub.forwarder.receipt(0)
    settle(hub, lambda: delivered(hub) == 1)
    assert len(parsed) == 1
    (accepted,) = hops(hub, tmp_path, "accepted")
    (delivery,) = hops(hub, tmp_path, "delivery")
    assert header_fields(delivery) == header_fields(accepted)


def spy_digests(monkeypatch) -> list[bytes]:
    """The bytes each receipt check hashes (bus.core.inspection's request_digest)."""
    import bus.core.inspection as inspection

    hashed: list[bytes] = []
    real = inspection.request_digest
    monkeypatch.setattr(inspection, "request_digest",
                        lambda raw: hashed.append(raw) or real(raw))
    return hashed


def test_a_receipt_is_bound_to_the_digest_kept_at_acceptance(hub_of, tmp_path, monkeypatch):
    """Issue 13: the notice is hashed once, when accepted; a receipt's RequestHash is checked
    against that digest — so bytes changed in the store since are refused, not delivered."""
    hub = hub_of()
    publish(hub, addressee(5200))
    publish(hub, addressee(5300))
    with sqlite3.connect(tmp_path / "notices.sqlite3") as conn:
        kept = dict(conn.execute("SELECT message_id, request_hash FROM notices"))
        [(payload,)] = conn.execute("SELECT payload FROM notices WHERE seq = 2")
        altered = payload + b"\n"  # the same XML, other bytes
        conn.execute("UPDATE notices SET payload = ? WHERE seq = 2", (altered,))
    assert all(len(digest) == 44 for digest in kept.values())  # base64 of SHA-256
    hashed = spy_digests(monkeypatch)
    start_delivery(hub)
    hub.forwarder.receipt(0)  # bound to the bytes accepted
    hub.forwarder.receipt(1)  # bound to the bytes it was sent: not those accepted
    settle(hub, lambda: delivered(hub) == 1 and len(hops(hub, tmp_path, "delivery")) == 2)
    assert hashed == []  # neither receipt check hashed the stored payload again
    ok, refused = sorted(hops(hub, tmp_path, "delivery"), key=lambda h: h.status != "ok")
    assert (ok.status, ok.reason) == ("ok", APPLIED)
    assert (refused.status, refused.fault_code, refused.rule) == (
        "error", "PF-PROVIDER-INVALID-RESPONSE", "binding:request_hash")


def test_a_notice_stored_before_its_digest_was_kept_is_hashed_for_its_receipt(
        hub_of, tmp_path, monkeypatch):
    hub = hub_of()
    publish(hub, addressee(5400))
    with sqlite3.connect(tmp_path / "notices.sqlite3") as conn:  # as schema version 3 left it
        conn.execute("UPDATE notices SET request_hash = NULL")
        [(payload,)] = conn.execute("SELECT payload FROM notices")
    hashed = spy_digests(monkeypatch)
    start_delivery(hub)
    hub.forwarder.receipt(0)
    settle(hub, lambda: delivered(hub) == 1)
    assert hashed == [payload]


def test_receipts_answered_during_a_store_call_are_completed_together_with_the_next_claim(
        hub_of, tmp_path):
    hub = hub_of()
    threads = hub.delivery.threads = GatedThreads()
    calls = spy_complete_and_claim(hub.delivery.store)
    first, second, third = addressee(4600), addressee(4700), addressee(4800)
    for who, sequence in [(first, 1), (first, 2), (second, 1), (third, 1)]:
        publish(hub, who, sequence)
    start_delivery(hub)
    forwarder = hub.forwarder
    assert forwarder.pending() == [0, 1, 2]  # first's 2nd notice waits for its 1st
    claimed = [mid for _, mids in calls for mid in mids]
    threads.gated = True
    forwarder.receipt(0)  # the loop's store call for it waits at the gate ...
    forwarder.receipt(1)  # ... while these two are answered
    forwarder.receipt(2)
    assert delivered(hub) == 0 and hops(hub, tmp_path, "delivery") == []  # nothing completed
    before = len(calls)
    threads.open()
    settle(hub, lambda: delivered(hub) == 3)
    (waiting,) = {h.message_id for h in hops(hub, tmp_path, "accepted")} - set(claimed)
    # the first call completes the first notice and claims what that freed (first's 2nd
    # notice); the next one completes both receipts answered meanwhile, in one transaction
    assert [(len(done), mids) for done, mids in calls[before:before + 2]] == [
        (1, [waiting]), (2, [])]
    assert forwarder.pending() == [3]
    recorded = hops(hub, tmp_path, "delivery")
    assert sorted(h.message_id for h in recorded) == sorted(claimed)
    assert {h.reason for h in recorded} == {APPLIED}
    forwarder.receipt(3)
    settle(hub, lambda: delivered(hub) == 4)
    assert len(hops(hub, tmp_path, "delivery")) == 4


def spy_hand_offs(hub) -> list[tuple[list[str], bool]]:
    """Each hand-off to the routing log: (its hops' names, whether its commit is awaited)."""
    calls: list[tuple[list[str], bool]] = []
    log = hub.routing_log
    real_many, real_one = log.record_many, log.record

    def record_many(hops, awaited=True):
        calls.append(([h.hop for h in hops], awaited))
        return real_many(hops, awaited)

    def record(hop):
        calls.append(([hop.hop], True))
        return real_one(hop)

    log.record_many, log.record = record_many, record
    return calls


def test_a_notice_is_one_hand_off_and_one_store_calls_deliveries_are_one_more(hub_of, tmp_path):
    """Issue 13: a notice's four hops reach the routing log's writer in one hand-off (with its
    reply), and the delivery hops of the receipts one store call completed in one more, which
    may share a later commit (nothing waits for it: the outcome is in the notice store)."""
    hub = hub_of()
    threads = hub.delivery.threads = GatedThreads()
    calls = spy_hand_offs(hub)
    for n in (4900, 5000, 5100):
        publish(hub, addressee(n), 1)
    assert calls == [(["received", "validated", "accepted", "replied"], True)] * 3
    del calls[:]
    start_delivery(hub)
    forwarder = hub.forwarder
    assert forwarder.pending() == [0, 1, 2]
    threads.gated = True
    forwarder.receipt(0)  # its loop's store call waits at the gate ...
    forwarder.receipt(1)  # ... while these two are answered: the next call completes both
    forwarder.receipt(2)
    threads.open()
    settle(hub, lambda: delivered(hub) == 3)
    assert calls == [(["delivery"], False), (["delivery", "delivery"], False)], calls
    assert len(hops(hub, tmp_path, "delivery")) == 3  # committed all the same
