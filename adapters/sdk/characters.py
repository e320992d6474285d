"""Characters at a vendor system's edge (文字): its 外字 table and what it can store.

On the platform, names are standard text: UCS plus Moji_Joho IVS selectors (MJ), never
normalised. A vendor system differs in two ways, both declared here once per adapter:

* it keeps some characters as 外字 (private-use codes only its fonts know): a
  :class:`GaijiTable` (``GaijiTable.load(path)``: code → MJ文字図形名) turns them into MJ on the way
  out (``to_standard``) and back on the way in (``from_standard``);
* it may store only JIS X 0213 (``characters="jisx0213"``): on the way in, each name field with
  characters outside it gets its 縮退 (the MJ data's substitute, 〓 where there is none) and the
  name as sent is kept in the field's ``Original`` element (``cmn:NameType``).

``CharacterPolicy`` holds both; ``ProviderApp(..., characters=policy)`` and
``ConsumerClient(..., characters=policy)`` apply it to every body (``outbound`` before a body
leaves, ``inbound`` after one arrived and was checked). The bytes on the wire stay the standard
text, byte for byte: the hub never rewrites a message. Unmapped 外字 are not guessed at: the
validation of the provider (and the hub) refuses them, naming the code point, field and line.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from bus.core.catalog import Catalog
from bus.core.characters import REPERTOIRES, CharInfo, mj_table
from bus.core.gaiji import GaijiTable, GaijiTableError
from bus.core.shrink import FieldSubstitution, apply_shrink
from schemas import BUILTIN_CATALOG

__all__ = ["CharacterPolicy", "GaijiTable", "GaijiTableError", "FieldSubstitution"]


class CharacterPolicy:
    """One vendor system's 外字 table (optional) and repertoire ("mj" or "jisx0213")."""

    def __init__(self, gaiji: GaijiTable | str | Path | None = None, characters: str = "mj", *,
                 catalog: Catalog | None = None,
                 catalogs: Sequence[Path | str] = (BUILTIN_CATALOG,)):
        if characters not in REPERTOIRES:
            raise ValueError(f"characters must be one of {', '.join(REPERTOIRES)}")
        self.gaiji = GaijiTable.load(gaiji) if isinstance(gaiji, (str, Path)) else gaiji
        self.characters = characters
        self._catalog = catalog
        self._catalogs = tuple(catalogs)
        mj_table()  # load the MJ data now, not on the first message

    def bind(self, catalog: Catalog | None = None) -> CharacterPolicy:
        """Use ``catalog`` (the provider's own) to find name fields, or compile the configured
        catalogs now rather than on the first message; the SDK calls this at start."""
        if self._catalog is None and catalog is not None:
            self._catalog = catalog
        elif self.characters == "jisx0213":
            self.catalog  # noqa: B018 - compiled once, now
        return self

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog.load(list(self._catalogs))
        return self._catalog

    def __bool__(self) -> bool:
        """Whether this policy changes anything at all."""
        return self.gaiji is not None or self.characters != "mj"

    def outbound(self, body: etree._Element) -> etree._Element:
        """``body`` as standard text: a copy with every mapped 外字 replaced by its MJ character
        (``body`` itself when there is no table). Unmapped 外字 stay, for validation to report."""
        if self.gaiji is None:
            return body
        out = copy.deepcopy(body)
        _map_text(out, self.gaiji.to_standard)
        return out

    def standardize(self, body: etree._Element) -> None:
        """In place: codes of this system's own table that a received body carries (a sender
        sharing the vendor's codes, registered at the hub) become their MJ characters, so that
        validation and ``inbound`` see standard text."""
        if self.gaiji is not None:
            _map_text(body, self.gaiji.to_standard)

    def inbound(self, body: etree._Element) -> list[FieldSubstitution]:
        """Make a received standard ``body`` fit this system, in place: 縮退 (JIS X 0213 only;
        not for characters the 外字 table keeps), then the MJ characters the table keeps become
        its codes. Returns the fields substituted (what, where; for the adapter's audit)."""
        self.standardize(body)
        done: list[FieldSubstitution] = []
        if self.characters == "jisx0213":
            keep = self.gaiji.standard if self.gaiji else frozenset()
            done = apply_shrink(body, self.catalog, keep)
        if self.gaiji is not None:
            _map_text(body, self.gaiji.from_standard)
        return done

    def unmapped(self, text: str) -> list[CharInfo]:
        """Private-use characters of ``text`` this system's table does not map (all of them when
        it has none): what would be refused if sent."""
        return (self.gaiji or GaijiTable(())).unmapped(text)


def _map_text(root: etree._Element, convert) -> None:
    for el in root.iter(etree.Element):
        if el.text:
            new = convert(el.text)
            if new != el.text:
                el.text = new
        if el is not root and el.tail:
            new = convert(el.tail)
            if new != el.tail:
                el.tail = new
        for name, value in el.attrib.items():
            new = convert(value)
            if new != value:
                el.set(name, new)
