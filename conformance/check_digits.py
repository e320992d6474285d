"""Check digits in every residue class (検査数字の全剰余): step ``check_digits`` (P-DIGIT-01/02).

A check digit is computed from a weighted sum modulo 11, and the rare remainders are where a
routine goes wrong: for a 団体コード (platform notes: check = the last digit of 11 − S mod 11)
a remainder 0 gives check digit 1 and a remainder 1 gives 0, for a 個人番号 (番号法施行令)
remainders 0 and 1 both give 0 — a routine written for one field's convention and used for the
other's (the sixteenth blind batch checked a Sender's 団体コード with its 宛名番号 routine)
refuses a valid value of one residue class, and the suite's own values (131016, the test data)
sit in a few classes only. Sent here, each a valid value:

- the Sender's 団体コード (header-v1.xsd PartyType; docs/security.md: who may call is the hub's
  business, a request it delivers is answered) with each remainder 0–10 of its weighted sum,
  every check digit 0–9, the profile's services taking them in turn (SOAP 1.1 and 1.2 in turn
  within each) — each answered exactly as the suite's own request (the same body field by field,
  ``ignore`` the fields that name the message), as P-ADDR-06 judges another Sender;
- on 住民照会 (``keys``): a 宛名番号 and a 個人番号 nobody holds for each remainder that neither
  J-GRID-01's unknown numbers (0, 1, 10) nor the test data's numbers (J-GRID-01 asks each) have
  — on the default data a 宛名番号 of check digit 8 and a 個人番号 of check digit 9 — answered
  not-found (grid.judge_inquiry).

Not sent: the Receiver's 団体コード, which is the product's own (P-ADDR-* send others, refused
as misrouted); a wrong check digit in the Sender — P-PARTY-02 (party_domains.py) sends it, README
settling what a product does with it (round 23a).
"""

from __future__ import annotations

from typing import Any

from bus.core.identifiers import local_gov_code_check_digit, weighted_sum

from . import answer_comparison, grid
from .parties import _post as post_sample  # the sample request, fresh values, header overrides

_WEIGHTS = (6, 5, 4, 3, 2)  # the 団体コード's (platform notes); its remainder is what is varied
REMAINDERS = range(11)
GRID_REMAINDERS = (0, 1, 10)  # J-GRID-01's unknown numbers (grid.unknown_numbers)


def local_gov_codes(own: str) -> list[tuple[int, str]]:
    """(remainder of S mod 11, a valid 団体コード with it), one per remainder, never ``own``;
    the 5-digit JIS part counted up from the prefecture codes' 01000."""
    found: dict[int, str] = {}
    body = 1000
    while len(found) < len(REMAINDERS):
        first5 = f"{body:05d}"
        code = first5 + str(local_gov_code_check_digit(first5))
        remainder = weighted_sum(first5, _WEIGHTS) % 11
        if remainder not in found and code != own:
            found[remainder] = code
        body += 1
    return sorted(found.items())


def unknown_numbers(model: list[grid.Resident], kind: str) -> dict[int, str]:
    """Valid numbers nobody in the model holds, one per remainder that neither a held number
    (J-GRID-01 asks each: found) nor J-GRID-01's unknown numbers have."""
    held = {n for n in (r.addressee if kind == "addressee" else r.individual for r in model)
            if n}
    wanted = set(REMAINDERS) - set(GRID_REMAINDERS) - {grid.check_remainder(n, kind)
                                                       for n in held}
    width, base = (10, 98_000_000) if kind == "addressee" else (12, 98_000_000_000)
    found: dict[int, str] = {}
    for n in range(base, base + 1000):
        number = grid.with_check_digit(f"{n:0{width - 1}d}", kind)
        rem = grid.check_remainder(number, kind)
        if rem in wanted and rem not in found and number not in held:
            found[rem] = number
    return found


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    if step.target == "senders":
        return _senders(runner, step, values)
    if step.target == "keys":
        return _keys(runner, step, values)
    raise ValueError(f"{step.where}: unknown check_digits {step.target!r} (senders, keys)")


def _senders(runner, step, values) -> list[str]:
    services = list(runner.s.profile.services) or [runner.instance.service]
    mine = services.index(runner.instance.service) if runner.instance.service in services else 0
    ignore, ns = step.get("ignore", []), runner.s.context.namespaces
    canon: dict[str, Any] = {}
    problems: list[str] = []
    codes = local_gov_codes(str(values["sut_local_gov_code"]))
    for k, (remainder, code) in enumerate(codes[mine::len(services)]):
        soap = "1.2" if k % 2 else "1.1"
        if soap not in canon:
            canon[soap] = post_sample(runner, step, values, soap, {}, f"canonical SOAP {soap}")
        what = f"Sender 団体コード {code} (check digit {code[5]}, S mod 11 = {remainder})"
        ex = post_sample(runner, step, values, soap, {"sender_local_gov_code": code},
                         f"{what} SOAP {soap}")
        problems += [f"{what} SOAP {soap}: {p}"
                     for p in answer_comparison.compare(canon[soap], ex, ignore, ns)]
    return problems


def _keys(runner, step, values) -> list[str]:
    model = grid.load_model(str(values["model_data"]))
    problems: list[str] = []
    for k, kind in enumerate(("addressee", "individual")):
        for rem, number in sorted(unknown_numbers(model, kind).items()):
            point = grid.InquiryPoint(kind, number, None, "", "1.2" if (rem + k) % 2 else "1.1",
                                      None, edge=f"check-digit remainder {rem}")
            ex = runner._post(step.with_options(soap=point.soap), values, point.message,
                              point.vars, point.label)
            problems += grid.judge_inquiry(point, ex, model, runner.s.context.namespaces)
    return problems
