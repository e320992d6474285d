"""The notice store's interface (保管転送): what the hub needs to never lose, never duplicate and
never reorder a notice it acknowledged.

Model: an accepted notice is one ``notices`` row (the exact bytes received, keyed by message ID —
the idempotent receiver on the hub's side) and one ``deliveries`` row per subscriber (a queue per
subscriber). A delivery is ``pending`` → claimed by a hub node under a lease (``inflight``) →
``delivered``, or back to ``pending`` with a later ``not_before`` (retry), or ``dead`` (the dead
letter channel, with the last error) until an operator replays or purges it.

Ordering: each notice has subject keys (e.g. ``131016:0000010014`` — 団体コード:宛名番号). For one
subscriber, a delivery is claimable only when no earlier delivery (lower ``seq``) sharing a subject
is pending, in flight or dead: a later 異動 of a resident never overtakes an earlier one, while
different residents flow in parallel. Claiming for one subscriber is serialised (SQLite: the write
lock; PostgreSQL: a row lock on the subscriber), so two hub nodes never claim around each other.

All methods are synchronous and thread-safe; the Twisted edge calls them from threads. Times are
POSIX seconds (float).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from ...core.frozen import built


class DeliveryState(StrEnum):
    """Where one delivery is (配信状態): ``deliveries.state``. The stores' SQL writes these as
    literals and their CHECK constraint (a released migration) lists them:
    ``tests/unit/test_vocabularies.py`` fails when the SQL and this enum disagree."""

    PENDING = "pending"  # due at not_before
    INFLIGHT = "inflight"  # claimed by a node under a lease
    DELIVERED = "delivered"
    DEAD = "dead"  # the dead letter channel, until an operator replays or purges it
    PURGED = "purged"  # given up by an operator: kept for audit, never delivered


STATES = tuple(s.value for s in DeliveryState)


class NoticeOutcome(StrEnum):
    """What became of a notice for one subscriber (通知の結果): accepted into its queue, then how
    each delivery attempt ended. The hub's delivery counts (``hub.stopped``) and
    ``pfbus_notices_total``'s ``outcome`` label are these values."""

    ACCEPTED = "accepted"  # stored, queued for the subscriber
    DELIVERED = "delivered"
    RETRIED = "retried"  # an attempt failed; another is scheduled
    DEAD = "dead"  # moved to the dead letter channel
    RELEASED = "released"  # cut by a stop: due again at once, the attempt not counted


NOTICE_OUTCOMES = tuple(o.value for o in NoticeOutcome)
# how one delivery attempt can end
ATTEMPT_OUTCOMES = tuple(o for o in NoticeOutcome if o is not NoticeOutcome.ACCEPTED)


class Fact(StrEnum):
    """The kind of a ``recent_facts`` row (the routing log's recovery after a crash)."""

    ACCEPTED = "accepted"  # ("accepted", message_id, service_id, sender, at)
    DELIVERED = "delivered"  # ("delivered", message_id, service_id, subscriber, at, attempts)

# The columns both stores select (deliveries d joined with their notices n), in the order the
# row readers below expect.
DELIVERY_COLUMNS = """d.id, d.seq, d.subscriber, n.message_id, n.service_id, n.subjects,
    n.content_type, n.soap_action, n.payload, d.attempts, d.enqueued_at, d.lease_owner,
    d.lease_until, n.sender, n.receiver, n.service_version, n.request_hash"""
DEAD_COLUMNS = """d.id, d.subscriber, n.message_id, n.service_id, d.attempts, d.enqueued_at,
    d.finished_at, d.last_error"""


