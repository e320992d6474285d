"""What the routing log (経路ログ) does whatever database holds it: hand-offs of hop records to
the group-commit writer (bus/store/group_writer.py), chaining each batch onto the head
(bus/store/chain.py), checkpoints, and the run mark that lets the next start know the previous
run crashed (bus/store/log_recovery.py).

The SQL is the dialect's: ``RoutingLog`` (SQLite, bus/store/routing_log.py) and
``PostgresRoutingLog`` (bus/store/routing_log_pg.py) supply ``_write``, the run mark's storage and
the readers. The fields are declared once, in ``HopRecord`` (bus/store/hop_record.py).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import operator
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from .batching import Unawaited
from .chain import (CHAIN_FORMAT, ROW_IS_ARRAY, Formats, Shape, fast_record_hash, linked_hash,
                    row_hash, values_text)
from .group_writer import GroupWriter, _now
from .hop_record import HOPS, STATUSES, HopRecord, column_names, to_utc_iso

log = logging.getLogger(__name__)

# hand-offs per commit (a hop, or one exchange's few hops): bounds one transaction, amortises
# the fsync
MAX_BATCH = 1000
HIGH_WATER = 10_000  # records waiting beyond this: the log is "behind", new exchanges wait
CHECKPOINT_EVERY = 1000  # rows between two stored (and emitted) head hashes
# Seconds a hand-off nobody awaits (``record_many(awaited=False)``: an exchange's hops before it
# forwards) may wait for the next awaited one's commit (batching.gather): about a provider's
# answer on a LAN, so that an exchange commits once, not twice, when the writer is idle
DEFER = 0.05

COLUMNS = column_names()
VALUES = operator.attrgetter(*COLUMNS)  # a record's column values, in column order
# the same from the record's field dict (every field is in it): a fifth of the instructions
_FIELD_VALUES = operator.itemgetter(*COLUMNS)
# a chained row as verify and export see it: ``id`` is the position in its chain
CHAINED = ("id", *COLUMNS, "prev_hash", "hash")


class RoutingLogError(Exception):
    """The routing log cannot be opened, written or read."""


@dataclass(frozen=True)
class Unchained:
    """A batch before it is chained: each row's values, their text and shape
    (``chain.values_text``), made outside the writer's turn at the file; chaining in the turn
    then adds only id, prev_hash and hash (``ChainedLog._chain_unchained``)."""

    batch: list[HopRecord]
    values: list[tuple]
    texts: list[str | None]
    shapes: list[Shape]

    @classmethod
    def of(cls, batch: list[HopRecord]) -> Unchained:
        unchained = cls([], [], [], [])
        unchained.extend(batch)
        return unchained

    def extend(self, hops: list[HopRecord]) -> None:
        """Add ``hops`` at the end (the writer's late items: ``GroupWriter._take_waiting``)."""
        for h in hops:
            try:
                row = _FIELD_VALUES(h.__dict__)
            except (KeyError, AttributeError):  # not a plain HopRecord: by attribute
                row = VALUES(h)
            text, shape = values_text(row)
            self.values.append(row)
            self.texts.append(text)
            self.shapes.append(shape)
        self.batch.extend(hops)


class ChainedLog(GroupWriter):
    """The writer side shared by both dialects; see the module doc."""

    WHAT = "routing log"
    UNIT = "hop records"
    MAX_BATCH = MAX_BATCH
    DEFER = DEFER
    Error = RoutingLogError

    def _init_log(self, *, readonly: bool, checkpoint_every: int,
                  on_checkpoint: Callable[[int, str], None] | None,
                  on_commit: Callable[[int], None] | None,
                  on_state: Callable[[dict], None] | None, high_water: int,
                  marks_runs: bool) -> None:
        self.readonly = readonly
        self.checkpoint_every = checkpoint_every
        # on_checkpoint(hop_id, hash) after a checkpoint's commit (the writer thread)
        self.on_checkpoint = on_checkpoint
        # The hub marks its run in the log (chain_meta 'run'), cleared by a clean close: the
        # next start finds a crashed run in ``unclean`` (bus/store/log_recovery.py).
        self.marks_runs = marks_runs
        self.unclean: dict | None = None
        self._read_lock = threading.Lock()  # the reader connection: a query never holds _lock
        self._init_writer(high_water=high_water, on_commit=on_commit, on_state=on_state)

    # -- writing -----------------------------------------------------------------------------

    def record(self, hop: HopRecord) -> int:
        """Queue one hop for writing; never waits for the disk and never drops it.

        Returns the record's sequence number in this process: ``committed()`` reaches it once
        the record is written (``on_commit`` is told). Memory is bounded by the callers: the hub
        admits no new exchange while ``health()`` says behind or failing (bus/hub/evidence.py),
        so only exchanges already in flight add records.
        """
        return self._enqueue(hop)

    def record_many(self, hops: list[HopRecord], awaited: bool = True) -> int:
        """Queue several hops (in order) as ONE hand-off to the writer: ``record`` for each,
        with one queue put and at most one wake-up of the writer thread instead of one per hop.
        The hub hands off an exchange's hops together (bus/hub/exchange.py). Returns the last
        hop's sequence number (the current one when ``hops`` is empty).

        ``awaited=False``: nobody waits for these hops' commit (the hub's hops before it forwards);
        the writer may then hold them up to ``defer`` seconds for the next awaited hand-off, so
        that one commit covers both (batching.gather)."""
        return self._enqueue(hops if awaited else Unawaited(hops), len(hops))

    def _prepare(self, items: list) -> tuple[Any, int, int]:
        batch = self._flatten(items)
        return batch, len(batch), 0

    @staticmethod
    def _flatten(items: list) -> list[HopRecord]:
        batch: list[HopRecord] = []
        for item in items:  # a HopRecord (record) or a list of them (record_many)
            if isinstance(item, list):
                batch.extend(item)
            else:
                batch.append(item)
        return batch

    def _stopped(self) -> None:
        # given-up records: the mark stays, so the next start writes a gap record
        if self.marks_runs and not self.lost:
            self._end_run()

    def _end_run(self) -> None:
        raise NotImplementedError

    @staticmethod
    def _chain(batch: list[HopRecord], head_id: int, prev: str, formats: Formats,
               checkpoint_every: int
               ) -> tuple[list[tuple], list[Shape | None], list[tuple[int, str]]]:
        """The rows (id, fields..., prev_hash, hash) of ``batch`` chained onto (head_id, prev),
        their shapes (``chain.Shape``; None: not known) and the checkpoints among them."""
        rows = []
        shapes: list[Shape | None] = []
        checkpoints = []
        newest = formats.of(head_id + 1) == CHAIN_FORMAT and ROW_IS_ARRAY
        for h in batch:
            head_id += 1
            try:
                row = (head_id, *_FIELD_VALUES(h.__dict__), prev)
            except (KeyError, AttributeError):  # not a plain HopRecord: by attribute
                row = (head_id, *VALUES(h), prev)
            if newest:  # the row as inserted is the hashed array (chain format 4, issue 13)
                digest, shape = row_hash(row)
                shapes.append(shape)
            else:
                # the writer's path to an older format's definition (chain.record_hash, which
                # ``pfbus log verify`` recomputes): the same bytes, cheaper; the record's own
                # field dict (every column is a field) instead of a new one per row
                digest = fast_record_hash(head_id, vars(h), prev, formats.of(head_id))
                shapes.append(None)
            rows.append(row + (digest,))
            if checkpoint_every and head_id % checkpoint_every == 0:
                checkpoints.append((head_id, digest))
            prev = digest
        return rows, shapes, checkpoints

    @staticmethod
    def _chain_unchained(unchained: Unchained, head_id: int, prev: str, formats: Formats,
                         checkpoint_every: int
                         ) -> tuple[list[tuple], list[Shape | None], list[tuple[int, str]]]:
        """``_chain`` of ``unchained.batch``, with the rows' text made beforehand; the same
        rows, shapes and checkpoints."""
        if not (ROW_IS_ARRAY and formats.of(head_id + 1) == CHAIN_FORMAT) \
                or type(prev) is not str:
            return ChainedLog._chain(unchained.batch, head_id, prev, formats, checkpoint_every)
        rows = []
        checkpoints = []
        for values, text in zip(unchained.values, unchained.texts, strict=True):
            head_id += 1
            if text is not None:
                digest = linked_hash(head_id, text, prev)
                rows.append((head_id, *values, prev, digest))
            else:  # values hashed converted: row_hash's own path
                row = (head_id, *values, prev)
                digest = row_hash(row)[0]
                rows.append(row + (digest,))
            if checkpoint_every and head_id % checkpoint_every == 0:
                checkpoints.append((head_id, digest))
            prev = digest
        return rows, list(unchained.shapes), checkpoints

    def _announce(self, checkpoints: list[tuple[int, str]]) -> None:
        if self.on_checkpoint is None:
            return
        for hop_id, digest in checkpoints:
            try:
                self.on_checkpoint(hop_id, digest)
            except Exception:  # a broken stdout must not stop the routing log
                log.exception("routing log %s: checkpoint callback failed", self.name)

    # -- reading (the dialect supplies ``_read(sql, params)`` with ``?`` placeholders) ------------

    PLUS: ClassVar[str] = ""  # how the dialect keeps an index out of a plan ("+column")
    NO_LIMIT: ClassVar[int | None] = None  # LIMIT's "no limit"

    def _close_connections(self) -> None:
        # both dialects: a reader and a writer connection, closed under the reader's lock
        with self._read_lock:
            for name in ("_reader", "_writer"):
                conn = getattr(self, name, None)
                if conn is not None:
                    conn.close()
                    setattr(self, name, None)

    def _read(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        raise NotImplementedError

    def query(self, message_id: str | None = None, service_id: str | None = None,
              status: str | None = None, hop: str | None = None,
              since: str | dt.datetime | None = None, until: str | dt.datetime | None = None,
              limit: int | None = 1000, *, exchange_id: str | None = None) -> list[HopRecord]:
        """Committed hops matching every given filter, oldest first (by row id; on PostgreSQL
        every node's).

        ``message_id`` matches a hop's message_id or relates_to (a request ID also finds its
        reply's hops) and every hop of the same HTTP exchange (e.g. "received" before the ID was
        read). ``since`` is inclusive, ``until`` exclusive; naive times are UTC. ``limit=None``
        means no limit.
        """
        where: list[str] = []
        params: list[object] = []
        if message_id is not None:
            where.append("(message_id = ? OR relates_to = ? OR exchange_id IN "
                         "(SELECT exchange_id FROM hops WHERE message_id = ? OR relates_to = ?))")
            params += [message_id] * 4
        if status is not None and status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if hop is not None and hop not in HOPS:
            raise ValueError(f"unknown hop {hop!r}")
        # "+status", "+hop" on SQLite: a few values each, their index would be picked over
        # message_id's (SQLite has no statistics here) and scan most of the log.
        for column, value in (("exchange_id", exchange_id), ("service_id", service_id),
                              (self.PLUS + "status", status), (self.PLUS + "hop", hop)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        window, values = at_window(since, until)
        where += window
        params += values
        sql = f"SELECT {', '.join(COLUMNS)} FROM hops"
        if where:
            sql += " WHERE " + " AND ".join(where)
        params.append(self.NO_LIMIT if limit is None else int(limit))
        return [hop_from_row(row) for row in self._read(sql + " ORDER BY id LIMIT ?", params)]

    # -- the run mark ----------------------------------------------------------------------------

    def _new_run(self, previous: str | None, head: int) -> str:
        """The mark for this run (JSON); sets ``unclean`` from a mark an earlier run left."""
        if previous is not None:
            try:
                self.unclean = {**json.loads(previous), "last_id": head}
            except ValueError:
                self.unclean = {"last_id": head}
        return json.dumps({"started_at": _now(), "pid": os.getpid(), "after_id": head})



def at_window(since: str | dt.datetime | None, until: str | dt.datetime | None
              ) -> tuple[list[str], list[object]]:
    """SQL conditions (and their parameters) for ``since <= at < until``; naive times are UTC."""
    where: list[str] = []
    params: list[object] = []
    if since is not None:
        where.append("at >= ?")
        params.append(to_utc_iso(since))
    if until is not None:
        where.append("at < ?")
        params.append(to_utc_iso(until))
    return where, params


def chain_pages(read: Callable[[str, tuple], list[tuple]], select: str, key: str,
                fixed: tuple, after_id: int, through_id: int | None,
                page: int) -> Iterator[dict]:
    """Rows of one chain with ``after_id < key <= through_id`` as dicts named by ``CHAINED``, in
    ``key`` order, read page by page (constant memory). ``select`` ends in ``WHERE`` or ``AND``;
    ``fixed`` are its parameters; the first selected column is ``key``."""
    last = after_id
    while True:
        sql = f"{select} {key} > ?"
        params: tuple = (*fixed, last)
        if through_id is not None:
            sql += f" AND {key} <= ?"
            params += (through_id,)
        rows = read(sql + f" ORDER BY {key} LIMIT ?", params + (page,))
        for row in rows:
            yield dict(zip(CHAINED, row, strict=True))
        if len(rows) < page:
            return
        last = rows[-1][0]

def hop_from_row(row) -> HopRecord:
    return HopRecord(**dict(zip(COLUMNS, row, strict=True)))
