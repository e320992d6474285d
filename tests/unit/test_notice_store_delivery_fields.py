"""What delivery asks of the notice store (保管転送) beyond the contract's basics, on both stores:
completing and claiming in one call (one transaction per delivery-loop turn), and the header
fields kept at acceptance so that delivery never parses a stored notice again (schema version 2,
reached by migration from version 1)."""

from __future__ import annotations

import sqlite3
import time

import pytest

from bus.store.notices import open_notice_store
from bus.store.notices.base import NoticeRecord

A, B = "131016:0000010014", "131016:0000010022"
T = time.time()
SENDER, RECEIVER = "131016/01/vendor-a-juki", "131016/01/hub"


def notice(mid: str, subjects=(A,), **fields) -> NoticeRecord:
    return NoticeRecord(message_id=mid, service_id="juki.ResidentChangeNotice",
                        local_gov_code="131016", sender=SENDER, subjects=tuple(subjects),
                        content_type="text/xml; charset=utf-8", soap_action=None,
                        payload=f"<n>{mid}</n>".encode(), received_at=T, **fields)


@pytest.fixture
def store(notice_store_url):
    opened = open_notice_store(notice_store_url)
    yield opened
    opened.close()


def test_complete_and_claim_answers_each_completion_then_claims_what_they_freed(store):
    for mid, subjects in [("a1", [A]), ("a2", [A]), ("b1", [B]), ("b2", [B])]:
        store.accept(notice(mid, subjects), ["tax"])
    done, first = store.complete_and_claim([], "tax", "n1", 30, 10, now=T)
    assert done == [] and [d.message_id for d in first] == ["a1", "b1"]
    a1, b1 = first
    # a1 completes; b1 is not this node's lease (answered False, left in flight); an unknown id
    # is False too. The claim in the same transaction sees a1 done: a2 is free, b2 still held.
    done, claimed = store.complete_and_claim([a1.id, 999_999], "tax", "n2", 30, 10, now=T)
    assert done == [False, False] and claimed == []  # n2 holds neither lease
    done, claimed = store.complete_and_claim([a1.id, b1.id], "tax", "n1", 30, 0, now=T)
    assert done == [True, True] and claimed == []  # limit 0: completions only
    done, claimed = store.complete_and_claim([a1.id], "tax", "n1", 30, 10, now=T)
    assert done == [False]  # already delivered: never completed twice
    assert [d.message_id for d in claimed] == ["a2", "b2"]
    assert [s.delivered for s in store.stats(now=T)] == [2]


def test_claim_returns_the_header_fields_kept_at_acceptance(store):
    digest = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
    store.accept(notice("m1", receiver=RECEIVER, service_version="1.0", request_hash=digest),
                 ["tax"])
    store.accept(notice("m2", [B]), ["tax"])  # a caller that gave none
    m1, m2 = store.claim("tax", "n1", 30, 10, now=T)
    assert (m1.sender, m1.receiver, m1.service_version) == (SENDER, RECEIVER, "1.0")
    assert m1.request_hash == digest
    assert (m2.sender, m2.receiver, m2.service_version, m2.request_hash) == (
        SENDER, None, None, None)


def _create_version_1(url: str) -> None:
    """A store as the previous release left it: schema version 1 and one notice queued."""
    if url.startswith("sqlite:"):
        from bus.store.migrations import migrate
        from bus.store.notices.sqlite_store import MIGRATIONS
        conn = sqlite3.connect(url[len("sqlite:"):], isolation_level=None)
        assert migrate(conn, MIGRATIONS[:1]) == 1
        mark, close = "?", conn.close
    else:
        import psycopg
        from psycopg import sql

        from bus.core.pg_url import split_url
        from bus.store.notices.postgres_store import MIGRATIONS, _lock_key
        from bus.store.pg_schema import migrate as pg_migrate
        dsn, schema = split_url(url, "pfbus", "notice store")
        conn = psycopg.connect(dsn, autocommit=True)
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        with conn.transaction():
            assert pg_migrate(conn, schema, MIGRATIONS[:1], versions_table="schema_migrations",
                              lock_key=_lock_key("migrate", schema), what="notice store") == 1
        conn.execute("INSERT INTO subscribers (name) VALUES ('tax')")
        mark, close = "%s", conn.close
    values = ", ".join([mark] * 10)
    conn.execute(f"INSERT INTO notices (message_id, service_id, local_gov_code, sender, subjects,"
                 f" content_type, soap_action, payload, received_at, accepted_at) "
                 f"VALUES ({values})", ("old", "juki.ResidentChangeNotice", "131016", SENDER,
                                        f'["{A}"]', "text/xml; charset=utf-8", None,
                                        b"<n>old</n>", T, T))
    conn.execute(f"INSERT INTO deliveries (seq, subscriber, enqueued_at) SELECT seq, 'tax', "
                 f"{mark} FROM notices", (T,))
    close()


