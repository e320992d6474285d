"""Recent traffic for the dashboard, and each provider's recent health — pure, in memory.

Per service: 10-second buckets of (exchanges, errors) over the last 30 minutes. Per provider and
subscriber: the outcome of its latest exchanges, so the route map can colour it and readiness can
report reachability *without* depending on it (a vendor's outage is not the hub's).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

BUCKET = 10.0  # seconds
KEEP = 180  # buckets: 30 minutes
RECENT = 20  # outcomes kept per provider


@dataclass(frozen=True)
class ProviderHealth:
    id: str
    state: str  # "ok" | "degraded" | "down" | "unknown"
    recent: int  # outcomes considered
    failures: int
    last_ok_at: float | None
    last_error_at: float | None
    last_fault_code: str | None


class Traffic:
    def __init__(self) -> None:
        self._buckets: dict[str, deque] = {}  # service → deque of [start, count, errors]
        self._outcomes: dict[str, deque] = {}  # provider → deque of (at, ok, fault_code)

    def exchange(self, service: str, ok: bool, now: float) -> None:
        start = now - now % BUCKET
        q = self._buckets.setdefault(service, deque(maxlen=KEEP))
        if not q or q[-1][0] != start:
            q.append([start, 0, 0])
        q[-1][1] += 1
        if not ok:
            q[-1][2] += 1

    def provider(self, provider_id: str, ok: bool, fault_code: str | None, now: float) -> None:
        self._outcomes.setdefault(provider_id, deque(maxlen=RECENT)).append(
            (now, ok, fault_code))

    def series(self, now: float, span: float = 1800.0) -> dict[str, list[tuple[float, float,
                                                                               float]]]:
        """service → [(bucket start, exchanges per second, error ratio)], every bucket of the
        span present (zeros included), oldest first."""
        first = now - now % BUCKET - span + BUCKET
        out = {}
        for service, q in sorted(self._buckets.items()):
            seen = {b[0]: b for b in q if b[0] >= first}
            points = []
            t = first
            while t <= now:
                _, count, errors = seen.get(t, (t, 0, 0))
                points.append((t, count / BUCKET, errors / count if count else 0.0))
                t += BUCKET
            out[service] = points
        return out

    def health(self, provider_id: str, now: float, stale: float = 600.0) -> ProviderHealth:
        q = [o for o in self._outcomes.get(provider_id, ()) if now - o[0] <= stale]
        failures = sum(1 for _, ok, _ in q if not ok)
        last_ok = max((at for at, ok, _ in q if ok), default=None)
        errors = [(at, code) for at, ok, code in q if not ok]
        last_err = max(errors, default=None)
        if not q:
            state = "unknown"
        elif not q[-1][1] and failures >= min(3, len(q)):
            state = "down"
        elif failures:
            state = "degraded"
        else:
            state = "ok"
        return ProviderHealth(provider_id, state, len(q), failures, last_ok,
                              last_err[0] if last_err else None, last_err[1] if last_err else None)
