"""The rules of one item (項目): type, length, code list, check digit, characters.

``compile_item`` turns an ``Item`` into one function ``value → (rule, message) | None`` made of
the few string operations that item needs, so that a million rows check fast. Messages describe
the problem in general terms and never quote the value (see ``findings``). An empty value is the
caller's business (``required``).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bus.core.characters import PRIVATE, MJTable, graphemes, in_jisx0213, mj_table
from bus.core.codelists import CodeList
from bus.core.identifiers import (DEFAULT_ADDRESSEE_SCHEME, AddresseeNumberScheme,
                                  Modulus11Scheme, is_valid_local_gov_code)

from .layout import Item

Problem = tuple[str, str] | None
Check = Callable[[str], Problem]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_KATAKANA = re.compile("[\u30a1-\u30f6\u30fb\u30fc\u3000 ]+")  # 全角カタカナ, ・ー and spaces
_CODE = re.compile(r"[0-9A-Za-z\-]+")


@dataclass(frozen=True)
class ItemRules:
    """What item rules depend on besides the layout: the tenant and the 外字 agreement."""

    addressee_scheme: AddresseeNumberScheme = DEFAULT_ADDRESSEE_SCHEME  # 宛名番号の検査数字方式
    gaiji: frozenset[str] = frozenset()  # private-use codes an agreed 外字 table maps
    table: MJTable | None = field(default=None, compare=False)


@functools.lru_cache(maxsize=200_000)  # bounded: there are ~73,000 days in two centuries
def date_problem(value: str) -> str | None:
    if len(value) != 8 or not (value.isascii() and value.isdigit()):
        return "is not a date YYYYMMDD (8 digits)"
    try:
        dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return "is not a day of the calendar (YYYYMMDD)"
    return None


@functools.lru_cache(maxsize=4096)
def _local_gov_code_ok(value: str) -> bool:
    return is_valid_local_gov_code(value)


# Check digits by a weighted sum over the ASCII bytes (a digit's byte is 48 + its value): the
# same arithmetic as bus.core.identifiers, in one C-level pass per value. The tests hold both to
# the same answers.
_INDIVIDUAL_WEIGHTS = tuple(n + 1 if n <= 6 else n - 5 for n in range(11, 0, -1))
_INDIVIDUAL_OFFSET = 48 * sum(_INDIVIDUAL_WEIGHTS)


def individual_number_ok(v: str) -> bool:
    if len(v) != 12 or not (v.isascii() and v.isdigit()):
        return False
    r = (sum(map(operator.mul, _INDIVIDUAL_WEIGHTS, v[:11].encode())) - _INDIVIDUAL_OFFSET) % 11
    return ord(v[11]) - 48 == (0 if r <= 1 else 11 - r)


def addressee_check(scheme: AddresseeNumberScheme) -> Callable[[str], str | None]:
    """``value → problem | None`` for a 宛名番号 scheme, fast for modulus 11."""
    if not isinstance(scheme, Modulus11Scheme):
        return scheme.problem
    weights, length, remainder_one = scheme.weights, scheme.length, scheme.remainder_one
    by_length = {n: (w, 48 * sum(w)) for n in range(1, 40)
                 for w in [tuple(weights[i % len(weights)] for i in range(n - 1, -1, -1))]}

    def problem(v: str) -> str | None:
        n = len(v)
        if n < 2 or n >= 40 or not (v.isascii() and v.isdigit()) or \
                (length is not None and n != length):
            return scheme.problem(v) or "is not a number of this scheme"
        w, offset = by_length[n - 1]
        r = (sum(map(operator.mul, w, v[:-1].encode())) - offset) % 11
        digit = 0 if r == 0 else remainder_one if r == 1 else 11 - r
        return None if ord(v[-1]) - 48 == digit else scheme.problem(v)
    return problem


def _length_of(value: str) -> int:
    """Characters as people count them: an IVS sequence or a base with marks is one."""
    return sum(1 for _ in graphemes(value))


def compile_item(item: Item, codelists: dict[str, CodeList], rules: ItemRules) -> Check:
    steps: list[Check] = []
    n = item.length
    if item.type in ("number", "code", "date"):
        if item.type == "number":
            def number(v: str) -> Problem:
                digits = v[1:] if v[:1] == "-" else v
                if not (digits.isascii() and digits.isdigit()):
                    return "type:number", "is not an integer (ASCII digits, optional leading -)"
                if n is not None and (len(digits) != n if item.exact else len(digits) > n):
                    return "length", f"has {len(digits)} digits; the layout says " + (
                        f"exactly {n}" if item.exact else f"at most {n}")
                return None
            steps.append(number)
        elif item.type == "date":
            steps.append(_date_check)
        else:
            def code(v: str) -> Problem:
                if not _CODE.fullmatch(v):
                    return "type:code", "is not a code (ASCII letters, digits and -)"
                if n is not None and (len(v) != n if item.exact else len(v) > n):
                    return "length", f"has {len(v)} characters; the layout says " + (
                        f"exactly {n}" if item.exact else f"at most {n}")
                return None
            steps.append(code)
    else:
        def text(v: str) -> Problem:
            if _CONTROL.search(v):
                what = "a line break" if ("\n" in v or "\r" in v) else "a control character"
                return "characters:control", f"holds {what}; a text item is one line"
            if n is not None and len(v) > n:  # graphemes ≤ code points: count only when needed
                length = _length_of(v)
                if length != n if item.exact else length > n:
                    return "length", f"has {length} characters; the layout says " + (
                        f"exactly {n}" if item.exact else f"at most {n}")
            return None
        steps.append(text)
    if item.codelist:
        labels = codelists[item.codelist].labels
        name = item.codelist

        def codelist(v: str) -> Problem:
            return None if v in labels else (f"codelist:{name}",
                                             f"is not a code of code list {name}")
        steps.append(codelist)
    identifier = identifier_check(item, rules)
    if identifier is not None:
        steps.append(identifier)
    if item.characters in ("katakana", "ascii"):
        steps.append(_characters(item.characters, rules))
    if len(steps) == 1:
        return steps[0]

    def check(v: str) -> Problem:
        for step in steps:
            problem = step(v)
            if problem is not None:
                return problem
        return None
    return check


def _date_check(v: str) -> Problem:
    problem = date_problem(v)
    return None if problem is None else ("type:date", problem)


def identifier_check(item: Item, rules: ItemRules) -> Check | None:
    """The check digit of an identifier item (its form checked elsewhere), or None."""
    if item.identifier == "local_gov_code":
        return lambda v: None if _local_gov_code_ok(v) else (
            "identifier:local_gov_code", "is not a 団体コード (6 digits, check digit)")
    if item.identifier == "individual_number":
        return lambda v: None if individual_number_ok(v) else (
            "identifier:individual_number", "is not a 個人番号 (12 digits, check digit)")
    if item.identifier == "addressee_number":
        scheme_problem = addressee_check(rules.addressee_scheme)
        last_ok = [""]  # 世帯番号 repeats row after row for a household's members

        def addressee(v: str) -> Problem:
            if v == last_ok[0]:
                return None
            problem = scheme_problem(v)
            if problem is None:
                last_ok[0] = v
                return None
            return "identifier:addressee_number", problem
        return addressee
    return None


def semantic_check(item: Item, rules: ItemRules) -> Check | None:
    """What ``row_pattern`` cannot see of an item whose form it matched: a calendar day, a check
    digit. None when the pattern says it all."""
    if item.type == "date":
        return _date_check
    return identifier_check(item, rules)


def repertoire_check(item: Item, rules: ItemRules) -> Check | None:
    """The MJ / JIS X 0213 rule of a text item, kept apart from ``compile_item``: a validator
    tests a whole row's names at once (``in_jisx0213`` of them joined) and calls this only for
    the rows where that fails."""
    if item.characters in ("mj", "jisx0213"):
        return _characters(item.characters, rules)
    return None


def _characters(rule: str, rules: ItemRules) -> Check:
    if rule == "katakana":
        return lambda v: None if _KATAKANA.fullmatch(v) else (
            "characters:katakana", "holds characters other than 全角カタカナ, ・, ー and spaces")
    if rule == "ascii":
        return lambda v: None if v.isascii() and v.isprintable() else (
            "characters:ascii", "holds characters other than printable ASCII")
    repertoire = "jisx0213" if rule == "jisx0213" else "mj"
    gaiji = rules.gaiji

    def characters(v: str) -> Problem:
        if in_jisx0213(v):  # one C call for most names
            return None
        table = rules.table or mj_table()
        for info in table.outside(v, repertoire):
            if info.kind == PRIVATE:
                if info.text[0] in gaiji:
                    continue
                return ("characters:private-use",
                        f"character {info.index} is {info.codepoints}, a private-use 外字 that "
                        "no 外字 table maps: map it to its MJ character on export")
            return (f"characters:{repertoire}",
                    f"character {info.index} ({info.describe()}) is not "
                    + ("in JIS X 0213" if repertoire == "jisx0213" else
                       "an MJ character or JIS X 0213") + (f": {info.note}" if info.note else ""))
        return None
    return characters


def row_pattern(items: Sequence[Item], codelists: Mapping[str, CodeList]) -> re.Pattern[str]:
    """One regular expression a quote-free line matches when every item's *form* is right:
    present if required, type, length in code points, code list, no control character, katakana
    / ASCII where declared. What it cannot see (calendar days, check digits, MJ characters) is
    checked after it; a line it does not match goes through ``compile_item``'s checks one item
    at a time, which say precisely what is wrong. Both accept exactly the same lines."""
    parts = []
    for item in items:
        n = item.length
        size = "+" if n is None else (f"{{{n}}}" if item.exact else f"{{1,{n}}}")
        if item.codelist:
            codes = sorted(codelists[item.codelist].labels, key=len, reverse=True)
            pat = "(?:" + "|".join(map(re.escape, codes)) + ")"
            if n is not None:  # a code list entry may be longer than the item: form must hold
                pat = f"(?=[0-9A-Za-z\\-]{size}(?:,|$)){pat}"
        elif item.type == "code":
            pat = f"[0-9A-Za-z\\-]{size}"
        elif item.type == "number":
            pat = f"-?[0-9]{size}"
        elif item.type == "date":
            pat = "[0-9]{8}"
        elif item.characters == "katakana":
            pat = f"[\u30a1-\u30f6\u30fb\u30fc\u3000 ]{size}"
        elif item.characters == "ascii":
            pat = f"[\\x20-\\x21\\x23-\\x2b\\x2d-\\x7e]{size}"
        else:  # text: graphemes ≤ code points, so ≤ n code points is within the length
            pat = f"[^\\x00-\\x1f\\x7f,\"]{'+' if n is None else f'{{1,{n}}}'}"
            if item.exact:
                pat = f"[^\\x00-\\x1f\\x7f,\"]{{{n}}}"
        parts.append(pat if item.required else f"(?:{pat})?")
    return re.compile(",".join(parts))
