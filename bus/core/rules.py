"""Rules beyond XSD (XSD外の検証規則): check digits and code lists.

A rule judges the text of one element. Rules are bound to schema types in the catalog, never to
element names in code, so an official schema set is checked by binding its types to these rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .codelists import CodeList
from .identifiers import (DEFAULT_ADDRESSEE_SCHEME, AddresseeNumberScheme,
                          is_valid_individual_number, is_valid_local_gov_code)


@dataclass(frozen=True)
class RuleContext:
    """What a rule may need beyond the value: the data owner's 宛名番号 scheme and character
    repertoire ("mj" or "jisx0213"), the sender's registered 外字 (private-use characters)."""

    addressee_scheme: AddresseeNumberScheme = DEFAULT_ADDRESSEE_SCHEME
    characters: str = "mj"
    gaiji: frozenset[str] = frozenset()
    owner: str = ""  # 団体コード of the data owner, for findings
    sender: str = ""  # the sending system, for findings


WHITESPACE = " \t\r\n"  # what XSD's whitespace facets collapse: stripped from a value's ends


class Rule:
    name: str

    def problem(self, value: str, ctx: RuleContext
                ) -> str | tuple[str, ...] | None:  # pragma: no cover - abstract
        """None when valid; else the problem, or several (one finding each)."""
        raise NotImplementedError

    def all_pass(self, texts: list[str | None], ctx: RuleContext) -> bool:
        """Whether ``problem`` finds nothing in any of ``texts`` — elements' text as lxml gives
        it (None for none), each judged as ``(text or "").strip(WHITESPACE)``.

        Exactly ``all(problem(value) is None …)``; rules override it to decide the many values
        of a big message with fewer Python steps (issue 13: a 100 KB answer has ~1,200 values
        with rules)."""
        problem = self.problem
        for text in texts:
            if problem((text or "").strip(WHITESPACE), ctx) is not None:
                return False
        return True


MAX_KNOWN_CODES = 4096  # 団体コード whose check digit LocalGovCodeRule keeps decided


class LocalGovCodeRule(Rule):
    """団体コード: six digits, the sixth a check digit over the JIS X 0402 code.

    Every header names two (Sender, Receiver), both ways, and a hub sees few distinct ones: each
    value is decided once and remembered (a dict look-up instead of ~10 k instructions of check
    digit per value, issue 13). The memory is bounded: past ``MAX_KNOWN_CODES`` values it
    starts over, so arbitrary values sent cannot grow it."""

    name = "local_gov_code"

    def __init__(self) -> None:
        self._known: dict[str, bool] = {}

    def problem(self, value: str, ctx: RuleContext) -> str | None:
        valid = self._known.get(value)
        if valid is None:
            valid = is_valid_local_gov_code(value)
            if len(self._known) >= MAX_KNOWN_CODES:
                self._known.clear()
            self._known[value] = valid
        if valid:
            return None
        return "団体コード check digit does not match (weights 6-5-4-3-2, modulus 11)"


class IndividualNumberRule(Rule):
    """個人番号: twelve digits, the last a check digit (番号法施行令)."""

    name = "individual_number"

    def problem(self, value: str, ctx: RuleContext) -> str | None:
        if is_valid_individual_number(value):
            return None
        return "個人番号 check digit does not match"

    def all_pass(self, texts: list[str | None], ctx: RuleContext) -> bool:
        for text in texts:
            if not is_valid_individual_number((text or "").strip(WHITESPACE)):
                return False
        return True


class AddresseeNumberRule(Rule):
    """宛名番号: checked with the scheme of the municipality that owns the data."""

    name = "addressee_number"

    def problem(self, value: str, ctx: RuleContext) -> str | None:
        why = ctx.addressee_scheme.problem(value)
        return None if why is None else f"宛名番号 {why}"

    def all_pass(self, texts: list[str | None], ctx: RuleContext) -> bool:
        return ctx.addressee_scheme.all_valid([(text or "").strip(WHITESPACE) for text in texts])


@dataclass(frozen=True)
class CodeListRule(Rule):
    """The value must be a code of a code list (性別, 続柄, 異動事由 …)."""

    codelist: CodeList
    name: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"codelist:{self.codelist.name}")

    def problem(self, value: str, ctx: RuleContext) -> str | None:
        if value in self.codelist.labels:  # CodeList.__contains__ without its Python call
            return None
        return f"{value!r} is not a code of code list {self.codelist.name}"

    def all_pass(self, texts: list[str | None], ctx: RuleContext) -> bool:
        # a code list's values repeat (性別, 続柄 …): each distinct text is judged once
        codes = self.codelist.labels
        for text in set(texts):
            if (text or "").strip(WHITESPACE) not in codes:
                return False
        return True


SIMPLE_RULES: Mapping[str, Rule] = {
    r.name: r for r in (LocalGovCodeRule(), IndividualNumberRule(), AddresseeNumberRule())}
CHARACTER_RULES = ("mj_characters", "jisx0213_characters")  # bus.core.character_rules
RULE_NAMES = (*SIMPLE_RULES, *CHARACTER_RULES, "codelist")


def make_rule(name: str, codelist: CodeList | None) -> Rule:
    if name in CHARACTER_RULES:
        from .character_rules import make_character_rule  # loads the MJ table, once
        return make_character_rule(name)
    if name == "codelist":
        assert codelist is not None
        return CodeListRule(codelist)
    return SIMPLE_RULES[name]
