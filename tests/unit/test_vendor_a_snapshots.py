"""Vendor A's 全件抽出 snapshots in the database (adapters/vendor_a_registry/snapshot.py): built
in batches from one read transaction, the same for a repeated RequestId, and pruned when
abandoned (unread past the lease, too old, or left unfinished by a builder that died)."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading

import pytest

from adapters.vendor_a_registry import snapshot
from adapters.vendor_a_registry.migration import populate
from adapters.vendor_a_registry.store import RESIDENT_COLUMN_NAMES, RegistryStore, seed
from tests.support.polling import wait_until

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture
def store(tmp_path):
    store = RegistryStore.open(tmp_path / "a.sqlite3")
    seed(store)
    populate(store, 2_000)
    yield store
    store.close()


def build(store, request_id=None, batch=300) -> snapshot.Head:
    builder = snapshot.SnapshotBuilder(store.path, RESIDENT_COLUMN_NAMES, batch=batch)
    head, created = builder.open(None, "131016/07/vendor-b-tax", request_id)
    if created:
        builder.copy(head.extract_id, lambda built: None)
    return head


def rows_of(store, extract_id) -> int:
    return store.conn.execute('SELECT count(*) FROM "全件抽出" WHERE "抽出ID" = ?',
                              (extract_id,)).fetchone()[0]


def test_a_batched_build_is_one_consistent_snapshot_in_addressee_order(store):
    builder = snapshot.SnapshotBuilder(store.path, RESIDENT_COLUMN_NAMES, batch=300)
    head, _ = builder.open(None, "r", None)
    before = [dict(r) for r in store.conn.execute('SELECT * FROM "住民" ORDER BY "宛名番号"')]
    first = before[0]["宛名番号"]
    store.upsert_resident({**before[0], "住所1": "永田町"})  # changes after the snapshot began …
    store.conn.execute('DELETE FROM "住民" WHERE "宛名番号" = ?', (before[-1]["宛名番号"],))
    store.conn.commit()
    progress: list[int] = []
    assert builder.copy(head.extract_id, progress.append) == len(before) == head.count
    assert progress == [min(n, len(before)) for n in range(300, len(before) + 300, 300)]
    total, page = store.extract_page(head.extract_id, 1, len(before))
    assert total == len(before) and page == before  # … are not in it
    assert page[0]["宛名番号"] == first and page[0]["住所1"] != "永田町"


def test_the_same_request_id_finds_the_same_snapshot(store):
    one = build(store, "load-1")
    again = build(store, "load-1")
    assert again.extract_id == one.extract_id and again.complete
    assert rows_of(store, one.extract_id) == one.count  # copied once
    assert build(store, "load-2").extract_id != one.extract_id


def test_a_page_not_built_yet_is_not_served(store):
    builder = snapshot.SnapshotBuilder(store.path, RESIDENT_COLUMN_NAMES, batch=300)
    head, _ = builder.open(None, "r", None)
    with pytest.raises(snapshot.ExtractNotReady):
        store.extract_page(head.extract_id, 1, 10)
    builder.copy(head.extract_id, lambda built: None)
    assert len(store.extract_page(head.extract_id, 1, 10)[1]) == 10


def test_snapshots_unread_past_the_lease_or_too_old_are_pruned(store):
    read, unread = build(store), build(store)
    store.extract_page(read.extract_id, 1, 10)  # renews its lease
    store.conn.execute('UPDATE "全件抽出管理" SET "最終利用日時" = ?, "作成日時" = ? '
                       'WHERE "抽出ID" = ?', ((NOW - dt.timedelta(hours=7)).isoformat(),
                                            (NOW - dt.timedelta(hours=7)).isoformat(),
                                            unread.extract_id))
    store.conn.commit()
    assert snapshot.prune(store.conn, batch=500) == [unread.extract_id]
    assert rows_of(store, unread.extract_id) == 0
    with pytest.raises(snapshot.UnknownExtract):
        store.extract_page(unread.extract_id, 1, 10)
    assert rows_of(store, read.extract_id) == read.count
    assert snapshot.prune(store.conn, now=NOW + dt.timedelta(hours=25)) == [read.extract_id]


def test_a_snapshot_left_unfinished_by_a_dead_builder_is_pruned(store):
    builder = snapshot.SnapshotBuilder(store.path, RESIDENT_COLUMN_NAMES, batch=300)
    head, _ = builder.open(None, "r", "load-9")
    copied = []

    def die(built):  # the process dies after the second batch
        copied.append(built)
        if len(copied) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        builder.copy(head.extract_id, die)
    with pytest.raises(snapshot.UnknownExtract):  # marked at once: its pages are never served
        store.extract_page(head.extract_id, 1, 10)
    assert snapshot.find(store.conn, "r", "load-9") is None  # a retry builds a new one
    assert snapshot.prune(store.conn) == [head.extract_id]
    assert rows_of(store, head.extract_id) == 0


def test_at_start_unfinished_snapshots_of_a_previous_run_are_abandoned(store):
    builder = snapshot.SnapshotBuilder(store.path, RESIDENT_COLUMN_NAMES, batch=300)
    head, _ = builder.open(None, "r", None)  # the process was killed here: copy never ran
    assert snapshot.abandon_unfinished(store.conn) == 1
    assert snapshot.prune(store.conn) == [head.extract_id]
    done = build(store)
    assert snapshot.abandon_unfinished(store.conn) == 0 and snapshot.prune(store.conn) == []
    assert rows_of(store, done.extract_id) == done.count


def test_a_store_of_the_previous_layout_is_upgraded(tmp_path):
    conn = sqlite3.connect(tmp_path / "old.sqlite3")
    conn.executescript('CREATE TABLE "全件抽出管理" ("抽出ID" TEXT PRIMARY KEY, '
                       '"作成日時" TEXT NOT NULL, "件数" INTEGER NOT NULL);'
                       f'INSERT INTO "全件抽出管理" VALUES (\'old\', \'{NOW.isoformat()}\', 0);')
    conn.close()
    store = RegistryStore.open(tmp_path / "old.sqlite3")
    assert snapshot.head(store.conn, "old").complete
    assert store.create_extract(request_id="x", requester="r") == \
        store.create_extract(request_id="x", requester="r")


def test_a_snapshot_of_the_previous_version_holding_objects_is_read_as_before(store):
    """Snapshots rows are JSON arrays in the order of the head's 列名; one made before (no 列名)
    holds JSON objects and is read as such, the same records."""
    now = NOW.isoformat()
    with store.conn:
        store.conn.execute('INSERT INTO "全件抽出" SELECT \'old\', row_number() OVER (ORDER BY '
                           '"宛名番号") - 1, json_object(' + ", ".join(
                               f"'{c}', \"{c}\"" for c in RESIDENT_COLUMN_NAMES) +
                           ') FROM "住民"')
        count = store.conn.execute('SELECT count(*) FROM "住民"').fetchone()[0]
        store.conn.execute('INSERT INTO "全件抽出管理" ("抽出ID", "作成日時", "件数", "状態", '
                           '"作成済件数", "最終利用日時") VALUES (\'old\', ?, ?, ?, ?, ?)',
                           (now, count, snapshot.COMPLETE, count, now))
    new = build(store)
    assert snapshot.head(store.conn, "old").columns is None
    assert snapshot.head(store.conn, new.extract_id).columns == RESIDENT_COLUMN_NAMES
    assert store.extract_page("old", 2, 700) == store.extract_page(new.extract_id, 2, 700)
    assert store.extract_page("old", 2, 700)[1][0] == store.residents()[700]


def test_a_page_read_renews_the_lease_at_most_once_a_minute(store):
    head = build(store)
    set_used = 'UPDATE "全件抽出管理" SET "最終利用日時" = ? WHERE "抽出ID" = ?'
    used = 'SELECT "最終利用日時" FROM "全件抽出管理" WHERE "抽出ID" = ?'
    for ago, renewed in ((dt.timedelta(seconds=30), False), (dt.timedelta(minutes=2), True)):
        # the page read compares with the wall clock: NOW (taken at import) may be minutes old
        then = (dt.datetime.now(dt.timezone.utc) - ago).isoformat()
        with store.conn:
            store.conn.execute(set_used, (then, head.extract_id))
        store.extract_page(head.extract_id, 1, 10)
        after = store.conn.execute(used, (head.extract_id,)).fetchone()[0]
        assert (after != then) is renewed


def test_a_stopping_builder_gives_up_between_two_batches(store):
    stop = threading.Event()
    builder = snapshot.SnapshotBuilder(store.path, RESIDENT_COLUMN_NAMES, batch=300, stop=stop)
    head, _ = builder.open(None, "r", None)
    with pytest.raises(snapshot.SnapshotStopped):
        builder.copy(head.extract_id, lambda built: stop.set())  # the process stops
    assert rows_of(store, head.extract_id) == 300  # one batch, not the whole copy
    with pytest.raises(snapshot.UnknownExtract):
        store.extract_page(head.extract_id, 1, 10)


def test_a_builder_with_ahead_copies_only_that_far_past_the_pages_asked_for(store):
    """The copy follows the pages asked for (its cost spread over the transfer): it stops
    ``ahead`` records past the most wanted, goes on as more is wanted, and the snapshot is the
    same consistent one (rows made after it began are not in it)."""
    builder = snapshot.SnapshotBuilder(store.path, RESIDENT_COLUMN_NAMES, batch=300, ahead=600)
    head, _ = builder.open(None, "r", None)
    everyone = [r["宛名番号"] for r in store.residents()]
    store.conn.execute('DELETE FROM "住民" WHERE "宛名番号" = ?', (everyone[-1],))
    store.conn.commit()
    progress: list[int] = []
    copying = threading.Thread(target=builder.copy, args=(head.extract_id, progress.append))
    copying.start()
    try:
        wait_until(lambda: progress[-1:] == [600], 30, "the first 600 records copied")
        copying.join(0.3)  # 600 ≥ 0 wanted + 600 ahead: it waits (no third batch)
        assert progress == [300, 600] and copying.is_alive()
        builder.want(700)  # a page needs the first 700: the copy runs to ≥ 1,300
        wait_until(lambda: progress[-1] >= 1_300, 30, "the copy to follow the demand")
        copying.join(0.3)
        assert progress == [300, 600, 900, 1_200, 1_500]
        builder.want(head.count)  # the last page asked for: the rest is copied
        copying.join(30)
        assert not copying.is_alive() and progress[-1] == head.count == len(everyone)
    finally:
        builder.stop.set()
        copying.join(30)
    total, rows = store.extract_page(head.extract_id, 1, head.count)
    assert total == head.count and [r["宛名番号"] for r in rows] == everyone


def test_a_builder_waiting_for_demand_stops_when_told_or_when_no_page_is_asked_for(store):
    for stop_it in (True, False):
        builder = snapshot.SnapshotBuilder(store.path, RESIDENT_COLUMN_NAMES, batch=300,
                                           ahead=300, idle=dt.timedelta(seconds=0 if not
                                                                        stop_it else 3600))
        head, _ = builder.open(None, "r", None)
        if stop_it:
            threading.Timer(0.2, builder.stop.set).start()
        with pytest.raises(snapshot.SnapshotStopped):  # idle 0: abandoned after one batch
            builder.copy(head.extract_id, lambda built: None)
        assert rows_of(store, head.extract_id) == 300
        with pytest.raises(snapshot.UnknownExtract):  # marked for pruning
            store.extract_page(head.extract_id, 1, 10)


def test_the_wal_the_snapshot_pinned_is_checkpointed_by_the_builder(store):
    # The builder's read transaction keeps every copied row in the WAL (0.7 GB at 1,000,000
    # residents). Unless the builder checkpoints it, the next commit does — an inquiry's access
    # record in the reactor thread, which stalled inquiries ~1 s (bench/full_transfer.py).
    path = store.path
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = os.path.getsize(path)
    head = build(store)
    assert rows_of(store, head.extract_id) == head.count > 0
    page_size = store.conn.execute("PRAGMA page_size").fetchone()[0]
    assert os.path.getsize(path) - before >= head.count * 40 // page_size * page_size


def test_records_that_fit_in_one_batch_are_copied_by_open_at_once(store):
    """One batch or less: ``open`` copies them in its write transaction — complete at once,
    pages served, ``copy`` has nothing left to do, and the RequestId finds it again."""
    count = len(store.residents())
    builder = snapshot.SnapshotBuilder(store.path, RESIDENT_COLUMN_NAMES, batch=count)
    head, created = builder.open(None, "r", "load-small")
    assert created and head.complete and head.count == head.built == count
    assert rows_of(store, head.extract_id) == count
    total, rows = store.extract_page(head.extract_id, 1, count)
    everyone = [dict(r) for r in store.conn.execute('SELECT * FROM "住民" ORDER BY "宛名番号"')]
    assert total == count and rows == everyone
    progress: list[int] = []
    assert builder.copy(head.extract_id, progress.append) == count and progress == [count]
    assert rows_of(store, head.extract_id) == count  # nothing copied twice
    again, created = snapshot.SnapshotBuilder(store.path, RESIDENT_COLUMN_NAMES,
                                              batch=count).open(None, "r", "load-small")
    assert not created and again.extract_id == head.extract_id
    assert snapshot.abandon_unfinished(store.conn) == 0  # not left 作成中


def test_pruning_finds_the_heads_it_prunes_by_index(store):
    """RegistryStore.create_extract prunes before each extract: a search reading every head
    made each extract cost as much as all the kept ones (quadratic in a day's extracts)."""
    for search in snapshot.PRUNE_SEARCHES:
        plan = " ".join(row[3] for row in store.conn.execute(
            "EXPLAIN QUERY PLAN " + search, ("x",) * search.count("?")))
        assert "USING INDEX" in plan and "SCAN" not in plan, (search, plan)
