"""Which rules apply to which element: a plan compiled once from the schemas' types.

At start the catalog's schemas are walked with xmlschema (whose component model knows every
element's type and every type's base); each type becomes a node holding the rules bound to it
and its children by element name. At run time a message is checked by walking its tree alongside
the plan: a dictionary look-up per element, nothing compiled per message.

``rule_index`` condenses what lies below a node into element name → rules: every rule the walk
could apply to an element of that name anywhere below (issue 13). A message is then checked by
libxml2's own iteration over the names that bear rules (``iterdescendants(*names)``: in C, a
Python object only for those elements) instead of a Python step per element; the walk runs only
when that finds a problem, to give the findings exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import xmlschema
from xmlschema.validators import XsdAnyElement, XsdElement

from . import xmlschema_compat  # noqa: F401  (before any schema is built)
from .rules import Rule


@dataclass(eq=False)
class PlanNode:
    rules: tuple[Rule, ...] = ()
    children: dict[str, PlanNode] = field(default_factory=dict)
    open_content: bool = False  # xs:any: children are looked up among global elements


@dataclass
class RulePlan:
    roots: dict[str, PlanNode]  # global element tag -> node

    def node_for(self, tag: str) -> PlanNode | None:
        return self.roots.get(tag)


@dataclass(frozen=True)
class RuleIndex:
    """Below one node: element name → the rules the walk may apply to an element of that name
    (the union over every place the name occurs below, open content and recursion included).

    A superset of the walk's checks: every element the walk checks with rules R has a name
    whose rules here include R; an element the walk would not reach, or a rule it would not
    apply there, can only raise a false alarm (then the walk decides), never hide a problem."""

    names: tuple[str, ...]  # the element names that bear rules, for iterdescendants
    rules: dict[str, tuple[Rule, ...]]
    # the names grouped by the rules they bear (names with the same rules together, in the
    # order of ``names``): one libxml2 iteration per group gives each group's texts without
    # reading any element's name (lxml builds a new "{ns}name" string per read)
    groups: tuple[tuple[tuple[str, ...], tuple[Rule, ...]], ...] = ()


def rule_index(node: PlanNode, roots: Mapping[str, PlanNode]) -> RuleIndex:
    """The ``RuleIndex`` of the nodes reachable from ``node`` (its children, theirs…, and every
    global element once open content is reachable: the walk looks xs:any's children up there)."""
    found: dict[str, dict[int, Rule]] = {}
    seen: set[int] = set()
    pending = [node]
    while pending:
        at = pending.pop()
        if id(at) in seen:
            continue
        seen.add(id(at))
        edges = list(at.children.items())
        if at.open_content:
            edges += roots.items()
        for tag, child in edges:
            if child.rules:
                bucket = found.setdefault(tag, {})
                for rule in child.rules:
                    bucket.setdefault(id(rule), rule)
            pending.append(child)
    rules = {tag: tuple(r.values()) for tag, r in found.items()}
    groups: dict[tuple[int, ...], tuple[list[str], tuple[Rule, ...]]] = {}
    for tag, bound in rules.items():
        groups.setdefault(tuple(map(id, bound)), ([], bound))[0].append(tag)
    return RuleIndex(tuple(found), rules,
                     tuple((tuple(names), bound) for names, bound in groups.values()))


def build_plan(schema: xmlschema.XMLSchemaBase,
               bindings: Mapping[str, tuple[Rule, ...]]) -> RulePlan:
    """``bindings`` maps a type's ``{ns}name`` to its rules; derived types inherit them."""
    memo: dict[int, PlanNode] = {}

    def rules_of(xsd_type: Any) -> tuple[Rule, ...]:
        found: list[Rule] = []
        t = xsd_type
        seen: set[int] = set()
        while t is not None and id(t) not in seen:
            seen.add(id(t))
            found.extend(bindings.get(t.name or "", ()))
            t = getattr(t, "base_type", None)
        return tuple(found)

    def node_of(xsd_type: Any) -> PlanNode:
        key = id(xsd_type)
        if key in memo:
            return memo[key]
        node = PlanNode()
        memo[key] = node  # registered before descending: recursive types terminate
        node.rules = rules_of(xsd_type)
        if xsd_type.is_complex():
            if xsd_type.has_simple_content():
                node.rules += rules_of(xsd_type.content)
            else:
                for child in _iter_elements(xsd_type.content):
                    if isinstance(child, XsdAnyElement):
                        node.open_content = True
                    elif isinstance(child, XsdElement):
                        node.children[child.name] = node_of(child.type)
        return node

    roots = {name: node_of(el.type) for name, el in schema.maps.elements.items()}
    return RulePlan(roots)


def _iter_elements(content: Any) -> Iterable[Any]:
    if content is None or not hasattr(content, "iter_elements"):
        return ()
    elements: Iterable[Any] = content.iter_elements()
    return elements
