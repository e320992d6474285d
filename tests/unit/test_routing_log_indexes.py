"""The routing log's indexes hold only the rows operators' searches look for (issue 13: every
row paid a B-tree insert and a dirty page in each of ten indexes): partial indexes declared in
``HopRecord`` (bus/store/hop_record.py ``index_where``), made by migration 8, checked at open.

SQLite uses a partial index only when a query's WHERE implies the index's: each operator query
is run as the console and ``pfbus log`` run it, and ``EXPLAIN QUERY PLAN`` of what it sent must
name its index and show no scan of the table, or of a whole index, where a search was meant.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from bus.store import hop_search
from bus.store.hop_record import BY_NAME, Hop, HopRecord, Status, column
from bus.store.hop_search import HopQuery
from bus.store.log_integrity import verify_log
from bus.store.migrations import MIGRATIONS, check_schema, migrate, schema_version
from bus.store.routing_log import RoutingLog, open_readonly
from bus.store.routing_log_files import worker_path

DAY = "2026-12-01T00:00:{:02d}.000000+00:00"


def records() -> list[HopRecord]:
    """Exchanges as the hub writes them: a received hop without IDs, replies relating to their
    requests, every seventh a fault, every fifth an error, some from a TLS-authenticated peer."""
    rows = []
    for i in range(40):
        common = {"exchange_id": f"x{i:04d}", "at": DAY.format(i)}
        header = {**common, "message_id": f"m{i:04d}", "service_id": f"svc{i % 3}",
                  "sender": f"13101{i % 2}/07/vendor-b", "receiver": f"14100{i % 4}/01/a",
                  "peer": "vendor-b" if i % 4 == 0 else None}
        status = Status.FAULT if i % 7 == 0 else Status.ERROR if i % 5 == 0 else Status.OK
        fault = {"fault_code": f"PF-{i % 2}"} if status is not Status.OK else {}
        rows += [HopRecord(hop=Hop.RECEIVED, status=Status.OK, **common),
                 HopRecord(hop=Hop.VALIDATED, status=Status.OK, **header),
                 HopRecord(hop=Hop.REPLIED, status=status, **{**header, **fault,
                                                            "message_id": f"r{i:04d}",
                                                            "relates_to": f"m{i:04d}"})]
    return rows


@pytest.fixture
def log_path(tmp_path) -> Path:
    path = tmp_path / "routing-log.sqlite3"
    with RoutingLog(path) as rl:
        rl.record_many(records())
    return path


ROW_ORDER = r"SCAN hops"  # the table in row order, no index walked
NARROWEST = r"SCAN hops USING COVERING INDEX \w+"  # counting every row: SQLite's smallest index

# (name, what the console or pfbus log runs, indexes its statements must use, the scan that is
# the design, if any: a broad prefix is read newest first once its index said anything matches;
# ``status = 'ok'`` is most rows, so counted as all rows less those its index holds)
CASES = [
    ("message ID prefix", lambda log: hop_search.search(log, HopQuery(message_id="m001"), 50),
     {"hops_message_id", "hops_relates_to", "hops_exchange_id"}, None),
    ("exchange ID prefix", lambda log: hop_search.search(log, HopQuery(exchange_id="x001"), 50),
     {"hops_exchange_id"}, None),
    ("service", lambda log: hop_search.search(log, HopQuery(service_id="svc1"), 50),
     {"hops_service_id"}, None),
    ("status fault", lambda log: hop_search.search(log, HopQuery(status="fault"), 50),
     {"hops_status"}, None),
    ("status error, counted", lambda log: hop_search.count(log, HopQuery(status="error")),
     {"hops_status"}, None),
    ("status ok, counted", lambda log: hop_search.count(log, HopQuery(status="ok")),
     {"hops_status"}, NARROWEST),
    ("status ok + service, counted", lambda log: hop_search.count(
        log, HopQuery(status="ok", service_id="svc1")), {"hops_service_id"}, None),
    ("fault code", lambda log: hop_search.search(log, HopQuery(fault_code="PF-1"), 50),
     {"hops_fault_code"}, None),
    ("fault code, counted", lambda log: hop_search.count(log, HopQuery(fault_code="PF-1")),
     {"hops_fault_code"}, None),
    ("service + status + fault code", lambda log: hop_search.search(
        log, HopQuery(service_id="svc0", status="fault", fault_code="PF-0"), 50),
     {"hops_fault_code"}, None),
    ("団体コード", lambda log: hop_search.search(log, HopQuery(local_gov_code="141002"), 50),
     {"hops_receiver"}, ROW_ORDER),
    ("sender prefix", lambda log: hop_search.search(log, HopQuery(sender="131011/07"), 50),
     {"hops_sender"}, ROW_ORDER),
    ("time range", lambda log: hop_search.search(
        log, HopQuery(since="2026-12-01T00:00:05", until="2026-12-01T00:00:09"), 50),
     {"hops_at"}, None),
    ("trace", lambda log: hop_search.exchange_hops(log, "x0007"), {"hops_exchange_id"}, None),
    ("related exchanges", lambda log: hop_search.related_exchanges(log, "m0007"),
     {"hops_message_id", "hops_relates_to", "hops_exchange_id"}, None),
]


def _plans(reads: list[tuple[str, tuple]], conn: sqlite3.Connection) -> list[list[str]]:
    return [[row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            for sql, params in reads]


def _recording(rl) -> list[tuple[str, tuple]]:
    reads: list[tuple[str, tuple]] = []
    read = rl._read

    def recorded(sql, params=()):
        reads.append((sql, tuple(params)))
        return read(sql, params)

    rl._read = recorded
    return reads


def _assert_searched(name, plans, indexes, scan) -> None:
    text = "\n".join(line for plan in plans for line in plan)
    for index in indexes:
        assert re.search(rf"\bUSING (COVERING )?INDEX {index}\b", text), f"{name}: {text}"
    scans = [line for line in text.splitlines() if re.match(r"SCAN hops\b", line)]
    if scan:  # only the designed one
        assert scans and all(re.fullmatch(scan, line) for line in scans), f"{name}: {text}"
    else:
        assert scans == [], f"{name} falls back to a scan: {text}"


@pytest.mark.parametrize("name, run, indexes, scan", CASES, ids=[c[0] for c in CASES])
def test_every_operator_search_uses_its_index(log_path, name, run, indexes, scan):
    with open_readonly(log_path) as log:  # one file: the log itself
        assert isinstance(log, RoutingLog)
        reads = _recording(log)
        assert run(log)  # each case finds rows: the plan is of a search that answers
        _assert_searched(name, _plans(reads, log._reader), indexes, scan)


def test_the_hubs_own_lookups_use_their_indexes(log_path):
    """Recovery's has_hop, the file pipeline's query by exchange, query by message ID, and
    retention's bounds."""
    with RoutingLog(log_path) as rl:
        reads = _recording(rl)
        assert rl.has_hop("r0003", (Hop.REPLIED,), ok=True)
        _assert_searched("has_hop", _plans(reads, rl._reader), {"hops_message_id"}, None)
        for kw, index in (({"message_id": "m0003"}, "hops_relates_to"),
                          ({"exchange_id": "x0003"}, "hops_exchange_id")):
            reads.clear()
            assert rl.query(**kw)
            _assert_searched(f"query {kw}", _plans(reads, rl._reader), {index}, None)
        reads.clear()
        rl.purge_bounds("2026-12-01T00:00:10+00:00")
        _assert_searched("purge_bounds", _plans(reads, rl._reader), {"hops_at"}, None)


