"""Schema-invalid neighbours of valid typed values (隣接する不正値, P-NEIGH-01): the lexical
forms next to a valid value that a lenient reader, or a neighbouring XSD type, takes for it, and
that the field's own type refuses — generated from the XSD types of every field a request or a
notice carries.

The suite's invalid requests were one per service (P-FAULT-01's 16-digit 宛名番号, PageSize
1001, a 異動連番 of 0); a product that cuts a 基準日 to its first ten characters, reads an
integer through a float, folds the case of a code or NFKC-normalises a key before validating
answered them all and then answered ``2025-04-01T09:00:00`` as a 基準日. For every simple-typed
leaf of the service's sample and of the messages that hold the request's other optional elements
and choice branches (request_shapes.covering), and for the platform header's own typed fields,
the forms of its kind:

- ``xs:date``: a dateTime (the date with a time), a gYearMonth (the day left out), a day past
  the month's end (29 February of a common year for a February), slashes, the basic format
  (yyyymmdd), month and day without their leading zeros;
- ``xs:dateTime`` (SentAt): without its offset, in UTC (``Z``: a dateTime, not JST), a space for
  the ``T``, an offset without its colon;
- ``xs:gYear``: a date, a gYearMonth, two digits, a year past either bound of its facets;
- integers: a fraction (``1.0``), an exponent (``1E0``), a value past either bound (0 for a
  positiveInteger, maxInclusive + 1), its digits in full-width or Arabic-Indic script and with
  an underscore between them (round 43b: what Python's ``int()`` reads);
- strings with a pattern or an enumeration: white space around the value (xs:string keeps
  it), each character written in its compatibility form (NFKC reads full-width ``１`` as ``1``,
  half-width ``ﾖ`` as ``ヨ``), katakana written in hiragana, the letters' case swapped, one
  character more than the pattern allows and one fewer, a hyphen inside a digit string (a
  postal code's printed form);
- strings with lengths only: empty, and one character past maxLength.

Every form is checked before it is sent: the field's type refuses it (xmlschema) and the whole
payload is invalid to libxml2 too, also with the white space around dates stripped (what XML
Schema's whiteSpace collapse allows): a form some reading of the XSD accepts is not sent. Judged
as the documents say (docs/faults.md, docs/adapter-sdk.md): a client fault (Client / Sender,
HTTP 500 / 400, Party client) whose code is PF-SCHEMA-INVALID for a body field and
PF-HEADER-INVALID for a header field, with a finding naming an xsd:* rule placed as
fault_place.py judges a place (RQ-FAULT-13): a Path, where one is given, names the element,
and a Line, where one is given, is a line of the request. Not sent: the
addressing fields (Sender, Receiver, Service: P-ADDR-*, P-ORDER-01 judge which refusal comes
first), forms XML itself changes (a character reference is the character), and values the
rules beyond XSD refuse (a check digit: P-FAULT-02/08/09).
"""

from __future__ import annotations

import calendar
import copy
import dataclasses
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from lxml import etree

from bus.core.date_whitespace import collapse_dates
from bus.core.faults import FaultDetail

from . import checks, fault_place, request_shapes
from .domain import payload_of
from .edges import parse_pattern
from .envelopes import request_header, substitute
from .lexical import _declarations, _simple
from .records import Exchange

XS = "{http://www.w3.org/2001/XMLSchema}"
SCHEMA_INVALID, HEADER_INVALID = "PF-SCHEMA-INVALID", checks.HEADER_INVALID
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@dataclasses.dataclass(frozen=True)
class Form:
    label: str  # how a lenient reader or a neighbouring type takes it
    value: str


def _primitive(t) -> str:
    p = getattr(t, "primitive_type", None) or t
    return str(getattr(p, "local_name", "") or "")


def _integer(t) -> bool:
    """Derived from xs:integer (positiveInteger, PageSizeType …), not a decimal with fractions."""
    integer = t.maps.types.get(f"{XS}integer") if hasattr(t, "maps") else None
    return integer is not None and (t is integer or t.is_derived(integer))


@lru_cache(maxsize=1)
def _compatibility() -> dict[str, str]:
    """A character → its compatibility form NFKC folds back to it: full-width for ASCII, half-width
    for katakana (the Halfwidth and Fullwidth Forms block first: ¹ also folds to 1)."""
    out: dict[str, str] = {}
    for cp in sorted(range(0x20, 0x10000), key=lambda c: not 0xFF00 <= c <= 0xFFEF):
        c = chr(cp)
        folded = unicodedata.normalize("NFKC", c)
        if len(folded) == 1 and folded != c and folded not in out:
            out[folded] = c
    return out


