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

import json
from collections.abc import Collection, Iterable
from functools import lru_cache
from typing import NamedTuple

from .base import DeliveryState

# States a candidate row may have; delivered and purged rows never block anything.
CANDIDATE_STATES = (DeliveryState.PENDING, DeliveryState.INFLIGHT, DeliveryState.DEAD)
_STATES = frozenset(str(s) for s in CANDIDATE_STATES)
_PENDING, _INFLIGHT = str(DeliveryState.PENDING), str(DeliveryState.INFLIGHT)


class Candidate(NamedTuple):
    """One unfinished delivery as the claim query reads it (no payload: it may be large).

    A NamedTuple, not a dataclass: a claim may read every unfinished row of a long queue (when
    most are blocked), so building one must cost next to nothing."""

    id: int
    seq: int
    state: str  # one of CANDIDATE_STATES
    not_before: float
    lease_until: float | None
    subjects: tuple[str, ...]

    def available(self, now: float) -> bool:
        if self.state == _PENDING:
            return self.not_before <= now
        if self.state == _INFLIGHT:
            # A missing lease_until cannot happen in a consistent store; treat it as expired
            # rather than block the subscriber's queue forever.
            return self.lease_until is None or self.lease_until <= now
        return False  # dead: only an operator's replay makes it pending again


@lru_cache(maxsize=8192)
def decode_subjects(text: str) -> tuple[str, ...]:
    """A notice's subjects as stored (a JSON array). Cached: a queue holds many notices of the
    same residents, and a claim may decode every unfinished row of it."""
    subjects = json.loads(text)
    if not isinstance(subjects, list) or not all(isinstance(s, str) for s in subjects):
        raise ValueError(f"notice subjects are not a JSON array of strings: {text[:100]!r}")
    return tuple(subjects)


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
        seq, state, subjects = row.seq, row.state, row.subjects
        if last_seq is not None and seq < last_seq:
            # Guard the precondition: out-of-order input would silently break the ordering.
            raise ValueError(f"candidates not in seq order: {seq} after {last_seq}")
        last_seq = seq
        if state not in _STATES:
            raise ValueError(f"delivery {row.id}: unexpected state {state!r}")
        if held.isdisjoint(subjects) and row.available(now):
            chosen.append(row)
            if len(chosen) >= limit:
                break
        held.update(subjects)
    return chosen
