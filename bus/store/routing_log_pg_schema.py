"""The PostgreSQL routing log's schema (bus/store/routing_log_pg.py), derived from ``HopRecord``
(bus/store/hop_record.py): TEXT as ``text COLLATE "C"`` (byte order, as SQLite's BINARY: the
prefix and time-range searches compare the same way), INTEGER as bigint, REAL as double
precision; ``check_schema`` compares a schema with the declaration — columns and the
operators' indexes, partial as declared (``Column.index_where``) — before anything is written.
"""

from __future__ import annotations

import psycopg

from .hop_record import BY_NAME
from .hop_record import COLUMNS as DECLARED
from .migrations import index_ddl, index_problems

_PG_TYPES = {"TEXT": 'text COLLATE "C"', "INTEGER": "bigint", "REAL": "double precision"}


def _fields_ddl(max_chain: int) -> str:
    return ",\n".join(f"{c.name} {_PG_TYPES[c.sql]}{' NOT NULL' if c.not_null else ''}"
                      for c in DECLARED if c.chain <= max_chain)


# The indexes migration 1 created, one per field, of every row: named here, not derived from the
# declaration, which has changed since (migration 3)
_MIGRATION_1_INDEXES = ("status", "message_id", "relates_to", "service_id", "sender", "receiver",
                        "fault_code", "at", "exchange_id", "peer")


def _declare_indexes(*names: str) -> list[str]:
    """Each named field's index made as declared now (bus/store/migrations.py's
    ``declare_indexes``, in this dialect): dropped, created again if still declared."""
    return [statement for n in names for statement in (
        f"DROP INDEX IF EXISTS hops_{n}", *([index_ddl(BY_NAME[n])] if BY_NAME[n].index else []))]


# Migration n (1-based) is MIGRATIONS[n - 1]; append, never edit a released one. A field added
# to HopRecord later comes with a migration adding its column (from its declaration) and, for
# every node already in chain_meta, ``format_<n>_after`` = that node's MAX(seq).
MIGRATIONS: list[list[str]] = [
    [  # 1: the fields of chain formats 1-3, per-node chains, cluster-wide ids
        f"""CREATE TABLE hops (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            node text COLLATE "C" NOT NULL,
            seq bigint NOT NULL,
            {_fields_ddl(3)},
            prev_hash text COLLATE "C",
            hash text COLLATE "C",
            UNIQUE (node, seq)
        )""",
        *(f"CREATE INDEX hops_{n} ON hops ({n})" for n in _MIGRATION_1_INDEXES),
        "CREATE INDEX hops_node_at ON hops (node, at)",
        """CREATE TABLE chain_meta (
            node text COLLATE "C" NOT NULL,
            key text NOT NULL,
            value text NOT NULL,
            PRIMARY KEY (node, key)
        )""",
        """CREATE TABLE chain_checkpoints (
            node text COLLATE "C" NOT NULL,
            seq bigint NOT NULL,
            hash text NOT NULL,
            at text NOT NULL,
            PRIMARY KEY (node, seq)
        )""",
    ],
    [  # 2: chain format 4 (bus/store/chain.py: the same fields hashed as a JSON array; the
        # writer's CPU, issue 13) for every node's rows after its last one; a node that joins
        # later starts with it (PostgresRoutingLog._join)
        """INSERT INTO chain_meta (node, key, value)
           SELECT m.node, 'format_4_after', CAST(GREATEST(
               COALESCE((SELECT MAX(h.seq) FROM hops h WHERE h.node = m.node), 0),
               COALESCE((SELECT CAST(p.value AS bigint) FROM chain_meta p
                         WHERE p.node = m.node AND p.key = 'purged_through'), 0)) AS text)
           FROM (SELECT DISTINCT node FROM chain_meta) m
           ON CONFLICT (node, key) DO NOTHING""",
    ],
    [  # 3: indexes hold only the rows operators' searches look for (the writers' cost, issue
        # 13): no NULLs, no ok status; peer's index goes (no search uses it). Rebuilds them
        # under a lock that holds every node's writes meanwhile (docs/operations.md).
        *_declare_indexes("status", "message_id", "relates_to", "service_id", "sender",
                          "receiver", "fault_code", "peer"),
    ],
]


def check_schema(conn: psycopg.Connection, schema: str) -> list[str]:
    """Where the ``hops`` table disagrees with ``HopRecord`` (empty: none)."""
    info = {name: (dtype, nullable == "NO") for name, dtype, nullable in conn.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = 'hops'", (schema,)).fetchall()}
    expected = {"TEXT": "text", "INTEGER": "bigint", "REAL": "double precision"}
    problems = []
    for c in DECLARED:
        if c.name not in info:
            problems.append(f"column {c.name} is declared but not in the table")
        elif info[c.name] != (expected[c.sql], c.not_null):
            problems.append(f"column {c.name}: table has {info[c.name]}, declared "
                            f"{(expected[c.sql], c.not_null)}")
    for extra in set(info) - {c.name for c in DECLARED} - {"id", "node", "seq", "prev_hash",
                                                            "hash"}:
        problems.append(f"column {extra} is in the table but not declared in HopRecord")
    indexes = {name: (list(keys), _plain(where)) for name, keys, where in conn.execute(
        "SELECT i.relname, ARRAY(SELECT a.attname FROM unnest(x.indkey) k JOIN pg_attribute a "
        "ON a.attrelid = x.indrelid AND a.attnum = k), pg_get_expr(x.indpred, x.indrelid) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON "
        "t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = %s AND t.relname = 'hops'", (schema,)).fetchall()}
    problems += index_problems(indexes)
    return problems


def _plain(predicate: str | None) -> str | None:
    """PostgreSQL's rendering of an index's WHERE as the declaration writes it: without the
    outer parentheses and the literals' ``::text`` casts."""
    if predicate is None:
        return None
    text = predicate.replace("::text", "")
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    return " ".join(text.split())
