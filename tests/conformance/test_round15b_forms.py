"""Round 15b's judgements (docs/conformance-testing.md, "Round 15b: the documents agreed"), fast: where a
Finding says the problem is (fault_place.py), the Sender fault a SOAP 1.2 receiver may answer a
processing instruction with (answer_comparison.sender_refusal), the Upgrade block of a VersionMismatch
fault (soap_structure.upgrade), the envelope of another namespace the suite sends, and the
messages that say where they break their rule (messages.toml ``breaks_at``)."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from bus.core import faults
from bus.core.faults import SOAP11_NS, SOAP12_NS, FaultCode, HubFault, fault_envelope
from bus.core.findings import Finding
from conformance import answer_comparison, equivalence, fault_place, soap_structure
from conformance.envelopes import FOREIGN_ENVELOPE_NS, envelope, tamper
from conformance.records import Exchange

AT = "juki:Resident/cmn:AddresseeNumber"


@pytest.mark.parametrize("path, named", [
    ("/soap:Envelope/soap:Body/juki:ResidentChangeNotice/juki:Change[2]/juki:Resident/"
     "cmn:AddresseeNumber", True),
    ("/S:Envelope/S:Body/{urn:pfbus:unit:juki:v1}ResidentChangeNotice/"
     "{urn:pfbus:unit:juki:v1}Resident/{urn:pfbus:platform:common:v1}AddresseeNumber", True),
    ("/soap:Envelope/soap:Body/juki:ResidentChangeNotice/juki:Change/juki:Resident", False),
    ("/soap:Envelope/soap:Header/pfh:PlatformHeader", False),
])
def test_a_path_names_the_element_by_its_last_names(path, named):
    """Prefixes and positions are the product's; Clark notation (no prefix) reads the same."""
    assert fault_place.names(path, AT) is named


@pytest.mark.parametrize("raw, lines", [(b"<a/>", 1), (b"<?xml?>\n<a/>", 2), (b"a\r\nb\rc\nd", 4),
                                        ("x\ny\n".encode("utf-16"), 3)])
def test_a_request_has_as_many_lines_as_xml_counts(raw, lines):
    assert fault_place.request_lines(raw) == lines


def test_a_line_must_be_a_line_of_the_request():
    ok, none = Finding("addressee_number", "m", "/x", 2), Finding("addressee_number", "m")
    assert fault_place.line_problem(ok, 2) is None and fault_place.line_problem(none, 2) is None
    for line in (0, 3, 412):
        assert "names line" in fault_place.line_problem(Finding("r", "m", "/x", line), 2)


def test_a_finding_of_the_rule_is_judged_on_its_place_only_when_it_gives_one():
    placed = fault_place.placed
    at_it = Finding("addressee_number", "m", "/soap:Envelope/soap:Body/j:N/juki:Resident/"
                    "cmn:AddresseeNumber", 2)
    assert placed([at_it], ["addressee_number"], AT, 2) == []
    assert placed([Finding("addressee_number", "m")], ["addressee_number"], AT, 2) == []
    elsewhere = Finding("addressee_number", "m", "/soap:Envelope/soap:Body", 2)
    assert "not the element" in placed([elsewhere], ["addressee_number"], AT, 2)[0]
    far = Finding("addressee_number", "m", at_it.path, 790)
    assert "line 790" in placed([far], ["addressee_number"], AT, 2)[0]
    assert placed([far], ["individual_number"], AT, 2) == []  # another rule's to judge


def _exchange(reply: bytes, status: int, soap: str = "1.2") -> Exchange:
    return Exchange(step="s", direction="to-product", method="POST", url="http://x/",
                    request=b"<x/>", soap_version=soap, status=status, response=reply,
                    response_headers={"Content-Type": "application/soap+xml"})


def _fault(code: FaultCode, ns: str = SOAP12_NS) -> bytes:
    return fault_envelope(HubFault(code, (Finding("soap:processing-instruction", "m"),), "id"),
                          ns)


