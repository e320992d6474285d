"""The routing log on PostgreSQL (issue 13 item 5): one log, one hash chain per node.

Needs a PostgreSQL server (tests/conftest.py ``postgres_url``: each test its own schema; outside
CI the tests skip, saying so, when no server answers; in CI they run).
"""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from bus.cli.main import main
from bus.store import hop_search
from bus.store.hop_search import HopQuery
from bus.store.log_integrity import verify_export, verify_log
from bus.store.log_recovery import recover
from bus.core.config import Retention
from bus.store.retention import purge_routing_log, run_retention
from bus.store.routing_log import Hop, HopRecord, Status, open_readonly, open_routing_log


def hop(mid: str, what: Hop = Hop.RECEIVED, at: str | None = None, **extra) -> HopRecord:
    fields = {"hop": what, "status": Status.OK, "message_id": mid, "service_id": "svc",
              "duration_ms": 12, "http_status": 200, **extra}
    if at is not None:
        fields["at"] = at
    return HopRecord(**fields)


@pytest.fixture
def two_nodes(postgres_url):
    logs = {n: open_routing_log(postgres_url, node=n, checkpoint_every=5) for n in ("a", "b")}
    yield logs
    for rl in logs.values():
        rl.close()


def fill(logs, count: int = 12) -> None:
    for i in range(count):  # interleaved: the global ids mix both nodes
        for node, rl in logs.items():
            rl.record_many([hop(f"{node}{i}"), hop(f"{node}{i}", Hop.REPLIED)])
    for rl in logs.values():
        rl.flush()


def sql(url: str, statement: str, params: tuple = ()) -> None:
    dsn, _, schema = url.partition("?schema=")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {schema}")
        conn.execute(statement, params)


def test_every_node_chains_its_own_rows_and_readers_see_the_cluster(two_nodes, postgres_url):
    fill(two_nodes)
    with open_readonly(postgres_url) as ro:
        assert ro.nodes() == ["a", "b"]
        assert len(ro.query(limit=None)) == 48
        assert [h.message_id for h in ro.query(message_id="b3")] == ["b3", "b3"]
        # a node's recovery sees the other node's hops (a notice accepted on one node may be
        # delivered by another)
        assert two_nodes["a"].has_hop("b7", (Hop.REPLIED,))
        for chain in ro.chains():
            report = verify_log(chain)
            assert report.intact, report.problem
            # ids are the node's own sequence: 1..24 without gaps, whatever the other wrote
            assert (report.walk.first_id, report.walk.last_id) == (1, 24)
            assert [c[0] for c in chain.checkpoints()] == [5, 10, 15, 20]
        rows = hop_search.search(ro, HopQuery(message_id="a1"), limit=None)
        assert {h.message_id for _, h in rows} == {"a1", "a10", "a11"}  # an ID prefix
        assert hop_search.count(ro, HopQuery(status="ok")) == 48
        assert len(hop_search.related_exchanges(ro, "b2")) == 2
        a1 = rows[-1][1]
        assert [h.hop for _, h in hop_search.exchange_hops(ro, a1.exchange_id)] == ["received"]


def test_a_time_range_finds_rows_whose_ids_run_against_their_times(two_nodes, postgres_url):
    """Two nodes commit batches made at overlapping times: a later id can carry an earlier
    ``at``. On SQLite a time range is read as an id range (one writer); here it must not be."""
    a, b = two_nodes["a"], two_nodes["b"]
    a.record(hop("late", at="2026-12-01T10:00:01+00:00"))
    a.flush()
    b.record(hop("early", at="2026-12-01T10:00:00+00:00"))  # made first, committed second
    b.flush()
    with open_readonly(postgres_url) as ro:
        since = HopQuery(since="2026-12-01T10:00:00", newest_first=False)
        assert [h.message_id for _, h in hop_search.search(ro, since)] == ["late", "early"]
        until = HopQuery(until="2026-12-01T10:00:01")
        assert [h.message_id for _, h in hop_search.search(ro, until)] == ["early"]
        assert hop_search.count(ro, HopQuery(since="2026-12-01T10:00:01")) == 1


def test_verify_names_the_tampered_row_of_its_node_only(two_nodes, postgres_url):
    fill(two_nodes)
    sql(postgres_url, "UPDATE hops SET duration_ms = 99 WHERE node = 'b' AND seq = 7")
    with open_readonly(postgres_url) as ro:
        assert verify_log(ro.chain("a")).intact
        problem = verify_log(ro.chain("b")).problem
        assert problem is not None and (problem.id, problem.kind) == (7, "hash mismatch")


