"""Vendor A rows ↔ standard XML (cmn:ResidentType, cmn:HouseholdType).

What changes on the way: 氏名1/氏名2 hiragana ↔ Kana katakana; 住所2 arabic ↔ Chome integer;
和暦 生年月日 ↔ xs:date; yyyymmdd ↔ xs:date; "100-0013" ↔ 1000013; text labels (女, 世帯主,
日本人, 住民) ↔ codes of the standard code lists. What never changes: 氏名3 / Name/Text and every
other free text (番地, 方書) pass through as the exact same code points.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence

from lxml import etree

import schemas
from adapters.sdk.text import hiragana_to_katakana, katakana_to_hiragana, parse_arabic

CMN = "urn:pfbus:platform:common:v1"
NSMAP = {"cmn": CMN}


class MappingError(ValueError):
    """A vendor value with no standard representation (or the reverse)."""


# --- code lists: vendor A stores the standard lists' labels, so the list files map both ways ---

_CODELISTS_DIR = schemas.BUILTIN_CATALOG.parent / "codelists"
_COLUMN_LIST = {"性別": "gender", "続柄": "relationship", "住民種別": "resident_kind",
                "住民状態": "resident_status"}


@functools.cache
def _labels(codelist: str) -> dict[str, str]:
    """code → label of a standard code list (read once; the files are the single source)."""
    with (_CODELISTS_DIR / f"{codelist}.csv").open(encoding="utf-8-sig", newline="") as f:
        return {r["code"].strip(): r["label"].strip() for r in csv.DictReader(f)}


def label_to_code(column: str, label: str) -> str:
    for code, text in _labels(_COLUMN_LIST[column]).items():
        if text == label:
            return code
    raise MappingError(f"{column} {label!r} has no code in code list {_COLUMN_LIST[column]}")


def code_to_label(column: str, code: str) -> str:
    try:
        return _labels(_COLUMN_LIST[column])[code]
    except KeyError:
        raise MappingError(f"{column} code {code!r} is not in code list "
                           f"{_COLUMN_LIST[column]}") from None


# --- dates -----------------------------------------------------------------------------------

# 元号: letter, first day. Earliest supported day is 1873-01-01, when Japan adopted the
# Gregorian calendar (明治6年); earlier 和暦 dates are lunisolar and cannot map to xs:date.
ERAS = (("R", dt.date(2019, 5, 1)), ("H", dt.date(1989, 1, 8)), ("S", dt.date(1926, 12, 25)),
        ("T", dt.date(1912, 7, 30)), ("M", dt.date(1868, 1, 1)))
_GREGORIAN_SINCE = dt.date(1873, 1, 1)
_WAREKI = re.compile(r"([MTSHR])([0-9]{2})\.([0-9]{2})\.([0-9]{2})")


def wareki_to_date(text: str) -> dt.date:
    """Vendor A's 和暦 text "H02.04.01" → 1990-04-01 (元年 is written 01)."""
    m = _WAREKI.fullmatch(text or "")
    if not m:
        raise MappingError(f"生年月日 {text!r} is not 和暦 like 'H02.04.01'")
    index = [e for e, _ in ERAS].index(m[1])
    start = ERAS[index][1]
    end = ERAS[index - 1][1] if index else dt.date.max
    try:
        day = dt.date(start.year + int(m[2]) - 1, int(m[3]), int(m[4]))
    except ValueError as exc:
        raise MappingError(f"生年月日 {text!r}: {exc}") from None
    if not (max(start, _GREGORIAN_SINCE) <= day < end) or int(m[2]) == 0:
        raise MappingError(f"生年月日 {text!r} is not a day of that era")
    return day


def date_to_wareki(day: dt.date) -> str:
    """1990-04-01 → "H02.04.01"."""
    if day < _GREGORIAN_SINCE:
        raise MappingError(f"{day} precedes the Gregorian calendar in Japan (1873)")
    letter, start = next((e, s) for e, s in ERAS if s <= day)
    return f"{letter}{day.year - start.year + 1:02d}.{day.month:02d}.{day.day:02d}"