@dataclass(frozen=True)
class NoticeRecord:
    """A validated notice, as the hub accepts it."""

    message_id: str  # メッセージID: the idempotency key
    service_id: str
    local_gov_code: str  # 団体コード whose subscribers receive it
    sender: str  # "団体コード/業務ユニット/system", for operators
    subjects: tuple[str, ...]  # ordering keys; empty = no ordering constraint
    content_type: str
    soap_action: str | None
    payload: bytes  # the exact bytes received: forwarded unchanged
    received_at: float
    # Header fields delivery records in its routing-log hops, kept so that it never parses
    # the stored bytes again (schema version 2; None: the store's caller did not give them).
    receiver: str | None = None  # "団体コード/業務ユニット/system"
    service_version: str | None = None
    # request_digest(payload), computed at acceptance (schema version 3 on PostgreSQL, 4 on
    # SQLite): subscribers' receipts are checked against it without hashing the payload again
    request_hash: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One notice on its way to one subscriber, as claimed by a node."""

    id: int
    seq: int  # acceptance order in the store
    subscriber: str
    message_id: str
    service_id: str
    subjects: tuple[str, ...]
    content_type: str
    soap_action: str | None
    payload: bytes
    attempts: int  # including the one this claim starts
    enqueued_at: float
    lease_owner: str
    lease_until: float
    sender: str = ""
    # None for a notice stored before schema version 2 kept them (delivery then reads them
    # from the payload)
    receiver: str | None = None
    service_version: str | None = None
    request_hash: str | None = None  # None: not kept (accepted before it was), hashed again


@dataclass(frozen=True)
class QueueStats:
    """One subscriber's queue at a glance (``pfbus queue``)."""

    subscriber: str
    pending: int
    inflight: int
    delivered: int
    dead: int  # > 0: the subscriber exhausted its policy for these; nothing is silently paused
    oldest_pending_age: float | None  # seconds
    last_error: str | None


@dataclass(frozen=True)
class DeadLetter:
    delivery_id: int
    subscriber: str
    message_id: str
    service_id: str
    attempts: int
    enqueued_at: float
    died_at: float
    last_error: str
    payload: bytes | None = None  # only from dead_letter(id)


# -- reads both stores share; ``{m}`` is the driver's parameter mark (``?`` or ``%s``) ---------

_RECENT_FACTS = (
    f"SELECT '{Fact.ACCEPTED}', message_id, service_id, sender, accepted_at FROM notices "
    "WHERE accepted_at >= {m} ORDER BY seq",
    f"SELECT '{Fact.DELIVERED}', n.message_id, n.service_id, d.subscriber, d.finished_at, "
    "d.attempts FROM deliveries d JOIN notices n ON n.seq = d.seq "
    f"WHERE d.state = '{DeliveryState.DELIVERED}' AND d.finished_at >= {{m}} ORDER BY d.id")

# Notices whose every delivery is finished and old enough (retention), a batch at a time.
_FINISHED_NOTICES = (
    "SELECT seq FROM notices n WHERE seq > {m} AND accepted_at < {m} AND NOT EXISTS ("
    " SELECT 1 FROM deliveries d WHERE d.seq = n.seq AND NOT ("
    f"  (d.state = '{DeliveryState.DELIVERED}' AND d.finished_at < {{m}})"
    f"  OR (d.state IN ('{DeliveryState.DEAD}', '{DeliveryState.PURGED}')"
    "   AND d.finished_at < {m}))) ORDER BY seq LIMIT {m}")

Execute = Callable[[str, Sequence[Any]], Any]  # a connection's execute: returns a cursor


def read_recent_facts(execute: Execute, mark: str, since: float) -> Iterator[tuple]:
    """``NoticeStore.recent_facts`` over a connection's ``execute``, streamed."""
    for statement in _RECENT_FACTS:
        for row in execute(statement.format(m=mark), (since,)):
            yield tuple(row)


def purge_finished_notices(execute: Execute, mark: str, delete: Callable[[list[int]], None],
                           delivered_before: float | None, dead_before: float | None,
                           batch: int) -> int:
    """``NoticeStore.purge_finished``: finds finished notices ``batch`` at a time and hands
    their ``seq``s to ``delete`` (the store's own transaction); returns how many."""
    never = float("-inf")
    delivered = never if delivered_before is None else delivered_before
    dead = never if dead_before is None else dead_before
    newest = max(delivered, dead)
    if newest == never:
        return 0
    statement = _FINISHED_NOTICES.format(m=mark)
    deleted, after = 0, 0
    while True:
        seqs = [r[0] for r in execute(statement,
                                      (after, newest, delivered, dead, batch)).fetchall()]
        if not seqs:
            return deleted
        delete(seqs)
        deleted += len(seqs)
        after = seqs[-1]


def delivery_from_row(row: Sequence, subjects: Sequence[str]) -> Delivery:
    """A row of DELIVERY_COLUMNS; ``subjects`` decoded by the store (JSON text or an array).
    Built without the frozen ``__init__`` (19 guarded ``__setattr__``, ~40 k instructions a
    delivery: issue 13) — the same object, every field named."""
    return built(Delivery, id=row[0], seq=row[1], subscriber=row[2], message_id=row[3],
                 service_id=row[4], subjects=tuple(subjects), content_type=row[6],
                 soap_action=row[7], payload=bytes(row[8]), attempts=row[9],
                 enqueued_at=row[10], lease_owner=row[11], lease_until=row[12],
                 sender=row[13], receiver=row[14], service_version=row[15],
                 request_hash=row[16])


