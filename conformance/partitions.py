"""Round 23b (S-PART-01): seen MessageIds and the state they guard across calendar partitions —
notices whose SentAt, or whose 異動年月日 (OccurredOn) and 記録年月日 (RecordedOn), lie in an
earlier day, ISO week, month, 年度 (April to March), calendar year and ISO week-year than their
redelivery, delivered again at once and after a restart: ``duplicate`` each time, applied once
(observed). Judged by the notice grid's receiver model (notice_runs.py sends it,
``partitions``).

What the documents say of a notice's age: docs/faults.md "Replay, freshness and notices" — a
notice is held to ``clock_skew`` for a SentAt ahead of the clock only, not to ``max_age``, and
the notice store is its idempotent receiver "for as long as it keeps the notice (not only 24 h)";
a publisher's outbox resends a notice after an outage with its original bytes and SentAt, which
must get the ``duplicate`` receipt; docs/notices.md: "a notice delivered again is a duplicate
however long after". Every SentAt here lies in the past, so every one is accepted.

The points are computed from one fixed ``now`` and mean the same at every hour of the run: each
day ``d_p`` lies in an earlier period ``p`` than ``now`` in UTC and in JST alike (it is chosen
from the UTC date, never later than the JST one), and a SentAt is 12:00 JST (03:00 UTC) on its
day, so its day is the same in both zones. Every point is 45 hours old at least (the day point is two
days back, 45 to 69 hours old; the 年度's and the year's are their 30 March and 30 December, not
the last day, which is less than a day old in the first hours of 1 April and 1 January UTC), so
whether a day's age is held against a notice never decides one.
"""

from __future__ import annotations

import datetime as dt

from .edges import JST
from .grid_notices import FIRST, Change, Point, Resend, Restart, Send


def period_days(now: dt.datetime) -> list[tuple[str, dt.date]]:
    """(period, a day in the period before ``now``'s — in UTC and in JST alike)."""
    today = now.astimezone(dt.timezone.utc).date()  # never after the JST date
    nendo = today.year if today.month >= 4 else today.year - 1
    month_before = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=15)
    iso_year = today.isocalendar().year
    return [("day", today - dt.timedelta(days=2)),
            ("ISO week", today - dt.timedelta(days=7)),
            ("month", month_before),
            # the last days of the 年度 and the year before but one: 45 hours old at least
            ("年度", dt.date(nendo, 3, 30)),
            ("year", dt.date(today.year - 1, 12, 30)),
            ("ISO week-year", dt.date(iso_year - 1, 12, 28))]  # always in its year's last week


def noon_jst(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12, 0), JST)


def partition_points(now: dt.datetime | None = None) -> list[Point]:
    """S-PART-01's one point: for each period a notice sent in it (its dates on that day), and a
    notice sent now whose dates lie in it; all delivered again at once (the SentAt ones), then
    after a restart (all), over the other SOAP version."""
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    days = period_days(now)
    sends: list[Send] = []
    for k, (period, day) in enumerate(days):
        on = day.isoformat()
        dates = {"NotifiedOn": on, "RecordedOn": on}
        sends.append(Send((Change(2 * k, "1", FIRST, occurred=on, fields=dates),),
                          soap="1.2" if k % 2 else "1.1",
                          age=(now - noon_jst(day)).total_seconds(), key=f"sent:{period}",
                          what=f"SentAt {noon_jst(day).isoformat()} (an earlier {period})"))
        sends.append(Send((Change(2 * k + 1, "1", FIRST, occurred=on, fields=dates),),
                          soap="1.1" if k % 2 else "1.2", key=f"dated:{period}",
                          what=f"異動年月日 and RecordedOn {on} (an earlier {period})"))
    other = {"1.1": "1.2", "1.2": "1.1"}
    at_once = tuple(Resend(s.key, soap=other[s.soap]) for s in sends if s.key.startswith("sent:"))
    after = tuple(Resend(s.key, soap=other[s.soap]) for s in sends)
    what = ("for each earlier " + ", ".join(p for p, _ in days) + ": a notice sent then (its "
            "dates that day) and one sent now dated then; the first kind again at once; restart; "
            "each again — every one duplicate, each resident one change applied")
    return [Point("partitions", what, 2 * len(days), (*sends, *at_once, Restart(), *after))]
