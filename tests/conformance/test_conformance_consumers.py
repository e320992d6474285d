"""The consumer profile: the suite plays the hub. The reference consumer (vendor B's own code)
passes every case; each faulty consumer fails exactly the cases of the requirement it breaks;
every case is some faulty consumer's target."""

from __future__ import annotations

import fnmatch

import pytest

from conformance.commands import CallableCommand
from conformance.runner import RunOptions, run_profile

from . import consumers

pytestmark = pytest.mark.integration
PROFILE = "kojinjuminzei.consumer"


def run(suite, trigger):
    # the in-process consumers give up after 3 s (only the silent-hub case waits that long); the
    # suite waits 8 s for them to. Shorter, a consumer on a loaded machine gave up before its
    # request reached the suite's hub, which then saw it during the next case.
    return run_profile(RunOptions(PROFILE, trigger=CallableCommand(trigger, "in-process"),
                                  params={"step_timeout": "15", "consumer_timeout": "3",
                                          "consumer_give_up": "8"}), suite)


def not_passed(result):
    return {r.id: f"{r.verdict}: {r.reason or '; '.join(map(str, r.findings))}"
            for r in result.results if r.verdict != "pass"}


def test_reference_consumer_passes_every_case(suite):
    result = run(suite, consumers.reference)
    assert not_passed(result) == {}
    assert result.verdict == "pass"
    # the suite saw vendor B's real requests, one per trigger (two in C-MSG-05)
    assert sum(len(c.exchanges) for c in result.results) == len(result.results) + 1


@pytest.mark.parametrize("mode", sorted(consumers.MODES))
def test_faulty_consumer_fails_exactly_its_targets(suite, mode):
    result = run(suite, consumers.faulty(mode))
    ids = [r.id for r in result.results]
    expected = {i for i in ids if any(fnmatch.fnmatchcase(i, p) for p in consumers.MODES[mode])}
    assert expected
    failed = not_passed(result)
    assert set(failed) == expected, failed
    assert all(v.startswith("fail") for v in failed.values()), failed


def test_every_consumer_case_is_targeted(suite):
    ids = [i.id for i in suite.instances(suite.profiles[PROFILE])]
    targeted = {i for patterns in consumers.MODES.values() for i in ids
                if any(fnmatch.fnmatchcase(i, p) for p in patterns)}
    assert sorted(set(ids) - targeted) == []


def test_without_a_trigger_every_case_is_skipped_not_failed(suite):
    result = run_profile(RunOptions(PROFILE), suite)
    assert {r.verdict for r in result.results} == {"skip"}
    assert all("--trigger" in r.reason for r in result.results)
    assert result.verdict == "fail"  # nothing was shown to conform
