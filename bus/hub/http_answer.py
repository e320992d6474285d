"""Reading a provider's HTTP/1.1 answer to one POST (RFC 9112), strictly and within limits.

Pure: bytes in, an ``Answer`` or an error out, no sockets and no Twisted, so every split of the
bytes and every malformed answer can be tried without a reactor (tests/unit/test_http_answer.py).
The forwarder's connections (bus/hub/provider_client.py) feed it what they read.

Strict, because a provider is not trusted to frame its answer well and a framing the hub and the
provider read differently is how answers get mixed up between requests: CRLF line ends only; a
status line ``HTTP/1.x NNN reason``; header names as tokens, the colon right after the name, no
folded lines (obs-fold), no control characters; at most one Content-Length, and none together
with Transfer-Encoding (which may only be ``chunked``). Bounded: line length, header section
size and header count (interim 1xx answers and trailers included, so endless ones stop too), and
the body by ``max_body`` (AnswerTooLarge: declared or as received). A body is framed by
Content-Length, by chunks (trailers read and dropped), or by the connection's end; interim 1xx
answers are skipped (101 refused: the hub never asks to switch protocols).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE = 8192  # status, header, chunk-size and trailer lines
MAX_HEAD_BYTES = 65536  # the header sections (interim answers and trailers included)
MAX_HEADERS = 100  # header and trailer lines, interim answers' included

_STATUS = re.compile(rb"HTTP/1\.([0-9]) ([1-5][0-9][0-9])(?: [\t\x20-\x7e\x80-\xff]*)?")
_FIELD = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*"
                    rb"((?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?)"
                    rb"[ \t]*")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[\t\x20-\x7e\x80-\xff]*)?")
_DIGITS = re.compile(rb"[0-9]{1,18}")

# states
_STATUS_LINE, _HEADERS, _LENGTH, _CHUNK_LINE, _CHUNK_DATA, _CHUNK_END, _TRAILERS, _UNTIL_CLOSE, \
    _DONE = range(9)


class MalformedAnswer(Exception):
    """The bytes are not an HTTP/1.1 answer this client accepts (the reason says which rule)."""


class AnswerTooLarge(Exception):
    """The answer's body passed ``max_body`` (declared or as received)."""


