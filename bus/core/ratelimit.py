"""Per-adapter admission: a token bucket (rate, burst) and a bound on requests in flight.

Pure: no Twisted, no clock of its own (``now`` is passed in: the caller's clock, seconds), so it is tested
without sleeping. The hub's edge asks ``Admission.admit(key, now)`` once per exchange and calls
the returned release when the exchange is over; a refusal is a HubFault (PF-LIMIT-RATE or
PF-LIMIT-CONCURRENCY) with the limit in its finding.

The key is the adapter the limits apply to: the adapter ID authenticated by TLS when there is
one, else the header's Sender party (``limit_key``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import faults
from .faults import HubFault
from .findings import Finding


@dataclass(frozen=True)
class AdapterLimits:
    """One adapter's bounds: sustained requests per second, burst, requests in flight."""

    rate: float = 50.0
    burst: int = 100
    concurrency: int = 16


@dataclass(frozen=True)
class LimitPolicy:
    """The defaults and the per-adapter overrides (``[hub] limits`` in the config)."""

    default: AdapterLimits = AdapterLimits()
    per_adapter: dict[str, AdapterLimits] = field(default_factory=dict)

    def of(self, key: str) -> AdapterLimits:
        return self.per_adapter.get(key, self.default)


def limit_key(peer: str | None, sender: str) -> str:
    """Whose limits apply. THE ONE PLACE where the key is chosen: the authenticated adapter ID
    (TLS client certificate) when known, else the Sender party the header claims."""
    return peer if peer is not None else sender


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved; one request takes one token."""

    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: int, now: float):
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = now

    def refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def take(self, now: float) -> bool:
        self.refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def wait(self) -> float:
        """Seconds until one token is available (0 when one is)."""
        return max(0.0, (1.0 - self.tokens) / self.rate) if self.rate > 0 else float("inf")


class Admission:
    """The buckets and in-flight counts of every adapter seen (bounded by ``max_keys``)."""

    def __init__(self, policy: LimitPolicy = LimitPolicy(), max_keys: int = 10_000):
        self.policy = policy
        self.max_keys = max_keys
        self._buckets: dict[str, TokenBucket] = {}
        self._in_flight: dict[str, int] = {}

    def admit(self, key: str, now: float) -> Callable[[], None]:
        """Take one token and one concurrency slot for ``key``, or raise HubFault. Returns the
        release to call exactly once when the exchange is over."""
        limits = self.policy.of(key)
        in_flight = self._in_flight.get(key, 0)
        if in_flight >= limits.concurrency:
            raise HubFault(faults.LIMIT_CONCURRENCY, (Finding(
                "limit:concurrency", f"{key} already has {in_flight} requests in flight (limit "
                f"{limits.concurrency})"),))
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._forget_idle(now)
            bucket = self._buckets[key] = TokenBucket(limits.rate, limits.burst, now)
        if not bucket.take(now):
            raise HubFault(faults.LIMIT_RATE, (Finding(
                "limit:rate", f"{key} exceeds {limits.rate:g} requests/s (burst {limits.burst});"
                f" retry after {bucket.wait():.3f} s"),))
        self._in_flight[key] = in_flight + 1
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            left = self._in_flight.get(key, 1) - 1
            if left > 0:
                self._in_flight[key] = left
            else:
                self._in_flight.pop(key, None)

        return release

    def in_flight(self, key: str) -> int:
        return self._in_flight.get(key, 0)

    def _forget_idle(self, now: float) -> None:
        """Drop buckets that are full again (nothing to remember) so keys cannot grow memory."""
        for key, bucket in list(self._buckets.items()):
            bucket.refill(now)
            if bucket.tokens >= bucket.burst and key not in self._in_flight:
                del self._buckets[key]
        if len(self._buckets) >= self.max_keys:  # all busy: forget the oldest
            del self._buckets[next(iter(self._buckets))]
