"""The rule walk's index (bus.core.typeplan.rule_index) and the validator's check through it.

The index is a superset of the walk's checks: a name below a node maps to every rule the walk
could apply to an element of that name there. The validator checks through it first and walks
only when it finds something, so its findings must be exactly the walk's.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from lxml import etree

from bus.core.envelope import parse_envelope
from bus.core.rules import Rule, RuleContext
from bus.core.typeplan import PlanNode, RulePlan, rule_index
from bus.core.validator import MessageValidator
from messages import (ADDRESSEE_BAD, CHIYODA, builtin_catalog, change_notice_body, envelope,
                      inquiry_body, inquiry_response_body)
from bus.core.identifiers import Modulus11Scheme


class Digits(Rule):
    """A value of digits only."""

    def __init__(self, name: str = "digits") -> None:
        self.name = name

    def problem(self, value: str, ctx: RuleContext) -> str | None:
        return None if value.isdigit() else "not digits"


def test_a_name_gets_every_rule_it_has_anywhere_below():
    first, second = Digits("first"), Digits("second")
    leaf_a, leaf_b = PlanNode(rules=(first,)), PlanNode(rules=(second, first))
    root = PlanNode(children={"A": leaf_a, "B": PlanNode(children={"A": leaf_b})})
    index = rule_index(root, {})
    assert set(index.names) == {"A"}
    assert index.rules["A"] == (first, second)  # each rule once


def test_recursive_types_and_open_content_are_indexed():
    rule, other = Digits("r"), Digits("o")
    node = PlanNode()
    node.children = {"Self": node, "Leaf": PlanNode(rules=(rule,))}  # a recursive type
    roots = {"Global": PlanNode(rules=(other,))}
    assert rule_index(node, roots).rules == {"Leaf": (rule,)}
    node.open_content = True  # xs:any: the walk looks children up among global elements
    assert rule_index(node, roots).rules == {"Leaf": (rule,), "Global": (other,)}


def _stub_validator(roots: dict[str, PlanNode]) -> MessageValidator:
    """A validator over a hand-made plan whose XSD accepts everything."""
    catalog = SimpleNamespace(prefixes={}, plan=RulePlan(roots),
                              xsd=SimpleNamespace(validate=lambda el: True, error_log=[]))
    return MessageValidator(catalog)  # type: ignore[arg-type]


# Root/A bears the rule; B/A does not (the walk does not know A under B, the index does)
PLAN = {"Root": PlanNode(children={"A": PlanNode(rules=(Digits(),)),
                                   "B": PlanNode(children={"C": PlanNode()})})}


@pytest.mark.parametrize("xml, found", [
    ("<Root><A>1</A><B><A>x</A></B></Root>", []),  # a false alarm: the walk decides
    ("<Root><B><A>x</A><C/></B></Root>", []),
    ("<Root><A>x</A><B><A>x</A></B></Root>", [("digits", "/Root/A", 1)]),
    ("<Root>\n<A>1</A>\n<A>y</A></Root>", [("digits", "/Root/A[2]", 3)]),
])
def test_an_element_the_walk_does_not_check_is_not_a_finding(xml, found):
    findings = _stub_validator(PLAN).validate(etree.fromstring(xml))
    assert [(f.rule, f.path, f.line) for f in findings] == found


BODIES = [
    inquiry_body(), inquiry_body(ADDRESSEE_BAD), inquiry_response_body(),
    inquiry_response_body(gender="3", relationship="99"), inquiry_response_body("not-found"),
    change_notice_body("B03"), change_notice_body("Z99"),
]


@pytest.mark.parametrize("body", BODIES)
def test_findings_are_the_walks(body, monkeypatch):
    validator = MessageValidator(builtin_catalog(), {CHIYODA: Modulus11Scheme(length=10)})
    env = parse_envelope(envelope(body))

    def findings() -> list:
        return [(f.rule, f.message, f.path, f.line) for f in
                validator.validate(env.header) + validator.validate(env.body, None, CHIYODA)]

    through_index = findings()
    monkeypatch.setattr(validator, "_passes", lambda el, node, ctx, *_: False)  # the walk alone
    assert through_index == findings()


def test_names_bearing_the_same_rules_are_one_group():
    first, second = Digits("first"), Digits("second")
    root = PlanNode(children={"A": PlanNode(rules=(first,)), "B": PlanNode(rules=(second,)),
                              "C": PlanNode(rules=(first,)),
                              "D": PlanNode(children={"B": PlanNode(rules=(first,))})})
    index = rule_index(root, {})
    assert set(index.rules["B"]) == {first, second}
    assert sorted((sorted(names), rules) for names, rules in index.groups) == [
        (["A", "C"], (first,)), (["B"], index.rules["B"])]
    # every name in exactly one group, with its rules
    assert sorted(n for names, _ in index.groups for n in names) == sorted(index.names)
    assert all(index.rules[n] == rules for names, rules in index.groups for n in names)
