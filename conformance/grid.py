"""Model-based input grids (入力格子): every boundary of a request, judged against the test data.

A case written per defect converges only after the defect is known; a grid sends, per role, a
bounded set of inputs over every dimension of the request that has a boundary, and judges each
answer field by field against what the *model* says — the profile's test data
(``conformance/data/juki_residents.xml``: the records the product must hold) plus the documented
rules (a 基準日 on or after 住民となった年月日 finds the resident; TotalPages = ⌈TotalCount /
PageSize⌉; a page past the end is empty). Dimensions:

- 住民照会: the key (宛名番号, 個人番号: the request's choice) × 基準日 (none, each resident's
  BecameResidentOn −1 / 0 / +1 day, a future day) × SOAP 1.1/1.2, covered pairwise over the
  residents (each resident gets every 基準日, the key and the version rotate), plus valid numbers
  nobody holds with check-digit remainders 0, 1 and 10 for both keys (answer: not-found);
- 全件抽出: 基準日 (none, future, each change date −1 / 0) × PageSize (1, a divisor of the
  count, a non-divisor, the count, the count + 1, rotating) × Page (1, the last, the last + 1).
- the keys' value domain (P-DOMAIN-01): each key's smallest, largest, most-leading-zeros (and
  shortest and longest) value the test data holds, judged on the identifiers only.

The functions here are pure: the interpreter sends (``Send``) and records; a problem names its
grid point, e.g. ``[個人番号 234567890121, 基準日 2018-05-31 (BecameResidentOn −1), SOAP 1.2]``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from bus.core.identifiers import Modulus11Scheme, individual_number_check_digit

from . import xmlread
from .checks import outcome
from .records import Exchange

CMN = "urn:pfbus:platform:common:v1"
JUKI = "urn:pfbus:unit:juki:v1"
DATA_DIR = Path(__file__).parent / "data"
FUTURE = dt.date(2099, 4, 1)

# (message ref, grid vars, SOAP version, grid point label) -> the exchange
Send = Callable[[str, Mapping[str, object], str, str], Exchange]


@dataclass(frozen=True)
class Resident:
    """One record of the model (cmn:ResidentType): its keys and every leaf field."""

    addressee: str
    individual: str | None
    household: str
    moved_in: dt.date
    fields: Mapping[str, str]  # leaf path (cmn:Name/cmn:Text …) -> text


def _q(tag: str) -> str:
    ns, _, local = tag[1:].partition("}")
    return ("cmn:" if ns == CMN else "juki:" if ns == JUKI else f"{{{ns}}}") + local


def leaves(el: etree._Element) -> dict[str, str]:
    """Every leaf element under ``el`` by its path (a repeated one numbered [2], [3] …)."""
    out: dict[str, str] = {}

    def walk(node: etree._Element, prefix: str) -> None:
        counts: dict[str, int] = {}
        for child in node:
            if not isinstance(child.tag, str):
                continue  # comments, processing instructions
            name = _q(child.tag)
            counts[name] = counts.get(name, 0) + 1
            path = prefix + name + (f"[{counts[name]}]" if counts[name] > 1 else "")
            if len(child):
                walk(child, path + "/")
            else:
                out[path] = child.text or ""
    walk(el, "")
    return out


def model_path(name: str) -> Path:
    """The test data file ``model_data`` names: a path, or a name in conformance/data."""
    return Path(name) if Path(name).is_absolute() or Path(name).exists() else DATA_DIR / name


def load_model(name: str) -> list[Resident]:
    """The test data: a file of cmn:Resident records (a path, or a name in conformance/data)."""
    root = etree.parse(str(model_path(name)), xmlread.parser())
    residents = []
    for el in root.getroot().iter(f"{{{CMN}}}Resident"):
        f = leaves(el)
        residents.append(Resident(f["cmn:AddresseeNumber"], f.get("cmn:IndividualNumber"),
                                  f["cmn:HouseholdNumber"],
                                  dt.date.fromisoformat(f["cmn:BecameResidentOn"]), f))
    return residents


def lived_here(r: Resident, as_of: dt.date | None) -> bool:
    return as_of is None or r.moved_in <= as_of


def compare(where: str, got: etree._Element, want: Resident) -> list[str]:
    """Field by field: every leaf of the model's record, and nothing the record lacks."""
    have, model = leaves(got), want.fields
    problems = [f"{where}: {path} is {have[path]!r}, the test data says {text!r}"
                for path, text in model.items() if path in have and have[path] != text]
    problems += [f"{where}: {path} missing (the test data has {model[path]!r})"
                 for path in model if path not in have]
    problems += [f"{where}: {path} {have[path]!r} is not in the test data"
                 for path in have if path not in model]
    return problems


