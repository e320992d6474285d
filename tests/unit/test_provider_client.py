"""One provider's connections (bus/hub/provider_client.py) over in-memory transports and a
Clock: reuse, closing, unasked bytes, cancel and close on stop, without sockets."""

from __future__ import annotations

import pytest
from twisted.internet import defer, error
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from bus.hub.http_answer import Answer, AnswerTooLarge, MalformedAnswer
from bus.hub.provider_client import IDLE_TIMEOUT, ConnectionFailed, ProviderLink

OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 2\r\n\r\nok"


class Endpoint:
    """Connects at once, over a StringTransport; keeps every connection made."""

    def __init__(self):
        self.made: list = []

    def connect(self, factory):
        connection = factory.buildProtocol(None)
        connection.makeConnection(StringTransport())
        self.made.append(connection)
        return defer.succeed(connection)


@pytest.fixture
def link():
    clock, endpoint = Clock(), Endpoint()
    made = ProviderLink(clock, lambda: endpoint, cap=4)
    made.clock, made.made = clock, endpoint.made
    return made


def send(link, request=b"POST / HTTP/1.1\r\n\r\n", limit=100):
    results: list = []
    link.exchange(request, limit).addBoth(results.append)
    return results


def lose(connection, why=error.ConnectionDone):
    connection.connectionLost(Failure(why()))


def test_an_answered_connection_is_reused_and_closed_once_idle_too_long(link):
    first = send(link, b"one")
    connection = link.made[0]
    assert connection.transport.value() == b"one"
    connection.dataReceived(OK)
    assert first == [Answer(200, "text/xml", b"ok", True)]
    second = send(link, b"two")
    assert len(link.made) == 1 and connection.transport.value() == b"onetwo"
    connection.dataReceived(OK)
    assert second[0].body == b"ok"
    link.clock.advance(IDLE_TIMEOUT - 1)
    assert not connection.transport.disconnecting
    link.clock.advance(1)
    assert connection.transport.disconnecting
    lose(connection)
    send(link)
    assert len(link.made) == 2  # the closed one is not handed out again


def test_an_answer_ending_the_connection_is_not_reused(link):
    send(link)
    link.made[0].dataReceived(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    assert link.made[0].transport.disconnecting
    send(link)
    assert len(link.made) == 2


def test_bytes_nobody_asked_for_close_the_connection(link):
    send(link)
    connection = link.made[0]
    connection.dataReceived(OK)
    connection.dataReceived(b"HTTP/1.1 200 OK\r\n")  # idle, unasked
    assert connection.transport.disconnected  # aborted
    send(link)
    assert len(link.made) == 2


def test_bytes_after_the_answer_close_the_connection_and_the_answer_stands(link):
    result = send(link)
    link.made[0].dataReceived(OK + b"HTTP/1.1 200 OK\r\n")
    assert result[0].body == b"ok" and link.made[0].transport.disconnected
    send(link)
    assert len(link.made) == 2


@pytest.mark.parametrize("data, kind", [(b"HTTP/1.1 200 OK\r\nX : y\r\n\r\n", MalformedAnswer),
                                        (b"HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n",
                                         AnswerTooLarge)])
def test_a_refused_answer_fails_and_closes_its_connection(link, data, kind):
    result = send(link)
    link.made[0].dataReceived(data)
    assert result[0].check(kind) and link.made[0].transport.disconnected
    lose(link.made[0], error.ConnectionAborted)  # the abort's end: no second failure
    assert len(result) == 1


def test_a_connection_lost_mid_answer_fails_with_its_reason(link):
    result = send(link)
    link.made[0].dataReceived(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok")
    lose(link.made[0], error.ConnectionLost)
    assert result[0].check(ConnectionFailed)
    assert str(result[0].value) == "closed in the middle of the answer (ConnectionLost)"
    assert result[0].value.reasons[0].check(error.ConnectionLost)


def test_an_answer_ended_by_the_close_is_complete(link):
    result = send(link)
    link.made[0].dataReceived(b"HTTP/1.1 200 OK\r\n\r\nwhole")
    assert result == []
    lose(link.made[0])
    assert result == [Answer(200, None, b"whole", False)]


def test_a_cancelled_exchange_aborts_its_connection(link):
    d = link.exchange(b"x", 100)
    link.made[0].dataReceived(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok")
    d.cancel()
    failures: list = []
    d.addErrback(failures.append)
    assert failures[0].check(defer.CancelledError) and link.made[0].transport.disconnected
    link.made[0].dataReceived(b"123")  # late bytes, ignored
    lose(link.made[0], error.ConnectionAborted)
    send(link)
    assert len(link.made) == 2


def test_close_ends_the_idle_connections_and_any_returned_later(link):
    send(link)
    busy = send(link)
    idle, working = link.made
    idle.dataReceived(OK)
    closed: list = []
    link.close().addCallback(closed.append)
    assert idle.transport.disconnecting and not closed
    lose(idle)
    assert closed == [[None]]
    working.dataReceived(OK)
    assert busy[0].body == b"ok" and working.transport.disconnecting