def test_several_workers_files_are_searched_by_their_indexes(log_path):
    """``pfbus serve --workers 2``: each file is searched, then merged in time order."""
    with RoutingLog(worker_path(log_path, 2)) as rl:
        rl.record_many(records()[:9])
    with open_readonly(log_path) as log:
        assert len(log.logs) == 2
        for query, index in ((HopQuery(status="fault"), "hops_status"),
                             (HopQuery(fault_code="PF-0"), "hops_fault_code")):
            for _, rl in log.logs:
                reads = _recording(rl)
                assert hop_search.search(rl, query, 50)
                _assert_searched(str(query), _plans(reads, rl._reader), {index}, None)
            assert hop_search.search(log, query, 50)


def test_the_indexes_leave_out_what_no_search_looks_for(log_path):
    conn = sqlite3.connect(log_path)
    entries = {name: conn.execute(f"SELECT count(*) FROM hops INDEXED BY {name} WHERE {where}"
                                  ).fetchone()[0]
               for name, where in (("hops_status", "status <> 'ok'"),
                                   ("hops_fault_code", "fault_code IS NOT NULL"),
                                   ("hops_relates_to", "relates_to IS NOT NULL"))}
    rows = records()
    assert entries == {"hops_status": sum(h.status != "ok" for h in rows),
                       "hops_fault_code": sum(h.fault_code is not None for h in rows),
                       "hops_relates_to": sum(h.relates_to is not None for h in rows)}
    declared = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                 "AND tbl_name = 'hops'"))
    assert "hops_peer" not in declared
    assert declared["hops_status"].endswith("WHERE status <> 'ok'")
    assert declared["hops_at"].endswith("ON hops (at)")


