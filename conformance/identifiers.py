"""Identifiers are opaque text (識別子は文字列として比較する): pairs of values a product keys on
that differ only in a way a normaliser merges — step ``identifiers``.

An identifier's value space is its XSD type's. ``juki:ExtractIdType`` (the RequestId) and
``pfh:MessageIdType`` are xs:string restricted by a pattern: no white space facet beyond
xs:string's ``preserve``, no numeric value — two different strings are two identifiers.
Forms outside the pattern (white space around, full-width digits, upper-case hex in a
MessageId) are not values at all; P-NEIGH-01 sends them as schema-invalid neighbours. What is
sent here is each pair of *valid* values a product's key path merges:

- ``request_ids`` (J-FULL-19, docs/notices.md "Made once per RequestId": the key is (Sender,
  RequestId), a RequestId any text the requester chooses): a RequestId of digits and the same
  number with leading zeros (a JSON job queue, an INTEGER column), with an exponent (``float``),
  two 19-digit numbers one double holds (a JSON number), letters in another case (a
  case-insensitive collation), the same characters with a hyphen (a normaliser dropping
  separators). Each pair's first value asks for every resident, the second for a 基準日 on which
  fewer lived here (in turn the other way round): the second must get a snapshot of its own —
  that 基準日's TotalCount and another ExtractId.
- ``message_ids`` (P-IDENT-01, docs/notices.md: the idempotent receiver keys on the MessageId;
  a provider's resend of one MessageId gets the same answer, RQ-BEH-01): MessageIds differing
  only in their last hex digit (a key cut short), their first (a key on the tail), the UUID
  version digit (``uuid.UUID(text, version=4)`` rewrites it) and two of decimal digits only that
  one double holds once the hyphens are dropped. Each pair is the service's own request twice,
  with fresh values: the second must be answered as its own message — RelatesTo its MessageId,
  a notice receipted ``applied`` — and as the first (the same body beside the fields that name
  the message, answer_comparison.compare).
"""

from __future__ import annotations

import random
from typing import Any

from . import answer_comparison, checks
from .grid_notices import PFR
from .parties import _post as post_sample  # the sample request, fresh values, header overrides
from .records import Exchange

_HEX = "0123456789abcdef"


def request_id_pairs(digits: str) -> list[tuple[str, str, str]]:
    """(what, first, second) RequestIds of ExtractIdType, different as text, that a normaliser
    merges; ``digits`` a fresh number (its leading zeros dropped here)."""
    n = [f"{digits.lstrip('0') or '1'}{k}" for k in range(5)]  # one base per pair: never reused
    wide = 2**60 + 256 * int(n[2][-15:])  # a multiple of the doubles' spacing: +1 rounds back
    return [
        ("equal as numbers (leading zeros)", n[0], f"00{n[0]}"),
        ("equal as numbers (an exponent)", n[1], f"{n[1]}e0"),
        ("equal as doubles (19 digits)", str(wide), str(wide + 1)),
        ("equal without case", f"r{n[3]}x", f"R{n[3]}X"),
        ("equal without separators", f"{n[4][:2]}-{n[4][2:]}", n[4]),
    ]


def _uuid(rng: random.Random, version: str = "4", digits: str = _HEX) -> list[str]:
    """A MessageIdType value as a list of its 36 characters."""
    text = "".join(rng.choice(digits) for _ in range(32))
    text = text[:12] + version + text[13:16] + rng.choice("89") + text[17:]
    return list(f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}")


def _other(char: str, digits: str = _HEX) -> str:
    return digits[(digits.index(char) + 1) % len(digits)]


