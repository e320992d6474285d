"""The hub's HTTP requests (bus/hub/http_request.LimitedRequest) do not parse a SOAP POST's body as a
form: Twisted would otherwise run every request's Content-Type through the ``email`` package
(issue 13: ~3 % of the hub's CPU per exchange) for ``request.args`` nothing on the hub reads;
and they read a body in memory, never into a temporary file."""

from __future__ import annotations

from io import BytesIO

from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport
from twisted.web import http as twisted_http
from twisted.web.resource import Resource

from bus.hub.http import HubSite


class Echo(Resource):
    isLeaf = True

    def __init__(self):
        super().__init__()
        self.seen: list[tuple[bytes, dict]] = []

    def render_POST(self, request):
        self.seen.append((request.content.read(), request.args))
        return b"ok"


def test_a_soap_post_is_served_without_parsing_its_content_type_as_a_form(monkeypatch):
    parsed: list[bytes] = []
    original = twisted_http._parseContentType

    def counting(line: bytes) -> bytes:
        parsed.append(line)
        return original(line)

    monkeypatch.setattr(twisted_http, "_parseContentType", counting)
    resource = Echo()
    channel = HubSite(resource).buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
    transport = StringTransport()
    channel.makeConnection(transport)
    body = b"<e/>a=1&b=2"
    channel.dataReceived(b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Type: text/xml; charset=utf-8"
                         b"\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    assert resource.seen == [(body, {})]  # the body reaches the resource whole, untouched
    assert transport.value().startswith(b"HTTP/1.1 200")
    assert parsed == []


def test_big_and_chunked_bodies_are_read_in_memory_not_into_temporary_files(monkeypatch):
    # Twisted opens a temporary file for a body over 100,000 bytes or without Content-Length;
    # the hub's bodies are bounded by max_bytes and read whole at once.
    opened: list[object] = []
    monkeypatch.setattr(twisted_http.tempfile, "TemporaryFile",
                        lambda *a, **k: opened.append(a) or BytesIO())
    resource = Echo()
    body = b"<e>" + b"x" * 150_000 + b"</e>"
    for framing, payload in (
            (b"Content-Length: %d" % len(body), body),
            (b"Transfer-Encoding: chunked", b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))):
        channel = HubSite(resource).buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        transport = StringTransport()
        channel.makeConnection(transport)
        channel.dataReceived(b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Type: text/xml\r\n%s\r\n"
                             b"\r\n%s" % (framing, payload))
        assert transport.value().startswith(b"HTTP/1.1 200"), transport.value()[:200]
    assert [seen for seen, _ in resource.seen] == [body, body]
    assert opened == []
