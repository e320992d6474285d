"""Prometheus metrics of one hub (``GET /metrics`` on the admin listener), via prometheus_client.

Low cardinality by construction: a service label only takes the services the hub's catalogs
define, a fault-code label only the codes of ``bus.core.faults``, a provider/subscriber label
only the configured ones — anything else is counted as ``other``. Never a message ID, never a
団体コード × service product beyond what the configuration declares.

Each hub has its own ``CollectorRegistry`` (several hubs may run in one test process). Gauges
that read a store (queue depth, oldest age) come from a snapshot refreshed off the reactor
thread (``readiness.Prober``), so a scrape never waits on a database.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from prometheus_client import (CollectorRegistry, Counter, Histogram, Info,
                               disable_created_metrics)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from ..core import faults
from ..core.faults import ALL_CODES
from ..store.group_writer import WriterState
from ..store.notices.base import NOTICE_OUTCOMES, NoticeOutcome

disable_created_metrics()  # no *_created series: half the lines, nothing a dashboard reads
OTHER = "other"
# Hub-added time is small (validation both ways, routing): buckets from 0.5 ms.
HUB_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
PROVIDER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RefusalKind(StrEnum):
    """Why a request was refused before an exchange (``pfbus_refusals_total``'s ``kind``)."""

    LIMITS = "limits"  # size, depth, rate, concurrency, read time
    ACCESS = "access"  # no right, or a spoofed sender
    TLS = "tls"  # the handshake


REFUSAL_KINDS = tuple(k.value for k in RefusalKind)

# Which refusal kind a fault code is (requests refused by limits, access rights or TLS).
REFUSAL_OF_FAULT = {
    **{f.code: RefusalKind.LIMITS for f in (faults.TOO_LARGE, faults.TOO_DEEP, faults.LIMIT_RATE,
                                            faults.LIMIT_CONCURRENCY, faults.LIMIT_TIME)},
    **{f.code: RefusalKind.ACCESS for f in (faults.ACCESS_DENIED, faults.SENDER_SPOOFED)}}


def build_version() -> str:
    try:
        from importlib.metadata import version
        return version("pfbus")
    except Exception:  # running from a source tree that is not installed
        return "unknown"


class HubMetrics:
    def __init__(self, services: Iterable[str], providers: Iterable[str],
                 subscribers: Iterable[str], node_id: str):
        self.registry = CollectorRegistry(auto_describe=True)
        self._services = frozenset(services)
        self._providers = frozenset(providers)
        self._subscribers = frozenset(subscribers)
        self._codes = frozenset(c.code for c in ALL_CODES)
        self._children: dict[tuple, Any] = {}
        r = self.registry
        self.exchanges = Counter("pfbus_exchanges", "Exchanges finished, by service, final "
                                 "status and fault code", ("service", "status", "fault_code"),
                                 registry=r)
        self.hub_latency = Histogram("pfbus_hub_latency_seconds", "Time the hub adds to an "
                                     "exchange (total minus the provider's time)", ("service",),
                                     buckets=HUB_BUCKETS, registry=r)
        self.provider_latency = Histogram("pfbus_provider_latency_seconds", "Provider round "
                                          "trip seen by the hub", ("provider",),
                                          buckets=PROVIDER_BUCKETS, registry=r)
        self.refusals = Counter("pfbus_refusals", "Requests refused by limits, access rights or "
                                "TLS", ("kind",), registry=r)
        self.notices = Counter("pfbus_notices", "Notices per subscriber: accepted, delivered, "
                               "retried (a failed attempt to be retried), dead (dead letter "
                               "channel), released (cut by a stop, due again)",
                               ("subscriber", "outcome"), registry=r)
        self.store_errors = Counter("pfbus_store_errors", "Store operations that failed",
                                    ("store",), registry=r)
        Info("pfbus_build", "pfbus build", registry=r).info(
            {"version": build_version(), "python": platform.python_version(), "node": node_id})
        for kind in REFUSAL_KINDS:  # zero series exist from the start: rate() needs them
            self.refusals.labels(kind)
        for sub in self._subscribers:
            for outcome in NOTICE_OUTCOMES:
                self.notices.labels(sub, outcome)

    def service(self, name: str | None) -> str:
        return name if name in self._services else OTHER

    def _child(self, metric, *labels: str):
        """``metric.labels(*labels)``, looked up once: the hot path pays a dict lookup only."""
        key = (metric, labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def exchange(self, service_id: str | None, status: str, fault_code: str | None,
                 total_ms: float | None, provider: str | None,
                 provider_ms: float | None) -> None:
        service = self.service(service_id)
        code = fault_code if fault_code in self._codes else ("" if not fault_code else OTHER)
        self._child(self.exchanges, service, str(status), code).inc()
        if total_ms is not None:
            hub_ms = total_ms - (provider_ms or 0.0)
            self._child(self.hub_latency, service).observe(max(hub_ms, 0.0) / 1000)
        if provider_ms is not None:
            self._child(self.provider_latency, provider if provider in self._providers
                        else OTHER).observe(provider_ms / 1000)
        kind = REFUSAL_OF_FAULT.get(code)
        if kind is not None:
            self.refusals.labels(kind).inc()
        if code == faults.STORE_UNAVAILABLE.code:
            self.store_errors.labels("notices").inc()

    def refused(self, kind: RefusalKind) -> None:
        """A refusal before any exchange began (HTTP limits, a TLS handshake)."""
        self.refusals.labels(kind).inc()

    def notice(self, subscriber: str, outcome: NoticeOutcome) -> None:
        self.notices.labels(subscriber if subscriber in self._subscribers else OTHER,
                            outcome).inc()

    def add_gauges(self, read: Callable[[], Iterable]) -> None:
        """``read()`` yields metric families at each scrape (queues, routing log, controls)."""
        self.registry.register(_Gauges(read))

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _Gauges:
    def __init__(self, read: Callable[[], Iterable]):
        self._read = read

    def collect(self):
        yield from self._read()

    def describe(self):
        return []


def snapshot_families(queues, paused: frozenset[str], routing_log: dict,
                      maintenance: bool, archive: dict | None = None) -> list:
    """Metric families from the latest probe snapshot (see ``readiness``)."""
    depth = GaugeMetricFamily("pfbus_queue_depth", "Notices waiting per subscriber (pending + "
                              "in flight)", labels=("subscriber",))
    age = GaugeMetricFamily("pfbus_queue_oldest_age_seconds", "Age of the oldest undelivered "
                            "notice per subscriber", labels=("subscriber",))
    dead = GaugeMetricFamily("pfbus_queue_dead", "Dead letters per subscriber",
                             labels=("subscriber",))
    paused_g = GaugeMetricFamily("pfbus_subscriber_paused", "1 while an operator has paused "
                                 "delivery to the subscriber", labels=("subscriber",))
    for q in queues:
        depth.add_metric((q.subscriber,), q.pending + q.inflight)
        age.add_metric((q.subscriber,), q.oldest_pending_age or 0.0)
        dead.add_metric((q.subscriber,), q.dead)
        paused_g.add_metric((q.subscriber,), 1.0 if q.subscriber in paused else 0.0)
    backlog = GaugeMetricFamily("pfbus_routing_log_backlog", "Hop records queued for the "
                                "routing log's writer", value=routing_log.get("backlog", 0))
    commit = GaugeMetricFamily("pfbus_routing_log_commit_seconds", "Duration of the routing "
                               "log's last batch commit",
                               value=routing_log.get("last_commit_seconds") or 0.0)
    dropped = CounterMetricFamily("pfbus_routing_log_dropped", "Hop records the routing log "
                                  "could not write", value=routing_log.get("dropped", 0))
    maint = GaugeMetricFamily("pfbus_maintenance", "1 while the hub is in maintenance",
                              value=1.0 if maintenance else 0.0)
    families = [depth, age, dead, paused_g, backlog, commit, dropped, maint]
    if archive:  # [store] archive configured: its writer, as the routing log's
        families += [
            GaugeMetricFamily("pfbus_payload_archive_backlog", "Payloads queued for the "
                              "archive's writer", value=archive.get("backlog", 0)),
            GaugeMetricFamily("pfbus_payload_archive_failing", "1 while the archive cannot be "
                              "written (new exchanges are refused)",
                              value=1.0 if archive.get("state") == WriterState.FAILING else 0.0),
            CounterMetricFamily("pfbus_payload_archive_lost", "Payloads the archive gave up "
                                "(only at a stop while writing failed)",
                                value=archive.get("lost", 0))]
    return families
