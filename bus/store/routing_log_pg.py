"""The routing log (経路ログ) on PostgreSQL: one log for a cluster of hub processes
(``[store] routing_log = "postgresql://…?schema=NAME"``, default schema ``pfbus_log``).

The same records, writer and guarantees as the SQLite log (``ChainedLog``: group commit,
evidence or refuse, run marks, checkpoints); what differs is where the chain lives:

- **One chain per node** (``[hub] node_id``). Every row carries ``node`` and ``seq``, its
  position in that node's chain — the ``id`` its hash covers (bus/store/chain.py), so verify,
  export and retention work per node exactly as on SQLite, and nodes never contend on one
  chain head. A batch takes the node's advisory lock (``pg_advisory_xact_lock``) before reading
  its head, so an occasional second writer for the same node (``pfbus dlq replay``,
  ``pfbus retention run``) extends the same chain, as ``BEGIN IMMEDIATE`` does on SQLite.
- **One global ``id``** (an identity column): the cluster's order for readers — ``pfbus log``,
  the console and recovery's ``has_hop`` see every node's rows, paged by ``id``. Identities
  are taken at insert, so between two concurrent commits of different nodes ``id`` order may
  differ from commit order by a batch: a ``--follow`` reader can miss such a row (re-query to
  see it); verify never relies on ``id``.
- chain_meta and chain_checkpoints are keyed by (node, …): a node's run mark, its chain
  formats (a new node's chain starts with the newest format) and its retention anchor.

The DDL derives from ``HopRecord`` (bus/store/hop_record.py): TEXT as ``text COLLATE "C"`` (byte
order, as SQLite's BINARY: the prefix and time-range searches compare the same way), INTEGER
as bigint, REAL as double precision. The writer's session runs with ``synchronous_commit = on``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

import psycopg
from psycopg import sql

from .chain import CHAIN_FORMAT, GENESIS, Formats, _converter
from .chained_log import CHECKPOINT_EVERY, COLUMNS, HIGH_WATER, ChainedLog, RoutingLogError
from .group_writer import _now
from .hop_record import Hop, HopRecord
from .migrations import SchemaVersionError
from .node_chain import NodeChain, base_of
from .pg_schema import applied_version, migrate
from .routing_log_pg_schema import MIGRATIONS, check_schema
from ..core.pg_url import redacted, split_url

log = logging.getLogger(__name__)

_TO_DB = tuple(_converter(name) for name in COLUMNS)  # values as the columns store them
_COPY = f"COPY hops (node, seq, {', '.join(COLUMNS)}, prev_hash, hash) FROM STDIN"


def _lock_key(schema: str, node: str) -> int:
    digest = hashlib.blake2b(f"pfbus.routing_log:{schema}:{node}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _pg(query: str) -> str:
    """The readers' SQL uses SQLite's ``?``; psycopg wants ``%s`` (and ``%%`` for ``%``)."""
    return query.replace("%", "%%").replace("?", "%s")


class PostgresRoutingLog(ChainedLog):
    """``PostgresRoutingLog(url, node=…)``: writes ``node``'s chain; reads the whole cluster.
    ``readonly=True`` (operators' commands) only reads an existing schema."""

    PLUS = ""  # hop_search's dialect: the planner has statistics; no limit is NULL
    NO_LIMIT = None
    AT_FOLLOWS_ID = False  # nodes' batches interleave: a time range is not an id range

    def __init__(self, url: str, *, node: str | None = None, readonly: bool = False,
                 checkpoint_every: int = CHECKPOINT_EVERY,
                 on_checkpoint: Callable[[int, str], None] | None = None,
                 on_commit: Callable[[int], None] | None = None,
                 on_state: Callable[[dict], None] | None = None,
                 high_water: int = HIGH_WATER, marks_runs: bool = False) -> None:
        self.dsn, self.schema = split_url(url, "pfbus_log", "routing log")
        self.path = None  # no file
        self.node = node
        self.name = f"{redacted(self.dsn)}?schema={self.schema}"
        self._init_log(readonly=readonly, checkpoint_every=checkpoint_every,
                       on_checkpoint=on_checkpoint, on_commit=on_commit, on_state=on_state,
                       high_water=high_water, marks_runs=marks_runs)
        self._writer: psycopg.Connection | None = None
        self._reader: psycopg.Connection | None = None
        if not readonly and not node:
            raise RoutingLogError(f"{self.name}: writing needs a node name ([hub] node_id)")
        try:
            if readonly:
                self._check_readable()
            else:
                self._key = _lock_key(self.schema, node or "")
                self._migrate()
                self._writer = self._connect()
                self._join()
                self._formats = self.chain(node or "").chain_formats()
                if marks_runs:
                    self._begin_run()
            # the reader connects on its first read (``_read``; again after a server restart)
        except (psycopg.Error, SchemaVersionError) as exc:
            self._close_connections()
            raise RoutingLogError(f"{self.name}: {exc}") from exc
        except RoutingLogError:
            self._close_connections()
            raise
        if not readonly:
            self._start_writer(f"routing-log:{self.schema}:{node}")

    # -- connections and schema ------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection:
        conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
        # per session: a hop's commit never depends on the server's default
        conn.execute("SET synchronous_commit TO on")
        if self.readonly:
            conn.execute("SET default_transaction_read_only TO on")
        return conn

    def _migrate(self) -> None:
        with self._connect() as conn, conn.transaction():
            migrate(conn, self.schema, MIGRATIONS, versions_table="hops_migrations",
                    lock_key=_lock_key(self.schema, ""), what="routing log")
            problems = check_schema(conn, self.schema)
            if problems:  # a hand-edited schema: writing would break the chain
                raise SchemaVersionError("the hops table does not match HopRecord: "
                                         + "; ".join(problems))

    def _check_readable(self) -> None:
        with self._connect() as conn:
            current = applied_version(conn, self.schema, "hops_migrations")
        if current is None:
            raise RoutingLogError(f"{self.name}: no routing log in schema {self.schema}")
        if current != len(MIGRATIONS):
            raise SchemaVersionError(f"routing log schema {self.schema} is at version "
                                     f"{current}, this pfbus reads {len(MIGRATIONS)}")

    def _join(self) -> None:
        """Register this node: its chain starts with the newest format."""
        assert self._writer is not None
        self._writer.cursor().executemany(
            "INSERT INTO chain_meta (node, key, value) VALUES (%s, %s, '0') "
            "ON CONFLICT DO NOTHING", [(self.node, f"format_{n}_after")
                                       for n in range(2, CHAIN_FORMAT + 1)])

    # -- writing ---------------------------------------------------------------------------------

    def _write(self, batch: list[HopRecord]) -> Exception | None:
        started = time.monotonic()
        try:
            if self._writer is None or self._writer.closed:  # lost: the server restarted
                self._writer = self._connect()
            with self._writer.transaction():
                checkpoints = self._append(self._writer, self.node or "", self._formats, batch)
        except Exception as exc:  # the caller keeps the batch and retries
            if self._writer is not None and self._writer.broken:
                self._writer.close()
            return exc
        self.last_commit_seconds = time.monotonic() - started
        self.last_commit_at = time.time()
        self._announce(checkpoints)
        return None

    def _append(self, conn: psycopg.Connection, node: str, formats: Formats,
                batch: list[HopRecord]) -> list[tuple[int, str]]:
        """Chain ``batch`` onto ``node``'s head and insert it, inside the caller's transaction;
        the node's advisory lock orders it with any other writer of that chain."""
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(self.schema, node),))
        head, prev = _head(conn, node)
        rows, _, checkpoints = self._chain(batch, head, prev, formats, self.checkpoint_every)
        with conn.cursor().copy(_COPY) as copy:
            for seq, *fields, prev_hash, digest in rows:
                copy.write_row((node, seq, *(to(v) for to, v in zip(_TO_DB, fields, strict=True)),
                                prev_hash, digest))
        if checkpoints:
            conn.cursor().executemany(_CHECKPOINT, [(node, i, d, _now()) for i, d in checkpoints])
        return checkpoints

    def append_as(self, node: str, hops: list[HopRecord]) -> None:
        """Write ``hops`` into another node's chain now (committed on return): retention of a
        worker's chain (``NODE/k``, ``pfbus serve --workers``) by the node's first process."""
        if self.readonly:
            raise RoutingLogError(f"{self.name}: routing log is read-only")
        formats = self.chain(node).chain_formats()
        try:
            with self._connect() as conn, conn.transaction():
                self._append(conn, node, formats, hops)
        except psycopg.Error as exc:
            raise RoutingLogError(f"{self.name}: {exc}") from exc

    def _begin_run(self) -> None:
        assert self._writer is not None
        conn = self._writer
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._key,))
            row = conn.execute("SELECT value FROM chain_meta WHERE node = %s AND key = 'run'",
                               (self.node,)).fetchone()
            head = _head(conn, self.node or "")[0]
            mark = self._new_run(row[0] if row else None, head)
            conn.execute("INSERT INTO chain_meta (node, key, value) VALUES (%s, 'run', %s) "
                         "ON CONFLICT (node, key) DO UPDATE SET value = EXCLUDED.value",
                         (self.node, mark))

    def _end_run(self) -> None:
        try:
            if self._writer is None or self._writer.closed:
                self._writer = self._connect()
            self._writer.execute("DELETE FROM chain_meta WHERE node = %s AND key = 'run'",
                                 (self.node,))
        except psycopg.Error as exc:  # the next start then writes a gap record that says so
            log.error("routing log %s: cannot mark the run closed: %s", self.name, exc)

    def checkpoint_head(self) -> tuple[int, str] | None:
        """Store and announce this node's head now (the hub does so when it stops)."""
        if self.readonly or self.node is None:
            return None
        try:
            self.flush()
        except (TimeoutError, RoutingLogError) as exc:  # the head is still worth printing
            log.error("routing log %s: %s", self.name, exc)
        rows = self._read("SELECT seq, hash FROM hops WHERE node = ? ORDER BY seq DESC LIMIT 1",
                          (self.node,))
        if not rows or rows[0][1] is None:
            return None
        seq, digest = rows[0]
        self._read(_CHECKPOINT.replace("%s", "?"), (self.node, seq, digest, _now()), rows=False)
        self._announce([(seq, digest)])
        return seq, digest

    # -- reading: the whole cluster ----------------------------------------------------------------

    def _read(self, query: str, params: tuple | list = (), *, rows: bool = True) -> list[tuple]:
        with self._read_lock:
            if self._closed and self._reader is None:
                raise RoutingLogError(f"{self.name}: routing log is closed")
            try:
                if self._reader is None or self._reader.closed:
                    self._reader = self._connect()
                cur = self._reader.execute(_pg(query), tuple(params))
                return cur.fetchall() if rows else []
            except psycopg.Error as exc:
                if self._reader is not None and self._reader.broken:
                    self._reader.close()
                raise RoutingLogError(f"{self.name}: {exc}") from exc

    def has_hop(self, message_id: str, hops: tuple[Hop, ...], provider: str | None = None,
                ok: bool = False) -> bool:
        """Any node's hop (a notice accepted on one node may be delivered by another)."""
        text = "SELECT 1 FROM hops WHERE message_id = ? AND hop = ANY(?)"
        params: tuple = (message_id, [str(h) for h in hops])
        if provider is not None:
            text += " AND provider = ?"
            params += (provider,)
        if ok:
            text += " AND status = 'ok'"
        return bool(self._read(text + " LIMIT 1", params))

    def run_summary(self, after_id: int) -> tuple[int, str | None]:
        """For recovery, over this node's chain (``after_id`` is a ``seq``)."""
        cut = self._read(
            "SELECT COUNT(DISTINCT exchange_id) FROM hops WHERE node = ? AND seq > ? AND "
            "hop = 'received' AND exchange_id NOT IN (SELECT exchange_id FROM hops WHERE "
            "node = ? AND seq > ? AND hop = 'replied')",
            (self.node, after_id, self.node, after_id))[0][0]
        last = self._read("SELECT at FROM hops WHERE node = ? ORDER BY seq DESC LIMIT 1",
                          (self.node,))
        return int(cut), (last[0][0] if last else None)

    def related_sql(self) -> str:
        """hop_search.related_exchanges' statement in this dialect."""
        return ("WITH m AS MATERIALIZED (SELECT id, exchange_id, hop FROM hops WHERE "
                "message_id = ? UNION SELECT id, exchange_id, hop FROM hops WHERE "
                "relates_to = ?) SELECT exchange_id, MIN(id), string_agg(hop, ',' ORDER BY id), "
                "(SELECT status FROM hops h2 WHERE h2.exchange_id = m.exchange_id ORDER BY id "
                "DESC LIMIT 1) FROM m GROUP BY exchange_id ORDER BY MIN(id) LIMIT ?")

    def gaps(self) -> list[tuple[int, str, str]]:
        """Every node's gap records (id, at, reason)."""
        return [tuple(r) for r in self._read(
            "SELECT id, at, reason FROM hops WHERE hop = 'gap' ORDER BY id")]

    def nodes(self) -> list[str]:
        return [r[0] for r in self._read("SELECT DISTINCT node FROM chain_meta ORDER BY node")]

    def chains(self) -> list[NodeChain]:
        """One hash chain per node, each verified, exported and purged on its own."""
        return [self.chain(n) for n in self.nodes()]

    def chain(self, node: str) -> NodeChain:
        return NodeChain(self, node)

    def own_chains(self) -> list[NodeChain]:
        """The chains retention purges from this process: its node's and its workers'
        (``NODE/k``: only the first worker runs retention). Each node purges its own."""
        if self.node is None:
            raise RoutingLogError(f"{self.name}: opened without a node")
        return [self.chain(n) for n in self.nodes()
                if n == self.node or n.startswith(f"{self.node}/")]


_CHECKPOINT = ("INSERT INTO chain_checkpoints (node, seq, hash, at) VALUES (%s, %s, %s, %s) "
               "ON CONFLICT (node, seq) DO UPDATE SET hash = EXCLUDED.hash, at = EXCLUDED.at")


def _head(conn: psycopg.Connection, node: str) -> tuple[int, str]:
    """(seq, hash) where the node's next row chains on: its last row, else its retention
    anchor, else the genesis."""
    row = conn.execute("SELECT seq, hash FROM hops WHERE node = %s ORDER BY seq DESC LIMIT 1",
                       (node,)).fetchone()
    base_id, base_hash = base_of(dict(conn.execute(
        "SELECT key, value FROM chain_meta WHERE node = %s AND key IN ('purged_through', "
        "'purged_hash')", (node,)).fetchall()))
    if row is None or row[0] <= base_id:
        return base_id, base_hash
    return int(row[0]), row[1] or GENESIS
