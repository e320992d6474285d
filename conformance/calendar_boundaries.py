"""The calendar's boundaries a product's date code meets (暦の境界; round 17): the days where a
year, a 年度, a month or an era turns, and the days whose ISO week-based year is not their
calendar year — shared by P-CAL-02 (calendar_inquiries.py) and S-CAL-02 (notice_dates.py).

A boundary is a pair of adjacent days (the last of one period, the first of the next) of a kind:

- ``calendar year``: 31 December / 1 January (a per-year key, a two-digit year);
- ``ISO week-year``: 29–31 December whose ISO 8601 week belongs to the next year, or 1–3 January
  whose week belongs to the year before (``strftime('%G')``, Java's ``YYYY``, ICU's ``YYYY``:
  the week-based year written for the calendar year — 2024-12-30 read as 2025-12-30);
- ``年度``: 31 March / 1 April (会計年度, 地方自治法 208条: April to March — a sequence or a key
  kept per 年度);
- ``month``: the last day of a month (28, 29, 30 or 31 days; March's and December's are the
  年度's and the year's) and the next month's first (a day-of-month overflow,
  ``replace(month=…)``);
- ``era``: 30 April / 1 May 2019 (平成 → 令和: a 元号 table).

Leap days are S-CAL-01/P-CAL-01's (round 16). Every day is checked to be what its label says
(``_checked``): a calendar fact the suite got wrong raises rather than being sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Boundary:
    kind: str  # "calendar year" | "ISO week-year" | "年度" | "month" | "era"
    before: dt.date  # the last day of one period
    after: dt.date  # the first day of the next (before + 1 day)

    @property
    def label(self) -> str:
        return f"{self.kind}: {self.before} / {self.after}"


def iso_week_year_days(years: range) -> Iterator[tuple[dt.date, int]]:
    """(day, its ISO week-based year) for each day of 29 December – 3 January in ``years`` whose
    ISO year is not its calendar year."""
    for year in years:
        for day in (dt.date(year, 12, d) for d in (29, 30, 31)):
            if day.isocalendar().year != day.year:
                yield day, day.isocalendar().year
        for day in (dt.date(year, 1, d) for d in (1, 2, 3)):
            if day.isocalendar().year != day.year:
                yield day, day.isocalendar().year


def boundaries(years: range) -> list[Boundary]:
    """Every boundary of each kind in ``years`` (the ISO week-year's: where a day of 29 December
    – 3 January turns its week-based year, e.g. 2024-12-29 (2024-W52) / 2024-12-30 (2025-W01))."""
    out: list[Boundary] = []
    for year in years:
        out.append(Boundary("calendar year", dt.date(year, 12, 31), dt.date(year + 1, 1, 1)))
        out.append(Boundary("年度", dt.date(year, 3, 31), dt.date(year, 4, 1)))
        out += [Boundary("month", dt.date(year, m + 1, 1) - dt.timedelta(days=1),
                         dt.date(year, m + 1, 1)) for m in (1, 2, 4, 5, 6, 7, 8, 9, 10, 11)]
    for day, _ in iso_week_year_days(years):
        eve = day - dt.timedelta(days=1)
        if eve.isocalendar().year != day.isocalendar().year:
            out.append(Boundary("ISO week-year", eve, day))
        nxt = day + dt.timedelta(days=1)
        if nxt.isocalendar().year != day.isocalendar().year:
            out.append(Boundary("ISO week-year", day, nxt))
    if 2019 in years:
        out.append(Boundary("era", dt.date(2019, 4, 30), dt.date(2019, 5, 1)))
    return sorted((_checked(b) for b in set(out)), key=lambda b: (b.before, b.kind))


def _checked(b: Boundary) -> Boundary:
    if b.after - b.before != dt.timedelta(days=1):
        raise ValueError(f"{b.label}: not adjacent days")
    turns = {"calendar year": lambda d: d.year, "ISO week-year": lambda d: d.isocalendar().year,
             "年度": lambda d: d.year if d.month >= 4 else d.year - 1,
             "month": lambda d: (d.year, d.month),
             "era": lambda d: d >= dt.date(2019, 5, 1)}[b.kind]
    if turns(b.before) == turns(b.after):
        raise ValueError(f"{b.label}: the {b.kind} does not turn there")
    return b


def one_of_each(years: range) -> list[Boundary]:
    """The latest boundary of each kind in ``years`` (the ISO week-year: the latest where the
    week-based year runs ahead of the calendar year and the latest where it lags behind)."""
    chosen: dict[str, Boundary] = {}
    for b in boundaries(years):
        kind = b.kind
        if kind == "ISO week-year":
            kind += " ahead" if b.after.isocalendar().year > b.after.year or \
                b.before.isocalendar().year > b.before.year else " behind"
        chosen[kind] = b  # sorted: the latest wins
    return list(chosen.values())


__all__ = ["Boundary", "boundaries", "iso_week_year_days", "one_of_each"]
