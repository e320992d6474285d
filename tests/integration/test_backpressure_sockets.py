"""Backpressure over real sockets: the hub's HTTP edge (HubSite, HubChannel) on Twisted's reactor
(in a thread), a real routing log whose writer is slowed down by another connection holding the
SQLite write lock. While the writer is behind, the reactor no longer watches the listening socket
(no new connection is accepted) nor an open connection between requests (no new request is
read); a request sent meanwhile is answered once the writer is back below its low-water mark.
Observed through the reactor's own set of watched descriptors, not through timing."""

from __future__ import annotations

import socket
import sqlite3

import pytest
from twisted.internet.threads import blockingCallFromThread
from twisted.web.resource import Resource

from adapters.sdk.testing import reactor_thread
from bus.hub.evidence import Evidence
from bus.hub.http import HubSite
from bus.store.routing_log import HopRecord
from tests.support.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

HIGH_WATER = 5
REQUEST = (b"POST /x HTTP/1.1\r\nHost: hub\r\nContent-Type: text/xml\r\n"
           b"Content-Length: 4\r\n\r\n<a/>")


class Recording(Resource):
    """Each request records hops, as an exchange does, then lets Evidence look at the backlog
    (as ``Evidence.released`` does at the end of every exchange)."""

    isLeaf = True

    def __init__(self, evidence: Evidence) -> None:
        super().__init__()
        self.evidence = evidence
        self.served = 0

    def render_POST(self, request) -> bytes:
        for _ in range(3 * HIGH_WATER):
            self.evidence.log.record(HopRecord(hop="received", status="ok"))
        self.evidence.pressure()
        self.served += 1
        return b"ok"


def answer(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"ok"):
        chunk = sock.recv(4096)
        assert chunk, "the hub closed the connection"
        data += chunk
    return data


def test_reads_pause_while_the_log_is_behind_and_resume_after(tmp_path):
    reactor = reactor_thread()
    evidence = blockingCallFromThread(reactor, lambda: Evidence.open(
        reactor, tmp_path / "log.sqlite3", high_water=HIGH_WATER))
    resource = Recording(evidence)
    site = HubSite(resource)
    port = blockingCallFromThread(reactor, reactor.listenTCP, 0, site, interface="127.0.0.1")
    site.listening_port = port
    evidence.read_gate = site.hold_reads
    blocker = sqlite3.connect(tmp_path / "log.sqlite3", isolation_level=None)
    client = socket.create_connection(("127.0.0.1", port.getHost().port), timeout=30)

    def watched(*things) -> list[bool]:
        readers = blockingCallFromThread(reactor, reactor.getReaders)
        return [thing in readers for thing in things]

    try:
        client.sendall(REQUEST)
        assert answer(client).startswith(b"HTTP/1.1 200")  # the writer keeps up: served
        (channel,) = site.channels
        connection = channel.transport
        # its 15 records put the writer behind for a moment; it keeps up, so reads go on
        wait_until(lambda: watched(port, connection) == [True, True], 10, "reads to go on")
        blocker.execute("BEGIN IMMEDIATE")  # the writer now waits for the lock
        client.sendall(REQUEST)  # read (between requests, reads were on) and served ...
        assert answer(client).startswith(b"HTTP/1.1 200")
        # ... its records put the writer behind: neither the port nor the connection is read
        wait_until(lambda: watched(port, connection) == [False, False], 10,
                   "the reactor to stop reading the port and the idle connection")
        assert evidence.reads_held and evidence.log.health()["state"] == "behind"
        client.sendall(REQUEST)  # waits in the socket's buffer
        assert resource.served == 2
        blocker.execute("COMMIT")  # the writer catches up
        assert answer(client).startswith(b"HTTP/1.1 200")  # read once reads resume
        assert resource.served == 3
        # its own records may put the writer behind again for a moment; once it caught up:
        wait_until(lambda: watched(port, connection) == [True, True], 10, "reads to resume")
    finally:
        client.close()
        if blocker.in_transaction:
            blocker.execute("COMMIT")
        blocker.close()
        blockingCallFromThread(reactor, port.stopListening)
        evidence.log.close()
