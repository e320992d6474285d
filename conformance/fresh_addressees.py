"""宛名番号 for the residents a run creates ("fresh addressees", 新規の宛名番号).

A case that creates a resident and then observes it ("one change applied") needs a number the
product does not hold yet. Drawn independently at random, such numbers repeat more often with
every run a product's test system keeps: a vendor's store holding the residents of many runs
turns a draw into an old resident, and a correct product into a false failure (a conformant
subscriber reports two changes where the case expects one). So a process draws consecutive
numbers from one random start: no number comes twice in a process, however many runs it makes
on one store, and runs of different processes meet only if one's random start falls inside the
other's short stretch.
"""

from __future__ import annotations

import random
import threading

from bus.core.identifiers import Modulus11Scheme, weighted_sum

# Nine-digit bodies from 100000000: the test data's own 宛名番号 begin with 00000.
LOW, HIGH = 10**8, 10**9
_SCHEME = Modulus11Scheme()
_WEIGHTS = tuple(2 + i % 6 for i in range(9))[::-1]  # 2–7 from the right, listed left to right


def remainder_is_zero(body: str) -> bool:
    """The nine-digit body's weighted sum divisible by 11: check digit 0, which a mod-10
    computation gets wrong."""
    return weighted_sum(body, _WEIGHTS) % 11 == 0


class FreshAddressees:
    """Consecutive 宛名番号 (body and modulus-11 check digit) from ``start`` (random if not
    given), wrapping from the last nine-digit body to the first."""

    def __init__(self, start: int | None = None):
        self._next = random.randrange(LOW, HIGH) if start is None else start
        self._lock = threading.Lock()  # runs of one process may share the stream from threads

    def draw(self, remainder_zero: bool = False) -> str:
        with self._lock:
            while True:
                body = f"{self._next:09d}"
                self._next = self._next + 1 if self._next + 1 < HIGH else LOW
                if not remainder_zero or remainder_is_zero(body):
                    return body + str(_SCHEME.check_digit(body))


PROCESS_STREAM = FreshAddressees()
