"""Characters in a migration (データ移行): the vendor's 外字 codes → MJ characters on export,
MJ → what the target stores (its 外字 codes, or 縮退 for a JIS X 0213-only target) on import,
every change counted by code point and MJ文字図形名 (never the text it occurred in)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from bus.core.characters import MJTable, graphemes, in_jisx0213, is_private_use, mj_table, \
    shrink_text
from bus.core.gaiji import GaijiTable
from bus.migration.manifest import CharacterChange

_PRIVATE = re.compile("[\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd]")


class CharacterLedger:
    """Counts character changes by kind, source and target (code points and MJ names only)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def add(self, kind: str, source: str, target: str, n: int = 1) -> None:
        self.counts[(kind, source, target)] += n

    def changes(self) -> tuple[CharacterChange, ...]:
        return tuple(CharacterChange(s, t, k, n) for (k, s, t), n in sorted(self.counts.items()))


def _cp(text: str) -> str:
    return " ".join(f"U+{ord(c):04X}" for c in text)


def _mj_names(gaiji: GaijiTable) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """(code → MJ name, MJ character → (MJ name, code)) of a 外字 table."""
    by_code = {e.code: e.mj for e in gaiji.entries}
    by_standard: dict[str, tuple[str, str]] = {}
    for e in gaiji.entries:
        by_standard.setdefault(e.standard, (e.mj, e.code))
    return by_code, by_standard


class SourceCharacters:
    """Export side: the vendor's 外字 codes → MJ characters, counted."""

    def __init__(self, gaiji: GaijiTable | None, ledger: CharacterLedger):
        self.gaiji, self.ledger = gaiji, ledger
        self._names = _mj_names(gaiji)[0] if gaiji else {}

    def __call__(self, text: str) -> str:
        if not _PRIVATE.search(text):
            return text
        for ch in text:
            if is_private_use(ch):
                name = self._names.get(ch)
                if name is None:
                    self.ledger.add("gaiji-unmapped", _cp(ch), "-")
                else:
                    self.ledger.add("gaiji-to-mj", _cp(ch), name)
        return self.gaiji.to_standard(text) if self.gaiji else text


class TargetCharacters:
    """Import side: what the target stores. ``characters="jisx0213"``: 縮退 of every character
    outside JIS X 0213 that its 外字 table does not keep; then the MJ characters its table keeps
    become its codes. Returns (stored text, the registered text when it differs by 縮退)."""

    def __init__(self, gaiji: GaijiTable | None = None, characters: str = "mj",
                 table: MJTable | None = None):
        if characters not in ("mj", "jisx0213"):
            raise ValueError("characters must be 'mj' or 'jisx0213'")
        self.gaiji, self.characters = gaiji, characters
        self.table = table
        self._by_standard = _mj_names(gaiji)[1] if gaiji else {}
        self._keep = gaiji.standard if gaiji else frozenset()

    def convert(self, text: str, ledger: CharacterLedger) -> tuple[str, str | None]:
        if in_jisx0213(text):
            return text, None
        table = self.table or mj_table()
        original = None
        if self.characters == "jisx0213":
            shrunk, subs = shrink_text(text, table, self._keep)
            for s in subs:
                ledger.add("shrink", s.original.mj or s.original.codepoints, _cp(s.substitute))
            if subs:
                original, text = text, shrunk
        if self._by_standard:
            out = []
            for g in graphemes(text):
                hit = self._by_standard.get(g)
                if hit is not None:
                    ledger.add("mj-to-gaiji", hit[0], _cp(hit[1]))
                    out.append(hit[1])
                else:
                    out.append(g)
            text = "".join(out)
        return text, original


def character_summary(changes: Iterable[CharacterChange]) -> list[str]:
    """``MJ028902 → U+9AD8 (縮退) ×2`` lines, by MJ文字図形名."""
    label = {"gaiji-to-mj": "外字→MJ", "mj-to-gaiji": "MJ→外字", "shrink": "縮退",
             "gaiji-unmapped": "外字 without a table entry"}
    return [f"{c.source} → {c.target} ({label.get(c.kind, c.kind)}) ×{c.count}" for c in changes]

