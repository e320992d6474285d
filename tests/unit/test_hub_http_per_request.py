"""What the hub's HTTP edge computes once instead of per request (issue 13): the Date header once
a second, the peer's address once per connection, a path's segments once per path — with the
same answers as before."""

from __future__ import annotations

from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.testing import StringTransport
from twisted.web import http as twisted_http
from twisted.web.resource import Resource

import pytest

from bus.core.request_path import PathRefused, path_segments
from bus.hub import http_answers
from bus.hub.http import HubSite
from bus.hub.http_answers import address_text, http_date


def test_http_date_is_twisteds_for_each_second_and_formatted_once_a_second(monkeypatch):
    formatted: list[float] = []
    original = twisted_http.datetimeToString
    monkeypatch.setattr(twisted_http, "datetimeToString",
                        lambda t=None: formatted.append(t) or original(t))
    monkeypatch.setattr(http_answers, "_date", (-1, b""))
    assert http_date(1_700_000_000.2) == original(1_700_000_000) \
        == b"Tue, 14 Nov 2023 22:13:20 GMT"
    assert http_date(1_700_000_000.9) == b"Tue, 14 Nov 2023 22:13:20 GMT"
    assert http_date(1_700_000_001.0) == b"Tue, 14 Nov 2023 22:13:21 GMT"
    assert formatted == [1_700_000_000, 1_700_000_001]


@pytest.mark.parametrize("address, text", [
    (IPv4Address("TCP", "127.0.0.1", 40000), "127.0.0.1:40000"),
    (IPv6Address("TCP", "::1", 40000), "[::1]:40000"),
    (UNIXAddress(b"/tmp/s"), ""),
])
def test_address_text(address, text):
    assert address_text(address) == text


def test_a_path_is_split_once_and_a_refused_path_is_refused_every_time():
    path_segments.cache_clear()
    first = path_segments(b"/services/juki.ResidentInquiry")
    assert first == ("services", "juki.ResidentInquiry")
    assert path_segments(b"/services/juki.ResidentInquiry") is first
    assert path_segments.cache_info().hits == 1
    for _ in range(2):
        with pytest.raises(PathRefused):
            path_segments(b"/services/%2e%2e")
    assert path_segments.cache_info().currsize == 1


class Peer(Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"%s %s" % (request.getClientAddress().host.encode(),
                           request.channel.remote.encode())


def test_the_peer_address_is_read_once_per_connection_and_each_answer_is_dated_and_pfbus():
    asked: list[int] = []
    transport = StringTransport(peerAddress=IPv4Address("TCP", "10.0.0.7", 41000))
    peer = transport.getPeer
    transport.getPeer = lambda: asked.append(1) or peer()  # type: ignore[method-assign]
    channel = HubSite(Peer()).buildProtocol(IPv4Address("TCP", "10.0.0.7", 41000))
    channel.makeConnection(transport)
    channel.dataReceived(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n" * 3)
    answers = transport.value().split(b"HTTP/1.1 200 OK\r\n")[1:]
    assert len(answers) == 3 and len(asked) == 1
    for answer in answers:
        head, _, body = answer.partition(b"\r\n\r\n")
        assert body.startswith(b"10.0.0.7 10.0.0.7:41000")
        assert b"\r\nServer: pfbus" in b"\r\n" + head
        assert b"\r\nDate: " in b"\r\n" + head
