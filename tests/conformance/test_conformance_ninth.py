"""The mutation check of the cases written for the ninth blind batch's classes that the generic
faulty-adapter tests cannot run: subscribers with one defect (faulty_ninth.SUBSCRIBER_MODES) and
a provider that must be restarted (J-DUR-01, in process: its restart forgets what it kept in
memory)."""

from __future__ import annotations

import pytest

from conformance.commands import CallableCommand
from conformance.runner import RunOptions, run_profile

from .faulty_ninth import (NINTH_WIRE, PROVIDER_RESTART_MODES, SUBSCRIBER_MODES, CountedExtracts,
                           NinthSubscriber)
from .proxy import TamperProxy
from .references import JUKI_PROFILE, SUB_PROFILE, SUBSCRIBER_PROFILES
from .subscriber import SERVICE
from .outcomes import not_passed

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode,profile", [
    pytest.param(m, p, id=f"{m}@{p}", marks=[pytest.mark.slow] if p != SUB_PROFILE else [])
    for m in sorted(SUBSCRIBER_MODES) for p in SUBSCRIBER_PROFILES])
def test_faulty_subscriber_fails_exactly_its_ninth_targets(refs, suite, mode, profile):
    subscriber = NinthSubscriber(None if mode in NINTH_WIRE else mode)
    url = refs.app(profile, {SERVICE: subscriber.handler})
    proxy = TamperProxy(url, **NINTH_WIRE[mode]) if mode in NINTH_WIRE else None
    try:
        result = run_profile(RunOptions(profile, target=proxy.url if proxy else url,
                                        observe=CallableCommand(subscriber.observe, "observe")),
                             suite)
    finally:
        if proxy is not None:
            proxy.close()
    failed = not_passed(result)
    assert set(failed) == set(SUBSCRIBER_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed


def test_extract_ids_counted_per_process_fail_exactly_j_dur_01(refs, suite):
    """J-DUR-01's mutation check: ExtractIds from a counter that a restart starts again."""
    product = CountedExtracts(refs, JUKI_PROFILE)
    result = run_profile(RunOptions(JUKI_PROFILE, target=product.url,
                                    restart=product.restart_command), suite)
    failed = not_passed(result)
    assert set(failed) == set(PROVIDER_RESTART_MODES["extract-ids-counted-per-process"][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
