"""Valid values at the extremes of their domain, answered as the data says (値域の極値: K-EDGE-01,
KH-EDGE-01) and the test data's residents on the calendar's edges asked about (P-CAL-01) — step
``extremes``.

``extremes = "calendar"`` (P-CAL-01, juki.provider): the residents of ``model_data`` born on a
calendar edge (29 February, 31 December, 1 January, an era's first day or the day before —
notice_points.births' kinds), each asked with a 基準日 on the day before and the day of the
birthday's anniversary in the first common year they lived here (28 February and 1 March for a
birth on 29 February) and on the anniversary in the next leap year, by 宛名番号 and 個人番号 in
turn, SOAP 1.1 and 1.2 in turn — judged by the input grid's judge (grid.judge_inquiry: the
record leaf by leaf, the household); and a 全件 first request on each common-year day, every
record of its one page judged leaf by leaf (grid's extract judge). A product computing an age
with ``date.replace(year=…)`` fails there. Without such a resident in the data the step is
skipped, saying so.

``extremes = "boundaries"`` (P-CAL-02, round 17): the test data asked on the calendar's
boundaries — calendar_inquiries.py.

``extremes = MSG`` (a message whose ``field`` variable holds a date or a year): the extremes of
that field's value space — for xs:date ``edges.EXTREMES`` (0001-01-01, 0999-12-31, 明治's first
day and the day before, 1872-12-31, 1999-12-31, 2000-01-01, 9999-12-31), for a type with
minInclusive / maxInclusive facets its bounds — each sent beside an ordinary value of the same
side the data makes equivalent (``past_like``: every earlier value is answered as this one,
e.g. a 基準日 before the 資格取得日; ``future_like``: every later value), over the same SOAP
version; the extreme's answer must be the ordinary value's, field by field (answer_comparison.compare).
An extreme between the two is not sent (the data may change there). What it cannot see: an
extreme the product answers as the ordinary value by accident of its representation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lxml import etree

from . import answer_comparison, calendar_inquiries, checks, edges, grid
from .envelopes import fill, substitute
from .lexical import _declarations, _simple
from .notice_points import births


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    if step.target == "calendar":
        return _calendar(runner, step, values)
    if step.target == "boundaries":  # round 17: P-CAL-02
        return calendar_inquiries.run(runner, step, values)
    return _likes(runner, step, values)


# --- P-CAL-01 --------------------------------------------------------------------------------

def calendar_days(r: grid.Resident) -> list[tuple[dt.date, str]]:
    """基準日 on the birthday's edges after ``r`` moved in (module docstring)."""
    born = dt.date.fromisoformat(r.fields["cmn:DateOfBirth"][:10])
    out: list[tuple[dt.date, str]] = []
    for year in range(r.moved_in.year, r.moved_in.year + 9):
        try:
            day = born.replace(year=year)
        except ValueError:  # 29 February in a common year
            day = dt.date(year, 3, 1)
        eve = day - dt.timedelta(days=1)
        if eve < r.moved_in:
            continue
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        if leap and not any("leap" in label for _, label in out):
            out.append((day, f"the birthday in the leap year {year}"))
        if not leap and not any("common" in label for _, label in out):
            out += [(eve, f"the day before the birthday in the common year {year}"),
                    (day, f"the birthday in the common year {year}")]
    return out


def calendar_residents(model: list[grid.Resident]) -> list[tuple[grid.Resident, str]]:
    """The residents born on a calendar edge: 29 February, 31 December, 1 January, an era's
    first day or the day before (notice_points.births' kinds)."""
    eras = {d for _, d in births() if (d.month, d.day) not in {(2, 29), (12, 31), (1, 1)}}
    out = []
    for r in model:
        born = dt.date.fromisoformat(r.fields.get("cmn:DateOfBirth", "1900-06-15")[:10])
        if (born.month, born.day) in {(2, 29), (12, 31), (1, 1)} or born in eras:
            out.append((r, f"born {born}"))
    return out


