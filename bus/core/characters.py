"""Characters of names (文字情報基盤): what each character of a text is, and its 縮退.

A text is read as *graphemes*: a base character, any combining marks that follow it (JIS X 0213
has sequences such as か゚), and an optional Moji_Joho IVS selector (U+E0100–U+E01EF) — the
selector is part of the character, never a character of its own. Each grapheme is one of:

* ``jisx0213`` — in JIS X 0213 (``grapheme.encode("euc_jis_2004")`` succeeds; a grapheme with a
  selector never is: the selector picks a glyph JIS X 0213 cannot name);
* ``mj`` — an MJ character without a selector (髙 MJ028902, 𠮷 MJ032129);
* ``mj-ivs`` — an MJ character through an IVS sequence (葛 + U+E0102 = MJ022335);
* ``private-use`` — U+E000–U+F8FF or planes 15–16: a vendor's 外字, meaningful only with a table;
* ``unknown`` — anything else (a sequence outside the Moji_Joho collection, a lone selector…).

A JIS X 0213 character may also be an MJ character (高 is MJ028901): ``CharInfo.mj`` names it.
Nothing here normalises (NFC/NFKC would fold compatibility ideographs and drop glyph identity).
The MJ data is ``schemas/characters/mj.tsv.gz`` (CC BY-SA 2.1 JP, see its README), read once.
"""

from __future__ import annotations

import codecs
import functools
import gzip
import itertools
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import schemas

TABLE = Path(schemas.__file__).with_name("characters") / "mj.tsv.gz"
ATTRIBUTION = "MJ文字情報一覧表 (文字情報技術促進協議会 / IPA), CC BY-SA 2.1 JP"

JIS = "jisx0213"
MJ = "mj"
MJ_IVS = "mj-ivs"
PRIVATE = "private-use"
UNKNOWN = "unknown"
KINDS = (JIS, MJ, MJ_IVS, PRIVATE, UNKNOWN)
REPERTOIRES = ("mj", "jisx0213")  # what a tenant requires or a receiver stores
GETA = "〓"  # 下駄記号: the customary stand-in where no 縮退 candidate exists

_SELECTOR_FIRST, _SELECTOR_LAST = 0xE0100, 0xE01EF


def is_selector(ch: str) -> bool:
    """An IVS selector (VS17–VS256), the range of the Moji_Joho collection."""
    return _SELECTOR_FIRST <= ord(ch) <= _SELECTOR_LAST


def is_variation_selector(ch: str) -> bool:
    """Any variation selector: IVS (U+E0100–U+E01EF) or standardized (U+FE00–U+FE0F)."""
    cp = ord(ch)
    return _SELECTOR_FIRST <= cp <= _SELECTOR_LAST or 0xFE00 <= cp <= 0xFE0F


def is_private_use(ch: str) -> bool:
    cp = ord(ch)
    return 0xE000 <= cp <= 0xF8FF or 0xF0000 <= cp <= 0xFFFFD or 0x100000 <= cp <= 0x10FFFD


def codepoints(text: str) -> str:
    """``"U+845B U+E0102"``."""
    return " ".join(f"U+{ord(c):04X}" for c in text)


def mj_name(number: int) -> str:
    return f"MJ{number:06d}"


def _jis_repertoire() -> frozenset[str]:
    """Every string one JIS X 0213 code decodes to (EUC-JIS-2004: ASCII, the half-width kana of
    0x8E, plane 1 in two bytes, plane 2 after 0x8F), i.e. what ``encode`` accepts, as a set."""
    found: set[str] = set()

    def add(raw: bytes) -> None:
        try:
            found.add(raw.decode("euc_jis_2004"))
        except UnicodeDecodeError:
            pass

    for b in range(0x80):
        add(bytes((b,)))
    rows = range(0xA1, 0xFF)
    for b in rows:
        add(bytes((0x8E, b)))
    for hi, lo in itertools.product(rows, rows):
        add(bytes((hi, lo)))
        add(bytes((0x8F, hi, lo)))
    return frozenset(found)


@functools.cache
def jis_repertoire() -> frozenset[str]:
    return _jis_repertoire()


# The codec's encoder, looked up once: ``str.encode("euc_jis_2004")`` looks the codec up by
# name on every call, most of its ~3.8 k instructions for a short name (issue 13: ~11 names per
# answer). The same encoder, so the same answer.
_EUC_JIS_2004 = codecs.lookup("euc_jis_2004").encode


def in_jisx0213(text: str) -> bool:
    """Whether ``text`` encodes in JIS X 0213 (EUC-JIS-2004), the definition used throughout."""
    try:
        _EUC_JIS_2004(text)
    except UnicodeEncodeError:
        return False
    return True


def graphemes(text: str) -> Iterator[str]:
    """Base character + combining marks + optional variation selector, in order; a selector
    with nothing before it is a grapheme of its own (and classifies as unknown)."""
    if text.isascii() or not any(unicodedata.combining(c) or is_variation_selector(c)
                                 for c in text):
        yield from text  # no marks, no selectors: one character each (most names)
        return
    start, n = 0, len(text)
    while start < n:
        end = start + 1
        if not is_variation_selector(text[start]):
            while end < n and unicodedata.combining(text[end]) and \
                    not is_variation_selector(text[end]):
                end += 1
            if end < n and is_variation_selector(text[end]):
                end += 1
        yield text[start:end]
        start = end


