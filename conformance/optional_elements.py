"""Every optional element of a notice's types absent alone and present alone (任意要素の組合せ):
points for the notice grid's receiver model (S-OPT-01, step ``grid = "optional"``).

A valid 異動通知 is applied whichever optional (minOccurs="0") elements it carries (docs/notices.md:
a change is the resident's state after it; juki-v1.xsd and common-v1.xsd say which items are
required). Earlier notices carried a fixed set: the grid's own never a PostalCode or an
AddressCode, a Katagaki only beside a Banchi, a FormerSurname only with every identifier. A
mapper written from one sample — PostalCode read as required, Katagaki appended to Banchi, a
column for AddressCode missing — fails on a notice it never met.

The types are not listed by hand: ``walk`` reads the schemas from juki:ResidentChangeNotice down
(juki:ChangeType, cmn:ChangeEventType, cmn:ResidentType, cmn:NameType, cmn:KanaNameType,
cmn:AddressType), each complex type with the places it occurs (XPaths from juki:Change) and its
optional elements. For each optional element of each type, two residents: one whose change
carries every optional element of the reference change but that one (absent alone), one whose
change carries that one and none of the type's others (present alone), at every place the type
occurs. The reference change (``FULL``) carries every optional element grid_notices.notice_body
can write. One notice per walked type holds its residents' 国内転入 (A01). Each notice must be
receipted applied (never a fault: PF-PROVIDER-INTERNAL is the subscriber's), and with
``--observe`` each resident must be held as sent (name, one change applied, not removed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .grid import with_check_digit
from .grid_notices import FIRST, Change, Point, Send

XS = "{http://www.w3.org/2001/XMLSchema}"
SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
FILES = ("platform/common-v1.xsd", "units/juki/juki-v1.xsd")
PREFIXES = {"urn:pfbus:unit:juki:v1": "juki", "urn:pfbus:platform:common:v1": "cmn"}
ROOT = ("urn:pfbus:unit:juki:v1", "ResidentChangeNotice")

# every optional element the reference change carries (notice_body's fields; Kana and Chome,
# Banchi are written unless omitted). Dates in their order: born ≤ moved in ≤ notified ≤ recorded
FULL = {"ResidentCode": with_check_digit("1234567890", "addressee"),
        "IndividualNumber": with_check_digit("12345678901", "individual"),
        "FormerSurname": "旧", "Original": "髙", "Katagaki": "101号室",
        "PostalCode": "1000014", "AddressCode": "131010001001",
        "NotifiedOn": "2024-04-02", "RecordedOn": "2024-04-03",
        "BecameResidentOn": "2024-04-01", "AddressFixedOn": "2024-04-01"}


@dataclass(frozen=True)
class Walked:
    """A complex type reached from the notice: where it occurs (XPaths from juki:Change, "." the
    Change itself) and its optional child elements (prefixed names), in schema order."""

    name: str
    places: tuple[str, ...]
    optional: tuple[str, ...]


def _schemas() -> dict[tuple[str, str], etree._Element]:
    """(namespace, name) → its xs:complexType or top-level xs:element."""
    out: dict[tuple[str, str], etree._Element] = {}
    for name in FILES:
        root = etree.parse(str(SCHEMAS / name)).getroot()
        tns = root.get("targetNamespace")
        for el in root:
            if el.tag in (f"{XS}complexType", f"{XS}element"):
                out[(tns, el.get("name"))] = el
    return out


def walk() -> list[Walked]:
    """Every complex type the notice's juki:Change reaches, in the order met."""
    defs = _schemas()
    found: dict[str, tuple[list[str], list[str]]] = {}

    def complex_of(el: etree._Element) -> tuple[str, etree._Element] | None:
        if el.get("type"):
            prefix, _, local = el.get("type").rpartition(":")
            ct = defs.get((el.nsmap.get(prefix or None), local))
            return (f"{PREFIXES.get(el.nsmap.get(prefix or None), prefix)}:{local}", ct) \
                if ct is not None and ct.tag == f"{XS}complexType" else None
        anonymous = el.find(f"{XS}complexType")
        return (f"{el.get('name')} (anonymous)", anonymous) if anonymous is not None else None

    def visit(name: str, ct: etree._Element, place: str) -> None:
        places, optional = found.setdefault(name, ([], []))
        tns = _tns(ct)  # elementFormDefault qualified: a type's elements are its schema's
        places.append(place)
        for child in ct.iter(f"{XS}element"):
            if child.getparent().getparent() is not ct:  # a nested anonymous type's own
                continue
            qualified = f"{PREFIXES[tns]}:{child.get('name')}"
            if child.get("minOccurs") == "0" and qualified not in optional:
                optional.append(qualified)
            inner = complex_of(child)
            if inner is not None:
                visit(inner[0], inner[1], f"{place}/{qualified}".removeprefix("./"))

    root = defs[ROOT]
    notice = complex_of(root)
    assert notice is not None
    change = next(c for c in notice[1].iter(f"{XS}element") if c.get("name") == "Change")
    typ = complex_of(change)
    assert typ is not None
    visit(typ[0], typ[1], ".")
    return [Walked(n, tuple(p), tuple(o)) for n, (p, o) in found.items()]


def _tns(el: etree._Element) -> str:
    return el.getroottree().getroot().get("targetNamespace")


def members(walked: list[Walked]) -> list[tuple[Walked, str, bool]]:
    """(type, optional element, present alone: True / absent alone: False)."""
    return [(w, e, alone) for w in walked for e in w.optional for alone in (False, True)]


def omitted(w: Walked, element: str, present_alone: bool) -> str:
    """The ``Omit`` field: the XPaths (from juki:Change) removed from the reference change."""
    gone = [o for o in w.optional if o != element] if present_alone else [element]
    return "|".join(f"{p}/{o}".removeprefix("./") for p in w.places for o in gone)


def optional_points() -> list[Point]:
    points = []
    for k, w in enumerate(t for t in walk() if t.optional):
        mine = members([w])
        points.append(Point("optional", f"{w.name}: each of {', '.join(w.optional)} absent "
                            "alone and present alone", len(mine), (Send(tuple(
                                Change(who, "1", FIRST, relationship="01" if who == 0 else "02",
                                       fields={**FULL, "Omit": omitted(w, e, alone)})
                                for who, (_, e, alone) in enumerate(mine)),
                                soap="1.2" if k % 2 else "1.1"),)))
    return points
