"""Round 17's notice sequences on the calendar's boundaries and the dates' relations (S-CAL-02),
judged by the receiver model of grid_notices.py (notice_runs.py sends them).

``boundary_points`` (S-CAL-02, 暦の境界): for the latest boundary of each kind before 2026
(calendar_boundaries.one_of_each: a calendar year, the ISO week-year running ahead of and behind
the calendar year, a 年度, a month, the era 平成 → 令和), a resident whose 異動 sit on both
sides of it:

- 異動連番 1, a 転入 on the boundary's last day, notified and recorded on the next day;
- 4, a 修正 on its first day — applied;
- 2, a 修正 on the last day, delivered late — kept out: 2 < 4, whichever period it falls in (the
  XSD's ``Sequence``: per resident, increasing; docs/notices.md: applied in that order, an equal
  or lower one kept out — nothing makes the order per year, 年度 or month);
- 5, a 修正 on the last day again — applied: a later 異動連番 whose 異動 lies before the last
  applied one's (a correction of an earlier day) is still the later change.

``relation_points`` (S-CAL-02, 日付の関係): the dates of one 異動 in the relations the documents
allow — a 届出 15 days after the 異動 (past 住民基本台帳法 22条's 14 days: the 異動 is recorded
all the same, a late 届出 is a matter of 過料 (53条), not of the record), a 届出 and its 記録 a
year and a day later (a 職権記載), a 転出 notified ten days before the move (転出届 is filed
before it: 24条) — and every date of a notice (DateOfBirth, OccurredOn, NotifiedOn, RecordedOn,
then a 消除's OccurredOn) on a day whose ISO week-based year is not its calendar year: 29–31
December of a year whose next ISO week-year has begun, 1 January of one whose has not. Observed
``removed_on`` must be that day as sent (a ``%G`` formatter writes 2024-12-30 as 2025-12-30).

``sent_at_points``: a notice sent at the latest 23:30 JST that has passed (the same day in UTC;
less than a day old) and at 08:30 JST the day before yesterday (the day before in UTC; more than a
day old at any hour of the run):
applied as any other (SentAt is an instant; docs/faults.md holds notices to clock_skew only, not
to max_age).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from .calendar_boundaries import iso_week_year_days, one_of_each
from .edges import JST
from .grid_notices import FIRST, Change, Point, Send

YEARS = range(2019, 2026)  # past days only: a 異動 is not in the future
_REMOVAL = "B03"  # 死亡 (the notice grid's own removal)


def _day(d: dt.date, days: int = 0) -> str:
    return (d + dt.timedelta(days=days)).isoformat()


def boundary_points(codes: Iterable[str], groups: Mapping[str, str]) -> list[Point]:
    """S-CAL-02's sequences across each kind of boundary (module docstring)."""
    out = []
    for k, b in enumerate(one_of_each(YEARS)):
        last, first = b.before.isoformat(), b.after.isoformat()
        one, other = ("1.2", "1.1") if k % 2 else ("1.1", "1.2")
        out.append(Point("暦の境界", f"異動連番 across the {b.label}: 1 on {last} (notified "
                         f"{first}), 4 on {first}, 2 on {last} late (kept out), 5 on {last} "
                         f"(applied)", 1, (
                             Send((Change(0, "1", FIRST, occurred=last, fields={
                                 "NotifiedOn": first, "RecordedOn": first}),), soap=one),
                             Send((Change(0, "4", occurred=first),), soap=other),
                             Send((Change(0, "2", occurred=last),), soap=one),
                             Send((Change(0, "5", occurred=last),), soap=other))))
    return out


def relation_points(codes: Iterable[str], groups: Mapping[str, str]) -> list[Point]:
    """S-CAL-02's relations between dates and its dates on ISO week-year days (module
    docstring)."""
    moved = dt.date(2025, 3, 3)
    out = [Point("日付の関係", what, 1, (
        Send((Change(0, "1", FIRST, occurred=moved.isoformat(), fields=fields),)),
        Send((Change(0, "2", occurred=_day(moved, 40)),), soap="1.2")))
        for what, fields in (
            ("a 届出 15 days after its 異動 (past 住基法 22条's 14 days)",
             {"NotifiedOn": _day(moved, 15), "RecordedOn": _day(moved, 15)}),
            ("a 届出 and its 記録 a year and a day after the 異動",
             {"NotifiedOn": _day(moved, 366), "RecordedOn": _day(moved, 366)}))]
    out.append(Point("日付の関係", "a 転出 (B01) notified ten days before the move", 1, (
        Send((Change(0, "1", FIRST, occurred="2024-06-03"),), soap="1.2"),
        Send((Change(0, "2", "B01" if groups.get("B01") == "消除" else _REMOVAL,
                     occurred=_day(moved, 28), fields={"NotifiedOn": _day(moved, 18),
                                                       "RecordedOn": _day(moved, 18)}),)))))
    days = list(iso_week_year_days(YEARS))
    chosen = [d for d, iso in days if iso > d.year][-2:] + [d for d, iso in days
                                                           if iso < d.year][-2:]
    for k, day in enumerate(chosen):
        on = day.isoformat()
        out.append(Point("日付の関係", f"every date on {on} (ISO week-year "
                         f"{day.isocalendar().year}), then a {_REMOVAL} on it", 1, (
                             Send((Change(0, "1", FIRST, occurred=on, born=on, fields={
                                 "NotifiedOn": on, "RecordedOn": on}),),
                                  soap="1.2" if k % 2 else "1.1"),
                             Send((Change(0, "2", _REMOVAL, occurred=on, born=on, fields={
                                 "NotifiedOn": on, "RecordedOn": on}),),
                                  soap="1.1" if k % 2 else "1.2"))))
    return out


def sent_at_points(now: dt.datetime | None = None) -> list[Point]:
    """Notices sent at the last 23:30 JST and the day before yesterday at 08:30 (module
    docstring)."""
    now = (now or dt.datetime.now(JST)).astimezone(JST)
    out = []
    # the latest 23:30 JST that has passed (under a day old), and 08:30 JST two days back (over a
    # day old): from yesterday it would be under a day old before 08:30 JST, so whether a day's
    # age is held against a notice would depend on the hour of the run
    late = 0 if now.time() >= dt.time(23, 30) else 1
    for k, (days, hour, what) in enumerate(((late, 23, "the same day in UTC"),
                                            (2, 8, "the day before in UTC"))):
        day = now.date() - dt.timedelta(days=days)
        sent = dt.datetime.combine(day, dt.time(hour, 30), JST)
        out.append(Point("SentAt", f"sent at {sent.isoformat()} ({what})", 1, (
            Send((Change(0, "1", FIRST),), soap="1.2" if k else "1.1",
                 age=(now - sent).total_seconds()),)))
    return out


def date_points(codes: Iterable[str], groups: Mapping[str, str]) -> list[Point]:
    """Every point of S-CAL-02."""
    return boundary_points(codes, groups) + relation_points(codes, groups) + sent_at_points()
