"""The cases that send valid values at the edges of their fields (edges.py): P-EDGE-01/02 for
the 住民基本台帳 provider, S-EDGE-01/02 for a subscriber of 異動通知 (step ``edges = "…"``).

Judged as the suite's existing cases judge the same messages — nothing of its own:

- ``inquiry`` (P-EDGE-01): 住民照会 with a 基準日 at every date edge (by 宛名番号 and 個人番号 in
  turn, SOAP 1.1 and 1.2 in turn), and by 宛名番号 made of a held one's digits with leading zeros
  added or removed; each answer judged by the input grids' judges: the right resident
  (grid.judge_domain: found, its identifiers the test data's) or the right not-found
  (grid.judge_inquiry). Then 全件抽出 first requests whose RequestId differs from an earlier one
  in the case of its letters only, one of the longest RequestId and every third date edge as
  基準日: each a snapshot of its own, its TotalCount the test data's on its 基準日; and the
  first one's ExtractId with its case swapped: unknown, a fault.
- ``inquiry_header`` (P-EDGE-02): 住民照会 whose header carries a SentAt with fractional
  seconds, a StandardVersion, UserId, MessageId or Sender SystemId at an edge of its pattern
  (the fields side by side: request i carries each field's i-th edge); the answer judged as
  above, and its LinkageKind and StandardVersion the request's (checks.linkage,
  RQ-BIND-05).
- ``as_of_timezones`` (P-EDGE-03): 住民照会 with a 基準日 on a resident's moving-in day and the
  day before, written with timezones far from JST (edges.TIMEZONES), judged as ``inquiry``
  judges (found on the day, not found before it); two 全件 first requests whose TotalCount must
  be the test data's on the date as written.
- ``notice`` (S-EDGE-01): a notice about a fresh resident whose every date (DateOfBirth,
  BecameResidentOn, AddressFixedOn, OccurredOn) is one date edge on or before today — each date
  twice: in the canonical change and in one carrying every optional element of the change and
  its resident (``change_notice.every_element``: 個人番号 of every check remainder, 住民票コード,
  旧氏, NotifiedOn …; round 37b: the thirty-seventh blind batch refused a change dated before
  2015-10-05 only when its resident carried a 個人番号), the two going to a 日本人住民 and a
  外国人住民 in turn (round 38b: the thirty-eighth refused a 外国人住民's change before
  2012-07-09, and one carrying a 旧氏); the resident's codes (every code of its code lists,
  every other notice with every optional element), readings (Kana) at each edge of
  KanaTextType's pattern, a one-character name, PostalCode and AddressCode at theirs; each
  judged as S-DOMAIN-01 judges (domain.py: receipted applied and, with ``--observe``, the name
  sent held and one change applied).
- ``notice_header`` (S-EDGE-02): the canonical notice about a fresh resident with each header
  edge; judged as S-EDGE-01, and the receipt's LinkageKind and StandardVersion the notice's.
- ``notice_timezones`` (S-EDGE-03): every date of a notice with a timezone, judged as S-EDGE-01;
  a 記載 and a 消除 at +14:00, the 消除's removed_on the date as written.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

from lxml import etree

from . import checks, domain, edges, grid
from .records import Exchange

CMN = grid.CMN
JUKI = grid.JUKI
_NS = {"juki": JUKI, "cmn": CMN}
NOTICE = "change_notice.one"  # the canonical notice the subscriber's points change
EVERY_ELEMENT = "change_notice.every_element"  # its change with every optional element
KINDS = {"1": "日本人住民", "2": "外国人住民"}  # ResidentKind (schemas/codelists/resident_kind.csv)


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    if step.target in ("inquiry", "inquiry_header", "as_of_timezones"):
        if "model_data" not in values:
            raise ValueError(f"{step.where}: the profile names no model_data (test data)")
        model = grid.load_model(str(values["model_data"]))
        if step.target == "inquiry":
            return _inquiries(runner, step, values, model, inquiry_points(model)) + \
                _request_ids(runner, step, values, model)
        if step.target == "as_of_timezones":
            return _inquiries(runner, step, values, model, timezone_points(model)) + \
                _extract_counts(runner, step, values, model)
        return _inquiries(runner, step, values, model, header_points(model, values))
    if step.target in ("notice", "notice_header"):
        return _notices(runner, step, values)
    if step.target == "notice_timezones":
        return _timezone_notices(runner, step, values)
    raise ValueError(f"{step.where}: unknown edges {step.target!r} (inquiry, inquiry_header, "
                     f"as_of_timezones, notice, notice_header, notice_timezones)")


# --- the provider --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Ask:
    point: grid.InquiryPoint
    vars: dict[str, object]
    header: dict[str, str] = dataclasses.field(default_factory=dict)


def inquiry_points(model: list[grid.Resident]) -> Iterator[Ask]:
    """基準日 at every date edge (with its timezone forms) and 宛名番号 at its identifier edges."""
    first = min(model, key=lambda r: r.moved_in)
    for k, edge in enumerate(edges.date_edges(timezones=True)):
        day = dt.date.fromisoformat(edge.value[:10])
        living = [r for r in model if grid.lived_here(r, day)]
        # the resident who moved in last before that day (found), or one who came later
        r = max(living, key=lambda r: r.moved_in) if living else first
        key = "individual" if k % 2 and r.individual else "addressee"
        p = grid.InquiryPoint(key, r.individual if key == "individual" else r.addressee, day,
                              edge.label, "1.2" if k % 2 else "1.1", r if living else None)
        yield Ask(p, {**p.vars, "as_of": edge.value})
    held = {r.addressee for r in model}
    t = edges.common_type("AddresseeNumberType")
    picks = {min(model, key=lambda r: len(r.addressee.lstrip("0"))).addressee,
             max(model, key=lambda r: int(r.addressee)).addressee, model[0].addressee}
    for k, (number, e) in enumerate((n, e) for n in sorted(picks)
                                    for e in edges.identifier_edges("宛名番号", t, n)):
        expected = next((r for r in model if r.addressee == e.value), None)
        edge = e.label if e.value not in held else ""
        p = grid.InquiryPoint("addressee", e.value, None, "", "1.2" if k % 2 else "1.1", expected,
                              edge)
        yield Ask(p, p.vars)
        # round 48a: and with a 基準日, the day the held number's resident moved in (the
        # forty-eighth blind batch looked a dated inquiry's key up as a number)
        day = next(r for r in model if r.addressee == number).moved_in
        p = grid.InquiryPoint("addressee", e.value, day, "the held number's BecameResidentOn",
                              "1.1" if k % 2 else "1.2",
                              expected if expected and grid.lived_here(expected, day) else None,
                              edge)
        yield Ask(p, p.vars)


def timezone_day(model: list[grid.Resident]) -> tuple[grid.Resident, dt.date]:
    """The resident with a 個人番号 who moved in last, and that day: asked on it and on the day
    before, the answer tells which date the product read."""
    r = max((r for r in model if r.individual), key=lambda r: r.moved_in)
    return r, r.moved_in


def timezone_points(model: list[grid.Resident]) -> Iterator[Ask]:
    """P-EDGE-03: 基準日 on a resident's moving-in day and the day before, written with
    timezones far from JST (edges.date_timezone_edges): found on the day, not found the day
    before, whatever the timezone — xs:date is the date as written, not a JST midnight."""
    r, moved_in = timezone_day(model)
    k = 0
    for day in (moved_in, moved_in - dt.timedelta(days=1)):
        for e in edges.date_timezone_edges(day):
            key = "individual" if k % 2 else "addressee"
            p = grid.InquiryPoint(key, r.individual if key == "individual" else r.addressee, day,
                                  e.label, "1.2" if k // 2 % 2 else "1.1",
                                  r if grid.lived_here(r, day) else None)
            k += 1
            yield Ask(p, {**p.vars, "as_of": e.value})


def _extract_counts(runner, step, values, model: list[grid.Resident]) -> list[str]:
    """P-EDGE-03 on the 全件 path: first requests whose 基準日 is the moving-in day written at
    +14:00 and the day before written at −12:00, each TotalCount the test data's on the date
    as written."""
    ns = runner.s.context.namespaces
    _, moved_in = timezone_day(model)
    problems: list[str] = []
    for k, day in enumerate((moved_in, moved_in - dt.timedelta(days=1))):
        as_of = edges.date_timezone_edges(day)[k].value  # +14:00, then −12:00
        label = f"[全件 基準日 {as_of}, SOAP {'1.2' if k % 2 else '1.1'}]"
        ex = runner._post(step.with_options(soap="1.2" if k % 2 else "1.1"), values,
                          "full_extract.first_as_of",
                          {"page_size": values["page_size"], "as_of": as_of}, label)
        if found := checks.outcome(ex, "response"):
            problems += [f"{label}: {m}" for m in found]
            continue
        total = ex.envelope().body.xpath("string(juki:TotalCount)", namespaces=ns)
        count = sum(grid.lived_here(r, day) for r in model)
        if total != str(count):
            problems.append(f"{label}: TotalCount {total!r}, the test data says {count} on "
                            f"{day} (the date as written)")
    return problems


def side_by_side(pairs: list[tuple[str, edges.Edge]]) -> list[tuple[str, dict[str, str]]]:
    """Header edges of several fields sent together: message i carries the i-th edge of every
    field that has one (each value sent once — a MessageId is never sent twice), so the fields'
    edges cost as many messages as the field with the most."""
    by_field: dict[str, list[edges.Edge]] = {}
    for field, e in pairs:
        by_field.setdefault(field, []).append(e)
    out = []
    for i in range(max((len(v) for v in by_field.values()), default=0)):
        chosen = {f: v[i] for f, v in by_field.items() if i < len(v)}
        out.append(("; ".join(e.label for e in chosen.values()),
                    {f: e.value for f, e in chosen.items()}))
    return out


def header_points(model: list[grid.Resident], values: dict[str, Any]) -> Iterator[Ask]:
    """The header edges (side by side) on inquiries about the residents of the test data."""
    canonical = {"standard_version": "1.0", "user_id": str(values["user_id"]),
                 "sender_system_id": str(values["suite_system_id"])}
    fresh = [str(uuid.uuid4()) for _ in range(16)]
    for k, (label, header) in enumerate(side_by_side(edges.header_edges(canonical, fresh,
                                                                         sender=True))):
        r = model[k % len(model)]
        p = grid.InquiryPoint("addressee", r.addressee, None, "", "1.2" if k % 2 else "1.1", r,
                              label)
        yield Ask(p, p.vars, header)


def _inquiries(runner, step, values, model, asks: Iterator[Ask]) -> list[str]:
    ns = runner.s.context.namespaces
    problems: list[str] = []
    for ask in asks:
        p = ask.point
        ex = runner._post(step.with_options(soap=p.soap, header=ask.header), values, p.message,
                          ask.vars, p.label)
        # the right resident (its identifiers) or the right not-found: the grids judge the rest
        problems += grid.judge_inquiry(p, ex, model, ns) if p.expected is None else \
            grid.judge_domain(p, ex, ns)
        if ask.header and not checks.outcome(ex, "response"):
            problems += [f"{p.label}: {m}" for m in _linkage(runner, ex)]
    return problems


def _linkage(runner, ex: Exchange) -> list[str]:
    try:
        return checks.linkage(runner.s.context, ex)
    except ValueError as exc:  # no readable reply header
        return [str(exc)]


def _request_ids(runner, step, values, model: list[grid.Resident]) -> list[str]:
    """RequestId (juki:ExtractIdType, case-sensitive letters): the first request under one
    RequestId, then one differing only in case and the longest one, each with a 基準日 whose
    TotalCount differs from the first's: a snapshot of its own, or the first one's count."""
    ns = runner.s.context.namespaces
    days = sorted({r.moved_in for r in model})
    day = days[len(days) // 2] - dt.timedelta(days=1)  # some residents lived here, not all
    fresh = str(values["fresh_addressee"])
    mine = f"Edge-Rq-{fresh}"
    t = edges.juki_type("ExtractIdType")
    longest = (mine * 8)[:64]
    asks: list[tuple[str, str | None, object, int]] = [
            (f"RequestId {mine!r}", mine, None, len(model)),
            (f"RequestId {mine.swapcase()!r} (the first one's letters, case swapped), 基準日 "
             f"{day}", mine.swapcase(), day.isoformat(),
             sum(grid.lived_here(r, day) for r in model)),
            (f"RequestId of 64 characters (the longest), 基準日 {day}", longest, day.isoformat(),
             sum(grid.lived_here(r, day) for r in model))]
    extremes = {d.isoformat() for _, d in edges.EXTREMES}
    for k, e in enumerate(edges.date_edges(timezones=True)):
        # every third date edge and every extreme: the 基準日 of the 全件 path is its own code
        if k % 3 == 0 or e.value in extremes:
            d = dt.date.fromisoformat(e.value[:10])
            asks.append((f"基準日 {e.value} ({e.label})", None, e.value,
                         sum(grid.lived_here(r, d) for r in model)))
    problems: list[str] = []
    extract_ids: list[str] = []
    for k, (label, request_id, as_of, count) in enumerate(asks):
        label = f"[{label}, SOAP {'1.2' if k % 2 else '1.1'}]"
        extra: dict[str, object] = {"page_size": values["page_size"]}
        if request_id is not None:
            edges.valid("RequestId", request_id, t)
            extra["request_id"] = request_id
        if as_of:
            extra["as_of"] = str(as_of)
        ref = "full_extract.first" + ("_request_id" if request_id is not None else "") + \
            ("_as_of" if as_of else "")
        ex = runner._post(step.with_options(soap="1.2" if k % 2 else "1.1"), values, ref, extra,
                          label)
        if found := checks.outcome(ex, "response"):
            problems += [f"{label}: {m}" for m in found]
            continue
        body = ex.envelope().body
        extract_ids.append(body.xpath("string(juki:ExtractId)", namespaces=ns))
        total = body.xpath("string(juki:TotalCount)", namespaces=ns)
        if total != str(count):
            problems.append(f"{label}: TotalCount {total!r}, the test data says {count}" + (
                " (a snapshot of another RequestId?)" if request_id else ""))
    return problems + _extract_id_case(runner, step, values, extract_ids[:1])


def _extract_id_case(runner, step, values, extract_ids: list[str]) -> list[str]:
    """An ExtractId the provider issued, its letters' case swapped, names no extract: the
    client's error (a fault), as J-FULL-04's unknown ExtractId."""
    problems: list[str] = []
    for issued in extract_ids:
        swapped = issued.swapcase()
        if swapped == issued or not edges.juki_type("ExtractIdType").is_valid(swapped):
            continue  # no letters: no case to swap
        label = f"[ExtractId {swapped!r} (the issued {issued!r}, case swapped), SOAP 1.1]"
        ex = runner._post(step.with_options(soap="1.1"), values, "full_extract.next",
                          {"page_size": values["page_size"], "page": 1, "extract_id": swapped},
                          label)
        problems += [f"{label}: {m}" for m in checks.outcome(ex, "fault") or checks.fault(
            runner.s.context, ex, checks.client_fault_spec(ex, ctx=runner.s.context))]
    return problems


# --- the subscriber ------------------------------------------------------------------------------

def _dates(value: str) -> domain.Mutation:
    """Every date of the change (OccurredOn, DateOfBirth) and the resident's BecameResidentOn
    and AddressFixedOn (added: the last elements of cmn:ResidentType) set to ``value``."""
    def change(payload: etree._Element) -> None:
        for name in ("OccurredOn", "NotifiedOn", "RecordedOn", "DateOfBirth", "BecameResidentOn",
                     "AddressFixedOn"):
            for el in payload.iter(f"{{{CMN}}}{name}"):
                el.text = value
        for resident in payload.iter(f"{{{JUKI}}}Resident"):
            for name in ("BecameResidentOn", "AddressFixedOn"):
                if resident.find(f"{{{CMN}}}{name}") is None:
                    etree.SubElement(resident, f"{{{CMN}}}{name}").text = value
    return change


def _texts(path: str, value: str) -> domain.Mutation:
    """Every element at ``path`` under a Resident set to ``value``."""
    def change(payload: etree._Element) -> None:
        for resident in payload.iter(f"{{{JUKI}}}Resident"):
            for el in resident.iterfind(path, {"cmn": CMN}):
                el.text = value
    return change


def _address_code(name: str, value: str) -> domain.Mutation:
    """The optional PostalCode / AddressCode, first in cmn:AddressType, set to ``value``."""
    def change(payload: etree._Element) -> None:
        for address in payload.iter(f"{{{CMN}}}Address"):
            el = address.find(f"{{{CMN}}}{name}")
            if el is None:
                el = etree.Element(f"{{{CMN}}}{name}")
                address.insert(0 if name == "PostalCode" or address.find(
                    f"{{{CMN}}}PostalCode") is None else 1, el)
            el.text = value
    return change


def _codes(values: dict[str, str]) -> domain.Mutation:
    """The resident's code elements (Gender, Relationship …) set to ``values``."""
    def change(payload: etree._Element) -> None:
        for resident in payload.iter(f"{{{JUKI}}}Resident"):
            for name, code in values.items():
                for el in resident.findall(f"{{{CMN}}}{name}"):
                    el.text = code
    return change


