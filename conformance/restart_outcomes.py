"""Round 21 (S-RST-01): a subscriber's answer and observation across restarts, for every outcome
the documents define for a notice — the grid of what must hold (pure; restart_runs.py sends it).

The outcomes (``OUTCOMES``), each a documented rule:

- applied (receipt-v1.xsd ``applied``; docs/notices.md "What a subscriber does with each change"):
  a 記載 of a resident not held, a 修正, a 消除 (the record kept, marked removed), a 修正 of a
  resident not held ("makes the subscriber hold that resident"), a change leaving the state as
  held ("a change applied is recorded even when it changes nothing"), a change whose dates are in
  another order (common-v1.xsd constrains no date by another; docs/faults.md names the only
  rules beyond XSD: no date order is a refusal — S-DATE-01);
- kept out (stale: "a change is applied exactly when its 異動連番 is greater … than the last one
  applied"; the receipt's vocabulary has no "stale": ``applied``, its MessageId received): a
  lower 異動連番, an equal one, and a notice of a kept-out change and another resident's applied;
- duplicate ("a MessageId received before is answered ``duplicate``", receipt-v1.xsd): a notice
  applied and delivered again before the restart;
- refused, each by its documented rule ("a notice refused with a fault changes nothing … no
  異動連番 and no MessageId of it recorded — delivered again it is refused again", docs/notices.md
  "A notice is one unit"): the rules beyond XSD the catalog binds to a notice's types
  (schemas/catalog.toml [[rules]]; docs/faults.md PF-RULE-VIOLATION) — the 宛名番号's and the
  個人番号's check digit, the code lists change_reason, gender, relationship, resident_kind,
  resident_status —, the schema (PF-SCHEMA-INVALID: 異動連番 0 and one past its maxInclusive,
  juki-v1.xsd), the Receiver (docs/notices.md: PF-PROVIDER-MISROUTED for another municipality's
  hub, another system, another 業務ユニット's hub), another Version of the service (README,
  S-ADDR-02), a header block with mustUnderstand it does not understand (PF-MUST-UNDERSTAND) and
  a DTD (PF-XML-DTD);
- either (the documents let a product refuse or take it): a name character outside the
  repertoire (``mj_characters``: docs/characters.md binds it to the names, no case requires a
  subscriber to refuse it and the independent adapter stores it). Whatever the first answer
  was, a restart must not change it: refused again, or ``duplicate``.

Not outcomes here: a 消除 of a resident never held (docs/notices.md: "may be ignored", the
suite does not judge it), PF-MESSAGE-STALE (a notice is not held to max_age; the clock skew is
the hub's), a notice of another service (S-ADDR-02: refused like another Version, the same
rule), a Sender 団体コード with a wrong check digit (README since round 23a: refused with a
client fault naming the rule, or answered — P-PARTY-02/S-PARTY-02, party_domains.py; either
outcome would have to hold across a restart — outside this round).

The restart positions (``POSITIONS``), each around the outcome's notice O about resident R:
``tail`` (O among the last exchanges before the first restart, redelivered after it),
``twice`` (O early, followed by other points' notices; redelivered after each of two restarts),
``corrected`` (O holds R's 異動連番 3, the valid correction 2 under a new MessageId follows,
restart; both again), ``between`` (O holds 3, restart, R's next change numbered between what R
held and O's number — 2 after a refused O, applied exactly when O recorded nothing; 4 after a
kept-out 3 under a held 9 —, restart, O again), ``same-id`` (O, restart, O's content without its defect
under O's MessageId — applied after a refusal, S-ONCE-05 across a restart; ``duplicate`` after
anything taken —, restart, that notice again: ``duplicate``). O's own bytes after a notice
under its MessageId was taken are not sent: whether a product checks a notice or its MessageId
first, the documents do not say. Each position makes a start-up that applies,
reverts or replays O visible in R's observation or in a receipt.

The grid is every (outcome × position) point (``grid``); a run sends one point per outcome
(``sample``: outcome k at position k + rotate mod 5), so every outcome is sent, every position
meets outcomes of every family, and ``rotate`` (the case's) walks the whole product over runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .grid_notices import FIRST, Change

# --- the outcomes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    name: str
    family: str  # applied | stale | duplicate | refused | either
    rule: str  # where the documents say what the answer is
    reason: str = "C12"  # O's 異動事由
    held_at: int | None = 1  # R's 異動連番 before O (its 転入); None: R not held
    defect: str = ""  # DEFECTS: what makes O refused (or open)
    pair: bool = False  # O is [R's change, a second resident's change holding the defect]
    fields: tuple[tuple[str, str], ...] = ()  # O's change's other fields (dates)
    same_name: bool = False  # O carries the name R holds (nothing changes)
    equal: bool = False  # O's 異動連番 is the one R holds (kept out)
    other: bool = False  # O also holds a second resident's 転入 (applied beside a kept-out one)
    twice: bool = False  # O is delivered twice before the restart (duplicate)
    sequence: int | None = None  # O's 異動連番, when not the position's (2; 3)


CATALOG = "schemas/catalog.toml [[rules]], docs/faults.md PF-RULE-VIOLATION"

OUTCOMES: tuple[Outcome, ...] = (
    Outcome("applied: a 修正", "applied", "docs/notices.md, per change"),
    Outcome("refused: 宛名番号 check digit", "refused", f"addressee_number, {CATALOG}",
            defect="addressee_number", pair=True),
    Outcome("refused: 個人番号 check digit", "refused", f"individual_number, {CATALOG}",
            defect="individual_number"),
    Outcome("kept out: a lower 異動連番", "stale", "docs/notices.md, per change",
            held_at=9),
    Outcome("duplicate: delivered twice before", "duplicate", "docs/notices.md, idempotent "
            "receiver; receipt-v1.xsd duplicate", twice=True),
    Outcome("refused: 異動事由 not in change_reason", "refused",
            f"codelist:change_reason, {CATALOG}", defect="codelist:change_reason", pair=True),
    Outcome("applied: a 記載 of a resident not held", "applied", "docs/notices.md, per change",
            reason=FIRST, held_at=None),
    Outcome("kept out: an equal 異動連番", "stale", "docs/notices.md, 'an equal or lower one "
            "is kept out' (S-ORD-02)", equal=True),
    Outcome("refused: 性別 not in gender", "refused", f"codelist:gender, {CATALOG}",
            defect="codelist:gender"),
    Outcome("refused: 続柄 not in relationship", "refused", f"codelist:relationship, {CATALOG}",
            defect="codelist:relationship", pair=True),
    Outcome("applied: a 消除", "applied", "docs/notices.md 'After a 消除'", reason="B03"),
    Outcome("refused: 住民種別 not in resident_kind", "refused",
            f"codelist:resident_kind, {CATALOG}", defect="codelist:resident_kind"),
    Outcome("applied: dates in another order", "applied", "common-v1.xsd (no date constrains "
            "another), docs/faults.md rules beyond XSD (S-DATE-01)",
            fields=(("NotifiedOn", "2024-04-12"), ("RecordedOn", "2024-04-10"))),
    Outcome("refused: 住民状態 not in resident_status", "refused",
            f"codelist:resident_status, {CATALOG}", defect="codelist:resident_status",
            pair=True),
    Outcome("applied: a 修正 of a resident not held", "applied", "docs/notices.md 'A change of "
            "a resident the subscriber does not hold'", reason="C01", held_at=None),
    Outcome("refused: 異動連番 0", "refused", "juki-v1.xsd Sequence xs:positiveInteger, "
            "docs/faults.md PF-SCHEMA-INVALID", defect="xsd:zero"),
    Outcome("either: a name character outside the repertoire", "either",
            "mj_characters (docs/characters.md), taken by products the documents pass",
            defect="mj_characters"),
    Outcome("refused: 異動連番 past maxInclusive", "refused", "juki-v1.xsd maxInclusive "
            "999999999999999999, docs/notices.md", defect="xsd:max", pair=True),
    Outcome("applied: a change leaving the state as held", "applied", "docs/notices.md 'A "
            "change applied is recorded even when it changes nothing'", same_name=True),
    Outcome("refused: another municipality's hub", "refused", "docs/notices.md Receiver, "
            "PF-PROVIDER-MISROUTED (S-ADDR-01)", defect="receiver:local_gov_code"),
    Outcome("refused: another system of the 団体", "refused", "docs/notices.md Receiver, "
            "PF-PROVIDER-MISROUTED header:receiver", defect="receiver:system_id"),
    Outcome("kept out beside another resident's 転入", "stale", "docs/notices.md, per change, "
            "per resident", held_at=9, other=True),
    Outcome("refused: another 業務ユニット's hub", "refused", "docs/notices.md Receiver "
            "(PF-PROVIDER-MISROUTED, or PF-HEADER-INVALID service:unit: S-ADDR-01)",
            defect="receiver:business_unit"),
    Outcome("refused: another Version of the service", "refused", "README, S-ADDR-02 "
            "(PF-PROVIDER-MISROUTED)", defect="service:version"),
    Outcome("refused: a mustUnderstand block not understood", "refused", "docs/faults.md "
            "'Header blocks', PF-MUST-UNDERSTAND (P-SOAP-05)", defect="soap:mustUnderstand"),
    Outcome("refused: a DTD", "refused", "docs/faults.md PF-XML-DTD", defect="xml:dtd"),
    # round 32b: 異動連番 across a power of ten — a start-up that rebuilds a resident from its
    # history, or reloads what it held, ordering 異動連番 as text takes 9 for later than 10
    Outcome("applied: a 修正 numbered 10 of a resident held at 9", "applied",
            "docs/notices.md, per change (異動連番 compared as numbers, 1–18 digits)",
            held_at=9, sequence=10),
    Outcome("applied: a 修正 numbered 100 of a resident held at 99", "applied",
            "docs/notices.md, per change (異動連番 compared as numbers, 1–18 digits)",
            held_at=99, sequence=100),
    Outcome("kept out: 異動連番 9 of a resident held at 10", "stale",
            "docs/notices.md, per change (異動連番 compared as numbers, 1–18 digits)",
            held_at=10, sequence=9),
)

# defect → (header overrides — a value naming a run parameter is that parameter's —, a tamper of
# envelopes.tamper, a change's text replaced (old, new))
DEFECTS: dict[str, tuple[dict[str, str], str, tuple[str, str] | None]] = {
    "addressee_number": ({}, "", None),  # the change's 宛名番号 with its check digit wrong
    "individual_number": ({}, "", ("</cmn:AddresseeNumber>", "</cmn:AddresseeNumber>"
                                   "<cmn:IndividualNumber>123456789019</cmn:IndividualNumber>")),
    "codelist:change_reason": ({}, "", ("<cmn:Reason>{reason}</cmn:Reason>",
                                        "<cmn:Reason>Z99</cmn:Reason>")),
    "codelist:gender": ({}, "", ("<cmn:Gender>2</cmn:Gender>", "<cmn:Gender>9</cmn:Gender>")),
    "codelist:relationship": ({}, "", ("<cmn:Relationship>{relationship}</cmn:Relationship>",
                                       "<cmn:Relationship>99</cmn:Relationship>")),
    "codelist:resident_kind": ({}, "", ("<cmn:ResidentKind>1</cmn:ResidentKind>",
                                        "<cmn:ResidentKind>9</cmn:ResidentKind>")),
    "codelist:resident_status": ({}, "", ("<cmn:ResidentStatus>1</cmn:ResidentStatus>",
                                          "<cmn:ResidentStatus>9</cmn:ResidentStatus>")),
    "xsd:zero": ({}, "", ("<juki:Sequence>{sequence}</juki:Sequence>",
                          "<juki:Sequence>0</juki:Sequence>")),
    "xsd:max": ({}, "", ("<juki:Sequence>{sequence}</juki:Sequence>",
                         "<juki:Sequence>1000000000000000000</juki:Sequence>")),
    "mj_characters": ({}, "", None),  # the name itself (Change.name): ￠ U+FFE0 in it
    "receiver:local_gov_code": ({"receiver_local_gov_code": "011002"}, "", None),
    "receiver:system_id": ({"receiver_system_id": "another-system"}, "", None),
    "receiver:business_unit": ({"receiver_business_unit": "sut_business_unit"}, "", None),
    "service:version": ({"service_version": "2"}, "", None),
    "soap:mustUnderstand": ({}, "must_understand", None),
    "xml:dtd": ({}, "internal_dtd", None),
}
OUTSIDE_REPERTOIRE = "\uFFE0"  # ￠: CP932's form, outside the catalog's repertoire (S-CHR-04)

# --- the points --------------------------------------------------------------------------------

POSITIONS = ("tail", "twice", "corrected", "between", "same-id")


@dataclass(frozen=True)
class Note:
    """A notice: changes of the point's residents (``who`` indexes), its defect (DEFECTS;
    ``bad``: the change index holding it), ``key`` to send it again by; ``same_id``: under the
    MessageId of the notice of that key."""

    changes: tuple[Change, ...]
    key: str = ""
    defect: str = ""
    bad: int = 0
    soap: str = "1.1"
    same_id: str = ""


@dataclass(frozen=True)
class Again:
    """The notice of ``key`` delivered again: the same bytes, or (``other``) its header and
    body over the other SOAP version."""

    key: str
    other: bool = False


@dataclass(frozen=True)
class Point:
    outcome: Outcome
    position: str
    residents: int
    setup: tuple[Change, ...]  # the residents' 転入, sent together before every point
    phases: tuple[tuple[Note | Again, ...], ...]  # before the first restart, after it, after
    # the second

    @property
    def label(self) -> str:
        return f"{self.outcome.name} @ {self.position}"


def _outcome_changes(o: Outcome, sequence: int) -> tuple[tuple[Change, ...], int]:
    """O's changes for R (who 0) at ``sequence`` and the index of the one holding the defect."""
    number = str(o.held_at) if o.equal else str(o.sequence or sequence)
    name = "𠮷田花子" if o.same_name else None
    if o.defect == "mj_characters":
        name = f"{OUTSIDE_REPERTOIRE}田花子"
    mine = Change(0, number, o.reason, name=name, fields=dict(o.fields),
                  occurred="2024-06-30" if o.reason == "B03" else "2024-04-01")
    if o.other:
        return (mine, Change(1, "1", FIRST, relationship="02")), 0
    if o.pair:  # the defect in the second resident's 転入 (document order: R's change first)
        return (mine, Change(1, "1", FIRST, relationship="02")), 1
    return (mine,), 0


