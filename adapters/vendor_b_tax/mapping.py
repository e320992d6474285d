"""Standard XML ↔ vendor B rows.

- cmn:ResidentType → a 宛名 row: Kana (katakana) → 名前1/名前2 unchanged, Name/Text → 名前(漢字)
  as the exact same code points, Chome (integer) → 丁 in kanji numerals (2 → 二), xs:date →
  yyyymmdd integer, Gender 1/2 → M/F. ``row_to_resident`` goes back, for what vendor B keeps.
- a 課税台帳 row → tax:TaxationStatusInquiryResponse: 課税区分 K/H/M → code list codes 1/2/3.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from lxml import etree

from adapters.sdk.text import int_to_kanji, kanji_to_int

CMN = "urn:pfbus:platform:common:v1"
TAX = "urn:pfbus:unit:kojin-juminzei:v1"
NSMAP = {"tax": TAX, "cmn": CMN}

_GENDER = {"1": "M", "2": "F"}  # standard 性別 code → vendor B
_CATEGORY = {"K": "1", "H": "2", "M": "3"}  # vendor B 課税区分 → taxation_category code


class MappingError(ValueError):
    """A value with no representation on the other side."""


def _c(name: str) -> str:
    return f"{{{CMN}}}{name}"


def _text(el: etree._Element | None, name: str) -> str | None:
    child = None if el is None else el.find(_c(name))
    return None if child is None else (child.text or "")


def _yyyymmdd(xsd_date: str) -> int:
    # xs:date may carry a timezone ("1990-04-01+09:00"); the calendar day is what is kept.
    day = dt.date.fromisoformat(xsd_date.strip()[:10])
    return day.year * 10000 + day.month * 100 + day.day


def _children(el: etree._Element) -> dict:
    """Tag → the first child element of that tag: one pass over the children, where a
    ``find`` per item parses its path each time (a 全件 page maps thousands of residents)."""
    found: dict = {}
    for child in el:
        found.setdefault(child.tag, child)
    return found


def _in(children: dict, tag: str) -> str | None:
    """The text of the child ``tag`` ("" when empty), None when absent (as ``_text``)."""
    child = children.get(tag)
    return None if child is None else (child.text or "")


# cmn: names read per resident, spelt once (not formatted again for each of a page's thousand)
(_NAME, _KANA, _ADDRESS, _CHOME, _GENDER_TAG, _ADDRESSEE, _INDIVIDUAL, _HOUSEHOLD, _FAMILY,
 _GIVEN, _TEXT, _BIRTH, _RELATIONSHIP, _KIND, _STATUS, _POSTAL, _PREFECTURE, _CITY, _TOWN,
 _BANCHI, _KATAGAKI) = (_c(n) for n in (
    "Name", "Kana", "Address", "Chome", "Gender", "AddresseeNumber", "IndividualNumber",
    "HouseholdNumber", "Family", "Given", "Text", "DateOfBirth", "Relationship", "ResidentKind",
    "ResidentStatus", "PostalCode", "Prefecture", "City", "Town", "Banchi", "Katagaki"))


def resident_to_row(resident: etree._Element, household: etree._Element | None = None) -> dict:
    """A schema-valid cmn:ResidentType element (and optionally its cmn:HouseholdType, for
    世帯主名) → a vendor B 宛名 row (取得日時 left for the store to stamp)."""
    items = _children(resident)
    name = _children(items[_NAME])
    kana_el = name.get(_KANA)
    kana = {} if kana_el is None else _children(kana_el)
    addr_el = items.get(_ADDRESS)
    addr = {} if addr_el is None else _children(addr_el)
    chome = _in(addr, _CHOME)
    gender = _in(items, _GENDER_TAG)
    if gender not in _GENDER:
        raise MappingError(f"性別 code {gender!r} has no vendor B value")
    try:
        cho = None if chome is None else int_to_kanji(int(chome.strip().lstrip("+")))
    except ValueError as exc:
        raise MappingError(f"Chome {chome!r}: {exc}") from None
    return {
        "宛名番号": _in(items, _ADDRESSEE),
        "個人番号": _in(items, _INDIVIDUAL),
        "世帯番号": _in(items, _HOUSEHOLD),
        "名前1": _in(kana, _FAMILY), "名前2": _in(kana, _GIVEN),
        "名前(漢字)": _in(name, _TEXT),  # exact code points: IVS, non-BMP, 髙 untouched
        "生年月日": _yyyymmdd(_in(items, _BIRTH)),
        "性別": _GENDER[gender],
        "続柄": _in(items, _RELATIONSHIP),
        "住民種別": _in(items, _KIND),
        "住民状態": _in(items, _STATUS),
        "郵便番号": _in(addr, _POSTAL),
        "都道府県": _in(addr, _PREFECTURE), "市区町村": _in(addr, _CITY),
        "町名": _in(addr, _TOWN), "丁": cho,
        "番地": _in(addr, _BANCHI), "方書": _in(addr, _KATAGAKI),
        "世帯主名": _text(household.find(_c("HeadName")), "Text") if household is not None
        else None,
    }


def _add(parent: etree._Element, name: str, text: object = None) -> etree._Element:
    child = etree.SubElement(parent, _c(name))
    if text is not None:
        child.text = str(text)
    return child


def _required(row: Mapping[str, object], column: str) -> object:
    value = row.get(column)
    if value in (None, ""):
        raise MappingError(f"宛名 {row.get('宛名番号')}: {column} is empty; the standard "
                           f"resident needs it")
    return value


def row_to_resident(row: Mapping[str, object], tag: str,
                    parent: etree._Element | None = None) -> etree._Element:
    """A vendor B 宛名 row → an element ``tag`` with cmn:ResidentType content. Items vendor B
    does not keep (住民票コード, 旧氏, 住所コード, dates of residence) are absent."""
    el = (etree.Element(tag, nsmap=NSMAP) if parent is None
          else etree.SubElement(parent, tag))
    _add(el, "AddresseeNumber", _required(row, "宛名番号"))
    if row.get("個人番号"):
        _add(el, "IndividualNumber", row["個人番号"])
    _add(el, "HouseholdNumber", _required(row, "世帯番号"))
    name = _add(el, "Name")
    _add(name, "Text", _required(row, "名前(漢字)"))
    if row.get("名前1"):
        kana = _add(name, "Kana")
        _add(kana, "Family", row["名前1"])
        if row.get("名前2"):
            _add(kana, "Given", row["名前2"])
    born = str(_required(row, "生年月日"))
    try:
        _add(el, "DateOfBirth", dt.datetime.strptime(born, "%Y%m%d").date().isoformat())
    except ValueError:
        raise MappingError(f"生年月日 {born!r} is not yyyymmdd") from None
    gender = {v: k for k, v in _GENDER.items()}.get(row.get("性別"))
    if gender is None:
        raise MappingError(f"性別 {row.get('性別')!r} is neither M nor F")
    _add(el, "Gender", gender)
    for column, tag_name in (("続柄", "Relationship"), ("住民種別", "ResidentKind"),
                             ("住民状態", "ResidentStatus")):
        _add(el, tag_name, _required(row, column))
    addr = _add(el, "Address")
    if row.get("郵便番号"):
        _add(addr, "PostalCode", row["郵便番号"])
    for column, tag_name in (("都道府県", "Prefecture"), ("市区町村", "City"), ("町名", "Town")):
        _add(addr, tag_name, _required(row, column))
    if row.get("丁"):
        try:
            _add(addr, "Chome", kanji_to_int(row["丁"]))
        except ValueError as exc:
            raise MappingError(f"丁 {row['丁']!r}: {exc}") from None
    for column, tag_name in (("番地", "Banchi"), ("方書", "Katagaki")):
        if row.get(column):
            _add(addr, tag_name, row[column])
    return el


def taxation_to_response(row: Mapping[str, object] | None) -> etree._Element:
    """A 課税台帳 row (or None) → tax:TaxationStatusInquiryResponse (found / not-found).

    Only the municipal levies are in the standard; the 道府県民税 columns stay in vendor B."""
    response = etree.Element(f"{{{TAX}}}TaxationStatusInquiryResponse", nsmap=NSMAP)
    etree.SubElement(response, f"{{{TAX}}}Status").text = "found" if row else "not-found"
    if row is None:
        return response
    category = _CATEGORY.get(row["課税区分"])
    if category is None:
        raise MappingError(f"課税区分 {row['課税区分']!r} has no taxation_category code")
    taxation = etree.SubElement(response, f"{{{TAX}}}Taxation")
    for name, value in (("AddresseeNumber", row["宛名番号"]), ("FiscalYear", row["課税年度"]),
                        ("Category", category),
                        ("MunicipalIncomeLevy", row.get("市町村民税所得割額")),
                        ("MunicipalPerCapitaLevy", row.get("市町村民税均等割額"))):
        if value is None:
            continue
        if isinstance(value, int) and value < 0:
            raise MappingError(f"{name} {value} is negative; the standard carries amounts ≥ 0")
        etree.SubElement(taxation, f"{{{TAX}}}{name}").text = str(value)
    return response