def code_points(codelists: dict, canonical_name: str,
                full: etree._Element) -> list[domain.Point]:
    """Every code of every code list of the resident's record (edges.code_edges), the lists in
    parallel: notice i carries the i-th code of each list (cycling), so each code is sent; the
    odd ones in the change with every optional element (round 38b: a 旧氏 × 外国人住民)."""
    by_element: dict[str, list[str]] = {}
    for element, e in edges.code_edges(codelists):
        by_element.setdefault(element, []).append(e.value)
    out = []
    for i in range(max((len(v) for v in by_element.values()), default=0)):
        codes = {name: v[i % len(v)] for name, v in by_element.items()}
        out.append(domain.Point("codes " + ", ".join(f"{k} {v}" for k, v in codes.items())
                                + (", every optional element" if i % 2 else ""),
                                _both(_every_optional_element(full, 100 + i), _codes(codes))
                                if i % 2 else _codes(codes),
                                name=canonical_name))
    return out


def individual_number(k: int) -> str:
    """The ``k``-th 個人番号 of these points: its check remainder ``k`` mod 11, so that a run
    holds every check digit and every remainder, the same in every run."""
    for tail in range(100):
        number = grid.with_check_digit(f"9{k:08d}{tail:02d}", "individual")
        if grid.check_remainder(number, "individual") == k % 11:
            return number
    raise AssertionError(k)  # two digits of weights 2 and 3 reach every remainder


