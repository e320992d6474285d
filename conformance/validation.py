"""Validation of the product's messages with the hub's own catalog and validator.

The suite judges with exactly the schemas and rules a pfbus hub applies (``bus.core``), so a
product that passes here is not refused by a hub for the same reasons. Schema validity and the
rules beyond XSD are separate requirements, so they are reported separately: the rules are
walked even over a schema-invalid body (the hub's validator stops at the first XSD error), or a
broken element would hide a wrong check digit next to it.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from bus.core.catalog import Catalog
from bus.core.envelope import Envelope
from bus.core.header import HEADER_TAG
from bus.core.identifiers import DEFAULT_ADDRESSEE_SCHEME, NoCheckDigit
from bus.core.rules import RuleContext
from bus.core.typeplan import PlanNode
from bus.core.validator import MessageValidator
from bus.core.xmlpath import element_path, qname_text


class Validation:
    def __init__(self, catalog: Catalog, params: Mapping[str, object]):
        self.catalog = catalog
        self.validator = MessageValidator(catalog)
        # 宛名番号 numbering belongs to the municipality: most use modulus 11 (the default);
        # a product of one that does not states `--param addressee_scheme=none`.
        scheme = NoCheckDigit() if params.get("addressee_scheme") == "none" \
            else DEFAULT_ADDRESSEE_SCHEME
        self.rule_context = RuleContext(scheme)

    def name(self, tag: str) -> str:
        return qname_text(tag, self.catalog.prefixes)

    def body_schema(self, body: etree._Element, expected_tag: str) -> list[str]:
        """The body is ``expected_tag`` and valid against the catalog's XSDs."""
        if body.tag != expected_tag:
            return [f"the body is {self.name(body.tag)}, the service answers "
                    f"{self.name(expected_tag)}"]
        if self.catalog.xsd.validate(body):
            return []
        return [str(f) for f in self.validator.validate(body, expected_tag)
                if f.is_schema]

    def body_rules(self, body: etree._Element) -> list[str]:
        """Findings of the rules beyond XSD (check digits, code lists) anywhere in ``body``."""
        node = self.catalog.plan.node_for(body.tag)
        if node is None:
            return []  # an element no schema declares has no rules: RQ-MSG-01 reports it
        # The hub's own fast pass first: it checks a superset of what the walk checks
        # (typeplan.rule_index), so when it finds nothing the walk would not either; otherwise
        # the walk finds the problems and where they are.
        if self.validator.rules_pass(body, node, self.rule_context):
            return []
        problems: list[str] = []
        self._walk(body, node, problems)
        return problems

    def _walk(self, el: etree._Element, node: PlanNode, problems: list[str]) -> None:
        value = (el.text or "").strip(" \t\r\n")
        for rule in node.rules:
            found = rule.problem(value, self.rule_context)
            for problem in (found,) if isinstance(found, str) else found or ():
                problems.append(f"line {el.sourceline}: "
                                f"{element_path(el, self.catalog.prefixes)}: [{rule.name}] "
                                f"{problem}")
        for child in el:
            if not isinstance(child.tag, str):
                continue
            child_node = node.children.get(child.tag)
            if child_node is None and node.open_content:
                child_node = self.catalog.plan.roots.get(child.tag)
            if child_node is not None:
                self._walk(child, child_node, problems)

    def header(self, env: Envelope, echoed: Envelope | None = None) -> list[str]:
        """Exactly one pfh:PlatformHeader in soap:Header, valid (XSD and its rules). With
        ``echoed`` (the request answered): a rule beyond XSD broken at the answer's Receiver is
        not the answer's when the request's Sender broke it too — the answer addresses the
        Sender as sent, character for character (README; INV-BIND-03), and P-PARTY-02 sends a
        Sender its rules refuse, which a product may answer."""
        blocks = env.root.findall(f"{{{env.soap_ns}}}Header/{HEADER_TAG}")
        if len(blocks) != 1:
            return [f"soap:Header holds {len(blocks)} pfh:PlatformHeader, not exactly one"]
        found = list(self.validator.validate(blocks[0]))
        at_receiver = [f for f in found if not f.rule.startswith("xsd:")
                       and "/pfh:Receiver/" in (f.path or "")]
        if at_receiver and echoed is not None:
            sent = echoed.root.findall(f"{{{echoed.soap_ns}}}Header/{HEADER_TAG}")
            broken = {f.rule for f in (self.validator.validate(sent[0]) if len(sent) == 1 else ())
                      if "/pfh:Sender/" in (f.path or "")}
            found = [f for f in found if f not in at_receiver or f.rule not in broken]
        return [str(f) for f in found]
