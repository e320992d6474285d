"""The suite's response header reading (conformance/http_response.py) gives what http.client's
own gives — the same HTTPMessage (pairs, payload, defects) and the same response attributes —
for plain header blocks (read without the email package) and for every other kind (read by it)."""

from __future__ import annotations

import http.client
import io

import pytest

from conformance.http_response import Response, parse_headers

PLAIN = [
    b"Content-Type: text/xml; charset=utf-8\r\nContent-Length: 12\r\n\r\n",
    b"Server: TwistedWeb/24.11.0\r\nDate: Fri, 04 Dec 2026 20:00:00 GMT\r\n"
    b"Content-Type: application/soap+xml\r\nContent-Length: 0\r\n\r\n",
    b"X-Empty:\r\nX-Spaces:   padded  \r\nX-Tab:\tvalue\r\nx-lower: a\r\nX-LOWER: b\r\n\r\n",
    b"Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"Connection: close\r\nContent-Length: -1\r\n\r\n",
    b"Name:value:with:colons\r\nWeird!#$%&'*+-.^_`|~Name: v\r\n\r\n",
    b"\r\n",  # no header at all
]
OTHER = [  # what the email parser reads differently from a line split, or looks into
    b"X-Folded: one\r\n two\r\n\tthree\r\nContent-Length: 1\r\n\r\n",
    b"No colon here\r\nContent-Length: 1\r\n\r\n",
    b": empty name\r\nContent-Length: 1\r\n\r\n",
    b"Space Name: v\r\nX-After: seen?\r\n\r\n",
    b"X-Latin: caf\xe9\r\nX-Ctl: a\x7fb\r\n\r\n",
    b"X-Bare-Lf: v\nContent-Length: 3\n\n",
    b"X-Bare-Cr: a\rb\r\n\r\n",
    b"From somebody\r\nX: y\r\n\r\n",
    b"Content-Type: multipart/related; boundary=x\r\n\r\n",
    b"Content-Type: Multipart/Mixed\r\n\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Type: message/delivery-status\r\n\r\n",
    b"X-Trailing-Space: v \r\n \r\n\r\n",
    b"X-Unterminated: v\r\n",  # the connection closed before the blank line
]


def _email_parsed(block: bytes) -> http.client.HTTPMessage:
    return http.client.parse_headers(io.BytesIO(block))


def _state(message: http.client.HTTPMessage) -> dict:
    """Everything a message holds (defects and parts, which compare by identity, by what they
    hold)."""
    payload = message.get_payload()
    return {**vars(message), "defects": [(type(d), d.args) for d in message.defects],
            "_payload": [_state(p) for p in payload] if isinstance(payload, list) else payload}


@pytest.mark.parametrize("block", PLAIN + OTHER)
def test_the_message_is_the_email_parsers(block):
    ours, theirs = parse_headers(io.BytesIO(block)), _email_parsed(block)
    assert _state(ours) == _state(theirs)
    assert ours.items() == theirs.items()


def test_plain_blocks_are_read_without_the_email_package(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the email parser was used")

    monkeypatch.setattr("email.parser.Parser.parsestr", refuse)
    for block in PLAIN:
        parse_headers(io.BytesIO(block))
    with pytest.raises(AssertionError, match="email parser"):
        parse_headers(io.BytesIO(OTHER[0]))


def test_the_limits_are_http_clients():
    many = b"".join(b"X-%d: v\r\n" % i for i in range(http.client._MAXHEADERS + 1)) + b"\r\n"
    with pytest.raises(http.client.HTTPException, match="got more than 100 headers"):
        parse_headers(io.BytesIO(many))
    with pytest.raises(http.client.LineTooLong):
        parse_headers(io.BytesIO(b"X: " + b"a" * 70000 + b"\r\n\r\n"))


class _Socket:
    def __init__(self, data: bytes):
        self._data = data

    def makefile(self, mode):
        return io.BufferedReader(io.BytesIO(self._data))


STATUS = [b"HTTP/1.1 200 OK\r\n", b"HTTP/1.0 500 Internal Server Error\r\n",
          b"HTTP/1.1 204 No Content\r\n", b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400  Bad \r\n",
          b"HTTP/1.1 304 Not Modified\r\n"]


@pytest.mark.parametrize("status", STATUS)
@pytest.mark.parametrize("block", PLAIN[:5] + OTHER[:2] + [b"Keep-Alive: 5\r\n\r\n"])
@pytest.mark.parametrize("method", ["POST", "GET", "HEAD"])
def test_the_response_is_http_clients(status, block, method):
    data = status + block + b"body"
    ours, theirs = Response(_Socket(data), method=method), \
        http.client.HTTPResponse(_Socket(data), method=method)
    ours.begin()
    theirs.begin()
    names = ("status", "reason", "version", "chunked", "chunk_left", "length", "will_close")
    assert [getattr(ours, n) for n in names] == [getattr(theirs, n) for n in names]
    assert ours.msg.items() == theirs.msg.items()


def test_a_status_line_that_is_not_http_is_refused_the_same():
    for data in (b"HTTP/2.0 200 OK\r\n\r\n", b"garbage\r\n\r\n", b""):
        errors = []
        for cls in (Response, http.client.HTTPResponse):
            try:
                cls(_Socket(data)).begin()
            except http.client.HTTPException as exc:
                errors.append((type(exc), str(exc)))
        assert len(errors) == 2 and errors[0] == errors[1]
