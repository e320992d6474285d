"""Round 42b's checks, from the forty-second blind batch's misses: no Finding's Line before the
line its place begins on (fault_place.line_before, INV-FAULT-13; and the rule findings a case
places, fault_place.placed); white space or a comment before the XML declaration refused
(P-HOST-04); an envelope without soap:Header refused as PF-HEADER-MISSING (P-FAULT-04); a
Content-Length with leading zeros and a chunk boundary inside a character accepted, the
product's state after them the canonical's (P-WIRE-01); an inquiry holding both keys of its
xs:choice refused (J-INQ-16); the faulty products of faulty_round42.py fail exactly their
cases."""

from __future__ import annotations

import pytest
from lxml import etree

from bus.core.findings import Finding
from conformance import fault_place
from conformance.envelopes import envelope, tamper
from conformance.records import Exchange
from conformance.wire_forms import ACCEPTED, request_bytes

from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_round42 import (ROUND42_NAMES, chunks_decoded_apart, content_length_octal,
                             finding_line_from_zero)
from .proxy import Call, Reply

_REQUEST = (b'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="urn:s">\n'
            b'<soap:Header/>\n<soap:Body>\n<q:Q xmlns:q="urn:q"><q:K>1</q:K>\n</q:Q>'
            b'</soap:Body></soap:Envelope>')
_ROOT = etree.fromstring(_REQUEST)


@pytest.mark.parametrize("finding, why", [
    (Finding("xsd:pattern", "x", path="/soap:Envelope/soap:Body/q:Q/q:K", line=5), None),
    (Finding("xsd:pattern", "x", path="/soap:Envelope/soap:Body/q:Q/q:K", line=6), None),
    (Finding("xsd:pattern", "x", path="/soap:Envelope/soap:Body/q:Q/q:K", line=4),
     "names line 4, before line 5"),  # counted from 0
    (Finding("xsd:pattern", "x", path="/soap:Envelope/soap:Body/q:Q/@a", line=4),
     "names line 4, before line 5"),  # an attribute: its element's line
    (Finding("xsd:pattern", "x", path="/soap:Envelope/soap:Body/q:Q/q:Missing", line=5), None),
    (Finding("xsd:pattern", "x", path="/soap:Envelope/soap:Body/q:Missing", line=3),
     "names line 3, before line 4"),  # a missing child: its parent's line
    (Finding("xsd:pattern", "x", line=1), "before line 2, where the message's root element"),
    (Finding("xsd:pattern", "x", line=2), None),
    (Finding("xml:well-formed", "x", line=1), None),  # the parser's line: not judged
    (Finding("soap:no-dtd", "x", line=1), None),
    (Finding("xsd:pattern", "x", path="/soap:Nothing/q:K", line=1), None),  # unplaced's to say
])
def test_a_line_before_its_place_is_named(finding, why):
    found = fault_place.line_before(finding, _ROOT)
    assert (found is None) if why is None else (why in found), found


def test_a_placed_rule_finding_may_not_name_a_line_before_its_element():
    ok = Finding("addressee_number", "x", line=5)
    early = Finding("addressee_number", "x", line=4)
    assert fault_place.placed([ok], ["addressee_number"], "q:Q/q:K", 6, _ROOT) == []
    assert "before line 5" in fault_place.placed([early], ["addressee_number"], "q:Q/q:K", 6,
                                                  _ROOT)[0]


def _sample() -> bytes:
    return envelope('<q:Q xmlns:q="urn:q"><q:K>𠮷田</q:K></q:Q>', "1.1", None)


@pytest.mark.parametrize("how", ["space_before_declaration", "comment_before_declaration"])
def test_what_comes_before_the_declaration_makes_the_request_not_well_formed(how):
    raw = tamper(_sample(), how)
    assert raw.endswith(_sample())
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(raw)


def test_the_request_without_a_header_element_is_an_envelope_of_a_body():
    raw = tamper(_sample(), "no_header_element")
    root = etree.fromstring(raw)
    assert [etree.QName(c).localname for c in root] == ["Body"]


def _wire(name: str) -> bytes:
    form = next(f for f in ACCEPTED if f.name == name)
    ex = Exchange("s", "to-product", "POST", "http://127.0.0.1:1/soap", request=_sample(),
                  request_headers={"Content-Type": "text/xml; charset=utf-8"})
    return request_bytes(ex, form)


def test_a_chunk_boundary_falls_inside_the_first_multi_byte_character():
    head, _, body = _wire("chunked-body-split-in-a-character").partition(b"\r\n\r\n")
    size, _, rest = body.partition(b";")
    first = rest.partition(b"\r\n")[2][:int(size, 16)]
    with pytest.raises(UnicodeDecodeError):
        first.decode("utf-8")
    assert first.decode("utf-8", "ignore").endswith("<q:K>")
    assert b"Transfer-Encoding: chunked" in head


def test_a_content_length_with_leading_zeros_is_the_same_number():
    head = _wire("content-length-leading-zeros").partition(b"\r\n\r\n")[0]
    assert f"Content-Length: 000{len(_sample())}".encode() in head


def test_the_faulty_front_ends_read_what_they_are_written_to():
    raw = _sample() * 2
    assert len(content_length_octal(Call(raw, {}, received={"content-length": "0123"}))) == 83
    assert len(content_length_octal(Call(raw, {}, received={"content-length": "0189"}))) == 1
    assert content_length_octal(Call(raw, {}, received={"content-length": "123"})) == raw
    raw = _sample()
    at = raw.index("𠮷".encode()) + 1
    split = Call(raw, {}, chunks=[at, len(raw) - at])
    assert "\ufffd" in chunks_decoded_apart(split).decode("utf-8")
    assert chunks_decoded_apart(Call(raw, {}, chunks=[len(raw)])) == raw
    reply = Call(raw, {}, reply=Reply(500, b"<f><pff:Line>2</pff:Line></f>"))
    assert finding_line_from_zero(reply).body == b"<f><pff:Line>1</pff:Line></f>"


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", faulty_runs(ROUND42_NAMES))
def test_faulty_adapter_fails_exactly_its_round42_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)