def test_a_version_1_store_is_migrated_and_its_queued_notices_still_delivered(notice_store_url):
    _create_version_1(notice_store_url)
    store = open_notice_store(notice_store_url)
    try:
        store.accept(notice("new", [B], receiver=RECEIVER, service_version="1.0"), ["tax"])
        old, new = store.claim("tax", "n1", 30, 10, now=T)
        assert (old.message_id, old.payload, old.sender) == ("old", b"<n>old</n>", SENDER)
        assert (old.receiver, old.service_version) == (None, None)  # delivery parses these
        assert old.request_hash is None  # and hashes it
        assert (new.receiver, new.service_version) == (RECEIVER, "1.0")
    finally:
        store.close()
    readonly = open_notice_store(notice_store_url, readonly=True)  # operators' commands read version 2
    try:
        assert [s.inflight for s in readonly.stats(now=T)] == [2]
    finally:
        readonly.close()


@pytest.mark.parametrize("first_page", [3, 512])
def test_a_claim_finds_what_waits_beyond_its_first_page_of_the_queue(store, first_page,
                                                                      monkeypatch):
    """PostgreSQL reads the first page of a queue in one round trip and streams the rest only
    when that page does not decide; the answer is the same either way (SQLite always streams)."""
    from bus.store.notices import postgres_store
    monkeypatch.setattr(postgres_store, "_FIRST_PAGE", first_page)
    for i in range(5):
        store.accept(notice(f"a{i}", [A]), ["tax"])
    store.accept(notice("b0", [B]), ["tax"])
    assert [d.message_id for d in store.claim("tax", "n1", 30, 1, now=T)] == ["a0"]
    # a1 … a4 wait behind a0 (in flight); b0 is the sixth row, beyond a first page of three
    assert [d.message_id for d in store.claim("tax", "n1", 30, 5, now=T)] == ["b0"]
    assert store.claim("tax", "n1", 30, 5, now=T) == []


def test_every_field_comes_back_as_it_was_accepted(store):
    """What arrays in a batch's INSERT must carry unchanged (PostgreSQL sends them in binary):
    every byte value in the payload, text with quotes, commas, braces, backslashes and
    non-ASCII, and NULLs."""
    awkward = 'a"b,c{d}e\\f 千代田'
    payload = bytes(range(256)) * 10
    store.accept(NoticeRecord(
        message_id="m-awkward", service_id="juki.ResidentChangeNotice", local_gov_code="131016",
        sender=awkward, subjects=(A, awkward), content_type="text/xml; charset=utf-8",
        soap_action=None, payload=payload, received_at=T, receiver=awkward,
        service_version=None, request_hash="x" * 44), ["tax"])
    store.accept(notice("m-plain", [B]), ["tax"])
    awk, plain = store.claim("tax", "n1", 30, 10, now=T)
    assert (awk.message_id, awk.sender, awk.subjects, awk.soap_action, awk.payload,
            awk.receiver, awk.service_version, awk.request_hash) == (
        "m-awkward", awkward, (A, awkward), None, payload, awkward, None, "x" * 44)
    assert plain.payload == b"<n>m-plain</n>" and plain.subjects == (B,)


def test_a_claimed_delivery_is_what_its_constructor_makes(store):
    """Deliveries are built without the frozen ``__init__`` (issue 13): every field there, and
    the object equal to the constructor's, hashing alike."""
    from dataclasses import fields

    from bus.store.notices.base import Delivery

    store.accept(notice("m1", receiver=RECEIVER, service_version="1.0"), ["tax"])
    (claimed,) = store.claim("tax", "n1", 30, 10, now=T)
    names = [f.name for f in fields(Delivery)]
    assert type(claimed) is Delivery and sorted(vars(claimed)) == sorted(names)
    made = Delivery(**{name: getattr(claimed, name) for name in names})
    assert made == claimed and hash(made) == hash(claimed)
