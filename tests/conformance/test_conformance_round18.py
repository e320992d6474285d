"""Round 18's faulty subscribers (faulty_round18.py) each fail exactly their targets: a vendor's
date rule (S-DATE-01) and — crashed in process — a request journal replayed as received
(S-DUR-09). The faulty front ends are in faulty.py's list (test_conformance_providers)."""

from __future__ import annotations

import pytest

from conformance.commands import CallableCommand
from conformance.runner import RunOptions, run_profile

from .faulty_round18 import (ROUND18_CRASH_MODES, ROUND18_MODES, JournalReplayed,
                             Round18Subscriber, serve_journaled)
from .outcomes import not_passed
from .subscriber import SERVICE
from .tiers import subscriber_runs

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND18_MODES))
def test_faulty_subscriber_fails_exactly_its_round18_targets(refs, suite, mode, profile):
    subscriber = Round18Subscriber(mode)
    url = refs.app(profile, {SERVICE: subscriber.handler})
    result = run_profile(RunOptions(profile, target=url, observe=CallableCommand(
        subscriber.observe, "observe")), suite)
    failed = not_passed(result)
    assert set(failed) == set(ROUND18_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed


@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND18_CRASH_MODES))
def test_refusals_kept_across_a_restart_fail_exactly_s_dur_09(refs, suite, mode, profile):
    subscriber = JournalReplayed(mode)
    url = serve_journaled(refs, subscriber, profile)
    result = run_profile(RunOptions(
        profile, target=url, observe=CallableCommand(subscriber.observe, "observe"),
        restart=CallableCommand(subscriber.crash, "crash")), suite)
    failed = not_passed(result)
    # S-LATE-02 sees refused changes applied at start only when one of its redelivered notices
    # falls on such a resident: it failed in one CI run and passed in the next (2026-12-07)
    maybe = {"S-LATE-02"} if mode == "refused-applied-at-start" else set()
    assert set(failed) - maybe == set(ROUND18_CRASH_MODES[mode][1]) - maybe, failed
    assert all(v.startswith("fail") for v in failed.values()), failed
