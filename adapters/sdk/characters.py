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
import functools
import re
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
        # the characters a text must hold for the table to change it: its codes (to standard),
        # the first characters of the MJ sequences it keeps as codes (from standard)
        self._private = "".join(sorted(self.gaiji.private)) if self.gaiji else ""
        self._bases = "".join(sorted({s[0] for s in self.gaiji.standard})) if self.gaiji else ""
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
        if self.gaiji is None or not _texts_with(body, self._private):
            return body  # nothing to map: no copy (a 全件 page is a thousand records)
        out = copy.deepcopy(body)
        _map_text(out, self.gaiji.to_standard, self._private)
        return out

    def standardize(self, body: etree._Element) -> None:
        """In place: codes of this system's own table that a received body carries (a sender
        sharing the vendor's codes, registered at the hub) become their MJ characters, so that
        validation and ``inbound`` see standard text."""
        if self.gaiji is not None:
            _map_text(body, self.gaiji.to_standard, self._private)

    def inbound(self, body: etree._Element, *, standardized: bool = False
                ) -> list[FieldSubstitution]:
        """Make a received standard ``body`` fit this system, in place: 縮退 (JIS X 0213 only;
        not for characters the 外字 table keeps), then the MJ characters the table keeps become
        its codes. Returns the fields substituted (what, where; for the adapter's audit).
        ``standardized``: ``body`` went through ``standardize`` already (the provider does so
        before validating it), which is then not repeated (a scan of the whole body)."""
        if not standardized:
            self.standardize(body)
        done: list[FieldSubstitution] = []
        if self.characters == "jisx0213":
            keep = self.gaiji.standard if self.gaiji else frozenset()
            done = apply_shrink(body, self.catalog, keep)
        if self.gaiji is not None:
            _map_text(body, self.gaiji.from_standard, self._bases)
        return done

    def unmapped(self, text: str) -> list[CharInfo]:
        """Private-use characters of ``text`` this system's table does not map (all of them when
        it has none): what would be refused if sent."""
        return (self.gaiji or GaijiTable(())).unmapped(text)


def _texts_with(root: etree._Element, chars: str) -> list:
    """The text nodes and attribute values of ``root``'s subtree that hold one of ``chars``.

    Found in C, not by a Python step per element (a 全件 page has tens of thousands): which of
    ``chars`` occur at all is one regular-expression search of the subtree's text (serialised as
    text: ~1 µs per resident) and attribute values; one XPath then finds the nodes holding those
    that do (usually none, or a handful)."""
    if not chars:
        return []
    text = etree.tostring(root, method="text", encoding=str, with_tail=False) \
        + "".join(_ATTRIBUTES(root))  # type: ignore[arg-type]
    if text.isascii():  # known without a scan (CPython marks ASCII strings)
        chars = _ascii_of(chars)  # a table's characters never are: nothing to look for
        if not chars:  # (P-SIZE-01's 640 KiB of white space: ~30 M instructions a scan)
            return []
    present = set(_any_of(chars).findall(text))
    if not present:
        return []
    texts, attributes = _holding(len(present))
    found = {f"c{i}": c for i, c in enumerate(sorted(present))}
    return texts(root, **found) + attributes(root, **found)  # type: ignore[operator]


_ATTRIBUTES = etree.XPath("descendant-or-self::*/@*")


@functools.cache
def _ascii_of(chars: str) -> str:
    return "".join(c for c in chars if c.isascii())


@functools.cache
def _any_of(chars: str) -> re.Pattern:
    return re.compile(f"[{re.escape(chars)}]")


@functools.cache
def _holding(count: int) -> tuple[etree.XPath, etree.XPath]:
    """Text nodes below the context element (not its tail), attribute values of it and below,
    that contain one of the variables $c0…$c<count-1>."""
    test = " or ".join(f"contains(., $c{i})" for i in range(count))
    return (etree.XPath(f"descendant::text()[{test}]"),
            etree.XPath(f"descendant-or-self::*/@*[{test}]"))


def _map_text(root: etree._Element, convert, chars: str) -> None:
    """``convert`` the text, tails (not the root's own) and attribute values of the elements
    of ``root``'s subtree that hold one of ``chars`` (what ``convert`` can change)."""
    done: set[tuple[etree._Element, str]] = set()  # holds the proxies: identity stays valid
    for found in _texts_with(root, chars):
        el = found.getparent()
        if not isinstance(el.tag, str):  # the tail of a comment or PI: not an element's text
            continue
        if found.is_attribute:
            name = found.attrname
            value = el.get(name)
            if (new := convert(value)) != value:
                el.set(name, new)
            continue
        kind = "text" if found.is_text else "tail"
        if (el, kind) in done:  # text split in nodes (a CDATA section): converted once
            continue
        done.add((el, kind))
        value = el.text if kind == "text" else el.tail
        if (new := convert(value)) != value:
            setattr(el, kind, new)
