"""Round 32b's check (the thirty-second blind batch's miss, as a class): S-RST-01 restarts after
異動連番 that cross a power of ten, and the faulty subscriber of faulty_round32.py, whose
start-up orders them as text, fails exactly its targets."""

from __future__ import annotations

import pytest

from conformance import restart_outcomes as ro
from conformance.commands import CallableCommand
from conformance.runner import RunOptions, run_profile

from .faulty_durability import crash_run, serve_crashable
from .faulty_round32 import ROUND32_MODES, HistorySubscriber
from .outcomes import not_passed
from .tiers import subscriber_runs


def test_s_rst_01_holds_sequences_across_a_power_of_ten():
    crossing = {(o.held_at, o.sequence, o.family) for o in ro.OUTCOMES if o.sequence}
    assert crossing == {(9, 10, "applied"), (99, 100, "applied"), (10, 9, "stale")}
    for point in ro.sample():  # each sent in every run, the sequence its own at every position
        o = point.outcome
        if o.sequence:
            assert point.phases[0][0].changes[0].sequence == str(o.sequence)


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND32_MODES))
def test_faulty_start_up_fails_exactly_its_round32_targets(refs, suite, mode, profile):
    failed = not_passed(crash_run(refs, suite, HistorySubscriber(mode), profile)[1])
    assert set(failed) == set(ROUND32_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed


@pytest.mark.integration
def test_the_history_subscriber_without_its_defect_passes_s_rst_01(refs, suite):
    subscriber = HistorySubscriber()
    url = serve_crashable(refs, subscriber, "kojinjuminzei.subscriber")
    result = run_profile(RunOptions(
        "kojinjuminzei.subscriber", target=url,
        observe=CallableCommand(subscriber.observe, "observe"),
        restart=CallableCommand(subscriber.crash, "crash"), cases=("S-RST",)), suite)
    assert not_passed(result) == {}
