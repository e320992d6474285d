"""Standard XML ↔ vendor C rows (国民健康保険).

- cmn:ResidentType → the personal columns of a 被保険者 row: Kana → カナ氏名 in half-width katakana
  ("ソウム"/"ショウコ" → "ｿｳﾑ ｼｮｳｺ"; ガ → ｶﾞ), Name/Text → 漢字氏名 as the exact same code points,
  Address → one line 住所 with 丁目 in full-width digits ("東京都千代田区霞が関２丁目1番2号"),
  DateOfBirth → "yyyy/mm/dd", Gender 1/2 unchanged (vendor C keeps the code).
- a 被保険者 row → kokuho:QualificationInquiryResponse, its status computed as of a date.

Half-width katakana cannot write ヰ ヱ ヮ ヵ ヶ: vendor C degrades them (縮退) to ｲ ｴ ﾜ ｶ ｹ. This
affects the reading only; 漢字氏名 is never changed.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Mapping

from lxml import etree

CMN = "urn:pfbus:platform:common:v1"
KOKUHO = "urn:pfbus:unit:kokuho:v1"
NSMAP = {"kokuho": KOKUHO, "cmn": CMN}

# 資格区分 (vendor C's own codes)
CANDIDATE, INSURED, CANCELLED, LOST = "0", "1", "8", "9"
_DEGRADED = {"ヰ": "ｲ", "ヱ": "ｴ", "ヮ": "ﾜ", "ヵ": "ｶ", "ヶ": "ｹ", "ヸ": "ｲﾞ", "ヹ": "ｴﾞ"}
_FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


class MappingError(ValueError):
    """A value with no representation on the other side."""


@functools.cache
def _halfwidth_table() -> dict[int, str]:
    table: dict[str, str] = {}
    for cp in range(0xFF61, 0xFFA0):  # half-width katakana block
        full = unicodedata.normalize("NFKC", chr(cp))
        if len(full) == 1 and "\u30a1" <= full <= "\u30fc":
            table[full] = chr(cp)
    for cp in range(0x30A1, 0x30FB):  # voiced and semi-voiced: base + ﾞ / ﾟ
        ch = chr(cp)
        base, *mark = unicodedata.normalize("NFD", ch)
        if ch not in table and mark and base in table:
            table[ch] = table[base] + {"\u3099": "ﾞ", "\u309a": "ﾟ"}[mark[0]]
    table.update(_DEGRADED)
    table["\u3000"] = " "
    return {ord(k): v for k, v in table.items()}


def to_halfwidth_kana(text: str) -> str:
    """全角カタカナ → 半角カタカナ (ショウコ → ｼｮｳｺ, ガ → ｶﾞ, ヴ → ｳﾞ, ー → ｰ, 　 → space)."""
    out = text.translate(_halfwidth_table())
    stray = [c for c in out if "\u3000" <= c <= "\u30ff"]
    if stray:
        raise MappingError(f"カナ {text!r}: {stray[0]!r} has no half-width form")
    return out


def _c(name: str) -> str:
    return f"{{{CMN}}}{name}"


def _text(el: etree._Element | None, name: str) -> str | None:
    child = None if el is None else el.find(_c(name))
    return None if child is None else (child.text or "")


def one_line_address(addr: etree._Element) -> str:
    """cmn:Address → vendor C's 住所: 都道府県市区町村町名Ｎ丁目番地　方書."""
    line = "".join(_text(addr, n) or "" for n in ("Prefecture", "City", "Town"))
    chome = _text(addr, "Chome")
    if chome:
        line += str(int(chome.strip().lstrip("+"))).translate(_FULLWIDTH_DIGITS) + "丁目"
    line += _text(addr, "Banchi") or ""
    if _text(addr, "Katagaki"):
        line += "\u3000" + _text(addr, "Katagaki")
    return line


def resident_to_person(resident: etree._Element) -> dict:
    """A schema-valid cmn:ResidentType element → the personal columns of a 被保険者 row."""
    name = resident.find(_c("Name"))
    kana = name.find(_c("Kana"))
    reading = None
    if kana is not None:
        parts = [_text(kana, "Family"), _text(kana, "Given")]
        reading = " ".join(to_halfwidth_kana(p) for p in parts if p)
    born = dt.date.fromisoformat(_text(resident, "DateOfBirth").strip()[:10])
    return {"宛名番号": _text(resident, "AddresseeNumber"),
            "世帯番号": _text(resident, "HouseholdNumber"),
            "カナ氏名": reading,
            "漢字氏名": _text(name, "Text"),  # exact code points
            "生年月日": born.isoformat().replace("-", "/"),
            "性別": _text(resident, "Gender"),
            "住所": one_line_address(resident.find(_c("Address")))}


def ymd(day: dt.date) -> str:
    return day.isoformat().replace("-", "")


def _date(yyyymmdd: str | None) -> dt.date | None:
    return None if not yyyymmdd else dt.datetime.strptime(yyyymmdd, "%Y%m%d").date()


def qualification_status(row: Mapping[str, object], as_of: dt.date) -> str | None:
    """The standard QualificationStatus of a row on ``as_of``; None = never insured (not-found)."""
    code = row["資格区分"]
    acquired, lost = _date(row.get("資格取得日")), _date(row.get("資格喪失日"))
    if code == CANDIDATE:
        return "candidate"
    if code not in (INSURED, LOST) or acquired is None:
        return None
    if as_of < acquired:
        return "not-yet"
    if code == LOST and lost is not None and as_of >= lost:
        return "lost"
    return "insured"


def qualification_response(row: Mapping[str, object] | None, as_of: dt.date,
                           insurer_number: str) -> etree._Element:
    """A 被保険者 row (or None) → kokuho:QualificationInquiryResponse as of ``as_of``."""
    response = etree.Element(f"{{{KOKUHO}}}QualificationInquiryResponse", nsmap=NSMAP)
    status = None if row is None else qualification_status(row, as_of)
    etree.SubElement(response, f"{{{KOKUHO}}}Status").text = "found" if status else "not-found"
    if status is None:
        return response
    q = etree.SubElement(response, f"{{{KOKUHO}}}Qualification")
    acquired, lost = _date(row.get("資格取得日")), _date(row.get("資格喪失日"))
    for name, value in (("AddresseeNumber", row["宛名番号"]), ("HouseholdNumber", row["世帯番号"]),
                        ("InsurerNumber", insurer_number), ("QualificationStatus", status),
                        ("AcquiredOn", acquired), ("LostOn", lost if row["資格区分"] == LOST else None)):
        if value is not None:
            etree.SubElement(q, f"{{{KOKUHO}}}{name}").text = str(value)
    return response
