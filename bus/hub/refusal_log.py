"""The operator-log lines of refusals made before a message is read (TLS handshakes, the HTTP
layer), aggregated per peer address by ``bus.core.refusal_report`` so a flood costs one line per
peer per interval."""

from __future__ import annotations

from typing import Any

from twisted.internet import task

from ..admin.observer import HubObserver
from ..core.jsonlog import JsonLineLog
from ..core.refusal_report import RefusalReport


def peer_host(transport) -> str:
    """The remote address of a connection (without the port: a flood opens many ports)."""
    try:
        peer = transport.getPeer()
    except Exception:  # the transport is already gone
        return "-"
    return str(getattr(peer, "host", peer))


class RefusalLog:
    def __init__(self, events: JsonLineLog | None, reactor, interval: float = 10.0, *,
                 observer: HubObserver | None = None):
        self.events = events
        self.observer = observer  # counts every refusal (metrics)
        self.reactor = reactor
        self.report = RefusalReport(interval)
        self._loop: task.LoopingCall | None = None

    def refused(self, event: str, transport, reason: str, **fields: Any) -> None:
        if self.observer is not None:
            self.observer.refused_event(event, fields.get("fault_code"))
        if self.events is None:
            return
        line = self.report.refused(event, peer_host(transport), self.reactor.seconds(), reason,
                                   **fields)
        if line is not None:
            self._write(line)
            self._start()

    def _start(self) -> None:
        if self._loop is None:
            self._loop = task.LoopingCall(self._flush)
            self._loop.clock = self.reactor
            self._loop.start(self.report.interval / 2, now=False)

    def _flush(self, now: float | None = None) -> None:
        for line in self.report.due(self.reactor.seconds() if now is None else now):
            self._write(line)
        if not self.report and self._loop is not None and self._loop.running:
            self._loop.stop()  # quiet again: no timer until the next refusal
            self._loop = None

    def _write(self, line: dict[str, Any]) -> None:
        fields = dict(line)
        event = fields.pop("event")
        if self.events is not None:  # without a log nothing is counted (refused): never here
            self.events.emit(event, **fields)

    def stop(self) -> None:
        """Write what is still counted (the hub stops)."""
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._loop = None
        self._flush(float("inf"))
