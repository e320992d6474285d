"""Operator controls (運用制御): maintenance mode and paused subscribers/routes — pure decisions.

Maintenance: every new request is refused with PF-MAINTENANCE (HTTP 503 + Retry-After), so a
load balancer drains the node; deliveries already accepted keep flowing. A paused subscriber
keeps its queue (notices are still accepted and stored) but is not delivered to until resumed.
A paused route (service, 団体コード) refuses new requests for it with PF-PAUSED.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from ..core import faults
from ..core.faults import HubFault
from ..core.findings import Finding


class Action(StrEnum):
    """An operator's control action (運用操作); its value is the routing-log hop recording it."""

    MAINTENANCE = "maintenance"  # target hub:on / hub:off
    PAUSED = "paused"  # a subscriber or a route
    RESUMED = "resumed"


class TargetKind(StrEnum):
    """What an action applies to: ``hub:on|off``, ``subscriber:ID``, ``route:SERVICE/団体コード``."""

    HUB = "hub"
    SUBSCRIBER = "subscriber"
    ROUTE = "route"


@dataclass(frozen=True)
class Change:
    """Who changed what, and why: recorded before it takes effect."""

    action: str  # an Action's value, as the caller sent it (apply() refuses any other)
    target: str  # "hub:on", "subscriber:ID" or "route:SERVICE/団体コード"
    who: str
    reason: str


@dataclass(frozen=True)
class Controls:
    maintenance: bool = False
    paused_subscribers: frozenset[str] = field(default_factory=frozenset)
    paused_routes: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (service, code)

    def refusal(self, service_id: str | None, local_gov_code: str | None,
                message_id: str | None = None) -> HubFault | None:
        """The fault a new request gets now, or None when it may pass."""
        if self.maintenance:
            return HubFault(faults.MAINTENANCE, (Finding(
                "operator:maintenance", "the hub is in maintenance"),), message_id)
        if (service_id, local_gov_code) in self.paused_routes:
            return HubFault(faults.PAUSED, (Finding(
                "operator:paused", f"route {service_id}/{local_gov_code} is paused"),),
                message_id)
        return None

    def is_paused(self, subscriber_id: str) -> bool:
        return subscriber_id in self.paused_subscribers

    def apply(self, action: str, target: str) -> Controls:
        """The controls after ``action`` on ``target`` (see ``parse_target``)."""
        kind, value = parse_target(target)
        if action == Action.MAINTENANCE:
            if kind is not TargetKind.HUB:
                raise ValueError("maintenance applies to the hub")
            return replace(self, maintenance=value == "on")
        if action not in (Action.PAUSED, Action.RESUMED):
            raise ValueError(f"unknown action {action!r}")
        pause = action == Action.PAUSED
        if kind is TargetKind.SUBSCRIBER:
            subs = set(self.paused_subscribers)
            subs.add(value) if pause else subs.discard(value)
            return replace(self, paused_subscribers=frozenset(subs))
        if kind is TargetKind.ROUTE:
            service, _, code = value.rpartition("/")
            routes = set(self.paused_routes)
            routes.add((service, code)) if pause else routes.discard((service, code))
            return replace(self, paused_routes=frozenset(routes))
        raise ValueError(f"{action} applies to a subscriber or a route, not {target!r}")

    def to_json(self) -> dict:
        return {"maintenance": self.maintenance,
                "paused_subscribers": sorted(self.paused_subscribers),
                "paused_routes": [f"{s}/{c}" for s, c in sorted(self.paused_routes)]}

    @classmethod
    def from_json(cls, doc: dict) -> Controls:
        routes = set()
        for text in doc.get("paused_routes", []):
            service, _, code = str(text).rpartition("/")
            if not service or not code:
                raise ValueError(f"paused route {text!r} is not SERVICE/団体コード")
            routes.add((service, code))
        return cls(bool(doc.get("maintenance", False)),
                   frozenset(str(s) for s in doc.get("paused_subscribers", [])),
                   frozenset(routes))


class LiveControls:
    """The controls in force now (現在の運用制御): built before the exchange and the delivery
    service, which read it on every request and claim; the admin service replaces ``current``
    once a change is recorded. Without ``[admin]`` there is none (nothing is refused or paused).
    """

    def __init__(self, current: Controls, retry_after: int):
        self.current = current
        self.retry_after = retry_after  # seconds, the Retry-After told to callers refused

    def refusal(self, service_id: str | None, local_gov_code: str | None,
                message_id: str | None = None) -> HubFault | None:
        return self.current.refusal(service_id, local_gov_code, message_id)

    def is_paused(self, subscriber_id: str) -> bool:
        return self.current.is_paused(subscriber_id)


def parse_target(target: str) -> tuple[TargetKind, str]:
    """``hub:on``/``hub:off``, ``subscriber:ID``, ``route:SERVICE/団体コード`` → (kind, value)."""
    kind, _, value = target.partition(":")
    if kind == TargetKind.HUB and value in ("on", "off"):
        return TargetKind.HUB, value
    if kind == TargetKind.SUBSCRIBER and value:
        return TargetKind.SUBSCRIBER, value
    if kind == TargetKind.ROUTE:
        service, _, code = value.rpartition("/")
        if service and len(code) == 6 and code.isdigit():
            return TargetKind.ROUTE, value
        raise ValueError(f"route {value!r}: expected SERVICE/団体コード, e.g. "
                         f"juki.ResidentInquiry/131016")
    raise ValueError(f"unknown target {target!r}")


def validate_change(change: Change, known_subscribers, known_routes) -> str | None:
    """Why this change cannot be made (an unknown subscriber or route, no reason), or None."""
    if not change.reason.strip():
        return "a reason is required (--reason): it is recorded in the routing log"
    kind, value = parse_target(change.target)
    if kind is TargetKind.SUBSCRIBER and value not in known_subscribers:
        return f"no subscriber {value!r} in this hub's configuration"
    if kind is TargetKind.ROUTE:
        service, _, code = value.rpartition("/")
        if (service, code) not in known_routes:
            return f"no route {value} in this hub's configuration"
    return None
