"""Every neighbour spelling of the served ServiceId and Version (サービスIDの綴り): step
``service_spellings`` (P-SVC-01 on every provider service, S-SVC-01 on the notice endpoint).

README ("A system answers only what is addressed to it"): a provider or subscriber refuses a
message whose Service it does not serve — another ServiceId, or a Version other than the one it
serves — with PF-PROVIDER-MISROUTED (rules ``service:endpoint``, ``service:version``), comparing
ServiceId and Version "as the characters they are". header-v1.xsd: ServiceId is ServiceIdType,
``[A-Za-z][A-Za-z0-9_\\-]*(\\.[A-Za-z][A-Za-z0-9_\\-]*)+`` (ASCII only, at most 128), Version
is TokenType, ``[A-Za-z0-9][A-Za-z0-9._\\-]{0,31}``. Earlier cases sent one other service
(P-ADDR-04, S-ADDR-02: a real one of another role) and Version 2 and the numeric forms
(P-ADDR-07, S-ADDR-03: 1.0, 01, 1., 1e0, 0x1, V1, 32 digits). Sent here, derived from the served
ServiceId and the catalog (schemas/catalog.toml):

- ``case``: one letter's case swapped — the first, the last, each dot-separated segment's first
  — and the all-lower and all-upper forms (a product comparing case-insensitively, or through
  a lower-cased routing key, serves them);
- ``unit``: the unit prefix replaced with each other unit's of the catalog (a router keyed by
  the part after the dot);
- ``service``: every other service of the same unit in the catalog;
- ``ends``: a letter added at each end, the first and the last character removed, a ``-`` added
  at the end (a prefix, suffix or ``startswith`` comparison);
- ``schema``: spellings the pattern does not admit — a full-width first letter (ｊuki.…,
  U+FF4A), a Cyrillic homoglyph of a letter, a ``.`` at the end, a digit first, a space at
  each end (a product normalising NFKC or stripping before it compares). They are no
  ServiceId at all: docs/faults.md, a header that violates its schema is PF-HEADER-INVALID
  (checks.client_fault_spec expects that code for any header header-v1.xsd refuses);
- ``version``: the served Version with a character added at each end (``11``, ``1a``, ``v1``,
  ``1-``), and the forms the pattern refuses (empty, full-width ``１``, ``1 ``).

Each must be refused — never answered: another service of the catalog PF-PROVIDER-MISROUTED naming
``service:endpoint``, another Version PF-PROVIDER-MISROUTED naming ``service:version`` (README,
adapter-sdk.md's table); a ServiceId no catalog defines PF-PROVIDER-MISROUTED or — docs/faults.md
— PF-SERVICE-UNKNOWN, naming ``service:endpoint`` or ``service:known`` (the hub's); a spelling
the schema refuses PF-HEADER-INVALID (its finding's rule not judged: docs/faults.md names
``xsd:<facet>``, a product may name the header's schema).
"""

from __future__ import annotations

import re
from typing import Any

from . import checks
from .party_domains import post_sample

# header-v1.xsd (test_conformance_round25 checks them against the schema)
SERVICE_ID_PATTERN = r"[A-Za-z][A-Za-z0-9_\-]*(\.[A-Za-z][A-Za-z0-9_\-]*)+"
TOKEN_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._\-]{0,31}"
# Latin letters and a Cyrillic letter drawn the same (a homoglyph a copy-paste brings in)
HOMOGLYPHS = {"a": "\u0430", "c": "\u0441", "e": "\u0435", "i": "\u0456", "j": "\u0458",
              "o": "\u043e", "p": "\u0440", "s": "\u0455", "x": "\u0445", "y": "\u0443",
              "k": "\u043a"}
MISROUTED, HEADER_INVALID = "PF-PROVIDER-MISROUTED", "PF-HEADER-INVALID"
SERVICE_UNKNOWN = "PF-SERVICE-UNKNOWN"


def _swap(text: str, i: int) -> str:
    return text[:i] + text[i].swapcase() + text[i + 1:]


