"""Following the routing log (経路ログ) as it grows: ``pfbus log --follow`` prints every committed
row once, in the order rows become visible.

On SQLite one write transaction at a time numbers the rows, so ids become visible in id order:
"everything after the last id shown" is exact. On PostgreSQL several nodes (and workers) commit
at once, and an id is taken at insert, so a row with a smaller id can become visible after a
larger one of another node was read — a single "after id" cursor would skip it. Within one node
ids do follow commits (its batches are inserted in turn under the node's advisory lock), so the
follower keeps one cursor per node: the newest id of that node read before each query (every row
of the node up to it is committed, hence visible to the query that follows), and remembers the
few ids it showed above those cursors so they are not shown twice.

Several workers' SQLite files (bus/store/routing_log_files.py): each file is numbered by its one
writer, so one cursor per file is exact; what a poll finds in the files is shown in time order.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, cast

from . import hop_search
from .hop_search import HopQuery
from .routing_log import HopRecord

if TYPE_CHECKING:
    from .hop_search import Readable
    from .routing_log_files import RoutingLogFiles
    from .routing_log_pg import PostgresRoutingLog

Rows = list[tuple[int, HopRecord]]


class LogFollower:
    """``start`` reads the newest ``limit`` matching rows; each ``poll`` returns the matching
    rows committed since, oldest first. The log may be opened afresh for every call."""

    def __init__(self, query: HopQuery) -> None:
        self.query = dataclasses.replace(query, newest_first=False, after_id=None,
                                         before_id=None)
        self.after_id = 0  # one cursor: SQLite
        self.by_node: dict[str, int] | None = None  # a cursor per node: PostgreSQL
        self.shown: set[int] = set()  # ids shown above their node's cursor
        self.by_file: dict[int, int] | None = None  # a cursor per worker's file: SQLite files

    def start(self, log: Readable, limit: int | None) -> Rows:
        newest = dataclasses.replace(self.query, newest_first=True)
        if getattr(log, "FILES", False):
            from .routing_log_files import split_key

            files = cast("RoutingLogFiles", log)
            # each file's head first; a row committed after it is poll's to show
            self.by_file = {w: max((i for i, _ in hop_search.search(rl, newest, 1)), default=0)
                            for w, rl in files.logs}
            heads = self.by_file
            rows = [(key, h) for key, h in hop_search.search(files, newest, limit)
                    if split_key(key)[1] <= heads.get(split_key(key)[0], 0)]
        elif log.AT_FOLLOWS_ID:
            rows = hop_search.search(log, newest, limit)
            self.after_id = max((i for i, _ in rows), default=0)
        else:
            # rows above the heads read first may be in flight for other nodes: poll shows them
            self.by_node = node_heads(cast("PostgresRoutingLog", log))
            rows = hop_search.search(log, newest, limit, _within(self.by_node))
        rows.reverse()
        return rows

    def poll(self, log: Readable) -> Rows:
        if getattr(log, "FILES", False):
            if self.by_file is None:  # started on worker 1's file alone; another worker's came
                self.by_file = {1: self.after_id}
            return self._poll_files(cast("RoutingLogFiles", log))
        if self.by_node is None:
            rows = hop_search.search(log, dataclasses.replace(self.query, after_id=self.after_id),
                                     None)
            if rows:
                self.after_id = rows[-1][0]
            return rows
        # read before the query: every row up to the heads is committed, so the query sees it
        heads = node_heads(cast("PostgresRoutingLog", log))
        rows = [r for r in hop_search.search(log, self.query, None, _beyond(self.by_node))
                if r[0] not in self.shown]
        self.shown.update(i for i, _ in rows)
        for node, head in heads.items():
            self.by_node[node] = max(self.by_node.get(node, 0), head)
        floor = min(self.by_node.values(), default=0)
        self.shown = {i for i in self.shown if i > floor}
        return rows

    def _poll_files(self, log: RoutingLogFiles) -> Rows:
        from .routing_log_files import merge_by_time, row_key

        assert self.by_file is not None
        streams = []
        for worker, rl in log.logs:  # a file that appeared since (another worker) from its start
            rows = hop_search.search(rl, dataclasses.replace(
                self.query, after_id=self.by_file.get(worker, 0)), None)
            if rows:
                self.by_file[worker] = rows[-1][0]
            streams.append((worker, sorted(rows, key=lambda r: (r[1].at, r[0]))))
        return [(row_key(w, rid), h) for _, w, rid, h in merge_by_time(streams, False)]


def node_heads(log: PostgresRoutingLog) -> dict[str, int]:
    """Each node's newest row id (0: none yet), by its chain position (the (node, seq) index)."""
    return {node: (rows[0][0] if rows else 0) for node in log.nodes()
            for rows in [log._read("SELECT id FROM hops WHERE node = ? ORDER BY seq DESC LIMIT 1",
                                   (node,))]}


def _within(cursors: dict[str, int]) -> tuple[str, list]:
    if not cursors:
        return "1 = 0", []
    return " OR ".join("(node = ? AND id <= ?)" for _ in cursors), \
        [x for item in cursors.items() for x in item]


def _beyond(cursors: dict[str, int]) -> tuple[str, list]:
    """Rows past their node's cursor, and every row of a node that joined since."""
    if not cursors:
        return "1 = 1", []
    parts = ["(node = ? AND id > ?)" for _ in cursors]
    parts.append(f"node NOT IN ({', '.join('?' for _ in cursors)})")
    return " OR ".join(parts), [x for item in cursors.items() for x in item] + list(cursors)
