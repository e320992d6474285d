"""An ``http.client`` response whose header block is read without the ``email`` package.

``http.client`` hands every response's header block to ``email.parser`` (a feed parser built
for mail: line cracking, MIME checks, a policy object per header): ~110,000 instructions an
exchange, 2.3 % of the suite's in a provider run (callgrind; cProfile, whose cost per call
inflates such code, had put it at 10 %). A block of plain ``Name: value`` lines — what products
answer — is read here into the same ``HTTPMessage`` the email parser builds (the same ``(name,
value)`` pairs, payload and defects; tests/unit/test_conformance_http_response.py compares
them); anything else (a folded or obsolete line, a byte outside printable ASCII, a multipart or
message Content-Type, which the email parser looks into) still goes to the email parser, so
what the suite sees of an answer does not depend on which one read it.
"""

from __future__ import annotations

import email.parser
import http.client
import re

# a header line the email parser reads as one (name, value): a name of the characters its
# headerRE allows, a value of printable ASCII and tabs, CRLF
_PLAIN = re.compile(rb"[!-9;-~]+:[\t -~]*\r\n")
_LOOKED_INTO = ("multipart", "message")  # Content-Types whose empty body the parser parses


def parse_headers(fp) -> http.client.HTTPMessage:
    """``http.client.parse_headers(fp)``: the same message, the same errors (line length and
    count limits), read without the email package when every line is plain."""
    lines = http.client._read_headers(fp)  # type: ignore[attr-defined]  # the limits, as is
    if lines[-1] == b"\r\n" and all(_PLAIN.fullmatch(line) for line in lines[:-1]):
        message = http.client.HTTPMessage()
        for line in lines[:-1]:
            name, _, value = line[:-2].decode("ascii").partition(":")
            # as compat32 stores it
            message._headers.append((name, value.lstrip(" \t")))  # type: ignore[attr-defined]
        if message.get_content_maintype() not in _LOOKED_INTO:
            message.set_payload("")  # the empty body the parser reads after the block
            return message
    return email.parser.Parser(_class=http.client.HTTPMessage).parsestr(
        b"".join(lines).decode("iso-8859-1"))


class Response(http.client.HTTPResponse):
    """``http.client.HTTPResponse`` reading its header block with ``parse_headers`` above.

    ``begin`` is the standard library's (the same in Python 3.8–3.13) but for that one call."""

    def begin(self) -> None:
        if self.headers is not None:
            return
        while True:  # skip 100 Continue answers
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            http.client._read_headers(self.fp)
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = parse_headers(self.fp)
        tr_enc = self.headers.get("transfer-encoding")
        if tr_enc and tr_enc.lower() == "chunked":
            self.chunked = True
            self.chunk_left = None
        else:
            self.chunked = False
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        if (status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED)
                or 100 <= status < 200 or self._method == "HEAD"):
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True


class Connection(http.client.HTTPConnection):
    response_class = Response
