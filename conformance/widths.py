"""Identifiers at every width their XSD type admits (識別子の桁数): step ``widths`` (P-WIDTH-01,
S-WIDTH-01).

common-v1.xsd: cmn:AddresseeNumberType and cmn:HouseholdNumberType are ``[0-9]{2,15}`` —
strings of 2 to 15 digits, no whitespace facet beyond xs:string's, no numeric value. Their check
digit (M11, weights 2–7 from the right) does not see leading zeros, so ``19``, ``0000000019`` and
``000000000000019`` are all valid, and all different 宛名番号 (README, "Identifiers are compared
as the characters they are"). A product that pads a number to its column's width, trims its
leading zeros or compares it as a number merges them. The other identifiers of the message XSDs
have one width (住民票コード 11, 個人番号 12, 保険者番号 6, 団体コード 6) or are walked elsewhere
(SystemId: party_domains.py and P-EDGE-01/02; RequestId and MessageId: identifiers.py).

What was there: P-EDGE-01 asks 住民照会 by held numbers with a leading zero more, padded to 15
and without their leading zeros (edges.identifier_edges: ``19``, ``10014``, …); S-EDGE-01 sends
notices of a fresh 10-digit number, with a leading zero more and padded to 15. Neither reached
the other providers' inquiries, nor a notice of a number SHORTER than the test data's ten
digits beside its zero-padded form — a CHAR(10) column zero-filled passes both. Added:

- ``@domain_low`` (P-WIDTH-01, every provider inquiry but 住民照会, the role ``domain_low``):
  the held 宛名番号 with the most leading zeros at widths 2, 5, 9, 11 and 15 (its trimmed form,
  and padded), the largest at 11 and 15, and a held number of five significant digits
  (``short_form_addressee``) at 5 and 6 — the twenty-second batch's width — SOAP 1.1 and 1.2 in
  turn. The test data holds none of these forms: each must be answered not-found (not the
  resident whose number it pads or trims to, not a fault). P-DOMAIN-02 asks the held forms.
- ``notices`` (S-WIDTH-01): one 異動通知 of eleven residents, each a 国内転入 with a name of its
  own: a 宛名番号 (and 世帯番号, the same digits) of every width 2–9 — an 8 first, so none is
  a test-data number padded — and beside them the 2-digit one zero-padded to 10 (``86``,
  ``0000000086``) and the 5-digit one padded to 6 and to 10. Its 異動連番 comes from the clock,
  so that a store kept from an earlier run (the short numbers are few) applies it too. The
  receipt must be ``applied``; with ``--observe`` every resident, asked by its number as sent,
  must hold its own name.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from . import grid, grid_notices
from .checks import outcome
from .records import Exchange

LOW_WIDTHS = (2, 5, 9, 11, 15)  # the held number with most leading zeros (0000000019)
HIGH_WIDTHS = (11, 15)  # the largest held number (9999999996)
SHORT_WIDTHS = (5, 6)  # a held number of five significant digits (0000010014)
_DIGITS = "〇一二三四五六七八九"


def forms(number: str, widths: Iterable[int]) -> list[tuple[int, str]]:
    """``number`` trimmed of its leading zeros (two digits at least) and padded to each of
    ``widths`` — never ``number`` itself."""
    core = number.lstrip("0").rjust(2, "0")
    return [(w, core.rjust(w, "0")) for w in widths
            if w >= len(core) and core.rjust(w, "0") != number]


def inquiry_numbers(low: str, high: str, short: str) -> list[tuple[str, str]]:
    """(what, 宛名番号) asked: each a held number at another width."""
    out = []
    for held, widths in ((low, LOW_WIDTHS), (high, HIGH_WIDTHS), (short, SHORT_WIDTHS)):
        out += [(f"{w} digits: held {held} at another width", f) for w, f in forms(held, widths)]
    return out


def notice_numbers(fresh: str) -> list[str]:
    """S-WIDTH-01's 宛名番号, from ``fresh`` (a 10-digit number): every width 2–9 (an 8 first,
    the rest ``fresh``'s digits), the 2-digit one zero-padded to 10, the 5-digit one to 6 and
    10."""
    body = fresh[:-1]
    short = {w: grid.with_check_digit("8" + body[len(body) - (w - 2):] if w > 2 else "8",
                                      "addressee") for w in range(2, 10)}
    return [*short.values(), short[5].rjust(6, "0"), short[5].rjust(10, "0"),
            short[2].rjust(10, "0")]


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    if step.target == "@domain_low":
        return _inquiries(runner, step, values)
    if step.target == "notices":
        return _notices(runner, step, values)
    raise ValueError(f"{step.where}: unknown widths {step.target!r} (@domain_low, notices)")


def _inquiries(runner, step, values) -> list[str]:
    problems: list[str] = []
    numbers = inquiry_numbers(str(values["domain_low_addressee"]),
                              str(values["domain_high_addressee"]),
                              str(values["short_form_addressee"]))
    for k, (what, number) in enumerate(numbers):
        soap = "1.2" if k % 2 else "1.1"
        at = f"[宛名番号 {number} ({what}), SOAP {soap}]"
        ex = runner._post(step.with_options(soap=soap), values, "@domain_low",
                          {"domain_low_addressee": number}, at)
        problems += [f"{at}: {p}" for p in _not_found(ex)]
    return problems


def _not_found(ex: Exchange) -> list[str]:
    if problems := outcome(ex, "response"):
        return problems
    body = ex.envelope().body
    status = body.xpath("string(*[local-name() = 'Status'])")
    if status != "not-found":
        held = body.xpath("string(*/*[local-name() = 'AddresseeNumber'])")
        return [f"Status is {status!r}" + (f" with the record of {held}" if held else "")
                + ": the test data holds no such number (another width is another 宛名番号)"]
    if len(body) > 1:
        return [f"not-found with {etree_name(body[1])}"]
    return []


def etree_name(el) -> str:
    return str(el.tag).rpartition("}")[2]


def _notices(runner, step, values) -> list[str]:
    from .notice_runs import driver  # notice_runs imports the interpreter's modules

    d = driver(runner, step, values)
    ns = {**runner.s.context.namespaces, "pfr": grid_notices.PFR}
    sequence = str(int(time.time() * 1000))  # above any earlier run's on a kept store
    problems: list[str] = []
    names: dict[str, str] = {}
    for k, numbers in enumerate([notice_numbers(d.fresh())]):
        soap = "1.2" if k % 2 else "1.1"
        changes = []
        for number in numbers:
            names[number] = "幅田" + "".join(_DIGITS[int(c)] for c in f"{len(names) + 1}") + \
                "子"
            changes.append((grid_notices.Change(0, sequence, grid_notices.FIRST,
                                                 relationship="01"),
                            number, number, names[number]))
        at = f"[notice {k + 1}: 宛名番号 {', '.join(numbers)}; SOAP {soap}]"
        ex = d.send(grid_notices.notice_body(changes), soap, at, {})
        problems += [f"{at}: {p}" for p in _applied(ex, ns)]
    if d.observe is None:
        return problems
    for number, name in names.items():
        at = f"[observed {number} ({len(number)} digits)]"
        run = d.observe(number, at)
        if run.exit_code != 0 or not isinstance(run.json, dict):
            problems.append(f"{at}: the observe command exited {run.exit_code} with "
                            f"{run.stdout.strip()[:200]!r}; resident {number} was applied")
        elif run.json.get("name") != name:
            problems.append(f"{at}: name is {run.json.get('name')!r}, the notice gave "
                            f"{number} {name!r} — another width's resident?")
    return problems


def _applied(ex: Exchange, ns: Mapping[str, str]) -> list[str]:
    if problems := outcome(ex, "response"):
        return problems
    body = ex.envelope().body
    status = body.xpath("string(pfr:Status)", namespaces=ns)
    sent = ex.sent_header.message_id if ex.sent_header else ""
    problems = [] if status == "applied" else [f"Status is {status!r}, expected applied"]
    if body.xpath("string(pfr:MessageId)", namespaces=ns) != sent:
        problems.append(f"the receipt names another MessageId than the notice's {sent}")
    return problems
