"""Chain format 4 (issue 13): the same fields hashed as a JSON array, the writer's cheaper path
(one C call per row, INSERTs without NULLs, several rows per statement), and the migrations that
bring it to existing logs on SQLite and PostgreSQL — old rows keep verifying under the format
they were written with, new ones under format 4, and tampering with either is found."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from types import SimpleNamespace

import psycopg
import pytest

from bus.store import chain
from bus.store.chain import (ARRAY_FORMAT, CHAIN_FIELDS, CHAIN_FORMAT, GENESIS, Formats,
                             record_hash, row_hash)
from bus.store.chained_log import _FIELD_VALUES, ChainedLog, Unchained
from bus.store.hop_inserts import _by_shape
from bus.store.hop_record import COLUMNS, Hop, HopRecord, Party, Status
from bus.store.log_integrity import verify_export, verify_log, write_export
from bus.store.routing_log import RoutingLog, open_readonly, open_routing_log

from tests.support.old_logs import write_old_format_log

NAMES = tuple(c.name for c in COLUMNS)
SAMPLE = {"TEXT": ("a", "b"), "INTEGER": (1, 2), "REAL": (1.5, 2.5)}


def test_format_4_is_the_newest_and_its_order_is_the_rows():
    assert CHAIN_FORMAT == ARRAY_FORMAT == 4
    assert set(CHAIN_FIELDS[4]) == set(CHAIN_FIELDS[3]) == set(NAMES)
    # the writer hashes the row it inserts only while the declaration keeps this order
    assert chain.ROW_IS_ARRAY and CHAIN_FIELDS[4] == NAMES


def test_format_4_is_the_row_as_a_json_array():
    fields = {c.name: SAMPLE[c.sql][0] for c in COLUMNS}
    text = json.dumps([9, *(fields[n] for n in CHAIN_FIELDS[4]), "ab" * 32],
                      ensure_ascii=False, separators=(",", ":"))
    assert record_hash(9, fields, "ab" * 32, 4) == hashlib.sha256(text.encode()).hexdigest()
    # not format 3's object: the same record has another hash there
    assert record_hash(9, fields, "ab" * 32, 3) != record_hash(9, fields, "ab" * 32, 4)


KINDS = [
    {c.name: SAMPLE[c.sql][0] for c in COLUMNS},
    {c.name: None for c in COLUMNS},
    {c.name: SAMPLE[c.sql][1] for c in COLUMNS if c.sql != "TEXT"},  # absent texts: None
    # affinities: an int in a REAL column, an integral float in an INTEGER column, enums
    {**{c.name: (12 if c.sql == "REAL" else 3.0 if c.sql == "INTEGER" else "住基 Ａ")
        for c in COLUMNS}, "hop": Hop.REPLIED, "status": Status.FAULT, "party": Party.PROVIDER},
    {c.name: 2.5 for c in COLUMNS if c.sql == "INTEGER"},
    dataclasses.asdict(HopRecord(hop=Hop.RECEIVED, status=Status.OK, request_bytes=1081,
                                 duration_ms=0.125, message_id="m-1")),
    {**{c.name: ('q"b\\s\n\x01\u2028 \U0001f600 住所' if c.sql == "TEXT" else
                 1e-7 if c.sql == "REAL" else 10**20) for c in COLUMNS},
     "hop": Hop.REPLIED, "duration_ms": 1.5e300},
    {c.name: True for c in COLUMNS if c.sql == "INTEGER"},  # bools: stored as 1
    {c.name: (True if c.sql == "INTEGER" else SAMPLE[c.sql][0]) for c in COLUMNS},
    {c.name: 7 for c in COLUMNS if c.sql == "TEXT"},  # an int in a TEXT column: stored '7'
]


@pytest.mark.parametrize("fields", KINDS)
def test_the_writers_row_hash_is_the_chains_definition(fields):
    """The writer hashes the row it inserts (``row_hash``); ``pfbus log verify`` recomputes
    with ``record_hash`` from what it reads: the same digest for every kind of value."""
    for rid, prev in ((1, GENESIS), (4711, "ab" * 32)):
        row = (rid, *(fields.get(n) for n in NAMES), prev)
        digest, shape = row_hash(row)
        assert digest == record_hash(rid, fields, prev, 4)
        assert shape.present == tuple(i for i, n in enumerate(NAMES)
                                      if fields.get(n) is not None)


@pytest.mark.parametrize("prev", [GENESIS, "ab" * 32])
def test_rows_chained_from_their_text_made_beforehand_are_the_writers_rows(prev):
    """The SQLite writer makes each row's text before it takes its turn at the file
    (``Unchained``) and only links it in the turn: the same rows, shapes and checkpoints as
    chaining the hops there, for every kind of value, and for ids still in format 3."""
    # the kinds as records with every field (any values: not validated, as a HopRecord is)
    batch: list = [SimpleNamespace(**{n: fields.get(n) for n in NAMES}) for fields in KINDS]
    batch += [h for i in range(3) for h in _mixed(i)]
    unchained = Unchained.of(batch)
    texts = [t is not None for t in unchained.texts]
    assert any(texts) and not all(texts)  # both paths: the text made before, and converted
    for formats in (Formats({2: 0, 3: 0, 4: 0}), Formats({2: 0, 3: 0, 4: 5000})):
        for head in (0, 999, 4999):
            assert ChainedLog._chain_unchained(unchained, head, prev, formats, 4) == \
                ChainedLog._chain(batch, head, prev, formats, 4)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_the_row_hash_refuses_what_json_cannot_hold(bad):
    row = (1, *(SAMPLE[c.sql][0] if c.name != "duration_ms" else bad for c in COLUMNS), GENESIS)
    with pytest.raises(ValueError):
        row_hash(row)


def _mixed(i: int) -> list[HopRecord]:
    """Hops of different shapes (which fields are set, and of which type)."""
    return [HopRecord(hop=Hop.RECEIVED, status=Status.OK, exchange_id=f"x{i}"),
            HopRecord(hop=Hop.VALIDATED, status=Status.OK, exchange_id=f"x{i}",
                      message_id=f"m{i}", service_id="juki.ResidentInquiry", request_bytes=i),
            HopRecord(hop=Hop.REPLIED, status=Status.FAULT, exchange_id=f"x{i}",
                      message_id=f"m{i}", fault_code="PF-X", party=Party.CLIENT,
                      duration_ms=i, http_status=500, reason=f"r{i}")]  # int in REAL: converted


def test_a_batch_of_many_shapes_is_stored_exactly_in_few_statements(tmp_path):
    """The SQLite writer binds no NULL and inserts runs of rows per statement: every field
    round-trips, ids stay in order, the chain verifies."""
    hops = [h for i in range(40) for h in _mixed(i)]
    with RoutingLog(tmp_path / "log.db") as rl:
        assert rl._writer is not None
        statements: list[str] = []
        rl._writer.set_trace_callback(statements.append)
        rl.record_many(hops)
        rl.flush()
        rl._writer.set_trace_callback(None)
        inserts = [s for s in statements if s.startswith("INSERT INTO hops ")]
        # three shapes (the third's int in a REAL column is converted before it is hashed),
        # 40 rows each: 120 rows of every shape together, 32 per statement
        assert len(inserts) == 4, inserts
        got = rl.query(limit=None)
    assert [dataclasses.asdict(h) for h in got] == [
        {**dataclasses.asdict(h), "duration_ms": None if h.duration_ms is None
         else float(h.duration_ms)} for h in hops]
    with open_readonly(tmp_path / "log.db") as ro:
        report = verify_log(ro)
    assert report.intact and report.walk.count == 120


def test_the_inserts_bind_no_null_and_put_every_shape_in_one_statement():
    """NULLs are written by the statement, not bound (sqlite3 searches an adapter per None);
    rows of every shape share one statement, each shape's rows one run of ``VALUES`` tuples."""
    rows, shapes = [], []
    for i in range(3):
        for h in _mixed(i):
            row = (len(rows) + 1, *_FIELD_VALUES(vars(h)), "prev", "hash")
            rows.append(row)
            shapes.append(row_hash(row[:-1])[1])
    (insert, values), = list(_by_shape(rows, shapes))
    assert None not in values
    assert insert.count("(?") == 9 and "NULL" in insert
    ids = [v for v in values if type(v) is int and v in range(1, 10)]
    assert ids[:3] == [1, 4, 7]  # the first shape's rows first, in their order


