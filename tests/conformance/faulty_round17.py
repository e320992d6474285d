"""Faulty products for round 17's classes (docs/conformance-testing.md, "Round 17"), each the reference
adapter behind a front end — or the SDK-built subscriber — with ONE defect, written from the
class, not from the seventeenth batch's variants:

- attributes SOAP allows on the envelope's own elements (P-EQUIV-01, S-EQUIV-01): an envelope
  checked against a hand-written schema of soap:Header and soap:Body without their anyAttribute;
- the parties the documents allow (P-ADDR-06): a loop guard taking a Sender of the Receiver's
  団体 and 業務ユニット for the product itself;
- the calendar's boundaries (P-CAL-02, S-CAL-02): a 基準日 looked up in a history partitioned by
  (calendar year, ISO week, weekday), one whose 年度 partition closes on 31 March, a subscriber
  keeping the last 異動連番 per calendar year of the 異動, one refusing a 異動 recorded in a later
  年度 than it occurred in, one writing a 消除's date with the ISO week-based year;
- corrections a normalisation takes for no change (S-CHR-15): a 修正 whose name equals the held
  one after NFKC left unwritten.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from lxml import etree

from adapters.sdk.provider import ProviderError
from bus.core import faults

from .faulty_round15 import _refusal
from .faulty_round16 import _day, _local, _rewriting
from .proxy import Call, Reply, header_find, tree
from .references import JUKI_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE, SUB_PROFILE, TAX_PROFILE
from .subscriber import CMN, JUKI, TestSubscriber

PFH = "{urn:pfbus:platform:header:v1}"
ALL = (JUKI_PROFILE, TAX_PROFILE, SUB_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE)
PROVIDERS = (JUKI_PROFILE, TAX_PROFILE, KOKUHO_PROFILE)


# --- attributes on the envelope's own elements (P-EQUIV-01, S-EQUIV-01) --------------------------

def envelope_parts_without_attributes(call: Call) -> bytes | Reply:
    """The envelope is checked against the vendor's own schema of soap:Header and soap:Body,
    written without SOAP's ``anyAttribute``: an attribute on either is unexpected (the
    Envelope's are not looked at)."""
    root = tree(call.request)
    soap = etree.QName(root).namespace
    for part in ("Header", "Body"):
        el = root.find(f"{{{soap}}}{part}")
        if el is not None and len(el.attrib):
            return _refusal(call, faults.SCHEMA_INVALID, "xsd:attribute",
                            f"soap:{part}: attribute {next(iter(el.attrib))} not allowed")
    return call.request


# --- the parties the documents allow (P-ADDR-06) -------------------------------------------------

def own_party_loop_guard(call: Call) -> bytes | Reply:
    """A guard against routing loops: a request whose Sender has the Receiver's 団体コード and
    業務ユニット is taken for one the product's own unit sent, and refused."""
    header = header_find(tree(call.request))
    if header is None:
        return call.request

    def party(which: str) -> tuple[str | None, ...]:
        return tuple(header.findtext(f"{PFH}{which}/{PFH}{n}")
                     for n in ("LocalGovCode", "BusinessUnit"))
    if party("Sender") == party("Receiver"):
        return _refusal(call, faults.PROVIDER_MISROUTED, "header:sender",
                        "a request from this system's own unit: a routing loop")
    return call.request


# --- the calendar's boundaries (P-CAL-02) ---------------------------------------------------------

def _as_of_rewritten(move):
    """A front end that reads the 基準日 the way ``move(day)`` says before the product does."""
    def rewrite(root) -> bool:
        el = next((e for e in root.iter() if _local(e) == "AsOf"), None)
        try:
            day = dt.date.fromisoformat((el.text or "").strip()[:10]) if el is not None else None
        except ValueError:  # not a date: the schema's business
            return False
        if day is None or (moved := move(day)) == day:
            return False
        el.text = moved.isoformat() + (el.text or "").strip()[10:]
        return True
    return _rewriting(rewrite)


def _week_keyed(day: dt.date) -> dt.date:
    """The history is partitioned by (year, ISO week, weekday), the year the calendar's: a day
    whose ISO week belongs to another year is looked up a year off."""
    week = day.isocalendar()
    try:
        return dt.date.fromisocalendar(day.year, week.week, week.weekday)
    except ValueError:  # week 53 of a year that has none
        return day


def _fiscal_partition(day: dt.date) -> dt.date:
    """The 年度 partitions are closed at the 年度's last day: a snapshot as of 31 March is the
    next 年度's opening one (1 April)."""
    return day + dt.timedelta(days=1) if (day.month, day.day) == (3, 31) else day


