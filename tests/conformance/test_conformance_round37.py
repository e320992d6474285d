"""Round 37b's checks: the faulty products of faulty_round37.py fail exactly the cases round 37b
widened — the wire grid's white space on either side of ';' (P-EQUIV-03, S-EQUIV-03), a Sender
equal to the Receiver (P-PARTY-01, S-PARTY-01), S-EDGE-01's dates in a change with every
optional element, S-MULTI-05's 異動連番 beyond 2⁵³ — and what each of those now sends."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from lxml import etree

from conformance import edge_cases, party_domains, wire_grid
from conformance.envelopes import http_headers
from conformance.model import Suite

from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_durability import crash_run
from .faulty_round37 import (NUMBERING_BEGAN, ROUND37_MODES, ROUND37_NAMES, Round37Subscriber,
                             media_type_stripped_of_spaces_only)
from .outcomes import not_passed
from .proxy import Call
from .tiers import subscriber_runs

_ACTION = "urn:pfbus:service:juki.ResidentInquiry"
_CANON = '<?xml version="1.0" encoding="UTF-8"?>\n<e xmlns="urn:x"><n>𠮷田</n></e>'


def test_the_grid_puts_a_tab_on_either_side_of_a_semicolon_for_each_version():
    forms = {(wire_grid.version_of(row), sep) for row in wire_grid.ROWS
             for sep, _ in [wire_grid.SPACINGS[row[1]]]}
    for soap in ("1.1", "1.2"):
        assert {(soap, "\t; "), (soap, " ;\t"), (soap, "\t;\t")} <= forms
    # the faulty front end refuses exactly the requests with a tab beside the media type
    refused = set()
    for row in wire_grid.ROWS:
        raw, headers = wire_grid.rewrite_for(row)(_CANON, http_headers(
            wire_grid.version_of(row), _ACTION), wire_grid.version_of(row))
        call = Call(raw, headers)
        if media_type_stripped_of_spaces_only(call) != call.request:
            refused.add(row[1])
    assert refused and refused <= {"tab-before-space-after", "tabs",
                                   "spaces-and-tabs-value-padded"}


def test_a_sender_equal_to_the_receiver_and_the_products_own_system_id_are_sent():
    sent = SimpleNamespace(
        receiver=SimpleNamespace(local_gov_code="131016", business_unit="01", system_id="hub"),
        sender=SimpleNamespace(local_gov_code="131016", business_unit="02", system_id="suite"))
    senders = party_domains.receivers_as_senders(sent, "vendor-a")
    assert [h["sender_system_id"] for _, h in senders] == ["hub", "vendor-a"]
    assert senders[0][1] == {"sender_local_gov_code": "131016", "sender_business_unit": "01",
                             "sender_system_id": "hub"}
    assert all(set(h) == set(senders[0][1]) for _, h in senders)
    # a provider is the Receiver itself: its own SystemId is the whole Party's
    assert len(party_domains.receivers_as_senders(sent, "hub")) == 1


def _message(name: str) -> str:
    return Suite.load().message(name, "juki.ResidentChangeNotice", "test").body


def test_every_date_edge_goes_in_a_change_with_an_individual_number_too():
    full = edge_cases.every_element_change(_message(edge_cases.EVERY_ELEMENT))
    points = edge_cases.notice_points("花子", ("ヨシダ", "ハナコ"), full)
    dated = [p for p in points if p.label.startswith("every date")]
    old = [p for p in dated if p.label[len("every date "):][:10] < NUMBERING_BEGAN]
    with_number = [p for p in old if "every optional element" in p.label]
    assert with_number and len(dated) == 2 * len({p.label.split(" (")[0] for p in dated})
    payload = etree.fromstring(_message(edge_cases.NOTICE).replace(
        "${notice_addressee}", "0000010016").replace("${", "$_{").encode())
    with_number[0].change(payload)
    resident = payload.find(".//{urn:pfbus:unit:juki:v1}Resident")
    number = resident.findtext("{urn:pfbus:platform:common:v1}IndividualNumber")
    assert number and number.startswith("9") and len(number) == 12
    assert resident.findtext("{urn:pfbus:platform:common:v1}AddresseeNumber") == "0000010016"


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", faulty_runs(ROUND37_NAMES))
def test_faulty_adapter_fails_exactly_its_round37_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND37_MODES))
def test_faulty_subscriber_fails_exactly_its_round37_targets(refs, suite, mode, profile):
    failed = not_passed(crash_run(refs, suite, Round37Subscriber(mode), profile)[1])
    assert set(failed) == set(ROUND37_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
