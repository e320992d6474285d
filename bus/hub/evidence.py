"""Evidence or refuse (X-Road's message log rule), on the reactor: an exchange the routing log
cannot record — or, when ``[store] archive`` is configured, whose payloads the archive cannot
keep — is refused, never served unrecorded.

- Admission: a new exchange starts only while ``RoutingLog.health()`` and
  ``PayloadArchive.health()`` are both ``ok``. While a writer is *behind* (more than its
  ``high_water`` waits) new exchanges are held, polling, up to ``hold_timeout`` seconds, then
  refused; while writing *fails* (disk full, read-only file, database error) they are refused at
  once with PF-LOG-UNAVAILABLE — rules ``log:behind``/``log:failing`` and
  ``archive:behind``/``archive:failing``. Refusals go to stdout as ``routing_log.refused`` or
  ``payload_archive.refused`` (at most one line per ``report_every`` seconds each, with a count
  and the last peer and address), since the log itself cannot take them.
- Release (the strict form): a reply goes to the client only once every hop of its exchange is
  committed, so every exchange a client saw answered is in the log, even after a SIGKILL. The
  writer's group commit keeps the cost to one wake-up of the reactor per commit, not per
  exchange. A reply whose records are not committed within ``commit_timeout`` is replaced by
  PF-LOG-UNAVAILABLE (``log:commit``).
- The archive's payloads are released the same way (``archive:commit``): a client that saw an
  answer can rely on its request and response being archived. It is cheap — the archive's writer
  commits in groups on its own thread, in parallel with the log's, so a reply waits for the later
  of two commits that run side by side (one more reactor wake-up per archive commit) — and it is
  consistent: an archive is configured because the exact payloads are evidence, and "evidence or
  refuse" is only true if a SIGKILL after the answer cannot take them.
- Backpressure (背圧) first: while a writer is behind, the hub stops reading new requests
  (``read_gate``: ``HubSite.hold_reads`` — the listening port accepts nothing, connections
  between requests read nothing) and reads again once every writer is at or below its low-water
  mark (half its high water). The hold-then-refuse above stays the bound: reads are held at most
  ``hold_timeout`` per episode (then requests are read and refused if the writer is still behind,
  and reads are not held again until it was back below low water), and not at all while a writer
  fails (the refusal is the answer then, at once). All on the reactor: checked when an exchange is
  admitted or released and when a writer commits or changes state — no polling. Stdout:
  ``evidence.reads_held`` / ``evidence.reads_released``.
- State changes of the writers go to stdout: ``routing_log.unavailable`` /
  ``routing_log.available`` and ``payload_archive.unavailable`` / ``payload_archive.available``.
"""

from __future__ import annotations

import heapq
import itertools
import time
from typing import TYPE_CHECKING
from collections.abc import Callable
from pathlib import Path

from twisted.internet import defer, task

from ..core import faults
from ..core.faults import HubFault
from ..core.findings import Finding
from ..core.jsonlog import JsonLineLog
from ..store.archive import PayloadArchive
from ..store.group_writer import WriterState
from ..store.routing_log import open_routing_log

if TYPE_CHECKING:
    from ..store.routing_log import AnyLog

# rule prefix, operator-log event prefix, what the fault's text calls the store
_LOG = ("log", "routing_log", "the routing log")
_ARCHIVE = ("archive", "payload_archive", "the payload archive")


class _Commits:
    """Deferreds waiting for a writer's sequence number to be committed (a heap by number)."""

    def __init__(self) -> None:
        self._waiters: list[tuple[int, int, defer.Deferred]] = []
        self._order = itertools.count()

    def wait(self, seq: int) -> defer.Deferred:
        d: defer.Deferred = defer.Deferred()
        heapq.heappush(self._waiters, (seq, next(self._order), d))
        return d

    def committed(self, seq: int) -> None:
        while self._waiters and self._waiters[0][0] <= seq:
            _, _, d = heapq.heappop(self._waiters)
            if not d.called:
                d.callback(None)


