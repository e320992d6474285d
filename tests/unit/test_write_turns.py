"""Turns at a SQLite file's write lock (bus/store/write_turns.py): the writers of the routing
log, the seen MessageIds, the notice store and the payload archive wait for a turn another
process holds and go on once it is given back; a dead holder gives it back; WAL checkpoints run
after the turn, not inside a COMMIT."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bus.store.archive import PayloadArchive
from bus.store.log_integrity import verify_log
from bus.store.notices.base import NoticeRecord
from bus.store.notices.sqlite_store import SqliteNoticeStore
from bus.store.hop_record import Hop, HopRecord, Status
from bus.store.routing_log import RoutingLog, open_readonly
from bus.store.seen_messages import SqliteSeenMessages
from bus.store.seen_shards import shard_of
from bus.store.write_turns import SUFFIX, Checkpoints, WriteTurns
from tests.support.polling import wait_until

HELD = 0.3  # seconds a test holds a turn and checks that nothing got past it meanwhile


class Holder:
    """Another writer's turn: its own open file description, as another process has."""

    def __init__(self, db: Path):
        self.fd = os.open(f"{db}{SUFFIX}", os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self):
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def hop(n: int) -> HopRecord:
    return HopRecord(hop=Hop.RECEIVED, status=Status.OK, message_id=f"m-{n}",
                     exchange_id=f"x-{n}")


def test_a_turn_is_not_taken_while_another_holds_it(tmp_path):
    turns = WriteTurns(tmp_path / "a.db")
    entered = threading.Event()

    def take() -> None:
        with turns:
            entered.set()

    with Holder(tmp_path / "a.db"):
        taker = threading.Thread(target=take)
        taker.start()
        assert not entered.wait(HELD)
    taker.join(10)
    assert entered.is_set()
    turns.close()


def test_a_process_that_dies_holding_its_turn_gives_it_back(tmp_path):
    db = tmp_path / "a.db"
    held = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from bus.store.write_turns import WriteTurns; "
         f"t = WriteTurns({str(db)!r}); t.__enter__(); print('held', flush=True); "
         "time.sleep(600)"], stdout=subprocess.PIPE, text=True)
    try:
        assert held.stdout is not None and held.stdout.readline().strip() == "held"
        probe = os.open(f"{db}{SUFFIX}", os.O_RDWR)
        with pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.kill()
        held.wait(10)
        with WriteTurns(db):  # would block for ever if the dead process still held it
            pass
        os.close(probe)
    finally:
        held.kill()
        held.wait(10)


def test_the_routing_log_commits_only_in_its_turn_and_its_chain_holds(tmp_path):
    db = tmp_path / "log.sqlite3"
    with RoutingLog(db) as log:
        log.record(hop(0))
        log.flush()
        with Holder(db):
            seq = log.record_many([hop(1), hop(2)])
            with pytest.raises(TimeoutError):
                log.flush(timeout=HELD)
            assert log.committed() < seq
            other = sqlite3.connect(db)  # what another worker wrote meanwhile, in its turn
            assert other.execute("SELECT COUNT(*) FROM hops").fetchone()[0] == 1
            other.close()
        log.flush(timeout=10)
        assert log.committed() == seq
        assert [h.message_id for h in log.query()] == ["m-0", "m-1", "m-2"]
        assert verify_log(log).intact


def test_hops_queued_while_the_writer_waits_for_its_turn_join_its_commit(tmp_path):
    """What comes while the writer waits for the turn goes into the same commit, not into
    another turn's: one commit for three hand-offs here, in order, a flush marker queued
    meanwhile released with it; a close meanwhile ends the writer after that commit."""
    db = tmp_path / "log.sqlite3"
    commits: list[int] = []
    log = RoutingLog(db, on_commit=commits.append)
    try:
        with Holder(db):
            log.record(hop(1))
            wait_until(log._queue.empty, 10, "the writer took the first hop")  # and waits
            log.record_many([hop(2), hop(3)])
            last = log.record(hop(4))
            flushed = threading.Thread(target=log.flush, kwargs={"timeout": 30})
            flushed.start()
            closing = threading.Thread(target=log.close)
            wait_until(lambda: not log._queue.empty(), 10, "the flush marker queued")
            closing.start()
        flushed.join(30)
        closing.join(30)
        assert not flushed.is_alive() and not closing.is_alive()
        assert commits == [last]  # one commit for all four hops
    finally:
        log.close()
    with open_readonly(db) as ro:
        assert [h.message_id for h in ro.query()] == ["m-1", "m-2", "m-3", "m-4"]
        assert verify_log(ro).intact


