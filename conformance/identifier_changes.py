"""A change carrying a new identifier, under every 異動事由 (S-IDCHG-01): points for the notice
grid's receiver model (grid_notices.py, step ``grid = "id_changes"``).

docs/notices.md: per resident, the subject is cmn:AddresseeNumber (宛名番号) — the resident's
key —; each change carries the resident's whole state after it, whatever its 異動事由. The
resident's other identifiers are items of that state (common-v1.xsd ResidentType, the type of
juki:Change/juki:Resident): ``ResidentCode`` (住民票コード, 11 digits, optional),
``IndividualNumber`` (個人番号, 12 digits, optional) and ``HouseholdNumber`` (世帯番号, 2–15
digits) — IDENTIFIERS, read from the XSD by the unit test. A change whose identifier differs
from the one held must be applied to the resident held under its 宛名番号; a product that
writes it to a row keyed by the new identifier (a 住民票コード変更 handler keyed by the code, a
世帯変更 handler by the new 世帯番号) leaves that resident's count and name as they were.

What was there: S-GRID-01 (round 22) sends, for every 異動事由, one resident's 転入 and a change
under that reason carrying another 個人番号 — one resident a notice, no 住民票コード in any notice,
the 世帯番号 never changed. Added: one point of a resident per 異動事由 of change_reason (26), in
four notices of every resident's change each — their 国内転入 (A01, with a 住民票コード, a 個人番号
and a 世帯番号), then under the resident's own 異動事由 a change carrying a new 住民票コード, one
carrying a new 個人番号 and one carrying a new 世帯番号 (each keeping the identifiers changed
before it; the 個人番号 of every check-digit remainder, so every check digit): 4 exchanges;
with ``--observe`` every resident must hold the name of its last change and 4 changes applied
(a 消除 group's resident removed on its last change's day).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping

from .grid import check_remainder, with_check_digit
from .grid_notices import FIRST, Change, Point, Send

# the identifiers of cmn:ResidentType besides 宛名番号, in the XSD's order (the field a change
# carries, its step's label)
IDENTIFIERS = (("ResidentCode", "住民票コード"), ("IndividualNumber", "個人番号"),
               ("HouseholdNumber", "世帯番号"))
# 住民種別 (code list resident_kind) in the grid's order: resident k is KINDS[k % 2]
# (grid_notices.notice_xml), so a change to KINDS[(k + 1) % 2] changes it
KINDS = ("1", "2")
STATUSES = ("1", "2", "3", "4")  # 住民状態 (code list resident_status)
# OccurredOn of the later changes: one day, so that a 消除 group's resident is removed on
# it whether a 消除 of a removed record re-dates the mark or not (docs/notices.md does not say)
_DAY = "2024-05-01"


def _draw(rng: random.Random, field: str, remainder: int) -> str:
    """A value of ``field``; a 個人番号 of check-digit remainder ``remainder`` (so that the
    residents' numbers have every check digit, whatever the run's rng draws)."""
    if field == "ResidentCode":  # 10 digits + check digit (M11; the hub binds no rule)
        return with_check_digit(f"{rng.randrange(10**9, 10**10):010d}", "addressee")
    if field == "IndividualNumber":
        while True:  # one in eleven
            number = with_check_digit(f"{rng.randrange(10**10, 10**11):011d}", "individual")
            if check_remainder(number, "individual") == remainder:
                return number
    return with_check_digit(f"{rng.randrange(10**8, 10**9):09d}", "addressee")


def id_change_points(codes: Iterable[str], groups: Mapping[str, str],
                     rng: random.Random) -> list[Point]:
    """One point: a resident per 異動事由 of ``codes``; its 転入, then a change under its reason
    carrying each identifier of IDENTIFIERS new in turn (one notice per identifier)."""
    reasons = sorted(codes)
    held = [{f: _draw(rng, f, k % 11) for f, _ in IDENTIFIERS} for k in range(len(reasons))]
    steps = [Send(tuple(Change(k, "1", FIRST, fields=dict(held[k]))
                        for k in range(len(reasons))))]
    for i, (field, label) in enumerate(IDENTIFIERS):
        changes = []
        for k, reason in enumerate(reasons):
            held[k] = {**held[k], field: _draw(rng, field, (k + 5) % 11)}
            changes.append(Change(k, str(i + 2), reason, occurred=_DAY,
                                  fields=dict(held[k])))
        steps.append(Send(tuple(changes), soap="1.2" if i % 2 == 0 else "1.1",
                          what=f"a new {label} under every 異動事由"))
    # round 44c: the other 住民種別 (the grid's residents are 日本人住民 and 外国人住民 in turn)
    # round 45c: that notice also gives each resident a 住民状態 in turn (1 住民, 2 転出者, 3 死亡者,
    # 4 その他消除者), so every 異動事由 group meets a status other than 1, observed right after
    kinds = [KINDS[(k + 1) % 2] for k in range(len(reasons))]
    steps.append(Send(tuple(Change(k, str(len(IDENTIFIERS) + 2), reason, occurred=_DAY,
                                   fields={**held[k], "ResidentKind": kinds[k],
                                           "ResidentStatus": STATUSES[k % len(STATUSES)]})
                            for k, reason in enumerate(reasons)),
                      what="a new 住民種別 and a 住民状態 in turn under every 異動事由 (日本人住民 ⇄ "
                           "外国人住民; 1–4)"))
    what = (f"a resident per 異動事由 ({len(reasons)}: "
            + ", ".join(f"{g} {sum(groups.get(r) == g for r in reasons)}"
                        for g in ("記載", "消除", "修正"))
            + "): its 転入, then under its 異動事由 a new 住民票コード, a new 個人番号, a new 世帯番号, "
              "the other 住民種別 with a 住民状態 in turn")
    return [Point("識別子", what, len(reasons), tuple(steps))]