def message_id_pairs(rng: random.Random) -> list[tuple[str, str, str]]:
    """(what, first, second) MessageIds of MessageIdType differing only where a normaliser or a
    short key does not look."""
    out = []
    for what, at, version, digits in (("only in the last hex digit", 35, "4", _HEX),
                                      ("only in the first hex digit", 0, "4", _HEX),
                                      ("only in the UUID version digit", 14, "1", _HEX),
                                      ("only in the last digit, decimal digits only (one double "
                                       "once the hyphens are dropped)", 35, "4", "0123456789")):
        first = _uuid(rng, version, digits)
        second = list(first)
        second[at] = "4" if at == 14 else _other(first[at], digits)
        out.append((what, "".join(first), "".join(second)))
    return out


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    if step.target == "request_ids":
        return _request_ids(runner, step, values)
    if step.target == "message_ids":
        return _message_ids(runner, step, values)
    raise ValueError(f"{step.where}: unknown identifiers {step.target!r} (request_ids, "
                     f"message_ids)")


def _request_ids(runner, step, values) -> list[str]:
    ns = runner.s.context.namespaces
    problems: list[str] = []
    for k, (what, one, two) in enumerate(request_id_pairs(runner._fresh_addressee())):
        soap = "1.2" if k % 2 else "1.1"
        every, dated = (one, two) if k % 2 == 0 else (two, one)
        at = f"RequestIds {one!r} and {two!r} ({what}), SOAP {soap}"
        vals = {"page_size": values["page_size"]}
        first = runner._post(step.with_options(soap=soap), values,
                             "full_extract.first_request_id", {**vals, "request_id": every},
                             f"{at}: {every} for every resident")
        second = runner._post(step.with_options(soap=soap), values,
                              "full_extract.first_request_id_as_of",
                              {**vals, "request_id": dated,
                               "as_of": values["found_moved_in_eve"]},
                              f"{at}: {dated} for 基準日 {values['found_moved_in_eve']}")
        if found := checks.outcome(first, "response") + checks.outcome(second, "response"):
            problems += [f"{at}: {m}" for m in found]
            continue
        a, b = first.envelope().body, second.envelope().body
        count = b.xpath("string(juki:TotalCount)", namespaces=ns)
        if count != str(values["count_on_moved_in_eve"]):
            problems.append(f"{at}: {dated!r} (基準日 {values['found_moved_in_eve']}) answered "
                            f"TotalCount {count}, that day's is {values['count_on_moved_in_eve']}"
                            f" — the snapshot of {every!r}?")
        extract = b.xpath("string(juki:ExtractId)", namespaces=ns)
        if extract == a.xpath("string(juki:ExtractId)", namespaces=ns):
            problems.append(f"{at}: {dated!r} answered with ExtractId {extract}, the one "
                            f"{every!r} got")
    return problems


def _message_ids(runner, step, values) -> list[str]:
    ignore, ns = step.get("ignore", []), runner.s.context.namespaces
    problems: list[str] = []
    for k, (what, one, two) in enumerate(message_id_pairs(runner.s.rng)):
        soap = "1.2" if k % 2 else "1.1"
        sent = [post_sample(runner, step, values, soap, {"message_id": mid},
                            f"MessageId {mid} ({what}) SOAP {soap}") for mid in (one, two)]
        at = f"MessageIds {one} and {two} ({what}), SOAP {soap}"
        for ex, mid in zip(sent, (one, two), strict=True):
            problems += [f"{at}: {p}" for p in _own(ex, mid, ns)]
        problems += [f"{at}: the second {p}"
                     for p in answer_comparison.compare(sent[0], sent[1], ignore, ns)]
    return problems


def _own(ex: Exchange, message_id: str, ns) -> list[str]:
    """The answer is to this message: RelatesTo its MessageId, a receipt ``applied``."""
    if ex.error:
        return [ex.error]
    try:
        relates = ex.header().relates_to
        body = ex.envelope().body
    except ValueError as exc:
        return [f"HTTP {ex.status}: {exc}"]
    problems = [] if relates == message_id else \
        [f"the answer to {message_id} relates to {relates} (another message's answer)"]
    if body.tag == f"{{{PFR}}}NoticeReceipt":
        status = body.findtext(f"{{{PFR}}}Status")
        if status != "applied":
            problems.append(f"notice {message_id} receipted {status!r}: it was never received "
                            f"before")
    return problems
