"""Valid values at the edges of a field's value space (境界値), derived from its XSD simple type
and the platform's domain rules — the generator behind P-EDGE-01/02 and S-EDGE-01/02.

The suite's other cases send typical values; a product that stores dates as Unix time, reads a
SentAt with ``%S%z``, keeps a key as a number or folds the case of a token passes them. This
module derives, per kind of simple type, the values where such a product breaks:

- ``xs:date`` (``date_edges``): 29 February of leap years in each era (昭和63 = 1988, 平成4,
  平成12 = 2000 — divisible by 400 —, 令和2 = 2020, 令和6), 28 February / 1 March 1900 (a
  century that is not leap), the last and first day of each era since 大正 (1912-07-29/30,
  1926-12-24/25, 1989-01-07/08, 2019-04-30/05-01), the day before and of the Unix epoch, the
  last day of a signed 32-bit time_t (2038-01-19) and the day after, the four Sundays whose local
  midnight Japan's 1948–1951 summer time skipped (round 39b), and 1873-01-01 (the first day
  of the Gregorian calendar in Japan: the far past a 生年月日 column still holds); with a
  timezone (``+09:00``, ``Z``) where the caller asks for the lexical forms xs:date allows.
  Round 16 (the value space's extremes, ``EXTREMES``): the first and last day of xs:date's
  four-digit years (0001-01-01, 9999-12-31: a DATETIME column from 1753, ``+ 1 day`` past the
  end), a three-digit year (0999-12-31: ``strftime('%Y')`` drops its leading zero), the first
  day of 明治 and the day before (1868-01-25/24: a 元号 table's first entry), the last day
  before the Gregorian calendar (1872-12-31: a 和暦 conversion has no day for it), and a
  century's turn (1999-12-31, 2000-01-01: a two-digit year).
- ``xs:dateTime`` restricted to JST (``jst_date_time_edges``): the current time with 1, 3, 6 and
  9 fractional digits and with a fraction of zeros (xs:dateTime allows any number of digits).
- string and token patterns (``pattern_edges``): the pattern is read as a sequence of character
  classes with repetition counts ([A-Za-z0-9][A-Za-z0-9._\\-]{0,31} …); from it, the shortest
  and the longest value, each character the class names singly (the ・ ー U+3000 of a reading,
  the . _ - @ of a token) and each end of each range, placed inside the field's canonical
  value, and the canonical value with its letters' case swapped.
- digit identifiers (``identifier_edges``): another valid identifier made of a held one's digits
  with leading zeros added or removed (a modulus-11 check digit over weighted digits is the same
  with leading zeros): a different key, which a product comparing numbers takes for the same.

Every value is checked against its XSD type before it is returned (``valid``): a value the type
refuses is not an edge of its domain, and the generator raises rather than send it.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .coverage import _schema

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
HEADER_XSD = SCHEMAS / "platform" / "header-v1.xsd"
COMMON_XSD = SCHEMAS / "platform" / "common-v1.xsd"
JUKI_XSD = SCHEMAS / "units" / "juki" / "juki-v1.xsd"
JST = dt.timezone(dt.timedelta(hours=9))
# (era, its first day): 元号 from 大正 on (the Gregorian calendar holds throughout)
ERAS = (("大正", dt.date(1912, 7, 30)), ("昭和", dt.date(1926, 12, 25)),
        ("平成", dt.date(1989, 1, 8)), ("令和", dt.date(2019, 5, 1)))
# サマータイム 1948–1951 began at 24:00 of a Saturday (Asia/Tokyo in the tz database): 00:00–00:59
# of these Sundays never happened, so a date stored as local midnight does not exist (round 39b)
SUMMER_TIME_GAPS = (dt.date(1948, 5, 2), dt.date(1949, 4, 3), dt.date(1950, 5, 7),
                    dt.date(1951, 5, 6))
MEIJI = dt.date(1868, 1, 25)  # 明治元年: a 元号 table's first day (lunisolar until 1872-12-31)
# the extremes of xs:date's value space a product's conversions meet (round 16): valid dates
# that must be answered as the data says, never an internal error
EXTREMES = (("the first day of xs:date's four-digit years", dt.date(1, 1, 1)),
            ("the last day of a three-digit year (strftime's %Y writes it without its "
             "leading zero on glibc: 9991231 sorts after every 20th-century day)",
             dt.date(999, 12, 31)),
            ("the last day before 明治 (a 元号 table starting in 明治 has none)",
             MEIJI - dt.timedelta(days=1)),
            ("the first day of 明治", MEIJI),
            ("the last day before the Gregorian calendar in Japan (明治5年12月2日 was followed "
             "by 明治6年1月1日)", dt.date(1872, 12, 31)),
            ("the last day of the 20th century's last year (a two-digit year: 99)",
             dt.date(1999, 12, 31)),
            ("the first day of 2000 (a two-digit year: 00)", dt.date(2000, 1, 1)),
            ("the last day of xs:date's four-digit years", dt.date(9999, 12, 31)))


@dataclass(frozen=True)
class Edge:
    label: str  # where in the value space, e.g. "29 February 令和2 (2020)"
    value: str  # the lexical form sent


def wareki(day: dt.date) -> str:
    """The 和暦 year of ``day``, e.g. 令和2; 明治 before 大正; before 明治 its 西暦 year."""
    if day < MEIJI:
        return f"西暦{day.year}"
    era, start = next(((e, s) for e, s in reversed(ERAS) if day >= s), ("明治", MEIJI))
    year = day.year - start.year + 1
    return f"{era}{'元' if year == 1 else year}"


def date_edges(until: dt.date | None = None, timezones: bool = False) -> list[Edge]:
    """The edges of xs:date's value space a product's calendar code meets (module docstring);
    ``until``: only days on or before it (a 生年月日 is not in the future); ``timezones``: two
    more forms of leap days, with ``+09:00`` and ``Z`` (xs:date allows a timezone)."""
    days: list[tuple[str, dt.date]] = [("far past: the first day of the Gregorian calendar in "
                                        "Japan", dt.date(1873, 1, 1)),
                                       ("28 February 1900 (not a leap year)", dt.date(1900, 2, 28)),
                                       ("1 March 1900", dt.date(1900, 3, 1))]
    for era, start in ERAS:
        days += [(f"the last day before {era}", start - dt.timedelta(days=1)),
                 (f"the first day of {era}", start)]
    days += [(f"a day whose local midnight Japan's summer time skipped ({day.year})", day)
             for day in SUMMER_TIME_GAPS]
    days += [("the day before the Unix epoch", dt.date(1969, 12, 31)),
             ("the Unix epoch", dt.date(1970, 1, 1))]
    days += [(f"29 February {wareki(dt.date(y, 2, 29))} ({y})", dt.date(y, 2, 29))
             for y in (1988, 1992, 2000, 2020, 2024)]
    days += [("the last day of a 32-bit time_t", dt.date(2038, 1, 19)),
             ("the day after it", dt.date(2038, 1, 20))]
    days += list(EXTREMES)
    out = [Edge(label, day.isoformat()) for label, day in sorted(
        days, key=lambda d: d[1]) if until is None or day <= until]
    if timezones:
        out += [Edge(f"29 February {wareki(dt.date(2020, 2, 29))} with +09:00", "2020-02-29+09:00"),
                Edge(f"29 February {wareki(dt.date(2000, 2, 29))} with Z", "2000-02-29Z")]
    for e in out:
        valid("xs:date", e.value, _date_type())
    return out


# timezones far from JST, either way: the earliest and latest xs:date allows, UTC, and one behind
TIMEZONES = ("+14:00", "-12:00", "Z", "-05:00")


def date_timezone_edges(day: dt.date) -> list[Edge]:
    """``day`` written with each of TIMEZONES: xs:date's value is the date as written — a
    product that takes it for a midnight at that offset and converts to JST (or UTC) reads
    another day (+14:00: the day before in JST)."""
    out = [Edge(f"{day} written with {zone}", f"{day.isoformat()}{zone}") for zone in TIMEZONES]
    for e in out:
        valid("xs:date", e.value, _date_type())
    return out


def jst_date_time_edges(now: dt.datetime | None = None) -> list[Edge]:
    """The current time in JST, as pfh:JstDateTimeType (xs:dateTime, ``+09:00``) allows it to be
    written: fractional seconds of 1, 3, 6 and 9 digits and a fraction of zeros."""
    now = (now or dt.datetime.now(JST)).astimezone(JST)
    base = now.strftime("%Y-%m-%dT%H:%M:%S")
    micro = f"{now.microsecond:06d}"
    fractions = [("1 fractional digit", micro[:1]), ("3 fractional digits", micro[:3]),
                 ("6 fractional digits", micro), ("9 fractional digits", micro + "417"),
                 ("a fraction of zeros", "000")]
    out = [Edge(f"SentAt with {label}", f"{base}.{digits}+09:00") for label, digits in fractions]
    t = header_type("SentAt")
    for e in out:
        valid("pfh:SentAt", e.value, t)
    return out


# --- patterns ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Atom:
    """One character class of a pattern and how often it repeats."""

    ranges: tuple[tuple[str, str], ...]  # (first, last) — a single character is (c, c)
    low: int
    high: int

    def allows(self, c: str) -> bool:
        return any(a <= c <= b for a, b in self.ranges)


def parse_pattern(pattern: str) -> list[Atom] | None:
    """A pattern as a sequence of atoms — classes ``[…]`` or single characters, each with
    ``{n}``, ``{m,n}``, ``?``, ``+`` or ``*`` — or None when it uses more (groups, ``|``, ``.``):
    such a type gets no pattern edges."""
    atoms: list[Atom] = []
    i = 0

    def char(j: int) -> tuple[str, int]:
        if pattern[j] == "\\":
            return pattern[j + 1], j + 2
        return pattern[j], j + 1

    while i < len(pattern):
        c = pattern[i]
        if c in "().|^$" or (c == "\\" and pattern[i + 1] in "dDsSwWiIcCp"):
            return None
        ranges: list[tuple[str, str]] = []
        if c == "[":
            i += 1
            if pattern[i] == "^":
                return None
            while pattern[i] != "]":
                first, i = char(i)
                if pattern[i] == "-" and pattern[i + 1] != "]":
                    last, i = char(i + 1)
                    ranges.append((first, last))
                else:
                    ranges.append((first, first))
            i += 1
        else:
            first, i = char(i)
            ranges.append((first, first))
        low, high = 1, 1
        if i < len(pattern) and pattern[i] in "?+*":
            low, high = {"?": (0, 1), "+": (1, 10**6), "*": (0, 10**6)}[pattern[i]]
            i += 1
        elif i < len(pattern) and pattern[i] == "{":
            end = pattern.index("}", i)
            counts = pattern[i + 1:end].split(",")
            low = int(counts[0])
            high = int(counts[-1]) if counts[-1] else 10**6
            i = end + 1
        atoms.append(Atom(tuple(ranges), low, high))
    return atoms


def pattern_edges(field: str, t, canonical: str) -> list[Edge]:
    """The edges of a string type ``t`` (an xmlschema simple type with one pattern): shortest and
    longest, each singly named character and each range end inside ``canonical``, and
    ``canonical`` with its case swapped; each valid and different from ``canonical``."""
    patterns = t.patterns.regexps if t.patterns else []
    atoms = parse_pattern(patterns[0]) if len(patterns) == 1 else None
    if atoms is None:
        return length_edges(field, t, canonical) if not patterns else []
    longest_allowed = min(t.max_length or 10**6, 200)  # a bound for unbounded repetitions
    candidates: list[tuple[str, str]] = []
    shortest = "".join(a.ranges[0][0] * max(a.low, 0) for a in atoms)
    if not shortest:  # every atom optional: the shortest non-empty one
        shortest = atoms[0].ranges[0][0]
    candidates.append((f"the shortest {field}", shortest))
    longest = ""
    for a in atoms:
        members = [c for lo, hi in a.ranges for c in (lo, hi)]
        room = max(longest_allowed - len(longest) - sum(b.low for b in atoms[atoms.index(a) + 1:]),
                   a.low)
        longest += "".join(members[k % len(members)] for k in range(min(a.high, room)))
    candidates.append((f"the longest {field} ({len(longest)} characters)", longest))
    specials: list[tuple[str, str]] = []
    for a in atoms:
        for lo, hi in a.ranges:
            if lo == hi:
                specials.append((lo, f"U+{ord(lo):04X} {lo!r}, named singly by the pattern"))
            else:
                specials += [(lo, f"U+{ord(lo):04X} {lo!r}, the first of the range {lo}-{hi}"),
                             (hi, f"U+{ord(hi):04X} {hi!r}, the last of the range {lo}-{hi}")]
    for c, why in specials:
        if c.isascii() and c.isalnum():
            continue  # letters and digits: the canonical value and its case cover them
        middle = len(canonical) // 2 or 1
        inside = ([canonical + c + canonical[-1:]] if c.isascii() else []) + \
            [canonical[:k] + c + canonical[k:] for k in (middle, len(canonical), 0)]
        value = next((v for v in inside if t.is_valid(v)), None)
        if value is not None:
            candidates.append((f"{field} with {why}", value))
    swapped = canonical.swapcase()
    candidates.append((f"{field} with its letters' case swapped", swapped))
    out, seen = [], {canonical}
    for label, value in candidates:
        if value not in seen and t.is_valid(value):
            seen.add(value)
            out.append(Edge(f"{label}: {value!r}", value))
    return out


def length_edges(field: str, t, canonical: str) -> list[Edge]:
    """A string type without a pattern: its shortest (minLength, at least 1) and longest
    (maxLength) values made of ``canonical``'s characters."""
    low, high = max(t.min_length or 1, 1), t.max_length
    out = [Edge(f"the shortest {field} ({low} character(s)): {canonical[:low]!r}", canonical[:low])]
    if high:
        longest = (canonical * (high // max(len(canonical), 1) + 1))[:high]
        out.append(Edge(f"the longest {field} ({high} characters)", longest))
    return [e for e in out if e.value != canonical and t.is_valid(e.value)]


def identifier_edges(field: str, t, held: str) -> list[Edge]:
    """Other identifiers of a digit-string type ``t`` ([0-9]{m,n}) made of ``held``'s digits: one
    leading zero more, padded to the longest length, the leading zeros removed down to the
    shortest length — valid and not ``held``: a product comparing numbers finds ``held``."""
    atoms = parse_pattern(t.patterns.regexps[0]) if t.patterns else None
    if not atoms or len(atoms) != 1 or atoms[0].ranges != (("0", "9"),):
        return []
    low, high = atoms[0].low, atoms[0].high
    stripped = held.lstrip("0").rjust(low, "0")
    candidates = [("with one leading zero more", "0" + held),
                  (f"padded to {high} digits", held.rjust(high, "0")),
                  ("without its leading zeros", stripped)]
    out, seen = [], {held}
    for label, value in candidates:
        if value not in seen and low <= len(value) <= high and t.is_valid(value):
            seen.add(value)
            out.append(Edge(f"{held} {label}", value))
    return out


# --- the types ---------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _date_type():
    return _schema(COMMON_XSD).maps.types["{http://www.w3.org/2001/XMLSchema}date"]


@lru_cache(maxsize=None)
def header_type(name: str):
    """The simple type of the platform header's element ``name`` (StandardVersion, SentAt …)."""
    header = _schema(HEADER_XSD).types["PlatformHeaderType"].content
    return next(p.type for p in header if getattr(p, "local_name", None) == name)


@lru_cache(maxsize=None)
def common_type(name: str):
    """A simple type of common-v1.xsd by its name (KanaTextType, AddresseeNumberType …)."""
    return _schema(COMMON_XSD).types[name]


@lru_cache(maxsize=None)
def juki_type(name: str):
    """A simple type of juki-v1.xsd by its name (ExtractIdType …)."""
    return _schema(JUKI_XSD).types[name]


@lru_cache(maxsize=None)
def codelist_bindings() -> dict[str, str]:
    """The catalog's code-list rules: a simple type's prefixed name → its code list's name."""
    data = tomllib.loads((SCHEMAS / "catalog.toml").read_text("utf-8"))
    return {r["type"]: r["codelist"] for r in data.get("rules", [])
            if r.get("rule") == "codelist"}


def code_edges(codelists: dict, type_name: str = "ResidentType") -> list[tuple[str, Edge]]:
    """(element, edge): every code of every code list bound (catalog.toml) to a simple element
    of common-v1.xsd's ``type_name`` — 性別, 続柄, 住民種別, 住民状態 of a resident."""
    out: list[tuple[str, Edge]] = []
    bindings = codelist_bindings()
    for p in _schema(COMMON_XSD).types[type_name].content.iter_elements():
        local = (p.type.name or "").rpartition("}")[2]
        codes = codelists.get(bindings.get(f"cmn:{local}", ""))
        if codes is not None:
            out += [(p.local_name, Edge(f"{p.local_name} {code} ({label}, code list "
                                        f"{codes.name})", code))
                    for code, label in codes.labels.items()]
    return out


def valid(field: str, value: str, t) -> None:
    if not t.is_valid(value):
        raise ValueError(f"the edge {value!r} of {field} is not valid against its XSD type")


def position_edges(field: str, t, fresh: Iterator[str]) -> list[Edge]:
    """A fixed-length pattern (MessageIdType's UUID): each position whose class differs from
    the pattern's usual one (the UUID's version [1-8] and variant [89ab]) set to each end and
    each single character of that class, each on a new value from ``fresh`` — a version-1, -7
    or -8 UUID is as valid as a version-4 one."""
    atoms = parse_pattern(t.patterns.regexps[0]) if t.patterns else None
    if not atoms:
        return []
    usual = max((a.ranges for a in atoms), key=lambda r: sum(a.ranges == r for a in atoms))
    out, at = [], 0
    for a in atoms:
        if a.low == a.high == 1 and a.ranges != usual and a.ranges[0] != (a.ranges[0][0],) * 2 \
                or a.low == a.high == 1 and len(a.ranges) > 1:
            for c in dict.fromkeys(c for lo, hi in a.ranges for c in (lo, hi)):
                base = next(fresh)
                value = base[:at] + c + base[at + 1:]
                if t.is_valid(value):
                    out.append(Edge(f"{field} with {c!r} at position {at + 1} (the class "
                                    f"{''.join(lo if lo == hi else f'{lo}-{hi}' for lo, hi in a.ranges)})",
                                    value))
        at += a.low
    return out


def header_edges(canonical: dict[str, str], fresh_ids: list[str] | None = None,
                 sender: bool = False) -> list[tuple[str, Edge]]:
    """(header field, edge): SentAt's fractions, every pattern edge of StandardVersion and
    UserId (their canonical values: what the suite sends otherwise), MessageId's version and
    variant edges (``fresh_ids``: new UUIDs to change, one per edge) and, with ``sender``, the
    pattern edges of the Sender's SystemId."""
    out: list[tuple[str, Edge]] = [("sent_at", e) for e in jst_date_time_edges()]
    for field, name in (("standard_version", "StandardVersion"), ("user_id", "UserId")):
        out += [(field, e) for e in pattern_edges(name, header_type(name), canonical[field])]
    if fresh_ids:
        out += [("message_id", e) for e in position_edges(
            "MessageId", header_type("MessageId"), iter(fresh_ids))]
    if sender:
        t = _schema(HEADER_XSD).types["SystemIdType"]
        out += [("sender_system_id", e) for e in pattern_edges("Sender SystemId", t,
                                                                 canonical["sender_system_id"])]
    return out
