"""Several changes of one resident in one notice, in every arrangement of equal 異動連番 and of
dates against them, across a restart (複数異動の通知と再起動): points for the notice grid's receiver
model (S-MULTI-05, step ``grid = "multi_restarts"``; round 35b).

docs/notices.md: a change is applied exactly when its 異動連番 is greater than the last one
applied to that resident — by an earlier notice or earlier in the same notice —; the changes are
judged by 異動連番 (or document order), never by date; the last 異動連番 applied survives a
restart. S-MULTI-04 (multi_change_orders.py) sends three distinct 異動連番 in every order, all
on one day, without a restart. The thirty-fifth blind batch's subscribers kept the later of two
changes with one 異動連番 in one notice, sorted a notice's changes by OccurredOn, and rebuilt the
watermark at start-up from a notice's first change — each a pair (equal 異動連番 × one notice,
dates × 異動連番, a notice's shape × a restart) no case sent.

Enumerated here: the multisets of 異動連番 {10, 20, 30}, {10, 20, 20}, {10, 10, 20} and {20, 20}
in each of their distinct orders (13 arrangements) × the OccurredOn of the changes on one day,
rising in document order, or falling in document order (39 notices, SOAP 1.1 and 1.2 in turn;
the notices in turn at two magnitudes, each arrangement and each dating at both: as written,
and beyond 2⁵³ — 10, 20, 30 written 2⁵³+1, 2⁵³+5, 2⁵³+9, which a double rounds down to a
neighbour, so that a product holding the last 異動連番 as a double after the restart takes the
equal change for a greater one: round 37b, the thirty-seventh blind batch's watermark read
back as a JSON number;
each notice holds the arrangement twice, for two residents, their changes together in even
notices and alternating in odd ones); SentAt now, 120 s ahead of the clock (within the skew) or an
hour back, in turn. Then the product restarts (--restart-command), every notice is delivered
again (duplicate: the ones stamped ahead of the clock before their SentAt is reached), and one
notice brings each first resident a change whose 異動連番 equals the highest of its notice (kept
out) and another each second resident one just above it (applied). Every resident is observed:
the name of its highest 異動連番's first change, the count either order gives.
"""

from __future__ import annotations

from itertools import permutations

from .grid_notices import FIRST, Change, Point, Resend, Restart, Send

MULTISETS = ((10, 20, 30), (10, 20, 20), (10, 10, 20), (20, 20))
DATES = ("on one day", "rising in document order", "falling in document order")
AGES = (0.0, -120.0, 3600.0)  # SentAt now, ahead of the clock (within clock_skew), an hour back
# 異動連番 as written: n itself, or 2⁵³ + 1 + 4(n/10 − 1) — odd values a double rounds down
MAGNITUDES = ("as written", "beyond 2⁵³")
BEYOND_DOUBLES = 2**53 + 1


def magnitude(n: int, which: str) -> int:
    return n if which == MAGNITUDES[0] else BEYOND_DOUBLES + 4 * (n // 10 - 1)


def arrangements() -> list[tuple[int, ...]]:
    """Every distinct order of every multiset (13)."""
    return [order for s in MULTISETS for order in dict.fromkeys(permutations(s))]


def _occurred(dates: str, k: int, n: int) -> str:
    day = 1 if dates == DATES[0] else k + 1 if dates == DATES[1] else n - k
    return f"2024-04-{day:02d}"


def _changes(who: int, order: tuple[int, ...], dates: str) -> list[Change]:
    """A resident's changes in document order: those of the lowest 異動連番 a 転入, the others
    誤記修正, dated as ``dates`` says."""
    return [Change(who, str(n), FIRST if n == min(order) else "C12",
                   occurred=_occurred(dates, k, len(order)))
            for k, n in enumerate(order)]


def members() -> list[tuple[tuple[int, ...], str]]:
    """(the 異動連番 in document order, the dates): the magnitudes in turn, so that each
    arrangement (its three datings) and each dating (its thirteen arrangements) meets both."""
    return [(tuple(magnitude(n, MAGNITUDES[(a + d) % 2]) for n in order), dates)
            for a, order in enumerate(arrangements()) for d, dates in enumerate(DATES)]


def multi_restart_points() -> list[Point]:
    chosen = members()
    sends: list[Send] = []
    for k, (order, dates) in enumerate(chosen):
        first, second = _changes(2 * k, order, dates), _changes(2 * k + 1, order, dates)
        changes = first + second if k % 2 == 0 else \
            [c for pair in zip(first, second, strict=True) for c in pair]
        sends.append(Send(tuple(changes), soap="1.2" if k % 2 else "1.1",
                          age=AGES[k % len(AGES)], key=f"n{k}"))
    # the ones stamped ahead of the clock last: the restart comes before their SentAt
    sends.sort(key=lambda s: s.age < 0)
    resends = [Resend(s.key, soap=None if k % 2 else ("1.2" if s.soap == "1.1" else "1.1"))
               for k, s in enumerate(sends)]
    equal = Send(tuple(Change(2 * k, str(max(order))) for k, (order, _) in enumerate(chosen)))
    above = Send(tuple(Change(2 * k + 1, str(max(order) + 1))
                       for k, (order, _) in enumerate(chosen)), soap="1.2")
    what = (f"{len(arrangements())} arrangements of 異動連番 {{10, 20, 30}}, {{10, 20, 20}}, "
            f"{{10, 10, 20}}, {{20, 20}}, in turn as written and beyond 2⁵³, × OccurredOn "
            f"{', '.join(DATES)} in one notice; a "
            "restart; every notice again; a change equal to the highest (kept out) and one "
            "above it (applied)")
    return [Point("異動連番 × restart", what, 2 * len(chosen),
                  (*sends, Restart(), *resends, equal, above))]
