"""Rules beyond XSD for the characters of names (文字情報基盤), bound to types in the catalog.

``mj_characters``: every character must be in the repertoire of the data owner — MJ (UCS, with
Moji_Joho IVS selectors where MJ needs them, and the JIS X 0213 characters) unless the tenant
says ``characters = "jisx0213"``. ``jisx0213_characters``: JIS X 0213 only, whatever the tenant.
Both refuse private-use characters (外字) unless the sender has a registered 外字 table that
maps them, and characters that are neither (unknown). Each offending character is one finding
naming its code points, MJ文字図形名 and position. Validation never changes the text: selectors
travel exactly as sent.
"""

from __future__ import annotations

import functools

from .characters import JIS, MJ, MJ_IVS, PRIVATE, CharInfo, MJTable, in_jisx0213, mj_table
from .rules import CHARACTER_RULES, Rule, RuleContext

__all__ = ["CHARACTER_RULES", "CharactersRule", "make_character_rule"]


class CharactersRule(Rule):
    def __init__(self, name: str, table: MJTable):
        self.name = name
        self.fixed = "jisx0213" if name == "jisx0213_characters" else None
        self.table = table  # loaded once, when the catalog is

    def problem(self, value: str, ctx: RuleContext) -> tuple[str, ...] | None:
        if in_jisx0213(value):  # every repertoire holds JIS X 0213, and no 外字 encodes in it:
            return None  # the common case, decided by one C call (``outside`` would say [])
        repertoire = self.fixed or ctx.characters
        bad = self.table.outside(value, repertoire)
        problems = tuple(p for p in (self._why(c, ctx, repertoire) for c in bad) if p)
        return problems or None

    def all_pass(self, texts: list[str | None], ctx: RuleContext) -> bool:
        # The common case in one C call: every text joined by a line feed encodes in JIS X 0213
        # exactly when each does (the encoder judges character by character, pairing a base
        # with a combining mark that follows it; a line feed pairs with nothing, and the
        # whitespace ``problem``'s caller strips is ASCII). Anything else: value by value.
        if in_jisx0213("\n".join([text for text in texts if text])):
            return True
        return super().all_pass(texts, ctx)

    def _why(self, c: CharInfo, ctx: RuleContext, repertoire: str) -> str | None:
        where = f"{c.describe()} (character {c.index})"
        if c.kind == PRIVATE:
            if c.text[0] in ctx.gaiji:
                return None  # the sender registered its 外字 table with this hub
            sender = f" {ctx.sender}" if ctx.sender else ""
            return (f"{where}: private-use character (外字) with no 外字 mapping registered for "
                    f"the sender{sender}; send the MJ character instead")
        if c.kind in (MJ, MJ_IVS):
            who = "this field" if self.fixed else (f"団体 {ctx.owner}" if ctx.owner
                                                   else "the data owner")
            return (f"{where}: not in JIS X 0213, which {who} requires "
                    f"(縮退 candidate: {c.substitute()})")
        if c.kind != JIS:
            return f"{where}: {c.note}"
        return None


@functools.cache
def make_character_rule(name: str) -> CharactersRule:
    """One rule per name, shared by every type it is bound to (it keeps no state beyond its
    name and the table): the validator then reads the texts of all names bearing it in one
    libxml2 iteration (typeplan.RuleIndex.groups) instead of one per type."""
    return CharactersRule(name, mj_table())
