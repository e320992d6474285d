"""The mutation check of round 14b's cases that the generic faulty-adapter tests cannot run:
SDK-built subscribers with one defect (faulty_round14b.SUBSCRIBER_MODES) and a provider that
must be restarted (J-DUR-02, in process: its restart loses the snapshots, not the RequestIds).
The pure parts the cases are generated from: test_round14b_forms.py."""

from __future__ import annotations

import pytest

from conformance.commands import CallableCommand
from conformance.runner import RunOptions, run_profile

from .faulty_round14b import RESTART_MODES, SUBSCRIBER_MODES, RequestIdsPersisted, \
    Round14bSubscriber
from .outcomes import not_passed
from .references import JUKI_PROFILE, SUB_PROFILE, SUBSCRIBER_PROFILES
from .subscriber import SERVICE


pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode,profile", [
    pytest.param(m, p, id=f"{m}@{p}", marks=[pytest.mark.slow] if p != SUB_PROFILE else [])
    for m in sorted(SUBSCRIBER_MODES) for p in SUBSCRIBER_PROFILES])
def test_faulty_subscriber_fails_exactly_its_round14b_targets(refs, suite, mode, profile):
    subscriber = Round14bSubscriber(mode)
    url = refs.app(profile, {SERVICE: subscriber.handler})
    result = run_profile(RunOptions(profile, target=url, observe=CallableCommand(
        subscriber.observe, "observe")), suite)
    failed = not_passed(result)
    assert set(failed) == set(SUBSCRIBER_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed


def test_request_ids_kept_across_a_restart_without_snapshots_fail_exactly_j_dur_02(refs, suite):
    product = RequestIdsPersisted(refs, JUKI_PROFILE)
    result = run_profile(RunOptions(JUKI_PROFILE, target=product.url,
                                    restart=product.restart_command), suite)
    failed = not_passed(result)
    assert set(failed) == set(RESTART_MODES["request-ids-persisted"][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