def test_check_schema_names_an_index_unlike_its_declaration(tmp_path):
    conn = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    migrate(conn)
    assert check_schema(conn) == []
    conn.execute("CREATE INDEX operators_own ON hops (peer)")  # not ours to judge
    assert check_schema(conn) == []
    conn.execute("DROP INDEX hops_status")
    conn.execute("CREATE INDEX hops_status ON hops (status)")  # every row again
    conn.execute("CREATE INDEX hops_peer ON hops (peer)")
    conn.execute("DROP INDEX hops_relates_to")
    conn.execute("CREATE INDEX hops_relates_to ON hops (relates_to, at) WHERE "
                 "relates_to IS NOT NULL")
    problems = check_schema(conn)
    assert len(problems) == 3, problems
    assert any("hops_status" in p and "where None" in p for p in problems)
    assert any("hops_peer exists but column peer is declared without" in p for p in problems)
    assert any("hops_relates_to is on ['relates_to', 'at']" in p for p in problems)


def test_a_nullable_index_leaves_nulls_out_and_a_listed_value_needs_its_term():
    assert BY_NAME["fault_code"].index_where == "fault_code IS NOT NULL"
    assert BY_NAME["fault_code"].query_term("PF-X") is None  # implied by fault_code = ?
    assert BY_NAME["status"].index_where == "status <> 'ok'"
    assert [BY_NAME["status"].query_term(s) for s in ("fault", "error", "ok")] == [
        "status <> 'ok'", "status <> 'ok'", None]
    assert BY_NAME["at"].index_where is None and BY_NAME["exchange_id"].index_where is None
    assert BY_NAME["peer"].index_where is None and not BY_NAME["peer"].index
    with pytest.raises(ValueError, match="needs index=True"):
        column("TEXT", "x", index_without=("ok",))


