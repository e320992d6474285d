"""Backpressure (背圧), in process: while the routing log's writer is behind, the hub stops
reading new requests — its listening port accepts nothing and a connection between two requests
reads nothing — and reads again once the writer is back below its low-water mark; a request
being received goes on. The writer is slowed down for real (another connection holds the
SQLite write lock); the network edge is Twisted's test transports."""

from __future__ import annotations

import io
import json
import sqlite3

import pytest
from twisted.internet import defer
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.web.resource import Resource

from bus.core.jsonlog import JsonLineLog
from bus.hub.evidence import Evidence
from bus.hub.http import HubSite
from bus.store.routing_log import HopRecord
from tests.support.threaded_clock import ThreadedClock

HIGH_WATER = 6


class FakePort:
    """The listening port's reading (accepting) state."""

    connected = True
    reading = True

    def stopReading(self) -> None:
        self.reading = False

    def startReading(self) -> None:
        self.reading = True


@pytest.fixture
def hub(tmp_path):
    clock = ThreadedClock()
    out = io.StringIO()
    evidence = Evidence.open(clock, tmp_path / "log.sqlite3", JsonLineLog(out),
                             high_water=HIGH_WATER)
    site = HubSite(Resource())
    site.listening_port = port = FakePort()
    evidence.read_gate = site.hold_reads
    blocker = sqlite3.connect(tmp_path / "log.sqlite3", isolation_level=None)
    yield clock, evidence, site, port, blocker, out
    for channel in list(site.channels):  # their timeouts are on the global reactor: cancel them
        channel.connectionLost(Failure(ConnectionDone()))
    if blocker.in_transaction:
        blocker.execute("COMMIT")
    blocker.close()
    evidence.log.close()


def connect(site: HubSite) -> StringTransport:
    channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
    transport = StringTransport()
    channel.makeConnection(transport)
    return transport


def fill(evidence: Evidence, count: int) -> int:
    seq = 0
    for i in range(count):
        seq = evidence.log.record(HopRecord(hop="received", status="ok", message_id=f"m{i}"))
    return seq


def events(out: io.StringIO) -> list[str]:
    return [json.loads(line)["event"] for line in out.getvalue().splitlines()]


def test_reads_stop_while_the_log_is_behind_and_resume_below_low_water(hub):
    clock, evidence, site, port, blocker, out = hub
    idle = connect(site)
    receiving = connect(site)
    site_channels = {c.transport: c for c in site.channels}
    site_channels[receiving].dataReceived(b"POST /services/x HTTP/1.1\r\nHost: hub\r\n")
    blocker.execute("BEGIN IMMEDIATE")  # the writer waits for the lock: it falls behind
    fill(evidence, 3 * HIGH_WATER)
    assert evidence.log.health()["state"] == "behind"
    admitted = defer.Deferred.fromCoroutine(evidence.admit())  # a request read: held
    assert not admitted.called
    assert not port.reading, "the listening port still accepts connections"
    assert idle.producerState == "paused", "an idle connection still reads requests"
    assert receiving.producerState == "producing"  # a request being received goes on
    site_channels[idle].resumeProducing()  # Twisted's flow control (answers taken) ...
    assert idle.producerState == "paused"  # ... does not undo the hub's hold
    late = connect(site)  # accepted just before the port stopped: held from the start
    assert late.producerState == "paused"
    assert events(out)[-1] == "evidence.reads_held"
    blocker.execute("COMMIT")  # the writer catches up
    clock.settle(lambda: port.reading)
    assert evidence.log.health()["backlog"] <= HIGH_WATER // 2
    assert idle.producerState == late.producerState == "producing"
    assert events(out)[-1] == "evidence.reads_released"
    clock.advance(evidence.poll_interval)
    assert admitted.called and admitted.result is None


def test_a_hold_is_bounded_then_refusals_take_over(hub):
    clock, evidence, site, port, blocker, out = hub
    idle = connect(site)
    blocker.execute("BEGIN IMMEDIATE")
    fill(evidence, 3 * HIGH_WATER)
    evidence.pressure()
    assert not port.reading and idle.producerState == "paused"
    clock.advance(evidence.hold_timeout)  # still behind after the hold: read again (and refuse)
    assert port.reading and idle.producerState == "producing"
    evidence.pressure()
    assert port.reading, "held again in the same episode: requests would wait unbounded"
    blocker.execute("COMMIT")
    evidence.log.flush(timeout=30)
    clock.settle(lambda: evidence.log.health()["backlog"] == 0)
    evidence.pressure()  # back below low water: the next episode may hold again
    blocker.execute("BEGIN IMMEDIATE")
    fill(evidence, 3 * HIGH_WATER)
    evidence.pressure()
    assert not port.reading


def test_reads_are_released_when_writing_fails(hub, tmp_path):
    clock, evidence, site, port, blocker, _ = hub
    idle = connect(site)
    blocker.execute("BEGIN IMMEDIATE")
    fill(evidence, 3 * HIGH_WATER)
    evidence.pressure()
    assert not port.reading
    # committed with the lock's release: the writer's first attempt after it already fails
    blocker.execute("ALTER TABLE hops RENAME TO hops_away")
    blocker.execute("COMMIT")
    clock.settle(lambda: evidence.log.health()["state"] == "failing" and port.reading)
    assert idle.producerState == "producing"  # refused at once, not left waiting
    blocker.execute("ALTER TABLE hops_away RENAME TO hops")
    evidence.log.flush(timeout=30)


def test_an_archive_behind_holds_reads_too(tmp_path):
    import os

    from bus.store.archive import PayloadArchive

    clock = ThreadedClock()
    archive = PayloadArchive(tmp_path / "archive.sqlite3", os.urandom(32), high_water=HIGH_WATER)
    evidence = Evidence.open(clock, tmp_path / "log.sqlite3", archive=archive)
    site = HubSite(Resource())
    site.listening_port = port = FakePort()
    evidence.read_gate = site.hold_reads
    blocker = sqlite3.connect(tmp_path / "archive.sqlite3", isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        for i in range(3 * HIGH_WATER):
            archive.store(f"m{i}", "request", b"<a/>")
        evidence.pressure()
        assert not port.reading
        blocker.execute("COMMIT")
        clock.settle(lambda: port.reading)
        assert archive.health()["backlog"] <= HIGH_WATER // 2
    finally:
        blocker.close()
        archive.close()
        evidence.log.close()
