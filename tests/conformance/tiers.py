"""Which faulty-adapter runs the default test run holds and which wait for the slow tier.

Every run of a faulty adapter starts the whole profile against it (2–5 s each, some hundreds of
them), so the default run holds a stable sample: the runs on a mode's first profile whose name
falls in one of ``SAMPLE_EVERY`` buckets of a CRC-32. The sample does not shift when modes are
added or reordered, and new modes fall into it as often as old ones. Every run, sampled or not,
is in ``.ci/run``'s slow tier, which runs them two at a time.
"""

from __future__ import annotations

import zlib

import pytest

SAMPLE_EVERY = 8


def in_default_run(mode: str, profile: str, first_profile: str) -> bool:
    return profile == first_profile and zlib.crc32(mode.encode()) % SAMPLE_EVERY == 0


def faulty_run(mode: str, profile: str, first_profile: str, value=None):
    """A ``pytest.param`` of (``value`` or ``mode``, ``profile``) with id ``mode@profile``,
    marked slow unless it is in the default run's sample."""
    marks = [] if in_default_run(mode, profile, first_profile) else [pytest.mark.slow]
    return pytest.param(mode if value is None else value, profile, id=f"{mode}@{profile}",
                        marks=marks)