# --- 住民照会 ---------------------------------------------------------------------------------

def with_check_digit(body: str, kind: str) -> str:
    if kind == "addressee":
        return body + str(Modulus11Scheme().check_digit(body))
    return body + str(individual_number_check_digit(body))


def check_remainder(number: str, kind: str) -> int:
    body = number[:-1]
    if kind == "addressee":
        return sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(body))) % 11
    return sum(int(d) * (n + 1 if n <= 6 else n - 5)
               for n, d in enumerate(reversed(body), start=1)) % 11


def unknown_numbers(model: list[Resident], kind: str) -> dict[int, str]:
    """Valid numbers nobody in the model holds, one per check-digit remainder 0, 1 and 10 (a
    remainder 0 or 1 gives check digit 0, 10 gives 1: the rare ones a mod-10 slip gets wrong)."""
    held = {r.addressee if kind == "addressee" else r.individual for r in model}
    width, base = (10, 99_000_000) if kind == "addressee" else (12, 99_000_000_000)
    found: dict[int, str] = {}
    for n in range(base, base + 1000):
        number = with_check_digit(f"{n:0{width - 1}d}", kind)
        rem = check_remainder(number, kind)
        if rem in (0, 1, 10) and rem not in found and number not in held:
            found[rem] = number
        if len(found) == 3:
            break
    return found


@dataclass(frozen=True)
class InquiryPoint:
    key: str  # "addressee" | "individual"
    number: str
    as_of: dt.date | None
    as_of_label: str
    soap: str
    expected: Resident | None
    edge: str = ""  # what the number is (P-DOMAIN-01: the edges of its value domain it is at)

    @property
    def label(self) -> str:
        key = "宛名番号" if self.key == "addressee" else "個人番号"
        as_of = f", 基準日 {self.as_of} ({self.as_of_label})" if self.as_of else ""
        edge = f" ({self.edge})" if self.edge else ""
        return f"[{key} {self.number}{edge}{as_of}, SOAP {self.soap}]"

    @property
    def message(self) -> str:
        return f"resident_inquiry.grid_{self.key}" + ("_as_of" if self.as_of else "")

    @property
    def vars(self) -> dict[str, object]:
        return {"grid_number": self.number, "as_of": self.as_of.isoformat() if self.as_of else ""}


def inquiry_points(model: list[Resident]) -> Iterator[InquiryPoint]:
    offsets = ((None, "none"), (-1, "BecameResidentOn −1"), (0, "BecameResidentOn"),
               (1, "BecameResidentOn +1"), ("future", "a future day"))
    for i, r in enumerate(model):
        for j, (offset, label) in enumerate(offsets):
            key = "individual" if (i + j) % 2 and r.individual else "addressee"
            as_of = None if offset is None else FUTURE if offset == "future" else \
                r.moved_in + dt.timedelta(days=int(offset))
            yield InquiryPoint(key, r.individual if key == "individual" else r.addressee,
                               as_of, label, "1.2" if j % 2 else "1.1",
                               r if lived_here(r, as_of) else None)
    # unknown numbers without a 基準日 and (round 22) with each kind of one — a day the test
    # data knows, a future day, the earliest day there is: not-found is one answer whatever
    # optional element the request holds
    first = min(r.moved_in for r in model) - dt.timedelta(days=1)
    dated = ((FUTURE, "a future day"), (model[0].moved_in, "a day of the test data"),
             (first, "before every resident"))
    for k, kind in enumerate(("addressee", "individual")):
        for i, (rem, number) in enumerate(sorted(unknown_numbers(model, kind).items())):
            soap = "1.2" if (rem + k) % 2 else "1.1"
            yield InquiryPoint(kind, number, None, "", soap, None)
            as_of, label = dated[(i + k) % len(dated)]
            yield InquiryPoint(kind, number, as_of, label, "1.1" if soap == "1.2" else "1.2",
                               None)
    # round 43b: a 世帯番号 is no 宛名番号 — each household's number that is a valid 宛名番号 nobody
    # holds, asked as one: not found (the forty-third blind batch matched a key against the
    # household numbers too and answered the household's head)
    held = {r.addressee for r in model}
    households = sorted({r.household for r in model if r.household not in held
                         and with_check_digit(r.household[:-1], "addressee") == r.household})
    for i, number in enumerate(households):
        yield InquiryPoint("addressee", number, None, "", "1.2" if i % 2 else "1.1", None,
                           "a 世帯番号 of the test data")


