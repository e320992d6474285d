"""A check digit broken in every request shape (検査数字の誤り × 要求の形): step ``broken_shapes``
(P-FAULT-16, round 47a).

P-FAULT-02/08/09 break a 宛名番号's or a 個人番号's check digit in one request each — the
sample's shape (住民照会 by 宛名番号, no 基準日). A product whose rules run on one code path
only (an inquiry with a 基準日 going to a history query added after the key checks: the
forty-seventh blind batch answered it not-found) passed them. Here the shapes come
from the XSD, as P-EQUIV-02's do (request_shapes.py: the sample and one message of
every other combination of optional elements and choice branches the suite's
messages of the service hold and the run can send), and the identifiers from the
catalog's rules (schemas/catalog.toml binds ``addressee_number`` and
``individual_number`` to their types; the hub's rule plan says which element of a
message bears which): every shape is sent once per element bearing one of those
rules, that element's check digit changed (the last digit plus one, modulo 10 —
never a valid number again), the SOAP versions in turn. Each must be a client fault
PF-RULE-VIOLATION naming that rule at that element (docs/faults.md; fault_place
judges the Path and Line it gives).

Not sent: the header's 団体コード (P-PARTY-02 breaks a Sender's; a Receiver's is the
product's own); a 宛名番号 where the run says the municipality's numbers carry no check
digit (``addressee_scheme = "none"``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree

from bus.core.typeplan import PlanNode

from . import checks, request_shapes

CHECKED = ("addressee_number", "individual_number")  # the rules a wrong check digit breaks


def rule_elements(body: etree._Element, roots: dict[str, PlanNode],
                  rules: tuple[str, ...]) -> Iterator[tuple[etree._Element, str]]:
    """Each element below ``body`` (the payload root) that the rule plan binds one of ``rules``
    to, with that rule, in document order."""
    def walk(el: etree._Element, node: PlanNode | None) -> Iterator[tuple[etree._Element, str]]:
        if node is None:
            return
        for rule in node.rules:
            if rule.name in rules:
                yield el, rule.name
        for child in el:
            if isinstance(child.tag, str):
                below = node.children.get(child.tag)
                if below is None and node.open_content:
                    below = roots.get(child.tag)
                yield from walk(child, below)
    yield from walk(body, roots.get(body.tag))


def broken(digits: str) -> str:
    """``digits`` with its last digit (the check digit) changed."""
    return digits[:-1] + str((int(digits[-1]) + 1) % 10)


def _payload(raw: bytes) -> tuple[etree._Element, etree._Element]:
    root = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
    body = next(el for el in root if isinstance(el.tag, str) and
                etree.QName(el).localname == "Body")
    return root, next(el for el in body if isinstance(el.tag, str))


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    service = runner.instance.service
    # the step names @invalid_check_digit: the case runs where a request holds an identifier
    runner.s.suite.message(step.target, service, step.where)
    sample = runner.s.suite.message("@sample", service, step.where).name
    merged = {**values, "fresh_addressee": runner._fresh_addressee()}
    shapes = request_shapes.distinct_shapes(runner.s.suite, runner.s.catalog, service, sample,
                                            merged)
    rules = tuple(r for r in CHECKED
                  if not (r == "addressee_number" and values.get("addressee_scheme") == "none"))
    roots = runner.s.catalog.plan.roots
    problems: list[str] = []
    sent = 0
    for ref in shapes:
        # the shape's elements bearing a rule, found on one rendering of it (every rendering has
        # the same elements: only values differ)
        ex, _ = runner._build(step.with_options(soap="1.1"), merged, ref, {}, ref)
        places = list(rule_elements(_payload(ex.request)[1], roots, rules))
        for k, (el, rule) in enumerate(places):
            soap = "1.2" if sent % 2 else "1.1"
            sent += 1
            at = "/".join(etree.QName(e).localname for e in (el.getparent(), el))

            def change(raw: bytes, headers, k: int = k):
                root, payload = _payload(raw)
                target, _ = list(rule_elements(payload, roots, rules))[k]
                target.text = broken((target.text or "").strip())
                # the suite's own XML declaration kept as it was written (lxml's differs)
                return raw[:raw.index(b"<", raw.index(b"?>"))] + etree.tostring(root), headers

            label = f"{ref}: {rule} broken (element {k + 1} of {len(places)}) SOAP {soap}"
            vals = {**values, "fresh_addressee": runner._fresh_addressee()}
            sent_ex = runner._post(step.with_options(soap=soap), vals, ref, {}, label,
                                   rewrite=change)
            spec = checks.client_fault_spec(
                sent_ex, {"code_in": ["PF-RULE-VIOLATION"], "rule_in": [rule], "at": at},
                runner.s.context)
            why = checks.outcome(sent_ex, "fault") or checks.fault(runner.s.context, sent_ex,
                                                                   spec)
            problems += [f"[{label}, at …/{at}] {p}" for p in why]
    if not sent:
        raise ValueError(f"{step.where}: no request shape of {service} holds an element "
                         f"bearing {' or '.join(rules)}")
    return problems
