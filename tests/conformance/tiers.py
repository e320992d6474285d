"""Which faulty-adapter runs the default test run holds and which wait for the slow tier.

Every run of a faulty adapter starts the whole profile against it (2–5 s each, some hundreds of
them), so the default run holds a stable sample: the runs on a mode's first profile whose name
falls in one of ``SAMPLE_EVERY`` buckets of a CRC-32. The sample does not shift when modes are
added or reordered, and new modes fall into it as often as old ones. Every run the tests hold,
sampled or not, is in ``.ci/run``'s slow tier, which runs them two at a time.

The same defect on another vendor's reference (a mode's other profiles) is where a run shows
least: the faulty adapter's code and the cases are the same, only the reference behind it
differs. Of those runs the tests hold a stable twenty-fourth (``OTHER_PROFILE_EVERY`` buckets of
a CRC-32 of mode and profile; a subset of the sixth held until round 34 added the wire grid and
S-RELOAD-01 to every profile run, and of the twelfth held until 7 December 2026, when the whole
CI took 85 min of its 90) and every run whose expected failures are that profile's own
(``targets_by_profile``). All runs made the slow conformance
tier 50 min on the 2-core CI machine (2026-12-05, 924 tests); a third of the other-profile runs
made the whole CI 85 min of its 90 (stop 29, 6 December 2026, 717 tests in the tier). The
faulty subscribers (``subscriber_runs``: kojinjuminzei.subscriber first, kokuho.subscriber the
other) are sampled by the same rule. The default run's sample is a sixteenth (an eighth until
6 December 2026, when the default run took 17–20 min on two cores against the ~10 min it aims
at; the runs it left are in the slow tier, so CI runs the same set).
"""

from __future__ import annotations

import zlib

import pytest

from .references import SUB_PROFILE, SUBSCRIBER_PROFILES

SAMPLE_EVERY = 16
OTHER_PROFILE_EVERY = 24  # a multiple of the 12 before: its runs are a subset of those


def in_default_run(mode: str, profile: str, first_profile: str) -> bool:
    return profile == first_profile and zlib.crc32(mode.encode()) % SAMPLE_EVERY == 0


def in_slow_tier(mode: str, profile: str, first_profile: str, own_targets: bool = False) -> bool:
    """Whether ``mode`` runs on ``profile`` at all: on its first profile always, on another one
    when its targets there are the profile's own or it falls in the stable sample."""
    return (profile == first_profile or own_targets
            or zlib.crc32(f"{mode}@{profile}".encode()) % OTHER_PROFILE_EVERY == 0)


def faulty_run(mode: str, profile: str, first_profile: str, value=None):
    """A ``pytest.param`` of (``value`` or ``mode``, ``profile``) with id ``mode@profile``,
    marked slow unless it is in the default run's sample."""
    marks = [] if in_default_run(mode, profile, first_profile) else [pytest.mark.slow]
    return pytest.param(mode if value is None else value, profile, id=f"{mode}@{profile}",
                        marks=marks)


def subscriber_runs(modes) -> list:
    """``faulty_run`` of each subscriber mode on each subscriber profile ``in_slow_tier``."""
    return [faulty_run(m, p, SUB_PROFILE) for m in sorted(modes) for p in SUBSCRIBER_PROFILES
            if in_slow_tier(m, p, SUB_PROFILE)]
