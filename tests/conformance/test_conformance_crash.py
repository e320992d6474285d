"""Durability on every binding (S-DUR-01…03 run once per SOAP version, ``each_binding``): the
SDK-built subscriber that can crash in this process passes them; its mutant whose SOAP 1.2 path
writes through a cache fails exactly them, and only in their SOAP 1.2 pass — the defect a run
over SOAP 1.1 alone never saw; the one caching notices of several changes fails S-DUR-04."""

from __future__ import annotations

import pytest

from .faulty_durability import CRASH_MODES, CrashableSubscriber, crash_run
from .references import SUB_PROFILE, SUBSCRIBER_PROFILES

pytestmark = pytest.mark.integration

DURABILITY = ("S-DUR-01", "S-DUR-02", "S-DUR-03")


def _profiles():
    return [pytest.param(p, marks=[pytest.mark.slow] if p != SUB_PROFILE else [])
            for p in SUBSCRIBER_PROFILES]


@pytest.mark.parametrize("profile", _profiles())
def test_a_crashable_subscriber_passes_every_case_across_crashes(refs, suite, profile):
    subscriber = CrashableSubscriber()
    failed, result = crash_run(refs, suite, subscriber, profile)
    assert failed == {} and result.verdict == "pass"
    # S-DUR-01, 02 (twice), 03, 04 (twice), 05, 06, 07 (twice): once per binding; S-DUR-08
    # twice; S-DUR-09 three times per binding; S-START-01, S-KEEP-01 and S-HELD-01 once;
    # S-RST-01 twice; S-FIELD-01 and S-PART-01 once (round 23b); S-FIELD-02 once (round 24);
    # S-DUR-10 once per binding (round 26b); S-DUR-11 four times (round 27b); S-MULTI-05 once
    # (round 35b)
    assert subscriber.crashes == 44


@pytest.mark.parametrize("profile", _profiles())
@pytest.mark.parametrize("mode", sorted(CRASH_MODES))
def test_faulty_crash_subscriber_fails_exactly_its_targets(refs, suite, mode, profile):
    failed, _ = crash_run(refs, suite, CrashableSubscriber(mode), profile)
    assert set(failed) == set(CRASH_MODES[mode][1]), {k: str(r.findings) for k, r in failed.items()}
    for result in failed.values():
        assert result.verdict == "fail"
        # seen on that binding's pass only (S-DUR-08, S-RST-01, S-KEEP-01, S-HELD-01,
        # S-FIELD-01, S-PART-01, round 24's S-FIELD-02, rounds 26b/27b's S-DUR-10/11
        # alternate the versions in one run; round 34b's S-RELOAD-01 observes every resident
        # again, whatever version its notices came in; round 35b's S-MULTI-05 delivers its
        # notices again over the other version too; round 43a's S-LATE-02 delivers the run's
        # notices again, each over its own version, one step for all)
        if mode.startswith("soap12-") and result.id not in ("S-DUR-08", "S-RST-01", "S-KEEP-01",
                                                            "S-HELD-01", "S-FIELD-01",
                                                            "S-PART-01", "S-FIELD-02",
                                                            "S-DUR-10", "S-DUR-11",
                                                            "S-RELOAD-01", "S-MULTI-05",
                                                            "S-LATE-02"):
            assert all("[SOAP 1.2]" in f.where for f in result.findings), result.findings