def point(o: Outcome, position: str, k: int) -> Point:
    """The point of outcome ``o`` at ``position`` (``k``: its number, for the SOAP versions)."""
    one, two = ("1.2", "1.1") if k % 2 else ("1.1", "1.2")
    sequence = 3 if position in ("corrected", "between") else 2  # a stale O: below 9
    held = () if o.held_at is None else (Change(0, str(o.held_at), FIRST, name="𠮷田花子"),)
    changes, bad = _outcome_changes(o, sequence)
    residents = 1 + any(c.who == 1 for c in changes)
    first = (Note(changes, "o", o.defect, bad, one),)
    if o.twice:
        first += (Again("o", other=True),)
    # O's content without its defect (a name of the repertoire), under O's MessageId
    valid = Note(tuple(replace(c, name=None) if o.defect == "mj_characters" else c
                       for c in changes), "v", soap=two, same_id="o")
    phases: tuple[tuple[Note | Again, ...], ...]
    if position == "tail":
        phases = (first, (Again("o", other=True),), ())
    elif position == "twice":
        phases = (first, (Again("o", other=True),), (Again("o"),))
    elif position == "corrected":
        correction = Note((Change(0, "2", "C12"),), "c", soap=two)
        phases = (first + (correction,), (Again("o"), Again("c", other=True)), ())
    elif position == "between":  # R's next change numbered between what R held and O's number
        # where there is room: after a refused O applied (O recorded no 異動連番), after a
        # kept-out O kept out (the watermark is what R held, not the number last received)
        low, high = sorted((o.held_at or 0, int(changes[0].sequence)))
        anew = low + 1 if high - low >= 2 else high + 1
        phases = (first, (Note((Change(0, str(anew), "C12"),), soap=two),), (Again("o"),))
    else:  # same-id: then that notice again (O's own bytes again are not judged: whether a
        # product checks a notice or its MessageId first, the documents do not say)
        phases = (first, (valid,), (Again("v", other=True),))
    return Point(o, position, residents, held, phases)