def every_element_change(body: str) -> etree._Element:
    """The juki:Change of ``change_notice.every_element``'s body, its placeholders left as text
    (``_every_optional_element`` writes the 宛名番号, name and 個人番号 of each point)."""
    return etree.fromstring(body.replace("${", "$_{").encode("utf-8")).find(f"{{{JUKI}}}Change")


def _every_optional_element(full: etree._Element, k: int) -> domain.Mutation:
    """Each change replaced by ``full`` (a change carrying every optional element), keeping the
    change's 異動連番, 宛名番号 and name; its 個人番号 ``individual_number(k)``."""
    def change(payload: etree._Element) -> None:
        for old in list(payload.iter(f"{{{JUKI}}}Change")):
            new = copy.deepcopy(full)
            for path in ("juki:Sequence", "juki:Resident/cmn:AddresseeNumber",
                         "juki:Resident/cmn:Name/cmn:Text"):
                new.find(path, _NS).text = old.findtext(path, namespaces=_NS)
            name = new.findtext("juki:Resident/cmn:Name/cmn:Text", namespaces=_NS)
            new.find("juki:Resident/cmn:Name/cmn:Original", _NS).text = name
            new.find("juki:Resident/cmn:IndividualNumber", _NS).text = individual_number(k)
            old.getparent().replace(old, new)
    return change


