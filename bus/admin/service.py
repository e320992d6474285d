"""The operators' actions on a running hub, each recorded in the routing log before it takes
effect (evidence or refuse: a change the log cannot record is not made):

- maintenance on/off, pause/resume a subscriber or a route (``controls``), kept in the state
  file across restarts and printed as JSON events on stdout;
- a dead letter replayed, purged or its payload revealed — always with who and why.

Reads (search, trace, queues) go through a read-only routing-log connection of their own, in a
thread, so a console user never delays an exchange.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import time
from enum import StrEnum
from pathlib import Path

from twisted.internet import threads

from ..core.jsonlog import JsonLineLog
from ..store import hop_search
from ..store.routing_log import (Hop, HopRecord, RoutingLogError, Status, is_postgres,
                                 open_readonly)
from ..store.routing_log_files import RoutingLogFiles, reopen_if_grown

if TYPE_CHECKING:
    from ..store.hop_search import Readable
    from ..store.routing_log import RoutingLog
from . import state_file
from .controls import (Action, Change, Controls, LiveControls, TargetKind, parse_target,
                       validate_change)
from ..core.masking import mask_payload
from .metrics import HubMetrics, snapshot_families
from .readiness import Prober, store_probe, verdict
from .traffic import Traffic

MAX_REASON = 200


class DeadLetterAction(StrEnum):
    """What an operator does to a dead letter in the console (デッドレター操作)."""

    REPLAY = "replay"  # deliver again
    PURGE = "purge"  # give up, keep for audit
    REVEAL = "reveal"  # show the payload unmasked

    @property
    def hop(self) -> Hop:
        """The routing-log hop recording it (before it is done)."""
        return {DeadLetterAction.REPLAY: Hop.REPLAYED, DeadLetterAction.PURGE: Hop.DEAD_LETTERED,
                DeadLetterAction.REVEAL: Hop.PAYLOAD_REVEALED}[self]


class ActionError(Exception):
    """An operator action that cannot be done; the message says why (HTTP 400/409)."""


def clean_reason(text: str | None) -> str:
    return " ".join(str(text or "").split())[:MAX_REASON]


class AdminService:
    def __init__(self, hub, reactor, events: JsonLineLog, controls: LiveControls,
                 metrics: HubMetrics, traffic: Traffic):
        config = hub.config
        self.hub = hub
        self.reactor = reactor
        self.events = events
        self.settings = config.admin
        self.subscribers = sorted(config.registry.all_subscribers())
        # pausable routes: sync routes and notice subscriptions, as (service, 団体コード)
        self.routes = {(r.service_id, r.local_gov_code) for r in config.registry} | {
            (service, code) for code, service, _ in config.registry.subscriptions()}
        self.live = controls  # the exchange and the delivery service read the same object
        self.metrics = metrics
        self.traffic = traffic
        probes = {"routing_log": store_probe(config.routing_log_url
                                             or f"sqlite:{config.routing_log}")}
        if config.notice_store and self.subscribers:
            probes["notices"] = store_probe(config.notice_store)
        archive = getattr(hub, "archive", None)
        if archive is not None:
            probes["archive"] = store_probe(f"sqlite:{archive.path}")
        self.prober = Prober(probes, hub.routing_log, getattr(hub.delivery, "store", None),
                             archive=archive)
        self.metrics.add_gauges(lambda: snapshot_families(
            self.prober.latest.queues if self.prober.latest else (),
            self.controls.paused_subscribers,
            self.prober.latest.routing_log if self.prober.latest else hub.routing_log.health(),
            self.controls.maintenance,
            self.prober.latest.archive if self.prober.latest else
            (archive.health() if archive is not None else None)))
        self._reader: Readable | None = None

    # -- state ---------------------------------------------------------------------------

    @property
    def controls(self) -> Controls:
        """The controls in force now."""
        return self.live.current

    @property
    def draining(self) -> bool:
        return bool(getattr(self.hub, "draining", False))  # the drain work's state, when there

    def ready(self) -> dict:
        doc = verdict(self.prober.latest, draining=self.draining,
                      maintenance=self.controls.maintenance, now=time.time())
        doc["providers"] = self.providers()
        return doc

    def providers(self) -> dict:
        """Reachability per provider and subscriber, from recent traffic (not part of ready)."""
        now = time.time()
        ids = sorted({r.provider.id for r in self.hub.config.registry} | set(self.subscribers))
        return {pid: self.traffic.health(pid, now).__dict__ for pid in ids}

    def probe(self):
        return self._store_call(self.prober.probe)  # it reads the notice store's stats

    def _store_call(self, f, *args):
        """Run ``f`` (which uses the hub's notice store) on the hub's store threads, so that the
        hub's drain waits for it before it closes the store (closing a SQLite store under a
        running call crashes the process); a hub without a notice store: the reactor's pool."""
        store_threads = getattr(self.hub, "threads", None)
        if store_threads is not None:
            return store_threads.run(f, *args)
        return threads.deferToThread(f, *args)

    # -- reads ---------------------------------------------------------------------------

    def _log(self) -> Readable:
        location = self.hub.config.routing_log_location
        if is_postgres(location):
            if self._reader is None:
                self._reader = open_readonly(location)
            return self._reader
        # every worker's file (bus/store/routing_log_files.py): a worker that started after
        # the first search added its own
        self._reader = reopen_if_grown(cast("RoutingLog | RoutingLogFiles | None", self._reader),
                                       Path(location), RoutingLogFiles.open)
        return self._reader

    def search(self, query: hop_search.HopQuery, limit: int):
        return threads.deferToThread(hop_search.search, self._log(), query, limit)

    def trace(self, exchange_id: str):
        def read():
            hops = hop_search.exchange_hops(self._log(), exchange_id)
            ids = {h.message_id for _, h in hops if h.message_id}
            ids |= {h.relates_to for _, h in hops if h.relates_to}
            related = []
            for mid in sorted(ids):
                related += [r for r in hop_search.related_exchanges(self._log(), mid)
                            if r[0] != exchange_id and r not in related]
            return hops, sorted(related, key=lambda r: r[1])
        return threads.deferToThread(read)

    def queues(self):
        return self.prober.latest.queues if self.prober.latest else ()

    def dead_letters(self, limit: int = 200):
        store = self._store()
        return self._store_call(store.dead_letters, None, limit)

    def dead_letter(self, delivery_id: int):
        return self._store_call(self._store().dead_letter, delivery_id)

    def masked(self, payload: bytes) -> str:
        return mask_payload(payload)

    def _store(self):
        if self.hub.delivery is None:
            raise ActionError("this hub has no notice subscribers")
        return self.hub.delivery.store

    # -- changes -------------------------------------------------------------------------

    async def record(self, hop: HopRecord) -> None:
        """Write and commit one record; raise ActionError (nothing done) if it cannot be."""
        try:
            self.hub.routing_log.record(hop)
            await threads.deferToThread(self.hub.routing_log.flush)
        except (RoutingLogError, TimeoutError) as exc:
            raise ActionError(f"the routing log cannot record this action, so it was not "
                              f"done: {exc}") from None

    async def change(self, change: Change) -> Controls:
        try:
            problem = validate_change(change, self.subscribers, self.routes)
            new = self.controls.apply(change.action, change.target)
        except ValueError as exc:
            raise ActionError(str(exc)) from None
        if problem:
            raise ActionError(problem)
        action = Action(change.action)  # apply() refused any other
        kind, value = parse_target(change.target)
        service = value.rpartition("/")[0] if kind is TargetKind.ROUTE else None
        what = f"maintenance {value}" if kind is TargetKind.HUB else f"{kind} {value}"
        await self.record(HopRecord(
            hop=Hop(action), status=Status.OK, service_id=service,
            provider=value if kind is TargetKind.SUBSCRIBER else None,
            reason=f"by {change.who}: {what}; reason: {clean_reason(change.reason)}"))
        try:
            await threads.deferToThread(state_file.save, self.settings.state, new)
        except state_file.StateFileError as exc:
            raise ActionError(str(exc)) from None
        self.live.current = new  # in force from the next request and claim on
        if kind is TargetKind.SUBSCRIBER and action is Action.RESUMED and self.hub.delivery:
            self.hub.delivery.notify([value])
        self.events.emit(f"admin.{action}", **({"on": value == "on"} if kind is TargetKind.HUB
                                                else {str(kind): value}), by=change.who)
        return new

    async def dead_letter_action(self, action: DeadLetterAction, delivery_id: int, who: str,
                                 reason: str | None) -> str:
        """Replay, purge or reveal one dead letter; reveal returns the payload."""
        reason = clean_reason(reason)
        if not reason:
            raise ActionError("a reason is required: it is recorded in the routing log")
        store = self._store()
        letter = await self._store_call(store.dead_letter, delivery_id)
        if letter is None:
            raise ActionError(f"no dead letter {delivery_id}")
        await self.record(HopRecord(
            hop=action.hop, status=Status.OK, message_id=letter.message_id,
            service_id=letter.service_id, provider=letter.subscriber,
            reason=f"by {who}: {action} delivery {delivery_id}; reason: {reason}"))
        if action is DeadLetterAction.REVEAL:
            return (letter.payload or b"").decode("utf-8", "replace")
        replay = action is DeadLetterAction.REPLAY
        done = await self._store_call(store.replay if replay else store.purge, None,
                                      [delivery_id])
        if replay and self.hub.delivery is not None:
            self.hub.delivery.notify([letter.subscriber])
        self.events.emit("admin.dead_letter_replayed" if replay else "admin.dead_letter_purged",
                         delivery_id=delivery_id, subscriber=letter.subscriber,
                         message_id=letter.message_id, by=who)
        return f"{action}: {done} dead letter(s)"

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

