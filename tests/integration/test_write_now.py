"""Writes sent at once (bus/hub/write_now.py, issue 13), over real sockets on Twisted's reactor:
an answer of the hub's HTTP edge and a write through ``write_now`` leave nothing queued on their
plain TCP transport (the reactor is never asked to watch the socket for writing), the bytes
arrive whole and in order, and a write behind queued bytes goes behind them. Observed through
the transport's own calls, not through timing."""

from __future__ import annotations

import socket

import pytest
from twisted.internet import protocol
from twisted.internet.testing import StringTransport
from twisted.internet.threads import blockingCallFromThread
from twisted.web.resource import Resource

from adapters.sdk.testing import reactor_thread
from bus.hub.http import HubSite
from bus.hub.write_now import write_now
from tests.support.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

REQUEST = (b"POST /x HTTP/1.1\r\nHost: hub\r\nContent-Type: text/xml\r\n"
           b"Content-Length: 4\r\n\r\n<a/>")


class Answering(Resource):
    isLeaf = True

    def render_POST(self, request) -> bytes:
        return b"<answer/>"

    def render_HEAD(self, request) -> bytes:
        return b"<answer/>"


def _read_answer(sock: socket.socket, end: bytes) -> bytes:
    data = b""
    while not data.endswith(end):
        chunk = sock.recv(4096)
        assert chunk, "the connection closed"
        data += chunk
    return data


def _count_queued_writes(reactor, transport) -> list[int]:
    calls = [0]
    original = transport.startWriting

    def counting() -> None:
        calls[0] += 1
        original()

    blockingCallFromThread(reactor, setattr, transport, "startWriting", counting)
    return calls


def test_the_hub_answers_in_one_write_sent_at_once():
    reactor = reactor_thread()
    site = HubSite(Answering())
    port = blockingCallFromThread(reactor, reactor.listenTCP, 0, site, interface="127.0.0.1")
    client = socket.create_connection(("127.0.0.1", port.getHost().port), timeout=30)
    try:
        client.sendall(REQUEST)
        assert _read_answer(client, b"<answer/>").startswith(b"HTTP/1.1 200 OK\r\n")
        (channel,) = site.channels
        queued = _count_queued_writes(reactor, channel.transport)
        for _ in range(3):
            client.sendall(REQUEST)
            answer = _read_answer(client, b"<answer/>")
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Content-Length: 9" in head
            assert body == b"<answer/>"
        client.sendall(b"HEAD /x HTTP/1.1\r\nHost: hub\r\n\r\n")  # a head without a body
        assert _read_answer(client, b"\r\n\r\n").startswith(b"HTTP/1.1 200 OK\r\n")
        assert queued == [0]
    finally:
        client.close()
        blockingCallFromThread(reactor, port.stopListening)


class _Collect(protocol.Protocol):
    def __init__(self) -> None:
        self.data = b""

    def dataReceived(self, data: bytes) -> None:
        self.data += data


def test_write_now_sends_at_once_and_keeps_the_order_behind_queued_bytes():
    reactor = reactor_thread()
    received = _Collect()
    factory = protocol.Factory.forProtocol(lambda: received)
    port = blockingCallFromThread(reactor, reactor.listenTCP, 0, factory, interface="127.0.0.1")
    connected = blockingCallFromThread(
        reactor, protocol.ClientCreator(reactor, protocol.Protocol).connectTCP, "127.0.0.1",
        port.getHost().port)
    transport = connected.transport
    try:
        queued = _count_queued_writes(reactor, transport)
        blockingCallFromThread(reactor, write_now, transport, b"first ")
        assert queued == [0] and not transport.dataBuffer and not transport._tempDataBuffer
        wait_until(lambda: received.data == b"first ", 10, "the first write")

        def queued_then_now() -> None:
            transport.write(b"second ")  # queued: sent on the reactor's next turn
            write_now(transport, b"third")  # behind it, so queued too
        blockingCallFromThread(reactor, queued_then_now)
        wait_until(lambda: received.data == b"first second third", 10, "the writes in order")
        assert queued == [2]
    finally:
        blockingCallFromThread(reactor, transport.loseConnection)
        blockingCallFromThread(reactor, port.stopListening)


def test_another_transport_is_written_as_before():
    transport = StringTransport()
    write_now(transport, b"abc")
    write_now(transport, b"")
    assert transport.value() == b"abc"


class _BigAnswer(Resource):
    isLeaf = True
    body = bytes(range(256)) * 1200  # 307,200 bytes: sent with its head, not joined to it

    def render_POST(self, request) -> bytes:
        return self.body


def _read_answer_of(sock: socket.socket, body_bytes: int) -> tuple[bytes, bytes]:
    """(head, body) of one answer whose body is ``body_bytes`` long."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < body_bytes:
        chunk = sock.recv(1 << 20)
        assert chunk, "the connection closed"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body


def test_a_big_answer_goes_with_its_head_whole_and_in_order(monkeypatch):
    import bus.hub.write_now as module
    joined: list[int] = []
    original = module.write_now

    def counting(transport, data):  # every join of head and body ends here
        joined.append(len(data))
        original(transport, data)
    monkeypatch.setattr(module, "write_now", counting)
    reactor = reactor_thread()
    site = HubSite(_BigAnswer())
    port = blockingCallFromThread(reactor, reactor.listenTCP, 0, site, interface="127.0.0.1")
    client = socket.create_connection(("127.0.0.1", port.getHost().port), timeout=30)
    try:
        for _ in range(3):
            client.sendall(REQUEST)
            head, body = _read_answer_of(client, len(_BigAnswer.body))
            assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Content-Length: 307200" in head
            assert body == _BigAnswer.body
        assert joined == []  # never joined, never copied through write_now
    finally:
        client.close()
        blockingCallFromThread(reactor, port.stopListening)


class _Trickle:
    """A socket that takes at most ``limit`` bytes per sendmsg (a full send buffer)."""

    def __init__(self, sock, limit: int) -> None:
        self._sock, self.limit = sock, limit

    def sendmsg(self, buffers):
        data = b"".join(buffers)[:self.limit]
        return self._sock.send(data)

    def __getattr__(self, name):
        return getattr(self._sock, name)


@pytest.mark.parametrize("limit", [0, 3, 20, 5000])
def test_what_the_socket_did_not_take_is_queued_in_order(limit):
    from bus.hub.write_now import write_now_pair
    reactor = reactor_thread()
    received = _Collect()
    factory = protocol.Factory.forProtocol(lambda: received)
    port = blockingCallFromThread(reactor, reactor.listenTCP, 0, factory, interface="127.0.0.1")
    connected = blockingCallFromThread(
        reactor, protocol.ClientCreator(reactor, protocol.Protocol).connectTCP, "127.0.0.1",
        port.getHost().port)
    transport = connected.transport
    head, body = b"HEAD-" * 3, bytes(range(256)) * 64
    try:
        def send() -> None:
            real = transport.socket
            transport.socket = _Trickle(real, limit)
            try:
                write_now_pair(transport, head, body)
            finally:
                transport.socket = real
        blockingCallFromThread(reactor, send)
        wait_until(lambda: len(received.data) >= len(head + body), 10, "the whole answer")
        assert received.data == head + body
    finally:
        blockingCallFromThread(reactor, transport.loseConnection)
        blockingCallFromThread(reactor, port.stopListening)
