"""Vendor A and vendor B native rows ↔ the standard XML (mapping level)."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from adapters.vendor_a_registry import mapping as a_map
from adapters.vendor_a_registry.store import SEED_RESIDENTS
from adapters.vendor_b_tax import mapping as b_map
from adapters.vendor_b_tax.store import SEED_TAXATION

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
CMN = "urn:pfbus:platform:common:v1"
JUKI = "urn:pfbus:unit:juki:v1"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    """The juki and 個人住民税 unit schemas (and through them cmn), loaded from their files."""
    wrapper = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:import namespace="{JUKI}"
                 schemaLocation="{(SCHEMAS / 'units/juki/juki-v1.xsd').as_uri()}"/>
      <xs:import namespace="urn:pfbus:unit:kojin-juminzei:v1"
        schemaLocation="{(SCHEMAS / 'units/kojin_juminzei/kojin-juminzei-v1.xsd').as_uri()}"/>
    </xs:schema>"""
    return etree.XMLSchema(etree.XML(wrapper))


def extract_response(*rows: dict) -> etree._Element:
    """A juki:ResidentFullExtractResponse around residents: a standard document to validate."""
    el = etree.Element(f"{{{JUKI}}}ResidentFullExtractResponse", nsmap={"juki": JUKI, "cmn": CMN})
    for name, value in (("ExtractId", "t"), ("Page", 1), ("TotalPages", 1),
                        ("TotalCount", len(rows))):
        etree.SubElement(el, f"{{{JUKI}}}{name}").text = str(value)
    for row in rows:
        a_map.resident_to_element(row, f"{{{JUKI}}}Resident", el)
    return el


def shape(el: etree._Element) -> tuple:
    """Tag, text and children, ignoring namespace prefixes and formatting."""
    return (el.tag, (el.text or "").strip(), tuple(shape(c) for c in el))


def cpath(path: str) -> str:
    """"Name/Text" → "{cmn}Name/{cmn}Text" for find/findtext."""
    return "/".join(f"{{{CMN}}}{step}" for step in path.split("/"))


def shoko() -> dict:
    return dict(next(r for r in SEED_RESIDENTS if r["氏名3"] == "総務翔子"))


def test_the_seed_example_from_vendor_a_through_the_standard_to_vendor_b(schema) -> None:
    row_a = shoko()
    assert (row_a["氏名1"], row_a["氏名2"], row_a["氏名3"], row_a["住所1"], row_a["住所2"]) == \
        ("そうむ", "しょうこ", "総務翔子", "霞が関", "2")
    doc = extract_response(row_a)
    schema.assertValid(doc)
    resident = doc.find(f"{{{JUKI}}}Resident")

    def c(path: str) -> str | None:
        return resident.findtext(cpath(path))

    assert c("Name/Text") == "総務翔子"
    assert (c("Name/Kana/Family"), c("Name/Kana/Given")) == ("ソウム", "ショウコ")
    assert (c("Address/Town"), c("Address/Chome")) == ("霞が関", "2")
    assert c("DateOfBirth") == "1990-04-01"
    assert (c("Gender"), c("Relationship"), c("ResidentKind"), c("ResidentStatus")) == \
        ("2", "01", "1", "1")
    assert c("Address/PostalCode") == "1000013"
    row_b = b_map.resident_to_row(resident)
    assert (row_b["名前1"], row_b["名前2"], row_b["名前(漢字)"], row_b["町名"], row_b["丁"]) == \
        ("ソウム", "ショウコ", "総務翔子", "霞が関", "二")
    assert (row_b["生年月日"], row_b["性別"]) == (19900401, "F")


@pytest.mark.parametrize("row", SEED_RESIDENTS, ids=lambda r: r["宛名番号"])
def test_vendor_a_rows_round_trip_through_the_standard(row: dict, schema) -> None:
    doc = extract_response(row)
    schema.assertValid(doc)
    back = a_map.resident_from_element(doc.find(f"{{{JUKI}}}Resident"))
    assert back == row
    again = extract_response(back)
    assert etree.tostring(again) == etree.tostring(doc)


@pytest.mark.parametrize("row", SEED_RESIDENTS, ids=lambda r: r["宛名番号"])
def test_standard_to_vendor_b_and_back_keeps_what_vendor_b_keeps(row: dict, schema) -> None:
    resident = extract_response(row).find(f"{{{JUKI}}}Resident")
    row_b = b_map.resident_to_row(resident)
    back = b_map.row_to_resident(row_b, f"{{{JUKI}}}Resident")
    expected = copy.deepcopy(resident)
    for path in ("ResidentCode", "FormerSurname", "BecameResidentOn", "AddressFixedOn",
                 "Address/AddressCode"):  # items vendor B does not keep
        for gone in expected.findall(cpath(path)):
            gone.getparent().remove(gone)
    assert shape(back) == shape(expected)
    doc = extract_response()
    doc.append(back)
    schema.assertValid(doc)


