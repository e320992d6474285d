"""Faulty providers and subscribers whose ONE defect is which rule a fault's finding names:
the reference's faults rewritten on the wire. Written from the class "fault details not judged
precisely" (the eighth blind batch named a wrong 個人番号 addressee_number, and a code list
`codelist` without its name): every fault case demands the one rule the request breaks."""

from __future__ import annotations

from bus.core.faults import FAULT_NS

from .proxy import Call, Reply, is_fault, serialize, tree


def _rules_renamed(call: Call, rename) -> Reply:
    if call.reply is None or not is_fault(call.reply.body):
        return call.reply
    root = tree(call.reply.body)
    for el in root.iter(f"{{{FAULT_NS}}}Rule"):
        el.text = rename(el.text or "")
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


def check_digits_one_rule(call: Call) -> Reply:
    """One check-digit routine for every identifier, its findings all filed under the first
    identifier it was written for: a wrong 個人番号 is reported as addressee_number."""
    return _rules_renamed(call, lambda r: "addressee_number" if r == "individual_number" else r)


def codelist_unnamed(call: Call) -> Reply:
    """A code-list finding names the kind of rule, not the list (`codelist`, not
    `codelist:change_reason`)."""
    return _rules_renamed(call, lambda r: "codelist" if r.startswith("codelist:") else r)


RULES = {
    "check-digits-one-rule": {"on_reply": check_digits_one_rule},
    "codelist-unnamed": {"on_reply": codelist_unnamed},
}
