"""A SQLite routing log written by several workers (``pfbus serve --workers N``): one file per
worker, each with its own hash chain, read as one log (経路ログ、ワーカーごとのファイル).

**Layout.** Worker 1 writes the configured file (``[store] routing_log``, e.g.
``routing-log.sqlite3``) — so a hub of one process writes exactly the file it always did — and
worker k > 1 writes the sibling ``routing-log.worker-K.sqlite3`` in the same directory
(``worker_path``). A file belongs to a worker *index*, not to a run: restarted with another N,
worker k writes its file again, a file of a worker that no longer runs stays and is read (and
purged by retention, and its crashed run recovered by worker 1: bus/store/log_recovery.py).
Each file is a complete routing log of its own (chain, checkpoints, run mark, retention
anchor): ``pfbus log verify --db routing-log.worker-2.sqlite3`` checks that file alone.

Why files and not one shared file: a writer chains its batch onto the head inside the file's
write lock, so writers of one file take turns; two busy workers held one file 67–78 % of the
time (docs/performance.md, "Workers without the busy handler's sleeps"). With a file each, no
worker waits for another to write its evidence — as on PostgreSQL, where each node and worker
keeps its own chain (bus/store/node_chain.py).

**Reading them as one** (``RoutingLogFiles``, what ``open_readonly`` returns when sibling files
exist): every reader — ``pfbus log`` (search, follow, verify, export), the console's search and
trace, recovery's look-ups — sees every file's records. Each file numbers its rows itself, so
across files the order is *time*: rows are merged by ``at``, then worker, then row id, and a row
is named by the key ``id * STRIDE + (worker - 1)`` (the console's paging cursor). Verify and
export work per file (one chain each), as per node on PostgreSQL.
"""

from __future__ import annotations

import glob
import heapq
import itertools
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import hop_search
from .chained_log import COLUMNS, hop_from_row
from .hop_record import HopRecord, to_utc_iso
from .hop_search import HopQuery
from .routing_log import RoutingLog, RoutingLogError
from .sqlite_readonly import connect_readonly, user_version

if TYPE_CHECKING:
    import datetime as dt

INFIX = ".worker-"
# row keys across files: id * STRIDE + (worker - 1); more workers than this are refused
STRIDE = 1024

Rows = list[tuple[int, HopRecord]]


def worker_path(path: str | Path, index: int) -> Path:
    """The file worker ``index`` (1-based) writes: the configured one for worker 1, else the
    sibling ``STEM.worker-K.SUFFIX``."""
    path = Path(path)
    if not 1 <= index <= STRIDE:
        raise ValueError(f"worker {index}: a SQLite routing log takes workers 1..{STRIDE}")
    return path if index == 1 else path.with_name(f"{path.stem}{INFIX}{index}{path.suffix}")


def worker_files(path: str | Path) -> list[tuple[int, Path]]:
    """(worker, file) of every file of the log configured at ``path``, worker 1's first (listed
    whether or not it exists), then the siblings that exist, by worker."""
    path = Path(path)
    own = re.compile(re.escape(f"{path.stem}{INFIX}") + r"([1-9][0-9]*)" + re.escape(path.suffix))
    found = []
    for name in glob.glob(glob.escape(str(path.with_name(f"{path.stem}{INFIX}"))) + "*"):
        match = own.fullmatch(Path(name).name)
        if match and 2 <= int(match[1]) <= STRIDE and Path(name).is_file():
            found.append((int(match[1]), Path(name)))
    return [(1, path), *sorted(found)]


def row_key(worker: int, row_id: int) -> int:
    return row_id * STRIDE + worker - 1


def split_key(key: int) -> tuple[int, int]:
    """(worker, row id) of a ``row_key``."""
    return key % STRIDE + 1, key // STRIDE


def merge_by_time(streams: Iterable[tuple[int, Rows]], newest_first: bool) -> Iterator[tuple]:
    """(at, worker, row id, hop) of several workers' rows, each stream already in that order:
    one order over all files (``at``, then worker, then the file's row id)."""
    keyed = [[(h.at, worker, rid, h) for rid, h in rows] for worker, rows in streams]
    return heapq.merge(*keyed, key=lambda r: r[:3], reverse=newest_first)


