"""The hub's HTTP requests (bus/hub/http.LimitedRequest) do not parse a SOAP POST's body as a
form: Twisted would otherwise run every request's Content-Type through the ``email`` package
(issue 13: ~3 % of the hub's CPU per exchange) for ``request.args`` nothing on the hub reads."""

from __future__ import annotations

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
