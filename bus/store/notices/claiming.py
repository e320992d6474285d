"""Which deliveries a claim may take now: the per-subject ordering rule, as one pure function.

Both stores feed it the same thing — one subscriber's unfinished deliveries (``pending``,
``inflight`` and ``dead``) in ``seq`` order, read in one snapshot while claiming for that
subscriber is serialised — and update exactly the rows it returns. Keeping the rule here, free
of SQL, means SQLite and PostgreSQL cannot drift apart and the rule can be property-tested.

The rule (see ``base.py``): a delivery is claimable when it is *available* — ``pending`` and due
(``not_before <= now``), or ``inflight`` with an expired lease (its node is presumed dead) — and
no earlier unfinished delivery shares one of its subjects (団体コード:宛名番号). Every unfinished
row blocks its subjects for the rows after it, whatever its state: an in-flight one with a live
lease, a retry that is not yet due, a dead letter, an available row this claim did not take
(``limit`` reached) and also one it did take — two 異動 of one resident are never in flight at
once, so a failure of the first can never let the second overtake it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from .base import DeliveryState

# States a candidate row may have; delivered and purged rows never block anything.
CANDIDATE_STATES = (DeliveryState.PENDING, DeliveryState.INFLIGHT, DeliveryState.DEAD)


@dataclass(frozen=True)
class Candidate:
    """One unfinished delivery as the claim query reads it (no payload: it may be large)."""

    id: int
    seq: int
    state: str  # one of CANDIDATE_STATES
    not_before: float
    lease_until: float | None
    subjects: tuple[str, ...]

    def available(self, now: float) -> bool:
        if self.state == DeliveryState.PENDING:
            return self.not_before <= now
        if self.state == DeliveryState.INFLIGHT:
            # A missing lease_until cannot happen in a consistent store; treat it as expired
            # rather than block the subscriber's queue forever.
            return self.lease_until is None or self.lease_until <= now
        return False  # dead: only an operator's replay makes it pending again


def select_claimable(candidates: Iterable[Candidate], now: float, limit: int,
                     blocked_subjects: Collection[str] = ()) -> list[Candidate]:
    """The rows to claim now, at most ``limit``, in the order given (``seq`` order).

    ``candidates`` must be in ascending ``seq``; it is consumed lazily and abandoned as soon as
    ``limit`` rows are chosen, so a store may stream a long queue from a cursor.
    ``blocked_subjects`` are blocked from the start (e.g. subjects of dead letters a caller
    chose to pass separately rather than as ``dead`` rows in the stream).
    """
    chosen: list[Candidate] = []
    if limit <= 0:
        return chosen
    held = set(blocked_subjects)
    last_seq: int | None = None
    for row in candidates:
        if last_seq is not None and row.seq < last_seq:
            # Guard the precondition: out-of-order input would silently break the ordering.
            raise ValueError(f"candidates not in seq order: {row.seq} after {last_seq}")
        last_seq = row.seq
        if row.state not in CANDIDATE_STATES:
            raise ValueError(f"delivery {row.id}: unexpected state {row.state!r}")
        if row.available(now) and held.isdisjoint(row.subjects):
            chosen.append(row)
            if len(chosen) >= limit:
                break
        held.update(row.subjects)
    return chosen
