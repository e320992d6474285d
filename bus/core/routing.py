"""Content-based router: the service registry (サービスレジストリ) and routing decisions.

A synchronous request is routed on its header's content: (receiver 団体コード, service ID) →
the provider registered for it. A notice goes to every subscriber of (receiver 団体コード, service
ID) — a recipient list. Many municipalities share one hub (自治体クラウド), so every route and
subscription is per 団体コード.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .retry import RetryPolicy


@dataclass(frozen=True)
class Provider:
    """A vendor system that provides services or receives notices: where it listens, how long it
    may take, and (as a subscriber) its redelivery policy and delivery concurrency."""

    id: str
    url: str
    timeout: float  # seconds
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    concurrency: int = 8  # notices delivered to it at once (distinct subjects only)


@dataclass(frozen=True)
class Route:
    local_gov_code: str  # 団体コード
    service_id: str
    provider: Provider
    timeout: float  # seconds; the route's own, else the provider's


@dataclass(frozen=True)
class Subscription:
    local_gov_code: str  # 団体コード
    service_id: str
    subscriber: Provider


class ServiceRegistry:
    def __init__(self, routes: list[Route], subscriptions: Iterable[Subscription] = ()) -> None:
        self._subscribers: dict[tuple[str, str], tuple[Provider, ...]] = {}
        for s in subscriptions:
            key = (s.local_gov_code, s.service_id)
            self._subscribers[key] = (*self._subscribers.get(key, ()), s.subscriber)
        self._routes: dict[tuple[str, str], Route] = {}
        for r in routes:
            key = (r.local_gov_code, r.service_id)
            if key in self._routes:
                raise ValueError(f"two routes for service {r.service_id} of {r.local_gov_code}")
            self._routes[key] = r

    def route(self, local_gov_code: str, service_id: str) -> Route | None:
        """The provider of ``service_id`` for municipality ``local_gov_code``, if any."""
        return self._routes.get((local_gov_code, service_id))

    def subscribers(self, local_gov_code: str, service_id: str) -> tuple[Provider, ...]:
        """Every subscriber of ``service_id`` for municipality ``local_gov_code``."""
        return self._subscribers.get((local_gov_code, service_id), ())

    def all_subscribers(self) -> dict[str, Provider]:
        return {p.id: p for subs in self._subscribers.values() for p in subs}

    def subscriptions(self) -> list[tuple[str, str, Provider]]:
        """(団体コード, service, subscriber) of every subscription."""
        return [(code, service, p) for (code, service), subs in self._subscribers.items()
                for p in subs]

    def subscribed_services(self) -> set[str]:
        return {service for _, service in self._subscribers}

    def __iter__(self) -> Iterator[Route]:
        return iter(self._routes.values())

    def __len__(self) -> int:
        return len(self._routes)