def _format_3_file(path, rows: int) -> None:
    """A routing log as written by the release before migration 7 (chain format 3)."""
    write_old_format_log(path, rows, migrations=6, fmt=3, day="2026-12-01")


def _problem(path):
    with open_readonly(path) as ro:
        return verify_log(ro).problem


def test_a_format_3_log_keeps_verifying_after_migration_7_and_tampering_shows(tmp_path):
    path = tmp_path / "old.db"
    _format_3_file(path, 4)
    with RoutingLog(path) as rl:  # migrates to 7: format 4 from id 5 on
        rl.record_many(_mixed(1))
    with open_readonly(path) as ro:
        formats = ro.chain_formats()
        assert (formats.of(4), formats.of(5)) == (3, 4)
        report = verify_log(ro)
        assert report.intact and report.walk.count == 7
        write_export(ro, tmp_path / "e.jsonl", None, None)  # spans both formats
    assert verify_export(tmp_path / "e.jsonl").intact
    conn = sqlite3.connect(path, isolation_level=None)
    stored = conn.execute("SELECT hash FROM hops WHERE id = 5").fetchone()[0]
    row = conn.execute(f"SELECT id, {', '.join(NAMES)}, prev_hash FROM hops WHERE id = 5"
                       ).fetchone()
    assert stored == hashlib.sha256(json.dumps(list(row), ensure_ascii=False,
                                               separators=(",", ":")).encode()).hexdigest()
    for edit, rid, kind in (("UPDATE hops SET reason = 'x' WHERE id = 6", 6, "hash mismatch"),
                            ("UPDATE hops SET message_id = 'm9' WHERE id = 2", 2,
                             "hash mismatch")):
        conn.execute("BEGIN")
        conn.execute(edit)
        conn.execute("COMMIT")
        problem = _problem(path)
        # a new row (format 4), then an old one (format 3): verify names the first in id order
        assert problem is not None and (problem.id, problem.kind) == (rid, kind)
    conn.close()


