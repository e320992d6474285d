"""Every value of a header Party's parts (送信元の値域), from header-v1.xsd and its rules: step
``party_domains`` (P-PARTY-01/02, S-PARTY-01/02).

header-v1.xsd's PartyType is three elements: LocalGovCode (cmn:LocalGovCodeType, six digits,
check digit verified: the rule ``local_gov_code``), BusinessUnit (cmn:BusinessUnitCodeType, two
digits from the code list ``business_unit``, schemas/codelists/business_unit.csv) and SystemId
(pfh:SystemIdType, ``[A-Za-z0-9][A-Za-z0-9._-]{0,63}``: 1 to 64 characters). Earlier cases sent
a few Senders each (P-ADDR-06: three other units; P-DIGIT-01: every check digit). Sent here:

- ``senders`` (P-PARTY-01 on every provider service, S-PARTY-01 on the notice endpoint): the
  Sender's 業務ユニット walks the WHOLE code list (each code once, the profile's services taking
  them in turn), each exchange also carrying one of the 団体コード the rule admits at the edges
  of its digits (000001, the smallest — its weighted sum 0 gives check digit 1; 999997, the
  largest; the first prefecture's and the last's, 010006 and 470007; 099996 and 900001, a 0 and
  a 9 in the prefecture's first place; real cities 011002, 271004, 141003) or one of each kind
  of 団体 (wards of designated cities 141011 and 271284, a special ward, a city, a town, a
  village — round 38b: the thirty-eighth blind batch refused a ward's code as a Sender; the
  profile's services take the codes in turn, so that each is sent) and a SystemId of
  another width (1, 2, 32, 33, 63 and 64 characters, every character class of the pattern,
  beginning with each end of the first character's ranges: 0, 9, a, z, A, Z).
  Each must be answered exactly as the suite's own request (answer_comparison.compare, the
  fields that name the message ignored), and its Receiver must be that Sender, character for
  character (INV-BIND-03 judges it too). README ("A request or notice the hub delivers is
  answered whoever sent it"): who may call is the hub's access rights; a product has no
  customer table of Senders. The twenty-second blind batch answered a Sender 業務ユニット outside the vendor's
  own customer map with PF-PROVIDER-INTERNAL.
- ``sender_forms`` (P-PARTY-02, S-PARTY-02): the forms of a Party the schema's pattern admits
  and its rules refuse — the suite's 団体コード with a wrong check digit, and the 業務ユニット
  ``00``, ``27`` and ``99`` (two digits, not in the code list). README settles what a product
  does with them: it refuses the message with a client fault PF-HEADER-INVALID or
  PF-RULE-VIOLATION naming the rule (``local_gov_code``, ``codelist:business_unit``), as the
  SDK and the hub do, or — a product leaving the header's rules to the hub in front of it —
  answers it as any other request; never a server fault.
"""

from __future__ import annotations

from typing import Any

from bus.core.identifiers import local_gov_code_check_digit

from . import answer_comparison, checks
from .parties import SAMPLE
from .parties import _post as post_sample  # a request (the sample), fresh values, header overrides
from .records import Exchange

# the 団体コード's five digits at the edges of each place (the check digit computed)
EDGE_BODIES = ("00000", "99999", "01000", "47000", "09999", "90000", "01100", "27100", "14100")
# one of each kind of 団体 JIS X 0402 numbers beside the prefectures (NN000) and designated cities
# (NN1X0) above: wards of a designated city (NN1XY, Y ≠ 0: 141011 横浜市鶴見区, 271284 大阪市中央区),
# a special ward (131024 中央区), a city (132012 八王子市), a town (013030), a village (133647)
KIND_BODIES = ("14101", "27128", "13102", "13201", "01303", "13364")
# 業務ユニット codes of the XSD's pattern [0-9]{2} outside the code list
OUTSIDE_UNITS = ("00", "27", "99")
_CLASSES = "Az09._-"  # each character class of SystemIdType's pattern
_FIRSTS = "0Z9azA"  # each end of its first character's ranges [A-Za-z0-9]