def domain_points(model: list[Resident]) -> Iterator[InquiryPoint]:
    """P-DOMAIN-01: each key of the inquiry at the edges of its value domain that the test data
    holds — the smallest and the largest value, the most leading zeros, the shortest and the
    longest (when the lengths differ) — in SOAP 1.1 and 1.2, without 基準日 (the grid rotates
    keys; this asks each edge by its own key). Where a product keeps a key as a number
    (leading zeros lost, a 32-bit overflow) or in a fixed width, an edge is where it shows.
    Then the domain's own ends the data does not hold (all zeros, all nines, each with its
    check digit), once each: not found (``expected`` None)."""
    for kind in ("addressee", "individual"):
        held = [(r.addressee if kind == "addressee" else r.individual, r) for r in model]
        held = [(n, r) for n, r in held if n]
        if not held:
            continue
        picks = [("smallest", min(held, key=lambda h: int(h[0]))),
                 ("largest", max(held, key=lambda h: int(h[0]))),
                 ("most leading zeros",
                  max(held, key=lambda h: len(h[0]) - len(h[0].lstrip("0"))))]
        if len({len(n) for n, _ in held}) > 1:  # one width (a municipality's): no length edge
            picks += [("shortest", min(held, key=lambda h: len(h[0]))),
                      ("longest", max(held, key=lambda h: len(h[0])))]
        edges: dict[str, list[str]] = {}
        for name, pick in picks:
            edges.setdefault(pick[0], []).append(name)
        residents = dict(held)
        for number, names in edges.items():
            for soap in ("1.1", "1.2"):
                yield InquiryPoint(kind, number, None, "", soap, residents[number],
                                   ", ".join(names))
        # the value domain's own ends at the data's widths, when nobody holds them: all zeros
        # and all nines with their check digit are valid numbers — looked up and not found,
        # not refused as a placeholder (a product's "dummy number" check is no XSD rule)
        for width in sorted({len(n) for n, _ in held}):
            for digit, soap in (("0", "1.2" if kind == "individual" else "1.1"),
                                ("9", "1.1" if kind == "individual" else "1.2")):
                number = with_check_digit(digit * (width - 1), kind)
                if number not in residents:
                    yield InquiryPoint(kind, number, None, "", soap, None,
                                       f"the value domain's {'smallest' if digit == '0' else 'largest'}"
                                       f" of {width} digits, not held")


_IDENTIFIERS = ("cmn:AddresseeNumber", "cmn:ResidentCode", "cmn:IndividualNumber",
                "cmn:HouseholdNumber")


