"""縮退 of names for a receiver that stores only JIS X 0213, keeping the original alongside.

Which elements are names is the catalog's business, not this module's: a *character field* is an
element of a type bound to a character rule (``mj_characters``, ``jisx0213_characters``), found
by walking the body alongside the catalog's rule plan, exactly as validation does. A field is
substituted only where its parent's type has room for the original: an ``Original`` element in
the field's namespace (``cmn:NameType``: ``Text``, ``Original``, ``Kana``). There the text
becomes its 縮退 (``characters.shrink_text``) and ``Original`` receives the text as it was.

The adapter SDK applies this on the way in for a receiver declaring ``characters="jisx0213"``;
the hub computes the same plan (``CharacterAudit``) to record, in the routing log, which MJ
characters were substituted for which receiver — never the text itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from lxml import etree

from .catalog import Catalog
from .character_rules import CharactersRule
from .characters import MJTable, Substitution, mj_table, shrink_text
from .typeplan import PlanNode
from .xmlpath import element_path

ORIGINAL = "Original"


@dataclass(frozen=True)
class FieldSubstitution:
    """The 縮退 of one field: where (path, line in the message) and which characters."""

    path: str
    line: int | None
    changes: tuple[Substitution, ...]


def character_fields(body: etree._Element, catalog: Catalog
                     ) -> Iterator[tuple[etree._Element, PlanNode, PlanNode]]:
    """(element, its plan node, its parent's plan node) for every character field of ``body``,
    in document order."""
    root = catalog.plan.node_for(body.tag)
    if root is not None:
        yield from _fields(body, root, catalog.plan.roots)


def _fields(el: etree._Element, node: PlanNode, roots: dict[str, PlanNode]
            ) -> Iterator[tuple[etree._Element, PlanNode, PlanNode]]:
    for child in el:
        if not isinstance(child.tag, str):
            continue
        child_node = node.children.get(child.tag)
        if child_node is None and node.open_content:
            child_node = roots.get(child.tag)
        if child_node is None:
            continue
        if any(isinstance(r, CharactersRule) for r in child_node.rules):
            yield child, child_node, node
        yield from _fields(child, child_node, roots)


def _original_tag(el: etree._Element, parent_node: PlanNode) -> str | None:
    ns = el.tag[1:].split("}", 1)[0] if el.tag.startswith("{") else ""
    tag = f"{{{ns}}}{ORIGINAL}" if ns else ORIGINAL
    return tag if tag in parent_node.children and tag != el.tag else None


def _shrinkable(body: etree._Element, catalog: Catalog, keep: frozenset[str], table: MJTable
                ) -> Iterator[tuple[etree._Element, str, str, tuple[Substitution, ...]]]:
    for el, _, parent_node in character_fields(body, catalog):
        original_tag = _original_tag(el, parent_node)
        if original_tag is None or not el.text:
            continue
        new_text, changes = shrink_text(el.text, table, keep)
        if changes:
            yield el, original_tag, new_text, tuple(changes)


def plan_shrink(body: etree._Element, catalog: Catalog, keep: frozenset[str] = frozenset(),
                table: MJTable | None = None) -> list[FieldSubstitution]:
    """What ``apply_shrink`` would change, without changing anything (the hub's view)."""
    table = table or mj_table()
    return [FieldSubstitution(element_path(el, catalog.prefixes), el.sourceline, changes)
            for el, _, _, changes in _shrinkable(body, catalog, keep, table)]


def apply_shrink(body: etree._Element, catalog: Catalog, keep: frozenset[str] = frozenset(),
                 table: MJTable | None = None) -> list[FieldSubstitution]:
    """Substitute, in place: each shrinkable field gets its 縮退 and, right after it, an
    ``Original`` holding the text as received (unless one is there already). ``keep``: the MJ
    characters the receiver stores as its own 外字 instead (its 外字 table)."""
    table = table or mj_table()
    done = []
    for el, original_tag, new_text, changes in list(_shrinkable(body, catalog, keep, table)):
        done.append(FieldSubstitution(element_path(el, catalog.prefixes), el.sourceline, changes))
        parent = el.getparent()
        if parent.find(original_tag) is None:
            original = parent.makeelement(original_tag)
            original.text = el.text
            el.addnext(original)
        el.text = new_text
    return done


def summary(substitutions: list[FieldSubstitution], limit: int = 12) -> str:
    """``MJ028902→U+9AD8 ×2, MJ022335→U+845B`` — which characters, never the text around them."""
    counts: dict[str, int] = {}
    for field in substitutions:
        for change in field.changes:
            key = change.describe()
            counts[key] = counts.get(key, 0) + 1
    items = [f"{k} ×{n}" if n > 1 else k for k, n in counts.items()]
    more = f", … {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


@dataclass(frozen=True)
class Receiver:
    """What the hub knows of a receiving system's characters (hub config ``[[systems]]``)."""

    characters: str = "mj"  # "mj" or "jisx0213"
    gaiji: frozenset[str] = frozenset()  # the MJ characters its 外字 table stores as 外字


class CharacterAudit:
    """The hub's record of 縮退: the plan of the receiver's SDK, computed from the same data."""

    def __init__(self, catalog: Catalog, receivers: Mapping[str, Receiver]):
        self.catalog = catalog
        self.receivers = {party: r for party, r in receivers.items() if r.characters == "jisx0213"}

    def __bool__(self) -> bool:
        return bool(self.receivers)

    def shrink_plan(self, body: etree._Element | None, receiver: str) -> list[FieldSubstitution]:
        spec = self.receivers.get(receiver)
        if spec is None or body is None:
            return []
        return plan_shrink(body, self.catalog, spec.gaiji)
