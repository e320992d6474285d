"""Faulty products for round 14's request shapes in their lexical forms (P-EQUIV-02, S-EQUIV-02,
and P-EQUIV-01's dates with white space around them).

Each is the reference adapter with ONE defect, written from XML Schema 1.0 Part 2 (xs:date and
xs:gYear collapse white space) and libxml2's known gap there (bus/core/date_whitespace.py), not
from any blind batch's variants: a validator that is libxml2 alone, a 基準日 read as the first ten
characters of its raw text, and a subscriber whose optional dates go through a converter of
their own that does not trim. On the wire in front of the reference (the reference itself
reads every form right). And, for J-CHR-08 (written from the MJ selector range, U+E0100–
U+E011F, as S-CHR-13's subscriber modes are): a provider's text layer whose IVS range starts one
selector late.
"""

from __future__ import annotations

import codecs
import re

from .faulty_inputs import _refuse
from .proxy import Call, Reply, serialize, tree

_XML_SPACE = " \t\r\n"
# the date-typed elements of the catalog's request and notice bodies (common-v1.xsd, the units)
_DATES = re.compile(rb"<((?:[\w.-]+:)?(?:AsOf|FiscalYear|OccurredOn|NotifiedOn|RecordedOn|"
                    rb"DateOfBirth|BecameResidentOn|AddressFixedOn|AcquiredOn|LostOn))(\s[^>]*)?>"
                    rb"([^<]*)</\1>")
# the optional dates of a 異動 and a resident (届出年月日, 記録年月日, 住民となった年月日, 住所を定めた年月日)
_OPTIONAL_DATES = (b"NotifiedOn", b"RecordedOn", b"BecameResidentOn", b"AddressFixedOn")


def _body(call: Call) -> bytes:
    raw = call.request.removeprefix(codecs.BOM_UTF8)
    start = raw.find(b"Body")
    return raw[start:] if start >= 0 else b""


def _padded(value: bytes) -> bool:
    return bool(value) and value != value.strip(_XML_SPACE.encode())


def dates_validated_by_libxml2(call: Call) -> bytes | Reply:
    """Validates with libxml2 alone: white space around an xs:date or xs:gYear value — valid,
    the type's whiteSpace is collapse — is refused PF-SCHEMA-INVALID (libxml2 2.14's reading)."""
    for m in _DATES.finditer(_body(call)):
        if _padded(m.group(3)):
            name = m.group(1).decode().split(":")[-1]
            return _refuse(call, "PF-SCHEMA-INVALID", "xsd:date",
                           f"Element '{name}': '{m.group(3).decode()}' is not a valid value of "
                           f"the atomic type 'xs:date'.")
    return call.request


def as_of_first_ten_characters(call: Call) -> bytes | Reply:
    """The validator collapses white space, but the business code reads 基準日 from the raw text
    as its first ten characters (``as_of[:10]``): a 基準日 written on a line of its own is read
    as '\\n 2025-04-' — no date, so the request is refused as the schema would refuse that."""
    if b"AsOf" not in call.request:
        return call.request
    root = tree(call.request.removeprefix(codecs.BOM_UTF8))
    changed = False
    for el in root.iter("{*}AsOf"):
        if el.text and _padded(el.text.encode()):
            el.text, changed = el.text[:10], True
    return serialize(root) if changed else call.request


def optional_dates_untrimmed(call: Call) -> bytes | Reply:
    """A subscriber whose optional dates (届出年月日, 記録年月日, 住民となった年月日, 住所を定めた
    年月日) go through a nullable-date converter of their own that parses the raw text: white
    space around one — the same xs:date — is refused as no date (the required dates are trimmed
    by the mapper's date type)."""
    for m in _DATES.finditer(_body(call)):
        if m.group(1).split(b":")[-1] in _OPTIONAL_DATES and _padded(m.group(3)):
            return _refuse(call, "PF-SCHEMA-INVALID", "xsd:date",
                           f"cannot convert {m.group(3).decode()!r} to a date")
    return call.request


def ivs_range_from_e0101(call: Call) -> Reply:
    """The answer's text layer keeps IVS selectors by a range test written one off
    (U+E0101–U+E01EF): VS17 U+E0100, the first selector MJ uses, is dropped from every name."""
    text = call.reply.body.decode("utf-8").replace("\U000E0100", "")
    return Reply(call.reply.status, text.encode("utf-8"), call.reply.content_type)


ROUND14_WIRE = {
    "dates-validated-by-libxml2": {"on_request": dates_validated_by_libxml2},
    "as-of-first-ten-characters": {"on_request": as_of_first_ten_characters},
    "optional-dates-untrimmed": {"on_request": optional_dates_untrimmed},
    "ivs-range-from-e0101": {"on_reply": ivs_range_from_e0101},
}
