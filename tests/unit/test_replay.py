"""Replay and freshness (bus.core.replay), mustUnderstand (bus.core.soap_headers), and the
SQLite store of seen MessageIds (bus.store.seen_messages) — pure checks with the time given."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import replace

import pytest
from twisted.internet.defer import Deferred

from bus.core import faults
from bus.core.faults import HubFault
from bus.core.header import JST
from bus.core.identifiers import Modulus11Scheme
from bus.core.inspection import Inspector
from bus.core.replay import Freshness, ReplayGuard, SeenMessagesUnavailable
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


def _midnight_as_24(seconds_from_now: float) -> str:
    """The JST midnight that began ``seconds_from_now`` after NOW's day, written as 24:00:00 of
    the day before (XSD 1.0: the same instant)."""
    day = dt.datetime.fromtimestamp(NOW + seconds_from_now, JST).date() - dt.timedelta(days=1)
    return f"{day.isoformat()}T24:00:00+09:00"


def test_sent_at_in_other_lexical_forms_is_read_as_xml_schema_defines_it():
    """White space after SentAt (xs:dateTime collapses it; libxml2 accepts it after the value)
    and the hour 24 (the next day's 00:00): read as the instant they name — not refused as
    unreadable (freshness:sent_at), as datetime.fromisoformat alone would (round 13)."""
    fresh = Freshness(300, 3600)
    assert fresh.check(jst(-60) + "\n\t ", NOW) is None
    assert fresh.check(" " + jst(-60), NOW) is None
    # NOW is 23:00 JST: the coming midnight is an hour ahead, the last one 23 hours old
    assert fresh.check(_midnight_as_24(3600), NOW).rule == "freshness:clock_skew"
    assert fresh.check(_midnight_as_24(0), NOW).rule == "freshness:max_age"
    assert fresh.check(_midnight_as_24(-7 * 86400), NOW, is_notice=True) is None
    assert fresh.check(_midnight_as_24(0).replace("24:00:00", "24:00:00.000"), NOW).rule == \
        "freshness:max_age"
    for unreadable in ("2026-12-02T24:00:01+09:00", "2026-12-02T25:00:00+09:00", "soon"):
        assert fresh.check(unreadable, NOW).rule == "freshness:sent_at"


def test_a_request_with_sent_at_followed_by_white_space_is_inspected(inspector):
    raw = envelope(inquiry_body(), request_header(sent_at=jst(-60)))
    inspector.inspect_request(raw.replace(b"</pfh:SentAt>", b"\n </pfh:SentAt>", 1))


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

    async def first_sighting(self, message_id, now, expires_at):
        if self.ids.get(message_id, 0) > now:
            return False
        self.ids[message_id] = expires_at
        return True

    def close(self):
        pass


def _run(coroutine):
    """Drive a coroutine that awaits nothing pending (MemorySeen answers at once)."""
    d = Deferred.fromCoroutine(coroutine)
    failures = []
    d.addErrback(failures.append)
    if failures:
        failures[0].raiseException()


def test_replay_within_the_window_is_refused_and_accepted_after_it():
    guard = ReplayGuard(MemorySeen(), window=86400, freshness=Freshness(300, 3600))
    mid = str(uuid.uuid4())
    _run(guard.admit(mid, NOW))
    with pytest.raises(HubFault) as info:
        _run(guard.admit(mid, NOW + 86399))
    assert info.value.fault is faults.DUPLICATE_MESSAGE and info.value.message_id == mid
    _run(guard.admit(mid, NOW + 86400))  # forgotten: by then SentAt is long stale anyway


def test_a_store_that_cannot_decide_refuses_with_log_unavailable():
    class Failing(MemorySeen):
        async def first_sighting(self, message_id, now, expires_at):
            raise SeenMessagesUnavailable("OperationalError: database or disk is full")

    guard = ReplayGuard(Failing(), window=86400, freshness=Freshness(300, 3600))
    with pytest.raises(HubFault) as info:
        _run(guard.admit(str(uuid.uuid4()), NOW))
    assert info.value.fault is faults.LOG_UNAVAILABLE
    assert info.value.first.rule == "replay:unavailable"


def test_the_window_must_cover_max_age_and_clock_skew():
    with pytest.raises(ValueError, match="must cover"):
        ReplayGuard(MemorySeen(), window=3000, freshness=Freshness(300, 3600))


def sightings(store, ids, now, expires_at):
    """Each ID's decision (the writer thread fires the Deferreds: no ``deliver`` given)."""
    waiters = [store.first_sighting(i, now, expires_at) for i in ids]
    store.flush()
    return [d.result for d in waiters]


def test_sqlite_store_survives_a_restart_and_expires(tmp_path):
    path = tmp_path / "log.seen.sqlite3"
    store = SqliteSeenMessages(path, clock=lambda: NOW)
    ids = [str(uuid.uuid4()) for _ in range(50)]
    assert all(sightings(store, ids, NOW, NOW + 100))
    assert not any(sightings(store, ids, NOW + 1, NOW + 101))
    store.close()
    store = SqliteSeenMessages(path, clock=lambda: NOW)
    assert sightings(store, ids[:2], NOW + 50, NOW + 150) == [False, False]  # after a restart
    assert sightings(store, ids[1:2], NOW + 100, NOW + 200) == [True]  # expired
    store.close()
    store = SqliteSeenMessages(path, clock=lambda: NOW + 1000)  # its writer purges expired rows
    sightings(store, [str(uuid.uuid4())], NOW + 1000, NOW + 1100)
    assert len(store) == 1
    store.close()


def test_sqlite_store_admits_one_of_the_same_id_in_one_batch(tmp_path):
    """Sightings queued while another process holds the file's write lock are decided in one
    batch: the first of the same ID is admitted, the others are replays."""
    path = tmp_path / "s.seen.sqlite3"
    store = SqliteSeenMessages(path, clock=lambda: NOW)
    sightings(store, [str(uuid.uuid4())], NOW, NOW + 100)  # the writer is up, the file exists
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the writer waits for this lock
    mid = str(uuid.uuid4())
    waiters = [store.first_sighting(mid, NOW, NOW + 100) for _ in range(8)]
    blocker.execute("COMMIT")
    blocker.close()
    store.flush()
    store.close()
    assert [d.result for d in waiters] == [True] + [False] * 7


def test_sqlite_store_of_two_processes_admits_each_id_once(tmp_path):
    """Two hub processes on one store (pfbus serve --workers 2): every ID both of them sight at
    the same moment is admitted by exactly one. Both processes queue their sightings while a
    third connection holds the write lock of every file of the store, so their batches meet
    at each shard's lock (the interleaving forced, not hoped for); their string hashes differ
    (PYTHONHASHSEED), so the shard of an ID must not depend on the process."""
    path = tmp_path / "s.seen.sqlite3"
    store = SqliteSeenMessages(path)  # created before the processes open it
    paths = store.paths
    store.close()
    ids = [str(uuid.uuid4()) for _ in range(300)]
    (tmp_path / "ids").write_text("\n".join(ids))
    blockers = [sqlite3.connect(p, isolation_level=None) for p in paths]
    for blocker in blockers:
        blocker.execute("BEGIN IMMEDIATE")
    children = [subprocess.Popen(
        [sys.executable, "-c", _SIGHTING_PROCESS, str(path), str(tmp_path / "ids"),
         str(tmp_path / f"queued{n}")], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONHASHSEED": str(n)}) for n in (1, 2)]
    wait_until(lambda: all((tmp_path / f"queued{n}").exists() for n in (1, 2)), 30,
               "both processes queued their sightings")
    for blocker in blockers:
        blocker.execute("COMMIT")
        blocker.close()
    outputs = [child.communicate(timeout=60)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0]
    admitted = [set(json.loads(out)) for out in outputs]
    assert admitted[0].isdisjoint(admitted[1])
    assert admitted[0] | admitted[1] == set(ids)
    assert len(paths) > 1 and all(p.exists() for p in paths)


_SIGHTING_PROCESS = """
import json, sys, time
from pathlib import Path
from bus.store.seen_messages import SqliteSeenMessages
path, ids, queued = Path(sys.argv[1]), Path(sys.argv[2]).read_text().split(), Path(sys.argv[3])
store = SqliteSeenMessages(path)
now = time.time()
waiters = [(i, store.first_sighting(i, now, now + 100)) for i in ids]
queued.touch()
store.flush()
store.close()
print(json.dumps([i for i, d in waiters if d.result]))
"""


def test_inspector_refuses_a_request_id_only_through_the_guard(inspector):
    # the Inspector itself is stateless: the same bytes inspect the same way twice
    raw = envelope(inquiry_body(), replace(request_header(), sent_at=jst(0)))
    assert inspector.inspect_request(raw).header == inspector.inspect_request(raw).header


def test_a_sent_at_read_once_is_judged_against_each_now():
    """SentAt's reading is kept per text (issue 13); the verdict is the clock's each time: the
    same text is fresh, then too old, then ahead, and an unreadable one is refused each time."""
    freshness = Freshness(clock_skew=300, max_age=3600)
    sent_at = "2026-12-05T10:00:00+09:00"
    sent = dt.datetime(2026, 12, 5, 10, tzinfo=JST).timestamp()
    for _ in range(2):
        assert freshness.check(sent_at, sent + 60) is None
        assert freshness.check(sent_at, sent + 3601).rule == "freshness:max_age"
        assert freshness.check(sent_at, sent - 301).rule == "freshness:clock_skew"
        assert freshness.check("2026-12-05T10:00:00", sent + 60) is None  # JST when unnamed
        assert freshness.check("2026-12-05T10:00:00", sent + 9 * 3600 + 60) is not None
        assert freshness.check("yesterday", sent).rule == "freshness:sent_at"
