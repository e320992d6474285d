"""The mutation check of round 13's waiting case, which the generic faulty-adapter tests cannot
run (an ordinary run skips it): J-FULL-17 run with --param waiting_cases=true and a short pause,
against vendor A (passes) and against a RequestId table whose entries live one second (fails
exactly J-FULL-17)."""

from __future__ import annotations

import pytest

from conformance.runner import RunOptions, run_profile

from .faulty_round13 import WAITING_MODES, RequestIdsWithTtl
from .outcomes import not_passed
from .references import JUKI_PROFILE

pytestmark = pytest.mark.integration

# a pause longer than the faulty table's TTL (1 s), far shorter than the default 130 s
WAITING = {"waiting_cases": "true", "extract_retry_wait": "1.5"}


def test_an_ordinary_run_skips_the_waiting_case_and_says_why(refs, suite):
    result = run_profile(RunOptions(JUKI_PROFILE, target=refs.url(JUKI_PROFILE),
                                    cases=("J-FULL-17",)), suite)
    [case] = result.results
    assert case.verdict == "skip" and "--param waiting_cases=true" in case.reason


def test_vendor_a_passes_the_waiting_case(refs, suite):
    result = run_profile(RunOptions(JUKI_PROFILE, target=refs.url(JUKI_PROFILE), params=WAITING,
                                    cases=("J-FULL-17",)), suite)
    assert [(r.id, r.verdict) for r in result.results] == [("J-FULL-17", "pass")]


def test_a_request_id_table_with_a_ttl_fails_exactly_j_full_17(refs, suite):
    product = RequestIdsWithTtl(refs, JUKI_PROFILE, ttl=1.0)
    # every case but P-CLOCK-01, the other waiting case (up to a minute: round 43d's own test)
    cases = tuple(i.id for i in suite.instances(suite.profiles[JUKI_PROFILE])
                  if not i.id.startswith("P-CLOCK-01"))
    result = run_profile(RunOptions(JUKI_PROFILE, target=product.url, params=WAITING,
                                    cases=cases), suite)
    failed = not_passed(result)
    assert set(failed) == set(WAITING_MODES["request-id-map-ttl"][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
