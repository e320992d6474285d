"""Round 17's faulty subscribers (faulty_round17.py) each fail exactly their targets: the last
異動連番 kept per year of the 異動, a 異動 recorded in a later 年度 refused, a 消除's date written
with the ISO week-based year (S-CAL-02), a correction NFKC folds to the held name left unwritten
(S-CHR-15). The faulty providers are in faulty.py's list (test_conformance_providers)."""

from __future__ import annotations

import pytest

from conformance.commands import CallableCommand
from conformance.runner import RunOptions, run_profile

from .faulty_round17 import ROUND17_MODES, Round17Subscriber
from .outcomes import not_passed
from .subscriber import SERVICE
from .tiers import subscriber_runs

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND17_MODES))
def test_faulty_subscriber_fails_exactly_its_round17_targets(refs, suite, mode, profile):
    subscriber = Round17Subscriber(mode)
    url = refs.app(profile, {SERVICE: subscriber.handler})
    result = run_profile(RunOptions(profile, target=url, observe=CallableCommand(
        subscriber.observe, "observe")), suite)
    failed = not_passed(result)
    assert set(failed) == set(ROUND17_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
