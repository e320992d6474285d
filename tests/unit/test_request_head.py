"""A whole, plain request head read in one pass (bus/hub/request_head.py, issue 13): what is
read, what is left to Twisted's line-by-line reading, and that the channel answers and ends in
the same state either way, for plain heads and for every kind the one pass declines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.web.resource import Resource

import pytest

from bus.hub import http as hub_http
from bus.hub import http_request
from bus.hub.http import MAX_HEADER_BYTES, MAX_HEADERS, MAX_REQUEST_LINE, HubSite
from bus.hub.request_head import simple_head

SOAP = b"<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'/>"


def head(*lines: bytes) -> bytes:
    return b"\r\n".join(lines) + b"\r\n\r\n"


def post(body: bytes = SOAP, *extra: bytes, ctype: bytes = b"text/xml; charset=utf-8") -> bytes:
    return head(b"POST /services/juki.ResidentInquiry HTTP/1.1", b"Host: h",
                b"Content-Type: " + ctype, b'SOAPAction: "urn:pfbus:service:x"',
                b"Content-Length: %d" % len(body), *extra) + body


def read(data: bytes):
    return simple_head(data, MAX_REQUEST_LINE, MAX_HEADER_BYTES, MAX_HEADERS)


def test_a_plain_head_is_read_as_twisted_stores_it():
    data = post() + b"GET / HTTP/1.1\r\n\r\n"
    got = read(data)
    assert got is not None
    assert (got.command, got.path, got.version) == (
        b"POST", b"/services/juki.ResidentInquiry", b"HTTP/1.1")
    assert got.headers == [(b"Host", b"h"), (b"Content-Type", b"text/xml; charset=utf-8"),
                           (b"Soapaction", b'"urn:pfbus:service:x"'),
                           (b"Content-Length", b"%d" % len(SOAP))]
    assert got.length == len(SOAP)
    assert data[got.end:got.end + len(SOAP)] == SOAP
    assert got.size == sum(map(len, data[:got.end - 4].split(b"\r\n")))


def test_values_are_stripped_of_spaces_and_tabs_and_a_head_without_length_has_none():
    got = read(head(b"GET /health HTTP/1.0", b"X-A: \t v  ", b"x-b:"))
    assert got is not None and got.length == 0
    assert got.headers == [(b"X-A", b"v"), (b"X-B", b"")]


@pytest.mark.parametrize("data", [
    b"POST / HTTP/1.1\r\nHost: h\r\n",  # incomplete
    b"\r\n" + post(),  # the empty line some clients send first
    head(b"POST / HTTP/1.1", b"Host: h", b" folded"),
    head(b"POST / HTTP/1.1", b"Host: h", b"\tfolded"),
    head(b"POST / HTTP/1.1", b"no colon"),
    head(b"POST / HTTP/1.1", b"Bad Name: v"),
    head(b"POST / HTTP/1.1", b": empty name"),
    head(b"POST / HTTP/1.1", b"X: a\x00b"),
    head(b"POST / HTTP/1.1", b"X: a\nb"),
    head(b"POST / HTTP/1.1", b"X: a\rb"),
    head(b"POST / HTTP/1.1", b"Transfer-Encoding: chunked"),
    head(b"POST / HTTP/1.1", b"transfer-encoding: identity"),
    head(b"POST / HTTP/1.1", b"Expect: 100-continue"),
    head(b"POST / HTTP/1.1", b"Content-Length: 1", b"Content-Length: 1"),
    head(b"POST / HTTP/1.1", b"Content-Length: +1"),
    head(b"POST / HTTP/1.1", b"Content-Length: 1 2"),
    head(b"POST / HTTP/1.1", *[b"X-%d: v" % i for i in range(MAX_HEADERS + 1)]),
    head(b"POST / HTTP/1.1", b"X: " + b"v" * MAX_REQUEST_LINE),
    head(b"POST / HTTP/1.1", *[b"X-%d: " % i + b"v" * 8000 for i in range(3)]),
    head(b"POST /" + b"a" * MAX_REQUEST_LINE + b" HTTP/1.1"),
    head(b"POST / HTTP/2.0"),
    head(b"POST  / HTTP/1.1"),
    head(b"POST /a b HTTP/1.1"),
    head(b"P\xc3ST / HTTP/1.1"),
])
def test_anything_but_a_whole_plain_head_is_left_to_twisted(data):
    assert read(data) is None


class Echo(Resource):
    """Answers with everything the request was read as."""

    isLeaf = True

    def render(self, request):
        return repr((request.method, request.uri, request.clientproto,
                     list(request.requestHeaders.getAllRawHeaders()),
                     request.content.read() if request.content else None)).encode()


def converse(chunks: list[bytes], one_pass: bool, monkeypatch) -> tuple:
    """What a channel answers to ``chunks`` and the state it is left in, with the one-pass
    reading on or off."""
    with monkeypatch.context() as m:
        if not one_pass:
            m.setattr(hub_http, "simple_head", lambda *args: None)
        m.setattr(http_request, "http_date", lambda now=None: b"Thu, 03 Dec 2026 00:00:00 GMT")
        clock = Clock()
        transport = StringTransport(peerAddress=IPv4Address("TCP", "10.0.0.7", 41000))
        channel = HubSite(Echo()).buildProtocol(IPv4Address("TCP", "10.0.0.7", 41000))
        channel.callLater = clock.callLater
        channel.makeConnection(transport)
        for chunk in chunks:
            clock.advance(1)  # so that a timeout reset or not shows in the calls' times
            if not transport.disconnecting:
                channel.dataReceived(chunk)
        deadline = channel._read_deadline
        return (transport.value(), transport.disconnecting, channel.persistent,
                len(channel.requests), channel._receivedHeaderCount,
                channel._receivedHeaderSize, channel.line_mode, channel._buffer,
                channel.length, deadline is not None and deadline.active(),
                [call.getTime() for call in clock.getDelayedCalls()])


CONVERSATIONS = {
    "one POST": [post()],
    "head, then body": [post()[:-len(SOAP)], SOAP],
    "two pipelined": [post() + post(b"<x/>")],
    "a POST and a partial one": [post() + post()[:30]],
    "keep-alive, then close": [post(), post(SOAP, b"Connection: close"), post()],
    "HTTP/1.0": [post().replace(b"HTTP/1.1", b"HTTP/1.0", 1)],
    "GET": [head(b"GET /health HTTP/1.1", b"Host: h")],
    "empty POST": [post(b"")],
    "not SOAP (415)": [post(SOAP, ctype=b"application/json")],
    "too large (413)": [post(SOAP).replace(b"Content-Length: %d" % len(SOAP),
                                           b"Content-Length: 99999999999")],
    "expect": [post(SOAP, b"Expect: 100-continue")],
    "chunked": [head(b"POST / HTTP/1.1", b"Content-Type: text/xml", b"Transfer-Encoding: chunked")
                + b"5\r\n<x/>\n\r\n0\r\n\r\n"],
    "two lengths": [post(SOAP, b"Content-Length: 3")],
    "bad line": [head(b"POST / HTTP/3")],
    "folded": [post(SOAP, b"X: a", b" b")],
    "too many": [post(SOAP, *[b"X-%d: v" % i for i in range(MAX_HEADERS)])],
    "at the limit": [post(SOAP, *[b"X-%d: v" % i for i in range(MAX_HEADERS - 4)])],
    "too big": [post(SOAP, *[b"X-%d: " % i + b"v" * 8000 for i in range(3)])],
    "repeated names": [post(SOAP, b"X: 1", b"x: 2", b"X:3")],
}


@pytest.mark.parametrize("name", CONVERSATIONS)
def test_the_channel_answers_and_ends_the_same_with_or_without_the_one_pass(name, monkeypatch):
    chunks = CONVERSATIONS[name]
    assert converse(chunks, True, monkeypatch) == converse(chunks, False, monkeypatch)


_LINE = st.sampled_from([
    b"Host: h", b"Content-Type: text/xml", b"Content-Type: application/soap+xml",
    b"Content-Type: text/plain", b"Content-Length: 4", b"Content-Length: 0",
    b"Content-Length: x", b"Connection: close", b"Expect: 100-continue",
    b"Transfer-Encoding: chunked", b"X: \tv ", b" folded", b"no colon", b"Bad Name: v",
    b"X: \x00", b"SOAPAction: a", b"", b"X: " + b"v" * 9000])
_REQUEST_LINE = st.sampled_from([b"POST / HTTP/1.1", b"POST /services/x HTTP/1.0",
                                 b"GET /health HTTP/1.1", b"POST / HTTP/9", b"", b"BAD"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_REQUEST_LINE, st.lists(_LINE, max_size=5),
                          st.sampled_from([b"", b"<x/>", b"<x/><y/>"])), min_size=1, max_size=3),
       st.integers(min_value=0, max_value=200))
def test_any_conversation_is_answered_the_same_with_or_without_the_one_pass(requests, cut):
    data = b"".join(head(line, *lines) + body for line, lines, body in requests)
    chunks = [data[:cut], data[cut:]] if 0 < cut < len(data) else [data]
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert converse(chunks, True, monkeypatch) == converse(chunks, False, monkeypatch)
