"""The pure parts of round 15's cases: the DOCTYPE forms P-HOST-08 sends (conformance/
dtd_forms.py) and the hub's reading of an answer P-WIRE-01 judges (wire_forms.hub_reading)."""

from __future__ import annotations

import pytest
from lxml import etree

from conformance import dtd_forms
from conformance.envelopes import TAMPERS, tamper
from conformance.wire_forms import hub_reading

REQUEST = (b'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="http://schemas'
           b'.xmlsoap.org/soap/envelope/"><soap:Header><h:H xmlns:h="urn:x"><h:UserId>clerk01'
           b'</h:UserId></h:H></soap:Header><soap:Body><b:B xmlns:b="urn:y">1</b:B></soap:Body>'
           b'</soap:Envelope>')


@pytest.mark.parametrize("how", dtd_forms.TAMPERS)
def test_every_form_is_a_dtd_a_parser_sees_and_reads_past(how):
    raw = tamper(REQUEST, how)
    assert how in TAMPERS
    root = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.getroottree().docinfo.doctype  # a DTD, in whatever encoding
    assert root.findtext(".//{urn:y}B") == "1"  # the request itself is whole


def test_each_form_hides_from_its_detector():
    """Each form escapes one shortcut P-HOST-01…03 did not: an entity search, an anchored
    DOCTYPE, a search for the UTF-8 bytes."""
    forms = {how: tamper(REQUEST, how) for how in dtd_forms.TAMPERS}
    assert b"<!ENTITY" not in forms["dtd_without_subset"]
    assert b"<!ENTITY" not in forms["dtd_after_comment"]
    assert not forms["dtd_after_comment"].split(b"\n", 1)[1].startswith(b"<!DOCTYPE")
    assert b"<!ENTITY %" in forms["dtd_parameter_entity"]
    assert b"<!DOCTYPE" not in forms["dtd_utf16"] and forms["dtd_utf16"][:2] in (
        b"\xff\xfe", b"\xfe\xff")


def test_an_unknown_form_is_refused():
    with pytest.raises(ValueError):
        dtd_forms.tamper(REQUEST, "dtd_elsewhere")


GOOD = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 2\r\n\r\nok"


@pytest.mark.parametrize("raw", [
    GOOD,
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\nok",  # delimited by the close
])
def test_an_answer_the_hub_reads_passes(raw):
    assert hub_reading(raw) is None


@pytest.mark.parametrize("raw,why", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"2\r\nok\r\n0\r\n\r\n", "Content-Length and Transfer-Encoding"),
    (b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", "CRLF"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", "Content-Length"),
])
def test_an_answer_the_hub_refuses_is_named(raw, why):
    problem = hub_reading(raw)
    assert problem is not None and "not framed as the hub reads it" in problem, (why, problem)