def _ymd_to_iso(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date().isoformat()
    except ValueError:
        raise MappingError(f"date {text!r} is not yyyymmdd") from None


def _xsd_date(text: str) -> dt.date:
    # xs:date may carry a timezone ("1990-04-01+09:00"); the calendar day is what vendors keep.
    return dt.date.fromisoformat(text.strip()[:10])


# --- names and elements ------------------------------------------------------------------------

_KANA = re.compile("[\u30a1-\u30f6\u30fb\u30fc\u3000]+")  # cmn:KanaTextType


def _kana(column: str, hiragana: str) -> str:
    return _kana_of(column, hiragana)


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{CMN}}}{name}")
    if text is not None:
        child.text = text
    return child


def _opt(parent: etree._Element, name: str, text: str | None) -> None:
    if text not in (None, ""):
        _add(parent, name, text)


def _text(el: etree._Element, name: str) -> str | None:
    child = el.find(f"{{{CMN}}}{name}")
    return None if child is None else (child.text or "")


def _name_to_element(parent: etree._Element, tag: str, kanji: str, family: str | None,
                     given: str | None, column: str) -> None:
    name = _add(parent, tag)
    _add(name, "Text", kanji)  # exact code points: IVS and non-BMP characters untouched
    if family:
        kana = _add(name, "Kana")
        _add(kana, "Family", _kana(column, family))
        if given:
            _add(kana, "Given", _kana(column, given))
    elif given:
        raise MappingError(f"{column}: a given-name reading without a surname reading")


def _name_from_element(el: etree._Element) -> tuple[str, str | None, str | None]:
    """(漢字氏名, 氏 ひらがな, 名 ひらがな) of a cmn:NameType element."""
    kana = el.find(f"{{{CMN}}}Kana")
    family = given = None
    if kana is not None:
        family = katakana_to_hiragana(_text(kana, "Family") or "") or None
        given_kata = _text(kana, "Given")
        given = katakana_to_hiragana(given_kata) if given_kata else None
    return _text(el, "Text"), family, given


def _new(tag: str, parent: etree._Element | None) -> etree._Element:
    return etree.Element(tag, nsmap=NSMAP) if parent is None else etree.SubElement(parent, tag)


# Conversions of one value, cached: a 全件 page maps a thousand residents, and birthdays,
# readings, code labels and postal codes repeat across a municipality.
_CACHE = 65_536


@functools.lru_cache(_CACHE)
def _birth_iso(wareki: str) -> str:
    return wareki_to_date(wareki).isoformat()


@functools.lru_cache(_CACHE)
def _checked_kana(hiragana: str) -> str | None:
    kata = hiragana_to_katakana(hiragana)
    return kata if _KANA.fullmatch(kata) else None


def _kana_of(column: str, hiragana: str) -> str:
    kata = _checked_kana(hiragana)
    if kata is None:
        raise MappingError(f"{column} {hiragana!r} is not a kana reading the standard can carry")
    return kata


@functools.lru_cache(_CACHE)
def _postal_code(postal: str) -> str:
    m = re.fullmatch(r"([0-9]{3})-?([0-9]{4})", postal)
    if not m:
        raise MappingError(f"郵便番号 {postal!r} is not like '100-0013'")
    return m[1] + m[2]


@functools.lru_cache(_CACHE)
def _chome(arabic: str) -> str:
    chome = parse_arabic(arabic)
    if chome < 1:
        raise MappingError(f"住所2 (丁) {arabic!r} is not a positive number")
    return str(chome)


@functools.lru_cache(_CACHE)
def _iso_day(yyyymmdd: str) -> str | None:
    return _ymd_to_iso(yyyymmdd)


@functools.cache
def _codes_of(column: str) -> dict[str, str]:
    """label → code (the first code of a label, as ``label_to_code`` finds it)."""
    found: dict[str, str] = {}
    for code, text in _labels(_COLUMN_LIST[column]).items():
        found.setdefault(text, code)
    return found


def _code_of(column: str, label: str) -> str:
    code = _codes_of(column).get(label)
    return code if code is not None else label_to_code(column, label)  # raises, as it did


_CODED = (("性別", "Gender"), ("続柄", "Relationship"), ("住民種別", "ResidentKind"),
          ("住民状態", "ResidentStatus"))