def local_gov_codes(own: str) -> list[str]:
    """Valid 団体コード at the edges of their digits, then one of each kind of 団体, never
    ``own``."""
    codes = [b + str(local_gov_code_check_digit(b)) for b in EDGE_BODIES + KIND_BODIES]
    return [c for c in codes if c != own]


def system_ids(suite: str) -> list[str]:
    """SystemIds of SystemIdType at its widths: 1, 2, 32, 33 (a VARCHAR(32) overflows), 63 and
    64 characters, each holding the pattern's classes; their first characters the ends of the
    first character's ranges, digits among them (``0``, ``9``: a SystemId may begin with one);
    then the suite's own ending in each punctuation the pattern admits after the first
    character (``.``, ``-``, ``_``: round 33b — a product trimming them answers another)."""
    def width(first: str, n: int) -> str:
        text = (first + suite + "." + _CLASSES * 12)[:n]
        return text if text[-1] not in "._-" else text[:-1] + "9"
    return [*(width(first, n) for first, n in zip(_FIRSTS, (1, 2, 32, 33, 63, 64), strict=True)),
            *(suite[:63] + end for end in "._-")]


def wrong_check_digit(code: str) -> str:
    return code[:5] + str((int(code[5]) + 1) % 10)


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    if step.target == "senders":
        return _senders(runner, step, values)
    if step.target == "sender_forms":
        return _forms(runner, step, values)
    raise ValueError(f"{step.where}: unknown party_domains {step.target!r} (senders, "
                     f"sender_forms)")


def _mine(runner) -> tuple[int, int]:
    services = list(runner.s.profile.services) or [runner.instance.service]
    mine = services.index(runner.instance.service) if runner.instance.service in services else 0
    return mine, len(services)


def _units(runner, where: str) -> list[str]:
    units = runner.s.catalog.codelists.get("business_unit")
    if not units:
        from .interpreter import CaseDataError  # the interpreter imports this module
        raise CaseDataError(f"{where}: the catalog has no business_unit code list")
    return sorted(units.labels)


def _senders(runner, step, values) -> list[str]:
    mine, count = _mine(runner)
    codes = local_gov_codes(str(values["sut_local_gov_code"]))
    systems = system_ids(str(values["suite_system_id"]))
    canon: dict[tuple[str, str], Exchange] = {}
    problems: list[str] = []
    # round 45e: ``also`` = {service: [message, …]} — another key of the request sent from every
    # Sender too (the forty-fifth blind batch refused inquiries by 個人番号 from units outside a
    # list, and the suite sent every Sender an inquiry by 宛名番号 only)
    also = step.get("also", {}).get(runner.instance.service, [])
    for k, unit in enumerate(_units(runner, step.where)[mine::count]):
        at = k * count + mine  # the exchange's place in the profile: each code and SystemId sent
        header = {"sender_business_unit": unit, "sender_local_gov_code": codes[at % len(codes)],
                  "sender_system_id": systems[at % len(systems)]}
        what = (f"Sender 業務ユニット {unit}, 団体コード {header['sender_local_gov_code']}, "
                f"SystemId {header['sender_system_id']!r} "
                f"({len(header['sender_system_id'])} characters)")
        problems += _answered_as_own(runner, step, values, canon, "1.2" if k % 2 else "1.1",
                                     header, what)
        for message in also:  # the service's other request shapes from the same Sender
            problems += _answered_as_own(runner, step, values, canon, "1.1" if k % 2 else "1.2",
                                         header, f"{what}, {message}", message)
    sent = _canonical(runner, step, values, canon, "1.1").header("request")
    for k, (what, header) in enumerate(receivers_as_senders(sent, str(values["sut_system_id"]))):
        problems += _answered_as_own(runner, step, values, canon,
                                     "1.1" if (k + mine) % 2 else "1.2", header, what)
    return problems


def _canonical(runner, step, values, canon: dict[tuple[str, str], Exchange], soap: str,
               message: str = SAMPLE) -> Exchange:
    """The suite's own request (``message``) over ``soap``, sent once per step."""
    if (message, soap) not in canon:
        canon[message, soap] = post_sample(runner, step, values, soap, {},
                                           f"canonical {message} SOAP {soap}", message)
    return canon[message, soap]