def test_the_sender_fault_soap_12_allows_on_a_processing_instruction():
    """SOAP 1.2 Part 1 §5: env:Sender (HTTP 400) with the platform's detail, party client."""
    assert answer_comparison.sender_refusal(_exchange(_fault(faults.NOT_SOAP), 400)) is None
    internal = answer_comparison.sender_refusal(_exchange(_fault(faults.PROVIDER_INTERNAL), 500))
    assert "Receiver" in internal
    assert "400" in answer_comparison.sender_refusal(_exchange(_fault(faults.NOT_SOAP), 500))
    assert "not a SOAP 1.2" in answer_comparison.sender_refusal(
        _exchange(_fault(faults.NOT_SOAP, SOAP11_NS), 500, "1.1"))
    bare = re.sub(rb"<soap:Detail>.*</soap:Detail>", b"", _fault(faults.NOT_SOAP), flags=re.S)
    assert "no pff:FaultDetail" in answer_comparison.sender_refusal(_exchange(bare, 400))
    assert "HTTP 200" in answer_comparison.sender_refusal(_exchange(b"<html/>", 200))


def test_only_the_processing_instruction_forms_may_be_refused():
    refusable = {v.name for v in equivalence.VARIANTS if v.refusable}
    assert refusable == {"pi-in-payload", "pi-in-value"}
    assert all(v.soap == ("1.2",) for v in equivalence.VARIANTS if v.refusable)


@pytest.mark.parametrize("ns", [SOAP11_NS, SOAP12_NS])
def test_the_upgrade_block_is_judged_when_present(ns):
    written = etree.fromstring(fault_envelope(HubFault(faults.VERSION_MISMATCH), ns))
    assert soap_structure.upgrade(written) == []
    dangling = etree.fromstring(fault_envelope(HubFault(faults.VERSION_MISMATCH), ns).replace(
        b'qname="soap:Envelope"', b'qname="nowhere:Envelope"'))
    assert "names no SOAP Envelope" in soap_structure.upgrade(dangling)[0]
    assert soap_structure.upgrade(etree.fromstring(_fault(faults.NOT_SOAP))) == []  # none


@pytest.mark.parametrize("soap", ["1.1", "1.2"])
def test_the_foreign_envelope_is_the_request_in_a_namespace_of_no_soap_version(soap):
    raw = tamper(envelope("<a:B xmlns:a='urn:y'>1</a:B>", soap, None), "foreign_envelope")
    root = etree.fromstring(raw)
    assert root.tag == f"{{{FOREIGN_ENVELOPE_NS}}}Envelope"
    assert root.findtext(f"{{{FOREIGN_ENVELOPE_NS}}}Body/{{urn:y}}B") == "1"


def test_every_message_that_breaks_a_rule_says_where_and_holds_that_element(suite):
    """messages.toml: ``breaks`` and ``breaks_at`` together, the element in the body."""
    for message in suite.messages.values():
        assert bool(message.breaks) == bool(message.breaks_at), message.name
        if message.breaks_at:
            body = etree.fromstring(re.sub(r"\$\{\w+\}", "0", message.body).encode())
            paths = [etree.ElementTree(body).getpath(el) for el in body.iter()]
            named = [el for el in body.iter() if fault_place.names(
                "/" + "/".join(f"x:{etree.QName(a).localname}"
                               for a in [*reversed(list(el.iterancestors())), el]),
                message.breaks_at)]
            assert named, (message.name, message.breaks_at, paths[:3])


@pytest.mark.parametrize("media, answered", [("text/xml; charset=utf-8", SOAP11_NS),
                                             ("application/soap+xml; charset=utf-8", SOAP12_NS)])
def test_the_hub_simulator_answers_an_envelope_of_another_namespace_as_the_hub(media, answered):
    """conformance/hubsim.py (the suite playing the hub for a consumer): VersionMismatch in the
    version the Content-Type names, as bus.core answers it."""
    from bus.core.catalog import Catalog
    from conformance.hubsim import HubSimulator, Script
    from schemas import BUILTIN_CATALOG

    sim = HubSimulator(Catalog.load([BUILTIN_CATALOG]))
    try:
        sim.arm(Script("s", "valid", "<x/>"))
        raw = tamper(envelope("<a:B xmlns:a='urn:y'>1</a:B>", "1.1", None), "foreign_envelope")
        ex = Exchange(step="s", direction="from-product", method="POST", url="/", request=raw,
                      request_headers={"Content-Type": media})
        status, body = sim.answer(ex)
    finally:
        sim.close()
    root = etree.fromstring(body)
    assert status == 500 and root.tag == f"{{{answered}}}Envelope"
    assert b"VersionMismatch" in body and b"PF-SOAP-ENVELOPE" in body
