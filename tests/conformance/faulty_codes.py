"""Faulty providers and subscribers whose ONE defect is the code or rule a fault names, on one
message shape: the reference's faults rewritten on the wire. Written from the class "a fault
judged by its code and rule on one shape only" (the seventh blind batch's
check-digit-as-schema-invalid passed on the notice path), each in its own way."""

from __future__ import annotations

from bus.core.faults import FAULT_NS, SOAP12_NS

from .proxy import Call, Reply, is_fault, serialize, soap_ns, tree

CHECK_DIGIT_RULES = {"addressee_number", "individual_number"}


def _f(name: str) -> str:
    return f"{{{FAULT_NS}}}{name}"


def _recode(call: Call, when, code: str, rule: str) -> Reply:
    """The reply's FaultDetail given ``code`` and every finding ``rule`` when ``when(detail)``."""
    if not is_fault(call.reply.body):
        return call.reply
    root = tree(call.reply.body)
    detail = next(root.iter(_f("FaultDetail")), None)
    if detail is None or not when(detail):
        return call.reply
    detail.find(_f("Code")).text = code
    for el in detail.iter(_f("Rule")):
        el.text = rule
    return Reply(call.reply.status, serialize(root), call.reply.content_type)


def check_digit_as_xsd_assertion(call: Call) -> Reply:
    """Check digits validated by an XSD 1.1 assertion in the vendor's own schema: a wrong one is
    reported as a schema violation (PF-SCHEMA-INVALID, xsd:assertion), on every service."""
    def only_check_digits(detail) -> bool:
        rules = {el.text for el in detail.iter(_f("Rule"))}
        return detail.findtext(_f("Code")) == "PF-RULE-VIOLATION" and bool(rules) \
            and rules <= CHECK_DIGIT_RULES
    return _recode(call, only_check_digits, "PF-SCHEMA-INVALID", "xsd:assertion")


def soap12_schema_fault_as_envelope(call: Call) -> Reply:
    """The SOAP 1.2 endpoint validates the whole envelope in one step: a body violating the
    service's schema is reported as a bad envelope (PF-SOAP-ENVELOPE, soap:envelope)."""
    if soap_ns(call.request) != SOAP12_NS:
        return call.reply
    return _recode(call, lambda d: d.findtext(_f("Code")) == "PF-SCHEMA-INVALID",
                   "PF-SOAP-ENVELOPE", "soap:envelope")


def misrouted_as_header_invalid(call: Call) -> Reply:
    """A message for another system refused as a bad header (PF-HEADER-INVALID, header:receiver)
    — the hub's code for a receiver of another 業務ユニット, used for every Receiver field —
    instead of PF-PROVIDER-MISROUTED."""
    return _recode(call, lambda d: d.findtext(_f("Code")) == "PF-PROVIDER-MISROUTED",
                   "PF-HEADER-INVALID", "header:receiver")


CODES = {
    "check-digit-as-xsd-assertion": {"on_reply": check_digit_as_xsd_assertion},
    "soap12-schema-fault-as-envelope": {"on_reply": soap12_schema_fault_as_envelope},
    "misrouted-as-header-invalid": {"on_reply": misrouted_as_header_invalid},
}