class RoutingLogFiles:
    """Several workers' files of one SQLite routing log, read-only, read as one (module doc).

    Offers what the readers use of a ``RoutingLog``: ``query``, ``has_hop``, ``chains`` (verify),
    ``nodes``/``chain`` (``pfbus log verify|export --node K``: worker K's file), and the console's
    and ``pfbus log``'s searches (``search`` … here, dispatched to by bus/store/hop_search.py)."""

    FILES = True  # hop_search and log_follow: read per file, merge by time
    PLUS = RoutingLog.PLUS
    NO_LIMIT = RoutingLog.NO_LIMIT
    AT_FOLLOWS_ID = False
    readonly = True

    def __init__(self, logs: list[tuple[int, RoutingLog]]) -> None:
        self.logs = logs
        self.path = logs[0][1].path  # the configured file (``pfbus log --follow`` reopens it)
        self.name = (f"{self.path} and {len(logs) - 1} worker file(s) "
                     f"({', '.join(rl.path.name for _, rl in logs[1:])})")

    @classmethod
    def open(cls, path: Path) -> RoutingLog | RoutingLogFiles:
        """The log at ``path`` read-only: its one ``RoutingLog`` when no worker file exists
        beside it (a hub of one process: exactly as before), else all files as one."""
        files = worker_files(path)
        if len(files) == 1:
            return RoutingLog(path, readonly=True)
        logs: list[tuple[int, RoutingLog]] = []
        try:
            for worker, file in files:
                if worker > 1 and _being_created(file):
                    continue
                logs.append((worker, RoutingLog(file, readonly=True)))
        except RoutingLogError:
            for _, rl in logs:
                rl.close()
            raise
        return cls(logs)

    def close(self) -> None:
        for _, rl in self.logs:
            rl.close()

    def __enter__(self) -> RoutingLogFiles:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def file_count(self) -> int:
        return len(self.logs)

    # -- the chains: one per file ------------------------------------------------------------

    def chains(self) -> list[RoutingLog]:
        return [rl for _, rl in self.logs]

    def nodes(self) -> list[str]:
        """The chains' names for ``--node``: the workers whose files exist."""
        return [str(worker) for worker, _ in self.logs]

    def chain(self, node: str) -> RoutingLog:
        for worker, rl in self.logs:
            if str(worker) == node:
                return rl
        raise RoutingLogError(f"--node {node}: no such worker file in {self.name}")

    # -- what the hub's recovery and the operators' commands read ------------------------------

    def has_hop(self, message_id: str, hops: tuple, provider: str | None = None,
                ok: bool = False) -> bool:
        """Any worker's hop (a notice accepted by one worker may be delivered by another)."""
        return any(rl.has_hop(message_id, hops, provider, ok) for _, rl in self.logs)

    def gaps(self) -> list[tuple[int, str, str]]:
        """Every file's gap records (row key, at, reason), in time order."""
        found = [(at, row_key(w, rid), reason) for w, rl in self.logs
                 for rid, at, reason in rl.gaps()]
        return [(key, at, reason) for at, key, reason in sorted(found)]

    def recovered_count(self) -> int:
        return sum(rl.recovered_count() for _, rl in self.logs)

    def query(self, message_id: str | None = None, service_id: str | None = None,
              status: str | None = None, hop: str | None = None,
              since: str | dt.datetime | None = None, until: str | dt.datetime | None = None,
              limit: int | None = 1000, *, exchange_id: str | None = None) -> list[HopRecord]:
        """``RoutingLog.query`` over every file, oldest first by ``at``."""
        streams = []
        for worker, rl in self.logs:
            hops = rl.query(message_id, service_id, status, hop, since, until, None,
                            exchange_id=exchange_id)
            streams.append((worker, [(0, h) for h in sorted(hops, key=lambda h: h.at)]))
        merged = [r[3] for r in merge_by_time(streams, newest_first=False)]
        return merged if limit is None else merged[:int(limit)]

    # -- the searches of bus/store/hop_search.py, per file then merged ------------------------

    def search(self, q: HopQuery, limit: int | None) -> Rows:
        """hop_search.search over every file: rows keyed by ``row_key``, in time order; the
        keyset cursors (``before_id``/``after_id``) are row keys of this order."""
        per_file = replace(q, before_id=None, after_id=None)
        bounds = [(cursor, older) for cursor, older in ((q.before_id, True), (q.after_id, False))
                  if cursor is not None]
        edges = []
        for cursor, older in bounds:
            edge = self._at_of(cursor)
            if edge is None:  # the row a page ended at was purged since: no page after it
                return []
            edges.append((edge, split_key(cursor), older))
        streams = []
        for worker, rl in self.logs:
            conditions = [_beyond(worker, at, position, older)
                          for at, position, older in edges]
            streams.append((worker, _by_time(rl, per_file, limit, conditions)))
        merged = ((row_key(w, rid), h) for _, w, rid, h in
                  merge_by_time(streams, newest_first=q.newest_first))
        return list(merged if limit is None else itertools.islice(merged, limit))

    def count(self, q: HopQuery) -> int:
        return sum(hop_search.count(rl, q) for _, rl in self.logs)

    def exchange_hops(self, exchange_id: str) -> Rows:
        streams = [(w, sorted(hop_search.exchange_hops(rl, exchange_id),
                              key=lambda r: (r[1].at, r[0]))) for w, rl in self.logs]
        return [(row_key(w, rid), h) for _, w, rid, h in merge_by_time(streams, False)]

    def related_exchanges(self, message_id: str, limit: int = 200) -> list[tuple]:
        """hop_search.related_exchanges over every file: the second field, the exchanges'
        order, is the time of their first row (ids of different files do not compare)."""
        found = []
        for _, rl in self.logs:
            for xid, first, hops, status in hop_search.related_exchanges(rl, message_id, limit):
                at = rl._read("SELECT at FROM hops WHERE id = ?", (first,))
                found.append((xid, at[0][0] if at else "", hops, status))
        return sorted(found, key=lambda r: r[1])[:limit]

    def _at_of(self, key: int) -> str | None:
        worker, rid = split_key(key)
        for w, rl in self.logs:
            if w == worker:
                rows = rl._read("SELECT at FROM hops WHERE id = ?", (rid,))
                return rows[0][0] if rows else None
        return None


