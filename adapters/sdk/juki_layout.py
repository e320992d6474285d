"""juki/pfbus-1 layout rows ↔ the standard XML (cmn:ResidentType, cmn:HouseholdType).

A system that keeps its registry in (or can produce) the 中間標準レイアウト's form serves the
platform's 住民基本台帳 services from it without a mapping of its own: items map one to one
(YYYYMMDD → xs:date, 丁目 → Chome, フリガナ → Kana). Empty items are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from lxml import etree

CMN = "urn:pfbus:platform:common:v1"
NSMAP = {"cmn": CMN}
Row = Mapping[str, str | None]


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{CMN}}}{name}")
    if text is not None:
        child.text = text
    return child


def _opt(parent: etree._Element, name: str, text: str | None) -> None:
    if text:
        _add(parent, name, text)


def _date(text: str | None) -> str | None:
    return dt.datetime.strptime(text, "%Y%m%d").date().isoformat() if text else None


def _name(parent: etree._Element, tag: str, text: str, family: str | None,
          given: str | None) -> None:
    name = _add(parent, tag)
    _add(name, "Text", text)  # the exact code points: IVS, non-BMP untouched
    if family:
        kana = _add(name, "Kana")
        _add(kana, "Family", family)
        _opt(kana, "Given", given)


def resident_element(row: Row, tag: str, parent: etree._Element | None = None
                     ) -> etree._Element:
    """A juki/pfbus-1 住民 row → an element ``tag`` with cmn:ResidentType content."""
    el = etree.Element(tag, nsmap=NSMAP) if parent is None else etree.SubElement(parent, tag)
    _add(el, "AddresseeNumber", row["宛名番号"])
    _opt(el, "ResidentCode", row.get("住民票コード"))
    _opt(el, "IndividualNumber", row.get("個人番号"))
    _add(el, "HouseholdNumber", row["世帯番号"])
    _name(el, "Name", row["氏名"], row.get("氏名フリガナ氏"), row.get("氏名フリガナ名"))
    if row.get("旧氏"):
        _name(el, "FormerSurname", row["旧氏"], row.get("旧氏フリガナ"), None)
    _add(el, "DateOfBirth", _date(row["生年月日"]))
    for item, name in (("性別", "Gender"), ("続柄", "Relationship"), ("住民種別", "ResidentKind"),
                       ("住民状態", "ResidentStatus")):
        _add(el, name, row[item])
    addr = _add(el, "Address")
    _opt(addr, "PostalCode", row.get("郵便番号"))
    _opt(addr, "AddressCode", row.get("住所コード"))
    for item, name in (("都道府県", "Prefecture"), ("市区町村", "City"), ("町名", "Town")):
        _add(addr, name, row[item])
    for item, name in (("丁目", "Chome"), ("番地", "Banchi"), ("方書", "Katagaki")):
        _opt(addr, name, row.get(item))
    _opt(el, "BecameResidentOn", _date(row.get("住民となった年月日")))
    _opt(el, "AddressFixedOn", _date(row.get("住所を定めた年月日")))
    return el


def household_element(household: Row | None, members: Sequence[Row], tag: str,
                      parent: etree._Element | None = None) -> etree._Element:
    """A 世帯 row and its 住民 rows (世帯主 first) → ``tag`` with cmn:HouseholdType content.
    HeadName is the head's own name with its reading when the head is a member."""
    el = etree.Element(tag, nsmap=NSMAP) if parent is None else etree.SubElement(parent, tag)
    number = household["世帯番号"] if household else members[0]["世帯番号"]
    _add(el, "HouseholdNumber", number)
    head_no = household.get("世帯主宛名番号") if household else None
    head = next((m for m in members if m["宛名番号"] == head_no), None) or \
        next((m for m in members if m["続柄"] == "01"), None)
    if head is not None:
        _name(el, "HeadName", head["氏名"], head.get("氏名フリガナ氏"), head.get("氏名フリガナ名"))
    elif household is not None:
        _name(el, "HeadName", household["世帯主氏名"], None, None)
    for member in members:
        resident_element(member, f"{{{CMN}}}Member", el)
    return el