class AnswerCut(Exception):
    """The connection ended before the answer was complete."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: str | None
    body: bytes
    keep_alive: bool = True  # the connection may carry the next request


class AnswerParser:
    """One answer: ``feed`` what arrives until it returns the ``Answer``; ``end`` when the
    connection closes. Bytes after the answer are kept in ``rest`` (nothing was asked for
    them). Any error leaves the parser unusable: the connection must be closed."""

    __slots__ = ("_max_body", "_buf", "_state", "_status", "_version", "_fields", "_head_bytes",
                 "_count", "_left", "_parts", "_received", "_keep", "_ctype", "rest")

    def __init__(self, max_body: int) -> None:
        self._max_body = max_body
        self._buf = b""
        self._state = _STATUS_LINE
        self._status = 0
        self._version = 1
        self._fields: dict[bytes, list[bytes]] = {}
        self._head_bytes = 0  # header-section bytes so far, interim answers' and trailers' too
        self._count = 0  # header and trailer lines so far
        self._left = 0  # body or chunk bytes still to come
        self._parts: list[bytes] = []
        self._received = 0  # body bytes so far
        self._keep = True
        self._ctype: str | None = None
        self.rest = b""

    @property
    def started(self) -> bool:
        """Some of the answer has arrived."""
        return self._head_bytes > 0 or bool(self._buf)

    def feed(self, data: bytes) -> Answer | None:
        """The answer once ``data`` completes it, else None; raises MalformedAnswer or
        AnswerTooLarge."""
        buf = self._buf + data if self._buf else data
        self._buf = b""
        pos = 0
        while True:
            state = self._state
            if state == _LENGTH or state == _CHUNK_DATA:
                take = min(self._left, len(buf) - pos)
                if take:
                    self._parts.append(buf[pos:pos + take] if pos or take < len(buf) else buf)
                    pos += take
                    self._left -= take
                if self._left:
                    return None
                if state == _LENGTH:
                    return self._done(buf, pos)
                self._state = _CHUNK_END
                continue
            if state == _UNTIL_CLOSE:
                if pos < len(buf):
                    self._body_bytes(len(buf) - pos)
                    self._parts.append(buf[pos:] if pos else buf)
                return None
            if state == _DONE:
                self.rest += buf[pos:]
                return None
            end = buf.find(b"\r\n", pos)
            if end < 0:
                if len(buf) - pos > MAX_LINE + 1:  # + 1: the CR of a CRLF split here
                    raise MalformedAnswer(f"a line longer than {MAX_LINE} bytes")
                self._buf = buf[pos:]
                return None
            if end - pos > MAX_LINE:
                raise MalformedAnswer(f"a line longer than {MAX_LINE} bytes")
            line = buf[pos:end]
            pos = end + 2
            if state == _STATUS_LINE:
                self._status_line(line)
            elif state == _HEADERS or state == _TRAILERS:
                if line:
                    self._field(line, state == _TRAILERS)
                elif state == _TRAILERS:
                    return self._done(buf, pos)
                elif self._head_done():  # no body
                    return self._done(buf, pos)
            elif state == _CHUNK_LINE:
                self._chunk_line(line)
            else:  # _CHUNK_END: the CRLF after a chunk's data
                if line:
                    raise MalformedAnswer("a chunk longer than its size")
                self._state = _CHUNK_LINE

    def end(self) -> Answer:
        """The connection has closed: the answer if its body ends there, else AnswerCut (or
        MalformedAnswer when the bytes so far already broke a rule)."""
        if self._state == _UNTIL_CLOSE:
            self._state = _DONE
            return Answer(self._status, self._ctype, b"".join(self._parts), False)
        if self._buf and (b"\n" in self._buf or b"\r" in self._buf.rstrip(b"\r")):
            raise MalformedAnswer("a line not ended by CRLF")
        if not self.started:
            raise AnswerCut("closed before any answer")
        raise AnswerCut("closed in the middle of the answer")

    def _status_line(self, line: bytes) -> None:
        match = _STATUS.fullmatch(line)
        if match is None:
            raise MalformedAnswer("not an HTTP/1.x status line")
        self._version = int(match[1])
        self._status = int(match[2])
        self._state = _HEADERS
        self._grow(len(line) + 2)

    def _field(self, line: bytes, trailer: bool) -> None:
        self._count += 1
        if self._count > MAX_HEADERS:
            raise MalformedAnswer(f"more than {MAX_HEADERS} header lines")
        self._grow(len(line) + 2)
        match = _FIELD.fullmatch(line)
        if match is None:
            if line[:1] in (b" ", b"\t"):
                raise MalformedAnswer("a folded header line (obs-fold)")
            raise MalformedAnswer("a malformed header line")
        if not trailer:
            self._fields.setdefault(match[1].lower(), []).append(match[2])

    def _head_done(self) -> bool:
        """The header section has ended: True when the answer has no body. Decides the body's
        framing (RFC 9112 6.3) and whether the connection stays open."""
        self._grow(2)
        fields, self._fields = self._fields, {}
        status = self._status
        if status < 200:
            if status == 101:
                raise MalformedAnswer("101 Switching Protocols, never asked for")
            self._state = _STATUS_LINE  # interim: the answer follows
            return False
        connection = b",".join(fields.get(b"connection", ())).lower()
        tokens = {t.strip() for t in connection.split(b",")} if connection else set()
        self._keep = b"close" not in tokens and (self._version >= 1 or b"keep-alive" in tokens)
        ctype = fields.get(b"content-type")
        self._ctype = ctype[0].decode("latin-1") if ctype else None
        lengths = fields.get(b"content-length")
        codings = fields.get(b"transfer-encoding")
        if lengths is not None and codings is not None:
            raise MalformedAnswer("both Content-Length and Transfer-Encoding")
        if lengths is not None and len(lengths) > 1:
            raise MalformedAnswer("more than one Content-Length")
        if status == 204 or status == 304:
            return True
        if codings is not None:
            if self._version == 0:
                raise MalformedAnswer("Transfer-Encoding in an HTTP/1.0 answer")
            if b",".join(codings).strip().lower() != b"chunked":
                raise MalformedAnswer("a Transfer-Encoding other than chunked alone")
            self._state = _CHUNK_LINE
            return False
        if lengths is not None:
            if _DIGITS.fullmatch(lengths[0]) is None:
                raise MalformedAnswer("a Content-Length that is not a number")
            length = int(lengths[0])
            if length > self._max_body:
                raise AnswerTooLarge(f"declared {length} bytes")
            if length == 0:
                return True
            self._left = length
            self._state = _LENGTH
            return False
        self._keep = False  # the body ends where the connection does
        self._state = _UNTIL_CLOSE
        return False

    def _grow(self, more: int) -> None:
        self._head_bytes += more
        if self._head_bytes > MAX_HEAD_BYTES:
            raise MalformedAnswer(f"header sections larger than {MAX_HEAD_BYTES} bytes")

    def _chunk_line(self, line: bytes) -> None:
        match = _CHUNK_SIZE.fullmatch(line)
        if match is None:
            raise MalformedAnswer("a malformed chunk size line")
        size = int(match[1], 16)
        if size == 0:
            self._state = _TRAILERS
            return
        self._body_bytes(size)
        self._left = size
        self._state = _CHUNK_DATA

    def _body_bytes(self, more: int) -> None:
        self._received += more
        if self._received > self._max_body:
            raise AnswerTooLarge(f"more than {self._max_body} bytes received")

    def _done(self, buf: bytes, pos: int) -> Answer:
        self._state = _DONE
        self.rest = buf[pos:]
        parts = self._parts
        body = parts[0] if len(parts) == 1 else b"".join(parts)
        return Answer(self._status, self._ctype, body, self._keep)