class Evidence:
    def __init__(self, reactor, routing_log: AnyLog, events: JsonLineLog | None = None, *,
                 archive: PayloadArchive | None = None,
                 hold_timeout: float = 5.0, commit_timeout: float = 10.0,
                 poll_interval: float = 0.02, report_every: float = 10.0) -> None:
        self.reactor = reactor
        self.log = routing_log
        self.archive = archive
        self.events = events
        self.hold_timeout = hold_timeout
        self.commit_timeout = commit_timeout
        self.poll_interval = poll_interval
        self.report_every = report_every
        self.refused = 0  # exchanges refused because of the log or the archive (all time)
        self._unreported: dict[str, int] = {}  # per event: refusals not yet on stdout
        self._reported_at: dict[str, float] = {}
        self._log_commits = _Commits()
        self._archive_commits = _Commits()
        # backpressure: HubSite.hold_reads once the hub listens (None: nothing to hold)
        self.read_gate: Callable[[bool], None] | None = None
        self.reads_held = False
        self._hold_spent = False  # this episode's hold timed out: refusals bound it now
        self._hold_timer = None
        if archive is not None:  # its writer thread calls these (it may already run)
            archive.on_commit = lambda seq: reactor.callFromThread(self._archived, seq)
            archive.on_state = lambda health: self._state_changed(_ARCHIVE, health)

    @classmethod
    def open(cls, reactor, path: str | Path, events: JsonLineLog | None = None, *,
             archive: PayloadArchive | None = None, node: str | None = None,
             **log_options) -> Evidence:
        """Open the hub's routing log (a SQLite path or a postgresql:// URL, where ``node``
        names this process's chain) with the callbacks this class needs."""
        holder: list[Evidence] = []
        routing_log = open_routing_log(
            path, node=node, marks_runs=True,
            on_commit=lambda seq: reactor.callFromThread(holder[0]._committed, seq),
            on_state=lambda health: holder[0]._state_changed(_LOG, health), **log_options)
        holder.append(cls(reactor, routing_log, events, archive=archive))
        return holder[0]

    # -- backpressure ---------------------------------------------------------------------------

    def pressure(self) -> None:
        """On the reactor: hold or release reading new requests (see the module doc)."""
        behind = failing = False
        above_low = False
        for writer in (self.log, self.archive):
            if writer is None:
                continue
            state, above = writer.pressure()
            behind = behind or state == WriterState.BEHIND
            failing = failing or state in (WriterState.FAILING, WriterState.CLOSED)
            above_low = above_low or above
        if not above_low:
            self._hold_spent = False
        if not self.reads_held:
            if behind and not failing and not self._hold_spent:
                self._hold(True)
        elif failing or not above_low:
            self._hold(False)

    def _hold(self, held: bool) -> None:
        self.reads_held = held
        if held:
            self._hold_timer = self.reactor.callLater(self.hold_timeout, self._hold_expired)
        elif self._hold_timer is not None and self._hold_timer.active():
            self._hold_timer.cancel()
        if self.read_gate is not None:
            self.read_gate(held)
        if self.events is not None:
            self.events.emit("evidence.reads_held" if held else "evidence.reads_released",
                             log_backlog=self.log.health()["backlog"],
                             archive_backlog=(self.archive.health()["backlog"]
                                              if self.archive is not None else None))

    def _hold_expired(self) -> None:
        """Reads were held ``hold_timeout``: read again; admission refuses while behind."""
        self._hold_timer = None
        self._hold_spent = True
        if self.reads_held:
            self._hold(False)

    # -- admission ------------------------------------------------------------------------------

    def _not_accepting(self) -> tuple[tuple[str, str, str], dict] | None:
        """The first writer that cannot take a new exchange now, with its health."""
        for store, writer in ((_LOG, self.log), (_ARCHIVE, self.archive)):
            if writer is not None and not writer.accepting():
                health = writer.health()  # the whole answer only for a refusal
                if not health["accepting"]:
                    return store, health
        return None

    async def admit(self, peer: str | None = None, remote: str | None = None) -> None:
        """Return when a new exchange may start; raise HubFault(PF-LOG-UNAVAILABLE) if not."""
        blocked = self._not_accepting()
        if blocked is None:
            return
        self.pressure()
        deadline = time.monotonic() + self.hold_timeout
        while blocked is not None and blocked[1]["state"] == WriterState.BEHIND \
                and time.monotonic() < deadline:
            await task.deferLater(self.reactor, self.poll_interval, lambda: None)
            blocked = self._not_accepting()
        if blocked is None:
            return
        (prefix, _, name), health = blocked
        failing = health["state"] == WriterState.FAILING
        rule = f"{prefix}:failing" if failing else f"{prefix}:behind"
        text = (f"{name} cannot be written ({health['last_error']}) since "
                f"{health['failing_since']}" if failing else
                f"{name}'s writer is {health['backlog']} records behind")
        self._report_refusal(rule, peer, remote, health)
        raise HubFault(faults.LOG_UNAVAILABLE, (Finding(rule, text),))

    def _report_refusal(self, rule: str, peer: str | None, remote: str | None,
                        health: dict) -> None:
        self.refused += 1
        event = (_ARCHIVE if rule.startswith(_ARCHIVE[0] + ":") else _LOG)[1] + ".refused"
        self._unreported[event] = self._unreported.get(event, 0) + 1
        now = time.monotonic()
        if self.events is not None and \
                now - self._reported_at.get(event, float("-inf")) >= self.report_every:
            self.events.emit(event, rule=rule, count=self._unreported[event],
                             last_peer=peer, last_remote=remote, state=health["state"],
                             backlog=health["backlog"])
            self._unreported[event] = 0
            self._reported_at[event] = now

    # -- release --------------------------------------------------------------------------------

    async def released(self, seq: int | None, archive_seq: int | None = None) -> None:
        """Return once the record ``seq`` (and so every record before it) is committed, and the
        archive's payload ``archive_seq`` (and every one before it)."""
        self.pressure()  # the exchange's records are queued: is a writer behind now?
        waits = []
        if seq is not None and self.log.committed() < seq:
            waits.append((_LOG, self._log_commits.wait(seq)))
        if archive_seq is not None and self.archive is not None \
                and self.archive.committed() < archive_seq:
            waits.append((_ARCHIVE, self._archive_commits.wait(archive_seq)))
        for _, d in waits:  # both run at once: the timeouts overlap
            d.addTimeout(self.commit_timeout, self.reactor)
        try:
            for (prefix, _, name), d in waits:
                try:
                    await d
                except defer.TimeoutError:
                    writer = self.log if prefix == _LOG[0] else self.archive
                    assert writer is not None
                    self._report_refusal(f"{prefix}:commit", None, None, writer.health())
                    what = "records" if prefix == _LOG[0] else "payloads"
                    raise HubFault(faults.LOG_UNAVAILABLE, (Finding(
                        f"{prefix}:commit", f"the exchange's {what} were not committed to "
                        f"{name} within {self.commit_timeout:g} s; its answer is withheld"),
                    )) from None
        finally:
            for _, d in waits:  # one failed: the other's outcome no longer matters
                d.addErrback(lambda _: None)
                if not d.called:
                    d.cancel()

    def _committed(self, seq: int) -> None:
        """On the reactor thread, after the log's writer committed up to ``seq``."""
        self._log_commits.committed(seq)
        if self.reads_held:
            self.pressure()

    def _archived(self, seq: int) -> None:
        """On the reactor thread, after the archive's writer committed up to ``seq``."""
        self._archive_commits.committed(seq)
        if self.reads_held:
            self.pressure()

    def _state_changed(self, store: tuple[str, str, str], health: dict) -> None:
        """On a writer thread (JsonLineLog is thread-safe)."""
        self.reactor.callFromThread(self.pressure)  # failing: reads must not stay held
        if self.events is None:
            return
        event = store[1]
        if health["state"] == WriterState.FAILING:
            self.events.emit(f"{event}.unavailable", error=health["last_error"],
                             since=health["failing_since"], backlog=health["backlog"],
                             action="new exchanges are refused with PF-LOG-UNAVAILABLE")
        else:
            self.events.emit(f"{event}.available", backlog=health["backlog"])