def judge_domain(p: InquiryPoint, ex: Exchange, ns: Mapping[str, str]) -> list[str]:
    """P-DOMAIN-01: found, and every identifier of the Resident and the Household's 世帯番号
    exactly as the test data holds them (J-GRID-01 judges the other fields)."""
    if problems := outcome(ex, "response"):
        return [f"{p.label}: {m}" for m in problems]
    body = ex.envelope().body
    status = body.xpath("string(juki:Status)", namespaces=ns)
    if status != "found" or p.expected is None:
        return [f"{p.label}: Status is {status!r}, the test data holds the number"]
    have = {path: body.xpath(f"string(juki:Resident/{path})", namespaces=ns)
            for path in _IDENTIFIERS}
    have["juki:Household/cmn:HouseholdNumber"] = body.xpath(
        "string(juki:Household/cmn:HouseholdNumber)", namespaces=ns)
    want = {path: p.expected.fields.get(path, "") for path in _IDENTIFIERS}
    want["juki:Household/cmn:HouseholdNumber"] = p.expected.household
    return [f"{p.label}: {path} is {have[path]!r}, the test data says {want[path]!r}"
            for path in want if have[path] != want[path]]


def judge_inquiry(p: InquiryPoint, ex: Exchange, model: list[Resident],
                  ns: Mapping[str, str]) -> list[str]:
    if problems := outcome(ex, "response"):
        return [f"{p.label}: {m}" for m in problems]
    body = ex.envelope().body
    status = body.xpath("string(juki:Status)", namespaces=ns)
    want = "found" if p.expected else "not-found"
    if status != want:
        return [f"{p.label}: Status is {status!r}, the test data says {want}"]
    residents = body.xpath("juki:Resident", namespaces=ns)
    if p.expected is None:
        return [f"{p.label}: not-found with a Resident"] if residents else []
    problems = compare(f"{p.label} Resident", residents[0], p.expected) if residents else \
        [f"{p.label}: found without a Resident"]
    household = body.xpath("juki:Household", namespaces=ns)
    if not household:
        return problems + [f"{p.label}: found without a Household"]
    h = household[0]
    number = h.xpath("string(cmn:HouseholdNumber)", namespaces=ns)
    if number != p.expected.household:
        problems.append(f"{p.label}: HouseholdNumber {number!r}, the test data says "
                        f"{p.expected.household}")
    model_members = {r.addressee: r for r in model if r.household == p.expected.household}
    heads = [r for r in model_members.values() if r.fields.get("cmn:Relationship") == "01"]
    head_name = h.xpath("cmn:HeadName", namespaces=ns)
    if heads and head_name:  # the 世帯主's name, whoever was asked about
        want = {k[len("cmn:Name/"):]: v for k, v in heads[0].fields.items()
                if k.startswith("cmn:Name/")}
        if leaves(head_name[0]) != want:
            problems.append(f"{p.label}: HeadName {leaves(head_name[0])}, the test data's 世帯主 "
                            f"{heads[0].addressee} is {want}")
    if p.as_of is None:  # membership on a past day is history the standard leaves open
        members = {m.xpath("string(cmn:AddresseeNumber)", namespaces=ns): m
                   for m in h.xpath("cmn:Member", namespaces=ns)}
        if sorted(members) != sorted(model_members):
            problems.append(f"{p.label}: Household members {sorted(members)}, the test data "
                            f"says {sorted(model_members)}")
        for number, m in members.items():
            if number in model_members:
                problems += compare(f"{p.label} Member {number}", m, model_members[number])
    return problems


# --- 全件抽出 ---------------------------------------------------------------------------------

def page_sizes(count: int) -> list[tuple[int, str]]:
    """PageSize 1, a divisor of the count, a non-divisor, the count and the count + 1."""
    divisor = max((d for d in range(2, count) if count % d == 0), default=max(count, 1))
    other = min((d for d in range(2, count) if count % d), default=count + 1)
    return [(1, "1"), (divisor, "a divisor of TotalCount"), (other, "a non-divisor"),
            (max(count, 1), "TotalCount"), (count + 1, "TotalCount + 1")]


def extract_dates(model: list[Resident]) -> list[tuple[dt.date | None, str]]:
    dates: list[tuple[dt.date | None, str]] = [(None, "none"), (FUTURE, "a future day")]
    for day in sorted({r.moved_in for r in model}):
        dates += [(day - dt.timedelta(days=1), f"{day} −1"), (day, f"{day}")]
    return dates


