"""The SDK's idempotent receiver: a notice changes the vendor's records once, or not at all."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from lxml import etree

from adapters.sdk.receiver import (APPLIED, DUPLICATE, IdempotentReceiver, notice_receipt,
                                   receipt_fields)
from adapters.sdk.testing import sample_request
from bus.core.catalog import Catalog
from bus.core.header import Party, PlatformHeader
from bus.core.validator import MessageValidator
from schemas import BUILTIN_CATALOG

SID = "juki.ResidentChangeNotice"


def header() -> PlatformHeader:
    return PlatformHeader.new(sender=Party("131016", "01", "vendor-a-juki"),
                              receiver=Party("131016", "01", "hub"), service_id=SID,
                              user_id="juki-batch")


@pytest.fixture
def conn():
    c = sqlite3.connect(":memory:", check_same_thread=False)
    c.execute("CREATE TABLE vendor (k TEXT PRIMARY KEY, v TEXT)")
    c.commit()
    yield c
    c.close()


def writes(key: str, calls: list):
    def apply(conn, hdr, body):
        calls.append(hdr.message_id)
        conn.execute("INSERT INTO vendor VALUES (?, ?)", (key, body.tag))
    return apply


def test_applied_once_then_duplicate_without_calling_apply(conn):
    receiver, calls, h = IdempotentReceiver(conn), [], header()
    first = receiver.receive(writes("a", calls), h, sample_request(SID))
    second = receiver.receive(writes("b", calls), h, sample_request(SID))
    assert receipt_fields(first) == (h.message_id, APPLIED)
    assert receipt_fields(second) == (h.message_id, DUPLICATE)
    assert calls == [h.message_id]  # the redelivery did not reach the vendor's code
    assert conn.execute("SELECT k FROM vendor").fetchall() == [("a",)]
    assert receiver.seen(h.message_id)
    (message_id, service_id, sender, _), = receiver.received()
    assert (message_id, service_id, sender) == (h.message_id, SID, "131016/01/vendor-a-juki")


def test_apply_failing_midway_leaves_nothing_behind(conn):
    receiver, h = IdempotentReceiver(conn), header()

    def half_then_fail(c, hdr, body):
        c.execute("INSERT INTO vendor VALUES ('half', 'written')")
        raise RuntimeError("the vendor's database failed in the middle")

    with pytest.raises(RuntimeError):
        receiver.receive(half_then_fail, h, sample_request(SID))
    assert conn.execute("SELECT COUNT(*) FROM vendor").fetchone() == (0,)
    assert not receiver.seen(h.message_id) and not conn.in_transaction
    # the hub retries: now it applies, once
    calls: list = []
    assert receipt_fields(receiver.receive(writes("a", calls), h, sample_request(SID)))[1] == \
        APPLIED
    assert calls == [h.message_id]


def test_apply_may_not_commit_the_receivers_transaction(conn):
    receiver = IdempotentReceiver(conn)

    def commits(c, hdr, body):
        c.execute("INSERT INTO vendor VALUES ('x', 'y')")
        c.commit()

    with pytest.raises(RuntimeError, match="must only execute statements"):
        receiver.receive(commits, header(), sample_request(SID))
    assert not receiver.seen(header().message_id)


def test_a_transaction_left_open_by_the_caller_is_refused(conn):
    receiver = IdempotentReceiver(conn)
    conn.execute("INSERT INTO vendor VALUES ('open', 'tx')")
    with pytest.raises(RuntimeError, match="inside a transaction"):
        receiver.receive(writes("a", []), header(), sample_request(SID))
    conn.rollback()


def test_racing_redeliveries_in_two_processes_apply_once(tmp_path):
    """Two connections (as two worker processes would have) deliver the same notice at once."""
    path = tmp_path / "vendor.sqlite3"
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE vendor (k TEXT, v TEXT)")
    setup.commit()
    setup.close()
    h, calls, results = header(), [], []
    gate = threading.Barrier(4)

    def deliver(n: int) -> None:
        c = sqlite3.connect(path, timeout=30, check_same_thread=False)
        receiver = IdempotentReceiver(c)
        gate.wait()
        results.append(receipt_fields(receiver.receive(writes(str(n), calls), h,
                                                       sample_request(SID)))[1])
        c.close()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [APPLIED] + [DUPLICATE] * 3
    check = sqlite3.connect(path)
    assert check.execute("SELECT COUNT(*) FROM vendor").fetchone() == (1,)
    check.close()


def test_receipt_is_valid_against_the_platform_schema():
    validator = MessageValidator(Catalog.load([BUILTIN_CATALOG]))
    h = header()
    for status, subscribers in ((APPLIED, None), (DUPLICATE, None), ("accepted", 3)):
        receipt = notice_receipt(h.message_id, status, subscribers)
        assert validator.validate(receipt) == []
    assert etree.QName(receipt).localname == "NoticeReceipt"
    with pytest.raises(ValueError):
        notice_receipt(h.message_id, "done")
    assert receipt_fields(sample_request(SID)) == (None, None)


def test_table_names_are_plain_identifiers(conn):
    with pytest.raises(ValueError):
        IdempotentReceiver(conn, table="x; DROP TABLE vendor")
    custom = IdempotentReceiver(conn, table="received_by_b")
    custom.receive(writes("a", []), header(), sample_request(SID))
    assert conn.execute("SELECT COUNT(*) FROM received_by_b").fetchone() == (1,)