def test_swapping_two_format_4_rows_shows(tmp_path):
    path = tmp_path / "log.db"
    with RoutingLog(path) as rl:
        rl.record_many(_mixed(1) + _mixed(2))
    conn = sqlite3.connect(path, isolation_level=None)
    cols = ", ".join(f"{n} = (SELECT {n} FROM hops WHERE id = 3)" for n in NAMES)
    conn.execute(f"UPDATE hops SET {cols} WHERE id = 6")  # row 6 now says what row 3 says
    conn.close()
    problem = _problem(path)
    assert problem is not None and (problem.id, problem.kind) == (6, "hash mismatch")


def test_postgres_nodes_with_format_3_rows_keep_verifying_after_migration_2(postgres_url):
    """PostgreSQL's migration 2 starts format 4 after each existing node's last row; a node
    that joins later is format 4 from its first."""
    from bus.store.pg_schema import migrate as pg_migrate
    from bus.store.routing_log_pg import _lock_key
    from bus.store.routing_log_pg_schema import MIGRATIONS as PG

    dsn, _, schema = postgres_url.partition("?schema=")
    names = CHAIN_FIELDS[3]
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"SET search_path TO {schema}")
        pg_migrate(conn, schema, PG[:1], versions_table="hops_migrations",
                   lock_key=_lock_key(schema, ""), what="routing log")
        for n in (2, 3):  # as the release before joined the node
            conn.execute("INSERT INTO chain_meta VALUES ('old', %s, '0')", (f"format_{n}_after",))
        prev = GENESIS
        for i in (1, 2, 3):
            values = {n: None for n in names}
            values.update(hop="routed", status="ok", exchange_id=f"x{i}", message_id=f"m{i}",
                          at=f"2026-12-01T06:00:{i:02d}.000000+00:00", duration_ms=i / 3)
            digest = record_hash(i, values, prev, fmt=3)
            conn.execute(f"INSERT INTO hops (node, seq, {', '.join(names)}, prev_hash, hash) "
                         f"VALUES ('old', %s, {', '.join('%s' for _ in names)}, %s, %s)",
                         (i, *values.values(), prev, digest))
            prev = digest
    for node in ("old", "new"):
        rl = open_routing_log(postgres_url, node=node)
        try:
            rl.record_many(_mixed(7))
            rl.flush()
        finally:
            rl.close()
    with open_readonly(postgres_url) as ro:
        old, new = ro.chain("old"), ro.chain("new")
        assert (old.chain_formats().of(3), old.chain_formats().of(4)) == (3, 4)
        assert new.chain_formats().of(1) == 4
        assert verify_log(old).intact and verify_log(old).walk.count == 6
        assert verify_log(new).intact and verify_log(new).walk.count == 3
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"UPDATE {schema}.hops SET reason = 'x' WHERE node = 'old' AND seq = 5")
    with open_readonly(postgres_url) as ro:
        problem = verify_log(ro.chain("old")).problem
    assert problem is not None and (problem.id, problem.kind) == (5, "hash mismatch")