def dead_letter_from_row(row: Sequence, with_payload: bool = False) -> DeadLetter:
    """A row of DEAD_COLUMNS (plus the payload when ``with_payload``)."""
    return DeadLetter(delivery_id=row[0], subscriber=row[1], message_id=row[2],
                      service_id=row[3], attempts=row[4], enqueued_at=row[5], died_at=row[6],
                      last_error=row[7] or "", payload=bytes(row[8]) if with_payload else None)


class NoticeStore(Protocol):
    def accept(self, notice: NoticeRecord, subscribers: Sequence[str]) -> bool:
        """Store the notice and one delivery per subscriber, durably, before returning.

        True if it was new; False if its message ID was accepted before (nothing is stored or
        queued again). Concurrent callers are committed together (group commit).
        """

    def accept_async(self, notice: NoticeRecord, subscribers: Sequence[str],
                     on_done: Callable[[bool | None, BaseException | None], None]) -> None:
        """``accept`` without a waiting thread: returns once the notice is queued for the next
        group commit; ``on_done(is_new, None)`` once it is durable, or ``on_done(None, error)``
        if nothing was stored — called once, on the store's writer thread. A notice refused
        before queueing (invalid, store closed) raises here instead."""

    def claim(self, subscriber: str, node: str, lease_seconds: float, limit: int,
              now: float | None = None) -> list[Delivery]:
        """Up to ``limit`` deliveries now due for ``subscriber``, in ``seq`` order, leased to
        ``node`` until ``now + lease_seconds``; ``attempts`` is incremented. Respects ordering
        per subject (see module doc). Expired leases of other nodes are claimable again."""

    def complete(self, delivery_id: int, node: str) -> bool:
        """Mark delivered; False (and no change) if ``node`` no longer holds the lease."""

    def complete_and_claim(self, completed: Sequence[int], subscriber: str, node: str,
                           lease_seconds: float, limit: int, now: float | None = None
                           ) -> tuple[list[bool], list[Delivery]]:
        """``complete`` each of ``completed`` (one answer each, in order), then ``claim`` —
        in one transaction, so that a delivery loop pays one store round trip and one commit
        for all it finished since its last claim. A completion frees its subjects for the
        claim that follows it."""

    def retry_later(self, delivery_id: int, node: str, error: str, not_before: float) -> bool:
        """Back to pending, due at ``not_before``, remembering ``error``; False if not leased."""

    def dead(self, delivery_id: int, node: str, error: str) -> bool:
        """Move to the dead letter channel with ``error``; False if not leased by ``node``."""

    def release(self, delivery_id: int, node: str) -> bool:
        """Back to pending, due now, the claim's attempt not counted (the hub stopped it, not
        the subscriber); False if not leased by ``node``."""

    def release_node(self, node: str) -> int:
        """At a node's start: its leftover leases go back to pending (count returned)."""

    def stats(self, now: float | None = None) -> list[QueueStats]:
        """Per subscriber that has or had deliveries, sorted by name."""

    def dead_letters(self, subscriber: str | None = None, limit: int = 100) -> list[DeadLetter]:
        """Dead letters, oldest first, without payloads."""

    def dead_letter(self, delivery_id: int) -> DeadLetter | None:
        """One dead letter with its payload."""

    def replay(self, subscriber: str | None = None,
               delivery_ids: Sequence[int] | None = None) -> int:
        """Dead → pending, due now, attempts reset; returns how many. Order is kept: replayed
        deliveries keep their ``seq``."""

    def purge(self, subscriber: str | None = None,
              delivery_ids: Sequence[int] | None = None) -> int:
        """Dead → purged (kept for audit, never delivered, no longer blocking its subjects)."""

    def recent_facts(self, since: float) -> Iterator[tuple]:
        """For the routing log's recovery after a crash: notices accepted and deliveries
        completed at or after ``since`` (epoch seconds), oldest first, streamed:
        ``("accepted", message_id, service_id, sender, at)`` and
        ``("delivered", message_id, service_id, subscriber, at, attempts)``."""

    def purge_finished(self, delivered_before: float | None, dead_before: float | None,
                       batch: int = 5000) -> int:
        """Retention: delete notices whose every delivery is finished and old enough (delivered
        before ``delivered_before``, dead or purged before ``dead_before``; None: never)."""

    def close(self) -> None:
        ...
