"""A sighting of a MessageId decided at once, in the caller's thread, when its shard's turn is
free (bus/store/seen_messages.py, issue 13: no hand-off to the writer thread and back), and by
the writer thread when it is not — the same decision either way, exactly once across processes."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import uuid

from bus.store.seen_messages import SqliteSeenMessages
from tests.support.polling import wait_until
from bus.store.seen_shards import CHECKPOINT_COMMITS, shard_of
from bus.store.write_turns import SUFFIX

NOW = 1_900_000_000.0


def ids_in_shard(shard: int, count: int, shards: int) -> list[str]:
    ids: list[str] = []
    while len(ids) < count:
        mid = str(uuid.uuid4())
        if shard_of(mid, shards) == shard:
            ids.append(mid)
    return ids


def test_a_sighting_whose_shard_is_free_is_decided_at_once(tmp_path):
    handed: list = []  # what the writer thread handed back: nothing may go that way
    store = SqliteSeenMessages(tmp_path / "s.seen.sqlite3", clock=lambda: NOW,
                               deliver=handed.append)
    try:
        mid = str(uuid.uuid4())
        first = store.first_sighting(mid, NOW, NOW + 100)
        again = store.first_sighting(mid, NOW + 1, NOW + 101)
        assert first.called and first.result is True
        assert again.called and again.result is False
        store.flush()
        assert handed == []
    finally:
        store.close()
    reopened = SqliteSeenMessages(tmp_path / "s.seen.sqlite3", clock=lambda: NOW)
    try:  # committed: a restart still knows it
        later = reopened.first_sighting(mid, NOW + 2, NOW + 102)
        reopened.flush()
        assert later.result is False
    finally:
        reopened.close()


def test_a_sighting_whose_turn_is_taken_waits_for_the_writer_thread(tmp_path):
    store = SqliteSeenMessages(tmp_path / "s.seen.sqlite3", clock=lambda: NOW)
    try:
        mid = str(uuid.uuid4())
        path = store.paths[shard_of(mid, len(store.paths))]
        fd = os.open(f"{path}{SUFFIX}", os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # another worker's turn at that file
            waiter = store.first_sighting(mid, NOW, NOW + 100)
            assert not waiter.called  # queued: the writer thread waits for the turn
        finally:
            os.close(fd)  # the turn is given back
        wait_until(lambda: waiter.called, 30, "the writer thread decided it", interval=0.005)
        assert waiter.result is True
        assert store.first_sighting(mid, NOW, NOW + 100).result is False  # at once, a replay
    finally:
        store.close()


def test_commits_made_at_once_are_checkpointed_by_the_writer_thread(tmp_path):
    store = SqliteSeenMessages(tmp_path / "s.seen.sqlite3", clock=lambda: NOW)
    try:
        shard = store._shards[0]
        counted: list[int] = []
        committed = shard.checkpoints.committed
        shard.checkpoints.committed = lambda rows, commits=1: (counted.append(commits),
                                                                committed(rows, commits))
        ids = ids_in_shard(0, CHECKPOINT_COMMITS, len(store.paths))
        assert all(store.first_sighting(i, NOW, NOW + 100).result for i in ids)
        # no flush: the store wakes its writer thread for them once there are enough
        wait_until(lambda: sum(counted) >= CHECKPOINT_COMMITS, 30, "the writer counted them",
                   interval=0.005)
        assert sum(counted) == CHECKPOINT_COMMITS
    finally:
        store.close()


def test_two_processes_deciding_at_once_admit_each_id_once(tmp_path):
    """As test_replay's two-process test, without a lock held: the sightings are decided at
    once in both processes, racing for each shard's turn."""
    path = tmp_path / "s.seen.sqlite3"
    SqliteSeenMessages(path).close()  # the store exists before both open it
    ids = [str(uuid.uuid4()) for _ in range(2000)]
    (tmp_path / "ids").write_text("\n".join(ids))
    go = tmp_path / "go"
    children = [subprocess.Popen(
        [sys.executable, "-c", _SIGHTING_PROCESS, str(path), str(tmp_path / "ids"), str(go),
         str(tmp_path / f"ready{n}")], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONHASHSEED": str(n)}) for n in (1, 2)]
    wait_until(lambda: all((tmp_path / f"ready{n}").exists() for n in (1, 2)), 30, "both ready",
               interval=0.005)
    go.touch()
    outputs = [child.communicate(timeout=120)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0]
    admitted = [json.loads(out) for out in outputs]
    decided_at_once = sum(a["at_once"] for a in admitted)
    assert decided_at_once > 0  # the path under test was taken
    assert set(admitted[0]["ids"]).isdisjoint(admitted[1]["ids"])
    assert set(admitted[0]["ids"]) | set(admitted[1]["ids"]) == set(ids)


_SIGHTING_PROCESS = """
import json, sys, time
from pathlib import Path
from bus.store.seen_messages import SqliteSeenMessages
path, ids, go, ready = (Path(sys.argv[1]), Path(sys.argv[2]).read_text().split(),
                        Path(sys.argv[3]), Path(sys.argv[4]))
store = SqliteSeenMessages(path)
ready.touch()
while not go.exists():
    time.sleep(0.001)
now = time.time()
waiters = [(i, store.first_sighting(i, now, now + 100)) for i in ids]
at_once = sum(d.called for _, d in waiters)
store.flush()
store.close()
print(json.dumps({"at_once": at_once, "ids": [i for i, d in waiters if d.result]}))
"""