def test_household_round_trip_and_head_name(schema) -> None:
    members = [r for r in SEED_RESIDENTS if r["世帯番号"] == shoko()["世帯番号"]]
    household = {"世帯番号": members[0]["世帯番号"], "世帯主宛名番号": members[0]["宛名番号"],
                 "世帯主氏名": "総務翔子"}
    response = etree.Element(f"{{{JUKI}}}ResidentInquiryResponse", nsmap={"juki": JUKI})
    etree.SubElement(response, f"{{{JUKI}}}Status").text = "found"
    a_map.resident_to_element(members[0], f"{{{JUKI}}}Resident", response)
    el = a_map.household_to_element(household, members, f"{{{JUKI}}}Household", response)
    schema.assertValid(response)
    assert el.findtext(cpath("HeadName/Kana/Given")) == "ショウコ"
    assert len(el.findall(f"{{{CMN}}}Member")) == 3
    assert a_map.household_from_element(el) == (household, members)


NAMES = ["葛\U000E0100飾𠮷髙", "葛\U000E0102西", "𠮷田", "髙橋", "\uF9DC", "か\u3099"]


@pytest.mark.parametrize("name", NAMES, ids=ascii)
def test_names_pass_through_byte_identical(name: str, schema) -> None:
    row = {**shoko(), "氏名3": name, "旧氏3": name, "旧氏1": "かさい"}
    doc = extract_response(row)
    schema.assertValid(doc)
    raw = etree.tostring(doc, encoding="UTF-8")
    assert name.encode("utf-8") in raw  # neither escaped nor normalised on the wire
    resident = etree.fromstring(raw).find(f"{{{JUKI}}}Resident")
    assert a_map.resident_from_element(resident)["氏名3"].encode("utf-8") == name.encode("utf-8")
    assert b_map.resident_to_row(resident)["名前(漢字)"].encode("utf-8") == name.encode("utf-8")


@pytest.mark.parametrize("arabic, kanji", [("1", "一"), ("2", "二"), ("10", "十"), ("12", "十二"),
                                           ("21", "二十一"), ("105", "百五"), ("007", "七")])
def test_chome_from_arabic_in_vendor_a_to_kanji_in_vendor_b(arabic: str, kanji: str) -> None:
    resident = extract_response({**shoko(), "住所2": arabic}).find(f"{{{JUKI}}}Resident")
    row_b = b_map.resident_to_row(resident)
    assert row_b["丁"] == kanji
    back = b_map.row_to_resident(row_b, "r")
    assert back.findtext(cpath("Address/Chome")) == str(int(arabic))


def test_no_chome_stays_absent(schema) -> None:
    doc = extract_response({**shoko(), "住所2": None})
    schema.assertValid(doc)
    assert b_map.resident_to_row(doc.find(f"{{{JUKI}}}Resident"))["丁"] is None


@pytest.mark.parametrize("change, message", [
    ({"住所2": "２"}, "arabic"), ({"住所2": "0"}, "positive"), ({"住所2": "二"}, "arabic"),
    ({"氏名1": "そうむA"}, "kana"), ({"氏名1": None}, "without a surname"),
    ({"生年月日": "H31.05.01"}, "era"), ({"生年月日": "1990-04-01"}, "和暦"),
    ({"続柄": "子の子の子の子の子"}, "code list"), ({"郵便番号": "1000"}, "郵便番号"),
])
def test_vendor_a_values_without_a_standard_form_are_refused(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        a_map.resident_to_element({**shoko(), **change}, "r")


@pytest.mark.parametrize("text, day", [
    ("H02.04.01", dt.date(1990, 4, 1)), ("S64.01.07", dt.date(1989, 1, 7)),
    ("H01.01.08", dt.date(1989, 1, 8)), ("H31.04.30", dt.date(2019, 4, 30)),
    ("R01.05.01", dt.date(2019, 5, 1)), ("T15.12.24", dt.date(1926, 12, 24)),
    ("M45.07.29", dt.date(1912, 7, 29)),
])
def test_wareki_both_ways(text: str, day: dt.date) -> None:
    assert a_map.wareki_to_date(text) == day
    assert a_map.date_to_wareki(day) == text


@pytest.mark.parametrize("bad", ["S64.01.08", "H31.05.01", "R00.05.01", "H02.02.30", "X02.04.01",
                                 "H2.4.1", "M05.12.31"])
def test_wareki_rejects_days_outside_their_era(bad: str) -> None:
    with pytest.raises(a_map.MappingError):
        a_map.wareki_to_date(bad)


def test_taxation_rows_map_to_valid_responses(schema) -> None:
    by_category = {}
    for row in SEED_TAXATION:
        response = b_map.taxation_to_response(row)
        schema.assertValid(response)
        by_category[row["課税区分"]] = response

    def t(el, name):
        return el.findtext(f"{{{b_map.TAX}}}Taxation/{{{b_map.TAX}}}{name}")

    assert [t(by_category[k], "Category") for k in "KHM"] == ["1", "2", "3"]
    assert t(by_category["M"], "MunicipalIncomeLevy") is None  # 未申告: no amounts
    not_found = b_map.taxation_to_response(None)
    schema.assertValid(not_found)
    assert not_found.findtext(f"{{{b_map.TAX}}}Status") == "not-found"
    with pytest.raises(b_map.MappingError):
        b_map.taxation_to_response({**SEED_TAXATION[0], "課税区分": "Z"})
