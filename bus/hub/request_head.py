"""A whole request head read in one pass, for the common case (issue 13).

Twisted's ``HTTPChannel`` reads a request head line by line: ``LineReceiver`` splits each line
off the buffer (the body too, copied each time), ``lineReceived`` and ``headerReceived`` run per
line through the hub's overrides and Twisted's, and each header goes through ``Headers``' name
encoder and whitespace sanitizer. ``simple_head`` reads a head that arrived whole in one
``dataReceived`` in one pass and says whether it is *plain*: what Twisted's line-by-line reading
would accept without a refusal and without any of its special cases. Only then does the channel
use it (``HubChannel``); anything else — a partial head, a long line, a header without a colon,
folded lines, an invalid name or value, ``Transfer-Encoding``, ``Expect``, more than one
``Content-Length``, the limits reached — goes through Twisted's reading as before, which answers
it as it always did. So what is accepted, and every refusal, stays Twisted's and the hub's.
"""

from __future__ import annotations

from typing import NamedTuple

from twisted.web.http import _parseRequestLine
from twisted.web.http_headers import InvalidHeaderName, _nameEncoder


class SimpleHead(NamedTuple):
    command: bytes
    path: bytes
    version: bytes
    headers: list[tuple[bytes, bytes]]  # (canonical name, value), in order: as Headers stores
    length: int  # Content-Length (0 without one, as Twisted's channel assumes)
    size: int  # the head's bytes as Twisted counts them: every line, without its CRLF
    end: int  # where the body begins in the data


_CONTENT_LENGTH = b"Content-Length"
_NOT_PLAIN = frozenset((b"Transfer-Encoding", b"Expect"))  # Twisted's special cases


def simple_head(data: bytes, max_line: int, max_size: int, max_headers: int
                ) -> SimpleHead | None:
    """The head at the start of ``data`` when it is complete and plain (see the module doc),
    else None. ``max_line``: the longest line (``LineReceiver.MAX_LENGTH``); ``max_size``: the
    head's size limit as ``HubChannel.lineReceived`` checks it; ``max_headers``: the most
    header fields."""
    end = data.find(b"\r\n\r\n")
    if end <= 0 or end > max_size:  # incomplete, or beyond the size limit: Twisted decides
        return None
    lines = data[:end].split(b"\r\n")
    if len(lines) - 1 > max_headers or b"\n" in lines[0] or len(lines[0]) > max_line:
        return None
    try:
        command, path, version = _parseRequestLine(lines[0])
    except ValueError:
        return None
    headers: list[tuple[bytes, bytes]] = []
    length: int | None = None
    size = len(lines[0])
    for line in lines[1:]:
        size += len(line)
        if len(line) > max_line or line[:1] in (b" ", b"\t"):  # folded: Twisted joins them
            return None
        name, colon, value = line.partition(b":")
        if not colon:
            return None
        try:
            name = _nameEncoder.encode(name)
        except InvalidHeaderName:
            return None
        value = value.strip(b" \t")
        # NUL, CR, LF: refused by Twisted (a lone CR or LF would also be split by Headers)
        if len(value.translate(None, b"\x00\r\n")) != len(value) or name in _NOT_PLAIN:
            return None
        if name == _CONTENT_LENGTH:
            if length is not None or not value.isdigit():
                return None
            length = int(value)
        headers.append((name, value))
    if size > max_size:
        return None
    return SimpleHead(command, path, version, headers, length or 0, size, end + 4)
