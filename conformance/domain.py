"""The value domain of a notice, from its XSD (S-DOMAIN-01): what the notice grid does not send.

S-GRID-01 (grid_notices.py) sends 異動連番 at its edges, every 異動事由 of the code list and
the character classes of real names and addresses; this case sends the notice's optional
elements and header fields that one never carries, each as its own notice about a fresh resident
(a fresh MessageId), starting from the canonical notice ``change_notice.one``:

- every optional xs:date of a group holding a required one (the event's NotifiedOn and
  RecordedOn beside OccurredOn), present alone, a day before and two weeks after the required
  date: the XSD orders none of them;
- RelatesTo in the header of a notice (docs/faults.md: a notice may name the request whose
  asynchronous result it carries);
- values of required elements the other notices never carry: an OccurredOn after today (a
  転出予定: nothing in the XSD or the docs bounds a 異動年月日 by the day it is sent), and names
  that must be stored byte for byte (NameTextType is whiteSpace="preserve"): leading and trailing
  spaces, leading and trailing U+3000 (全角空白), a run of two spaces inside.

A point the schema or the rules beyond XSD would refuse is not in the domain and is not sent
(each body is validated by the suite first). Judged as the docs say: the notice is receipted
``applied`` (RQ-SUB-01) and, with ``--observe``, the resident holds the name sent and one change
applied. Not judged (the docs are silent): which of the dates a subscriber keeps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from xmlschema.validators import XsdElement, XsdGroup

from .checks import outcome
from .coverage import _schema
from .envelopes import substitute
from .records import Exchange

JUKI = "urn:pfbus:unit:juki:v1"
CMN = "urn:pfbus:platform:common:v1"
# a RelatesTo of the header's pattern (a UUID), naming no message the subscriber knows
RELATES_TO = "0f5e2a10-6c1b-4c6e-9d3a-5b2f1c0d7e91"
JST = dt.timezone(dt.timedelta(hours=9))


Mutation = Callable[[etree._Element], None]


@dataclass(frozen=True)
class Point:
    label: str
    change: Mutation  # applied to the payload of the (last) notice
    relates_to: bool = False
    name: str | None = None  # the Name/Text the product must then hold (None: unjudged)


def _event(optional: str, days: int) -> Mutation:
    """Add the optional date ``optional`` ``days`` after OccurredOn (before, if < 0), at its
    place in the sequence (after OccurredOn and the optional dates before it)."""
    def change(payload: etree._Element) -> None:
        for event in payload.iter(f"{{{JUKI}}}Event"):
            occurred = event.find(f"{{{CMN}}}OccurredOn")
            day = dt.date.fromisoformat(occurred.text or "") + dt.timedelta(days=days)
            added = etree.Element(f"{{{CMN}}}{optional}")
            added.text = day.isoformat()
            event.append(added)
    return change


def _occurred_ahead(days: int) -> Mutation:
    """Every change's OccurredOn ``days`` after today in JST (the municipality's day)."""
    def change(payload: etree._Element) -> None:
        day = (dt.datetime.now(JST).date() + dt.timedelta(days=days)).isoformat()
        for occurred in payload.iter(f"{{{CMN}}}OccurredOn"):
            occurred.text = day
    return change


def _name_text(text: str) -> Mutation:
    """Every resident's Name/Text replaced by ``text`` (sent as is: the XML text node)."""
    def change(payload: etree._Element) -> None:
        for el in payload.iter(f"{{{JUKI}}}Resident"):
            name = el.find(f"{{{CMN}}}Name/{{{CMN}}}Text")
            if name is not None:
                name.text = text
    return change


def value_points(canonical_name: str) -> list[Point]:
    """Values of required elements no other notice carries: a future 異動年月日 and names
    whose white space is data (NameTextType: whiteSpace="preserve")."""
    first, rest = canonical_name[:1], canonical_name[1:]
    names = [("leading and trailing spaces", f" {canonical_name} "),
             ("leading and trailing U+3000", f"\u3000{canonical_name}\u3000"),
             ("two spaces inside", f"{first}  {rest}")]
    return [Point("OccurredOn 30 days after today (転出予定)", _occurred_ahead(30),
                  name=canonical_name),
            *(Point(f"Name/Text with {label} {text!r}", _name_text(text), name=text)
              for label, text in names)]


def points(xsd: Path, element: str, canonical_name: str) -> list[Point]:
    """The points S-GRID-01 does not send: every optional date of the change's event present,
    a day before and two weeks after the required one, RelatesTo on the notice, and the
    values of ``value_points``."""
    out = [Point(f"{name} {when} {required}", _event(optional=name, days=days),
                 name=canonical_name)
           for required, name in optional_dates(xsd, element)
           for when, days in (("before", -1), ("after", 14))]
    out.append(Point("RelatesTo in the header", lambda p: None, relates_to=True,
                     name=canonical_name))
    return out + value_points(canonical_name)


