"""The round-8 notice semantics' own mutation check (faulty_notice_semantics.py): each faulty
subscriber fails exactly the cases it targets — a refused notice half applied (S-ATOM-01), a
change leaving the state as held not recorded (S-ORD-03, the grid), a name column through two
code pages (S-CHR-04, the grid)."""

from __future__ import annotations

import pytest

from conformance.runner import RunOptions, run_profile

from .faulty_notice_semantics import SEMANTICS_MODES, build
from .references import SUB_PROFILE, SUBSCRIBER_PROFILES
from .outcomes import not_passed

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode,profile", [
    pytest.param(m, p, id=f"{m}@{p}", marks=[pytest.mark.slow] if p != SUB_PROFILE else [])
    for m in sorted(SEMANTICS_MODES) for p in SUBSCRIBER_PROFILES])
def test_faulty_semantics_subscriber_fails_exactly_its_targets(refs, suite, mode, profile):
    url, observe, closers = build(refs, mode, profile)
    try:
        result = run_profile(RunOptions(profile, target=url, observe=observe), suite)
    finally:
        for close in closers:
            close()
    failed = not_passed(result)
    assert set(failed) == set(SEMANTICS_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
