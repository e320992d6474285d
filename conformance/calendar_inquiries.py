"""The test data asked on the calendar's boundaries (P-CAL-02, round 17) — step
``extremes = "boundaries"`` (extremes.py dispatches here).

A 基準日 is an xs:date: its year is the calendar year as written. A product that formats or
parses it with the ISO week-based year (``%G``, ``YYYY``) reads 29–31 December of some years as
the next year and 1–3 January of others as the year before; one that keys by 年度 or month, or
adds a day at the turn, answers the other side of a boundary. Such a reading shows only where the
test data differs between the two days, so the days are chosen from ``model_data`` (the residents'
BecameResidentOn), over every year from the first resident's moving in to the last's:

- for each direction of the ISO week-year (ahead: a December day in the next week-year; behind:
  a January day in the previous), the latest day whose population differs from the same day of
  its week-based year: a 全件 first request (every resident of the day on one page, leaf by
  leaf: grid's extract judge) and a 住民照会 of a resident the misreading moves, by 宛名番号 and
  by 個人番号 (grid.judge_inquiry);
- for each other kind of boundary (calendar_boundaries: a calendar year, a 年度, a month, the
  era 平成 → 令和), the latest one on which a resident moved in (its population turns there),
  else the latest one: a 全件 first request on its last day and on its first.

SOAP 1.1 and 1.2 in turn. Without a day of a kind the data can tell apart, the kind's latest
boundary is still asked (what it judges: the answer is the data's), saying so in its label.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import grid
from .calendar_boundaries import Boundary, boundaries, iso_week_year_days


def _living(model: list[grid.Resident], day: dt.date) -> frozenset[str]:
    return frozenset(r.addressee for r in model if grid.lived_here(r, day))


def week_year_days(model: list[grid.Resident], years: range
                   ) -> list[tuple[dt.date, str, list[grid.Resident]]]:
    """(day, label, the residents its week-year reading moves) — per direction, the latest."""
    out: dict[bool, tuple[dt.date, str, list[grid.Resident]]] = {}
    for day, iso in iso_week_year_days(years):
        misread = day.replace(year=iso)  # 29 December – 3 January: a day in every year
        moved = [r for r in model if grid.lived_here(r, day) != grid.lived_here(r, misread)]
        if moved:
            out[iso > day.year] = (day, f"ISO week-year {iso} (read {misread}: "
                                        f"{len(moved)} resident(s) on the other side)", moved)
    return [out[k] for k in sorted(out)]


def boundary_days(model: list[grid.Resident], years: range) -> list[tuple[dt.date, str]]:
    """(day, label): the last and first day of each other kind's chosen boundary."""
    chosen: dict[str, tuple[Boundary, bool]] = {}
    for b in boundaries(years):
        if b.kind == "ISO week-year":
            continue
        turns = _living(model, b.before) != _living(model, b.after)
        if turns or not chosen.get(b.kind, (b, False))[1]:
            chosen[b.kind] = (b, turns)  # sorted: the latest, one that turns first
    out = []
    for b, turns in chosen.values():
        why = "a resident moved in on its first day" if turns else \
            "no resident moved in on such a day: the latest"
        out += [(b.before, f"{b.label}, the last day ({why})"),
                (b.after, f"{b.label}, the first day ({why})")]
    return out


def run(runner, step, values: dict[str, Any]) -> list[str]:
    if "model_data" not in values:
        raise ValueError(f"{step.where}: the profile names no model_data (test data)")
    model = grid.load_model(str(values["model_data"]))
    years = range(min(r.moved_in for r in model).year, max(r.moved_in for r in model).year + 1)
    ns = runner.s.context.namespaces
    problems: list[str] = []

    def send(ref, extra, soap, label):
        return runner._post(step.with_options(soap=soap), values, ref, extra, label)

    def extract(k: int, day: dt.date, label: str) -> list[str]:
        living = {r.addressee: r for r in model if grid.lived_here(r, day)}
        soap = "1.2" if k % 2 else "1.1"
        return grid._extract_point(send, living, max(len(living), 1), day, soap,
                                   f"[全件 基準日 {day} ({label}), SOAP {soap}]", ns)

    k = 0
    for day, label, moved in week_year_days(model, years):
        problems += extract(k, day, label)
        r = moved[-1]
        for key in ("addressee", "individual"):
            if key == "individual" and not r.individual:
                continue
            k += 1
            p = grid.InquiryPoint(key, r.individual if key == "individual" else r.addressee,
                                  day, label, "1.2" if k % 2 else "1.1",
                                  r if grid.lived_here(r, day) else None)
            ex = runner._post(step.with_options(soap=p.soap), values, p.message, p.vars,
                              p.label)
            problems += grid.judge_inquiry(p, ex, model, ns)
    for day, label in boundary_days(model, years):
        k += 1
        problems += extract(k, day, label)
    return problems