@dataclass(frozen=True, slots=True)
class CharInfo:
    """One grapheme of a text, classified."""

    text: str  # exactly as in the input: base, marks, selector
    kind: str  # one of KINDS
    mj: str | None  # MJ文字図形名 (MJ028902) when it is an MJ character
    shrink: str  # 縮退 candidates inside JIS X 0213, best first ("" when none)
    index: int  # 1-based position among the text's graphemes
    note: str = ""  # why it is unknown

    @property
    def codepoints(self) -> str:
        return codepoints(self.text)

    @property
    def selector(self) -> str | None:
        return self.text[-1] if is_variation_selector(self.text[-1]) else None

    def describe(self) -> str:
        """``U+9AD9 髙 MJ028902`` — the character as findings and reports name it."""
        shown = "" if self.kind == PRIVATE or self.text.isspace() else f" {self.text}"
        return f"{self.codepoints}{shown}" + (f" {self.mj}" if self.mj else "")

    def substitute(self) -> str:
        """The 縮退 substitute for a receiver storing only JIS X 0213: the MJ data's first
        candidate, else the base character where only the selector is outside JIS X 0213,
        else 〓. Only meaningful when ``kind`` is not JIS."""
        if self.shrink:
            return self.shrink[0]
        base = self.text[:-1] if self.selector else ""
        return base if base and in_jisx0213(base) else GETA


class MJTable:
    """The MJ characters: grapheme → (MJ number, 縮退 candidates), and back. Load once."""

    def __init__(self, entries: dict[str, tuple[int, str]], preferred: dict[int, str]):
        self._entries = entries
        self._preferred = preferred  # MJ number → its grapheme (the first form listed)
        self._jis = jis_repertoire()

    @classmethod
    def load(cls, path: Path = TABLE) -> MJTable:
        entries: dict[str, tuple[int, str]] = {}
        preferred: dict[int, str] = {}
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.startswith("#"):
                    continue
                number_text, char, shrink = line.rstrip("\n").split("\t")
                number = int(number_text)
                entries[char] = (number, shrink)
                preferred.setdefault(number, char)
        return cls(entries, preferred)

    def __len__(self) -> int:
        return len(self._preferred)

    def grapheme(self, name: str) -> str | None:
        """The character of an MJ文字図形名 (``MJ022335`` → 葛 + U+E0102), or None."""
        if len(name) != 8 or not name.startswith("MJ") or not name[2:].isdigit():
            return None
        return self._preferred.get(int(name[2:]))

    def classify(self, grapheme: str, index: int = 1) -> CharInfo:
        """One grapheme (as ``graphemes`` yields them): a few dict/set look-ups."""
        entry = self._entries.get(grapheme)
        name = mj_name(entry[0]) if entry else None
        shrink = entry[1] if entry else ""
        first = grapheme[0]
        if is_private_use(first):
            return CharInfo(grapheme, PRIVATE, None, "", index)
        has_selector = is_variation_selector(grapheme[-1])
        if not has_selector and (grapheme in self._jis or in_jisx0213(grapheme)):
            return CharInfo(grapheme, JIS, name, shrink, index)
        if entry is not None:
            return CharInfo(grapheme, MJ_IVS if has_selector else MJ, name, shrink, index)
        if is_variation_selector(first):
            note = "a variation selector with no character before it"
        elif has_selector:
            base = self._entries.get(grapheme[:-1])
            note = ("a variation sequence outside the Moji_Joho collection (MJ)"
                    if is_selector(grapheme[-1]) else "a standardized variation sequence, not MJ")
            shrink = base[1] if base else (grapheme[:-1] if in_jisx0213(grapheme[:-1]) else "")
        else:
            note = "neither in JIS X 0213 nor an MJ character"
        return CharInfo(grapheme, UNKNOWN, None, shrink, index, note)

    def characters(self, text: str) -> list[CharInfo]:
        return [self.classify(g, i) for i, g in enumerate(graphemes(text), 1)]

    def outside(self, text: str, repertoire: str) -> list[CharInfo]:
        """The graphemes of ``text`` a ``repertoire`` ("mj" or "jisx0213") does not hold, plus
        every private-use one (a 外字 belongs to no repertoire). Fast when all is JIS X 0213."""
        if in_jisx0213(text):  # one C call: the common case, whatever the repertoire
            return []
        allowed = (JIS,) if repertoire == "jisx0213" else (JIS, MJ, MJ_IVS)
        jis, out = self._jis, []
        for index, grapheme in enumerate(graphemes(text), 1):
            if grapheme in jis:  # a set look-up for most characters of a name
                continue
            info = self.classify(grapheme, index)
            if info.kind not in allowed:
                out.append(info)
        return out


@functools.cache
def mj_table() -> MJTable:
    """The shipped MJ table, loaded on first use and kept (hub start, SDK start, CLI)."""
    return MJTable.load()


@dataclass(frozen=True)
class Substitution:
    """One 縮退: which MJ character was replaced by what, where (never the text around it)."""

    original: CharInfo
    substitute: str

    def describe(self) -> str:
        name = self.original.mj or self.original.codepoints
        return f"{name}→{codepoints(self.substitute)}"


def shrink_text(text: str, table: MJTable | None = None,
                keep: frozenset[str] = frozenset()) -> tuple[str, list[Substitution]]:
    """``text`` for a receiver that stores only JIS X 0213: every grapheme outside it replaced by
    its 縮退 substitute (``CharInfo.substitute``), except those in ``keep`` (the receiver's own
    外字 stand in for them) and private-use ones (already 外字). Returns (new text, what changed).
    """
    if in_jisx0213(text):
        return text, []
    table = table or mj_table()
    out: list[str] = []
    changes: list[Substitution] = []
    for info in table.characters(text):
        if info.kind in (JIS, PRIVATE) or info.text in keep:
            out.append(info.text)
            continue
        sub = info.substitute()
        out.append(sub)
        changes.append(Substitution(info, sub))
    return "".join(out), changes
