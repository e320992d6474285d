"""Accepting a notice without a waiting thread (保管転送): the store's ``accept_async`` and the
hub's ``StoreThreads.submit``. The answer comes from the group commit's writer once the batch is
durable — the same answers, errors and durability as ``accept`` — and reaches the reactor in
bursts: one wake-up for the answers that arrived together."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from twisted.internet import defer

from bus.hub.notices import StoreThreads
from bus.store.notices import NoticeStoreError, open_notice_store
from bus.store.notices.base import NoticeRecord

A = "131016:0000010014"


def notice(mid: str, subjects=(A,)) -> NoticeRecord:
    return NoticeRecord(message_id=mid, service_id="juki.ResidentChangeNotice",
                        local_gov_code="131016", sender="131016/01/vendor-a-juki",
                        subjects=tuple(subjects), content_type="text/xml; charset=utf-8",
                        soap_action=None, payload=f"<n>{mid}</n>".encode(), received_at=0.0)


def accept_async(store, record: NoticeRecord, subscribers=("tax",)):
    """(value, error) as the writer thread answered, waited for here."""
    answered, answers = threading.Event(), []

    def done(value, error):
        answers.append((value, error, threading.current_thread().name))
        answered.set()

    store.accept_async(record, list(subscribers), done)
    assert answered.wait(30), "no answer"
    assert len(answers) == 1
    return answers[0]


def test_accept_async_answers_once_durable_like_accept(notice_store_url):
    store = open_notice_store(notice_store_url)
    try:
        value, error, thread = accept_async(store, notice("m1"))
        assert (value, error) == (True, None)
        assert thread.startswith("notice-store:")  # the writer answered, after its commit
        assert accept_async(store, notice("m1"))[:2] == (False, None)  # a duplicate
        with pytest.raises(TypeError):  # refused before queueing, on the caller's thread
            store.accept_async(notice("x"), "tax", lambda value, error: None)
    finally:
        store.close()
    again = open_notice_store(notice_store_url)  # durable: there after a reopen
    try:
        assert [d.message_id for d in again.claim("tax", "n1", 30, 10, now=0.0)] == ["m1"]
        with pytest.raises(NoticeStoreError):
            store.accept_async(notice("m2"), ["tax"], lambda value, error: None)  # closed
    finally:
        again.close()


def test_a_notice_the_batch_could_not_store_is_answered_with_the_stores_error(
        tmp_path, monkeypatch):
    store = open_notice_store(f"sqlite:{tmp_path / 'notices.db'}")
    try:
        def insert(conn, request, now):
            raise sqlite3.IntegrityError("injected")
        monkeypatch.setattr(store, "_insert", insert)
        value, error, _ = accept_async(store, notice("bad"))
        assert value is None and isinstance(error, NoticeStoreError)
        assert "'bad' not accepted: injected" in str(error)
    finally:
        store.close()


class RecordingReactor:
    """What StoreThreads needs of a reactor; callFromThread calls wait until ``run()``."""

    def __init__(self) -> None:
        self.calls: list = []

    def addSystemEventTrigger(self, *args) -> None:
        pass

    def callFromThread(self, f, *args) -> None:
        self.calls.append((f, args))

    def run(self) -> None:
        calls, self.calls = self.calls, []
        for f, args in calls:
            f(*args)


def test_submit_answers_arriving_together_reach_the_reactor_with_one_wake_up():
    reactor = RecordingReactor()
    threads = StoreThreads(reactor, size=2)
    try:
        callbacks = []
        first = threads.submit(lambda x, done: callbacks.append(done), 1)
        second = threads.submit(lambda x, done: callbacks.append(done), 2)
        failing = threads.submit(lambda done: callbacks.append(done))
        assert threads.busy == 3 and not first.called
        boom = NoticeStoreError("disk full")
        writer = threading.Thread(target=lambda: [callbacks[0](True, None),
                                                  callbacks[1](False, None),
                                                  callbacks[2](None, boom)])
        writer.start()
        writer.join()
        assert len(reactor.calls) == 1 and not first.called  # one wake-up for three answers
        reactor.run()
        assert (first.result, second.result) == (True, False)
        assert failing.called and failing.result.value is boom
        failing.addErrback(lambda failure: None)
        assert threads.busy == 0
        refused = threads.submit(lambda done: (_ for _ in ()).throw(TypeError("bad notice")))
        assert isinstance(refused.result.value, TypeError) and threads.busy == 0
        refused.addErrback(lambda failure: None)
        stopped = defer.Deferred.fromCoroutine(threads.stop())
        assert stopped.called
        late = threads.submit(lambda done: None)
        assert isinstance(late.result.value, NoticeStoreError)
        late.addErrback(lambda failure: None)
    finally:
        threads._stop_pool()


def test_stop_waits_for_a_submitted_call_until_it_is_answered():
    reactor = RecordingReactor()
    threads = StoreThreads(reactor, size=2)
    try:
        callbacks = []
        call = threads.submit(lambda done: callbacks.append(done))
        stopped = defer.Deferred.fromCoroutine(threads.stop())
        assert not stopped.called  # the store may not close under a queued accept
        callbacks[0](True, None)
        reactor.run()
        assert call.result is True and stopped.called
    finally:
        threads._stop_pool()


def test_run_answers_from_its_threads_in_bursts_and_starts_no_more_threads_than_calls():
    """``StoreThreads.run``: each call on a store thread (never the caller's), its answer or
    its error on the reactor, answers that came together in one wake-up; a thread is started
    only when a call finds none waiting, and never more than ``size``."""
    reactor = RecordingReactor()
    threads = StoreThreads(reactor, size=3)
    try:
        gate = threading.Event()
        where: list[str] = []

        def call(value):
            where.append(threading.current_thread().name)
            assert gate.wait(30)
            if value == "boom":
                raise NoticeStoreError("disk full")
            return value

        calls = [threads.run(call, v) for v in ("a", "b", "boom", "c")]
        assert threads.busy == 4 and len(threads._threads) == 3  # the 4th waits for one
        gate.set()
        for _ in range(3000):  # the threads answer (a bounded wait, no timing asserted)
            if len(where) == 4 and threads._queued == 0 and sum(
                    1 for t in threads._threads if t.is_alive()) == 3 and threads._waiting == 3:
                break
            threading.Event().wait(0.01)
        assert not any(d.called for d in calls) and 1 <= len(reactor.calls) <= 4
        reactor.run()
        assert [calls[0].result, calls[1].result, calls[3].result] == ["a", "b", "c"]
        assert calls[2].result.check(NoticeStoreError) and threads.busy == 0
        calls[2].addErrback(lambda failure: None)
        assert all(name.startswith("pfbus-store-") for name in where)
        assert threads.run(lambda: "again") is not None and len(threads._threads) == 3
        for _ in range(3000):
            if reactor.calls:
                break
            threading.Event().wait(0.01)
        reactor.run()
        stopped = defer.Deferred.fromCoroutine(threads.stop())
        assert stopped.called and threads._threads == []
        late = threads.run(lambda: None)
        assert isinstance(late.result.value, NoticeStoreError)
        late.addErrback(lambda failure: None)
    finally:
        threads._stop_pool()
