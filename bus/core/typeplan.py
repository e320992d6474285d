"""Which rules apply to which element: a plan compiled once from the schemas' types.

At start the catalog's schemas are walked with xmlschema (whose component model knows every
element's type and every type's base); each type becomes a node holding the rules bound to it
and its children by element name. At run time a message is checked by walking its tree alongside
the plan: a dictionary look-up per element, nothing compiled per message.
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
