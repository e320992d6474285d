"""Round 16's notice sequences, judged by the receiver model of grid_notices.py (notice_runs.py
sends them): residents on the calendar's edges (S-CAL-01) and a redelivery of every notice kind
(S-ONCE-09).

``calendar_points`` (S-CAL-01, 暦の端): a resident per day of birth on a calendar edge — 29
February of leap years (2000: a century divisible by 400; 2020; 昭和63 = 1988), the last and first
day of a year, the last day before each era from 大正 on and its first day (edges.ERAS) — each
moving in (記載) on the birthday's anniversary in a leap year, corrected (修正) on the day before
the anniversary in the next, common year and removed (消除) on the anniversary itself: for a
birth on 29 February, 28 February and 1 March of a common year, where ``date.replace(year=…)``
has no day, and an age turns. Then a 出生 on the day of birth (29 February), an 異動 on 29
February notified and recorded in March, one on 31 December notified in January, one on the
last day of 平成 notified in 令和. Each resident's changes, name and removal judged as the
notice grid judges them (the model of an exactly-once, in-order receiver).

``redelivery_points`` (S-ONCE-09, 冪等な受信の全種): from the change_reason code list, for every
異動事由 a 転入 and then a notice of that code, delivered again under the same MessageId over
the other SOAP version — ``duplicate``, nothing applied twice; for every 消除 code the resident's
first notice delivered again after the removal, a notice holding its 転入 and its removal
delivered twice, and a notice of two residents — one removed, one moving in — delivered twice;
a notice of several 修正 and a 消除 of one resident delivered twice; the removal notice under a
new MessageId (``applied``, its change kept out). A redelivery is judged on every notice kind,
not only those without a 消除.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from .edges import ERAS
from .grid_notices import FIRST, Change, Point, Resend, Send


def _anniversary(born: dt.date, year: int) -> tuple[dt.date, dt.date]:
    """(the day before, the day of) the birthday in ``year``: 28 February and 1 March for a birth
    on 29 February in a common year (the 年齢計算ニ関スル法律: an age turns at the end of the day
    before)."""
    try:
        day = born.replace(year=year)
    except ValueError:  # 29 February in a common year
        day = dt.date(year, 3, 1)
    return day - dt.timedelta(days=1), day


def births() -> list[tuple[str, dt.date]]:
    """(label, day of birth) on the calendar's edges."""
    out = [(f"29 February {y}", dt.date(y, 2, 29)) for y in (2000, 2020, 1988)]
    out += [("31 December (a year's last day)", dt.date(1999, 12, 31)),
            ("1 January (a year's first day)", dt.date(2000, 1, 1))]
    for era, start in ERAS:
        out += [(f"the last day before {era}", start - dt.timedelta(days=1)),
                (f"the first day of {era}", start)]
    return out


def _removal(groups: Mapping[str, str], k: int) -> str:
    """The k-th 消除 code of the code list, in turn (B03 死亡 first: an age at death)."""
    codes = sorted(c for c, g in groups.items() if g == "消除")
    ordered = (["B03"] if "B03" in codes else []) + [c for c in codes if c != "B03"]
    return ordered[k % len(ordered)]


def _correction(groups: Mapping[str, str], k: int) -> str:
    codes = sorted(c for c, g in groups.items() if g == "修正")
    return codes[k % len(codes)]


