"""Level 2 (相互接続確認): the product, a real ``pfbus serve`` and the reference adapters as
processes. The reference adapters pass every case of the interop profiles; each faulty adapter
fails exactly its targets (slow tier: every run starts a hub and counterparts)."""

from __future__ import annotations

import pytest

from bus.core.header import Party
from conformance.commands import CallableCommand
from conformance.runner import RunOptions, run_profile

from . import consumers
from .faulty import FAULTY, build
from .references import JUKI_PROFILE, KOKUHO_SUB_PROFILE, SUB_PROFILE
from .subscriber import INTEROP_MODES, TestSubscriber

pytestmark = pytest.mark.integration
PROVIDER, CONSUMER, SUBSCRIBER = ("interop.juki.provider", "interop.kojinjuminzei.consumer",
                                  "interop.kojinjuminzei.subscriber")
KOKUHO_SUBSCRIBER = "interop.kokuho.subscriber"
# level-2 subscriber profile → the level-1 profile whose reference adapter plays the product
SUBSCRIBERS = {SUBSCRIBER: SUB_PROFILE, KOKUHO_SUBSCRIBER: KOKUHO_SUB_PROFILE}

# faulty adapter → the level-2 cases it must fail
PROVIDER_FAULTY = {
    # the hub refuses every answer holding a resident: no linkage works
    "individual-number-bad-check-digit": {"I-PRV-01", "I-PRV-02", "I-PRV-03"},
    "nonbmp-degraded": {"I-PRV-02"},
    "paging-overlap": {"I-PRV-03"},
}
CONSUMER_FAULTY = {
    # the hub refuses the header: nothing is fetched, and the refusal names another rule
    "sent-at-utc": {"I-CON-01", "I-CON-02", "I-CON-03"},
    "nonbmp-rejected": {"I-CON-02"},
    "fault-as-not-found": {"I-CON-03"},
}


def not_passed(result):
    return {r.id: f"{r.verdict}: {r.reason or '; '.join(map(str, r.findings))}"
            for r in result.results if r.verdict != "pass"}


def run_provider(suite, url, params=None):
    return run_profile(RunOptions(PROVIDER, target=url, params=params or {}), suite)


def run_consumer(suite, trigger):
    return run_profile(RunOptions(CONSUMER, trigger=CallableCommand(trigger, "in-process")),
                       suite)


def run_subscriber(refs, suite, subscriber=None, params=None, profile=SUBSCRIBER):
    reference = SUBSCRIBERS[profile]
    if subscriber is None:
        url, observe = refs.url(reference), refs.observer(reference)
    else:
        url = refs.app(reference, {"juki.ResidentChangeNotice": subscriber.handler})
        observe = CallableCommand(subscriber.observe, "test subscriber")
    return run_profile(RunOptions(profile, target=url, observe=observe,
                                  params=params or {}), suite)


def test_reference_registry_interoperates_with_the_reference_tax_system(refs, suite):
    result = run_provider(suite, refs.url(JUKI_PROFILE))
    assert not_passed(result) == {} and len(result.results) == 3


def test_a_provider_under_another_system_id_is_addressed_as_itself(refs, suite):
    """The reference tax system asks the product under ITS system ID (not vendor A's): a
    provider that checks its Receiver (the SDK does) passes, and the hub's log shows it."""
    url = refs.app(JUKI_PROFILE, party=Party("131016", "01", "acme-juki"))
    result = run_provider(suite, url, {"sut_system_id": "acme-juki"})
    assert not_passed(result) == {} and len(result.results) == 3
    # the same provider claimed under vendor A's ID is asked as vendor A: it refuses (misrouted)
    wrong = run_provider(suite, url)
    assert {"I-PRV-01", "I-PRV-02"} <= set(not_passed(wrong)), not_passed(wrong)
    assert "PF-PROVIDER-MISROUTED" in not_passed(wrong)["I-PRV-01"]


def test_reference_tax_system_interoperates_with_the_reference_registry(suite):
    result = run_consumer(suite, consumers.reference)
    assert not_passed(result) == {} and len(result.results) == 3


def test_reference_tax_system_applies_the_reference_registrys_notices(refs, suite):
    result = run_subscriber(refs, suite)
    assert not_passed(result) == {} and len(result.results) == 2


def test_reference_kokuho_system_applies_the_reference_registrys_notices(refs, suite):
    result = run_subscriber(refs, suite, profile=KOKUHO_SUBSCRIBER)
    assert not_passed(result) == {} and len(result.results) == 2


def test_every_interop_case_is_targeted(suite):
    targeted = {*set().union(*PROVIDER_FAULTY.values()), *set().union(*CONSUMER_FAULTY.values()),
                *{c for _, cases in INTEROP_MODES.values() for c in cases}}
    ids = {i.id for p in (PROVIDER, CONSUMER, SUBSCRIBER, KOKUHO_SUBSCRIBER)
           for i in suite.instances(suite.profiles[p])}
    assert sorted(ids - targeted) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROVIDER_FAULTY))
def test_faulty_registry_fails_exactly_its_interop_targets(refs, suite, name):
    sut = build(refs, next(f for f in FAULTY if f.name == name), JUKI_PROFILE)
    try:
        result = run_provider(suite, sut.url)
    finally:
        sut.close()
    assert set(not_passed(result)) == PROVIDER_FAULTY[name], not_passed(result)


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(CONSUMER_FAULTY))
def test_faulty_tax_consumer_fails_exactly_its_interop_targets(suite, mode):
    result = run_consumer(suite, consumers.faulty(mode))
    assert set(not_passed(result)) == CONSUMER_FAULTY[mode], not_passed(result)


@pytest.mark.slow
@pytest.mark.parametrize("profile", sorted(SUBSCRIBERS))
@pytest.mark.parametrize("mode", sorted(INTEROP_MODES))
def test_faulty_subscriber_fails_exactly_its_interop_targets(refs, suite, mode, profile):
    result = run_subscriber(refs, suite, TestSubscriber(mode), {"delivery_limit": "3"}, profile)
    assert set(not_passed(result)) == set(INTEROP_MODES[mode][1]), not_passed(result)
