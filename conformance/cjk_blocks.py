"""Every Unicode block the MJ table draws from, in a stored name (漢字の符号範囲): S-CJK-01,
points for the notice grid's receiver model (grid_notices.py, step ``grid = "cjk_blocks"``).

docs/characters.md: a name is UCS plus Moji_Joho IVS selectors (MJ characters), never
normalised; the repertoire of ``mj_characters`` is the MJ table (schemas/characters/mj.tsv.gz,
derived from the MJ文字情報一覧表 — ../shared/data/mojikiban/ is its source). A product whose
store, font table or validator knows only some of the blocks the table uses (the BMP's
ideographs, or those and Extension B) refuses or mangles a registered name.

``table_blocks`` computes, FROM the table, which blocks of ``BLOCKS`` its characters lie in
(counting a character by its base, without its selector), and for each block the first and the
last plain character and the first and the last IVS sequence whose base lies there (the IVS
forms are a class of their own: docs/characters.md's ``mj-ivs``). The table of 5 December 2026:
CJK Symbols and Punctuation (々 〆 〻), the Unified Ideographs, Extensions A–F, and the
Compatibility Ideographs; none of the Compatibility Supplement, Extension G or later. A table
character in no block of ``BLOCKS`` is an error of this module (test_conformance_round24 checks
it), not a block left out.

Round 46c, ``rows_sharing_a_key``: the rows a table loaded into a map keyed by one of its columns
loses — the characters of every MJ number listed twice (博 U+535A and 𫧤 U+2B9E4 with two
selectors each: MJ059399, MJ059400) and every IVS sequence of the base with the most selectors (邉
U+9089: 16). The forty-sixth blind batch refused the two 博 sequences; no name held them.

Sent: one resident per block, its Name/Text those characters (first, last, first IVS, last IVS)
after 田 — NameTextType counts code points: the longest is 7 —, and two more, one for each group
of ``rows_sharing_a_key`` (9 and 32 code points), all in two notices over SOAP 1.1 and 1.2.
Judged: each receipt (``applied``, never a refusal: every character is in the repertoire), and
with ``--observe`` each name as sent, code point for code point.
"""

from __future__ import annotations

import gzip
from collections import Counter
from functools import cache
from pathlib import Path

from .grid_notices import FIRST, Change, Point, Send

TABLE = Path(__file__).resolve().parents[1] / "schemas" / "characters" / "mj.tsv.gz"

# Unicode's Blocks.txt (15.1): the blocks of ideographs and of the marks an MJ character may be
BLOCKS = (
    ("CJK Symbols and Punctuation", 0x3000, 0x303F),
    ("CJK Unified Ideographs Extension A", 0x3400, 0x4DBF),
    ("CJK Unified Ideographs", 0x4E00, 0x9FFF),
    ("CJK Compatibility Ideographs", 0xF900, 0xFAFF),
    ("CJK Unified Ideographs Extension B", 0x20000, 0x2A6DF),
    ("CJK Unified Ideographs Extension C", 0x2A700, 0x2B73F),
    ("CJK Unified Ideographs Extension D", 0x2B740, 0x2B81F),
    ("CJK Unified Ideographs Extension E", 0x2B820, 0x2CEAF),
    ("CJK Unified Ideographs Extension F", 0x2CEB0, 0x2EBEF),
    ("CJK Unified Ideographs Extension I", 0x2EBF0, 0x2EE5F),
    ("CJK Compatibility Ideographs Supplement", 0x2F800, 0x2FA1F),
    ("CJK Unified Ideographs Extension G", 0x30000, 0x3134F),
    ("CJK Unified Ideographs Extension H", 0x31350, 0x323AF),
)


def block_of(ch: str) -> str | None:
    cp = ord(ch)
    return next((name for name, low, high in BLOCKS if low <= cp <= high), None)


def table_rows(path: Path = TABLE) -> list[tuple[str, str]]:
    """(MJ number, character) of every row of the MJ table, in its order."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [(number, char) for line in f if not line.startswith("#")
                for number, char, *_ in [line.split("\t")]]


def table_characters(path: Path = TABLE) -> list[str]:
    """Every character of the MJ table (a base, with its selector where it has one)."""
    return [char for _, char in table_rows(path)]


@cache
def table_blocks(path: Path = TABLE) -> dict[str, tuple[str, ...]]:
    """Block → the characters sent for it (first and last plain, first and last IVS), in the
    order of ``BLOCKS``; only the blocks the table uses."""
    plain: dict[str, list[str]] = {}
    ivs: dict[str, list[str]] = {}
    for char in table_characters(path):
        block = block_of(char[0])
        if block is None:
            raise ValueError(f"MJ table character U+{ord(char[0]):04X} in no block of BLOCKS")
        (ivs if len(char) > 1 else plain).setdefault(block, []).append(char)
    out = {}
    for name, _, _ in BLOCKS:
        chars: list[str] = []
        for group in (plain.get(name, []), ivs.get(name, [])):
            ordered = sorted(set(group), key=lambda c: [ord(x) for x in c])
            chars += ordered[:1] + ordered[-1:] if len(ordered) > 1 else ordered
        if chars:
            out[name] = tuple(chars)
    return out


@cache
def rows_sharing_a_key(path: Path = TABLE) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The characters a table loaded into a map keyed by one of its columns loses (round 46c):
    every character of an MJ number the table lists more than once (the IVS sequences the IVD
    registers twice for one glyph: MJ059399 and MJ059400, each in two rows), and every IVS
    sequence of the base character the table gives the most selectors (keyed by the base, one
    selector is kept)."""
    rows = table_rows(path)
    numbers = Counter(number for number, _ in rows)
    shared = tuple(char for number, char in rows if numbers[number] > 1)
    bases = Counter(char[0] for _, char in rows if len(char) > 1)
    base = max(bases, key=lambda b: (bases[b], -ord(b)))
    return shared, tuple(char for _, char in rows if len(char) > 1 and char[0] == base)


def _both_versions(names: list[str]) -> tuple[Send, ...]:
    """One resident per name in a notice over SOAP 1.1, again (fresh residents) over 1.2 (round
    34b: a product normalising on one path only)."""
    n = len(names)
    return tuple(Send(tuple(Change(first + k, "1", FIRST, name=names[k],
                                   relationship="01" if first + k == 0 else "02")
                            for k in range(n)), soap=soap)
                 for first, soap in ((0, "1.1"), (n, "1.2")))


def cjk_points() -> list[Point]:
    blocks = table_blocks()
    names = ["田" + "".join(chars) for chars in blocks.values()]
    what = (f"{len(blocks)} Unicode blocks of the MJ table, a resident each (first and last "
            f"character, first and last IVS sequence of the block), in each SOAP version")
    shared, selectors = rows_sharing_a_key()
    keyed = ["田" + "".join(shared), "".join(selectors)]
    shadowed = (f"the rows a map keyed by one column of the MJ table loses: the {len(shared)} "
                f"sequences of MJ numbers listed twice, in one name; the {len(selectors)} IVS "
                f"sequences of {selectors[0][0]}, in another; in each SOAP version")
    return [Point("characters", what, 2 * len(names), _both_versions(names)),
            Point("characters", shadowed, 2 * len(keyed), _both_versions(keyed))]
