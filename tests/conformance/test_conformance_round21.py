"""Round 21 (S-RST-01): the grid of outcomes × restart positions is what restart_outcomes.py says
(every outcome sent once a run, every position meeting every family, the whole grid over five
rotations); the crashable SDK-built subscriber passes every rotation; each faulty start-up of
faulty_round21.py fails exactly its targets."""

from __future__ import annotations

import pytest

from conformance import restart_outcomes as ro
from conformance.commands import CallableCommand
from conformance.restart_runs import EITHER, bad_check_digit
from conformance.runner import RunOptions, run_profile

from .faulty_durability import CrashableSubscriber, serve_crashable
from .faulty_round21 import ROUND21_MODES, StartUpSubscriber, serve_checked
from .outcomes import not_passed
from .references import SUB_PROFILE
from .tiers import subscriber_runs


def test_every_outcome_is_sent_once_a_run_and_every_position_meets_every_family():
    points = ro.sample()
    assert [p.outcome for p in points] == list(ro.OUTCOMES)
    for position in ro.POSITIONS:
        families = {p.outcome.family for p in points if p.position == position}
        assert {"refused", "applied"} <= families, position
    assert {p.position for p in points if p.outcome.family == "stale"} >= {"corrected",
                                                                           "between"}


def test_five_rotations_send_the_whole_grid():
    seen = {(p.outcome.name, p.position) for r in range(5) for p in ro.sample(r)}
    assert seen == {(p.outcome.name, p.position) for p in ro.grid()}
    assert len(seen) == len(ro.OUTCOMES) * len(ro.POSITIONS)


def test_every_defect_is_defined_and_each_refusal_rule_named_once():
    defects = [o.defect for o in ro.OUTCOMES if o.defect]
    assert sorted(defects) == sorted(ro.DEFECTS) and len(set(defects)) == len(defects)
    assert set(EITHER) == {o.defect for o in ro.OUTCOMES if o.family == "either"}
    assert all(o.rule for o in ro.OUTCOMES)


def test_a_changed_last_digit_is_a_wrong_check_digit():
    assert bad_check_digit("0000010014") == "0000010015"
    assert bad_check_digit("0000010019") == "0000010010"


def test_the_plan_puts_a_refusal_last_before_each_restart():
    plan = ro.Plan(ro.sample())
    for phase in plan.phases[:2]:
        i, step = phase[-1]
        assert plan.points[i].outcome.family == "refused", plan.points[i].label


def _only_s_rst(refs, suite, subscriber, profile, url, **params):
    return run_profile(RunOptions(
        profile, target=url, observe=CallableCommand(subscriber.observe, "observe"),
        restart=CallableCommand(subscriber.crash, "crash"), cases=("S-RST",), params=params),
        suite)


@pytest.mark.integration
@pytest.mark.parametrize("rotate", range(5))
def test_the_crashable_subscriber_passes_every_point_of_the_grid(refs, suite, rotate):
    subscriber = CrashableSubscriber()
    url = serve_crashable(refs, subscriber, SUB_PROFILE)
    result = _only_s_rst(refs, suite, subscriber, SUB_PROFILE, url, outcome_rotate=rotate)
    assert [r.verdict for r in result.results] == ["pass"], not_passed(result)
    assert subscriber.crashes == 2


@pytest.mark.integration
@pytest.mark.parametrize("mode", sorted(ROUND21_MODES))
def test_each_faulty_start_up_fails_s_rst_01_alone(refs, suite, mode):
    subscriber = StartUpSubscriber(mode)
    url = serve_checked(refs, subscriber, SUB_PROFILE)
    failed = not_passed(_only_s_rst(refs, suite, subscriber, SUB_PROFILE, url))
    assert set(failed) == {"S-RST-01"}, failed


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND21_MODES))
def test_faulty_start_up_fails_exactly_its_round21_targets(refs, suite, mode, profile):
    subscriber = StartUpSubscriber(mode)
    url = serve_checked(refs, subscriber, profile)
    result = run_profile(RunOptions(
        profile, target=url, observe=CallableCommand(subscriber.observe, "observe"),
        restart=CallableCommand(subscriber.crash, "crash")), suite)
    failed = not_passed(result)
    assert set(failed) == set(ROUND21_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed


@pytest.mark.integration
def test_the_checked_subscriber_without_a_defect_passes_every_case(refs, suite):
    subscriber = StartUpSubscriber()
    url = serve_checked(refs, subscriber, SUB_PROFILE)
    result = run_profile(RunOptions(
        SUB_PROFILE, target=url, observe=CallableCommand(subscriber.observe, "observe"),
        restart=CallableCommand(subscriber.crash, "crash")), suite)
    assert not_passed(result) == {}
