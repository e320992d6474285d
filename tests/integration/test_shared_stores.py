"""The SQLite stores written by two real processes at once, as ``pfbus serve --workers 2`` does
(the seen MessageIds: tests/unit/test_replay.py) — and a routing-log file, which the workers no
longer share (a file each: bus/store/routing_log_files.py) but a second writer still may
(``pfbus dlq replay``, retention of another worker's file).

Each test starts two processes that prepare their work, say so, then wait while the test holds
the file's write lock; the test releases it once both are waiting, so their transactions meet
at the lock — the interleaving forced, not hoped for. Then the file is checked: the routing
log's one chain verifies with every record of both; every notice is stored once and accepted by
exactly one process; no delivery is claimed by both, and two notices of one resident are never
in flight at once; every archived payload of both reads back.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bus.store.log_integrity import verify_log
from bus.store.notices.sqlite_store import SqliteNoticeStore
from bus.store.routing_log import RoutingLog, open_readonly
from tests.support.polling import wait_until

from .processes import REPO

pytestmark = pytest.mark.integration

KEY = "00" * 32  # the archive's test key (hex)

# Each child: argv = [store path, ready file, index, ...]; opens its store, says so
# (``opened()``), waits for the test's lock (``go()``), does its work; prints its result as JSON.
_PRELUDE = """
import json, sys, time
from pathlib import Path
path, ready, index = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
def opened():
    Path(f"{ready}.opened").touch()
    while not (ready.parent / "go").exists():
        time.sleep(0.01)
"""

ROUTING_LOG = _PRELUDE + """
from bus.store.routing_log import RoutingLog
from bus.store.hop_record import Hop, HopRecord, Status
log = RoutingLog(path, marks_runs=True, run_key=f"run:test/{index}", checkpoint_every=100)
opened()
for batch in range(20):  # 20 commits of 25 hops, each racing the other writer's
    log.record_many([HopRecord(hop=Hop.RECEIVED, status=Status.OK, message_id=f"p{index}-{batch}-{i}")
                     for i in range(25)])
    if batch == 0:
        ready.touch()  # the first batch waits at the test's lock
    log.flush(timeout=60)
log.close()
print(json.dumps({"written": 500}))
"""

NOTICES = _PRELUDE + """
from concurrent.futures import ThreadPoolExecutor
from bus.store.notices.base import NoticeRecord
from bus.store.notices.sqlite_store import SqliteNoticeStore
store = SqliteNoticeStore(path)
opened()
def accept(n):  # both processes accept the same 200 message IDs, in opposite orders
    record = NoticeRecord(f"m{n}", "juki.ResidentChangeNotice", "131016", "131016/01/a",
                          (f"131016:{n % 10}",), "text/xml", None, b"<x/>", time.time())
    return n, store.accept(record, ["tax"])
order = range(200) if index == 1 else range(199, -1, -1)
with ThreadPoolExecutor(8) as pool:
    futures = [pool.submit(accept, n) for n in order]
    ready.touch()
    accepted = [n for n, new in (f.result() for f in futures) if new]
# then both claim, as two workers' delivery loops do, until nothing is left to claim
node, claimed = f"node/{index}", []
while True:
    got = store.claim("tax", node, 600.0, 5)
    if not got:
        break
    for d in got:
        claimed.append([d.id, list(d.subjects)])
        store.complete(d.id, node)
store.close()
print(json.dumps({"accepted": accepted, "claimed": claimed}))
"""

ARCHIVE = _PRELUDE + """
from bus.store.archive import PayloadArchive
archive = PayloadArchive(path, bytes.fromhex(sys.argv[4]))
opened()
for i in range(300):
    archive.store(f"p{index}-{i}", "request", f"<payload {index} {i}/>".encode())
    if i == 0:
        ready.touch()
