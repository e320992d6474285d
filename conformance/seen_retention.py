"""How many seen MessageIds a restart must keep (round 22, S-KEEP-01; notice_runs.py's
``retention`` points, judged by the notice grid's model).

docs/notices.md: a notice delivered again is a duplicate however long after and however many
notices came between — across restarts too (RQ-SUB-02, RQ-SUB-05). S-DUR-08 redelivers notices
a few exchanges old after a restart: a product that warms its seen-ID cache at start-up with the
last N MessageIds received (a "recent" table, a cache sized for the hub's retry burst) passes it
for any N above a handful. Here RECEIVED residents each get a 転入 under its own MessageId,
then the product restarts, then notices of every age are delivered again: the oldest, the one
just past the windows products size such caches with (10, 16, 32), the newest — alternately
over the other SOAP version. Each must be ``duplicate`` and nothing applied twice (observed).
Sampled, not exhaustive: a window above RECEIVED passes; the documents bound none.
"""

from __future__ import annotations

from .grid_notices import FIRST, Change, Point, Resend, Restart, Send

RECEIVED = 34  # notices before the restart: past windows of 10, 16 and 32
WINDOWS = (10, 16, 32)  # the redelivered: the one just outside each window, the oldest, the newest


def redelivered() -> list[int]:
    """Indexes of the notices delivered again after the restart, oldest first."""
    return sorted({0, RECEIVED - 1, *(RECEIVED - 1 - w for w in WINDOWS)})


def retention_points() -> list[Point]:
    sends = tuple(Send((Change(k, "1", FIRST, relationship="01" if k == 0 else "02"),),
                       soap="1.2" if k % 2 else "1.1", key=f"n{k}") for k in range(RECEIVED))
    again = tuple(Resend(f"n{k}", soap="1.1" if k % 2 else "1.2") for k in redelivered())
    return [Point("restart", f"{RECEIVED} residents' 転入, one notice each; restart; notices "
                  f"{', '.join(str(k + 1) for k in redelivered())} delivered again (the oldest, "
                  f"the ones just outside windows of {', '.join(map(str, WINDOWS))}, the "
                  f"newest), each over the other SOAP version", RECEIVED,
                  (*sends, Restart(), *again))]