def service_id_neighbours(served: str, catalog: list[str]) -> list[tuple[str, str, str]]:
    """(class, what, spelling) of every neighbour of ``served``; never ``served`` itself."""
    unit, _, rest = served.partition(".")
    starts = [0] + [m.end() for m in re.finditer(r"\.", served)]
    letters = [i for i, c in enumerate(served) if c.isalpha()]
    out = [("case", "the first letter's case swapped", _swap(served, letters[0])),
           ("case", "the last letter's case swapped", _swap(served, letters[-1])),
           *(("case", f"segment {k + 1}'s first letter's case swapped", _swap(served, i))
             for k, i in enumerate(starts) if k),
           ("case", "all lower case", served.lower()),
           ("case", "all upper case", served.upper())]
    units = sorted({s.partition(".")[0] for s in catalog} - {unit})
    out += [("unit", f"unit prefix {u}. instead of {unit}.", f"{u}.{rest}") for u in units]
    out += [("service", f"another service of unit {unit}", s) for s in sorted(catalog)
            if s != served and s.partition(".")[0] == unit]
    out += [("ends", "a letter added at the start", "X" + served),
            ("ends", "a letter added at the end", served + "X"),
            ("ends", "the first character removed", served[1:]),
            ("ends", "the last character removed", served[:-1]),
            ("ends", "a - added at the end", served + "-")]
    glyph = next(i for i, c in enumerate(served) if c in HOMOGLYPHS)
    out += [("schema", "a full-width first letter",
             chr(ord(served[0]) + 0xFEE0) + served[1:]),
            ("schema", f"a Cyrillic {served[glyph]} (U+{ord(HOMOGLYPHS[served[glyph]]):04X})",
             served[:glyph] + HOMOGLYPHS[served[glyph]] + served[glyph + 1:]),
            ("schema", "a . added at the end", served + "."),
            ("schema", "a digit first", "1" + served),
            ("schema", "a space before it", " " + served),
            ("schema", "a space after it", served + " ")]
    seen: set[str] = {served}
    unique = []
    for member in out:  # e.g. the first letter is segment 1's: sent once
        if member[2] not in seen:
            seen.add(member[2])
            unique.append(member)
    return unique


def version_neighbours(served: str) -> list[tuple[str, str, str]]:
    """(class, what, spelling) of the served Version with a character added at each end, and
    the forms TokenType refuses; P-ADDR-07/S-ADDR-03 send the numeric ones."""
    return [("version", "a digit added at the end", served + "1"),
            ("version", "a letter added at the end", served + "a"),
            ("version", "a lower-case v before it", "v" + served),
            ("version", "a - added at the end", served + "-"),
            ("schema", "empty", ""),
            ("schema", "full-width", "".join(chr(ord(c) + 0xFEE0) for c in served)),
            ("schema", "a space after it", served + " ")]


def expected(field: str, spelling: str, catalog: list[str]) -> tuple[list[str], list[str]]:
    """(fault codes, rules) a refusal of ``spelling`` in ``field`` (service_id, service_version)
    may carry; no rules: the finding's rule is not judged."""
    pattern = SERVICE_ID_PATTERN if field == "service_id" else TOKEN_PATTERN
    if not re.fullmatch(pattern, spelling, re.ASCII) or len(spelling) > 128:
        return [HEADER_INVALID], []  # docs/faults.md names no one rule for a header's facet
    if field == "service_version":
        return [MISROUTED], ["service:version"]
    if spelling in catalog:
        return [MISROUTED], ["service:endpoint"]
    # docs/faults.md: a service no loaded catalog defines is PF-SERVICE-UNKNOWN (the hub's
    # service:known); README's PF-PROVIDER-MISROUTED (service:endpoint) is accepted as well
    return [MISROUTED, SERVICE_UNKNOWN], ["service:endpoint", "service:known"]


def members(served: str, version: str, catalog: list[str]) -> list[tuple[str, str, str, str]]:
    """(header field, class, what, spelling) of every member sent for one service."""
    return [*(("service_id", *m) for m in service_id_neighbours(served, catalog)),
            *(("service_version", *m) for m in version_neighbours(version))]


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    if step.target != "neighbours":
        raise ValueError(f"{step.where}: unknown service_spellings {step.target!r} (neighbours)")
    spec = runner._service(runner.instance.service, step.where)
    catalog = sorted(runner.s.catalog.services)
    ctx = runner.s.context
    problems: list[str] = []
    for k, (field, cls, what, spelling) in enumerate(members(spec.id, spec.version, catalog)):
        soap = "1.2" if k % 2 else "1.1"
        name = "ServiceId" if field == "service_id" else "Version"
        at = f"{name} {spelling!r} ({cls}: {what}) SOAP {soap}"
        ex = post_sample(runner, step, values, soap, {field: spelling}, at)
        if ex.error or ex.status is None:
            problems.append(f"{at}: {ex.error or 'no answer'}")
            continue
        codes, rules = expected(field, spelling, catalog)
        found = checks.outcome(ex, "fault")
        if not found:
            want = checks.client_fault_spec(ex, {"code_in": codes} | (
                {"rule_in": rules} if rules else {}), ctx)
            found = checks.fault(ctx, ex, want)
        why = f"{' or '.join(codes)}" + (f" naming {' or '.join(rules)}" if rules else "")
        problems += [f"{at}: {p} (README, docs/faults.md: refused {why})" for p in found]
    return problems
