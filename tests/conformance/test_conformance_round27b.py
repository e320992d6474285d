"""Round 27b's points (conformance/outcome_crashes.py, S-DUR-11): a notice of each outcome branch
— one change kept out, two kept out, one applied and one kept out, one changing nothing — is the
last before its own restart, delivered again after it, then an older change; checked here
against the receiver model's rule (a change is applied exactly when its 異動連番 is greater than
the highest applied). The faulty product that fails exactly S-DUR-11 is faulty_durability.py's
``kept-out-left-open`` (test_conformance_crash.py runs it)."""

from __future__ import annotations

from conformance.grid_notices import FIRST, Resend, Restart, Send
from conformance.outcome_crashes import outcome_crash_points


def _outcomes(sends: list[Send]) -> list[list[bool]]:
    """Per notice, per change: applied (True) or kept out, by the 異動連番 rule."""
    last, out = 0, []
    for send in sends:
        out.append([])
        for change in send.changes:
            out[-1].append(int(change.sequence) > last)
            last = max(last, int(change.sequence))
    return out


def test_each_outcome_branch_is_the_last_notice_before_its_own_restart():
    points = outcome_crash_points()
    branches = []
    for n, point in enumerate(points):
        first, last, restart, again, older = point.steps
        assert isinstance(restart, Restart) and isinstance(again, Resend) and again.key == "k"
        assert isinstance(last, Send) and last.key == "k" and point.residents == 1
        assert first.changes[0].reason == FIRST and {first.soap, last.soap, older.soap} == \
            {"1.2" if n % 2 else "1.1"}
        before, after = _outcomes([first, last]), _outcomes([first, last, older])
        assert before[0] == [True] and after[2] == [False]  # the older change kept out
        unchanged = last.changes[0].name is not None and last.changes[0].name == \
            first.changes[0].name
        branches.append(("nothing changes" if unchanged else "", tuple(before[1])))
    # one kept out; all (two) kept out; applied then kept out; applied, the state held
    assert branches == [("", (False,)), ("", (False, False)), ("", (True, False)),
                        ("nothing changes", (True,))]
