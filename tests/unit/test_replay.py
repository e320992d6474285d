"""Replay and freshness (bus.core.replay), mustUnderstand (bus.core.soap_headers), and the
SQLite store of seen MessageIds (bus.store.seen_messages) — pure checks with the time given."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import replace

import pytest

from bus.core import faults
from bus.core.faults import HubFault
from bus.core.header import JST
from bus.core.identifiers import Modulus11Scheme
from bus.core.inspection import Inspector
from bus.core.replay import Freshness, ReplayGuard
from bus.core.routing import Provider, Route, ServiceRegistry
from bus.core.soap_headers import HUB_ROLE, SOAP11_NEXT, SOAP12_NEXT
from bus.core.validator import MessageValidator
from bus.store.seen_messages import SqliteSeenMessages
from tests.support.polling import wait_until
from messages import (CHIYODA, SOAP11_NS, SOAP12_NS, builtin_catalog, envelope, inquiry_body,
                      line_of, request_header)

NOW = dt.datetime(2026, 12, 2, 14, 0, tzinfo=dt.timezone.utc).timestamp()


def jst(seconds_from_now: float) -> str:
    return dt.datetime.fromtimestamp(NOW + seconds_from_now, JST).isoformat()


@pytest.fixture(scope="module")
def inspector() -> Inspector:
    catalog = builtin_catalog()
    registry = ServiceRegistry([Route(CHIYODA, "juki.ResidentInquiry",
                                      Provider("p", "http://127.0.0.1:1/", 3.0), 3.0)])
    return Inspector(catalog, MessageValidator(catalog, {CHIYODA: Modulus11Scheme(length=10)}),
                     registry, freshness=Freshness(300, 3600), clock=lambda: NOW)


def refused(inspector, raw: bytes) -> HubFault:
    with pytest.raises(HubFault) as info:
        inspector.inspect_request(raw)
    return info.value


@pytest.mark.parametrize("offset", [0, 299, -3599, -60])
def test_fresh_sent_at_is_accepted(inspector, offset):
    inspector.inspect_request(envelope(inquiry_body(), request_header(sent_at=jst(offset))))


@pytest.mark.parametrize("sent_at,rule", [
    ("2099-01-01T00:00:00+09:00", "freshness:clock_skew"),
    (jst(301), "freshness:clock_skew"),
    (jst(-3601), "freshness:max_age"),
    ("2001-01-01T00:00:00+09:00", "freshness:max_age"),
])
def test_stale_or_future_sent_at_is_refused_with_the_rule_and_the_hubs_time(inspector, sent_at,
                                                                               rule):
    raw = envelope(inquiry_body(), request_header(sent_at=sent_at))
    fault = refused(inspector, raw)
    assert fault.fault is faults.MESSAGE_STALE
    assert fault.first.rule == rule
    assert jst(0).replace("+09:00", "")[:16] in fault.first.message  # the hub's time
    assert fault.first.path.endswith("/pfh:SentAt")
    assert fault.first.line == line_of(raw, "<pfh:SentAt>")


def test_notices_are_held_to_the_future_bound_only():
    fresh = Freshness(300, 3600)
    assert fresh.check(jst(-7 * 86400), NOW, is_notice=True) is None
    assert fresh.check(jst(600), NOW, is_notice=True).rule == "freshness:clock_skew"


@pytest.mark.parametrize("changes,rule", [
    ({"relates_to": str(uuid.uuid4())}, "header:relates_to"),
    ({"request_hash": "q2ZgX6hx1Ew0Ux9gvSvfH8+y6zEYhq9bVNOS4l6sBGk="}, "header:request_hash"),
])
def test_reply_only_fields_on_a_request_are_refused(inspector, changes, rule):
    raw = envelope(inquiry_body(), request_header(sent_at=jst(0), **changes))
    fault = refused(inspector, raw)
    assert fault.fault is faults.HEADER_INVALID and fault.first.rule == rule


def _with_block(soap_ns: str, attributes: str) -> bytes:
    header = request_header(sent_at=jst(0))
    block = f'<x:Security xmlns:x="urn:example:wss" xmlns:soap="{soap_ns}" {attributes}/>'
    return envelope(inquiry_body(), [header, block], soap_ns)


@pytest.mark.parametrize("soap_ns,attributes", [
    (SOAP11_NS, f'soap:mustUnderstand="1" soap:actor="{SOAP11_NEXT}"'),
    (SOAP11_NS, f'soap:mustUnderstand="1" soap:actor="{HUB_ROLE}"'),
    (SOAP12_NS, f'soap:mustUnderstand="true" soap:role="{SOAP12_NEXT}"'),
    (SOAP12_NS, f'soap:mustUnderstand="1" soap:role="{HUB_ROLE}"'),
])
def test_a_block_for_the_hub_it_does_not_understand_is_a_must_understand_fault(inspector,
                                                                               soap_ns,
                                                                               attributes):
    fault = refused(inspector, _with_block(soap_ns, attributes))
    assert fault.fault is faults.MUST_UNDERSTAND and fault.first.rule == "soap:mustUnderstand"
    assert b"soap:MustUnderstand" in faults.fault_envelope(fault, soap_ns)


@pytest.mark.parametrize("soap_ns,attributes", [
    (SOAP11_NS, 'soap:mustUnderstand="1"'),  # the ultimate receiver's: the provider's
    (SOAP11_NS, 'soap:mustUnderstand="1" soap:actor="urn:example:other"'),
    (SOAP11_NS, f'soap:mustUnderstand="0" soap:actor="{SOAP11_NEXT}"'),
    (SOAP12_NS, 'soap:mustUnderstand="true"'),
    (SOAP12_NS, 'soap:mustUnderstand="true" soap:role="http://www.w3.org/2003/05/soap-envelope/'
                'role/ultimateReceiver"'),
    (SOAP12_NS, 'soap:mustUnderstand="true" soap:role="http://www.w3.org/2003/05/soap-envelope/'
                'role/none"'),
    (SOAP12_NS, f'soap:mustUnderstand="false" soap:role="{SOAP12_NEXT}"'),
    (SOAP12_NS, f'soap:role="{SOAP12_NEXT}"'),
])
def test_blocks_for_others_or_optional_pass_through(inspector, soap_ns, attributes):
    inspector.inspect_request(_with_block(soap_ns, attributes))


class MemorySeen:
    def __init__(self):
        self.ids: dict[str, float] = {}

    def first_sighting(self, message_id, now, expires_at):
        if self.ids.get(message_id, 0) > now:
            return False
        self.ids[message_id] = expires_at
        return True

    def close(self):
        pass


def test_replay_within_the_window_is_refused_and_accepted_after_it():
    guard = ReplayGuard(MemorySeen(), window=86400, freshness=Freshness(300, 3600))
    mid = str(uuid.uuid4())
    guard.admit(mid, NOW)
    with pytest.raises(HubFault) as info:
        guard.admit(mid, NOW + 86399)
    assert info.value.fault is faults.DUPLICATE_MESSAGE and info.value.message_id == mid
    guard.admit(mid, NOW + 86400)  # forgotten: by then SentAt is long stale anyway


def test_the_window_must_cover_max_age_and_clock_skew():
    with pytest.raises(ValueError, match="must cover"):
        ReplayGuard(MemorySeen(), window=3000, freshness=Freshness(300, 3600))


def test_sqlite_store_survives_a_restart_and_expires(tmp_path):
    path = tmp_path / "log.seen.sqlite3"
    store = SqliteSeenMessages(path, clock=lambda: NOW)
    ids = [str(uuid.uuid4()) for _ in range(50)]
    assert all(store.first_sighting(i, NOW, NOW + 100) for i in ids)
    assert not any(store.first_sighting(i, NOW + 1, NOW + 101) for i in ids)  # not yet committed
    store.close()
    store = SqliteSeenMessages(path, clock=lambda: NOW)
    assert not store.first_sighting(ids[0], NOW + 50, NOW + 150)  # committed: after a restart
    assert store.first_sighting(ids[1], NOW + 100, NOW + 200)  # expired
    store.close()
    store = SqliteSeenMessages(path, clock=lambda: NOW + 1000)  # its writer purges expired rows
    store.first_sighting(str(uuid.uuid4()), NOW + 1000, NOW + 1100)
    assert len(store) == 1
    store.close()


def test_sqlite_store_of_two_threads_admits_one(tmp_path):
    store = SqliteSeenMessages(tmp_path / "s.seen.sqlite3", clock=lambda: NOW)
    mid, results = str(uuid.uuid4()), []
    barrier = threading.Barrier(8)

    def sight():
        barrier.wait()
        results.append(store.first_sighting(mid, NOW, NOW + 100))

    threads = [threading.Thread(target=sight) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()
    assert sorted(results) == [False] * 7 + [True]


def test_sqlite_store_admits_once_when_a_commit_lands_between_read_and_reservation(tmp_path):
    """The interleaving CI once hit by chance, forced: while one sighting has read "not
    committed", a second sighting of the same ID is admitted, committed and forgotten by the
    writer. The first must still refuse — the read and the reservation are one decision."""
    store = SqliteSeenMessages(tmp_path / "s.seen.sqlite3", clock=lambda: NOW)
    mid, results = str(uuid.uuid4()), []
    real_read = store._read

    def other_sighting():
        results.append(store.first_sighting(mid, NOW, NOW + 100))
        store.flush()  # committed, and gone from the writer's pending IDs

    class ReadThenInterleave:
        def __init__(self):
            self.first = True

        def execute(self, *args):
            cursor = real_read.execute(*args).fetchall()
            if self.first:
                self.first = False
                other = threading.Thread(target=other_sighting)
                other.start()
                other.join(timeout=0.5)  # blocked when the decision is one critical section
            return _Rows(cursor)

    store._read = ReadThenInterleave()
    results.append(store.first_sighting(mid, NOW, NOW + 100))
    wait_until(lambda: len(results) == 2, 10, "the other sighting's answer")
    store._read = real_read
    store.close()
    assert sorted(results) == [False, True]


class _Rows:
    def __init__(self, rows):
        self._rows = rows

    def fetchone(self):
        return self._rows[0] if self._rows else None


def test_inspector_refuses_a_request_id_only_through_the_guard(inspector):
    # the Inspector itself is stateless: the same bytes inspect the same way twice
    raw = envelope(inquiry_body(), replace(request_header(), sent_at=jst(0)))
    assert inspector.inspect_request(raw).header == inspector.inspect_request(raw).header
