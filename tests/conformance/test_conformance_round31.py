"""Round 31b's checks (the thirty-first blind batch's misses, as classes): the variant that writes
the action the other SOAP version's way, J-CHR-09's residents in UTF-16 and US-ASCII, and each
faulty adapter of faulty_round31.py failing exactly its targets."""

from __future__ import annotations

import pytest

from conformance import equivalence
from conformance.envelopes import http_headers

from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_round31 import ROUND31_NAMES

_VARIANT = next(v for v in equivalence.VARIANTS if v.name == "other-versions-action")
_ACTION = "urn:pfbus:service:juki.ResidentInquiry"


def test_soap11_gets_an_action_parameter_its_media_type_does_not_define():
    headers = http_headers("1.1", _ACTION)
    raw, changed = _VARIANT.rewrite('<?xml version="1.0"?><e/>', dict(headers), "1.1")
    assert raw == b'<?xml version="1.0"?><e/>'
    assert changed["Content-Type"] == f'text/xml; charset=utf-8; action="{_ACTION}"'
    assert changed["SOAPAction"] == headers["SOAPAction"]


def test_soap12_gets_soap11s_soapaction_field():
    headers = http_headers("1.2", _ACTION)
    _, changed = _VARIANT.rewrite("<e/>", dict(headers), "1.2")
    assert changed["Content-Type"] == headers["Content-Type"]
    assert changed["SOAPAction"] == f'"{_ACTION}"'


def test_the_utf16_case_asks_every_resident_an_encoding_path_loses(suite):
    case = suite.cases["J-CHR-09"]
    asked = {s.get("vars")["addressee_number"] for s in case.steps}
    assert asked == {"${ivs_range_addressee}", "${nonbmp_addressee}", "${chars_addressee}",
                     "${jis_side_addressee}"}
    for step in case.steps:
        assert {"utf-16be", "us-ascii"} <= set(step.get("variants"))


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", faulty_runs(ROUND31_NAMES))
def test_faulty_adapter_fails_exactly_its_round31_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)