def test_a_deleted_row_shows_as_a_gap_in_its_nodes_ids(two_nodes, postgres_url):
    fill(two_nodes)
    sql(postgres_url, "DELETE FROM hops WHERE node = 'a' AND seq = 3")
    with open_readonly(postgres_url) as ro:
        problem = verify_log(ro.chain("a")).problem
        assert problem is not None and (problem.id, problem.kind) == (4, "gap in ids")


def test_pfbus_log_verify_checks_every_node_and_exports_one(two_nodes, postgres_url, tmp_path,
                                                            capsys):
    fill(two_nodes)
    assert main(["log", "verify", "--db", postgres_url]) == 0
    out = capsys.readouterr().out
    assert "node a: 24 chained records" in out and "node b: 24 chained records" in out
    assert main(["log", "export", "--db", postgres_url, "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "give --node" in capsys.readouterr().err
    export = tmp_path / "b.jsonl"
    assert main(["log", "export", "--db", postgres_url, "--node", "b", "--out",
                 str(export)]) == 0
    assert verify_export(export).intact
    with open_readonly(postgres_url) as ro:
        head = verify_log(ro.chain("b"))
    anchor = f"{head.walk.last_id}:{head.walk.last_hash}"
    assert main(["log", "verify", "--db", postgres_url, "--anchor", anchor]) == 2  # whose?
    assert main(["log", "verify", "--db", postgres_url, "--node", "b", "--anchor", anchor]) == 0
    assert main(["log", "verify", "--db", postgres_url, "--node", "a", "--anchor", anchor]) == 1
    sql(postgres_url, "UPDATE hops SET reason = 'edited' WHERE node = 'a' AND seq = 2")
    assert main(["log", "verify", "--db", postgres_url]) == 1
    assert "node a" in capsys.readouterr().out.split("TAMPERED")[1]


def test_retention_purges_a_nodes_oldest_rows_and_verify_still_passes(postgres_url, tmp_path):
    old = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    with open_routing_log(postgres_url, node="a") as a, \
            open_routing_log(postgres_url, node="b") as b:
        for i in range(30):
            at = (old + dt.timedelta(minutes=i)).isoformat()
            a.record(hop(f"a{i}", at=at))
            b.record(hop(f"b{i}", at=at))
        a.flush()
        b.flush()
        purged = purge_routing_log(a.chain("a"), (old + dt.timedelta(minutes=20)).timestamp(),
                                   export_dir=tmp_path, pause=0)
        assert purged.deleted == 20
        a.record(hop("after"))
        a.flush()
    with open_readonly(postgres_url) as ro:
        report = verify_log(ro.chain("a"))
        assert report.intact, report.problem
        assert "retention anchor 20:" in " ".join(report.notes)
        assert report.walk.first_id == 21  # 21..30, the purged record, "after"
        assert verify_log(ro.chain("b")).walk.count == 30  # another node's rows stay
    assert verify_export(tmp_path / "routing-log-1-20.jsonl").intact


def test_a_nodes_retention_run_purges_its_workers_chains_too(postgres_url):
    """``pfbus serve --workers``: worker k writes chain NODE/k, only worker 1 runs retention."""
    old = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    logs = {n: open_routing_log(postgres_url, node=n) for n in ("n", "n/2", "other")}
    try:
        for i in range(10):
            for rl in logs.values():
                rl.record(hop(f"{rl.node}-{i}", at=(old + dt.timedelta(minutes=i)).isoformat()))
        for rl in logs.values():
            rl.flush()
        retention = Retention(routing_log=1.0, delivered_notices=None, dead_letters=None,
                              archive=None)
        done = run_retention(retention, logs["n"], pause=0)
        assert [p.deleted for p in done] == [10, 10]  # n and n/2; "other" purges its own
    finally:
        for rl in logs.values():
            rl.close()
    with open_readonly(postgres_url) as ro:
        for node, kept in (("n", 1), ("n/2", 1), ("other", 10)):  # 1: the purged record
            report = verify_log(ro.chain(node))
            assert report.intact and report.walk.count == kept, (node, report)


def test_a_crashed_run_of_a_node_gets_a_gap_record_in_its_chain(postgres_url):
    run = open_routing_log(postgres_url, node="a", marks_runs=True)
    run.record_many([hop("m1", exchange_id="x1"), hop("m1", Hop.REPLIED, exchange_id="x1"),
                     hop("m2")])
    run.flush()
    run.marks_runs = False  # leaves the mark behind, as a SIGKILL after the commit does
    run.close()
    with open_routing_log(postgres_url, node="b", marks_runs=True) as other:
        assert other.unclean is None  # node b's run is its own
    with open_routing_log(postgres_url, node="a", marks_runs=True) as again:
        assert again.unclean is not None and again.unclean["last_id"] == 3
        recovery = recover(again, None)
        assert recovery is not None and recovery.cut_off == 1  # m2: no 'replied'
    with open_readonly(postgres_url) as ro:
        report = verify_log(ro.chain("a"))
        assert report.intact and [g[0] for g in report.gaps] == [4]


def test_the_writer_reconnects_when_its_session_is_killed(postgres_url):
    """Evidence or refuse: a commit that fails (the server ended the session) is retried on a
    new connection, never dropped."""
    with open_routing_log(postgres_url, node="a") as rl:
        rl.record(hop("before"))
        rl.flush()
        pid = rl._writer.info.backend_pid
        # with a timeout, pg_terminate_backend returns once the session is gone
        sql(postgres_url, "SELECT pg_terminate_backend(%s, 10000)", (pid,))
        seq = rl.record(hop("after"))
        rl.flush(timeout=30)
        assert rl.committed() >= seq and rl.lost == 0
        assert [h.message_id for h in rl.query(limit=None)] == ["before", "after"]


def test_a_hand_edited_table_is_refused_before_it_is_written(postgres_url):
    open_routing_log(postgres_url, node="a").close()
    sql(postgres_url, "ALTER TABLE hops ADD COLUMN secret text")
    with pytest.raises(Exception, match="secret is in the table but not declared"):
        open_routing_log(postgres_url, node="a")


def test_a_schema_newer_than_this_pfbus_is_refused_for_writing_and_reading(postgres_url):
    """A newer pfbus migrated the schema further: this one neither writes with its older layout
    nor reads rows it would misread; a schema with no log in it is said to be so."""
    schema = postgres_url.partition("?schema=")[2]
    with pytest.raises(Exception, match=f"no routing log in schema {schema}"):
        open_readonly(postgres_url)
    open_routing_log(postgres_url, node="a").close()
    sql(postgres_url, "INSERT INTO hops_migrations (version) VALUES (99)")
    with pytest.raises(Exception, match="at version 99, newer than this pfbus"):
        open_routing_log(postgres_url, node="a")
    with pytest.raises(Exception, match="at version 99, this pfbus reads"):
        open_readonly(postgres_url)


def test_follow_shows_a_row_committed_after_a_higher_id_of_another_node_once(two_nodes,
                                                                             postgres_url):
    """Ids are taken at insert: node a's row can become visible after node b's later id was
    read. A single "after id" cursor skips it; the follower's per-node cursors show it, once."""
    from bus.store.hop_search import HopQuery
    from bus.store.log_follow import LogFollower
    from bus.store.routing_log import _COLUMNS

    fill(two_nodes, 2)
    follower = LogFollower(HopQuery())
    with open_readonly(postgres_url) as ro:
        assert len(follower.start(ro, 3)) == 3
    dsn, _, schema = postgres_url.partition("?schema=")
    others = ", ".join(c for c in _COLUMNS if c != "message_id")
    with psycopg.connect(dsn) as late, late.transaction():  # node a, in flight: an id, unseen
        late.execute(f"SET search_path TO {schema}")
        late.execute(f"INSERT INTO hops (node, seq, message_id, {others}) SELECT node, seq + 1000,"
                     f" 'late', {others} FROM hops WHERE node = 'a' ORDER BY seq DESC LIMIT 1")
        two_nodes["b"].record_many([hop("b-after")])
        two_nodes["b"].flush()
        with open_readonly(postgres_url) as ro:
            assert [h.message_id for _, h in follower.poll(ro)] == ["b-after"]
    with open_readonly(postgres_url) as ro:  # committed now, below b-after's id
        assert [h.message_id for _, h in follower.poll(ro)] == ["late"]
        assert follower.poll(ro) == []
    two_nodes["a"].record_many([hop("a-next")])
    two_nodes["a"].flush()
    with open_readonly(postgres_url) as ro:
        assert [h.message_id for _, h in follower.poll(ro)] == ["a-next"]
        assert follower.poll(ro) == []