def resident_to_element(row: Mapping[str, object], tag: str,
                        parent: etree._Element | None = None) -> etree._Element:
    """A vendor A 住民 row → an element ``tag`` with cmn:ResidentType content (under ``parent``
    when given)."""
    el = _new(tag, parent)
    _add(el, "AddresseeNumber", row["宛名番号"])
    _opt(el, "ResidentCode", row.get("住民票コード"))
    _opt(el, "IndividualNumber", row.get("個人番号"))
    _add(el, "HouseholdNumber", row["世帯番号"])
    _name_to_element(el, "Name", row["氏名3"], row.get("氏名1"), row.get("氏名2"), "氏名1/氏名2")
    if row.get("旧氏3"):
        _name_to_element(el, "FormerSurname", row["旧氏3"], row.get("旧氏1"), None, "旧氏1")
    _add(el, "DateOfBirth", _birth_iso(row["生年月日"]))
    for column, name in _CODED:
        _add(el, name, _code_of(column, row[column]))
    addr = _add(el, "Address")
    postal = row.get("郵便番号")
    if postal:
        _add(addr, "PostalCode", _postal_code(postal))
    _opt(addr, "AddressCode", row.get("住所コード"))
    _add(addr, "Prefecture", row["都道府県"])
    _add(addr, "City", row["市区町村"])
    _add(addr, "Town", row["住所1"])
    if row.get("住所2"):
        _add(addr, "Chome", _chome(row["住所2"]))
    _opt(addr, "Banchi", row.get("番地"))
    _opt(addr, "Katagaki", row.get("方書"))
    _opt(el, "BecameResidentOn", _iso_day(row.get("住民となった年月日")))
    _opt(el, "AddressFixedOn", _iso_day(row.get("住定年月日")))
    return el


# --- the same as text: a 全件 page is written as one string and parsed once ---------------------

_MARKUP = re.compile("[&<>\r]")


def escape(text: str) -> str:
    """Text as XML character data (a carriage return kept as one, not read as a line end)."""
    if _MARKUP.search(text) is None:  # nearly always: no copy
        return text
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def _x(name: str, text: str | None) -> str:
    """``<cmn:name>text</cmn:name>`` (an empty element for None, as ``_add`` makes it)."""
    if text is None:
        return f"<cmn:{name}/>"
    return f"<cmn:{name}>{escape(text)}</cmn:{name}>"


def _xo(name: str, text: str | None) -> str:
    return "" if text in (None, "") else _x(name, text)


def _name_xml(tag: str, kanji: str | None, family: str | None, given: str | None,
              column: str) -> str:
    if family:
        given_xml = _x("Given", _kana_of(column, given)) if given else ""
        kana = f"<cmn:Kana>{_x('Family', _kana_of(column, family))}{given_xml}</cmn:Kana>"
    elif given:
        raise MappingError(f"{column}: a given-name reading without a surname reading")
    else:
        kana = ""
    return f"<cmn:{tag}>{_x('Text', kanji)}{kana}</cmn:{tag}>"


def resident_xml(row: Mapping, tag: str) -> str:
    """``resident_to_element(row, tag)`` as XML text, ``tag`` a prefixed name and the ``cmn``
    prefix declared by the enclosing document: the same content, value for value (tested), and
    a few µs per resident instead of an lxml call per item."""
    get = row.get
    postal, chome = get("郵便番号"), get("住所2")
    return "".join((  # in document order: a row with two faults names the same first one
        f"<{tag}>", _x("AddresseeNumber", row["宛名番号"]), _xo("ResidentCode", get("住民票コード")),
        _xo("IndividualNumber", get("個人番号")), _x("HouseholdNumber", row["世帯番号"]),
        _name_xml("Name", row["氏名3"], get("氏名1"), get("氏名2"), "氏名1/氏名2"),
        _name_xml("FormerSurname", row["旧氏3"], get("旧氏1"), None, "旧氏1")
        if get("旧氏3") else "",
        _x("DateOfBirth", _birth_iso(row["生年月日"])),
        *(_x(name, _code_of(column, row[column])) for column, name in _CODED),
        "<cmn:Address>", _x("PostalCode", _postal_code(postal)) if postal else "",
        _xo("AddressCode", get("住所コード")), _x("Prefecture", row["都道府県"]),
        _x("City", row["市区町村"]), _x("Town", row["住所1"]),
        _x("Chome", _chome(chome)) if chome else "", _xo("Banchi", get("番地")),
        _xo("Katagaki", get("方書")), "</cmn:Address>",
        _xo("BecameResidentOn", _iso_day(get("住民となった年月日"))),
        _xo("AddressFixedOn", _iso_day(get("住定年月日"))), f"</{tag}>"))


