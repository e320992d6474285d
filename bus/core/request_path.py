"""Reading an HTTP request path: split into segments, each percent-decoded exactly once.

The one place the hub turns the raw path of a request line into names it looks up. Splitting
happens before decoding, so ``%2F`` stays inside its segment; decoding happens once, so
``%252e%252e`` is the literal segment ``%2e%2e`` and never ``..``. A path that cannot be read is
refused with the HTTP status to answer: 400 for bytes that are not a path (an invalid
``%``-escape, not UTF-8, not starting with ``/``), 404 for a path that names nothing the hub could
serve (control characters such as NUL, ``.`` and ``..`` segments).
"""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote_to_bytes

_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile("[\x00-\x1f\x7f]")


_ABSOLUTE_FORM = re.compile(rb"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]*")


def origin_form(target: bytes) -> bytes:
    """The request target in origin-form: an absolute-form target (``http://host:port/p?q``,
    what a client sends through a forward proxy; RFC 9112 3.2.2: a server MUST accept it, the
    scheme and host in any case) becomes ``/p?q`` — ``/`` when it names no path; any other
    target is returned as it is (the path's own checks judge it)."""
    m = _ABSOLUTE_FORM.match(target)
    if m is None:
        return target
    rest = target[m.end():]
    return rest if rest.startswith(b"/") else b"/" + rest


class PathRefused(ValueError):
    """A request path the hub does not read; ``status`` is the HTTP answer (400 or 404)."""

    def __init__(self, status: int, rule: str, message: str):
        super().__init__(message)
        self.status = status
        self.rule = rule


@functools.lru_cache(maxsize=256)  # a hub serves few paths; a refused one raises, never kept
def path_segments(raw: bytes) -> tuple[str, ...]:
    """The decoded segments of ``raw`` (the path part of the request target, without the query):
    ``b"/"`` → ``()``, ``b"/services/juki.ResidentInquiry"`` → ``("services", "juki.…")``.
    Raises PathRefused."""
    if not raw.startswith(b"/"):
        raise PathRefused(400, "http:path", "the request target must be an absolute path")
    if _BAD_ESCAPE.search(raw):
        raise PathRefused(400, "http:percent-encoding",
                          "the path holds a % not followed by two hexadecimal digits")
    if raw == b"/":
        return ()
    segments = []
    for part in raw[1:].split(b"/"):
        try:
            segment = unquote_to_bytes(part).decode("utf-8")
        except UnicodeDecodeError:
            raise PathRefused(400, "http:path-encoding", "the path is not UTF-8") from None
        if _CONTROL.search(segment):
            raise PathRefused(404, "http:path-control", "the path holds a control character")
        if segment in (".", ".."):
            raise PathRefused(404, "http:path-dot", "the path holds a . or .. segment")
        segments.append(segment)
    return tuple(segments)