def _calendar(runner, step, values: dict[str, Any]) -> list[str]:
    if "model_data" not in values:
        raise ValueError(f"{step.where}: the profile names no model_data (test data)")
    model = grid.load_model(str(values["model_data"]))
    chosen = calendar_residents(model)
    if not chosen:
        runner.skip_reason = "the test data holds no resident born on a calendar edge"
        return []
    ns = runner.s.context.namespaces
    problems: list[str] = []
    k = 0
    extract_days: dict[dt.date, str] = {}
    for r, born in chosen:
        for day, label in calendar_days(r):
            key = "individual" if k % 2 and r.individual else "addressee"
            p = grid.InquiryPoint(key, r.individual if key == "individual" else r.addressee, day,
                                  f"{born}: {label}", "1.2" if k % 2 else "1.1",
                                  r if grid.lived_here(r, day) else None)
            k += 1
            ex = runner._post(step.with_options(soap=p.soap), values, p.message, p.vars, p.label)
            problems += grid.judge_inquiry(p, ex, model, ns)
            if "common" in label:
                extract_days.setdefault(day, f"{born}: {label}")

    def send(ref, extra, soap, label):
        return runner._post(step.with_options(soap=soap), values, ref, extra, label)

    for j, (day, label) in enumerate(sorted(extract_days.items())):
        living = {r.addressee: r for r in model if grid.lived_here(r, day)}
        size = max(len(living), 1)  # one page: every record judged
        soap = "1.2" if j % 2 else "1.1"
        problems += grid._extract_point(send, living, size, day, soap,
                                        f"[全件 基準日 {day} ({label}), SOAP {soap}]", ns)
    return problems


# --- K-EDGE-01, KH-EDGE-01 -------------------------------------------------------------------

def _field_type(runner, step, values: dict[str, Any], field: str, like: str):
    """The simple type of the element ``${field}`` fills in the step's message."""
    message = runner.s.suite.message(step.target, runner.instance.service, step.where)
    payload = etree.fromstring(substitute(message.body, {**values, field: like},
                                          xml=True).encode("utf-8"))
    for el, decl in _declarations(payload, runner.s.catalog.schema_files):
        if el.text == like and not len(el) and (t := _simple(decl)) is not None:
            return t
    raise ValueError(f"{step.where}: no element of {step.target} holds ${{{field}}}")


def extremes_of(t) -> list[tuple[str, str]]:
    """(label, value): a date type's EXTREMES, or the bounds of a type's facets; each valid."""
    low, high = getattr(t, "min_value", None), getattr(t, "max_value", None)
    if low is not None or high is not None:
        out = [(f"minInclusive {low}", str(low)) for _ in (1,) if low is not None]
        out += [(f"maxInclusive {high}", str(high)) for _ in (1,) if high is not None]
    else:
        out = [(label, day.isoformat()) for label, day in edges.EXTREMES]
    return [(label, value) for label, value in out if t.is_valid(value)]


def _likes(runner, step, values: dict[str, Any]) -> list[str]:
    field = str(step.get("field") or "")
    past, future = (str(fill(step.get(k) or "", values)) for k in ("past_like", "future_like"))
    if not field or not (past or future):
        raise ValueError(f"{step.where}: extremes of a message name a field and past_like or "
                         f"future_like")
    merged = {**values, **fill(step.get("vars", {}), values)}
    t = _field_type(runner, step, merged, field, past or future)
    ns = runner.s.context.namespaces
    likes: dict[tuple[str, str], Any] = {}
    problems: list[str] = []
    for k, (label, value) in enumerate(extremes_of(t)):
        like = past if past and value < past else future if future and value > future else ""
        if not like:
            continue  # between the ordinary values: the data may change there
        soap = "1.2" if k % 2 else "1.1"
        if (like, soap) not in likes:
            likes[like, soap] = runner._post(step.with_options(soap=soap), merged, step.target,
                                             {field: like}, f"[{field} {like}, SOAP {soap}]")
        canon = likes[like, soap]
        where = f"[{field} {value} ({label}), answered as {like}, SOAP {soap}]"
        if found := checks.outcome(canon, "response"):
            problems += [f"[{field} {like}, SOAP {soap}]: {m}" for m in found]
            continue
        ex = runner._post(step.with_options(soap=soap), merged, step.target, {field: value},
                          where)
        problems += [f"{where}: {m}" for m in checks.outcome(ex, "response")
                     or answer_comparison.compare(canon, ex, [], ns)]
    return problems