def notice_points(canonical_name: str, kana: tuple[str, str],
                  full: etree._Element) -> list[domain.Point]:
    today = dt.datetime.now(edges.JST).date()
    out = [domain.Point(f"every date {e.value} ({e.label}){what}, {KINDS[kind]}",
                        _both(change, _codes({"ResidentKind": kind}), _dates(e.value)),
                        name=canonical_name)
           for i, e in enumerate(edges.date_edges(until=today))
           for j, (what, change) in enumerate((("", _unchanged), (", every optional element",
                                                                  _every_optional_element(full, i))))
           for kind in [("1", "2")[(i + j) % 2]]]
    kana_type = edges.common_type("KanaTextType")
    for i, (part, text) in enumerate(zip(("Family", "Given"), kana, strict=True)):
        out += [domain.Point(f"Kana/{part}: {e.label}", _texts(f"cmn:Name/cmn:Kana/cmn:{part}",
                                                               e.value), name=canonical_name)
                for e in edges.pattern_edges(f"Kana/{part}", kana_type, text)
                if i == 0 or "singly" in e.label]  # Given: the named characters again
    out += [domain.Point(f"Name/Text: {e.label}", _texts("cmn:Name/cmn:Text", e.value),
                         name=e.value)
            for e in edges.pattern_edges("Name/Text", edges.common_type("NameTextType"),
                                         canonical_name) if len(e.value) < 100]  # S-MAX-01's
    out += [domain.Point(f"HouseholdNumber: {e.label}", _texts("cmn:HouseholdNumber", e.value),
                         name=canonical_name)
            for e in edges.pattern_edges("HouseholdNumber",
                                         edges.common_type("HouseholdNumberType"), "0000050018")]
    for name, canonical in (("PostalCode", "1000014"), ("AddressCode", "131010001")):
        out += [domain.Point(f"{name}: {e.label}", _address_code(name, e.value),
                             name=canonical_name)
                for e in edges.pattern_edges(name, edges.common_type(f"{name}Type"), canonical)]
    return out


