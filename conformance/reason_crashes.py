"""Round 26b (S-DUR-10): a change of every 異動事由 survives a crash right after the receipt of
the notice that carried it — judged by the notice grid's receiver model (grid_notices.py;
notice_runs.py sends it, ``reason_crashes``).

S-DUR-01…07 kill the product after notices of 国内転入 (A01), 誤記修正 (C12) and a 消除; the
other 異動事由 reach a restart only mid-sequence (S-RST-01, S-FIELD-01), where the next notice
commits whatever a handler left open. A vendor's handler per 異動事由 (a 取消し's undo, a 世帯
change's household rows) is its own code path and can commit apart, late or not at all: the
receipt says ``applied`` (receipt-v1.xsd: the subscriber applied it to its records; docs/
notices.md: acknowledged only once stored durably), so every such change must be there after a
crash that follows the receipt at once.

Sent, once per binding (SOAP 1.1, then 1.2, each on its own residents): one resident per code of
the change_reason code list, moved in together by one notice of 国内転入; then ONE notice holding
a change of every code (異動連番 2, each about its own resident), receipted; the product
restarts (--restart-command); every resident is observed: the state its change carried, two
changes applied. One notice, not one per code: a handler that leaves its notice uncommitted
loses the whole notice whatever else it holds, and one restart per binding keeps the case to
two restarts (a notice per code, each followed by a restart, would be 52). Round 36b: the
residents are 日本人住民 and 外国人住民 (ResidentKind 1 and 2) in turn, so every 異動事由 reaches a
crash for each kind of resident: the thirty-sixth blind batch wrote 外国人住民's changes over a
second connection that only the next notice committed.
"""

from __future__ import annotations

from collections.abc import Iterable

from .grid_notices import FIRST, Change, Point, Restart, Send

# 住民の種別 (resident_kind): 日本人住民, 外国人住民 — a vendor keeps 外国人住民 in tables of
# their own (外国人登録's heritage), written by code of their own (round 36b)
KINDS = ("1", "2")


def reason_crash_points(codes: Iterable[str]) -> list[Point]:
    """Per binding: the residents moved in, a notice of a change of every code, a restart."""
    codes = sorted(codes)
    points = []
    for soap in ("1.1", "1.2"):
        kinds = [{"ResidentKind": KINDS[k % len(KINDS)]} for k in range(len(codes))]
        movers = tuple(Change(k, "1", FIRST, relationship="01" if k == 0 else "03",
                              fields=kinds[k])
                       for k in range(len(codes)))
        every = tuple(Change(k, "2", code, relationship="01" if k == 0 else "03",
                             occurred=f"2024-05-{k + 1:02d}", fields=kinds[k])
                      for k, code in enumerate(codes))
        points.append(Point("異動事由 before a crash",
                            f"{len(codes)} residents moved in, 日本人住民 and 外国人住民 in turn; "
                            f"one notice of {', '.join(codes)} (SOAP {soap}), a restart right "
                            "after its receipt", len(codes),
                            (Send(movers, soap=soap), Send(every, soap=soap), Restart())))
    return points