def calendar_points(codes: Iterable[str], groups: Mapping[str, str]) -> list[Point]:
    """S-CAL-01's points (module docstring)."""
    out = []
    for k, (label, born) in enumerate(births()):
        leap = next(y for y in range(2024, 2100) if y % 4 == 0 and y > born.year)
        common = leap + 1
        moved = _anniversary(born, leap)[1] if (born.month, born.day) != (2, 29) else \
            dt.date(leap, 2, 29)
        eve, day = _anniversary(born, common)
        removal = _removal(groups, k)
        out.append(Point("暦の端", f"born {born} ({label}): 記載 {moved}, 修正 {eve}, "
                         f"{removal} {day}", 1, (
            Send((Change(0, "1", FIRST, occurred=moved.isoformat(), born=born.isoformat()),),
                 soap="1.2" if k % 2 else "1.1"),
            Send((Change(0, "2", _correction(groups, k), occurred=eve.isoformat(),
                         born=born.isoformat()),), soap="1.1" if k % 2 else "1.2"),
            Send((Change(0, "3", removal, occurred=day.isoformat(), born=born.isoformat()),),
                 soap="1.2" if k % 2 else "1.1"))))
    birth = "A03" if groups.get("A03") == "記載" else FIRST
    dated = (
        (f"a {birth} (出生) on the day of birth, 29 February 2024", "2024-02-29", "2024-02-29",
         birth, {"NotifiedOn": "2024-03-01", "RecordedOn": "2024-03-01"}),
        ("a 転入 on 29 February 2024, notified and recorded in March", "2024-02-29",
         "1990-06-15", FIRST, {"NotifiedOn": "2024-03-01", "RecordedOn": "2024-03-04"}),
        ("a 転入 on 31 December 2024, notified in January", "2024-12-31", "1990-06-15", FIRST,
         {"NotifiedOn": "2025-01-06", "RecordedOn": "2025-01-06"}),
        ("a 転入 on the last day of 平成, notified in 令和", "2019-04-30", "1989-01-08", FIRST,
         {"NotifiedOn": "2019-05-07", "RecordedOn": "2019-05-07"}),
    )
    for k, (what, occurred, born, reason, fields) in enumerate(dated):
        out.append(Point("暦の端", what, 1, (
            Send((Change(0, "1", reason, occurred=occurred, born=born, fields=fields),),
                 soap="1.2" if k % 2 else "1.1"),
            Send((Change(0, "2", _correction(groups, k), occurred=occurred, born=born),),
                 soap="1.1" if k % 2 else "1.2"))))
    return out


def redelivery_points(codes: Iterable[str], groups: Mapping[str, str]) -> list[Point]:
    """S-ONCE-09's points (module docstring)."""
    out = []
    for k, code in enumerate(sorted(codes)):
        one, other = ("1.2", "1.1") if k % 2 else ("1.1", "1.2")
        out.append(Point("再送", f"{code} ({groups.get(code, '?')}) after {FIRST}, delivered "
                         f"again", 1, (
            Send((Change(0, "1", FIRST),), soap=one),
            Send((Change(0, "2", code, occurred=f"2024-05-{k + 1:02d}"),), soap=other,
                 key="n"),
            Resend("n", soap=one))))
    for k, code in enumerate(sorted(c for c in codes if groups.get(c) == "消除")):
        one, other = ("1.2", "1.1") if k % 2 else ("1.1", "1.2")
        out += [
            Point("再送", f"{FIRST} delivered again after its resident's {code}", 1, (
                Send((Change(0, "1", FIRST),), soap=one, key="first"),
                Send((Change(0, "2", code, occurred="2024-06-30"),), soap=other),
                Resend("first", soap=other))),
            Point("再送", f"one notice of {FIRST} and {code} of one resident, delivered "
                  f"twice", 1, (
                Send((Change(0, "1", FIRST), Change(0, "2", code, occurred="2024-06-30")),
                     soap=one, key="n"),
                Resend("n", soap=other))),
            Point("再送", f"one notice of {code} of one resident and {FIRST} of another, "
                  f"delivered twice", 2, (
                Send((Change(0, "1", FIRST),), soap=other),
                Send((Change(0, "2", code, occurred="2024-07-31"),
                      Change(1, "1", FIRST, relationship="02")), soap=one, key="n"),
                Resend("n", soap=one)))]
    removal = _removal(groups, 0)
    out += [
        Point("再送", f"one notice of three 修正 and a {removal} of one resident, delivered "
              f"twice", 1, (
            Send((Change(0, "1", FIRST),)),
            Send(tuple(Change(0, str(n), _correction(groups, n)) for n in (2, 3, 4))
                 + (Change(0, "5", removal, occurred="2024-08-31"),), soap="1.2", key="n"),
            Resend("n", soap="1.2"), Resend("n", soap="1.1"))),
        Point("再送", f"a {removal} notice's content under a new MessageId", 1, (
            Send((Change(0, "1", FIRST),), soap="1.2"),
            Send((Change(0, "2", removal, occurred="2024-09-30"),), key="n"),
            Resend("n", new_id=True))),
    ]
    return out
