"""The hub's reactor (bus/hub/reactor.py, issue 13): Twisted's epoll reactor, each ready socket
dispatched without the legacy log context — the same handlers, in the same way, and a handler's
escaping exception logged without losing the other events of the poll."""

from __future__ import annotations

import socket

from twisted.internet.abstract import FileDescriptor
from twisted.python import log

from bus.hub.reactor import HubReactor


class Reader(FileDescriptor):
    def __init__(self, reactor, sock: socket.socket, seen: list[bytes]) -> None:
        super().__init__(reactor)
        self.sock, self.seen = sock, seen

    def fileno(self) -> int:
        return self.sock.fileno()

    def doRead(self):
        self.seen.append(self.sock.recv(100))


def test_ready_sockets_are_read_by_their_handlers_without_the_log_context():
    reactor = HubReactor()
    pairs = [socket.socketpair() for _ in range(2)]
    seen: list[bytes] = []
    try:
        for ours, _ in pairs:
            reactor.addReader(Reader(reactor, ours, seen))
        for i, (_, theirs) in enumerate(pairs):
            theirs.send(b"x%d" % i)
        called: list[object] = []
        original = log.callWithLogger
        log.callWithLogger = lambda *a, **k: called.append(a)  # type: ignore[assignment]
        try:
            reactor.doPoll(1.0)
        finally:
            log.callWithLogger = original
        assert sorted(seen) == [b"x0", b"x1"] and called == []
    finally:
        reactor.removeAll()
        for a, b in pairs:
            a.close()
            b.close()


def test_an_exception_escaping_a_dispatch_is_logged_and_the_other_events_still_run(monkeypatch):
    reactor = HubReactor()
    pairs = [socket.socketpair() for _ in range(2)]
    seen: list[bytes] = []
    logged: list[dict] = []
    log.addObserver(logged.append)
    try:
        readers = [Reader(reactor, ours, seen) for ours, _ in pairs]
        for reader in readers:
            reactor.addReader(reader)
        for _, theirs in pairs:
            theirs.send(b"x")
        original = reactor._doReadOrWrite

        def dispatch(selectable, fd, event):
            if selectable is readers[0]:
                raise RuntimeError("boom")
            return original(selectable, fd, event)

        monkeypatch.setattr(reactor, "_doReadOrWrite", dispatch)
        reactor.doPoll(1.0)
        assert seen == [b"x"]
        assert [e for e in logged if e.get("isError") and "boom" in str(e.get("failure"))]
    finally:
        log.removeObserver(logged.append)
        reactor.removeAll()
        for a, b in pairs:
            a.close()
            b.close()
