"""Round 26's cases (rules the documents left silent, settled): what each sends, checked against
its source — change_reason.csv's 旧氏 codes, the notice's XSD — and each faulty adapter of
faulty_round26.py failing exactly its targets."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest
from lxml import etree

from bus.core.config import HubConfig
from conformance import former_surnames
from conformance.commands import CallableCommand
from conformance.grid_notices import notice_body
from conformance.model import Suite
from conformance.runner import RunOptions, run_profile

from .faulty import assert_fails_exactly_its_targets, faulty_runs, targeted_cases
from .faulty_round26 import ROUND26_MODES, ROUND26_NAMES, Round26Subscriber
from .outcomes import not_passed
from .subscriber import SERVICE
from .tiers import subscriber_runs

ROOT = Path(__file__).resolve().parents[2]
NS = {"juki": "urn:pfbus:unit:juki:v1", "cmn": "urn:pfbus:platform:common:v1"}


def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(ROOT / "schemas" / "units" / "juki" / "juki-v1.xsd")))


# --- S-FMR-01 --------------------------------------------------------------------------------

def test_the_codes_are_the_code_lists_former_surname_reasons():
    with (ROOT / "schemas" / "codelists" / "change_reason.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert former_surnames.former_codes() == [r["code"] for r in rows if "旧氏" in r["label"]] \
        == ["C08", "C09"]


def test_every_code_is_sent_with_and_without_a_former_surname_on_every_state():
    schema = _schema()
    held, first = former_surnames.former_points()
    sent: set[tuple[str, bool, bool | None]] = set()
    for point in (held, first):
        states: dict[int, bool] = {}
        for send in point.steps:
            body = notice_body([(c, f"{10 + c.who:010d}", "0000050018", f"名{c.who}")
                                for c in send.changes])
            doc = etree.fromstring(body)
            assert schema.validate(doc), schema.error_log
            for c, change in zip(send.changes, doc.findall("juki:Change", NS), strict=True):
                has = change.find("juki:Resident/cmn:FormerSurname", NS) is not None
                assert has == ("FormerSurname" in c.fields)
                if c.reason in former_surnames.former_codes():
                    sent.add((c.reason, has, states.get(c.who)))
                states[c.who] = has
    want = {(code, after, before) for code in ("C08", "C09") for after in (False, True)
            for before in (False, True, None)}  # None: the resident's first change
    assert sent == want


# --- S-AHEAD-01 ------------------------------------------------------------------------------

def test_sent_at_ahead_is_sent_within_and_beyond_the_hubs_skew():
    skew = dataclasses.fields(HubConfig)[[f.name for f in dataclasses.fields(HubConfig)]
                                         .index("clock_skew")].default
    steps = Suite.load().cases["S-AHEAD-01"].steps
    ages = {s.options["name"]: -float(s.options["header"]["sent_at_age"])
            for s in steps if s.kind == "send"}
    assert skew == 300.0 and 0 < ages["within"] <= skew - 60 < skew < ages["far"]
    far = next(s for s in steps if s.kind == "expect" and s.target == "far")
    assert far.options["outcome"] == "either"
    assert far.options["fault"]["code_in"] == ["PF-MESSAGE-STALE"]


# --- the faulty adapters ---------------------------------------------------------------------

def test_every_new_case_is_a_target():
    suite = Suite.load()
    new = {c for c in suite.cases if c.split("-")[1] in ("FMR", "AHEAD", "LKIND")}
    assert new == {"S-FMR-01", "S-AHEAD-01", "P-LKIND-01"}
    assert new <= targeted_cases(ROUND26_NAMES, ROUND26_MODES)


ROUND26_RUNS = faulty_runs(ROUND26_NAMES)


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", ROUND26_RUNS)
def test_faulty_adapter_fails_exactly_its_round26_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND26_MODES))
def test_faulty_subscriber_fails_exactly_its_round26_targets(refs, suite, mode, profile):
    subscriber = Round26Subscriber(mode)
    url = refs.app(profile, {SERVICE: subscriber.handler})
    result = run_profile(RunOptions(profile, target=url, observe=CallableCommand(
        subscriber.observe, "observe")), suite)
    failed = not_passed(result)
    assert set(failed) == set(ROUND26_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
