"""Notice sequences of rounds 16, 16b and 18, judged by the receiver model of grid_notices.py
(notice_runs.py sends them): residents on the calendar's edges (S-CAL-01), a redelivery of every
notice kind (S-ONCE-09), SentAt in orders of its own beside 異動連番 (S-GRID-01's ``sent_at_points``),
MessageIds that differ only where a normaliser does not look (S-IDENT-01), restarts at points of
a sequence (S-DUR-08) and a notice's dates in every order (S-DATE-01, ``date_order_points``).

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

``sent_at_points`` (S-GRID-01, round 16b): docs/notices.md — a change is applied exactly when its
異動連番 is greater than the last one applied to that resident; header-v1.xsd SentAt is the time
a notice was sent, which says nothing of the 異動's order (a registry's standby with a slower
clock, an outbox resending). A newer 異動連番 sent earlier is applied, an older one sent later is
kept out, a resident's changes sent days apart in the reverse order of their SentAt are both
applied.

``identifier_points`` (S-IDENT-01): for each pair of identifiers.message_id_pairs, one resident's
転入 under the first MessageId and its next change under the second — both ``applied`` and
both applied (observed: two changes), as two MessageIds different as text are.

``restart_points`` (S-DUR-08, ``--restart-command``): one sequence of four residents with two
restarts in it, each resident's state judged by the same model after them: a change kept out
as stale before a restart (the stale-check's watermark must come back as the highest 異動連番
*applied*, not the last one received), a redelivery after the first restart and again after the
second (seen MessageIds kept across every restart, not one), a newer 異動連番 sent earlier than
the change before it, on either side of a restart, and a resident first seen after both.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterable, Mapping

from .edges import ERAS
from .grid_notices import FIRST, Change, Point, Resend, Restart, Send
from .identifiers import message_id_pairs


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


# A notice's dates (common-v1.xsd: independent xs:date values, none constrained by another), in
# the order a life usually gives them, with a value each in that order
NOTICE_DATES = (("DateOfBirth", "1980-01-01"), ("BecameResidentOn", "2024-04-01"),
                ("AddressFixedOn", "2024-04-02"), ("OccurredOn", "2024-04-10"),
                ("NotifiedOn", "2024-04-12"), ("RecordedOn", "2024-04-15"))


def date_order_points(codes: Iterable[str], groups: Mapping[str, str]) -> list[Point]:
    """S-DATE-01's points (関係の制約のない日付): for every pair of a notice's dates, one resident
    whose change holds that pair in the other order than NOTICE_DATES — the later date moved to
    the day before the earlier one, or (every other pair) the earlier moved to the day after
    the later — in a 記載 and then a 修正 carrying the same dates. The schemas constrain no date
    by another and docs/faults.md names the only rules beyond XSD (check digits, code lists):
    every notice is applied."""
    out = []
    day = dt.timedelta(days=1)
    for k, ((first, a), (second, b)) in enumerate(itertools.combinations(NOTICE_DATES, 2)):
        dates = {name: dt.date.fromisoformat(value) for name, value in NOTICE_DATES}
        if k % 2:
            dates[first] = dt.date.fromisoformat(b) + day
        else:
            dates[second] = dt.date.fromisoformat(a) - day
        iso = {name: d.isoformat() for name, d in dates.items()}
        fields = {n: iso[n] for n in ("NotifiedOn", "RecordedOn", "BecameResidentOn",
                                      "AddressFixedOn")}
        what = f"{second} {iso[second]} before {first} {iso[first]}"
        out.append(Point("日付の順序", what, 1, tuple(
            Send((Change(0, str(n), reason, occurred=iso["OccurredOn"], born=iso["DateOfBirth"],
                         fields=fields),), soap="1.2" if (k + n) % 2 else "1.1")
            for n, reason in ((1, FIRST), (2, _correction(groups, k))))))
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


HOUR = 3600.0


def sent_at_points() -> list[Point]:
    """S-GRID-01's SentAt orders beside 異動連番 (module docstring)."""
    return [
        Point("SentAt", "A 1 sent now, then A 2 sent an hour earlier: applied (異動連番 decides)",
              1, (Send((Change(0, "1", FIRST),)), Send((Change(0, "2"),), age=HOUR, soap="1.2"))),
        Point("SentAt", "A 1, A 3 sent two hours earlier, then A 2 sent now: 3 applied, 2 kept "
              "out (a later SentAt is no newer change)", 1, (
                  Send((Change(0, "1", FIRST),), soap="1.2"),
                  Send((Change(0, "3"),), age=2 * HOUR), Send((Change(0, "2"),), soap="1.2"))),
        Point("SentAt", "A 1 sent a day ago after B 1 sent now, then A 2 sent two days ago: both "
              "of A applied", 2, (
                  Send((Change(1, "1", FIRST),)), Send((Change(0, "1", FIRST),), age=24 * HOUR,
                                                       soap="1.2"),
                  Send((Change(0, "2"),), age=48 * HOUR))),
    ]


def identifier_points(rng: random.Random) -> list[Point]:
    """S-IDENT-01's points (module docstring)."""
    return [Point("MessageId", f"{what}: {one}, then {two}", 1, (
        Send((Change(0, "1", FIRST),), soap="1.2" if k % 2 else "1.1", message_id=one),
        Send((Change(0, "2"),), soap="1.1" if k % 2 else "1.2", message_id=two)))
        for k, (what, one, two) in enumerate(message_id_pairs(rng))]


def restart_points() -> list[Point]:
    """S-DUR-08's sequence (module docstring): residents A (0), B (1), C (2), D (3)."""
    return [Point("restart", "A 1, A 3, A 2 (stale), B 1, C 1, C 2 sent an hour earlier; restart; "
                  "B 1 again, A 3 anew, C 4 sent two hours earlier, C 3 sent now; restart; B 1 "
                  "and A 1 again, A 2 anew, D 1 and D 1 again", 4, (
        Send((Change(0, "1", FIRST),), key="a1"),
        Send((Change(0, "3"),), soap="1.2"),
        Send((Change(0, "2"),)),  # kept out: the watermark is 3, the last received 2
        Send((Change(1, "1", FIRST, relationship="02"),), soap="1.2", key="b1"),
        Send((Change(2, "1", FIRST, relationship="03"),)),
        Send((Change(2, "2"),), age=HOUR, soap="1.2"),
        Restart(),
        Resend("b1", soap="1.1"),
        Send((Change(0, "3"),), soap="1.2"),  # a new name under 3: kept out
        Send((Change(2, "4"),), age=2 * HOUR),
        Send((Change(2, "3"),), soap="1.2"),  # sent last, older: kept out
        Restart(),
        Resend("b1", soap="1.2"),
        Resend("a1"),
        Send((Change(0, "2"),), soap="1.2"),  # kept out
        Send((Change(3, "1", FIRST, relationship="03"),), key="d1"),
        Resend("d1", soap="1.2")))]
