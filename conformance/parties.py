"""Addressing values other than the suite's own (step ``parties = …``, the role's sample request).

- ``receiver_spellings`` (P-ADDR-05, RQ-FAULT-08): the Receiver's SystemId spelled otherwise —
  its letters' case swapped, upper case, its first letter's case toggled, a character more (a
  sibling system ``<id>.2``), a character fewer. SystemIdType is a case-sensitive string
  (header-v1.xsd: a pattern, no normalisation), so each is another system: refused
  PF-PROVIDER-MISROUTED (client), over SOAP 1.1 and 1.2 in turn. A product comparing without
  case (a database collation), by prefix or by ``startswith`` answers one of them.
- ``other_senders`` (P-ADDR-06, RQ-FAULT-12): the Sender another 団体コード (a 自治体クラウド, a
  広域連合, the prefecture), another 業務ユニット, another SystemId, and all three at once; and
  (round 17) the product's own 業務ユニット — another system of the product's unit in its 団体,
  and the same unit of another 団体 (a 住基 system of a neighbouring municipality): nothing in
  the documents makes a Sender of the Receiver's unit a routing loop. Whom
  the hub lets ask is its access rights' business (docs/security.md: per service and 団体コード,
  default deny): a request it delivers is answered exactly as the suite's own (the same body,
  field by field; ``ignore`` the fields that name the message), the reply addressed to that
  Sender (INV-BIND-03 judges it on every answer).
"""

from __future__ import annotations

from typing import Any

from . import answer_comparison, checks
from .records import Exchange

SAMPLE = "@sample"
# real 団体コード (platform notes: 大阪市, 東京都) and 業務ユニット (国保, 個人住民税, 介護保険)
OTHER_CODES = ("271004", "130001")
OTHER_UNITS = ("11", "07", "12")
OTHER_SYSTEM = "kouiki-rengo-tax"


def receiver_spellings(own: str) -> list[str]:
    """Other SystemIds within SystemIdType's pattern that a sloppy comparison takes for ``own``
    (in this order, each once, never ``own``)."""
    toggled = own[0].swapcase() + own[1:]
    out: list[str] = []
    for other in (own.swapcase(), own.upper(), own.lower(), toggled, f"{own}.2", own[:-1]):
        if other and other != own and other not in out:
            out.append(other)
    return out


def other_senders(values: dict[str, Any], own: str = "") -> list[tuple[str, dict[str, str]]]:
    """``own``: the Receiver's 業務ユニット (the service's unit)."""
    code = next(c for c in OTHER_CODES if c != str(values["sut_local_gov_code"]))
    unit = next(u for u in OTHER_UNITS if u != str(values["suite_business_unit"]))
    out = [("another 団体コード", {"sender_local_gov_code": code}),
           ("another 業務ユニット", {"sender_business_unit": unit}),
           ("another SystemId", {"sender_system_id": OTHER_SYSTEM}),
           ("all three", {"sender_local_gov_code": code, "sender_business_unit": unit,
                          "sender_system_id": OTHER_SYSTEM})]
    if own and own != str(values["suite_business_unit"]):
        out += [("the product's own 業務ユニット (another system of its unit)",
                 {"sender_business_unit": own}),
                ("the product's own 業務ユニット of another 団体コード",
                 {"sender_local_gov_code": code, "sender_business_unit": own})]
    return out


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    if step.target == "receiver_spellings":
        return _spellings(runner, step, values)
    if step.target == "other_senders":
        return _senders(runner, step, values)
    raise ValueError(f"{step.where}: unknown parties {step.target!r} (receiver_spellings, "
                     f"other_senders)")


def _post(runner, step, values, soap: str, header: dict[str, str], label: str,
          message: str = SAMPLE) -> Exchange:
    vals = {**values, "fresh_addressee": runner._fresh_addressee()}
    return runner._post(step.with_options(soap=soap, header=header), vals, message, {}, label)


def _spellings(runner, step, values) -> list[str]:
    """The SystemId the product is addressed by, spelled otherwise: its own, or for a subscriber
    the hub's (``receiver_system_id``: a notice is addressed to the municipality's hub)."""
    problems = []
    own = str(values.get("receiver_system_id") or values["sut_system_id"])
    for k, other in enumerate(receiver_spellings(own)):
        soap = "1.2" if k % 2 else "1.1"
        ex = _post(runner, step, values, soap, {"receiver_system_id": other}, f"to {other}")
        found = checks.outcome(ex, "fault")
        if not found:
            spec = checks.client_fault_spec(ex, {"code_in": ["PF-PROVIDER-MISROUTED"]},
                                            runner.s.context)
            found = checks.fault(runner.s.context, ex, spec)
        problems += [f"Receiver SystemId {other!r} SOAP {soap}: {p}" for p in found]
    return problems


def _senders(runner, step, values) -> list[str]:
    ignore, namespaces = step.get("ignore", []), runner.s.context.namespaces
    canon: dict[str, Exchange] = {}  # the suite's own request, once per SOAP version
    problems = []
    own = runner._service(runner.instance.service, step.where).unit
    for k, (label, header) in enumerate(other_senders(values, own)):
        soap = "1.2" if k % 2 else "1.1"
        if soap not in canon:
            canon[soap] = _post(runner, step, values, soap, {}, f"canonical SOAP {soap}")
        ex = _post(runner, step, values, soap, header, f"{label} SOAP {soap}")
        problems += [f"Sender of {label} {header} SOAP {soap}: {p}"
                     for p in answer_comparison.compare(canon[soap], ex, ignore, namespaces)]
    return problems
