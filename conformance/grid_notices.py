"""The subscriber's notice grid (S-GRID-01): 異動通知 sequences judged against a receiver model.

The example cases (S-ONCE-*, S-ORD-*, S-MULTI-*, S-CHR-*) each send one sequence; a defect on a
boundary none of them sends passes. The grid sends, on fresh residents, a bounded set of notice
sequences over every dimension the documents give a subscriber (docs/notices.md, the XSD's
``Sequence`` "per resident, increasing; receivers apply in this order", the receipt's
vocabulary ``applied | duplicate``, docs/faults.md on notices and time), and judges every receipt
and — with ``--observe`` — every resident against the model of an exactly-once, in-order,
idempotent receiver:

- a MessageId received before is receipted ``duplicate`` and changes nothing, whatever came in
  between, however long after, over either SOAP version — also when its changes were kept out;
- any other notice is receipted ``applied`` (the receipt's vocabulary has no "stale": a
  ``duplicate`` means "this MessageId was received before");
- each change is applied exactly when its 異動連番 is greater, as a number, than the last one
  applied to that resident — by an earlier notice or earlier in the same one (per resident, per
  change; the first one of a resident, whatever its number and 異動事由 — a 修正 too —, and
  after a gap, is applied; an equal or lower one is kept out). A notice's changes may be taken
  in 異動連番 order or in document order: the resident ends the same, only how many changes
  counted may differ, and either count is accepted;
- an applied change leaves the resident as the notice says (observed: Name/Text exactly, not
  normalised) and counts once (observed: ``changes_applied``); a 消除 keeps the record, marked
  removed on the change's OccurredOn, a 記載 clears the mark, a 修正 leaves it (observed when
  the command prints ``removed_on``).

Every receipt is also judged for its MessageId and RelatesTo (the notice's); the invariants
(INV-*) judge its schema, RequestHash, parties and SentAt as for every answer. Pure: the
interpreter provides a ``Driver``; a finding names its grid point.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from xml.sax.saxutils import escape

from .checks import outcome
from .address_parts import address_of, address_problems, address_xml
from .element_omission import omitted as _omitted
from .grid import check_remainder, with_check_digit
# the value tables (notice_values.py); FIRST and OTHER_FIELDS imported from here by others
from .notice_values import CHARACTERS, CHOME, FIRST, OTHER_FIELDS, SHRUNK_NAMES  # noqa: F401
from .records import CommandRun, Exchange

PFR = "urn:pfbus:platform:receipt:v1"


@dataclass(frozen=True)
class Change:
    """One juki:Change: whose (index into the point's residents), 異動連番 as sent, 異動事由."""

    who: int
    sequence: str
    reason: str = "C12"  # 誤記修正: a 修正 of a resident already known
    name: str | None = None  # Name/Text; None: one of the grid's own, unique per change
    fields: Mapping[str, str] = field(default_factory=dict)  # Original, FormerSurname, Town …
    relationship: str = "01"
    occurred: str = "2024-04-01"  # OccurredOn: 事由の生じた年月日
    born: str = "1980-01-01"  # DateOfBirth (fields: NotifiedOn, RecordedOn of the event and
    # the resident's BecameResidentOn, AddressFixedOn too)


@dataclass(frozen=True)
class Send:
    changes: tuple[Change, ...]
    soap: str = "1.1"
    age: float = 0.0  # seconds SentAt lies in the past (negative: ahead of the clock)
    key: str = ""  # a name to resend it by
    what: str = ""
    message_id: str = ""  # a MessageId of the point's own (identifiers.py); "": a fresh one
    linkage_kind: str = ""  # the header's LinkageKind when not the service's (delta)


@dataclass(frozen=True)
class Resend:
    """An earlier notice again: the same bytes, the same header over another SOAP version, or
    (``new_id``) the same content under a new MessageId. (Long after: S-LATE-02, at the end of
    the run, late_notices.py.)"""

    key: str
    soap: str | None = None
    new_id: bool = False
    what: str = ""


@dataclass(frozen=True)
class Restart:
    """The product killed and started again (--restart-command): its state must survive."""


@dataclass(frozen=True)
class Point:
    dimension: str
    what: str
    residents: int
    steps: tuple[Send | Resend | Restart, ...]
    remainder: int | None = None  # the residents' 宛名番号 and 個人番号 have this check-digit
    # remainder (0 and 1 give check digit 0, 10 gives 1: what a mod-10 slip gets wrong)
    judge_address: bool = False  # its residents' addresses judged when --observe prints them


@dataclass
class Driver:
    """What the grid needs from the interpreter."""

    fresh: Callable[[], str]  # a valid 宛名番号 nobody used
    # (body, SOAP version, step label, header overrides) -> the exchange
    send: Callable[[str, str, str, Mapping[str, str]], Exchange]
    # (earlier exchange, its body, SOAP version, label) -> the same header again
    resend: Callable[[Exchange, str, str, str], Exchange]
    observe: Callable[[str, str], CommandRun] | None  # (宛名番号, label); None: no --observe
    rng: random.Random = field(default_factory=random.Random)
    restart: Callable[[str], list[str]] | None = None  # (label) -> problems; None: not given


# --- the points -------------------------------------------------------------------------------

def _seq(*numbers: str, soap: str = "1.1") -> tuple[Send, ...]:
    return tuple(Send((Change(0, n, FIRST if i == 0 else "C12"),),
                      soap="1.2" if (i + (soap == "1.2")) % 2 else "1.1")
                 for i, n in enumerate(numbers))


def points(reasons: Iterable[str], groups: Mapping[str, str]) -> list[Point]:
    """Every point of the grid; ``reasons``: the change_reason code list's codes, ``groups``
    each one's group (記載, 消除, 修正)."""
    p = [Point("異動連番", f"{' → '.join(ns)}", 1, _seq(*ns, soap=("1.1", "1.2")[k % 2]))
         for k, ns in enumerate((
             ("1",), ("1", "2"), ("9", "10"), ("99", "100"), ("999", "1000"),
             ("8", "09"),  # the same number in another lexical form of xs:positiveInteger
             ("2147483647", "2147483648"), ("9007199254740992", "9007199254740993"),
             ("57",),  # a resident first seen mid-stream
             ("10", "9"), ("100", "99"), ("1000", "1000"), ("5", "5"),
             ("1", "3", "2", "4"),  # a gap is applied; the missing one, late, is kept out
             # the top of the value domain (18 digits): a double or DECIMAL(17) loses it
             ("999999999999999998", "999999999999999999"),
         ))]
    # round 30b: a notice sent as LinkageKind full is applied and receipted as any other
    # (README: the hub routes by Service, not LinkageKind) — the 異動連番 rule included; the
    # thirtieth blind batch took one for a piece of a 全件 load and skipped the check
    p += [Point("異動連番", f"{' → '.join(ns)}, the last sent as LinkageKind full", 1, (
        Send((Change(0, ns[0], FIRST),), soap=soap),
        Send((Change(0, ns[1]),), soap="1.2" if soap == "1.1" else "1.1", linkage_kind="full")))
        for ns, soap in ((("10", "9"), "1.1"), (("7", "7"), "1.2"), (("3", "4"), "1.1"))]
    p += [
        Point("異動連番", "two residents interleaved: A 1, B 1, A 2, B 2, A 7, B 3", 2, tuple(
            Send((Change(who, n, FIRST if n == "1" else "C12"),), soap="1.2" if k % 2 else "1.1")
            for k, (who, n) in enumerate(((0, "1"), (1, "1"), (0, "2"), (1, "2"), (0, "7"),
                                          (1, "3"))))),
        # one notice, one resident, 異動連番 not ascending: each change judged on its own
        Point("異動連番", "A 5, then one notice of A 8, 6, 6, 4: 8 applied, 4 and the second 6 "
              "kept out, the first 6 counted or not (order taken)", 1, (
            Send((Change(0, "5", FIRST),)),
            Send((Change(0, "8"), Change(0, "6"), Change(0, "6"), Change(0, "4")), soap="1.2"))),
        Point("異動連番", "one notice of A 7, 3: 7 applied, 3 counted or not", 1, (
            Send((Change(0, "7", FIRST), Change(0, "3", "C01")),),)),
        # a resident first seen in a 修正: the change carries its whole state
        Point("異動連番", "a 修正 (C01) of a resident not held, then an older one kept out", 1, (
            Send((Change(0, "4", "C01"),)), Send((Change(0, "3", "C12"),), soap="1.2"))),
        Point("異動連番", "a 修正 (C12) of a resident not held, in a notice with a 転入 of "
              "another", 2, (
            Send((Change(1, "1", FIRST, relationship="02"), Change(0, "9", "C12")),
                 soap="1.2"),)),
        # a change leaving the state as held is applied all the same: its 異動連番 recorded
        Point("異動連番", "A 1, then A 3 carrying the same name (nothing changes), then A 2: "
              "kept out", 1, (Send((Change(0, "1", FIRST, name="𠮷田花子"),)),
                             Send((Change(0, "3", name="𠮷田花子"),), soap="1.2"),
                             Send((Change(0, "2"),)))),
        Point("異動連番", "A 10 applied, then one notice of A 9 (kept out) and B 1 (applied)", 2, (
            Send((Change(0, "10", FIRST),)),
            Send((Change(0, "9"), Change(1, "1", FIRST, relationship="02")), soap="1.2"))),
        # --- resends
        Point("resend", "the same bytes at once", 1, (
            Send((Change(0, "1", FIRST),), key="n"), Resend("n"))),
        Point("resend", "SOAP 1.1, then the same MessageId over SOAP 1.2", 1, (
            Send((Change(0, "1", FIRST),), key="n"), Resend("n", soap="1.2"))),
        Point("resend", "SOAP 1.2, then the same MessageId over SOAP 1.1", 1, (
            Send((Change(0, "1", FIRST),), soap="1.2", key="n"), Resend("n", soap="1.1"))),
        Point("resend", "the first notice again after the resident's next one", 1, (
            Send((Change(0, "1", FIRST),), key="n"), Send((Change(0, "2"),), soap="1.2"),
            Resend("n"))),
        Point("resend", "the same content under a new MessageId", 1, (
            Send((Change(0, "1", FIRST),), key="n"), Resend("n", new_id=True))),
        Point("resend", "a notice kept out (stale), sent again", 1, (
            Send((Change(0, "5", FIRST),)), Send((Change(0, "4"),), soap="1.2", key="n"),
            Resend("n"))),
        Point("resend", "a notice of three changes, sent again", 1, (
            Send((Change(0, "1", FIRST), Change(0, "2"), Change(0, "3")), key="n"),
            Resend("n", soap="1.2"))),
        # --- shapes
        Point("shape", "three changes of one resident in one notice", 1, (
            Send((Change(0, "1", FIRST), Change(0, "2"), Change(0, "3")), soap="1.2"),)),
        Point("shape", "a household of three moving in: one notice, a change each", 3, (
            Send(tuple(Change(who, "1", FIRST, relationship=("01", "02", "03")[who])
                       for who in range(3))),)),
        Point("shape", "a one-person household (世帯主 alone)", 1, (
            Send((Change(0, "1", FIRST, relationship="01"),), soap="1.2"),)),
        Point("shape", "no optional element: Name without Kana, Address without Chome and "
              "Banchi", 1, (Send((Change(0, "1", FIRST, fields={"Kana": "none", "Address":
                                                                 "minimal"}),)),)),
        Point("shape", "a reading of the family name only (Kana without Given)", 1, (
            Send((Change(0, "1", FIRST, fields={"Kana": "family"}),), soap="1.2"),)),
        # round 22: 丁目 is xs:positiveInteger — a value of every digit count a subscriber must
        # keep (docs/notices.md: up to 9999), each a 転居 (C01) of one resident in one notice
        Point("shape", "丁目 (xs:positiveInteger) 9, then " + ", ".join(CHOME), 1, (
            Send((Change(0, "1", FIRST, fields={"Chome": "9"}),)),
            Send(tuple(Change(0, str(k + 2), "C01", fields={"Chome": v})
                       for k, v in enumerate(CHOME)), soap="1.2"))),
        Point("shape", "a name of the XSD's 100 characters (𠮷 counting one)", 1, (
            Send((Change(0, "1", FIRST, name="𠮷" + "田" * 98 + "子"),)),)),
        # --- time
        Point("SentAt", "sent 25 hours ago (an outbox after an outage)", 1, (
            Send((Change(0, "1", FIRST),), age=25 * 3600, key="n"), Resend("n", soap="1.2"))),
        Point("SentAt", "sent 2 days ago, after a newer one of another resident", 2, (
            Send((Change(1, "1", FIRST),), soap="1.2"),
            Send((Change(0, "1", FIRST),), age=2 * 86400))),
        Point("SentAt", "60 s ahead of the clock (within the skew)", 1, (
            Send((Change(0, "1", FIRST),), age=-60, soap="1.2"),)),
    ]
    # --- check digits: 宛名番号 and the optional 個人番号 with each remainder (every check digit)
    p += [Point("check digit", f"宛名番号 and 個人番号 of check-digit remainder {r}", 1, (
        Send((Change(0, "1", FIRST),), soap="1.2" if r % 2 else "1.1"),), remainder=r)
        for r in range(11)]
    # --- each 異動事由 of the code list, after the 転入 that makes the resident known; (round
    # 22) each change carrying a 個人番号 other than the one held — the state after it whatever
    # the reason (C06 個人番号変更 names it; a 誤記修正, a 記載 may carry one too)
    p += [Point("異動事由", f"{code} after {FIRST}, another 個人番号", 1, (
        Send((Change(0, "1", FIRST),), soap="1.2" if k % 2 else "1.1"),
        Send((Change(0, "2", code, occurred=f"2024-05-{k + 1:02d}"),),
             soap="1.1" if k % 2 else "1.2")), remainder=k % 11)
        for k, code in enumerate(sorted(reasons))]
    # round 43b: each 記載 and 修正 as the first change of a resident not held — applied
    # (docs/notices.md: it makes the subscriber hold the resident; a 消除 of one never held may
    # be ignored, not judged; the forty-third blind batch took a 職権記載 A04 for a correction of
    # a record it did not hold)
    p += [Point("異動事由", f"{code} as the first change of a resident not held", 1, (
        Send((Change(0, "3", code, occurred=f"2024-07-{k + 1:02d}"),),
             soap="1.2" if k % 2 else "1.1"),))
        for k, code in enumerate(sorted(c for c in set(reasons) - {FIRST}
                                        if groups.get(c) != "消除"))]
    # --- the state after a 消除: kept, marked; a 修正 keeps the mark, a 記載 clears it
    p += [Point("消除", "B03 (死亡), then a 修正 (C12) of the removed record", 1, (
        Send((Change(0, "1", FIRST),)),
        Send((Change(0, "2", "B03", occurred="2024-06-30"),), soap="1.2"),
        Send((Change(0, "3", "C12", occurred="2024-07-02"),)))),
        Point("消除", "B01 (国内転出), then A01 (国内転入: back again)", 1, (
            Send((Change(0, "1", FIRST),), soap="1.2"),
            Send((Change(0, "2", "B01", occurred="2024-08-31"),)),
            Send((Change(0, "3", FIRST, occurred="2024-10-01"),), soap="1.2")))]
    # --- characters: in Name/Text (observed), and in every other name and address field
    for k, (label, chars, name) in enumerate(CHARACTERS):
        soap = "1.2" if k % 2 else "1.1"
        p.append(Point("characters", f"{label} in Name/Text", 1, (
            Send((Change(0, "1", FIRST, name=name),), soap=soap),)))
        p.append(Point("characters", f"{label} in {', '.join(OTHER_FIELDS)}", 1, (
            Send((Change(0, "1", FIRST, fields={f: chars for f in OTHER_FIELDS}),),
                 soap="1.1" if k % 2 else "1.2"),)))
    # round 29b: a name in 縮退 beside its Original — the Text held as sent (observed)
    for k, (label, text, original) in enumerate(SHRUNK_NAMES):
        p.append(Point("characters", f"縮退 relayed: {label}, Original {original}", 1, (
            Send((Change(0, "1", FIRST, name=text, fields={"OriginalText": original}),),
                 soap="1.2" if k % 2 else "1.1"),)))
    return p


# --- the notice -------------------------------------------------------------------------------

def _name(text: str, original: str | None = None, kana: str = "full",
          reading: tuple[str, str] = ("シケン", "ハナコ")) -> str:
    """cmn:NameType; ``kana``: "full", "family" (no Given: minOccurs 0) or "none" (no Kana);
    ``reading``: its Family and Given."""
    return (f"<cmn:Text>{escape(text)}</cmn:Text>"
            + (f"<cmn:Original>{escape(original)}</cmn:Original>" if original else "")
            + ("" if kana == "none" else f"<cmn:Kana><cmn:Family>{reading[0]}</cmn:Family>"
               + (f"<cmn:Given>{reading[1]}</cmn:Given>" if kana == "full" else "")
               + "</cmn:Kana>"))


RESIDENT_DATES = ("BecameResidentOn", "AddressFixedOn")  # optional, after Address (fields)
ADDRESS_CODES = ("PostalCode", "AddressCode")  # optional, first in Address (fields)


def notice_body(changes: Iterable[tuple[Change, str, str, str]]) -> str:
    """A juki:ResidentChangeNotice of (change, 宛名番号, 世帯番号, Name/Text) in document order;
    a change's ``fields`` may give its ResidentCode, its 世帯番号 (HouseholdNumber, instead of the
    one passed), its reading (KanaFamily, KanaGiven), its Gender, its ResidentKind (住民の種別:
    1 日本人住民 or 2 外国人住民) and its ResidentStatus (住民状態, 1 住民 unless given). Without
    them the residents of a point vary both by their index (``who``): kinds alternate 1, 2,
    genders go 2, 2, 1, 1 — so every pair of the two occurs
    among a point's residents (a rule keyed on a second item of a resident is met)."""
    out = []
    for c, number, household, name in changes:
        f = c.fields
        household = f.get("HouseholdNumber", household)
        code = (f"<cmn:ResidentCode>{f['ResidentCode']}</cmn:ResidentCode>"
                if f.get("ResidentCode") else "")
        reading = (f.get("KanaFamily", "シケン"), f.get("KanaGiven", "ハナコ"))
        individual = (f"<cmn:IndividualNumber>{f['IndividualNumber']}</cmn:IndividualNumber>"
                      if f.get("IndividualNumber") else "")
        former = (f"<cmn:FormerSurname>{_name(f['FormerSurname'] + '川')}</cmn:FormerSurname>"
                  if "FormerSurname" in f else "")
        parts = address_of(c)  # round 24's explicit address, else the grid's own
        address = address_xml(parts) if parts is not None else (
                   "".join(f"<cmn:{a}>{f[a]}</cmn:{a}>" for a in ADDRESS_CODES if a in f)
                   + "<cmn:Prefecture>東京都</cmn:Prefecture><cmn:City>千代田区</cmn:City>"
                   f"<cmn:Town>{escape('永田町' + f.get('Town', ''))}</cmn:Town>"
                   + ("" if f.get("Address") == "minimal" else f"<cmn:Chome>{f.get('Chome', '1')}</cmn:Chome>"
                      f"<cmn:Banchi>{escape('7番1号' + f.get('Banchi', ''))}</cmn:Banchi>")
                   + (f"<cmn:Katagaki>{escape('ハイツ' + f['Katagaki'])}</cmn:Katagaki>"
                      if "Katagaki" in f else ""))
        original = f"{f['Original']}田花子" if "Original" in f else f.get("OriginalText")
        change = (
            f"<juki:Change><juki:Sequence>{c.sequence}</juki:Sequence><juki:Event>"
            f"<cmn:Reason>{c.reason}</cmn:Reason><cmn:OccurredOn>{c.occurred}</cmn:OccurredOn>"
            + "".join(f"<cmn:{d}>{f[d]}</cmn:{d}>" for d in ("NotifiedOn", "RecordedOn") if d in f)
            + f"</juki:Event><juki:Resident><cmn:AddresseeNumber>{number}</cmn:AddresseeNumber>"
            f"{code}{individual}<cmn:HouseholdNumber>{household}</cmn:HouseholdNumber>"
            f"<cmn:Name>{_name(name, original, f.get('Kana', 'full'), reading)}</cmn:Name>"
            f"{former}"
            f"<cmn:DateOfBirth>{c.born}</cmn:DateOfBirth>"
            f"<cmn:Gender>{f.get('Gender', '21'[c.who // 2 % 2])}</cmn:Gender>"
            f"<cmn:Relationship>{c.relationship}</cmn:Relationship>"
            f"<cmn:ResidentKind>{f.get('ResidentKind', '12'[c.who % 2])}</cmn:ResidentKind>"
            f"<cmn:ResidentStatus>{f.get('ResidentStatus', '1')}</cmn:ResidentStatus>"
            f"<cmn:Address>{address}</cmn:Address>"
            + "".join(f"<cmn:{d}>{f[d]}</cmn:{d}>" for d in RESIDENT_DATES if d in f)
            + "</juki:Resident></juki:Change>")
        out.append(_omitted(change, f["Omit"]) if f.get("Omit") else change)
    return ('<juki:ResidentChangeNotice xmlns:juki="urn:pfbus:unit:juki:v1" '
            'xmlns:cmn="urn:pfbus:platform:common:v1">' + "".join(out)
            + "</juki:ResidentChangeNotice>")


_DIGITS = "〇一二三四五六七八九"


# --- the model and the run --------------------------------------------------------------------

@dataclass
class Held:
    """What the model says a resident now is: the last 異動連番 applied, Name/Text, the counts
    of applied changes it accepts (taken in 異動連番 or document order), the day it was removed
    (消除: 事由の生じた年月日; None while current)."""

    last: int = 0
    name: str = ""
    applied: frozenset[int] = frozenset({0})
    removed_on: str | None = None
    address: Mapping[str, str] | None = None  # the last applied change's explicit address

    def take(self, changes: list[tuple[Change, str]], groups: Mapping[str, str]) -> int:
        """Apply ``changes`` (this resident's, in the order given); how many were applied."""
        count = 0
        for c, name in changes:
            if int(c.sequence) > self.last:
                self.last, self.name, count = int(c.sequence), name, count + 1
                self.address = address_of(c)
                group = groups.get(c.reason, "")
                self.removed_on = c.occurred if group == "消除" else \
                    None if group == "記載" else self.removed_on
        return count


@dataclass
class _Sent:
    index: int  # the notice's number in its point
    exchange: Exchange
    body: str
    changes: tuple[tuple[Change, str, str, str], ...]


class NoticeGrid:
    def __init__(self, driver: Driver, groups: Mapping[str, str] | None = None):
        self.d = driver
        self.groups = dict(groups or {})  # 異動事由 → 記載 | 消除 | 修正 (the code list's)
        self.held: dict[str, Held] = {}
        self.seen: set[str] = set()  # MessageIds the product has received
        self.where: dict[str, str] = {}  # 宛名番号 -> its point's label
        self.names = 0
        self.address_judged: set[str] = set()  # 宛名番号 of points with judge_address

    def run(self, reasons: Iterable[str], chosen: list[Point] | None = None) -> list[str]:
        """Every point (the grid's own, or ``chosen``: notice_runs.py's other sets)."""
        problems: list[str] = []
        for k, point in enumerate(points(reasons, self.groups) if chosen is None else chosen,
                                  start=1):
            who = [self._fresh(point.remainder) for _ in range(point.residents)]
            label = f"[{point.dimension} #{k}: {point.what}; 宛名番号 {', '.join(who)}]"
            sent: dict[str, _Sent] = {}
            for i, step in enumerate(point.steps, start=1):
                problems += self._step(step, i, f"{label} notice {i}", who, sent,
                                       point.remainder)
            for number in who:
                self.where[number] = label
            if point.judge_address:
                self.address_judged.update(who)
        if self.d.observe is not None:
            for number, held in self.held.items():
                problems += self._observed(number, held)
        return problems

    def _fresh(self, remainder: int | None) -> str:
        while True:  # one in eleven has the remainder asked for
            number = self.d.fresh()
            if remainder is None or check_remainder(number, "addressee") == remainder:
                return number

    def _individual(self, remainder: int) -> str:
        while True:
            number = with_check_digit(f"{self.d.rng.randrange(10**10, 10**11):011d}",
                                       "individual")
            if check_remainder(number, "individual") == remainder:
                return number

    def _fresh_name(self) -> str:
        self.names += 1
        return "𠮷田花子" + "".join(_DIGITS[int(d)] for d in str(self.names))

    def _step(self, step: Send | Resend | Restart, index: int, at: str, who: list[str],
              sent: dict[str, _Sent], remainder: int | None = None) -> list[str]:
        if isinstance(step, Restart):
            if self.d.restart is None:
                raise ValueError(f"{at}: a restart needs --restart-command")
            return self.d.restart(f"{at} (restart)")
        if isinstance(step, Send):
            changes = tuple((c, who[c.who], who[0][::-1], c.name or self._fresh_name())
                            for c in step.changes)
            if remainder is not None:  # the 個人番号 drawn now: unique to this resident
                changes = tuple((replace(c, fields={**c.fields, "IndividualNumber":
                                                    self._individual(remainder)}), *rest)
                                for c, *rest in changes)
            body = notice_body(changes)
            overrides = {"sent_at_age": str(step.age)} if step.age else {}
            if step.message_id:
                overrides["message_id"] = step.message_id
            if step.linkage_kind:
                overrides["linkage_kind"] = step.linkage_kind
            ex = self.d.send(body, step.soap, f"{at} (SOAP {step.soap})", overrides)
            record = _Sent(index, ex, body, changes)
            if step.key:
                sent[step.key] = record
            return self._judge(record, f"{at} (SOAP {step.soap})")
        first = sent[step.key]
        soap = step.soap or first.exchange.soap_version or "1.1"
        what = f"notice {first.index}'s content under a new MessageId" if step.new_id \
            else f"notice {first.index} again"
        at = f"{at} ({what}, SOAP {soap})"
        if step.new_id:
            ex = self.d.send(first.body, soap, at, {})
        else:
            ex = self.d.resend(first.exchange, first.body, soap, at)
        return self._judge(_Sent(index, ex, first.body, first.changes), at)

    def _judge(self, s: _Sent, at: str) -> list[str]:
        """The model's answer to this notice, and the receipt judged against it."""
        header = s.exchange.sent_header
        message_id = header.message_id if header else ""
        duplicate = message_id in self.seen
        self.seen.add(message_id)
        if not duplicate:  # each resident on its own, each change judged on its own
            for number in dict.fromkeys(number for _, number, _, _ in s.changes):
                mine = [(c, name) for c, n, _, name in s.changes if n == number]
                held = self.held.setdefault(number, Held())
                as_sent = replace(held)  # the same notice in document order
                counts = {held.take(sorted(mine, key=lambda x: int(x[0].sequence)), self.groups),
                          as_sent.take(mine, self.groups)}
                held.applied = frozenset(a + n for a in held.applied for n in counts)
        want = "duplicate" if duplicate else "applied"
        why = "this MessageId was received before" if duplicate else \
            "a MessageId not received before (a kept-out change is still received)"
        return [f"{at}: {p}" for p in receipt_problems(s.exchange, message_id, want, why)]

    def _observed(self, number: str, held: Held) -> list[str]:
        at = f"{self.where.get(number, '')} observed {number}"
        assert self.d.observe is not None
        run = self.d.observe(number, at)
        if run.exit_code != 0 or not isinstance(run.json, dict):
            return [f"{at}: the observe command exited {run.exit_code} with "
                    f"{run.stdout.strip()[:200]!r}; the model holds the resident, "
                    f"{' or '.join(map(str, sorted(held.applied)))} change(s) applied"]
        problems = []
        if run.json.get("name") != held.name:
            problems.append(f"{at}: name is {_show(run.json.get('name'))}, the model says "
                            f"{_show(held.name)} (the change of 異動連番 {held.last})")
        if str(run.json.get("changes_applied")) not in {str(n) for n in held.applied}:
            problems.append(f"{at}: changes_applied is {run.json.get('changes_applied')}, the "
                            f"model says {' or '.join(map(str, sorted(held.applied)))} (last "
                            f"異動連番 applied {held.last})")
        if "removed_on" in run.json and run.json["removed_on"] != held.removed_on:
            problems.append(f"{at}: removed_on is {run.json['removed_on']!r}, the model says "
                            f"{held.removed_on!r} (" + ("the OccurredOn of its 消除"
                                                        if held.removed_on else "not removed:"
                                                        " no 消除, or a 記載 after it") + ")")
        if number in self.address_judged and held.address is not None and "address" in run.json:
            problems += [f"{at}: {p}" for p in address_problems(run.json["address"],
                                                                held.address)]
        return problems


def receipt_problems(ex: Exchange, message_id: str, want: str, why: str) -> list[str]:
    """What is wrong with ``ex``'s answer as the receipt of notice ``message_id``, which the
    model says is Status ``want`` (for the reason ``why``): it names the notice's MessageId and
    relates to it."""
    if problems := outcome(ex, "response"):
        return [f"{m} (the model: a receipt, Status {want})" for m in problems]
    body = ex.envelope().body
    problems = []
    status = body.xpath("string(pfr:Status)", namespaces=_PFR)
    if status != want:
        problems.append(f"Status is {status!r}, the model says {want} ({why})")
    named = body.xpath("string(pfr:MessageId)", namespaces=_PFR)
    if named != message_id:
        problems.append(f"the receipt names MessageId {named!r}, the notice's is {message_id}")
    try:
        relates = ex.header().relates_to
    except ValueError as exc:
        return problems + [str(exc)]
    if relates != message_id:
        problems.append(f"RelatesTo is {relates}, the notice's MessageId is {message_id}")
    return problems


_PFR = {"pfr": PFR}


def _show(text: object) -> str:
    """A name with its code points: U+FA19 and U+795E look alike on a report."""
    if not isinstance(text, str):
        return repr(text)
    return f"{text!r} [{' '.join(f'U+{ord(c):04X}' for c in text)}]"
