"""The notice store contract (保管転送), run against both stores: SQLite and PostgreSQL.

Each test gets a fresh store: a file under tmp_path, or its own PostgreSQL schema (see
tests/conftest.py for when PostgreSQL tests may skip).
"""

from __future__ import annotations

import os
from itertools import pairwise
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from bus.store.notices import NoticeStoreError, open_notice_store
from bus.store.notices.base import NoticeRecord
from bus.store.notices.sqlite_store import SqliteNoticeStore

REPO = Path(__file__).resolve().parents[2]
A, B = "131016:0000010014", "131016:0000010022"
T = time.time()


def notice(mid: str, subjects=(A,), payload: bytes | None = None) -> NoticeRecord:
    return NoticeRecord(message_id=mid, service_id="juki.ResidentChangeNotice",
                        local_gov_code="131016", sender="131016/01/vendor-a-juki",
                        subjects=tuple(subjects), content_type="text/xml; charset=utf-8",
                        soap_action=None, payload=payload or f"<n>{mid}</n>".encode(),
                        received_at=T)


@pytest.fixture(params=["sqlite", "postgres"])
def opener(request, tmp_path):
    """``opener()`` opens another store object on the same storage: a reopen or a second node."""
    if request.param == "sqlite":
        url = f"sqlite:{tmp_path / 'var' / 'notices.db'}"
    else:
        dsn = request.getfixturevalue("postgres_dsn")
        url = f"{dsn}?schema={request.getfixturevalue('postgres_schema')}"
    opened = []

    def open_store():
        opened.append(open_notice_store(url))
        return opened[-1]
    open_store.kind = request.param
    yield open_store
    for store in opened:
        store.close()


@pytest.fixture
def store(opener):
    return opener()


def claim_ids(store, node="n1", now=T, limit=100, subscriber="tax", lease=30.0):
    return [d.message_id for d in store.claim(subscriber, node, lease, limit, now=now)]


def test_accept_new_then_duplicate_stores_once(store):
    assert store.accept(notice("m1"), ["tax", "nhi"]) is True
    assert store.accept(notice("m1", payload=b"other"), ["tax", "kaigo"]) is False
    [d] = store.claim("tax", "n1", 30, 10, now=T)
    assert (d.message_id, d.payload, d.subjects, d.attempts, d.lease_owner) == \
        ("m1", b"<n>m1</n>", (A,), 1, "n1")
    assert d.lease_until == pytest.approx(T + 30)
    assert [s.subscriber for s in store.stats()] == ["nhi", "tax"]  # kaigo never queued