def extract_grid(send: Send, model: list[Resident], ns: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    for k, (as_of, as_of_label) in enumerate(extract_dates(model)):
        living = {r.addressee: r for r in model if lived_here(r, as_of)}
        count = len(living)
        size, size_label = page_sizes(count)[k % 5]
        soap = "1.2" if k % 2 else "1.1"
        label = (f"[基準日 {as_of} ({as_of_label}), " if as_of else "[no 基準日, ") + \
            f"PageSize {size} ({size_label}), TotalCount {count}, SOAP {soap}]"
        problems += _extract_point(send, living, size, as_of, soap, label, ns)
    return problems


def _extract_point(send: Send, living: Mapping[str, Resident], size: int, as_of: dt.date | None,
                   soap: str, label: str, ns: Mapping[str, str]) -> list[str]:
    count, last = len(living), math.ceil(len(living) / size)
    first_vars: dict[str, object] = {"page_size": size}
    if as_of:
        first_vars["as_of"] = as_of.isoformat()
    first = send("full_extract.first" + ("_as_of" if as_of else ""), first_vars, soap,
                 f"{label} page 1")
    if p := outcome(first, "response"):
        return [f"{label} page 1: {m}" for m in p]
    body = first.envelope().body
    head = {n: body.xpath(f"string(juki:{n})", namespaces=ns)
            for n in ("ExtractId", "TotalPages", "TotalCount")}
    problems = []
    if head["TotalCount"] != str(count):
        problems.append(f"{label}: TotalCount {head['TotalCount']!r}, the test data says {count}")
    if head["TotalPages"] != str(last):
        problems.append(f"{label}: TotalPages {head['TotalPages']!r}, ⌈{count} / {size}⌉ is "
                        f"{last}")
    if not head["ExtractId"]:
        return problems + [f"{label} page 1: no ExtractId"]
    pages = {1: body}
    for number in sorted({max(last, 1), last + 1} - {1}):  # TotalCount 0: page 1 is past the end
        later: dict[str, object] = {"page_size": size, "page": number,
                                    "extract_id": head["ExtractId"]}
        # round 22: a dated snapshot's later pages repeat its 基準日 on every other page and
        # point (the last page and the one past it each get both forms over the grid): the
        # ExtractId names the snapshot, the AsOf beside it is that snapshot's own
        repeat = as_of is not None and (number + as_of.toordinal()) % 2 == 0
        if repeat:
            later["as_of"] = as_of.isoformat()  # type: ignore[union-attr]
        ex = send("full_extract.next" + ("_as_of" if repeat else ""), later, soap,
                  f"{label} page {number}" + (" (基準日 repeated)" if repeat else ""))
        if p := outcome(ex, "response"):
            problems += [f"{label} page {number}: {m}" for m in p]
            continue
        pages[number] = ex.envelope().body
    seen: dict[str, int] = {}
    for number, page in sorted(pages.items()):
        where = f"{label} page {number}"
        expected = 0 if number > last else size if number < last else count - size * (last - 1)
        records = page.xpath("juki:Resident", namespaces=ns)
        for name, want in (("ExtractId", head["ExtractId"]), ("TotalPages", str(last)),
                           ("TotalCount", str(count))):
            got = page.xpath(f"string(juki:{name})", namespaces=ns)
            if number > 1 and got != want:  # page 1's own values are judged above
                problems.append(f"{where}: {name} {got!r}, expected {want!r}")
        if len(records) != expected:
            problems.append(f"{where}: {len(records)} records, expected {expected}")
        if page.xpath("string(juki:Page)", namespaces=ns) != str(number):
            problems.append(f"{where}: Page says {page.xpath('string(juki:Page)', namespaces=ns)!r}")
        for record in records:
            key = record.xpath("string(cmn:AddresseeNumber)", namespaces=ns)
            if key in seen:
                problems.append(f"{where}: {key} was on page {seen[key]} too")
            seen[key] = number
            if key not in living:
                problems.append(f"{where}: {key} did not live here on that day (test data)")
            else:
                problems += compare(f"{where} {key}", record, living[key])
    return problems