def resident_from_element(el: etree._Element) -> dict:
    """A schema-valid element of cmn:ResidentType → a vendor A 住民 row."""
    kanji, family, given = _name_from_element(el.find(f"{{{CMN}}}Name"))
    former = el.find(f"{{{CMN}}}FormerSurname")
    former_kanji, former_family, _ = (_name_from_element(former) if former is not None
                                      else (None, None, None))
    addr = el.find(f"{{{CMN}}}Address")
    postal = _text(addr, "PostalCode")
    chome = _text(addr, "Chome")

    def ymd(name: str) -> str | None:
        value = _text(el, name)
        return None if value is None else _xsd_date(value).isoformat().replace("-", "")

    return {
        "宛名番号": _text(el, "AddresseeNumber"), "世帯番号": _text(el, "HouseholdNumber"),
        "住民票コード": _text(el, "ResidentCode"), "個人番号": _text(el, "IndividualNumber"),
        "氏名1": family, "氏名2": given, "氏名3": kanji,
        "旧氏1": former_family, "旧氏3": former_kanji,
        "生年月日": date_to_wareki(_xsd_date(_text(el, "DateOfBirth"))),
        "性別": code_to_label("性別", _text(el, "Gender")),
        "続柄": code_to_label("続柄", _text(el, "Relationship")),
        "住民種別": code_to_label("住民種別", _text(el, "ResidentKind")),
        "住民状態": code_to_label("住民状態", _text(el, "ResidentStatus")),
        "郵便番号": f"{postal[:3]}-{postal[3:]}" if postal else None,
        "住所コード": _text(addr, "AddressCode"),
        "都道府県": _text(addr, "Prefecture"), "市区町村": _text(addr, "City"),
        "住所1": _text(addr, "Town"),
        # positiveInteger lexical forms may carry '+' or leading zeros; vendor A writes plain digits
        "住所2": None if chome is None else str(int(chome.strip().lstrip("+"))),
        "番地": _text(addr, "Banchi"), "方書": _text(addr, "Katagaki"),
        "住民となった年月日": ymd("BecameResidentOn"), "住定年月日": ymd("AddressFixedOn"),
    }


def household_to_element(household: Mapping[str, object] | None, members: Sequence[Mapping],
                         tag: str, parent: etree._Element | None = None) -> etree._Element:
    """A 世帯 row and its 住民 rows → an element ``tag`` with cmn:HouseholdType content.

    HeadName comes from the 世帯主's own row (with its reading) when the head is a member, else
    from the 世帯 row's 世帯主氏名 (kanji only)."""
    if not members:
        raise MappingError("a household needs at least one member")
    number = household["世帯番号"] if household else members[0]["世帯番号"]
    head_no = household.get("世帯主宛名番号") if household else None
    head = next((m for m in members if m["宛名番号"] == head_no), None) or \
        next((m for m in members if m["続柄"] == "世帯主"), None)
    el = _new(tag, parent)
    _add(el, "HouseholdNumber", number)
    if head is not None:
        _name_to_element(el, "HeadName", head["氏名3"], head.get("氏名1"), head.get("氏名2"),
                         "氏名1/氏名2")
    elif household and household.get("世帯主氏名"):
        _name_to_element(el, "HeadName", household["世帯主氏名"], None, None, "世帯主氏名")
    else:
        raise MappingError(f"household {number}: no 世帯主 to name")
    for member in members:
        resident_to_element(member, f"{{{CMN}}}Member", el)
    return el


def household_from_element(el: etree._Element) -> tuple[dict, list[dict]]:
    """A cmn:HouseholdType element → (世帯 row, 住民 rows)."""
    members = [resident_from_element(m) for m in el.findall(f"{{{CMN}}}Member")]
    head = next((m for m in members if m["続柄"] == "世帯主"), None)
    head_name, _, _ = _name_from_element(el.find(f"{{{CMN}}}HeadName"))
    return ({"世帯番号": _text(el, "HouseholdNumber"),
             "世帯主宛名番号": head["宛名番号"] if head else None,
             "世帯主氏名": head_name}, members)