def test_the_seen_messages_decide_only_in_their_turn_of_their_shard(tmp_path):
    """A sighting waits for the turn of its ID's file (shard), not another file's: while another
    process holds m-2's shard, m-1 is decided; while it holds m-1's, m-1 waits until the turn
    is given back (bus/store/seen_shards.py; with one file for all, both waited)."""
    db = tmp_path / "seen.sqlite3"
    seen = SqliteSeenMessages(db)
    try:
        assert (shard_of("m-1", len(seen.paths)), shard_of("m-2", len(seen.paths))) == (4, 6)
        now = time.time()
        with Holder(seen.paths[6]):
            first = seen.first_sighting("m-1", now, now + 60)
            wait_until(lambda: first.called, 10, "m-1 decided beside a turn of another shard")
        assert first.result is True
        with Holder(seen.paths[4]):
            again = seen.first_sighting("m-1", now, now + 60)
            time.sleep(HELD)
            assert not again.called
        seen.flush()
        assert again.result is False
    finally:
        seen.close()


def test_checkpoints_run_after_n_commits_or_rows_not_inside_a_commit(tmp_path):
    db = tmp_path / "c.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (b BLOB)")
    checkpoints = Checkpoints(conn, commits=2, rows=10)
    size = db.stat().st_size
    # more than SQLite's automatic threshold (1,000 pages of 4 KB): that commit would copy the
    # WAL into the database file itself, inside the COMMIT (and so inside a writer's turn)
    conn.execute("INSERT INTO t VALUES (zeroblob(5000000))")
    checkpoints.committed(1)
    assert db.stat().st_size == size  # still only in the WAL
    conn.execute("INSERT INTO t VALUES (zeroblob(10))")
    checkpoints.committed(1)  # the second commit: checkpointed now
    grown = db.stat().st_size
    assert grown > 5_000_000
    conn.execute("INSERT INTO t VALUES (zeroblob(5000000))")
    checkpoints.committed(10)  # ten rows: checkpointed at once
    assert db.stat().st_size > grown + 4_000_000
    conn.close()


def test_the_routing_log_checkpoints_after_its_turn_not_in_the_commit(tmp_path):
    """A commit past SQLite's automatic threshold copies nothing into the database while the
    writer holds its turn; the log's own checkpoint copies it once the turn is given back."""
    db = tmp_path / "log.sqlite3"
    with RoutingLog(db) as log:
        log.flush()
        size = db.stat().st_size
        turns, at_end_of_turn = log._turns, []
        assert turns is not None

        class Watched:  # the log's turns, noting the database's size as each turn ends
            def __enter__(self):
                turns.__enter__()

            def __exit__(self, *exc):
                at_end_of_turn.append(db.stat().st_size)
                turns.__exit__(*exc)

            def close(self):
                turns.close()

        log._turns = Watched()
        log.record_many([hop(n) for n in range(15_000)])  # one commit of ~1,400 pages
        log.flush(timeout=60)
        assert at_end_of_turn == [size]
        assert db.stat().st_size > size + 1_000_000


def test_the_notice_store_accepts_and_claims_only_in_its_turn(tmp_path):
    db = tmp_path / "notices.sqlite3"
    record = NoticeRecord(message_id="n-1", service_id="juki.ResidentChangeNotice",
                          local_gov_code="131016", sender="131016/01/vendor-a-juki",
                          subjects=("131016:0000010014",), content_type="text/xml",
                          soap_action=None, payload=b"<n/>", received_at=0.0)
    with SqliteNoticeStore(db) as store:
        accepted: list = []
        with Holder(db):
            store.accept_async(record, ["tax"], lambda new, error: accepted.append((new, error)))
            claimed: list = []
            claimer = threading.Thread(target=lambda: claimed.append(
                store.claim("tax", "node", 30.0, 10)))
            claimer.start()
            time.sleep(HELD)
            assert accepted == [] and claimed == []
        claimer.join(10)
        wait_until(lambda: accepted, 10, "the accept committed")
        assert accepted == [(True, None)] and len(claimed) == 1


def test_the_payload_archive_commits_only_in_its_turn(tmp_path):
    db = tmp_path / "archive.sqlite3"
    with PayloadArchive(db, b"k" * 32) as archive:
        with Holder(db):
            seq = archive.store("m-1", "request", b"<x/>")
            with pytest.raises(TimeoutError):
                archive.flush(timeout=HELD)
        archive.flush(timeout=10)
        assert archive.committed() == seq
        assert [p.payload for p in archive.read("m-1")] == [b"<x/>"]
