"""The seen MessageIds on PostgreSQL (bus/store/seen_messages_pg.py): the SQLite store's
contract (tests/unit/test_replay.py) on one table shared by several hubs. Each test has its own
schema (tests/conftest.py ``postgres_url``); outside CI they skip, saying so, when no server
answers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import psycopg
import pytest
from psycopg import sql
from twisted.internet import defer
from twisted.python.failure import Failure

from bus.core import faults
from bus.core.faults import HubFault
from bus.core.replay import Freshness, ReplayGuard, SeenMessagesUnavailable
from bus.store.seen_messages_pg import PostgresSeenMessages
from tests.support.polling import wait_until

pytestmark = pytest.mark.integration

NOW = time.time()


def sightings(store, ids, now, expires_at):
    waiters = [store.first_sighting(i, now, expires_at) for i in ids]
    store.flush()
    return [d.result for d in waiters]


def test_admits_once_survives_a_restart_and_expiry_readmits(postgres_url):
    store = PostgresSeenMessages(postgres_url, clock=lambda: NOW)
    ids = [str(uuid.uuid4()) for _ in range(50)]
    assert all(sightings(store, ids, NOW, NOW + 100))
    assert not any(sightings(store, ids, NOW + 1, NOW + 101))
    store.close()
    store = PostgresSeenMessages(postgres_url, clock=lambda: NOW)
    assert sightings(store, ids[:2], NOW + 50, NOW + 150) == [False, False]  # after a restart
    assert sightings(store, ids[1:2], NOW + 100, NOW + 200) == [True]  # expired: admitted again
    # each sighting is judged at its own time, in one batch
    assert sightings(store, ids[2:4], NOW + 99, NOW + 199) == [False, False]
    store.close()
    store = PostgresSeenMessages(postgres_url, clock=lambda: NOW + 1000)  # purges expired rows
    sightings(store, [str(uuid.uuid4())], NOW + 1000, NOW + 1100)
    assert len(store) == 1
    store.close()


def test_the_same_id_twice_in_one_batch_admits_the_first(postgres_url, postgres_dsn):
    """Sightings queued while another session locks the table are decided in one statement:
    the first of an ID is admitted, its repeats are replays (PostgreSQL refuses to change one
    row twice in a statement: the store inserts it once)."""
    store = PostgresSeenMessages(postgres_url, clock=lambda: NOW)
    with psycopg.connect(postgres_dsn) as blocker:
        blocker.execute(sql.SQL("LOCK TABLE {}.seen_messages IN EXCLUSIVE MODE").format(
            sql.Identifier(store.schema)))
        mid, other = str(uuid.uuid4()), str(uuid.uuid4())
        waiters = [store.first_sighting(m, NOW, NOW + 100) for m in (mid, other, mid, mid)]
    store.flush()
    store.close()
    assert [d.result for d in waiters] == [True, True, False, False]


def test_a_lost_connection_refuses_that_batch_then_reconnects(postgres_url, postgres_dsn):
    """Evidence or refuse: a sighting the store cannot decide is PF-LOG-UNAVAILABLE through the
    guard, never admitted; the next batch reconnects."""
    store = PostgresSeenMessages(postgres_url, clock=lambda: NOW)
    guard = ReplayGuard(store, window=100, freshness=_freshness())
    assert sightings(store, [str(uuid.uuid4())], NOW, NOW + 100) == [True]
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        # waits (up to 10 s) until the backend is gone: the next batch meets a dead connection
        admin.execute("SELECT pg_terminate_backend(%s, 10000)", (store._conn.info.backend_pid,))
    mid = str(uuid.uuid4())
    refused = _admit(guard, store, mid)
    assert isinstance(refused, HubFault) and refused.fault == faults.LOG_UNAVAILABLE
    assert _admit(guard, store, mid) is None  # not recorded before: admitted now
    refused = _admit(guard, store, mid)
    assert isinstance(refused, HubFault) and refused.fault == faults.DUPLICATE_MESSAGE
    store.close()


def test_a_lock_held_too_long_refuses_the_batch(postgres_url, postgres_dsn, monkeypatch):
    """A batch that cannot be decided within the busy timeout is refused, not left waiting."""
    monkeypatch.setattr("bus.store.seen_messages_pg.BUSY_TIMEOUT", 0.5)
    store = PostgresSeenMessages(postgres_url, clock=lambda: NOW)
    mid = str(uuid.uuid4())
    with psycopg.connect(postgres_dsn) as blocker:
        blocker.execute(sql.SQL("LOCK TABLE {}.seen_messages IN EXCLUSIVE MODE").format(
            sql.Identifier(store.schema)))
        waiter = store.first_sighting(mid, NOW, NOW + 100)
        store.flush()  # decided while the lock is still held
    assert isinstance(waiter.result, Failure)
    assert "QueryCanceled" in str(waiter.result.value)
    waiter.addErrback(lambda failure: None)  # seen
    assert sightings(store, [mid], NOW, NOW + 100) == [True]  # not recorded by the refused batch
    store.close()


def test_the_schema_is_versioned_adopts_an_unversioned_table_and_refuses_a_newer_one(
        postgres_url, postgres_dsn, postgres_schema):
    """Its own versions table (bus/store/pg_schema.py): a table made before versions were
    recorded keeps its rows, and a schema a newer pfbus migrated further is refused at the start
    with the version named, never written with the older layout."""
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:  # as released before versions
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(postgres_schema)))
        conn.execute(sql.SQL('CREATE TABLE {}.seen_messages (message_id text COLLATE "C" '
                             "PRIMARY KEY, expires_at double precision NOT NULL)").format(
            sql.Identifier(postgres_schema)))
        conn.execute(sql.SQL("INSERT INTO {}.seen_messages VALUES ('before', %s)").format(
            sql.Identifier(postgres_schema)), (NOW + 100,))
    store = PostgresSeenMessages(postgres_url, clock=lambda: NOW)
    assert sightings(store, ["before", "after"], NOW, NOW + 100) == [False, True]
    store.close()
    versions = sql.SQL("SELECT version FROM {}.seen_messages_migrations ORDER BY version").format(
        sql.Identifier(postgres_schema))
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        assert [v for (v,) in conn.execute(versions).fetchall()] == [1]
        conn.execute(sql.SQL("INSERT INTO {}.seen_messages_migrations (version) VALUES (99)")
                     .format(sql.Identifier(postgres_schema)))
    with pytest.raises(SeenMessagesUnavailable, match="at version 99, newer than this pfbus"):
        PostgresSeenMessages(postgres_url, clock=lambda: NOW)


def test_an_unreachable_server_is_said_at_the_start():
    with pytest.raises(SeenMessagesUnavailable, match="seen|127.0.0.1"):
        PostgresSeenMessages("postgresql://postgres@127.0.0.1:1/test?schema=pfbus_none")


def test_a_hub_that_cannot_open_it_does_not_start(tmp_path):
    """[store] seen_messages unreachable: pfbus serve exits with a configuration error naming
    the key and file, the URL's password not echoed."""
    config = tmp_path / "hub.toml"
    config.write_text('[hub]\nlisten = "127.0.0.1:0"\nallow_plain_http = true\n[store]\n'
                      'seen_messages = "postgresql://postgres:secret@127.0.0.1:1/test?schema=s"\n')
    done = subprocess.run([sys.executable, "-m", "bus.cli.main", "serve", "--config", str(config)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{config}: store.seen_messages: cannot open the MessageIds seen: postgresql://…@" \
        in done.stderr
    assert "secret" not in done.stdout + done.stderr


def test_two_processes_admit_each_id_once(postgres_url, postgres_dsn, tmp_path):
    """Two hubs on one database: every ID both sight at the same moment is admitted by exactly
    one. Both queue their sightings while a third session locks the table, so their statements
    run together once it is released (the interleaving forced, not hoped for)."""
    PostgresSeenMessages(postgres_url).close()  # the table exists before the processes start
    ids = [str(uuid.uuid4()) for _ in range(300)]
    (tmp_path / "ids").write_text("\n".join(ids))
    schema = postgres_url.rpartition("schema=")[2]
    with psycopg.connect(postgres_dsn) as blocker:
        blocker.execute(sql.SQL("LOCK TABLE {}.seen_messages IN EXCLUSIVE MODE").format(
            sql.Identifier(schema)))
        children = [subprocess.Popen(
            [sys.executable, "-c", _SIGHTING_PROCESS, postgres_url, str(tmp_path / "ids"),
             str(tmp_path / f"queued{n}")], stdout=subprocess.PIPE, text=True) for n in (1, 2)]
        wait_until(lambda: all((tmp_path / f"queued{n}").exists() for n in (1, 2)), 30,
                   "both processes queued their sightings")
        wait_until(lambda: _waiting(postgres_dsn, schema) == 2, 30,
                   "both processes' statements to wait for the lock")
    outputs = [child.communicate(timeout=60)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0]
    admitted = [set(json.loads(out)) for out in outputs]
    assert admitted[0].isdisjoint(admitted[1])
    assert admitted[0] | admitted[1] == set(ids)


_SIGHTING_PROCESS = """
import json, sys, time
from pathlib import Path
from bus.store.seen_messages_pg import PostgresSeenMessages
url, ids, queued = sys.argv[1], Path(sys.argv[2]).read_text().split(), Path(sys.argv[3])
store = PostgresSeenMessages(url)
now = time.time()
waiters = [(i, store.first_sighting(i, now, now + 100)) for i in ids]
queued.touch()
store.flush()
store.close()
print(json.dumps([i for i, d in waiters if d.result]))
"""


def _waiting(dsn: str, schema: str) -> int:
    """Sessions waiting for a lock on the schema's seen_messages table."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = "
                           "%s::regclass", (f"{schema}.seen_messages",)).fetchone()
    return row[0] if row else 0


def _freshness():
    return Freshness(clock_skew=10, max_age=50)


def _admit(guard, store, mid):
    """The guard's verdict on ``mid`` now: None (admitted) or the HubFault."""
    verdict = defer.ensureDeferred(guard.admit(mid, NOW))
    store.flush()  # its writer thread decided and fired the sighting: the verdict is in
    outcome: list = []
    verdict.addBoth(outcome.append)
    return outcome[0].value if isinstance(outcome[0], Failure) else outcome[0]
