"""Retention (保存期間): deleting what each store no longer has to keep, in batches, while the hub
keeps serving.

- Routing log: records written before ``now - [retention] routing_log`` (default 5 years). Before
  deleting, the range's chain is verified (a broken range is never purged: that would hide
  tampering), optionally exported (``pfbus log verify-export`` checks it offline), and a chained
  ``purged`` record is written naming the range and its last hash; then ``chain_meta`` keeps that
  anchor so ``pfbus log verify`` verifies from it, and rows are deleted a batch of ids at a time
  (each batch its own short transaction: the hub's writer interleaves). Memory does not grow
  with the range: rows are streamed and deleted by id range.
- Notice store: a notice is deleted once every delivery of it is finished and old enough —
  delivered ones after ``delivered_notices``, dead (or purged) letters after ``dead_letters``.
- Payload archive: payloads archived before ``now - archive``.

Interrupted anywhere, a run leaves a consistent store and the next run finishes the job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .chain import walk
from .hop_record import Hop, HopRecord, Status, to_utc_iso
from .log_integrity import export_ids
from .routing_log import RoutingLog

if TYPE_CHECKING:  # psycopg is an extra
    from .routing_log_pg import NodeChain

    from .routing_log import AnyLog

    Chain = RoutingLog | NodeChain  # one hash chain: a SQLite log, or a node's on PostgreSQL

BATCH = 10_000  # rows per delete transaction
PAUSE = 0.01  # seconds between two batches: lets the hub's writer in


class RetentionError(Exception):
    """A purge was refused (e.g. the range's chain is broken); nothing was deleted."""


@dataclass(frozen=True)
class Purged:
    store: str
    deleted: int
    detail: str = ""


def cutoff(period: float | None, now: float | None = None) -> float | None:
    """Epoch seconds before which rows may go (None: keep for ever)."""
    if period is None:
        return None
    return (time.time() if now is None else now) - period


def purge_routing_log(rl: Chain, before: float, *, export_dir: Path | None = None,
                      batch: int = BATCH, pause: float = PAUSE,
                      progress: Callable[[int], None] | None = None,
                      stop: threading.Event | None = None,
                      name: str = "routing-log") -> Purged:
    """Delete the records written before ``before`` (epoch seconds); see the module doc.
    ``name``: the export's file name before the ids (one per chain: ids are per chain)."""
    before_iso = to_utc_iso(dt.datetime.fromtimestamp(before, dt.timezone.utc))
    base_id, base_hash = rl.chain_base()
    first, hi = rl.purge_bounds(before_iso)
    if first is None or hi < first:
        return Purged("routing_log", 0, "nothing older than the retention period")
    detail = ""
    if hi > base_id:
        check = walk(rl.chain_rows(base_id, hi), prev_hash=base_hash, first_id=base_id + 1,
                     formats=rl.chain_formats())
        if check.problem is not None:
            raise RetentionError(f"the chain is broken in the range to purge ({check.problem}); "
                                 f"nothing deleted: run pfbus log verify")
        last_hash = check.last_hash
        exported = ""
        if export_dir is not None:
            export_dir.mkdir(parents=True, exist_ok=True)
            out = export_dir / f"{name}-{base_id + 1}-{hi}.jsonl"
            trailer = export_ids(rl, out, base_id + 1, hi, until=before_iso)
            exported = f"; exported to {out.name} (sha256 {trailer['sha256']})"
        # The anchor, in the chain itself first (an edited chain_meta shows against it) ...
        rl.record(HopRecord(hop=Hop.PURGED, status=Status.OK, rule="retention",
                            path=f"{base_id + 1}..{hi}",
                            reason=f"retention: records {base_id + 1}..{hi} written before "
                                   f"{before_iso} deleted; last hash {last_hash}{exported}"))
        rl.flush(timeout=60)
        # ... then where verify starts from.
        rl.set_purge_anchor(hi, last_hash)
        detail = f"records {base_id + 1}..{hi}, anchor {hi}:{last_hash}{exported}"
    anchor = rl.purge_anchor()  # an interrupted earlier purge left rows up to its anchor
    upper = max(hi, anchor[0] if anchor else 0)
    deleted = rl.delete_through(first, upper, batch, pause, progress, stop)
    return Purged("routing_log", deleted, detail)


def _set_anchor(path: Path, through: int, digest: str) -> None:
    """The SQLite log's retention anchor in chain_meta (``RoutingLog.set_purge_anchor``)."""
    conn = _connect(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT OR REPLACE INTO chain_meta (key, value) VALUES (?, ?)",
                         [("purged_through", str(through)), ("purged_hash", digest)])
        conn.execute("COMMIT")
    finally:
        conn.close()


def _delete_ids(path: Path, table: str, column: str, lo: int, hi: int, batch: int,
                pause: float, progress: Callable[[int], None] | None,
                stop: threading.Event | None = None) -> int:
    """DELETE rows with lo <= column <= hi, ``batch`` ids per transaction; ``stop`` set ends it
    between two batches (the next run deletes the rest)."""
    conn = _connect(path)
    deleted = 0
    try:
        start = lo
        while start <= hi and not (stop is not None and stop.is_set()):
            end = min(start + batch - 1, hi)
            conn.execute("BEGIN IMMEDIATE")
            deleted += conn.execute(f"DELETE FROM {table} WHERE {column} BETWEEN ? AND ?",
                                    (start, end)).rowcount
            conn.execute("COMMIT")
            if progress is not None:
                progress(deleted)
            start = end + 1
            if pause:
                time.sleep(pause)
    finally:
        conn.close()
    return deleted


def _connect(path: Path) -> sqlite3.Connection:
    # a long busy timeout: the hub's writer holds the lock for one short commit at a time
    return sqlite3.connect(path, timeout=30.0, isolation_level=None)


def purge_archive(path: Path, before: float, *, batch: int = BATCH,
                  pause: float = PAUSE, stop: threading.Event | None = None) -> Purged:
    """Delete archived payloads stored before ``before`` (no key needed: ciphertext only)."""
    before_iso = to_utc_iso(dt.datetime.fromtimestamp(before, dt.timezone.utc))
    conn = _connect(path)
    try:
        row = conn.execute("SELECT MIN(id), MAX(id) FROM payloads WHERE at < ?",
                           (before_iso,)).fetchone()
    finally:
        conn.close()
    if row[0] is None:
        return Purged("archive", 0)
    # ids grow with time; only rows really older than the cutoff go
    return Purged("archive", _delete_where(path, "payloads", row[0], row[1], "at < ?",
                                           (before_iso,), batch, pause, stop))


def _delete_where(path: Path, table: str, lo: int, hi: int, condition: str, params: tuple,
                  batch: int, pause: float, stop: threading.Event | None) -> int:
    conn = _connect(path)
    deleted = 0
    try:
        start = lo
        while start <= hi and not (stop is not None and stop.is_set()):
            end = min(start + batch - 1, hi)
            conn.execute("BEGIN IMMEDIATE")
            deleted += conn.execute(f"DELETE FROM {table} WHERE id BETWEEN ? AND ? AND "
                                    f"{condition}", (start, end, *params)).rowcount
            conn.execute("COMMIT")
            start = end + 1
            if pause:
                time.sleep(pause)
    finally:
        conn.close()
    return deleted


def _export_name(chain: Chain, number: int) -> str:
    """``routing-log`` for the process's own chain; the others' exports name their chain, so
    that two chains' ranges of the same ids never share a file: ``routing-log.worker-2``
    (a worker's SQLite file), ``routing-log.node-NODE-2`` (a chain on PostgreSQL)."""
    if number == 0:
        return "routing-log"
    if isinstance(chain, RoutingLog):
        return "routing-log." + chain.path.stem.rpartition(".")[2]
    return "routing-log.node-" + "".join(c if c.isalnum() else "-" for c in chain.node)


def run_retention(retention, routing_log: AnyLog, notices=None, archive: Path | None = None,
                  *, export_dir: Path | None = None, now: float | None = None,
                  batch: int = BATCH, pause: float = PAUSE,
                  stop: threading.Event | None = None) -> list[Purged]:
    """One run over every store with a period (``[retention]``, bus.core.config.Retention):
    what ``pfbus retention run`` and the hub's daily run do."""
    done = []
    before = cutoff(retention.routing_log, now)
    if before is not None:
        # PostgreSQL: this node's and its workers' chains; SQLite: the file's and the workers'
        # files beside it (opened for this run: closed here)
        chains: list[Chain] = list(routing_log.own_chains())
        try:
            for number, chain in enumerate(chains):
                done.append(purge_routing_log(chain, before, export_dir=export_dir,
                                              batch=batch, pause=pause, stop=stop,
                                              name=_export_name(chain, number)))
        finally:
            for chain in chains:
                if chain is not routing_log and isinstance(chain, RoutingLog):
                    chain.close()
    if notices is not None and not (stop is not None and stop.is_set()):
        delivered = cutoff(retention.delivered_notices, now)
        dead = cutoff(retention.dead_letters, now)
        done.append(Purged("notices", notices.purge_finished(delivered, dead, batch=batch)))
    archive_before = cutoff(retention.archive, now)
    if archive is not None and archive_before is not None and Path(archive).exists():
        done.append(purge_archive(Path(archive), archive_before, batch=batch, pause=pause,
                                  stop=stop))
    return done
