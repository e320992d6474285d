"""外字 tables: a vendor's private-use code points ↔ MJ文字図形名.

A vendor system keeps the characters its character set lacks as 外字: private-use code points
(U+E000–U+F8FF, planes 15–16) whose glyphs only that vendor's fonts know. A 外字 table says which
MJ character each one is, so that names leave the vendor as standard UCS (+ IVS) text and come
back to it as its own codes. The file is UTF-8, tab-separated, ``#`` starts a comment::

    # code    MJ文字図形名   (anything after is a comment for humans)
    U+E000    MJ028902      髙
    U+E001    MJ022335      葛 + IVS

Several codes may name the same MJ character (a vendor registered a glyph twice): going back to
the vendor, the first one listed is used. The adapter SDK applies tables
(``adapters.sdk.characters``); a hub may register a sender's table (hub config ``[[systems]]
gaiji``), which makes that sender's mapped codes acceptable in names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .characters import PRIVATE, CharInfo, MJTable, graphemes, is_private_use, mj_table


class GaijiTableError(ValueError):
    """A 外字 table that cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class GaijiEntry:
    code: str  # the private-use character
    mj: str  # MJ文字図形名
    standard: str  # the MJ character (UCS + optional IVS selector)


class GaijiTable:
    """One vendor's 外字: ``to_standard`` on the way out, ``from_standard`` on the way in."""

    def __init__(self, entries: Iterable[GaijiEntry], source: str = "<table>"):
        self.source = source
        self.entries = tuple(entries)
        self._to_std = {ord(e.code): e.standard for e in self.entries}
        self._from_std: dict[str, str] = {}
        for e in self.entries:
            self._from_std.setdefault(e.standard, e.code)
        self._bases = frozenset(s[0] for s in self._from_std)
        self.private = frozenset(e.code for e in self.entries)  # the codes it maps
        self.standard = frozenset(self._from_std)  # the MJ characters it stores as 外字

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str], table: MJTable | None = None,
                     source: str = "<table>") -> GaijiTable:
        """``{"\\ue000": "MJ028902", …}`` (code → MJ文字図形名)."""
        table = table or mj_table()
        entries = []
        for code, name in mapping.items():
            entries.append(_entry(code, name, table, lambda m: GaijiTableError(f"{source}: {m}")))
        return cls(entries, source)

    @classmethod
    def load(cls, path: str | Path, table: MJTable | None = None) -> GaijiTable:
        path = Path(path)
        table = table or mj_table()
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except OSError as exc:
            raise GaijiTableError(f"{path}: cannot read 外字 table: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise GaijiTableError(f"{path}: a 外字 table must be UTF-8") from None
        entries: list[GaijiEntry] = []
        seen: dict[str, int] = {}
        for number, line in enumerate(lines, 1):
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            if len(fields) < 2:
                raise GaijiTableError(f"{path}:{number}: expected 'U+XXXX MJnnnnnn'")

            def err(message: str, number: int = number) -> GaijiTableError:
                return GaijiTableError(f"{path}:{number}: {message}")

            code = _code(fields[0], err)
            if code in seen:
                raise err(f"U+{ord(code):04X} is already mapped on line {seen[code]}")
            seen[code] = number
            entries.append(_entry(code, fields[1], table, err))
        return cls(entries, str(path))

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, code: str) -> bool:
        return code in self.private

    def to_standard(self, text: str) -> str:
        """The vendor's text as standard text: each mapped 外字 becomes its MJ character.
        Unmapped private-use characters stay (validation reports them, precisely)."""
        return text.translate(self._to_std)

    def from_standard(self, text: str) -> str:
        """Standard text for the vendor: each MJ character the vendor keeps as 外字 (the exact
        sequence, selector included) becomes its code; everything else is untouched."""
        if not self._bases or not any(c in self._bases for c in text):
            return text
        return "".join(self._from_std.get(g, g) for g in graphemes(text))

    def unmapped(self, text: str, table: MJTable | None = None) -> list[CharInfo]:
        """The private-use characters of ``text`` this table does not map."""
        if not any(is_private_use(c) for c in text):
            return []
        return [c for c in (table or mj_table()).characters(text)
                if c.kind == PRIVATE and c.text[0] not in self.private]


def _code(text: str, err: Callable[[str], Exception]) -> str:
    if text.upper().startswith("U+"):
        try:
            code = chr(int(text[2:], 16))
        except (ValueError, OverflowError):
            raise err(f"{text!r} is not a code point like U+E000") from None
    elif len(text) == 1:
        code = text
    else:
        raise err(f"{text!r} is not a code point like U+E000")
    if not is_private_use(code):
        raise err(f"U+{ord(code):04X} is not a private-use code point (外字 are U+E000–U+F8FF "
                  "or planes 15–16)")
    return code


def _entry(code: str, name: str, table: MJTable,
           err: Callable[[str], Exception]) -> GaijiEntry:
    if not (len(code) == 1 and is_private_use(code)):
        raise err(f"{code!r} is not one private-use character")
    standard = table.grapheme(name)
    if standard is None:
        raise err(f"{name!r} is not an MJ文字図形名 of the MJ table (MJ000001…)")
    return GaijiEntry(code, name, standard)