def _then_removed(day: str) -> domain.Mutation:
    """A second change of the same resident after the first: a 消除 (B03 死亡) on ``day``."""
    def change(payload: etree._Element) -> None:
        first = payload.find(f"{{{JUKI}}}Change")
        second = copy.deepcopy(first)
        second.find(f"{{{JUKI}}}Sequence").text = "2"
        second.find(f"{{{JUKI}}}Event/{{{CMN}}}Reason").text = "B03"
        second.find(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn").text = day
        first.addnext(second)
    return change


def _timezone_notices(runner, step, values: dict[str, Any]) -> list[str]:
    """S-EDGE-03: notices whose every date carries a timezone (edges.TIMEZONES and +09:00),
    each about a fresh resident: receipted applied, the name held, one change applied; then a
    記載 and a 消除 whose dates are written at +14:00: both applied, and the 消除's date — when
    the observe command prints removed_on — the date as written."""
    name = str(values.get("notice_name", ""))
    day = dt.date(2025, 3, 31)
    asks = [(f"every date {e.value}", _dates(e.value), None)
            for e in [edges.Edge("+09:00", f"{day}+09:00"), *edges.date_timezone_edges(day)]]
    removed = edges.date_timezone_edges(day)[0].value  # +14:00: the day before in JST
    asks.append((f"a 記載 then a 消除, every date {removed}", _both(_dates(removed),
                                                            _then_removed(removed)), day))
    notice_step = dataclasses.replace(step, target=NOTICE)
    observe = step.get("observe_vars")
    problems: list[str] = []
    for label, change, removed_on in asks:
        vals = {**values, "fresh_addressee": runner._fresh_addressee()}
        point = domain.Point(label, change, name=name)
        ex = domain._post(runner, notice_step, vals, "1", point, False, label)
        if ex is None:
            raise ValueError(f"{step.where}: {label}: the notice is not valid")
        found = domain._receipt_applied(ex)
        if observe and not found:
            state = runner.observed_state(notice_step, vals, observe, label)
            want = {"name": name, "changes_applied": 2 if removed_on else 1}
            if not isinstance(state, dict) or any(state.get(k) != v for k, v in want.items()):
                found.append(f"observed {state!r}, expected {want}")
            elif removed_on and "removed_on" in state and \
                    str(state["removed_on"] or "")[:10] != removed_on.isoformat():
                found.append(f"removed_on is {state['removed_on']!r}: the 消除 was written "
                             f"{removed} — the date {removed_on} (xs:date: the date as written)")
        problems += [f"[{label}]: {p}" for p in found]
    return problems


def _unchanged(payload: etree._Element) -> None:
    pass


def _both(*changes: domain.Mutation) -> domain.Mutation:
    def change(payload: etree._Element) -> None:
        for c in changes:
            c(payload)
    return change


def _notices(runner, step, values: dict[str, Any]) -> list[str]:
    canonical_name = str(values.get("notice_name", ""))
    message = runner.s.suite.message(NOTICE, runner.instance.service, step.where)
    body = etree.fromstring(message.body.replace("${", "$_{").encode("utf-8"))
    kana = tuple(body.findtext(f".//{{{CMN}}}Kana/{{{CMN}}}{p}") or "ア" for p in ("Family",
                                                                                  "Given"))
    if step.target == "notice":
        full = every_element_change(runner.s.suite.message(
            EVERY_ELEMENT, runner.instance.service, step.where).body)
        points = notice_points(canonical_name, (kana[0], kana[1]), full) + \
            code_points(runner.s.catalog.codelists, canonical_name, full)
        asks: list[tuple[domain.Point, dict[str, str]]] = [(p, {}) for p in points]
    else:
        canonical = {"standard_version": "1.0", "user_id": str(values["user_id"])}
        fresh = [str(uuid.uuid4()) for _ in range(16)]
        asks = [(domain.Point(label, lambda p: None, name=canonical_name), header)
                for label, header in side_by_side(edges.header_edges(canonical, fresh))]
    notice_step = dataclasses.replace(step, target=NOTICE)
    observe = step.get("observe_vars")
    problems: list[str] = []
    for point, header in asks:
        vals = {**values, "fresh_addressee": runner._fresh_addressee()}
        ex = domain._post(runner, notice_step.with_options(header=header), vals, "1", point,
                          False, point.label)
        if ex is None:  # the generator's value outside the schema: the suite's defect
            raise ValueError(f"{step.where}: {point.label}: the notice is not valid")
        found = domain._receipt_applied(ex)
        if header and not found:
            found = _linkage(runner, ex)
        if observe and not found:
            state = runner.observed_state(notice_step, vals, observe, point.label)
            want = {"name": point.name, "changes_applied": 1}
            if not isinstance(state, dict) or any(state.get(k) != v for k, v in want.items()):
                found.append(f"observed {state!r}, expected {want}")
        problems += [f"[{point.label}]: {p}" for p in found]
    if step.target == "notice":
        problems += _addressee_edges(runner, notice_step, values, canonical_name)
    return problems


def _addressee_edges(runner, step, values: dict[str, Any], canonical_name: str) -> list[str]:
    """A fresh 宛名番号 and the other numbers made of its digits (edges.identifier_edges: a
    leading zero more, padded to 15 digits), each a notice about its own resident with its own
    name; then each observed: its own name, one change applied — a product keying residents by
    the number's value holds one resident, with the last name and several changes."""
    fresh = runner._fresh_addressee()
    numbers = [fresh] + [e.value for e in edges.identifier_edges(
        "宛名番号", edges.common_type("AddresseeNumberType"), fresh)]
    names = [canonical_name] + [canonical_name[:i + 1] for i in range(len(numbers) - 1)]
    problems: list[str] = []
    for number, name in zip(numbers, names, strict=True):
        point = domain.Point(f"宛名番号 {number}", _texts("cmn:Name/cmn:Text", name), name=name)
        ex = domain._post(runner, step, {**values, "fresh_addressee": number}, "1", point, False,
                          point.label)
        if ex is None:
            raise ValueError(f"{step.where}: {point.label}: the notice is not valid")
        problems += [f"[{point.label}]: {p}" for p in domain._receipt_applied(ex)]
    observe = step.get("observe_vars")
    for number, name in zip(numbers, names, strict=True) if observe and not problems else ():
        label = f"宛名番号 {number} (one of {', '.join(numbers)})"
        state = runner.observed_state(step, {**values, "fresh_addressee": number}, observe, label)
        want = {"name": name, "changes_applied": 1}
        if not isinstance(state, dict) or any(state.get(k) != v for k, v in want.items()):
            problems.append(f"[{label}]: observed {state!r}, expected {want}")
    return problems