ROUND17_WIRE = {
    "envelope-parts-without-attributes": {"on_request": envelope_parts_without_attributes},
    "own-party-loop-guard": {"on_request": own_party_loop_guard},
    "as-of-week-keyed": _as_of_rewritten(_week_keyed),
    "as-of-fiscal-partition": _as_of_rewritten(_fiscal_partition),
}

# faulty.Faulty(name, the requirement it breaks, profiles, targets)
ROUND17_FAULTS = [
    ("envelope-parts-without-attributes", "RQ-SOAP-06", ALL, ("P-EQUIV-01/*", "S-EQUIV-01")),
    ("own-party-loop-guard", "RQ-FAULT-12", PROVIDERS, ("P-ADDR-06/*",)),
    # P-EDGE-01 asks 2000-01-01 (ISO 1999-W52): looked up on 2000-12-30, after a moving in
    ("as-of-week-keyed", "RQ-EDGE-05", (JUKI_PROFILE,), ("P-CAL-02", "P-EDGE-01")),
    # (the grids ask the day before each moving in: 2000-03-31 and 2015-03-31 among them)
    ("as-of-fiscal-partition", "RQ-EDGE-05", (JUKI_PROFILE,),
     ("P-CAL-02", "J-GRID-01", "J-GRID-02")),
]
assert ROUND17_WIRE.keys() == {name for name, *_ in ROUND17_FAULTS}


# --- subscribers ----------------------------------------------------------------------------------

# mode → (the requirement it breaks, the subscriber cases it must fail)
ROUND17_MODES = {
    # the last 異動連番 kept per (resident, calendar year of the 異動): a late, lower one of an
    # earlier year is applied over a newer one
    "sequence-per-occurred-year": ("RQ-EDGE-05", ("S-CAL-02",)),
    # the ledger of a 年度 is closed at its end: a 異動 recorded in a later 年度 than the one it
    # occurred in is refused
    # (round 18's S-DATE-01 sends a 記録日 in the 年度 after its 異動日 too)
    "closed-fiscal-year-refused": ("RQ-EDGE-05", ("S-CAL-02", "S-DATE-01")),
    # a 消除's date written with strftime's %G (the ISO week-based year; S-CAL-01 removes a
    # resident born on 31 December on 2025-12-31, in ISO week 2026-W01)
    "removed-on-week-year": ("RQ-EDGE-05", ("S-CAL-02", "S-CAL-01")),
    # UPDATE … WHERE NFKC(name) <> NFKC(?): a correction NFKC folds to the held name is lost
    "name-kept-when-nfkc-equal": ("RQ-MSG-06", ("S-CHR-15",)),
}


def _fiscal_year(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _event_day(change: etree._Element, name: str) -> dt.date | None:
    el = change.find(f"{{{JUKI}}}Event/{{{CMN}}}{name}")
    return _day(el) if el is not None else None


class Round17Subscriber(TestSubscriber):
    """The SDK-built subscriber with one defect of round 17's classes."""

    __test__ = False

    def __init__(self, mode: str | None = None):
        super().__init__(mode)
        self.lasts: dict[tuple[str, int], int] = {}  # sequence-per-occurred-year

    def handler(self, header, notice: etree._Element) -> etree._Element:
        if self.mode == "closed-fiscal-year-refused":
            for change in notice.iter(f"{{{JUKI}}}Change"):
                recorded, occurred = (_event_day(change, n) for n in ("RecordedOn", "OccurredOn"))
                if recorded and occurred and _fiscal_year(recorded) > _fiscal_year(occurred):
                    raise ProviderError("VENDOR-FISCAL-YEAR-CLOSED",
                                        "the 異動's 年度 is closed")
        return super().handler(header, notice)

    def _apply(self, change: etree._Element, checked: bool = False) -> None:
        number = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
        held = self.residents.get(number)
        if self.mode == "sequence-per-occurred-year":
            occurred = _event_day(change, "OccurredOn")
            key = (number, occurred.year if occurred else 0)
            if held is not None:
                held["last"] = self.lasts.get(key, 0)
            sequence = int(change.findtext(f"{{{JUKI}}}Sequence"))
            if sequence > self.lasts.get(key, 0):
                self.lasts[key] = sequence
        before = dict(held) if held is not None else None
        super()._apply(change, checked)
        state = self.residents.get(number)
        if state is None:
            return
        if self.mode == "name-kept-when-nfkc-equal" and before is not None and \
                before.get("name") is not None and state.get("name") != before["name"] and \
                unicodedata.normalize("NFKC", state["name"]) == \
                unicodedata.normalize("NFKC", before["name"]):
            state["name"] = before["name"]
        if self.mode == "removed-on-week-year" and state.get("removed_on") and \
                (before or {}).get("removed_on") != state["removed_on"]:
            day = dt.date.fromisoformat(state["removed_on"].strip()[:10])
            state["removed_on"] = day.strftime("%G-%m-%d")
