"""The time as stored (bus/core/utc_text: a hop record's ``at``, the JSON line's ``ts``) is
the text ``datetime`` gives — UTC, microseconds, ``+00:00`` — though its date and time of day
are formatted once a second (issue 13): across second, day, month and year boundaries and for
any microsecond."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bus.core.utc_text import utc_now_text as _now
from bus.store.hop_record import HopRecord, to_utc_iso

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def expected(now_ns: int) -> str:
    moment = EPOCH + dt.timedelta(microseconds=now_ns // 1000)
    return moment.isoformat(timespec="microseconds")


@pytest.mark.parametrize("when", [
    "2026-12-03T23:59:59.999999+00:00", "2026-12-04T00:00:00+00:00",
    "2028-02-29T12:00:00.000001+00:00", "2099-12-31T23:59:59.5+00:00"])
def test_boundaries(when):
    ns = int((dt.datetime.fromisoformat(when) - EPOCH).total_seconds()) * 10**9 + \
        dt.datetime.fromisoformat(when).microsecond * 1000 + 999
    for delta in (0, 1, 999, 1000, 10**9 - 1, 10**9):
        assert _now(ns + delta) == expected(ns + delta)


@given(st.lists(st.integers(min_value=10**18, max_value=4 * 10**18), min_size=1, max_size=20))
def test_any_time_in_any_order(times):
    for ns in times:  # the cached second changes back and forth
        assert _now(ns) == expected(ns)


def test_a_record_made_now_is_in_the_stored_form():
    before = dt.datetime.now(dt.timezone.utc)
    at = HopRecord(hop="received", status="ok").at
    after = dt.datetime.now(dt.timezone.utc)
    assert to_utc_iso(at) == at and before <= dt.datetime.fromisoformat(at) <= after


def test_the_json_line_is_stamped_in_the_same_form():
    import io
    import json

    from bus.core.jsonlog import JsonLineLog
    out = io.StringIO()
    before = dt.datetime.now(dt.timezone.utc)
    JsonLineLog(out).emit("x")
    ts = json.loads(out.getvalue())["ts"]
    assert to_utc_iso(ts) == ts and before <= dt.datetime.fromisoformat(ts)