_MARKS = {"\u3099": "\uff9e", "\u309a": "\uff9f"}  # (semi-)voiced sound marks, half-width


def _compatible(c: str) -> str:
    """``c`` in its compatibility form (ダ: ﾀﾞ, two characters), or ``c``."""
    compat = _compatibility()
    if c in compat:
        return compat[c]
    base, *marks = unicodedata.normalize("NFD", c)
    if marks and base in compat and all(m in _MARKS for m in marks):
        return compat[base] + "".join(_MARKS[m] for m in marks)
    return c


def _date_forms(value: str) -> Iterator[Form]:
    y, m, d = value[:4], value[5:7], value[8:10]
    year, month = int(y), int(m)
    past = calendar.monthrange(year, month)[1] + 1
    yield Form("a dateTime: the date with a time (a reader cutting it to ten characters)",
               f"{value[:10]}T00:00:00")
    yield Form("a gYearMonth: the day left out", f"{y}-{m}")
    yield Form(f"day {past} of a month of {past - 1} days (a reader rolling it into the next "
               f"month)", f"{y}-{m}-{past:02d}")
    yield Form("slashes for hyphens (a lenient date parser)", f"{y}/{m}/{d}")
    yield Form("the basic format yyyymmdd (ISO 8601, not XML Schema)", f"{y}{m}{d}")
    yield Form("month and day without their leading zeros", f"{y}-{int(m)}-{int(d)}")


def _date_time_forms(value: str) -> Iterator[Form]:
    local = value[:19]
    yield Form("without its offset (a local time)", local)
    yield Form("in UTC with Z (a dateTime, not JST's +09:00)", f"{local}Z")
    yield Form("a space for the T (SQL's timestamp)", f"{local.replace('T', ' ')}+09:00")
    yield Form("an offset without its colon (+0900)", f"{local}+0900")


def _year_forms(t, value: str) -> Iterator[Form]:
    yield Form("a date: the fiscal year's first day", f"{value}-04-01")
    yield Form("a gYearMonth", f"{value}-04")
    yield Form("two digits (a two-digit year)", value[-2:])
    for bound, step, what in ((getattr(t, "min_value", None), -1, "below minInclusive"),
                              (getattr(t, "max_value", None), 1, "above maxInclusive")):
        if bound is not None:
            yield Form(f"{what} ({bound})", f"{int(str(bound)[:4]) + step:04d}")


def _integer_forms(t, value: str) -> Iterator[Form]:
    digits = value.strip().lstrip("+")
    yield Form("with a fraction (a reader through a float)", f"{digits}.0")
    yield Form("in exponent notation (a float's form)", f"{digits}E0")
    # round 43b: XML Schema's digits are ASCII [0-9]; a reader through Python's int() (or
    # .NET's with a culture, Java's Character.digit) also takes other scripts' decimal digits
    # and, in Python, underscores between them (the forty-third blind batch)
    yield Form("in full-width digits (a reader taking any Unicode decimal digit)",
               digits.translate(_FULL_WIDTH))
    yield Form("in Arabic-Indic digits (a reader taking any Unicode decimal digit)",
               digits.translate(_ARABIC_INDIC))
    yield Form("with an underscore between its digits (Python's int() literal grouping)",
               f"{digits[:-1]}_{digits[-1]}" if len(digits) > 1 else f"0_{digits}")
    low, high = getattr(t, "min_value", None), getattr(t, "max_value", None)
    if low is not None:
        yield Form(f"below minInclusive {low} (a neighbouring integer type)", str(int(low) - 1))
    if high is not None:
        yield Form(f"above maxInclusive {high}", str(int(high) + 1))


_XSD_INTEGER = re.compile(r"[+-]?[0-9]+")  # XML Schema 1.0 Part 2, 3.3.13 (ASCII digits)
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _pattern_lengths(t) -> tuple[int, int] | None:
    """The lengths a one-pattern type of classes with counts allows (edges.parse_pattern)."""
    patterns = t.patterns.regexps if t.patterns else []
    atoms = parse_pattern(patterns[0]) if len(patterns) == 1 else None
    if not atoms:
        return None
    return sum(a.low for a in atoms), sum(a.high for a in atoms)


