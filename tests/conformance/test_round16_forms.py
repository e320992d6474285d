"""The pure parts of round 16's cases: the schema-invalid neighbours P-NEIGH-01 sends
(conformance/neighbours.py), the extremes of xs:date (edges.EXTREMES), the notice sequences of
S-CAL-01 and S-ONCE-09 (conformance/notice_points.py), P-CAL-01's days (conformance/extremes.py)
and the lenient date reader of a faulty front end (faulty_round16.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from conformance import edges, extremes, grid, neighbours, notice_points
from conformance.coverage import _schema
from conformance.grid_notices import Send, notice_body
from conformance.lexical import _declarations
from conformance.runner import _catalog

from .faulty_round16 import lenient_date

CATALOG = _catalog(())
GROUPS = CATALOG.codelists["change_reason"].groups
CODES = CATALOG.codelists["change_reason"].labels


def _type(xsd, name: str):
    return _schema(xsd).types[name] if ":" not in name else _schema(xsd).maps.types[name]


def _forms(t, value: str) -> dict[str, str]:
    return {f.value: f.label for f in neighbours.forms(t, value)}


def test_every_neighbour_is_refused_by_its_type_and_differs_from_the_value():
    cases = [(edges._date_type(), "2025-02-01"), (edges.juki_type("PageSizeType"), "10"),
             (edges.common_type("AddresseeNumberType"), "0000010014"),
             (edges.common_type("ChangeReasonCodeType"), "A01"),
             (edges.common_type("KanaTextType"), "ヨシダ"),
             (edges.common_type("NameTextType"), "𠮷田花子"),
             (edges.header_type("SentAt"), "2026-12-05T12:00:00+09:00"),
             (edges.header_type("LinkageKind"), "delta"),
             (edges.header_type("MessageId"), "91fd7f37-d28a-4ac5-ab72-c884663b4013")]
    for t, value in cases:
        found = neighbours.forms(t, value)
        assert found, (t, value)
        assert all(neighbours.refused(t, f.value) and f.value != value for f in found), (t, found)


def test_the_neighbours_of_each_kind_are_the_ones_a_lenient_reader_takes():
    date = _forms(edges._date_type(), "2025-02-01")
    assert {"2025-02-01T00:00:00", "2025-02", "2025-02-29", "2025/02/01", "20250201",
            "2025-2-1"} <= set(date)  # 29 February of a common year: a day past the month
    assert {"10.0", "10E0", "0", "1001"} <= set(_forms(edges.juki_type("PageSizeType"), "10"))
    key = _forms(edges.common_type("AddresseeNumberType"), "0000010014")
    assert {" 0000010014 ", "０００００１００１４", "000-0010014", "0"} <= set(key)
    assert "a01" in _forms(edges.common_type("ChangeReasonCodeType"), "A01")
    assert {"ﾖｼﾀﾞ", "よしだ"} <= set(_forms(edges.common_type("KanaTextType"), "ヨシダ"))
    assert "1000-0014" not in _forms(edges.common_type("PostalCodeType"), "1000014")
    assert "100-0014" in _forms(edges.common_type("PostalCodeType"), "1000014")
    assert {"DELTA", " delta "} <= set(_forms(edges.header_type("LinkageKind"), "delta"))
    sent = _forms(edges.header_type("SentAt"), "2026-12-05T12:00:00+09:00")
    assert {"2026-12-05T12:00:00Z", "2026-12-05T12:00:00", "2026-12-05T12:00:00+0900"} <= set(sent)
    tax = _schema(edges.SCHEMAS / "units" / "kojin_juminzei" / "kojin-juminzei-v1.xsd")
    assert {"2024-04-01", "24", "1949", "2200"} <= set(
        _forms(tax.types["FiscalYearType"], "2024"))


def test_a_neighbour_in_its_payload_is_invalid_to_libxml2_as_well():
    payload = etree.fromstring(
        '<juki:ResidentInquiryRequest xmlns:juki="urn:pfbus:unit:juki:v1"><juki:AddresseeNumber>'
        '0000010014</juki:AddresseeNumber><juki:AsOf>2025-04-01</juki:AsOf>'
        '</juki:ResidentInquiryRequest>')
    assert CATALOG.xsd.validate(payload)
    leaves = {path: (el, t) for el, path, t in neighbours.leaves(payload, CATALOG)}
    assert set(leaves) == {"AddresseeNumber", "AsOf"}
    el, t = leaves["AsOf"]
    for form in neighbours.forms(t, el.text):
        el.text = form.value
        assert neighbours._invalid(CATALOG, payload), form
    el.text = " 2025-04-01 "  # white space XML Schema collapses: valid, so never a neighbour
    assert not neighbours._invalid(CATALOG, payload)


def test_the_extremes_of_xs_date_are_valid_and_among_the_date_edges():
    values = {e.value for e in edges.date_edges()}
    for _, day in edges.EXTREMES:
        assert edges._date_type().is_valid(day.isoformat()) and day.isoformat() in values
    assert {"0001-01-01", "0999-12-31", "1868-01-24", "1872-12-31", "9999-12-31"} <= values
    assert "9999-12-31" not in {e.value for e in edges.date_edges(until=dt.date(2026, 12, 5))}
    assert edges.wareki(dt.date(1868, 1, 24)) == "西暦1868"
    assert edges.wareki(dt.date(1868, 1, 25)) == "明治元"


def _valid_notices(points) -> None:
    for p in points:
        for step in (s for s in p.steps if isinstance(s, Send)):
            body = notice_body((c, f"00000{c.who}0014", "0000050016", "花子")
                               for c in step.changes)
            assert CATALOG.xsd.validate(etree.fromstring(body.encode())), (p.what, body)


def test_calendar_notices_put_an_anniversary_in_a_common_year_and_are_valid():
    points = notice_points.calendar_points(CODES, GROUPS)
    _valid_notices(points)
    leap = next(p for p in points if "born 2000-02-29" in p.what)
    days = [c.occurred for s in leap.steps for c in s.changes]  # type: ignore[union-attr]
    assert days == ["2024-02-29", "2025-02-28", "2025-03-01"]
    assert {GROUPS[c.reason] for s in leap.steps for c in s.changes} == {  # type: ignore[union-attr]
        "記載", "修正", "消除"}
    births = {c.born for p in points for s in p.steps for c in s.changes}  # type: ignore[union-attr]
    assert {"2020-02-29", "1999-12-31", "2000-01-01", "1989-01-07", "2019-05-01"} <= births


def test_every_change_reason_is_delivered_again_and_every_removal_after_the_removal():
    points = notice_points.redelivery_points(CODES, GROUPS)
    _valid_notices(points)
    for code in CODES:
        assert any(p.what.startswith(f"{code} ") for p in points), code
    removals = [c for c in CODES if GROUPS[c] == "消除"]
    for code in removals:
        assert any(p.what == f"A01 delivered again after its resident's {code}"
                   for p in points), code


def test_p_cal_01_asks_the_leap_day_residents_of_the_test_data_on_a_common_year():
    model = grid.load_model("juki_residents.xml")
    chosen = {r.addressee: r for r, _ in extremes.calendar_residents(model)}
    assert set(chosen) == {"0000000019", "9999999996"}  # 福田ﾊﾅ, 都筑ﾕｷ: born 29 February
    days = [d.isoformat() for d, _ in extremes.calendar_days(chosen["9999999996"])]
    assert days == ["2026-02-28", "2026-03-01", "2028-02-29"]  # moved in 2025-03-01


@pytest.mark.parametrize("text,read", [("2025-04-01T09:00:00", "2025-04-01"),
                                       ("2025-04", "2025-04-01"), ("2025-04-31", "2025-05-01"),
                                       ("2025/4/1", "2025-04-01"), ("20250401", "2025-04-01"),
                                       ("2025-04-01", None), ("2025-04-01+09:00", None)])
def test_the_faulty_front_ends_lenient_date_reader(text, read):
    assert lenient_date(text) == read


def test_every_typed_leaf_of_every_request_is_reachable_by_the_walk():
    """neighbours.leaves sees every simple-typed element the declarations give (the walk the
    equivalence variants use), in a notice holding every optional element."""
    message = '''<juki:ResidentChangeNotice xmlns:juki="urn:pfbus:unit:juki:v1"
      xmlns:cmn="urn:pfbus:platform:common:v1"><juki:Change><juki:Sequence>1</juki:Sequence>
      <juki:Event><cmn:Reason>A01</cmn:Reason><cmn:OccurredOn>2024-04-01</cmn:OccurredOn>
      </juki:Event><juki:Resident><cmn:AddresseeNumber>0000010014</cmn:AddresseeNumber>
      <cmn:HouseholdNumber>0000050016</cmn:HouseholdNumber><cmn:Name><cmn:Text>花子</cmn:Text>
      </cmn:Name><cmn:DateOfBirth>1980-01-01</cmn:DateOfBirth><cmn:Gender>2</cmn:Gender>
      <cmn:Relationship>01</cmn:Relationship><cmn:ResidentKind>1</cmn:ResidentKind>
      <cmn:ResidentStatus>1</cmn:ResidentStatus><cmn:Address><cmn:Prefecture>東京都
      </cmn:Prefecture><cmn:City>千代田区</cmn:City><cmn:Town>永田町</cmn:Town></cmn:Address>
      </juki:Resident></juki:Change></juki:ResidentChangeNotice>'''
    payload = etree.fromstring(message.encode())
    walked = {p for _, p, _ in neighbours.leaves(payload, CATALOG)}
    declared = {el for el, d in _declarations(payload, CATALOG.schema_files)
                if not len(el) and el is not payload}
    assert len(walked) == len(declared) == 14


def test_a_redacted_fault_text_quoting_a_personal_value_is_masked():
    """P-NEIGH-01's neighbours of a held 宛名番号 come back quoted in a product's fault text: a
    report with --redact masks the known values in the whole message, not only in the listed
    elements."""
    from conformance.report.redact import MASK, Redactor
    redactor = Redactor(True, CATALOG.prefixes, {"found_addressee": "0000010022"})
    fault = ("<faultstring xmlns=''>The value ' 0000010022 ' is not accepted by the pattern"
             "</faultstring>")
    masked = redactor.xml(fault)
    assert "0000010022" not in masked and MASK in masked
