"""A notice of several changes of one resident, then a change at every place among them
(複数異動の通知): points for the notice grid's receiver model (S-MULTI-04, step
``grid = "multi_orders"``).

docs/notices.md ("Per change, per resident"): a change is applied exactly when its 異動連番 is
greater, as a number, than the last one applied to that resident — by an earlier notice *or
earlier in the same notice*; a notice may hold several changes of one resident in any order,
each judged on its own, and the resident ends in the state of the highest 異動連番 (either count
of applied changes accepted). S-MULTI-01 sends two changes in order, S-MULTI-03 256 in order,
S-GRID-01 one notice of 8, 6, 6, 4 and one of 7, 3 with nothing after them. A product that
remembers, after a notice, the 異動連番 of its last change in document order (not the highest),
or judges every change of a notice against the state before the notice, passes them all.

Enumerated here, on the 異動連番 n1 < n2 < n3 = 10 < 20 < 30: the three changes of a resident
in one notice in each of their 3! = 6 orders (ascending, descending and the four mixed), then a
separate notice with one change of that resident whose 異動連番 lies at each of the 7 places
against them — below n1 (5), between n1 and n2 (15), between n2 and n3 (25), equal to n1, n2,
n3, above n3 (35): 42 residents. They go in two points of two notices each: the first with each
resident's three changes together, the second with the residents' changes interleaved (every
resident's first, then every second, then every third: changes of several residents alternating
in one notice). Only the later change above n3 is applied; the resident ends in the state of
the change of 30 — or of 35 — whatever the order.
"""

from __future__ import annotations

from itertools import permutations

from .grid_notices import FIRST, Change, Point, Send

SEQUENCES = (10, 20, 30)  # n1 < n2 < n3
# the later change's 異動連番 at each place against n1 < n2 < n3
PLACES = (("below n1", 5), ("between n1 and n2", 15), ("between n2 and n3", 25),
          ("equal to n1", 10), ("equal to n2", 20), ("equal to n3", 30), ("above n3", 35))
ORDERS = tuple(permutations(SEQUENCES))  # ascending, …, descending


def members() -> list[tuple[tuple[int, ...], str, int]]:
    """(the order of the three changes in the notice, the place's name, the later 異動連番)."""
    return [(order, place, later) for order in ORDERS for place, later in PLACES]


def _changes(who: int, order: tuple[int, ...]) -> list[Change]:
    """A resident's three changes: the lowest a 転入 (its first change, whatever its place in
    the notice), the others 誤記修正."""
    return [Change(who, str(n), FIRST if n == min(order) else "C12") for n in order]


def multi_order_points() -> list[Point]:
    chosen = members()
    groups = [_changes(who, order) for who, (order, _, _) in enumerate(chosen)]
    later = Send(tuple(Change(who, str(n)) for who, (_, _, n) in enumerate(chosen)), soap="1.2")
    what = (f"{len(ORDERS)} orders of 異動連番 {', '.join(map(str, SEQUENCES))} in one notice "
            f"× a later notice at {len(PLACES)} places ({', '.join(str(n) for _, n in PLACES)})")
    return [
        Point("異動連番", f"{what}; each resident's changes together", len(chosen), (
            Send(tuple(c for g in groups for c in g)), later)),
        Point("異動連番", f"{what}; the residents' changes interleaved", len(chosen), (
            Send(tuple(g[k] for k in range(len(SEQUENCES)) for g in groups), soap="1.2"),
            Send(later.changes))),
    ]