def optional_dates(xsd: Path, element: str) -> Iterator[tuple[str, str]]:
    """(required, optional) local names of xs:date siblings in ``element``'s content: each
    optional date with the first required date of its group (OccurredOn, NotifiedOn …)."""
    date = "{http://www.w3.org/2001/XMLSchema}date"

    def walk(group: XsdGroup, seen: frozenset) -> Iterator[tuple[str, str]]:
        dates = [p for p in group if isinstance(p, XsdElement) and p.type.is_simple()
                 and (p.type.name == date or p.type.is_derived(_schema(xsd).maps.types[date]))]
        required = next((p.local_name for p in dates if p.min_occurs > 0), None)
        if required:
            yield from ((required, p.local_name) for p in dates if p.min_occurs == 0)
        for particle in group:
            if isinstance(particle, XsdGroup):
                yield from walk(particle, seen)
            elif isinstance(particle, XsdElement):
                content = getattr(particle.type, "content", None)
                if isinstance(content, XsdGroup) and particle.type.name not in seen:
                    yield from walk(content, seen | {particle.type.name})

    yield from walk(_schema(xsd).elements[element].type.content, frozenset())


def payload_of(raw: bytes) -> tuple[bytes, bytes, bytes]:
    """The envelope split around its payload: (before, payload, after)."""
    start = raw.index(b"<soap:Body>") + len(b"<soap:Body>")
    end = raw.index(b"</soap:Body>")
    return raw[:start], raw[start:end], raw[end:]


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    """Send every domain point of the notice ``step.target`` (a message about
    ``${notice_addressee}``), judged by RQ-SUB-01 and, with ``observe_vars``, by the stored
    name and the number of changes applied."""
    spec = runner.s.catalog.service(runner.instance.service)
    qname = etree.QName(spec.request_tag)
    xsd = runner.s.catalog.schema_files[qname.namespace]
    canonical_name = str(values.get("notice_name", ""))
    observe = step.get("observe_vars")
    problems: list[str] = []
    for point in points(xsd, qname.localname, canonical_name):
        vals = {**values, "fresh_addressee": runner._fresh_addressee()}
        ex = _post(runner, step, vals, "1", point, point.relates_to, point.label)
        if ex is None:
            continue  # outside the schema's domain: not sent
        found = _receipt_applied(ex)
        if observe and point.name is not None and not found:
            state = runner.observed_state(step, vals, observe, point.label)
            want = {"name": point.name, "changes_applied": 1}
            if not isinstance(state, dict) or any(state.get(k) != v for k, v in want.items()):
                found.append(f"observed {state!r}, expected {want}")
        problems += [f"{point.label}: {p}" for p in found]
    return problems


def _post(runner, step, vals: dict[str, Any], sequence: str, point: Point | None,
          relates_to: bool, label: str) -> Exchange | None:
    """One notice (the canonical body, changed by ``point``); None when the changed body is
    outside what the schema and the rules allow."""
    header = {"relates_to": RELATES_TO} if relates_to else {}
    spec = runner.s.catalog.service(runner.instance.service)
    changed: dict[str, bytes] = {}
    if point is not None:
        message = runner.s.suite.message(step.target, runner.instance.service, step.where)
        text = substitute(message.body, {**vals, "notice_addressee": vals["fresh_addressee"],
                                         "sequence": sequence}, xml=True)
        payload = etree.fromstring(text.encode("utf-8"))
        point.change(payload)
        if runner.s.validation.body_schema(payload, spec.request_tag) \
                or runner.s.validation.body_rules(payload):
            return None
        changed["payload"] = etree.tostring(payload, encoding="utf-8", xml_declaration=False)

    def rewrite(raw: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        if "payload" not in changed:
            return raw, headers
        before, _, after = payload_of(raw)
        return before + changed["payload"] + after, headers

    step2 = step.with_options(header={**(step.get("header") or {}), **header},
                              vars={**(step.get("vars") or {}), "sequence": sequence})
    return runner._post(step2, vals, step.target, {}, label, rewrite=rewrite)


def _receipt_applied(ex: Exchange) -> list[str]:
    problems = outcome(ex, "response")  # transport errors, unparsable answers, faults
    if problems:
        return problems
    status = ex.envelope().body.findtext("{*}Status")
    return [] if status == "applied" else [f"receipt Status {status!r}, expected 'applied'"]
