"""Round 16's faulty subscribers (faulty_round16.py) each fail exactly their targets: a date
before 1753 refused (S-EDGE-01), a 年齢到達日 from date.replace (S-CAL-01), MessageIds purged with a
removed resident (S-ONCE-09), and — crashed in process — a removal's MessageId written by a later
purge job (S-DUR-07). The faulty providers are in faulty.py's list (test_conformance_providers)."""

from __future__ import annotations

import pytest

from conformance.commands import CallableCommand
from conformance.runner import RunOptions, run_profile

from .faulty_durability import serve_crashable
from .faulty_round16 import ROUND16_CRASH_MODES, ROUND16_MODES, RemovalIdsLater, Round16Subscriber
from .outcomes import not_passed
from .subscriber import SERVICE
from .tiers import subscriber_runs

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND16_MODES))
def test_faulty_subscriber_fails_exactly_its_round16_targets(refs, suite, mode, profile):
    subscriber = Round16Subscriber(mode)
    url = refs.app(profile, {SERVICE: subscriber.handler})
    result = run_profile(RunOptions(profile, target=url, observe=CallableCommand(
        subscriber.observe, "observe")), suite)
    failed = not_passed(result)
    assert set(failed) == set(ROUND16_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed


@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND16_CRASH_MODES))
def test_removal_ids_written_later_fail_exactly_s_dur_07(refs, suite, mode, profile):
    subscriber = RemovalIdsLater()
    url = serve_crashable(refs, subscriber, profile)
    result = run_profile(RunOptions(
        profile, target=url, observe=CallableCommand(subscriber.observe, "observe"),
        restart=CallableCommand(subscriber.crash, "crash")), suite)
    failed = not_passed(result)
    assert set(failed) == set(ROUND16_CRASH_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
