"""Evidence or refuse for the payload archive (bus/hub/evidence.py), in process: a hub with
``[store] archive`` admits a new exchange only while the archive keeps up, and releases a reply
only once its payloads are committed. Real SQLite files; the writers' threads hand their commits
back through ``callFromThread``, which the tests run (bounded waits, never timed assertions)."""

from __future__ import annotations

import io
import json
import os
import sqlite3

import pytest
from twisted.internet import defer

from bus.core.faults import HubFault
from bus.core.jsonlog import JsonLineLog
from bus.hub.evidence import Evidence
from bus.store.archive import PayloadArchive
from tests.support.threaded_clock import ThreadedClock


@pytest.fixture
def hub_parts(tmp_path):
    clock = ThreadedClock()
    out = io.StringIO()
    archive = PayloadArchive(tmp_path / "archive.sqlite3", os.urandom(32))
    evidence = Evidence.open(clock, tmp_path / "log.sqlite3", JsonLineLog(out),
                             archive=archive)
    evidence.hold_timeout = 0.0
    yield clock, evidence, archive, out
    archive.close()
    evidence.log.close()


def events(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def refusal(d: defer.Deferred) -> HubFault:
    failures = []
    d.addErrback(failures.append)
    assert failures, "admitted"
    fault = failures[0].value
    assert isinstance(fault, HubFault) and fault.fault.code == "PF-LOG-UNAVAILABLE"
    return fault


def test_a_failing_archive_refuses_new_exchanges_until_it_writes_again(hub_parts, tmp_path):
    clock, evidence, archive, out = hub_parts
    other = sqlite3.connect(tmp_path / "archive.sqlite3")
    try:
        other.execute("ALTER TABLE payloads RENAME TO payloads_away")
        other.commit()
        archive.store("m1", "request", b"<a/>")
        clock.settle(lambda: "payload_archive.unavailable" in
                     [e["event"] for e in events(out)])
        fault = refusal(defer.Deferred.fromCoroutine(evidence.admit("vendor-b", "10.0.0.1:5")))
        assert fault.first is not None and fault.first.rule == "archive:failing"
        assert "no such table" in fault.first.message
        names = [e["event"] for e in events(out)]
        assert "payload_archive.unavailable" in names and "payload_archive.refused" in names
        other.execute("ALTER TABLE payloads_away RENAME TO payloads")
        other.commit()
        archive.flush(timeout=10)
    finally:
        other.close()
    admitted = defer.Deferred.fromCoroutine(evidence.admit())
    assert admitted.called and admitted.result is None
    assert events(out)[-1]["event"] == "payload_archive.available"
    assert [p.kind for p in archive.read("m1")] == ["request"]  # kept, not dropped


def test_an_archive_behind_holds_then_refuses(hub_parts, tmp_path):
    clock, evidence, archive, _ = hub_parts
    archive.high_water = 3
    other = sqlite3.connect(tmp_path / "archive.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # the writer waits for the lock: a full queue
        for i in range(10):
            archive.store(f"m{i}", "request", b"<a/>")
        fault = refusal(defer.Deferred.fromCoroutine(evidence.admit()))
        assert fault.first is not None and fault.first.rule == "archive:behind"
    finally:
        other.execute("COMMIT")
        other.close()
    archive.flush(timeout=30)
    assert archive.dropped == 0 and len(archive.read("m9")) == 1


def test_a_reply_waits_for_its_payloads_to_be_committed(hub_parts, tmp_path):
    clock, evidence, archive, _ = hub_parts
    other = sqlite3.connect(tmp_path / "archive.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        seq = archive.store("m1", "request", b"<a/>")
        released = defer.Deferred.fromCoroutine(evidence.released(None, seq))
        assert not released.called  # not in the file yet: the answer is withheld
    finally:
        other.execute("COMMIT")
        other.close()
    clock.settle(lambda: released.called)
    assert released.result is None and archive.committed() >= seq


def test_a_reply_whose_payloads_never_commit_is_replaced_by_a_refusal(hub_parts, tmp_path):
    clock, evidence, archive, _ = hub_parts
    other = sqlite3.connect(tmp_path / "archive.sqlite3")
    try:
        other.execute("ALTER TABLE payloads RENAME TO payloads_away")
        other.commit()
        seq = archive.store("m1", "response", b"<a/>")
        released = defer.Deferred.fromCoroutine(evidence.released(None, seq))
        clock.advance(evidence.commit_timeout)
        fault = refusal(released)
        assert fault.first is not None and fault.first.rule == "archive:commit"
        other.execute("ALTER TABLE payloads_away RENAME TO payloads")
        other.commit()
    finally:
        other.close()
    archive.flush(timeout=10)
    assert len(archive.read("m1")) == 1  # still archived, later: the client was refused
