"""Round 23a's value domains (conformance/party_domains.py, conformance/widths.py): what each
walk sends, and each faulty adapter of round 23a (faulty_round23a.py) failing exactly its
targets — the provider-side ones (faulty.py's list) here rather than in
test_conformance_providers.py, sampled the same way (tiers.py)."""

from __future__ import annotations

import re

import pytest

from bus.core.identifiers import Modulus11Scheme, is_valid_local_gov_code
from conformance import grid, party_domains, widths
from conformance.commands import CallableCommand
from conformance.fresh_addressees import FreshAddressees
from conformance.model import Suite
from conformance.runner import RunOptions, run_profile

from .faulty import assert_fails_exactly_its_targets, faulty_runs, targeted_cases
from .faulty_round23a import ROUND23A_MODES, ROUND23A_NAMES, UNITS, Round23aSubscriber
from .outcomes import not_passed
from .subscriber import SERVICE
from .tiers import subscriber_runs

_SCHEME = Modulus11Scheme()


def test_senders_walk_the_code_list_and_the_party_types():
    codes = party_domains.local_gov_codes("131016")
    assert all(is_valid_local_gov_code(c) for c in codes) and "131016" not in codes
    assert {"000001", "999997", "010006", "470007"} <= set(codes)
    assert {c[:2] for c in codes} >= {"00", "99", "01", "47", "09", "90"}  # each place's ends
    systems = party_domains.system_ids("pfbus-conformance")
    assert sorted(len(s) for s in systems) == [1, 2, 18, 18, 18, 32, 33, 63, 64]
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}", s) for s in systems)
    assert all(c in "".join(systems) for c in "._-")
    assert {s[-1] for s in systems} >= set("._-")  # round 33b: each punctuation at the end
    assert {s[0] for s in systems} == set("09azAZp")  # a digit may begin one
    assert len(UNITS) == 26  # every code of business_unit.csv: P-PARTY-01 sends each once


def test_sender_forms_break_one_rule_each():
    forms = party_domains.sender_forms("131016")
    assert [rule for _, _, rule in forms] == ["local_gov_code"] + ["codelist:business_unit"] * 3
    code = forms[0][1]["sender_local_gov_code"]
    assert len(code) == 6 and not is_valid_local_gov_code(code)
    assert all(f[1]["sender_business_unit"] not in UNITS for f in forms[1:])


def test_inquiry_forms_are_valid_unheld_numbers_of_other_widths():
    model = grid.load_model("juki_residents.xml")
    held = {r.addressee for r in model}
    numbers = widths.inquiry_numbers("0000000019", "9999999996", "0000010014")
    assert {n for _, n in numbers} == {"19", "00019", "000000019", "00000000019",
                                      "000000000000019", "09999999996", "000009999999996",
                                      "10014", "010014"}
    assert all(_SCHEME.problem(n) is None and n not in held for _, n in numbers)


def test_notice_numbers_cover_short_widths_beside_their_padded_forms():
    numbers = widths.notice_numbers(FreshAddressees(123456789).draw())
    assert len(set(numbers)) == len(numbers) == 11
    assert sorted({len(n) for n in numbers}) == list(range(2, 11))
    assert all(_SCHEME.problem(n) is None for n in numbers)
    five = next(n for n in numbers if len(n) == 5)
    two = next(n for n in numbers if len(n) == 2)
    assert {five.zfill(6), five.zfill(10), two.zfill(10)} <= set(numbers)
    # never a number of the test data (a subscriber's initial load may hold those)
    assert not set(numbers) & {r.addressee for r in grid.load_model("juki_residents.xml")}


def test_every_new_case_is_a_target():
    suite = Suite.load()
    new = {c for c in suite.cases if c.split("-")[1] in ("PARTY", "WIDTH")}
    assert new == {"P-PARTY-01", "P-PARTY-02", "S-PARTY-01", "S-PARTY-02", "P-WIDTH-01",
                   "S-WIDTH-01"}
    assert new <= targeted_cases(ROUND23A_NAMES, ROUND23A_MODES)


ROUND23A_RUNS = faulty_runs(ROUND23A_NAMES)


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", ROUND23A_RUNS)
def test_faulty_adapter_fails_exactly_its_round23a_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND23A_MODES))
def test_faulty_subscriber_fails_exactly_its_round23a_targets(refs, suite, mode, profile):
    subscriber = Round23aSubscriber(mode)
    url = refs.app(profile, {SERVICE: subscriber.handler})
    result = run_profile(RunOptions(profile, target=url, observe=CallableCommand(
        subscriber.observe, "observe")), suite)
    failed = not_passed(result)
    assert set(failed) == set(ROUND23A_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed


def _pair(sender_code: str) -> tuple:
    from bus.core.catalog import Catalog
    from bus.core.envelope import parse_envelope
    from conformance.envelopes import envelope, request_header
    from conformance.runner import BUILTIN_CATALOG
    from conformance.validation import Validation

    catalog = Catalog.load([BUILTIN_CATALOG])
    params = {**Suite.load().profiles["juki.provider"].params,
              "sut_local_gov_code": "131016", "suite_system_id": "pfbus-conformance",
              "user_id": "conformance-suite"}
    header = request_header(catalog.service("juki.ResidentInquiry"), params,
                            {"sender_local_gov_code": sender_code})
    body = ('<juki:ResidentInquiryResponse xmlns:juki="urn:pfbus:unit:juki:v1">'
            '<juki:Status>not-found</juki:Status></juki:ResidentInquiryResponse>')
    request = envelope('<juki:ResidentInquiryRequest xmlns:juki="urn:pfbus:unit:juki:v1">'
                       '<juki:AddresseeNumber>0000010014</juki:AddresseeNumber>'
                       '</juki:ResidentInquiryRequest>', "1.1", header)
    answer = envelope(body, "1.1", header.reply(request))
    return Validation(catalog, params), parse_envelope(answer), parse_envelope(request)


def test_an_answer_addressed_to_a_sender_its_rules_refuse_is_not_the_answers_fault():
    """INV-MSG-03 (validation.header): a product may answer P-PARTY-02's Sender 131017 (README),
    and its answer's Receiver is then 131017 as sent — not judged a rule violation of the
    answer; the same Receiver without such a request still is."""
    validation, answer, request = _pair("131017")
    assert any("local_gov_code" in p for p in validation.header(answer))
    assert validation.header(answer, request) == []
    validation, answer, request = _pair("131016")
    assert validation.header(answer, request) == []
