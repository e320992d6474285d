"""INV-MSG-10's check across a run (conformance/invariants.sent_at_advances): SentAt must move
as far as the suite's clock did. A product on the suite's host stamps from the same wall clock,
so a step of that clock (NTP, a virtual machine resumed) moves both; CI saw a false "does not
track time" when only the monotonic clock was the reference. A frozen clock or one at a wrong
rate still fails."""

from __future__ import annotations

import datetime as dt

from bus.core.header import Party, PlatformHeader
from conformance.envelopes import envelope
from conformance.invariants import Seen, sent_at_advances
from conformance.records import Exchange

JST = dt.timezone(dt.timedelta(hours=9))
START = dt.datetime(2026, 12, 6, 11, 21, 34, tzinfo=JST)
PARTY = Party("131016", "juki", "SYS01")


def _seen(n: int, *, monotonic: float, wall: float | None, stamped: float) -> Seen:
    """The ``n``th answer: sent at ``monotonic``/``wall`` seconds (suite clocks, from the
    run's start), stamped ``stamped`` seconds after START by the product."""
    header = PlatformHeader(message_id=f"00000000-0000-4000-8000-{n:012d}", sender=PARTY,
                            receiver=PARTY, service_id="juki.ResidentInquiry",
                            service_version="1", user_id="u1",
                            sent_at=(START + dt.timedelta(seconds=stamped)).isoformat())
    ex = Exchange(step="send", direction="to-product", method="POST", url="http://127.0.0.1/",
                  status=200,
                  response=envelope("<x/>", "1.1", header), elapsed=0.05)
    ex.sent_monotonic = 1000.0 + monotonic
    ex.sent_wall = None if wall is None else 1.8e9 + wall
    return Seen(f"C-{n}", "case.toml: case[0].step[0]", ex)


def test_a_clock_in_step_with_both_of_the_suites_passes():
    assert sent_at_advances([_seen(i, monotonic=i * 2.0, wall=i * 2.0, stamped=i * 2.0)
                             for i in range(5)]) == []


def test_a_wall_clock_step_the_product_shares_passes():
    # the host's wall clock jumps 6.6 s between the second and third answer; so does SentAt
    seen = [_seen(0, monotonic=0, wall=0, stamped=0), _seen(1, monotonic=3, wall=3, stamped=3),
            _seen(2, monotonic=7.4, wall=14.0, stamped=14.0)]
    assert sent_at_advances(seen) == []


def test_a_product_on_another_host_in_step_with_the_monotonic_clock_passes():
    seen = [_seen(0, monotonic=0, wall=0, stamped=0),
            _seen(1, monotonic=7.4, wall=14.0, stamped=7.4)]
    assert sent_at_advances(seen) == []


def test_a_frozen_clock_fails_with_both_spans_named():
    seen = [_seen(i, monotonic=i * 2.0, wall=i * 2.0 + (5 if i > 2 else 0), stamped=0)
            for i in range(6)]
    problems = sent_at_advances(seen)
    assert len(problems) == 4  # three shown, the rest counted
    assert "+0.0 s" in problems[0] and "2.0 s later by the suite's monotonic clock" in problems[0]
    assert "does not track time" in problems[0]
    assert "by its wall clock" not in problems[1]
    assert "11.0 s by its wall clock" in problems[2]  # the clocks differ from the fourth on
    assert problems[3] == "… and 2 more answers so"


def test_a_clock_at_a_wrong_rate_fails():
    seen = [_seen(i, monotonic=i * 2.0, wall=i * 2.0, stamped=i * 3.0) for i in range(4)]
    assert len(sent_at_advances(seen)) == 2  # 2 s then 3 s off; the first within 1.35 s


def test_without_a_wall_reading_the_monotonic_clock_judges():
    seen = [_seen(0, monotonic=0, wall=None, stamped=0),
            _seen(1, monotonic=7.4, wall=None, stamped=14.0)]
    assert len(sent_at_advances(seen)) == 1