archive.close()
print(json.dumps({"written": 300}))
"""


def run_two(tmp_path: Path, script: str, path: Path, *extra: str) -> list[dict]:
    """Both processes open the store, then wait at a write lock held here until both are
    ready; their results."""
    children = [subprocess.Popen(
        [sys.executable, "-c", script, str(path), str(tmp_path / f"ready{index}"), str(index),
         *extra], cwd=REPO, stdout=subprocess.PIPE, text=True) for index in (1, 2)]
    wait_until(lambda: all((tmp_path / f"ready{i}.opened").exists() for i in (1, 2)), 60,
               "both processes with the store open")
    blocker = sqlite3.connect(path, isolation_level=None, timeout=30)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        (tmp_path / "go").touch()
        wait_until(lambda: all((tmp_path / f"ready{i}").exists() for i in (1, 2)), 60,
                   "both processes at the lock")
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    outputs = [child.communicate(timeout=120)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    return [json.loads(out) for out in outputs]


def test_one_routing_log_two_writers_one_intact_chain(tmp_path):
    path = tmp_path / "routing-log.sqlite3"
    RoutingLog(path).close()  # created and migrated before both open it
    run_two(tmp_path, ROUTING_LOG, path)
    log = open_readonly(path)
    try:
        ids = [h.message_id for h in log.query(limit=None)]
        report = verify_log(log)
        checkpoints = log.checkpoints()
    finally:
        log.close()
    assert report.intact, report.problem
    assert len(ids) == len(set(ids)) == 1000
    assert {i.split("-")[0] for i in ids} == {"p1", "p2"}
    assert [c[0] for c in checkpoints] == list(range(100, 1001, 100))
    # both closed cleanly: neither worker's run mark is left for a restart to find
    for index in (1, 2):
        with RoutingLog(path, marks_runs=True, run_key=f"run:test/{index}") as again:
            assert again.unclean is None


def test_a_killed_writers_run_mark_is_found_by_its_own_key_only(tmp_path):
    path = tmp_path / "routing-log.sqlite3"
    RoutingLog(path, marks_runs=True, run_key="run:n/2")  # never closed: a killed worker 2
    other = RoutingLog(path, marks_runs=True, run_key="run")  # worker 1, running on
    try:
        assert other.unclean is None
        with RoutingLog(path, marks_runs=True, run_key="run:n/2") as restarted:
            assert restarted.unclean is not None and restarted.unclean["after_id"] == 0
    finally:
        other.close()


def test_one_notice_store_two_processes_accept_once_and_never_claim_one_delivery_twice(
        tmp_path):
    path = tmp_path / "notices.sqlite3"
    SqliteNoticeStore(path).close()
    results = run_two(tmp_path, NOTICES, path)
    accepted = [set(r["accepted"]) for r in results]
    assert accepted[0].isdisjoint(accepted[1]) and accepted[0] | accepted[1] == set(range(200))
    claimed = [d for r in results for d in r["claimed"]]
    assert len(claimed) == len({d[0] for d in claimed}) == 200  # each delivery by one process
    with SqliteNoticeStore(path) as store:
        stats = store.stats()
    assert [(s.delivered, s.pending, s.inflight) for s in stats] == [(200, 0, 0)]
    # per-resident order across both: each process's claims of one subject rise in delivery id
    # (the claim never hands out a later notice of a subject while an earlier one is unfinished)
    for result in results:
        last: dict[str, int] = {}
        for delivery_id, subjects in result["claimed"]:
            for subject in subjects:
                assert delivery_id > last.get(subject, 0)
                last[subject] = delivery_id


def test_one_payload_archive_two_writers(tmp_path):
    from bus.store.archive import PayloadArchive
    path = tmp_path / "archive.sqlite3"
    PayloadArchive(path, bytes.fromhex(KEY)).close()
    run_two(tmp_path, ARCHIVE, path, KEY)
    with PayloadArchive(path, bytes.fromhex(KEY), readonly=True) as archive:
        for index in (1, 2):
            for i in (0, 150, 299):
                [payload] = archive.read(f"p{index}-{i}")
                assert payload.payload == f"<payload {index} {i}/>".encode()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM payloads").fetchone()[0] == 600
    finally:
        conn.close()
