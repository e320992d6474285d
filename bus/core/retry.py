"""Redelivery policy of a subscriber (再送ポリシー): exponential backoff with jitter, bounded by
attempts and by age; past either bound the delivery goes to the dead letter channel."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 10
    max_age: float = 86_400.0  # seconds since the notice was accepted
    backoff_initial: float = 1.0  # seconds before the 2nd attempt
    backoff_max: float = 300.0
    multiplier: float = 2.0
    jitter: float = 0.2  # ± this fraction, so that many failed deliveries do not retry in step

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt."""
        base = min(self.backoff_max, self.backoff_initial * self.multiplier ** (attempts - 1))
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.0, base * (1 + spread))

    def next_attempt(self, attempts: int, enqueued_at: float, now: float,
                     rng: random.Random | None = None) -> float | None:
        """When to try again after ``attempts`` failed attempts, or None: give up (dead letter)."""
        if attempts >= self.max_attempts:
            return None
        at = now + self.delay(attempts, rng)
        if at - enqueued_at > self.max_age:
            return None
        return at
