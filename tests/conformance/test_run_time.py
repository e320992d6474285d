"""A run's time split three ways (conformance/run_time.py): the product's, waiting on purpose,
the suite's own — stated in every report so the suite's part of a run is measured."""

from __future__ import annotations

import pytest

from conformance.run_time import covered, split
from conformance.runner import RunOptions, run_profile
from conformance.transport import Transport

from .references import JUKI_PROFILE


def test_overlapping_intervals_are_counted_once():
    assert covered([]) == 0.0
    assert covered([(0.0, 1.0), (2.0, 3.0)]) == 2.0
    assert covered([(0.0, 2.0), (1.0, 3.0), (1.5, 2.5)]) == 3.0  # requests in flight together
    assert covered([(5.0, 6.0), (0.0, 10.0)]) == 10.0


def test_a_wait_inside_an_answer_is_the_products_and_the_suite_has_the_rest():
    times = split(10.0, product=[(0.0, 4.0)], waits=[(3.0, 5.0), (6.0, 7.0)])
    assert (times.product, times.waiting, times.suite) == (4.0, 2.0, 4.0)
    assert times.as_dict() == {"product_s": 4.0, "waiting_s": 2.0, "suite_s": 4.0}
    assert "the suite 4.0 s" in times.describe()


def test_a_pause_is_recorded_as_it_was_waited():
    transport = Transport()
    transport.pause(0.05)
    transport.pause(-1.0)  # a deadline already behind: no wait, an empty interval
    (start, end), (start2, end2) = transport.pauses
    assert end - start >= 0.05 and end2 - start2 < 0.05
    transport.close()


@pytest.mark.integration
def test_a_runs_report_splits_its_time_and_counts_a_cases_pause_as_waiting(refs, suite):
    # J-FULL-17 pauses between two retries (a waiting case, asked for here with a short pause)
    result = run_profile(RunOptions(JUKI_PROFILE, target=refs.url(JUKI_PROFILE),
                                    cases=("J-FULL-17", "J-INQ-01"),
                                    params={"waiting_cases": "true",
                                            "extract_retry_wait": "0.5"}), suite)
    assert result.verdict == "pass", [(r.id, r.reason, r.findings) for r in result.results]
    times = result.time_split
    assert times is not None and times.total == result.duration
    assert 0.5 <= times.waiting < 1.0
    assert times.product > 0 and times.suite > 0
    assert abs(times.product + times.waiting + times.suite - result.duration) < 1e-9
