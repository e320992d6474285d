"""White space around dates and times (bus/core/date_whitespace.py): XML Schema collapses it,
libxml2 refuses it around its date types, so the validator strips it and validates again."""

from __future__ import annotations

import pytest
import xmlschema
from lxml import etree

from bus.core.date_whitespace import collapse_dates, date_typed_elements
from bus.core.envelope import parse_envelope
from bus.core.validator import MessageValidator
from messages import builtin_catalog, envelope, inquiry_body, line_of, request_header

JUKI = "urn:pfbus:unit:juki:v1"
AS_OF = f"{{{JUKI}}}AsOf"


@pytest.fixture(scope="module")
def validator() -> MessageValidator:
    return MessageValidator(builtin_catalog())


def findings(validator, raw: bytes):
    env = parse_envelope(raw)
    return validator.validate(env.header) + validator.validate(env.body), env


@pytest.mark.parametrize("as_of", ["\n      2026-04-01\n    ", " 2026-04-01", "2026-04-01\t"])
def test_a_date_with_white_space_around_it_is_valid_and_read_without_it(validator, as_of):
    found, env = findings(validator, envelope(inquiry_body(as_of=as_of)))
    assert found == []
    assert env.body.find(f".//{AS_OF}").text == "2026-04-01"  # what the rules and handlers read


@pytest.mark.parametrize("sent_at", [" 2026-11-27T15:04:05+09:00", "2026-11-27T15:04:05+09:00\n",
                                     "\n  2026-11-27T15:04:05.5+09:00  "])
def test_a_sent_at_with_white_space_around_it_is_valid(validator, sent_at):
    # (libxml2 collapses it for SentAt's type itself: a restriction with a pattern is read
    # another way — the header's half of the property, kept whichever way libxml2 goes)
    found, _ = findings(validator, envelope(inquiry_body(), request_header(sent_at=sent_at)))
    assert found == []


def test_libxml2_alone_refuses_them():
    """Why the validator strips: without it these valid messages are refused."""
    catalog = builtin_catalog()
    env = parse_envelope(envelope(inquiry_body(as_of=" 2026-04-01 ")))
    assert not catalog.xsd.validate(env.body)


def test_a_wrong_date_is_still_refused_where_it_is(validator):
    raw = envelope(inquiry_body(as_of=" 2026-02-30 "))
    found, _ = findings(validator, raw)
    assert len(found) == 1 and found[0].rule == "xsd:type", found
    assert found[0].path.endswith("/juki:AsOf") and found[0].line == line_of(raw, "<juki:AsOf>")


def test_white_space_inside_a_date_is_still_refused(validator):
    found, _ = findings(validator, envelope(inquiry_body(as_of="2026-04 -01")))
    assert [f.rule for f in found] == ["xsd:type"]


def test_the_catalogs_date_elements():
    names = builtin_catalog().date_elements
    assert AS_OF in names and "{urn:pfbus:platform:header:v1}SentAt" in names
    assert "{urn:pfbus:unit:kojin-juminzei:v1}FiscalYear" in names  # xs:gYear
    assert not any(n.endswith("}Text") or n.endswith("}AddresseeNumber") for n in names)


SCHEMA = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t"
  xmlns:t="urn:t" elementFormDefault="qualified">
  <xs:simpleType name="Day"><xs:restriction base="xs:date"/></xs:simpleType>
  <xs:element name="r"><xs:complexType><xs:sequence>
    <xs:element name="on" type="t:Day"/>
    <xs:element name="both" type="xs:date"/>
    <xs:element name="inner"><xs:complexType><xs:sequence>
      <xs:element name="both" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
    <xs:element name="note" type="xs:string"/>
    <xs:element name="span" type="xs:duration"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"""


def test_a_name_declared_as_a_date_and_as_a_string_is_left_alone():
    """Stripping a string would change its value: only names whose every declaration is a date
    or time are collapsed (derived types and xs:duration included)."""
    schema = xmlschema.XMLSchema10(SCHEMA)
    assert date_typed_elements(schema.maps.iter_components()) == {"{urn:t}on", "{urn:t}span"}


def test_collapse_dates_touches_only_the_names_given():
    root = etree.fromstring('<r xmlns="urn:t"><on> 2026-01-02\n</on><note> kept </note>'
                            '<span>P1D</span></r>')
    assert collapse_dates(root, frozenset({"{urn:t}on", "{urn:t}span"}))
    assert [el.text for el in root] == ["2026-01-02", " kept ", "P1D"]
    assert not collapse_dates(root, frozenset({"{urn:t}on", "{urn:t}span"}))  # nothing left
