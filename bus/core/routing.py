"""Content-based router: the service registry (サービスレジストリ) and routing decisions.

A synchronous request is routed on its header's content: (receiver 団体コード, service ID) →
the provider registered for it. Many municipalities share one hub (自治体クラウド), so every route
is per 団体コード.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    """A vendor system that provides services: where it listens and how long it may take."""

    id: str
    url: str
    timeout: float  # seconds


@dataclass(frozen=True)
class Route:
    local_gov_code: str  # 団体コード
    service_id: str
    provider: Provider
    timeout: float  # seconds; the route's own, else the provider's


class ServiceRegistry:
    def __init__(self, routes: list[Route]):
        self._routes: dict[tuple[str, str], Route] = {}
        for r in routes:
            key = (r.local_gov_code, r.service_id)
            if key in self._routes:
                raise ValueError(f"two routes for service {r.service_id} of {r.local_gov_code}")
            self._routes[key] = r

    def route(self, local_gov_code: str, service_id: str) -> Route | None:
        """The provider of ``service_id`` for municipality ``local_gov_code``, if any."""
        return self._routes.get((local_gov_code, service_id))

    def __iter__(self):
        return iter(self._routes.values())

    def __len__(self) -> int:
        return len(self._routes)
