"""Sending a write at once when nothing is queued before it (issue 13).

Twisted's TCP transport only queues a write: it asks the reactor to watch the socket for
writing (an ``epoll_ctl``), sends on the reactor's next turn, once the socket is reported
writable, and stops watching (another ``epoll_ctl``). For the hub's two writes per exchange — the
request to the provider, the answer to the client — that is an extra dispatch through the
reactor and two system calls each, for a socket that can almost always take the bytes at once.

``write_now`` sends what the socket takes now, through the transport's own ``writeSomeData``,
when the transport has nothing queued (so the order of bytes cannot change) and is an open plain
TCP connection; whatever is left, and every other case (TLS, a queue, a closing connection, an
error), goes through ``transport.write`` as before — an error then surfaces as it always did,
from Twisted's own next attempt.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import tcp
from twisted.web import http
from twisted.web.http_headers import Headers

_PLAIN_TCP = (tcp.Server, tcp.Client)


def _can_send_now(transport: Any) -> bool:
    """An open plain TCP transport with nothing queued: bytes sent now cannot be reordered."""
    return (type(transport) in _PLAIN_TCP and transport.connected
            and not transport.disconnecting and not transport._writeDisconnected
            and not transport.dataBuffer and not transport._tempDataBuffer)


def write_now(transport: Any, data: bytes) -> None:
    """``transport.write(data)``, the bytes sent at once where that cannot reorder them."""
    if data and _can_send_now(transport):
        sent = transport.writeSomeData(data)
        if isinstance(sent, int) and sent > 0:
            data = data[sent:]
    if data:
        transport.write(data)


GATHER_FROM = 16 * 1024  # a body at least this long goes with its head without joining them


def write_now_pair(transport: Any, head: bytes, body: bytes) -> None:
    """``write_now(transport, head + body)`` without joining them (issue 13 item 2: a copy of
    every big answer): one ``sendmsg`` of both where ``write_now`` would send at once, the rest
    queued behind in order — the rest of the body a copy only when the socket did not take it
    all (``write_now``'s ``data[sent:]`` did the same). An error leaves everything queued:
    Twisted's own next attempt reports it, as after ``write_now``'s ``writeSomeData``."""
    sent = 0
    if _can_send_now(transport):
        try:
            sent = transport.socket.sendmsg((head, body))
        except OSError:  # EAGAIN, ENOBUFS: later; any other: Twisted's next attempt says it
            sent = 0
    if sent < len(head):
        transport.write(head[sent:] if sent else head)
        if body:
            transport.write(body)
    elif sent < len(head) + len(body):
        transport.write(body[sent - len(head):])


class AnswerWriter(http.HTTPChannel):
    """An ``HTTPChannel`` whose answers go out in one ``write_now``: the head is kept and sent
    with the body's first bytes — one send per answer, on this turn, instead of two queued
    writes sent on the reactor's next turn. A head with no body (HEAD, 204, an empty answer)
    goes when the request is done (``requestDone``) or the connection is closed
    (``loseConnection``); chunked bodies go through the transport's queue as before."""

    _head: bytes | None = None

    def writeHeaders(self, version, code, reason, headers) -> None:
        if not isinstance(headers, Headers):  # Twisted's own compatibility path
            self._flush_head()
            super().writeHeaders(version, code, reason, headers)
            return
        parts = [version, b" ", code, b" ", reason, b"\r\n"]  # as Twisted's writeHeaders
        for name, values in headers.getAllRawHeaders():
            for value in values:
                parts.extend((name, b": ", value, b"\r\n"))
        parts.append(b"\r\n")
        self._flush_head()
        self._head = b"".join(parts)

    def write(self, data: bytes) -> None:
        head = self._head
        if head is not None:
            self._head = None
            if len(data) >= GATHER_FROM:  # a big answer: not copied to join it to its head
                write_now_pair(self.transport, head, data)
                return
            data = head + data
        write_now(self.transport, data)

    def writeSequence(self, iovec) -> None:
        self._flush_head()
        super().writeSequence(iovec)

    def _flush_head(self) -> None:
        head = self._head
        if head is not None:
            self._head = None
            write_now(self.transport, head)