def grid(outcomes: Iterable[Outcome] = OUTCOMES) -> list[Point]:
    """Every (outcome × position) point."""
    return [point(o, p, k) for k, o in enumerate(outcomes) for p in POSITIONS]


def sample(rotate: int = 0, outcomes: Iterable[Outcome] = OUTCOMES) -> list[Point]:
    """One point per outcome: outcome k at position (k + rotate) mod 5."""
    return [point(o, POSITIONS[(k + rotate) % len(POSITIONS)], k)
            for k, o in enumerate(outcomes)]


@dataclass
class Plan:
    """The points' notices in the order sent: the residents' 転入 (a notice per position), then
    phase 1 of every point (``tail`` points last, a refusal the very last), restart, phase 2
    (``twice`` points last: a redelivered refusal is the last exchange before the second
    restart), restart, phase 3."""

    points: list[Point]
    phases: list[list[tuple[int, Note | Again]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        def last(position: str):  # that position's points last, a refusal the very last
            return lambda i: (self.points[i].position == position,
                              self.points[i].outcome.family == "refused")
        order = sorted(range(len(self.points)), key=last("tail"))
        later = sorted(range(len(self.points)), key=last("twice"))
        self.phases = [[(i, s) for i in order for s in self.points[i].phases[0]],
                       [(i, s) for i in later for s in self.points[i].phases[1]],
                       [(i, s) for i in order for s in self.points[i].phases[2]]]
