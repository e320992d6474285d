"""Answers across a minute's edge (P-CLOCK-01, a case that waits), step ``minute_edge =
"@sample"``.

A SentAt written wrong only at one instant of the minute — its seconds left out when they are
zero (``OffsetDateTime.toString()``), rounded up to ``:60`` in a minute's last half second —
shows only in an answer sent then, and an ordinary run of a few seconds sends one there by
chance (the thirty-ninth and forty-third blind batches were caught so, or missed). This step
waits (up to a minute, so it runs only when waiting cases are asked for: waiting.py) until the
suite's clock stands ``lead`` seconds before a minute's end, then sends the sample request —
each time a fresh message, for a notice a fresh resident, the SOAP versions in turn — every
0.1 s until ``trail`` seconds into the next minute. Each must be answered (a notice:
receipted, as its canonical form is); the invariants judge every answer as any other: SentAt an
``xs:dateTime`` (INV-MSG-03: ``hh:mm:ss``, seconds below 60), within the skew (INV-MSG-04) and
advancing with the clock (INV-MSG-10). ``lead`` and ``trail`` (1 s and 1.5 s) take in a
product's clock up to a second off the suite's.
"""

from __future__ import annotations

import time
from typing import Any

from . import checks

LEAD = 1.0  # seconds before the minute's end the first request goes
TRAIL = 1.5  # seconds after it the last one goes
EVERY = 0.1  # seconds between requests: 26 of them, however fast the product answers


def seconds_to_wait(now: float, lead: float = LEAD) -> float:
    """From the wall-clock instant ``now`` (Unix seconds) until ``lead`` seconds before the end
    of a minute — this one's if that is still ahead, else the next one's."""
    return (60.0 - lead - now % 60.0) % 60.0


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    versions = step.get("soap", ["1.1", "1.2"])
    runner.s.transport.pause(seconds_to_wait(time.time()))
    start = time.monotonic()
    problems: list[str] = []
    for k in range(round((LEAD + TRAIL) / EVERY) + 1):
        runner.s.transport.pause(start + k * EVERY - time.monotonic())
        soap = versions[k % len(versions)]
        vals = {**values, "fresh_addressee": runner._fresh_addressee()}
        ex = runner._post(step.with_options(soap=soap), vals, step.target, {},
                          f"minute edge {k + 1} SOAP {soap}")
        problems += [f"request {k + 1} (SOAP {soap}, sent {ex.started_at}): {p}"
                     for p in checks.outcome(ex, "response")]
    return problems
