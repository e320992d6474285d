"""One node's hash chain in the PostgreSQL routing log (bus/store/routing_log_pg.py): what
``pfbus log verify``, export and retention use (bus/store/log_integrity.py, retention.py), with
the interface they use on a SQLite ``RoutingLog`` — a record's ``id`` there is its ``seq`` here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .chain import GENESIS, Formats
from .chained_log import COLUMNS, RoutingLogError, at_window, chain_pages
from .hop_record import HopRecord

if TYPE_CHECKING:
    from .routing_log_pg import PostgresRoutingLog

_CHAINED_SQL = f"seq, {', '.join(COLUMNS)}, prev_hash, hash"


def base_of(meta: dict) -> tuple[int, str]:
    if "purged_through" in meta:
        return int(meta["purged_through"]), str(meta["purged_hash"])
    return 0, GENESIS


class NodeChain:
    """One node's chain in a PostgreSQL routing log, with the interface verify, export and
    retention use on a SQLite ``RoutingLog`` (bus/store/log_integrity.py, retention.py): a
    record's ``id`` there is its ``seq`` here."""

    def __init__(self, rl: PostgresRoutingLog, node: str) -> None:
        self.log = rl
        self.node = node
        self.name = f"{rl.name} node {node}"
        self._read = rl._read

    def chain_start_after(self) -> int:
        return 0  # chained from its first row

    def unchained_stats(self, start_after: int) -> tuple[int, int | None]:
        return 0, None

    def chain_formats(self) -> Formats:
        rows = self._read("SELECT key, value FROM chain_meta WHERE node = ? AND key LIKE "
                          "'format^_%^_after' ESCAPE '^'", (self.node,))
        return Formats({int(k.split("_")[1]): int(v) for k, v in rows})

    def chain_base(self) -> tuple[int, str]:
        return base_of(self._meta())

    def purge_anchor(self) -> tuple[int, str] | None:
        meta = self._meta()
        return (int(meta["purged_through"]), meta["purged_hash"]) \
            if "purged_through" in meta else None

    def _meta(self) -> dict:
        return dict(self._read("SELECT key, value FROM chain_meta WHERE node = ? AND key IN "
                               "('purged_through', 'purged_hash')", (self.node,)))

    def checkpoints(self) -> list[tuple[int, str, str]]:
        return [tuple(r) for r in self._read("SELECT seq, hash, at FROM chain_checkpoints "
                                             "WHERE node = ? ORDER BY seq", (self.node,))]

    def chain_rows(self, after_id: int = 0, through_id: int | None = None,
                   page: int = 5000) -> Iterator[dict]:
        return chain_pages(self._read, f"SELECT {_CHAINED_SQL} FROM hops WHERE node = ? AND",
                           "seq", (self.node,), after_id, through_id, page)

    def id_range(self, since: str | None, until: str | None) -> tuple[int, int] | None:
        where, params = at_window(since, until)
        text = " AND ".join(["SELECT MIN(seq), MAX(seq) FROM hops WHERE node = ?", *where])
        lo, hi = self._read(text, [self.node, *params])[0]
        return None if lo is None else (int(lo), int(hi))

    def row_hash(self, row_id: int) -> str | None:
        rows = self._read("SELECT hash FROM hops WHERE node = ? AND seq = ?", (self.node, row_id))
        return rows[0][0] if rows else None

    def gaps(self) -> list[tuple[int, str, str]]:
        return [tuple(r) for r in self._read("SELECT seq, at, reason FROM hops WHERE node = ? "
                                             "AND hop = 'gap' ORDER BY seq", (self.node,))]

    def recovered_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM hops WHERE node = ? AND recovered = 1 AND "
                              "hop != 'gap'", (self.node,))[0][0])

    def last_purged_record(self, after: int) -> tuple[int, str | None, str | None] | None:
        rows = self._read("SELECT seq, path, reason FROM hops WHERE node = ? AND hop = 'purged' "
                          "AND seq > ? ORDER BY seq DESC LIMIT 1", (self.node, after))
        return tuple(rows[0]) if rows else None

    # -- retention: a writer (not a read-only open) appends to the chain -----------------------------

    def _writer(self) -> PostgresRoutingLog:
        if self.log.node is None or self.log.readonly:
            raise RoutingLogError(f"{self.name}: opened read-only: open the routing log as a "
                                  f"node to write into a chain")
        return self.log

    def record(self, hop: HopRecord) -> None:
        """Into this chain: queued by its own writer, or written now (another node's)."""
        if self.log.node == self.node:
            self._writer().record(hop)
        else:
            self._writer().append_as(self.node, [hop])

    def flush(self, timeout: float = 5.0) -> None:
        self._writer().flush(timeout)

    def purge_bounds(self, before_iso: str) -> tuple[int | None, int]:
        """(the node's first seq, the last seq written before ``before_iso``)."""
        rows = self._read("SELECT seq FROM hops WHERE node = ? AND at >= ? ORDER BY at LIMIT 1",
                          (self.node, before_iso))
        hi = int(rows[0][0]) - 1 if rows else int(self._read(
            "SELECT COALESCE(MAX(seq), 0) FROM hops WHERE node = ?", (self.node,))[0][0])
        first = self._read("SELECT MIN(seq) FROM hops WHERE node = ?", (self.node,))[0][0]
        return (None if first is None else int(first)), hi

    def set_purge_anchor(self, through: int, digest: str) -> None:
        self._writer()
        for key, value in (("purged_through", str(through)), ("purged_hash", digest)):
            self._read("INSERT INTO chain_meta (node, key, value) VALUES (?, ?, ?) ON CONFLICT "
                       "(node, key) DO UPDATE SET value = EXCLUDED.value",
                       (self.node, key, value), rows=False)

    def delete_through(self, lo: int, hi: int, batch: int, pause: float,
                       progress: Callable[[int], None] | None,
                       stop: threading.Event | None) -> int:
        """Delete the node's rows (and checkpoints) with lo <= seq <= hi, a batch per
        statement (each its own transaction: the writers interleave)."""
        self._writer()
        deleted = 0
        for table in ("hops", "chain_checkpoints"):
            start = 0 if table == "chain_checkpoints" else lo
            while start <= hi and not (stop is not None and stop.is_set()):
                end = min(start + batch - 1, hi)
                count = self._read(f"WITH d AS (DELETE FROM {table} WHERE node = ? AND seq "
                                   f"BETWEEN ? AND ? RETURNING 1) SELECT count(*) FROM d",
                                   (self.node, start, end))[0][0]
                if table == "hops":
                    deleted += int(count)
                    if progress is not None:
                        progress(deleted)
                start = end + 1
                if pause:
                    time.sleep(pause)
        return deleted