def _answered_as_own(runner, step, values, canon: dict[tuple[str, str], Exchange], soap: str,
                     header: dict[str, str], what: str, message: str = SAMPLE) -> list[str]:
    """The request (``message``) from the Sender ``header`` names, answered as the suite's own
    and addressed back to that Sender."""
    own = _canonical(runner, step, values, canon, soap, message)
    ex = post_sample(runner, step, values, soap, header, f"{what} SOAP {soap}", message)
    found = answer_comparison.compare(own, ex, step.get("ignore", []),
                                      runner.s.context.namespaces)
    return [f"{what} SOAP {soap}: {p}" for p in found or _addressed_back(ex, header)]


def receivers_as_senders(sent, own_system_id: str) -> list[tuple[str, dict[str, str]]]:
    """(what, header overrides) for Senders that coincide with the Receiver of ``sent`` (the
    suite's request header): its whole Party; and the product's own SystemId when the Receiver
    is another (a notice's: the hub)."""
    receiver = sent.receiver
    whole = {"sender_local_gov_code": receiver.local_gov_code,
             "sender_business_unit": receiver.business_unit,
             "sender_system_id": receiver.system_id}
    senders = [(f"Sender {'/'.join(whole.values())} (the Receiver's own Party)", whole)]
    if own_system_id != receiver.system_id:
        senders.append((f"Sender SystemId {own_system_id!r} (the product's own)",
                        {"sender_local_gov_code": sent.sender.local_gov_code,
                         "sender_business_unit": sent.sender.business_unit,
                         "sender_system_id": own_system_id}))
    return senders


def _addressed_back(ex: Exchange, header: dict[str, str]) -> list[str]:
    """The answer's Receiver is the Sender, each part character for character (a column that
    keeps a 団体コード as a number, or a SystemId narrower than 64, writes back another)."""
    try:
        receiver = ex.header().receiver
    except ValueError as exc:
        return [str(exc)]
    sent = (header["sender_local_gov_code"], header["sender_business_unit"],
            header["sender_system_id"])
    got = (receiver.local_gov_code, receiver.business_unit, receiver.system_id)
    return [] if got == sent else [f"the answer's Receiver is {'/'.join(got)}, the Sender was "
                                   f"{'/'.join(sent)}"]


def sender_forms(own: str) -> list[tuple[str, dict[str, str], str]]:
    """(what, header overrides, the rule a refusal names)."""
    return [(f"Sender 団体コード {wrong_check_digit(own)} (a wrong check digit)",
             {"sender_local_gov_code": wrong_check_digit(own)}, "local_gov_code"),
            *((f"Sender 業務ユニット {u} (not in the code list)", {"sender_business_unit": u},
               "codelist:business_unit") for u in OUTSIDE_UNITS)]


def _forms(runner, step, values) -> list[str]:
    mine, count = _mine(runner)
    ignore, ns, ctx = step.get("ignore", []), runner.s.context.namespaces, runner.s.context
    canon: dict[tuple[str, str], Exchange] = {}
    problems: list[str] = []
    for k, (what, header, rule) in enumerate(
            sender_forms(str(values["sut_local_gov_code"]))[mine::count]):
        soap = "1.2" if (k + mine) % 2 else "1.1"
        ex = post_sample(runner, step, values, soap, header, f"{what} SOAP {soap}")
        at = f"{what} SOAP {soap}"
        if ex.error or ex.status is None:
            problems.append(f"{at}: {ex.error or 'no answer'}")
            continue
        if not checks.outcome(ex, "fault"):  # refused: as the documents say
            spec = checks.client_fault_spec(ex, {"code_in": ["PF-HEADER-INVALID",
                                                             "PF-RULE-VIOLATION"],
                                                 "rule_in": [rule]}, ctx)
            problems += [f"{at}: refused, but {p} (README: a client fault PF-HEADER-INVALID or "
                         f"PF-RULE-VIOLATION naming {rule}, or the answer to any request)"
                         for p in checks.fault(ctx, ex, spec)]
            continue
        own = _canonical(runner, step, values, canon, soap)  # answered: as the suite's own
        problems += [f"{at}: answered, but {p}"
                     for p in answer_comparison.compare(own, ex, ignore, ns)]
    return problems
