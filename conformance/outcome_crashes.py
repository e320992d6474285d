"""Round 27b (S-DUR-11): whatever a notice's changes came to, a crash right after its receipt
loses nothing of it — judged by the notice grid's receiver model (grid_notices.py; notice_runs.py
sends it, ``outcome_crashes``).

A subscriber's handler takes a branch per outcome, and each branch writes something a restart
must find: a notice whose changes are all kept out (異動連番 not greater than the last applied) or
that changes nothing is received all the same, its MessageId recorded (docs/notices.md); a
notice whose first change is applied and whose second is kept out records the one and the
MessageId. S-DUR-01…10 crash right after notices whose changes were all applied, S-DUR-02 after a
redelivery (duplicate), S-DUR-09 after a refusal; the other branches reached a restart only
mid-sequence (S-DUR-08, S-RST-01), where the next notice commits whatever a branch left open.

Sent, each on its own resident, each kind with ONE restart right after its last notice (the
notice a branch could leave uncommitted must be the last before the crash), the bindings
alternating: a notice of one change kept out; of two changes both kept out; of a change applied
then one kept out; of a change carrying the state already held (applied, nothing changes). After
each restart that notice is delivered again — the same bytes: ``duplicate`` — and A 2 is sent —
kept out: the highest 異動連番 applied (5 or 3) survived —; every resident is observed at the end
(its name and count of changes applied: the model's).
"""

from __future__ import annotations

from .grid_notices import FIRST, Change, Point, Resend, Restart, Send

_NAME = "𠮷田花子"


def outcome_crash_points() -> list[Point]:
    """One point per outcome branch; its notice ``k`` last before the restart, then again."""
    kinds = (
        ("one change kept out (A 5, then A 4)",
         (Change(0, "5", FIRST),), (Change(0, "4"),)),
        ("two changes both kept out (A 5, then A 3, A 4)",
         (Change(0, "5", FIRST),), (Change(0, "3"), Change(0, "4"))),
        ("a change applied, then one kept out (A 1, then A 3, A 2)",
         (Change(0, "1", FIRST),), (Change(0, "3"), Change(0, "2"))),
        ("a change that changes nothing (A 1, then A 3 with the state held)",
         (Change(0, "1", FIRST, name=_NAME),), (Change(0, "3", name=_NAME),)),
    )
    points = []
    for n, (what, first, last) in enumerate(kinds):
        soap = "1.2" if n % 2 else "1.1"
        points.append(Point(
            "outcome before a crash", f"{what} (SOAP {soap}), a restart right after its receipt, "
            "the notice again, then A 2", 1,
            (Send(first, soap=soap), Send(last, soap=soap, key="k"), Restart(),
             Resend("k"), Send((Change(0, "2"),), soap=soap))))
    return points
