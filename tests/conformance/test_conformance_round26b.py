"""Round 26b's points (conformance/reason_crashes.py, S-DUR-10): a change of every 異動事由 of the
change_reason code list in one notice, a crash right after its receipt, once per binding —
checked against the code list itself. The faulty product that fails exactly S-DUR-10 is
faulty_durability.py's ``household-change-write-behind`` (test_conformance_crash.py runs it)."""

from __future__ import annotations

import csv
from pathlib import Path

from conformance.grid_notices import FIRST, Restart, Send
from conformance.reason_crashes import reason_crash_points

ROOT = Path(__file__).resolve().parents[2]


def _codes() -> list[str]:
    with open(ROOT / "schemas" / "codelists" / "change_reason.csv", encoding="utf-8") as f:
        return [row["code"] for row in csv.DictReader(f)]


def test_every_code_is_in_one_notice_followed_at_once_by_a_restart_on_each_binding():
    codes = _codes()
    points = reason_crash_points(codes)
    assert len(codes) == 26 and [p.steps[0].soap for p in points] == ["1.1", "1.2"]
    for point in points:
        moved, every, restart = point.steps
        assert isinstance(moved, Send) and isinstance(every, Send) and isinstance(restart,
                                                                                  Restart)
        assert point.residents == len(codes) and every.soap == moved.soap
        # each resident moved in first (異動連番 1), then exactly one change of each code
        assert [(c.who, c.sequence, c.reason) for c in moved.changes] == \
            [(k, "1", FIRST) for k in range(len(codes))]
        assert sorted(c.reason for c in every.changes) == sorted(codes)
        assert sorted(c.who for c in every.changes) == list(range(len(codes)))
        assert {c.sequence for c in every.changes} == {"2"}
