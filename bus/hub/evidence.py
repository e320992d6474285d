"""Evidence or refuse (X-Road's message log rule), on the reactor: an exchange the routing log
cannot record is refused, never served unrecorded.

- Admission: a new exchange starts only while ``RoutingLog.health()`` is ``ok``. While the writer
  is *behind* (more than ``high_water`` records wait) new exchanges are held, polling, up to
  ``hold_timeout`` seconds, then refused; while writing *fails* (disk full, read-only file,
  database error) they are refused at once with PF-LOG-UNAVAILABLE. Refusals go to stdout as
  ``routing_log.refused`` (at most one line per ``report_every`` seconds, with a count and the
  last peer and address), since the log itself cannot take them.
- Release (the strict form): a reply goes to the client only once every hop of its exchange is
  committed, so every exchange a client saw answered is in the log, even after a SIGKILL. The
  writer's group commit keeps the cost to one wake-up of the reactor per commit, not per
  exchange. A reply whose records are not committed within ``commit_timeout`` is replaced by
  PF-LOG-UNAVAILABLE (``log:commit``).
- State changes of the writer go to stdout: ``routing_log.unavailable`` / ``routing_log.available``.
"""

from __future__ import annotations

import heapq
import itertools
import time
from pathlib import Path

from twisted.internet import defer, task

from ..core import faults
from ..core.faults import HubFault
from ..core.findings import Finding
from ..core.jsonlog import JsonLineLog
from ..store.routing_log import RoutingLog


class Evidence:
    def __init__(self, reactor, routing_log: RoutingLog, events: JsonLineLog | None = None, *,
                 hold_timeout: float = 5.0, commit_timeout: float = 10.0,
                 poll_interval: float = 0.02, report_every: float = 10.0) -> None:
        self.reactor = reactor
        self.log = routing_log
        self.events = events
        self.hold_timeout = hold_timeout
        self.commit_timeout = commit_timeout
        self.poll_interval = poll_interval
        self.report_every = report_every
        self.refused = 0  # exchanges refused because of the log (all time)
        self._unreported = 0
        self._reported_at = float("-inf")
        self._waiters: list[tuple[int, int, defer.Deferred]] = []  # heap by sequence number
        self._order = itertools.count()

    @classmethod
    def open(cls, reactor, path: str | Path, events: JsonLineLog | None = None,
             **log_options) -> Evidence:
        """Open the hub's routing log with the callbacks this class needs."""
        holder: list[Evidence] = []
        routing_log = RoutingLog(
            path, marks_runs=True,
            on_commit=lambda seq: reactor.callFromThread(holder[0]._committed, seq),
            on_state=lambda health: holder[0]._state_changed(health), **log_options)
        holder.append(cls(reactor, routing_log, events))
        return holder[0]

    # -- admission ------------------------------------------------------------------------------

    async def admit(self, peer: str | None = None, remote: str | None = None) -> None:
        """Return when a new exchange may start; raise HubFault(PF-LOG-UNAVAILABLE) if not."""
        health = self.log.health()
        if health["accepting"]:
            return
        deadline = time.monotonic() + self.hold_timeout
        while health["state"] == "behind" and time.monotonic() < deadline:
            await task.deferLater(self.reactor, self.poll_interval, lambda: None)
            health = self.log.health()
        if health["accepting"]:
            return
        rule = "log:failing" if health["state"] == "failing" else "log:behind"
        text = (f"the routing log cannot be written ({health['last_error']}) since "
                f"{health['failing_since']}" if rule == "log:failing" else
                f"the routing log's writer is {health['backlog']} records behind")
        self._report_refusal(rule, peer, remote, health)
        raise HubFault(faults.LOG_UNAVAILABLE, (Finding(rule, text),))

    def _report_refusal(self, rule: str, peer: str | None, remote: str | None,
                        health: dict) -> None:
        self.refused += 1
        self._unreported += 1
        now = time.monotonic()
        if self.events is not None and now - self._reported_at >= self.report_every:
            self.events.emit("routing_log.refused", rule=rule, count=self._unreported,
                             last_peer=peer, last_remote=remote, state=health["state"],
                             backlog=health["backlog"])
            self._unreported = 0
            self._reported_at = now

    # -- release --------------------------------------------------------------------------------

    async def released(self, seq: int | None) -> None:
        """Return once the record ``seq`` (and so every record before it) is committed."""
        if seq is None or self.log.committed() >= seq:
            return
        d: defer.Deferred = defer.Deferred()
        heapq.heappush(self._waiters, (seq, next(self._order), d))
        d.addTimeout(self.commit_timeout, self.reactor)
        try:
            await d
        except defer.TimeoutError:
            self._report_refusal("log:commit", None, None, self.log.health())
            raise HubFault(faults.LOG_UNAVAILABLE, (Finding(
                "log:commit", f"the exchange's records were not committed within "
                f"{self.commit_timeout:g} s; its answer is withheld"),)) from None

    def _committed(self, seq: int) -> None:
        """On the reactor thread, after the writer committed up to ``seq``."""
        while self._waiters and self._waiters[0][0] <= seq:
            _, _, d = heapq.heappop(self._waiters)
            if not d.called:
                d.callback(None)

    def _state_changed(self, health: dict) -> None:
        """On the writer thread (JsonLineLog is thread-safe)."""
        if self.events is None:
            return
        if health["state"] == "failing":
            self.events.emit("routing_log.unavailable", error=health["last_error"],
                             since=health["failing_since"], backlog=health["backlog"],
                             action="new exchanges are refused with PF-LOG-UNAVAILABLE")
        else:
            self.events.emit("routing_log.available", backlog=health["backlog"])