def _as_version_7(path: Path) -> None:
    """Turn a file written now into the file the previous release wrote with the same rows:
    migration 8 only changed indexes, so dropping ours and making migrations 1-7's indexes
    again is that release's schema (compared with a file migrated to 7 below)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                "tbl_name = 'hops' AND sql IS NOT NULL").fetchall():
        conn.execute(f"DROP INDEX {name}")
    for migration in MIGRATIONS[:7]:
        for statement in migration:
            if "CREATE INDEX" in statement:
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 7")
    conn.close()


def _indexes(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {sql for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE type = "
                                               "'index' AND tbl_name = 'hops'")}
    finally:
        conn.close()


ANSWERS = [HopQuery(), HopQuery(status="fault"), HopQuery(status="error"), HopQuery(status="ok"),
           HopQuery(status="ok", service_id="svc1", local_gov_code="141001"),
           HopQuery(fault_code="PF-0"), HopQuery(message_id="m001"), HopQuery(service_id="svc2"),
           HopQuery(local_gov_code="141003"), HopQuery(sender="131010"),
           HopQuery(exchange_id="x002", newest_first=False)]


def _answers(path: Path) -> list:
    with open_readonly(path) as log:
        return [[(key, h) for key, h in hop_search.search(log, q, None)] for q in ANSWERS] + [
            [hop_search.count(log, q) for q in ANSWERS], hop_search.related_exchanges(log, "m0014"),
            log.query(message_id="m0021", limit=None)]


def test_a_file_of_the_previous_release_migrates_and_answers_the_same(log_path, tmp_path):
    expected = _answers(log_path)
    assert expected[1] and expected[4] and expected[-1]  # faults, a fault code, a reply
    _as_version_7(log_path)
    pristine = tmp_path / "seven.db"
    migrate(sqlite3.connect(pristine, isolation_level=None), MIGRATIONS[:7])
    assert _indexes(log_path) == _indexes(pristine)  # the previous release's schema, rows kept
    with RoutingLog(log_path) as rl:  # the hub's open migrates
        assert check_schema(rl._writer) == []
        assert schema_version(rl._writer) == len(MIGRATIONS) == 8
    assert _indexes(log_path) != _indexes(pristine)
    assert _answers(log_path) == expected
    with RoutingLog(log_path) as rl:  # and goes on writing the same chain
        rl.record(HopRecord(hop=Hop.MAINTENANCE, status=Status.FAULT, fault_code="PF-0"))
    with open_readonly(log_path) as log:
        assert verify_log(log).intact
        assert hop_search.count(log, HopQuery(fault_code="PF-0")) == \
            expected[-3][ANSWERS.index(HopQuery(fault_code="PF-0"))] + 1



# -- PostgreSQL: the same declaration, its own migration (3), the planner's use of the indexes --

def _pg_sql(url: str, *statements: str) -> None:
    import psycopg

    dsn, _, schema = url.partition("?schema=")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {schema}")
        for statement in statements:
            conn.execute(statement)


def test_postgresql_schema_migrates_to_the_declared_indexes_and_answers_the_same(postgres_url):
    from bus.store.routing_log import open_routing_log
    from bus.store.routing_log_pg_schema import MIGRATIONS as PG_MIGRATIONS

    with open_routing_log(postgres_url, node="a") as rl:
        rl.record_many(records())
    with open_readonly(postgres_url) as log:
        expected = [hop_search.search(log, q, None) for q in ANSWERS]
    assert expected[1] and expected[4]
    # the schema as the previous release left it: migration 1's indexes of every row
    names = ("status", "message_id", "relates_to", "service_id", "sender", "receiver",
             "fault_code", "peer")
    _pg_sql(postgres_url, *(f"DROP INDEX IF EXISTS hops_{n}" for n in names),
            *(f"CREATE INDEX hops_{n} ON hops ({n})" for n in names),
            f"DELETE FROM hops_migrations WHERE version = {len(PG_MIGRATIONS)}")
    import psycopg

    from bus.store.routing_log_pg_schema import check_schema as pg_check_schema

    dsn, _, schema = postgres_url.partition("?schema=")
    with psycopg.connect(dsn) as conn:
        problems = pg_check_schema(conn, schema)
    assert len(problems) == 8 and any("hops_peer exists" in p for p in problems), problems
    with open_routing_log(postgres_url, node="a") as rl:  # migrates (3), then checks
        pass
    with psycopg.connect(dsn) as conn:
        assert pg_check_schema(conn, schema) == []
    with open_readonly(postgres_url) as log:
        assert [hop_search.search(log, q, None) for q in ANSWERS] == expected


@pytest.mark.parametrize("query, index", [
    (HopQuery(status="fault"), "hops_status"), (HopQuery(fault_code="PF-1"), "hops_fault_code"),
    (HopQuery(message_id="m001"), "hops_relates_to"), (HopQuery(service_id="svc1"),
                                                        "hops_service_id")])
def test_postgresql_searches_use_the_partial_indexes(postgres_url, query, index):
    """With sequential scans priced out, the plan names the index: one the planner could not
    prove applicable would leave it a sequential scan."""
    from bus.store.routing_log import open_routing_log
    from bus.store.routing_log_pg import _pg

    with open_routing_log(postgres_url, node="a") as rl:
        rl.record_many(records())
    with open_readonly(postgres_url) as log:
        reads = _recording(log)
        assert hop_search.search(log, query, 50)
    import psycopg

    dsn, _, schema = postgres_url.partition("?schema=")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {schema}")
        conn.execute("SET enable_seqscan TO off")
        plan = "\n".join(row[0] for sql, params in reads
                         for row in conn.execute(f"EXPLAIN {_pg(sql)}", params).fetchall())
    assert index in plan and "Seq Scan on hops" not in plan, plan


@pytest.mark.parametrize("query", [q for q in ANSWERS if q.status == "ok"] + [
    HopQuery(status="ok", fault_code="PF-1"), HopQuery(status="ok", message_id="m003"),
    HopQuery(status="ok", since="2026-12-01T00:00:10", until="2026-12-01T00:00:30")])
def test_a_count_of_ok_rows_is_every_row_less_the_others(log_path, query):
    """``status = 'ok'`` is counted as all rows less those the status index holds: the same
    number as counting the rows that match."""
    with open_readonly(log_path) as log:
        rows = hop_search.search(log, query, None)
        assert hop_search.count(log, query) == len(rows)
    assert len(rows) == sum(1 for _ in rows if _[1].status == "ok")
