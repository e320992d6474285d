"""Vendor A's 照会記録 in a serving process (adapters/vendor_a_registry/access_journal.py): a
record is committed before its Deferred fires, records that wait for a commit share the next one
(group commit), a commit that fails fails every record of it, and an inquiry's answer is the one
resident_inquiry gives, held until its record is committed."""

from __future__ import annotations

import sqlite3

import pytest
from lxml import etree
from twisted.internet import reactor
from twisted.internet.defer import gatherResults
from twisted.internet.threads import blockingCallFromThread

from adapters.sdk.provider import Held
from adapters.sdk.testing import reactor_thread, sample_request
from adapters.vendor_a_registry.access_journal import AccessJournal, journaled_inquiry
from adapters.vendor_a_registry.service import resident_inquiry
from adapters.vendor_a_registry.store import RegistryStore, seed
from bus.core.header import Party, PlatformHeader

pytestmark = pytest.mark.integration


def _access(n: int) -> dict[str, str | None]:
    return {"message_id": f"m{n}", "requester": "131016/07/vendor-b-tax", "user_id": "clerk01",
            "service_id": "juki.ResidentInquiry", "addressee_number": f"{n:010d}"}


@pytest.fixture
def journal(tmp_path):
    reactor_thread()
    store = RegistryStore.open(tmp_path / "a.sqlite3")
    journal = AccessJournal(str(tmp_path / "a.sqlite3"), reactor)
    blockingCallFromThread(reactor, journal.start)
    yield store, journal
    blockingCallFromThread(reactor, journal.stop)
    store.close()


def test_records_waiting_for_a_commit_share_the_next_and_fire_once_committed(journal):
    store, journal = journal
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the writer waits for the lock: its records queue up
    waiting = blockingCallFromThread(reactor, lambda: [journal.append(**_access(n))
                                                       for n in range(20)])
    assert not any(blockingCallFromThread(reactor, lambda: [d.called for d in waiting]))
    assert store.access_log() == []
    other.execute("ROLLBACK")
    other.close()
    blockingCallFromThread(reactor, lambda: gatherResults(waiting))
    assert [r["メッセージID"] for r in store.access_log()] == [f"m{n}" for n in range(20)]
    assert journal.commits <= 2  # the first record alone at most, then all the others
    blockingCallFromThread(reactor, journal.stop)
    with pytest.raises(RuntimeError, match="closed"):
        journal.append(**_access(99))


def test_a_commit_that_fails_fails_its_records(tmp_path):
    reactor_thread()
    sqlite3.connect(tmp_path / "bare.sqlite3").close()  # no 照会記録 table
    journal = AccessJournal(str(tmp_path / "bare.sqlite3"), reactor)
    blockingCallFromThread(reactor, journal.start)
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            blockingCallFromThread(reactor, lambda: journal.append(**_access(1)))
        assert journal.commits == 0
    finally:
        blockingCallFromThread(reactor, journal.stop)


def test_an_inquiry_answers_as_resident_inquiry_once_its_record_is_committed(journal):
    store, journal = journal
    seed(store)
    header = PlatformHeader.new(sender=Party("131016", "07", "vendor-b-tax"),
                                receiver=Party("131016", "01", "vendor-a-juki"),
                                service_id="juki.ResidentInquiry", user_id="clerk01")
    request = sample_request("juki.ResidentInquiry")
    held = blockingCallFromThread(reactor, journaled_inquiry, store, journal, header, request)
    assert isinstance(held, Held)
    blockingCallFromThread(reactor, lambda: held.until)
    (record,) = store.access_log()
    assert (record["メッセージID"], record["操作者ID"]) == (header.message_id, "clerk01")
    assert etree.tostring(held.element) == etree.tostring(
        resident_inquiry(store, header, request))
