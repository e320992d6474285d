"""The hub's reactor: Twisted's epoll reactor, its events dispatched without the log context
(issue 13).

``EPollReactor.doPoll`` hands every ready socket to ``log.callWithLogger``, which asks the
socket's protocol for its log prefix, copies the legacy log context (a dict) and pushes it for
the call: about 1 µs per event, and an exchange has several (the client's request, the
provider's answer, the routing-log writer's wake-ups). That context only names the ``system`` of
legacy ``twisted.python.log`` lines, which the hub does not observe (its record is the JSON event
line and the routing log). Everything else is Twisted's: the same poll, the same order, the same
``_doReadOrWrite`` (which closes a connection whose handler failed), and an exception escaping it
is logged as ``callWithLogger`` logs it.
"""

from __future__ import annotations

import errno
import sys

from twisted.internet.epollreactor import EPollReactor
from twisted.python import log


class HubReactor(EPollReactor):
    def doPoll(self, timeout):
        """``EPollReactor.doPoll`` without ``callWithLogger`` around each event."""
        if timeout is None:
            timeout = -1  # wait indefinitely
        try:
            events = self._poller.poll(timeout, len(self._selectables))
        except OSError as err:
            if err.errno == errno.EINTR:
                return
            raise
        selectables, dispatch = self._selectables, self._doReadOrWrite
        for fd, event in events:
            selectable = selectables.get(fd)
            if selectable is None:
                continue
            try:
                dispatch(selectable, fd, event)
            except KeyboardInterrupt:
                raise
            except BaseException:
                log.err(system="(hub reactor)")

    doIteration = doPoll


def install() -> None:
    """Make ``HubReactor`` the process's reactor, unless one is installed already (a reactor
    imported before, e.g. by a test harness, is kept)."""
    if "twisted.internet.reactor" in sys.modules:
        return
    from twisted.internet.main import installReactor

    installReactor(HubReactor())
