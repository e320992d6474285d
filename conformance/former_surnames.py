"""旧氏・通称 changes with and without cmn:FormerSurname: points for the notice grid's receiver
model (S-FMR-01, step ``grid = "former_surnames"``).

docs/notices.md ("A 旧氏・通称 change is the resident's state as sent"): C08 (旧氏・通称の記載)
and C09 (旧氏・通称の削除) are applied like any other change. common-v1.xsd has no element for a
通称, so a C08 whose resident carries no FormerSurname (a 通称 registered) and a C09 that still
carries one (a 通称 deleted, the 旧氏 kept) are valid notices; the resident's state is the
change's. Earlier notices sent C08 and C09 only without a FormerSurname, after a 転入 without
one (S-GRID-01's 異動事由 points): a mapper reading C08 as "a 旧氏 is added" and C09 as "the 旧氏
is removed" — refusing a C09 that carries one, skipping a C08 that carries none — passed them.

The codes are not listed by hand: ``former_codes`` reads change_reason.csv, every code whose
label names 旧氏. For each, four residents: held without and with a 旧氏 (their 国内転入, one
notice), then the code's change with and without a FormerSurname (one notice); and two
residents per code first held through that change, with and without one. Each notice must be
receipted applied (never a fault: PF-PROVIDER-INTERNAL is the subscriber's, nor a refusal), and
with ``--observe`` each resident held as the change says (its name, the changes applied).
"""

from __future__ import annotations

import csv
from pathlib import Path

from .grid_notices import FIRST, Change, Point, Send

CODE_LIST = Path(__file__).resolve().parents[1] / "schemas" / "codelists" / "change_reason.csv"
FORMER = {"FormerSurname": "旧"}  # notice_body writes 旧川 with its reading


def former_codes() -> list[str]:
    """The 異動事由 of 旧氏 (and 通称): change_reason.csv's codes whose label names 旧氏."""
    with CODE_LIST.open(encoding="utf-8") as f:
        return [row["code"] for row in csv.DictReader(f) if "旧氏" in row["label"]]


def members(codes: list[str]) -> list[tuple[str, bool, bool]]:
    """(code, held with a 旧氏 before, the change carries a FormerSurname)."""
    return [(code, before, after) for code in codes for before in (False, True)
            for after in (False, True)]


def _fields(former: bool) -> dict[str, str]:
    return dict(FORMER) if former else {}


def former_points() -> list[Point]:
    codes = former_codes()
    held = members(codes)
    first = [(code, after) for code in codes for after in (False, True)]
    return [
        Point("旧氏・通称", "held without and with a 旧氏, then "
              + ", ".join(f"{c} with and without a FormerSurname" for c in codes),
              len(held), (
                  Send(tuple(Change(who, "1", FIRST, relationship="01" if who == 0 else "02",
                                    fields=_fields(before))
                             for who, (_, before, _) in enumerate(held))),
                  Send(tuple(Change(who, "2", code, occurred="2024-05-01",
                                    relationship="01" if who == 0 else "02",
                                    fields=_fields(after))
                             for who, (code, _, after) in enumerate(held)), soap="1.2"))),
        Point("旧氏・通称", "first held through " + ", ".join(
            f"{c} with and without a FormerSurname" for c in codes), len(first), (
                Send(tuple(Change(who, "3", code, relationship="01" if who == 0 else "02",
                                  fields=_fields(after))
                           for who, (code, after) in enumerate(first)), soap="1.2"),)),
    ]
