"""What the hub tells the operators as it works: JSON events on stdout for what needs a person
(a delivery failed, a dead letter) and, with ``[admin]``, metrics and the dashboard's traffic.

The exchange and the delivery service call it; it never raises into them.
"""

from __future__ import annotations

import time

from ..core.faults import Party
from ..core.jsonlog import JsonLineLog
from ..store.hop_record import Status
from ..store.notices.base import NoticeOutcome
from .metrics import REFUSAL_OF_FAULT, HubMetrics, RefusalKind
from .traffic import Traffic


class HubObserver:
    def __init__(self, events: JsonLineLog | None, metrics: HubMetrics | None = None,
                 traffic: Traffic | None = None, clock=time.time):
        self.events = events
        self.metrics = metrics
        self.traffic = traffic
        self.clock = clock

    def exchange(self, last, provider_ms: float | None) -> None:
        """``last``: the exchange's final HopRecord."""
        if self.metrics is not None:
            self.metrics.exchange(last.service_id, last.status, last.fault_code,
                                  last.duration_ms, last.provider, provider_ms)
        if self.traffic is not None:
            now = self.clock()
            service = self.metrics.service(last.service_id) if self.metrics else (
                last.service_id or "other")
            self.traffic.exchange(service, last.status == Status.OK, now)
            if last.provider and provider_ms is not None:  # the provider was called
                self.traffic.provider(last.provider, last.party != Party.PROVIDER, last.fault_code,
                                      now)

    def notices_accepted(self, subscriber_ids) -> None:
        if self.metrics is not None:
            for sid in subscriber_ids:
                self.metrics.notice(sid, NoticeOutcome.ACCEPTED)

    def delivery(self, outcome: NoticeOutcome, status: Status, fields: dict,
                 reason: str) -> None:
        """One delivery attempt ended: delivered, failed (to be retried), dead-lettered, or
        released by a stop (the delivery service says which)."""
        sub = fields.get("provider") or "other"
        if self.metrics is not None:
            self.metrics.notice(sub, outcome)
        if self.traffic is not None:
            self.traffic.provider(sub, status == Status.OK, fields.get("fault_code"), self.clock())
        if self.events is not None and outcome is not NoticeOutcome.DELIVERED:
            self.events.emit("notice.dead_lettered" if outcome is NoticeOutcome.DEAD else
                             "notice.delivery_failed", message_id=fields.get("message_id"),
                             service_id=fields.get("service_id"), subscriber=sub,
                             attempt=fields.get("attempt"), fault_code=fields.get("fault_code"),
                             rule=fields.get("rule"), http_status=fields.get("http_status"),
                             detail=reason)

    def refused_event(self, event: str, fault_code: str | None) -> None:
        """A refusal before any exchange began: a TLS handshake, the HTTP layer's limits."""
        if self.metrics is None:
            return
        if event == "hub.tls_refused":
            self.metrics.refused(RefusalKind.TLS)
        elif (refusal := REFUSAL_OF_FAULT.get(fault_code or "")) is not None:
            self.metrics.refused(refusal)

