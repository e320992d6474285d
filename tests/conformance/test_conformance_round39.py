"""Round 39b's checks: P-SOAP-09's broken envelopes (conformance/broken_envelopes.py) are
well-formed envelopes of the request's own version whose structure the hardened parse refuses
PF-SOAP-ENVELOPE; the date edges hold the days whose local midnight Japan's summer time skipped;
J-FULL-07's last other Sender differs from the suite's only in its SystemId's case; the faulty
product of faulty_round39.py fails exactly P-SOAP-09."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from lxml import etree

from bus.core import faults
from bus.core.envelope import SOAP11_NS, SOAP12_NS, parse_envelope
from bus.core.faults import HubFault
from conformance import broken_envelopes, edges
from conformance.model import Suite

from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_round39 import ROUND39_NAMES

_REQUEST = ('<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="{ns}">'
            '<soap:Header><h:H xmlns:h="urn:x">1</h:H></soap:Header>'
            '<soap:Body><b:Q xmlns:b="urn:y"><b:K>1</b:K></b:Q></soap:Body></soap:Envelope>')


@pytest.mark.parametrize("ns", [SOAP11_NS, SOAP12_NS])
@pytest.mark.parametrize("how", broken_envelopes.TAMPERS)
def test_each_broken_envelope_is_well_formed_of_its_version_and_refused_as_not_soap(ns, how):
    raw = broken_envelopes.tamper(_REQUEST.format(ns=ns).encode(), how)
    assert etree.QName(etree.fromstring(raw)).namespace == ns  # well-formed, its own version
    with pytest.raises(HubFault) as refused:
        parse_envelope(raw)
    assert refused.value.fault is faults.NOT_SOAP
    assert refused.value.first.rule == "soap:envelope"


def test_the_date_edges_hold_the_days_whose_midnight_summer_time_skipped():
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    sent = {e.value for e in edges.date_edges(until=dt.date.today())}
    for day in edges.SUMMER_TIME_GAPS:
        assert day.isoformat() in sent
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=tokyo)
        # a local midnight that never happened: it does not survive a round trip through UTC
        assert midnight.astimezone(dt.timezone.utc).astimezone(tokyo).hour == 1


def test_j_full_07_asks_from_a_sender_differing_only_in_its_system_id_s_case():
    case = Suite.load().cases["J-FULL-07"]
    senders = [s.options.get("header", {}).get("sender_system_id") for s in case.steps]
    assert "${suite_system_id_case_swapped}" in senders


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", faulty_runs(ROUND39_NAMES))
def test_faulty_adapter_fails_exactly_its_round39_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)