def _string_forms(t, value: str) -> Iterator[Form]:
    yield Form("white space around it (xs:string keeps it: a reader trimming it)", f" {value} ")
    wide = "".join(_compatible(c) for c in value)
    if wide != value:
        yield Form("in compatibility characters NFKC folds back (full-width, half-width)", wide)
    hiragana = "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in value)
    if hiragana != value:
        yield Form("katakana written in hiragana (a kana-insensitive compare)", hiragana)
    if value.swapcase() != value:
        yield Form("its letters' case swapped (a case-insensitive compare)", value.swapcase())
    lengths = _pattern_lengths(t)
    low = lengths[0] if lengths else max(t.min_length or 0, 0)
    high = lengths[1] if lengths else t.max_length
    if high is not None and high < 10**5:
        yield Form(f"one character more than the {high} allowed",
                   (value * (high // max(len(value), 1) + 2))[:high + 1])
    if low and len(value) >= low:
        yield Form(f"one character fewer than the {low} required", value[:low - 1])
    if value.isdigit() and len(value) >= 4:
        yield Form("a hyphen inside the digits (a printed form)", f"{value[:3]}-{value[3:]}")


def refused(t, value: str) -> bool:
    """Whether simple type ``t`` refuses ``value``. xmlschema reads an integer through int()
    (１２, ١٢ and 1_2 are valid to it); XML Schema's lexical space of integers is ASCII digits,
    which libxml2 holds to (the payload is checked with it again before it is sent)."""
    if not t.is_valid(value):
        return True
    return _primitive(t) == "decimal" and _integer(t) and \
        not _XSD_INTEGER.fullmatch(value.strip())


def forms(t, value: str) -> list[Form]:
    """The neighbours of ``value`` in simple type ``t`` that ``t`` refuses (module docstring)."""
    primitive = _primitive(t)
    if primitive == "date":
        found = _date_forms(value.strip())
    elif primitive == "dateTime":
        found = _date_time_forms(value.strip())
    elif primitive == "gYear":
        found = _year_forms(t, value.strip())
    elif primitive == "decimal" and _integer(t):
        found = _integer_forms(t, value)
    elif primitive == "boolean":
        found = iter((Form("yes (a boolean of another language)", "yes"),
                      Form("True (a boolean in title case)", "True")))
    elif primitive == "string":
        found = _string_forms(t, value)
    else:
        return []
    out, seen = [], {value}
    for f in found:
        if f.value not in seen and refused(t, f.value):
            seen.add(f.value)
            out.append(f)
    return out


# --- where the fields are ------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Field:
    message: str  # the message it is in (the header: "header")
    path: str  # local names from the payload (or the header), "/"-separated
    value: str
    type: Any

    @property
    def element(self) -> str:
        return self.path.rpartition("/")[2]


def leaves(payload: etree._Element, catalog) -> Iterator[tuple[etree._Element, str, Any]]:
    """(element, its path from ``payload``, its simple type) of every simple-typed leaf."""
    for el, decl in _declarations(payload, catalog.schema_files):
        t = _simple(decl)
        if t is None or len(el) or el is payload:
            continue
        path = [etree.QName(el).localname]
        for parent in el.iterancestors():
            if parent is payload:
                break
            path.insert(0, etree.QName(parent).localname)
        yield el, "/".join(path), t


def _render_values(runner, values: dict[str, Any]) -> dict[str, Any]:
    """Values that render every message of the service (a key, a 基準日, an ExtractId …)."""
    fresh = runner._fresh_addressee()
    return {"as_of": "2024-04-01", "request_id": f"Neighbour-{fresh}",
            "extract_id": f"Neighbour-{fresh}", "page": 1, "sequence": "1",
            "notice_addressee": fresh, "second_addressee": runner._fresh_addressee(),
            **values, "fresh_addressee": fresh}


def _messages(runner, step, values: dict[str, Any]) -> list[str]:
    service = runner.instance.service
    sample = runner.s.suite.message(step.target, service, step.where).name
    cover = request_shapes.covering(runner.s.suite, runner.s.catalog, service, sample, values)
    return [sample, *cover.messages]


def _payload(runner, step, ref: str, values: dict[str, Any]) -> etree._Element:
    message = runner.s.suite.message(ref, runner.instance.service, step.where)
    return etree.fromstring(substitute(message.body, values, xml=True).encode("utf-8"))


def _invalid(catalog, payload: etree._Element) -> bool:
    """Invalid to libxml2, also with the white space around dates stripped (XML Schema's
    collapse): a form some reading of the XSD takes for valid is not a neighbour."""
    if catalog.xsd.validate(payload):
        return False
    copy_ = etree.fromstring(etree.tostring(payload))
    return not (collapse_dates(copy_, catalog.date_elements) and catalog.xsd.validate(copy_))


def _header_fields(runner, values: dict[str, Any]) -> list[Field]:
    """The platform header's typed fields the suite's request carries, but the addressing ones
    (complex: Sender, Receiver, Service)."""
    spec = runner.s.catalog.service(runner.instance.service)
    header = request_header(spec, values, {}, runner.s.suite.linkage_kind(spec.id)).to_element()
    return [Field("header", path, el.text or "", t)
            for el, path, t in leaves(header, runner.s.catalog) if "/" not in path]


# --- the run -------------------------------------------------------------------------------------

def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    """Every neighbour of every typed field, each its own request (SOAP 1.1 and 1.2 in turn),
    each judged a client fault of the field's code naming the element."""
    merged = _render_values(runner, values)
    problems: list[str] = []
    k = 0
    done: set[str] = set()
    for ref in _messages(runner, step, merged):
        payload = _payload(runner, step, ref, merged)
        for el, path, t in list(leaves(payload, runner.s.catalog)):
            if path in done:
                continue  # asked in an earlier message
            done.add(path)
            for form in forms(t, el.text or ""):
                changed = copy.deepcopy(payload)
                target = next(e for e, p, _ in leaves(changed, runner.s.catalog) if p == path)
                target.text = form.value
                if not _invalid(runner.s.catalog, changed):
                    continue
                soap = "1.2" if k % 2 else "1.1"
                k += 1
                label = f"[{ref}: {path} {form.value!r} ({form.label}), SOAP {soap}]"
                ex = _send(runner, step, ref, {**merged, "fresh_addressee":
                                               runner._fresh_addressee()}, soap, label,
                           changed, {})
                problems += [f"{label}: {p}" for p in judge(runner, ex, path, SCHEMA_INVALID)]
    # the header's forms are the same for every service: each is sent once per profile, the
    # profile's services taking them in turn
    services = list(runner.s.profile.services) or [runner.instance.service]
    mine = services.index(runner.instance.service) if runner.instance.service in services else 0
    header_forms = [(f, form) for f in _header_fields(runner, merged)
                    for form in forms(f.type, f.value)]
    for j, (f, form) in enumerate(header_forms):
        if j % len(services) != mine:
            continue
        key = _CAMEL.sub("_", f.path).lower()  # SentAt -> sent_at: the header override
        soap = "1.2" if k % 2 else "1.1"
        k += 1
        label = f"[header {f.path} {form.value!r} ({form.label}), SOAP {soap}]"
        ex = _send(runner, step, step.target, {**merged, "fresh_addressee":
                                               runner._fresh_addressee()}, soap, label, None,
                   {key: form.value})
        problems += [f"{label}: {p}" for p in judge(runner, ex, f.path, HEADER_INVALID)]
    return problems


def _send(runner, step, ref: str, values: dict[str, Any], soap: str, label: str,
          payload: etree._Element | None, header: dict[str, str]) -> Exchange:
    body = None if payload is None else etree.tostring(payload, encoding="utf-8")

    def rewrite(raw: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        if body is None:
            return raw, headers
        before, _, after = payload_of(raw)
        return before + body + after, headers

    return runner._post(step.with_options(soap=soap, header=header), values, ref, {}, label,
                        rewrite=rewrite)


def judge(runner, ex: Exchange, path: str, code: str) -> list[str]:
    """A client fault of ``code`` (HTTP 500 over SOAP 1.1, 400 over 1.2) with an xsd:* finding;
    its place judged as fault_place.py judges it (RQ-FAULT-13): where an xsd:* finding gives a
    Path, one names the element, and a Line it gives is a line of the request."""
    if found := checks.outcome(ex, "fault"):
        return found
    want = 500 if ex.soap_version == "1.1" else 400
    problems = [] if ex.status == want else [f"HTTP status {ex.status}, expected {want}"]
    ctx = runner.s.context
    problems += checks.fault(ctx, ex, checks.client_fault_spec(
        ex, {"code_in": [code], "finding": "xsd"}, ctx))
    detail = checks._detail(ex)
    if detail is None:
        return problems
    xsd = [f for f in FaultDetail.from_element(detail).findings if f.rule.startswith("xsd:")]
    element = path.rpartition("/")[2]
    if xsd and not any(f.path is None or fault_place.names(f.path, element) for f in xsd):
        problems.append(f"no xsd:* finding's Path names {element} (paths: "
                        f"{[f.path for f in xsd]})")
    lines = fault_place.request_lines(ex.request)
    return problems + [p for p in (fault_place.line_problem(f, lines) for f in xsd) if p]
