"""The seen MessageIds split into files by a hash of the ID (bus/store/seen_shards.py): an
upgrade from the single file forgets no ID, the count of shards is the store's and not the
code's, and the purge of expired IDs reaches every file."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bus.store import seen_messages, seen_shards
from bus.store.seen_messages import SqliteSeenMessages
from bus.store.seen_shards import shard_of, shard_path
from bus.store.write_turns import SUFFIX
from tests.support.polling import wait_until

NOW = 1_800_000_000.0


def sightings(store, ids, now, expires_at):
    waiters = [store.first_sighting(i, now, expires_at) for i in ids]
    store.flush()
    return [d.result for d in waiters]


def single_file(path: Path, rows: list[tuple[str, float]]) -> None:
    """A store as the version before the shards wrote it: one file, the same table."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE seen_messages (message_id TEXT PRIMARY KEY, expires_at REAL "
                 "NOT NULL) WITHOUT ROWID")
    conn.execute("CREATE INDEX seen_messages_expiry ON seen_messages (expires_at)")
    with conn:  # one transaction
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO seen_messages VALUES (?, ?)", rows)
    conn.close()


def ids_in(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT message_id FROM seen_messages")}
    finally:
        conn.close()


def test_the_shard_of_an_id_is_fixed():
    """Stored on disk: the same in every process and version (CRC-32, not Python's hash)."""
    assert [shard_of(m, 8) for m in ("m-1", "m-2", "m-3", "ÿ-4")] == [4, 6, 0, 3]
    assert shard_path(Path("/v/log.seen.sqlite3"), 0) == Path("/v/log.seen.sqlite3")
    assert shard_path(Path("/v/log.seen.sqlite3"), 3) == Path("/v/log.seen.shard-3.sqlite3")


def test_an_upgrade_from_the_single_file_forgets_no_id(tmp_path, monkeypatch):
    """Every unexpired ID of the single file is a replay after the upgrade, in whichever shard
    it now lies; each file holds only its own IDs; expired ones are not carried over. Copied in
    chunks smaller than the file, as a large store is."""
    monkeypatch.setattr(seen_shards, "COPY_CHUNK", 70)
    path = tmp_path / "log.seen.sqlite3"
    live = [str(uuid.uuid4()) for _ in range(400)]
    expired = [str(uuid.uuid4()) for _ in range(40)]
    single_file(path, [(m, NOW + 100) for m in live] + [(m, NOW - 1) for m in expired])
    store = SqliteSeenMessages(path, clock=lambda: NOW)
    try:
        assert len(store.paths) == seen_shards.SHARDS
        for k, file in enumerate(store.paths):  # shard 0 may still hold its expired IDs
            held = ids_in(file) - (set(expired) if k == 0 else set())
            assert held == {m for m in live if shard_of(m, len(store.paths)) == k}
        assert sightings(store, live, NOW + 1, NOW + 200) == [False] * len(live)
        assert all(sightings(store, expired, NOW + 1, NOW + 200))
    finally:
        store.close()


def test_a_take_over_interrupted_is_done_again_at_the_next_open(tmp_path):
    """A crash after some rows were copied into their shards, before shard 0 recorded the
    layout: the next open copies again, keeping the later expiry, and forgets nothing."""
    path = tmp_path / "log.seen.sqlite3"
    ids = [str(uuid.uuid4()) for _ in range(100)]
    single_file(path, [(m, NOW + 100) for m in ids])
    moved = next(m for m in ids if shard_of(m, seen_shards.SHARDS) == 2)
    partial = seen_shards.connect(shard_path(path, 2))  # what the interrupted copy wrote
    partial.execute("INSERT INTO seen_messages VALUES (?, ?)", (moved, NOW + 50))
    partial.close()
    store = SqliteSeenMessages(path, clock=lambda: NOW)
    try:
        assert sightings(store, ids, NOW + 60, NOW + 200) == [False] * len(ids)
        assert len(store) == len(ids)
    finally:
        store.close()


def test_the_recorded_count_of_shards_is_kept(tmp_path, monkeypatch):
    """A store made with 8 files keeps 8 when the code's default changes: its IDs are looked
    for where they were put."""
    path = tmp_path / "log.seen.sqlite3"
    ids = [str(uuid.uuid4()) for _ in range(60)]
    store = SqliteSeenMessages(path, clock=lambda: NOW)
    assert all(sightings(store, ids, NOW, NOW + 100))
    store.close()
    monkeypatch.setattr(seen_shards, "SHARDS", 3)
    store = SqliteSeenMessages(path, clock=lambda: NOW)
    try:
        assert len(store.paths) == 8
        assert sightings(store, ids, NOW + 1, NOW + 101) == [False] * len(ids)
    finally:
        store.close()


def test_workers_starting_together_on_a_single_file_take_it_over_once(tmp_path):
    """Two processes open a single-file store at the same moment (workers started after an
    upgrade): both find no layout and wait for shard 0's turn (held here until the kernel shows
    both waiting: the overlap forced); the first takes the file over, the second finds the
    layout recorded in its turn and takes nothing over twice; no ID is forgotten."""
    path = tmp_path / "log.seen.sqlite3"
    ids = [str(uuid.uuid4()) for _ in range(3000)]
    single_file(path, [(m, 4e9) for m in ids])
    (tmp_path / "ids").write_text("\n".join(ids))
    turn = os.open(f"{path}{SUFFIX}", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(turn, fcntl.LOCK_EX)
        children = [subprocess.Popen([sys.executable, "-c", _OPEN_AND_SIGHT, str(path),
                                      str(tmp_path / "ids")], stdout=subprocess.PIPE, text=True)
                    for _ in range(2)]
        wait_until(lambda: waiting_for(Path(f"{path}{SUFFIX}")) == 2, 30,
                   "both processes waiting for shard 0's turn")
        fcntl.flock(turn, fcntl.LOCK_UN)
    finally:
        os.close(turn)
    outputs = [child.communicate(timeout=60)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0]
    assert outputs == ["0\n", "0\n"]  # no ID admitted again by either


def waiting_for(lock: Path) -> int:
    """Processes blocked in flock on ``lock`` (the kernel's /proc/locks: "->" lines)."""
    inode = f":{lock.stat().st_ino} "
    return sum(1 for line in Path("/proc/locks").read_text().splitlines()
               if "->" in line and inode in line)


_OPEN_AND_SIGHT = """
import sys, time
from pathlib import Path
from bus.store.seen_messages import SqliteSeenMessages
store = SqliteSeenMessages(Path(sys.argv[1]))
now = time.time()
waiters = [store.first_sighting(i, now, now + 100) for i in Path(sys.argv[2]).read_text().split()]
store.flush()
store.close()
print(sum(1 for d in waiters if d.result))
"""


def test_the_purge_deletes_expired_ids_in_every_file(tmp_path, monkeypatch):
    """Retention of the seen IDs: the writer's purge goes through every shard, and goes on at
    once while a shard still had a full batch to delete."""
    monkeypatch.setattr(seen_messages, "PURGE_BATCH", 5)
    path = tmp_path / "log.seen.sqlite3"
    store = SqliteSeenMessages(path, clock=lambda: NOW)
    old = [str(uuid.uuid4()) for _ in range(200)]
    assert all(sightings(store, old, NOW, NOW + 100))
    store.close()
    assert all(ids_in(file) for file in store.paths)  # every file had some
    later = [NOW + 1000]
    store = SqliteSeenMessages(path, clock=lambda: later[0])
    try:
        for _ in range(30):  # each batch of the writer purges at most 5 rows a file
            sightings(store, [str(uuid.uuid4())], later[0], later[0] + 100)
        assert not any(ids_in(file) & set(old) for file in store.paths)
        assert len(store) == 30
    finally:
        store.close()


@pytest.mark.parametrize("count", [1, 8])
def test_a_batch_is_decided_shard_by_shard_in_order(tmp_path, monkeypatch, count):
    """The same ID twice in one batch: the first admitted, the second a replay, whatever the
    number of files."""
    monkeypatch.setattr(seen_shards, "SHARDS", count)
    store = SqliteSeenMessages(tmp_path / "s.sqlite3", clock=lambda: NOW)
    try:
        a, b = str(uuid.uuid4()), str(uuid.uuid4())
        assert sightings(store, [a, b, a, b, a], NOW, NOW + 10) == [True, True, False, False,
                                                                    False]
    finally:
        store.close()
