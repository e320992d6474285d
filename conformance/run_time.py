"""Where a run's time went: awaiting the product, waiting on purpose, and the suite's own work.

Issue 11 asks a provider-profile run to stay under 2 s on a conformant adapter, slow-answer cases
apart. A run's wall time is the sum of three parts the suite can tell apart, since it runs one
step at a time: the product's (from a request going out until its answer is read, or a vendor
command — restart, observe, trigger — running), the waits a case makes on purpose (P-LATE-01
sends its retries seconds after the first answers; ``waiting`` cases pause), and the rest, which
is the suite building, sending and judging messages. The report states all three, so a vendor
sees what its adapter cost and the suite's own part is measured on every run, not estimated.
Overlapping intervals (several requests in flight at once, a pause while a held connection is
open) are counted once, the product's first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

Interval = tuple[float, float]  # monotonic clock readings: (start, end)


@dataclass(frozen=True)
class TimeSplit:
    """A run's wall time in seconds, split three ways (``suite`` is what is left)."""

    total: float
    product: float
    waiting: float

    @property
    def suite(self) -> float:
        return max(self.total - self.product - self.waiting, 0.0)

    def as_dict(self) -> dict[str, float]:
        return {"product_s": round(self.product, 3), "waiting_s": round(self.waiting, 3),
                "suite_s": round(self.suite, 3)}

    def describe(self) -> str:
        return (f"the product {self.product:.1f} s, waiting on purpose {self.waiting:.1f} s, "
                f"the suite {self.suite:.1f} s")


def covered(intervals: Iterable[Interval]) -> float:
    """The length of the union of ``intervals``."""
    length, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end <= reach:
            continue
        length += end - max(start, reach)
        reach = end
    return length


def split(total: float, product: Iterable[Interval], waits: Iterable[Interval]) -> TimeSplit:
    """``total`` seconds split into the product's intervals, then the waits not inside them."""
    product, waits = list(product), list(waits)
    awaited = covered(product)
    return TimeSplit(total, awaited, covered(product + waits) - awaited)
