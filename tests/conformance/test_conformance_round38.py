"""Round 38b's checks: P-PARTY-01/S-PARTY-01 send a 団体コード of each kind of 団体 as Sender (a ward
of a designated city among them) and every code on some service; S-EDGE-01's dates and codes go
to 日本人住民 and 外国人住民, with and without every optional element; the faulty products of
faulty_round38.py fail exactly those cases."""

from __future__ import annotations

import pytest
from lxml import etree

from conformance import edge_cases, grid, party_domains
from conformance.model import Suite

from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_durability import crash_run
from .faulty_round38 import (FOREIGN_RESIDENTS_FROM, ROUND38_MODES, ROUND38_NAMES,
                             Round38Subscriber)
from .outcomes import not_passed
from .tiers import subscriber_runs


def test_a_code_of_each_kind_of_dantai_is_a_sender_and_every_code_is_sent():
    codes = party_domains.local_gov_codes("131016")
    assert {"141011", "271284", "131024", "132012", "013030", "133647"} <= set(codes)
    assert "131016" not in codes
    # the profile's services take the exchanges in turn: with 26 units over two services each
    # code is some exchange's
    units, count = 26, 2
    sent = {codes[(k * count + mine) % len(codes)]
            for mine in range(count) for k in range(len(range(mine, units, count)))}
    assert sent == set(codes)


def _points():
    full = edge_cases.every_element_change(Suite.load().message(
        edge_cases.EVERY_ELEMENT, "juki.ResidentChangeNotice", "test").body)
    return edge_cases.notice_points("花子", ("ヨシダ", "ハナコ"), full), full


def test_every_date_goes_to_both_kinds_of_resident_and_each_kind_with_every_optional_element():
    points, _ = _points()
    dated = [p.label for p in points if p.label.startswith("every date")]
    pairs = {(label[len("every date "):][:10], label.endswith("外国人住民")) for label in dated}
    days = {day for day, _ in pairs}
    assert pairs == {(day, foreign) for day in days for foreign in (False, True)}
    assert {("every optional element" in label, label.endswith("外国人住民")) for label in dated} \
        == {(a, b) for a in (False, True) for b in (False, True)}
    assert any(day < FOREIGN_RESIDENTS_FROM for day in days)


def test_the_points_individual_numbers_hold_every_check_remainder_and_digit():
    """Deterministic (a faulty check digit fails on every run, never by chance), all distinct."""
    points, _ = _points()
    dated = sum(1 for p in points if "every optional element" in p.label
                and p.label.startswith("every date"))
    numbers = [edge_cases.individual_number(k) for k in range(dated)]
    assert len(set(numbers)) == len(numbers)
    assert {grid.check_remainder(n, "individual") for n in numbers} == set(range(11))
    assert {n[-1] for n in numbers} == set("0123456789")


def test_the_kind_is_written_into_the_change():
    points, _ = _points()
    point = next(p for p in points if p.label.endswith("every optional element, 外国人住民"))
    body = Suite.load().message(edge_cases.NOTICE, "juki.ResidentChangeNotice", "test").body
    payload = etree.fromstring(body.replace("${notice_addressee}", "0000010016")
                               .replace("${", "$_{").encode())
    point.change(payload)
    resident = payload.find(".//{urn:pfbus:unit:juki:v1}Resident")
    assert resident.findtext("{urn:pfbus:platform:common:v1}ResidentKind") == "2"
    assert resident.find("{urn:pfbus:platform:common:v1}FormerSurname") is not None


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", faulty_runs(ROUND38_NAMES))
def test_faulty_adapter_fails_exactly_its_round38_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND38_MODES))
def test_faulty_subscriber_fails_exactly_its_round38_targets(refs, suite, mode, profile):
    failed = not_passed(crash_run(refs, suite, Round38Subscriber(mode), profile)[1])
    assert set(failed) == set(ROUND38_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
