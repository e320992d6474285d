"""A SQLite routing log written by several workers, a file each, read as one
(bus/store/routing_log_files.py): the files' names, one time order over them, paging and following
across files, verify and retention per file, recovery's look-ups in every file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest

from bus.core.config import Retention
from bus.store import hop_search
from bus.store.hop_record import Hop, HopRecord, Status
from bus.store.hop_search import HopQuery
from bus.store.log_follow import LogFollower
from bus.store.log_integrity import verify_export, verify_log
from bus.store.log_recovery import recover, recover_files
from bus.store.retention import run_retention
from bus.store.routing_log import RoutingLog, open_readonly
from bus.store.routing_log_files import (RoutingLogFiles, reopen_if_grown, row_key, split_key,
                                         worker_files, worker_path)

T0 = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


def at(second: float) -> str:
    return (T0 + dt.timedelta(seconds=second)).isoformat(timespec="microseconds")


def hop(mid: str, second: float, **fields) -> HopRecord:
    return HopRecord(hop=Hop.ROUTED, status=Status.OK, message_id=mid, exchange_id=f"x-{mid}",
                     at=at(second), **fields)


def write(path: Path, hops: list[HopRecord]) -> None:
    with RoutingLog(path) as rl:
        for h in hops:
            rl.record(h)


@pytest.fixture
def two(tmp_path) -> Path:
    """Worker 1 wrote even seconds, worker 2 odd ones: 0..19 interleaved in time."""
    main = tmp_path / "routing-log.sqlite3"
    write(main, [hop(f"m{s:02}", s) for s in range(0, 20, 2)])
    write(worker_path(main, 2), [hop(f"m{s:02}", s) for s in range(1, 20, 2)])
    return main


def test_worker_files_are_named_beside_the_configured_one_and_found_by_worker(tmp_path):
    main = tmp_path / "routing-log.sqlite3"
    assert worker_path(main, 1) == main
    assert worker_path(main, 2) == tmp_path / "routing-log.worker-2.sqlite3"
    assert worker_path(tmp_path / "log", 12) == tmp_path / "log.worker-12"
    for name in ("routing-log.worker-12.sqlite3", "routing-log.worker-2.sqlite3",
                 "routing-log.worker-2.sqlite3-wal", "routing-log.worker-2.sqlite3-lock",
                 "routing-log.worker-x.sqlite3", "routing-log.worker-1.sqlite3",
                 "routing-log.worker-02.sqlite3", "other.worker-3.sqlite3"):
        (tmp_path / name).write_bytes(b"")
    assert worker_files(main) == [(1, main), (2, tmp_path / "routing-log.worker-2.sqlite3"),
                                  (12, tmp_path / "routing-log.worker-12.sqlite3")]
    assert worker_files(tmp_path / "other.sqlite3")[1:] == [
        (3, tmp_path / "other.worker-3.sqlite3")]
    with pytest.raises(ValueError):
        worker_path(main, 0)


def test_row_keys_name_a_workers_row():
    assert split_key(row_key(1, 7)) == (1, 7)
    assert split_key(row_key(3, 123456)) == (3, 123456)


def test_one_file_is_read_as_before_and_several_as_one(two, tmp_path):
    single = tmp_path / "single.sqlite3"
    write(single, [hop("a", 1)])
    with open_readonly(single) as rl:
        assert isinstance(rl, RoutingLog)
    with open_readonly(two) as log:
        assert isinstance(log, RoutingLogFiles)
        assert [h.message_id for h in log.query(limit=None)] == [f"m{s:02}" for s in range(20)]
        assert [h.message_id for h in log.query(limit=3)] == ["m00", "m01", "m02"]
        assert [h.message_id for h in log.query(message_id="m07")] == ["m07"]
        assert log.has_hop("m07", (Hop.ROUTED,)) and not log.has_hop("zz", (Hop.ROUTED,))
        assert [c.path for c in log.chains()] == [two, worker_path(two, 2)]
        assert all(verify_log(c).intact for c in log.chains())


def test_search_pages_newest_first_over_both_files_each_row_once(two):
    with open_readonly(two) as log:
        seen, before = [], None
        while True:
            rows = hop_search.search(log, HopQuery(before_id=before), 3)
            seen += [h.message_id for _, h in rows]
            if len(rows) < 3:
                break
            before = rows[-1][0]
        assert seen == [f"m{s:02}" for s in reversed(range(20))]
        assert hop_search.count(log, HopQuery()) == 20
        oldest = hop_search.search(log, HopQuery(newest_first=False,
                                                 after_id=row_key(2, 2)), 2)  # after m03
        assert [h.message_id for _, h in oldest] == ["m04", "m05"]
        assert [h.message_id for _, h in hop_search.exchange_hops(log, "x-m05")] == ["m05"]
        assert [r[0] for r in hop_search.related_exchanges(log, "m05")] == ["x-m05"]


def test_the_time_order_breaks_ties_by_worker_then_row(tmp_path):
    main = tmp_path / "r.sqlite3"
    write(main, [hop("w1-a", 5), hop("w1-b", 5)])
    write(worker_path(main, 2), [hop("w2-a", 5)])
    with open_readonly(main) as log:
        rows = hop_search.search(log, HopQuery(newest_first=False), None)
        assert [h.message_id for _, h in rows] == ["w1-a", "w1-b", "w2-a"]
        page = hop_search.search(log, HopQuery(newest_first=False, after_id=rows[1][0]), None)
        assert [h.message_id for _, h in page] == ["w2-a"]
        newest = hop_search.search(log, HopQuery(before_id=rows[2][0]), None)
        assert [h.message_id for _, h in newest] == ["w1-b", "w1-a"]


def test_follow_shows_each_files_new_rows_once_also_of_a_file_that_appeared(tmp_path):
    main = tmp_path / "r.sqlite3"
    write(main, [hop("a", 1)])
    follower = LogFollower(HopQuery())
    with open_readonly(main) as log:
        assert [h.message_id for _, h in follower.start(log, 10)] == ["a"]
    write(worker_path(main, 2), [hop("b", 2)])  # worker 2 started
    with open_readonly(main) as log:
        assert [h.message_id for _, h in follower.poll(log)] == ["b"]
    with RoutingLog(main) as w1, RoutingLog(worker_path(main, 2)) as w2:
        w2.record(hop("d", 4))
        w1.record(hop("c", 3))
    with open_readonly(main) as log:
        assert [h.message_id for _, h in follower.poll(log)] == ["c", "d"]
        assert follower.poll(log) == []
    again = LogFollower(HopQuery())
    with open_readonly(main) as log:
        assert [h.message_id for _, h in again.start(log, 3)] == ["b", "c", "d"]


def test_retention_purges_every_workers_file_with_an_anchor_each(two, tmp_path):
    with RoutingLog(two) as rl:  # worker 1's log: it runs retention for the hub
        done = run_retention(Retention(routing_log=1.0), rl,
                             now=(T0 + dt.timedelta(seconds=11)).timestamp(),
                             export_dir=tmp_path / "out", pause=0)
    assert [p.deleted for p in done] == [5, 5]  # seconds 0..9 of each worker
    with open_readonly(two) as log:
        kept = [h.message_id for h in log.query(hop=Hop.ROUTED, limit=None)]
        assert kept == [f"m{s:02}" for s in range(10, 20)]
        assert len(log.query(hop=Hop.PURGED, limit=None)) == 2
        assert all(verify_log(c).intact for c in log.chains())
    exports = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert exports == ["routing-log-1-5.jsonl", "routing-log.worker-2-1-5.jsonl"]
    assert all(verify_export(tmp_path / "out" / name).intact for name in exports)


def test_recovery_looks_facts_up_in_every_file_and_worker_one_recovers_a_gone_workers(tmp_path):
    main = tmp_path / "r.sqlite3"
    write(main, [HopRecord(hop=Hop.ACCEPTED, status=Status.OK, message_id="n1")])
    crashed = RoutingLog(worker_path(main, 3), marks_runs=True)  # never closed: a killed run
    crashed.record(hop("before-the-kill", 1))
    crashed.flush()

    class Notices:  # the notice store's facts (Fact.ACCEPTED): n1 accepted and recorded by
        def recent_facts(self, since):  # worker 1, n2 by worker 3 and not recorded
            return [("accepted", "n1", "svc", "s", T0.timestamp()),
                    ("accepted", "n2", "svc", "s", T0.timestamp())]

    done = recover_files(main, 2, Notices())  # restarted with 2 workers: worker 3's is gone
    assert [(p, r.accepted) for p, r in done] == [(worker_path(main, 3), 1)]
    with open_readonly(main) as log:
        assert [h.message_id for h in log.query(hop=Hop.ACCEPTED, limit=None)] == ["n1", "n2"]
        assert len(log.gaps()) == 1
    assert recover_files(main, 2, Notices()) == []  # its run is closed now
    assert recover_files(main, 3, Notices()) == []  # a running worker's file: its own
    with RoutingLog(worker_path(main, 2), marks_runs=True) as w2:
        assert recover(w2, Notices(), reader=lambda: open_readonly(main)) is None


def test_worker_one_recovers_a_crashed_run_an_earlier_version_marked_in_the_shared_file(
        tmp_path):
    """Before the files per worker, worker k wrote the configured file and marked its run
    ``run:NODE/k`` there. Such a run killed before the upgrade is recovered at worker 1's first
    start after it (gap record and facts, in that file, where its records are), then closed."""
    main = tmp_path / "r.sqlite3"
    crashed = RoutingLog(main, marks_runs=True, run_key="run:hub-1/2")  # the old worker 2
    crashed.record(HopRecord(hop=Hop.ACCEPTED, status=Status.OK, message_id="n1"))
    crashed.flush()

    class Notices:  # n1 accepted and recorded, n2 accepted and not recorded before the kill
        def recent_facts(self, since):
            return [("accepted", "n1", "svc", "s", T0.timestamp()),
                    ("accepted", "n2", "svc", "s", T0.timestamp())]

    with RoutingLog(main, marks_runs=True) as worker1:  # this version's worker 1 starts
        assert worker1.unclean is None  # its own mark: none left
        done = recover_files(main, 2, Notices())
        assert [(p, r.accepted, r.previous_run.get("pid")) for p, r in done] == [
            (main, 1, os.getpid())]
        assert recover_files(main, 2, Notices()) == []  # that run is closed now
    with open_readonly(main) as log:
        assert [h.message_id for h in log.query(hop=Hop.ACCEPTED, limit=None)] == ["n1", "n2"]
        assert len(log.gaps()) == 1
        assert verify_log(log).intact


def test_the_consoles_reader_reopens_when_a_worker_file_appears(tmp_path):
    main = tmp_path / "r.sqlite3"
    write(main, [hop("a", 1)])
    reader = reopen_if_grown(None, main, RoutingLogFiles.open)
    assert isinstance(reader, RoutingLog)
    assert reopen_if_grown(reader, main, RoutingLogFiles.open) is reader
    write(worker_path(main, 2), [hop("b", 2)])
    grown = reopen_if_grown(reader, main, RoutingLogFiles.open)
    assert isinstance(grown, RoutingLogFiles)
    assert [h.message_id for _, h in hop_search.search(grown, HopQuery(), 10)] == ["b", "a"]
    grown.close()


def test_search_filters_apply_in_every_file(two):
    with open_readonly(two) as log:
        q = dataclasses.replace(HopQuery(), message_id="m1")  # prefix: m10..m19
        assert [h.message_id for _, h in hop_search.search(log, q, 4)] == \
            ["m19", "m18", "m17", "m16"]
        assert hop_search.count(log, q) == 10


def test_pfbus_log_verifies_each_file_and_exports_one_workers_chain(two, tmp_path, capsys):
    from bus.cli.main import main

    assert main(["log", "verify", "--db", str(two)]) == 0
    out = capsys.readouterr().out
    assert f"intact: {two}: 10 chained records" in out
    assert f"intact: {worker_path(two, 2)}: 10 chained records" in out
    assert main(["log", "export", "--db", str(two), "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "give --node (1, 2)" in capsys.readouterr().err
    assert main(["log", "export", "--db", str(two), "--node", "2", "--out",
                 str(tmp_path / "x.jsonl")]) == 0
    assert verify_export(tmp_path / "x.jsonl").intact
    assert main(["log", "verify", "--db", str(two), "--node", "3"]) == 2
    assert main(["log", "--db", str(two), "--format", "json", "--limit", "3"]) == 0
    assert '"message_id": "m19"' in capsys.readouterr().out


def test_a_broad_filter_is_read_along_the_time_index_with_the_same_rows(two, monkeypatch):
    from bus.store import routing_log_files

    queries = [HopQuery(), HopQuery(status="ok"), HopQuery(message_id="m1"),
               HopQuery(since=at(5), until=at(15)), HopQuery(newest_first=False, until=at(7))]
    with open_readonly(two) as log:
        narrow = [hop_search.search(log, q, 4) for q in queries]
        monkeypatch.setattr(routing_log_files, "BROAD", 2)
        statements = []
        for _, rl in log.logs:
            rl._reader.set_trace_callback(statements.append)
        assert [hop_search.search(log, q, 4) for q in queries] == narrow
        assert any("INDEXED BY hops_at" in s for s in statements)
    assert [h.message_id for _, h in narrow[3]] == ["m14", "m13", "m12", "m11"]
    assert [h.message_id for _, h in narrow[4]] == ["m00", "m01", "m02", "m03"]


def test_a_worker_file_without_a_schema_yet_is_passed_by(two):
    """Its worker is starting: another worker's recovery reading every file must not fail."""
    import sqlite3

    starting = worker_path(two, 3)
    sqlite3.connect(starting).close()  # created, no schema yet
    with open_readonly(two) as log:
        assert log.nodes() == ["1", "2"] and len(log.query(limit=None)) == 20