def test_concurrent_duplicates_exactly_one_true(store):
    barrier, results = threading.Barrier(16), []

    def send(i):
        barrier.wait()
        results.append((i, store.accept(notice("dup" if i % 2 else f"u{i}", ()), ["tax"])))
    threads = [threading.Thread(target=send, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(ok for i, ok in results if i % 2) == 1
    assert all(ok for i, ok in results if i % 2 == 0)
    assert sorted(claim_ids(store)) == sorted(["dup"] + [f"u{i}" for i in range(0, 16, 2)])


def test_a_failing_notice_fails_alone(store, opener, monkeypatch):
    if opener.kind == "sqlite":
        original = type(store)._insert

        def insert(conn, request, now):
            if request.notice.message_id == "bad":
                raise sqlite3.IntegrityError("injected")
            return original(conn, request, now)
    else:
        import psycopg
        original = store._insert

        def insert(conn, batch):
            if any(r.notice.message_id == "bad" for r in batch):
                raise psycopg.DataError("injected")
            return original(conn, batch)
    monkeypatch.setattr(store, "_insert", insert)
    barrier, results = threading.Barrier(8), {}

    def send(mid):
        barrier.wait()
        try:
            results[mid] = store.accept(notice(mid, subjects=()), ["tax"])
        except NoticeStoreError as exc:
            results[mid] = exc
    threads = [threading.Thread(target=send, args=(m,)) for m in ["bad", *"abcdefg"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert isinstance(results.pop("bad"), NoticeStoreError)
    assert results == {m: True for m in "abcdefg"}
    assert sorted(claim_ids(store)) == list("abcdefg")
    with pytest.raises(TypeError):  # refused on the caller's thread, before any batch
        store.accept(notice("x", subjects=[A]), "tax")


def test_durable_after_close_and_reopen(opener):
    first = opener()
    big = os.urandom(3000)
    assert first.accept(notice("m1", payload=big), ["tax"])
    first.close()
    with pytest.raises(NoticeStoreError):
        first.accept(notice("m2"), ["tax"])
    again = opener()
    assert again.accept(notice("m1"), ["tax"]) is False
    [d] = again.claim("tax", "n1", 30, 10, now=T)
    assert d.payload == big


def test_order_per_subject_different_subjects_in_parallel(store):
    for mid, subjects in [("a1", [A]), ("a2", [A]), ("b1", [B]), ("ab", [A, B]), ("free", [])]:
        store.accept(notice(mid, subjects), ["tax"])
    first = store.claim("tax", "n1", 30, 10, now=T)
    assert [d.message_id for d in first] == ["a1", "b1", "free"]
    assert [d.seq for d in first] == sorted(d.seq for d in first)
    assert claim_ids(store) == []  # a1 and b1 in flight hold A and B
    assert store.complete(first[0].id, "n1")
    assert claim_ids(store) == ["a2"]  # "ab" still waits for b1 (and now a2)
    store.complete(first[1].id, "n1")
    assert claim_ids(store) == []


def test_retry_not_yet_due_blocks_its_subject(store):
    for mid, subjects in [("a1", [A]), ("a2", [A]), ("b1", [B])]:
        store.accept(notice(mid, subjects), ["tax"])
    a1, b1 = store.claim("tax", "n1", 30, 10, now=T)
    assert store.retry_later(a1.id, "n1", "HTTP 503", T + 100)
    assert store.complete(b1.id, "n1")
    assert claim_ids(store, now=T + 50) == []
    [again] = store.claim("tax", "n1", 30, 10, now=T + 100)
    assert (again.id, again.attempts) == (a1.id, 2)


def test_dead_letters_block_purge_unblocks_replay_keeps_order(store):
    for mid, subjects in [("a1", [A]), ("a2", [A]), ("b1", [B]), ("b2", [B])]:
        store.accept(notice(mid, subjects), ["tax"])
    a1, b1 = store.claim("tax", "n1", 30, 10, now=T)
    assert store.dead(a1.id, "n1", "schema rejected by receiver")
    assert store.dead(b1.id, "n1", "HTTP 500")
    assert claim_ids(store) == []  # both subjects blocked by their dead letters
    assert store.purge(delivery_ids=[a1.id]) == 1
    assert claim_ids(store) == ["a2"]
    assert store.replay("tax") == 1  # b1 goes back ahead of b2
    [d] = store.claim("tax", "n1", 30, 10, now=T)
    assert (d.message_id, d.attempts) == ("b1", 1)
    store.complete(d.id, "n1")
    assert claim_ids(store) == ["b2"]


def test_expired_lease_is_claimed_by_another_node(store):
    store.accept(notice("m1"), ["tax"])
    [d1] = store.claim("tax", "n1", 10, 5, now=T)
    assert claim_ids(store, "n2", now=T + 5) == []
    [d2] = store.claim("tax", "n2", 10, 5, now=T + 11)
    assert (d2.id, d2.attempts, d2.lease_owner) == (d1.id, 2, "n2")
    assert store.complete(d1.id, "n1") is False
    assert store.retry_later(d1.id, "n1", "late", T) is False
    assert store.dead(d1.id, "n1", "late") is False
    assert store.complete(d2.id, "n2") is True
    assert store.complete(d2.id, "n2") is False  # already delivered
    assert [s.delivered for s in store.stats()] == [1]


def test_release_node(store):
    for i in range(3):
        store.accept(notice(f"m{i}", [f"s:{i}"]), ["tax"])
    assert len(store.claim("tax", "n1", 3600, 2, now=T)) == 2
    assert store.release_node("n2") == 0
    assert store.release_node("n1") == 2
    assert sorted(claim_ids(store, "n2")) == ["m0", "m1", "m2"]


def test_release_gives_one_delivery_back_without_counting_the_attempt(store):
    store.accept(notice("m0", ["s:0"]), ["tax"])
    store.accept(notice("m1", ["s:0"]), ["tax"])  # same subject: waits behind m0
    (d,) = store.claim("tax", "n1", 3600, 5, now=T)
    assert d.attempts == 1
    assert store.release(d.id, "n2") is False  # not n2's lease
    assert store.release(d.id, "n1") is True
    assert store.release(d.id, "n1") is False  # no longer in flight
    (again,) = store.claim("tax", "n2", 3600, 5, now=T)  # due at once, still first in order
    assert (again.message_id, again.attempts) == ("m0", 1)


def test_stats(store):
    for i in range(5):
        store.accept(notice(f"m{i}", [f"s:{i}"]), ["tax", "nhi"])
    store.accept(notice("m5", [f"s:{0}"]), ["tax"])
    d = store.claim("tax", "n1", 30, 4, now=T)
    store.complete(d[0].id, "n1")
    store.retry_later(d[1].id, "n1", "timeout after 30 s", T + 60)
    store.dead(d[2].id, "n1", "HTTP 400: fault")
    later = time.time() + 100
    nhi, tax = store.stats(now=later)
    assert (tax.subscriber, tax.pending, tax.inflight, tax.delivered, tax.dead) == \
        ("tax", 3, 1, 1, 1)
    assert tax.last_error == "HTTP 400: fault"
    assert 100 <= tax.oldest_pending_age < 130
    assert (nhi.pending, nhi.inflight, nhi.delivered, nhi.dead, nhi.last_error) == \
        (5, 0, 0, 0, None)
    store.purge("tax")
    store.release_node("n1")
    for d in store.claim("tax", "n1", 30, 10, now=T + 60):
        store.complete(d.id, "n1")
    tax = store.stats(now=later)[1]
    assert (tax.pending, tax.inflight, tax.dead, tax.oldest_pending_age) == (0, 0, 0, None)


def test_dead_letter_channel_by_subscriber_and_ids(store):
    for i in range(4):
        store.accept(notice(f"m{i}", [f"s:{i}"]), ["tax", "nhi"])
    for sub in ("tax", "nhi"):
        for d in store.claim(sub, "n1", 30, 10, now=T):
            store.dead(d.id, "n1", f"{sub} refused {d.message_id}")
    tax = store.dead_letters("tax")
    assert [x.message_id for x in tax] == ["m0", "m1", "m2", "m3"]
    assert (tax[0].subscriber, tax[0].attempts, tax[0].last_error, tax[0].payload) == \
        ("tax", 1, "tax refused m0", None)
    assert tax[0].died_at >= tax[0].enqueued_at
    assert len(store.dead_letters()) == 8 and len(store.dead_letters(limit=3)) == 3
    one = store.dead_letter(tax[1].delivery_id)
    assert (one.message_id, one.payload) == ("m1", b"<n>m1</n>")
    assert store.replay(delivery_ids=[]) == 0  # an empty selection selects nothing
    assert store.replay(delivery_ids=[tax[0].delivery_id, tax[1].delivery_id]) == 2
    assert store.dead_letter(tax[0].delivery_id) is None  # no longer dead
    assert store.purge("nhi", delivery_ids=[tax[2].delivery_id]) == 0  # not nhi's
    assert store.purge("nhi") == 4
    assert store.purge() == 2  # the rest: tax m2, m3
    assert store.dead_letters() == [] and store.replay() == 0
    assert claim_ids(store) == ["m0", "m1"]


def test_open_notice_store_urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_notice_store("sqlite:var/n.db") as store:
        assert isinstance(store, SqliteNoticeStore)
    assert (tmp_path / "var" / "n.db").is_file()  # relative to the working directory
    for bad in ("sqlite:", "mysql://x/y", "var/n.db",
                "postgresql://u@h/db?schema=Bad-Name", "postgresql://h/db?schema=a&schema=b"):
        with pytest.raises(ValueError):
            open_notice_store(bad)
    with pytest.raises(ValueError) as info:
        open_notice_store("mysql://user:secret@h/db")
    assert "secret" not in str(info.value)


def test_sqlite_schema_newer_than_known_is_refused(tmp_path):
    path = tmp_path / "n.db"
    SqliteNoticeStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(Exception, match="newer"):
        SqliteNoticeStore(path)


def test_postgres_nodes_starting_together_migrate_once(postgres_dsn, postgres_schema):
    import psycopg

    from bus.store.notices.postgres_store import MIGRATIONS, PostgresNoticeStore
    barrier, stores, errors = threading.Barrier(6), [], []

    def start():
        barrier.wait()
        try:
            stores.append(PostgresNoticeStore(postgres_dsn, schema=postgres_schema))
        except Exception as exc:
            errors.append(exc)
    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for store in stores:
        store.close()
    assert not errors, errors
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        versions = conn.execute(f"SELECT version FROM {postgres_schema}.schema_migrations"
                                ).fetchall()
        assert versions == [(v,) for v in range(1, len(MIGRATIONS) + 1)]  # each exactly once
        conn.execute(f"INSERT INTO {postgres_schema}.schema_migrations VALUES (99)")
    with pytest.raises(Exception, match="newer"):
        PostgresNoticeStore(postgres_dsn, schema=postgres_schema)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_two_nodes_claim_concurrently_without_overlap_or_reordering(kind, request, tmp_path):
    """Two store objects ("hub nodes"), three claiming threads each; every delivery is claimed
    exactly once and, per subject, claimed only after the one before it began completing."""
    if kind == "sqlite":
        url = f"sqlite:{tmp_path / 'n.db'}"
    else:
        url = f"{request.getfixturevalue('postgres_dsn')}?schema=" \
              f"{request.getfixturevalue('postgres_schema')}"
    rng, total = random.Random(7), 300
    nodes = [open_notice_store(url), open_notice_store(url)]
    try:
        seq_of, subjects_of = {}, {}
        for i in range(total):
            subjects = tuple(rng.sample([f"s:{k}" for k in range(12)], rng.choice([0, 1, 1, 2])))
            nodes[i % 2].accept(notice(f"m{i}", subjects), ["tax"])
        events, lock, clock = [], threading.Lock(), iter(range(10**9))
        done, errors = threading.Event(), []

        def work(node_index):
            store, node = nodes[node_index], f"node-{node_index}"
            try:
                while not done.is_set():
                    claimed = store.claim("tax", node, 60, rng.randint(1, 5))
                    with lock:
                        events.extend(("claimed", d.id, next(clock)) for d in claimed)
                        for d in claimed:
                            seq_of[d.id], subjects_of[d.id] = d.seq, d.subjects
                    for d in claimed:
                        with lock:
                            events.append(("completing", d.id, next(clock)))
                        assert store.complete(d.id, node)
                    with lock:
                        if sum(e[0] == "completing" for e in events) == total:
                            done.set()
                    if not claimed:
                        time.sleep(0.002)
            except BaseException as exc:  # report in the main thread
                errors.append(exc)
                done.set()
        threads = [threading.Thread(target=work, args=(i % 2,)) for i in range(6)]
        for t in threads:
            t.start()
        assert done.wait(120), "deliveries not all completed in time"
        for t in threads:
            t.join()
        assert not errors, errors
        claimed_at = {}
        for kind_, delivery, at in events:
            if kind_ == "claimed":
                assert delivery not in claimed_at, f"delivery {delivery} claimed twice"
                claimed_at[delivery] = at
        completing_at = {d: at for k, d, at in events if k == "completing"}
        assert len(claimed_at) == total
        by_subject: dict[str, list[int]] = {}
        for delivery in sorted(seq_of, key=seq_of.get):
            for subject in subjects_of[delivery]:
                by_subject.setdefault(subject, []).append(delivery)
        for subject, deliveries in by_subject.items():
            for before, after in pairwise(deliveries):
                assert completing_at[before] < claimed_at[after], (subject, before, after)
    finally:
        for store in nodes:
            store.close()


_CRASH_CHILD = textwrap.dedent("""
    import sys, threading, time
    from bus.store.notices.base import NoticeRecord
    from bus.store.notices.sqlite_store import SqliteNoticeStore
    store, lock = SqliteNoticeStore(sys.argv[1]), threading.Lock()
    def send(t):
        for i in range(100000):
            mid = f"t{t}-{i}"
            record = NoticeRecord(mid, "svc", "131016", "131016/01/x", (f"s:{t}",), "text/xml",
                                  None, mid.encode() * 100, time.time())
            if store.accept(record, ["tax"]):
                with lock:  # printed only after accept() returned: acknowledged
                    print(mid, flush=True)
    for t in range(8):
        threading.Thread(target=send, args=(t,)).start()
""")


@pytest.mark.integration
def test_sqlite_every_acknowledged_notice_survives_sigkill(tmp_path):
    path = tmp_path / "notices.db"
    child = subprocess.Popen([sys.executable, "-c", _CRASH_CHILD, str(path)], cwd=REPO,
                             stdout=subprocess.PIPE, text=True)
    acknowledged = []
    try:
        for line in child.stdout:
            acknowledged.append(line.strip())
            if len(acknowledged) >= 600:
                break
        assert len(acknowledged) >= 600, "the child stopped before it was killed"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        rest, _ = child.communicate(timeout=30)
    acknowledged += rest.split()  # printed (so acknowledged) before the kill
    with SqliteNoticeStore(path) as store:
        stored = {}
        while claimed := store.claim("tax", "check", 60, 1000, now=time.time()):
            for d in claimed:
                assert d.message_id not in stored
                stored[d.message_id] = d.payload
                store.complete(d.id, "check")
    missing = [m for m in acknowledged if m not in stored]
    assert not missing, f"{len(missing)} acknowledged notices lost, e.g. {missing[:3]}"
    assert all(stored[m] == m.encode() * 100 for m in acknowledged)


def test_recent_facts_and_purging_finished_notices(store):
    # one shared implementation (bus/store/notices/base.py), each store's parameter marks
    before = time.time() - 1
    for mid in ("r1", "r2", "r3"):
        store.accept(notice(mid, subjects=()), ["tax"])
    first, second, _ = store.claim("tax", "n1", 30, 10, now=time.time())
    assert store.complete(first.id, "n1") and store.dead(second.id, "n1", "gone")
    facts = list(store.recent_facts(before))
    assert [f[:2] for f in facts] == [("accepted", "r1"), ("accepted", "r2"),
                                      ("accepted", "r3"), ("delivered", "r1")]
    assert facts[0][2:4] == ("juki.ResidentChangeNotice", "131016/01/vendor-a-juki")
    assert facts[-1][3] == "tax" and facts[-1][5] == 1  # subscriber, attempts
    assert list(store.recent_facts(time.time() + 60)) == []
    later = time.time() + 60
    assert store.purge_finished(None, None) == 0
    assert store.purge_finished(later, None, batch=1) == 1  # r1; dead r2 and unfinished r3 kept
    assert store.purge_finished(later, later, batch=1) == 1  # r2 (dead)
    assert [f[1] for f in store.recent_facts(before)] == ["r3"]