def _being_created(path: Path) -> bool:
    """A worker's file that has no schema yet: its worker is starting (it holds no records),
    so a reader at that moment — another worker's recovery, the console — passes it by."""
    try:
        conn = connect_readonly(path)
        try:
            return user_version(conn) == 0
        finally:
            conn.close()
    except sqlite3.Error:
        return False  # the open that follows names the problem


# A filter matching at least this many rows of a file is read along the index on ``at``
# (sorting its matches would cost more); fewer are found by their own index, then sorted.
BROAD = 2000


def _by_time(rl: RoutingLog, q: HopQuery, limit: int | None,
             conditions: list[tuple[str, list]]) -> Rows:
    """hop_search.search in one file, ordered by (at, id) instead of id. SQLite, without
    statistics, would find a broad filter's rows (``status = 'ok'``: most of the file) by its
    index and sort them all for each page; counting up to ``BROAD`` matches first tells which
    way is cheap."""
    bounded = hop_search._bounded(rl, q)
    if bounded is None:
        return []
    conditions = list(conditions)
    if q.since:  # also as a range the index on ``at`` can seek (the +at filters stay)
        conditions.append(("at >= ?", [to_utc_iso(q.since)]))
    if q.until:
        conditions.append(("at < ?", [to_utc_iso(q.until)]))

    def where_with(plus: str) -> tuple[str, list]:
        where, params = hop_search.where_clause(bounded, plus)
        for sql, values in conditions:
            where = f"{where} AND {sql}" if where else f" WHERE {sql}"
            params += values
        return where, params

    # counted by any index (no "+column": a prefix of sender or receiver seeks its own)
    where, params = where_with("")
    broad = rl._read(f"SELECT count(*) FROM (SELECT 1 FROM hops{where} LIMIT {BROAD})",
                     tuple(params))[0][0] >= BROAD
    where, params = where_with(rl.PLUS)
    order = "DESC" if q.newest_first else "ASC"
    rows = rl._read(f"SELECT id, {', '.join(COLUMNS)} FROM hops"
                    f"{' INDEXED BY hops_at' if broad else ''}{where} "
                    f"ORDER BY at {order}, id {order} LIMIT ?",
                    (*params, rl.NO_LIMIT if limit is None else int(limit)))
    return [(row[0], hop_from_row(row[1:])) for row in rows]


def _beyond(worker: int, at: str, position: tuple[int, int], older: bool
            ) -> tuple[str, list]:
    """SQL for worker ``worker``'s rows before (``older``) or after the row at ``position``
    (worker, id), whose time is ``at``, in the order (at, worker, id)."""
    cursor_worker, cursor_id = position
    strict, inclusive = ("<", "<=") if older else (">", ">=")
    if worker != cursor_worker:  # at the same time, a smaller worker's rows come first
        before_cursor = (worker < cursor_worker) == older
        return (f"at {inclusive if before_cursor else strict} ?", [at])
    # the plain range first: the index on ``at`` seeks to it (an OR alone would scan from the
    # newest entry down to the cursor)
    return (f"at {inclusive} ? AND (at {strict} ? OR (at = ? AND id {strict} ?))",
            [at, at, at, cursor_id])


def reopen_if_grown(reader: RoutingLog | RoutingLogFiles | None, path: Path,
                    opener: Callable[[Path], RoutingLog | RoutingLogFiles]
                    ) -> RoutingLog | RoutingLogFiles:
    """``reader`` while it reads every file of the log at ``path``, else the log opened again
    (the console opens its reader once; a worker that started later added its file)."""
    files = len(worker_files(path))
    current = reader.file_count() if isinstance(reader, RoutingLogFiles) else 1
    if reader is not None and files == current:
        return reader
    if reader is not None:
        reader.close()
    return opener(path)
