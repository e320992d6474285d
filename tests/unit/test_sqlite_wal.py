"""Every SQLite store opens while another process is creating the same file (bus/store/sqlite_wal.py).

``pfbus serve --workers 2`` on a fresh data directory: one worker creates a store while the other
switches it to WAL; SQLite answers that switch SQLITE_BUSY at once, without its busy handler, and
the second worker exited with "database is locked". Here the other process is a connection that
holds the new file's write lock (its first transaction, still in rollback-journal mode) for a
moment; each store must wait for it, as for any other lock, and open.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest

from adapters.vendor_a_registry.store import RegistryStore
from bus.files.ledger import FileLedger
from bus.store.notices.sqlite_store import SqliteNoticeStore
from bus.store.routing_log import RoutingLog
from bus.store.seen_messages import SqliteSeenMessages
from bus.store.sqlite_wal import use_wal

HELD = 0.3  # seconds the other connection keeps the lock


def hold_write_lock(path) -> threading.Thread:
    """Another connection in the middle of creating ``path``: a write transaction, not yet in
    WAL mode, committed after ``HELD`` seconds."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE being_created (x)")
    release = threading.Timer(HELD, lambda: (other.execute("COMMIT"), other.close()))
    release.start()
    return release


@pytest.fixture
def locked(tmp_path):
    """A connection (busy timeout 5 s) to a file another connection is creating."""
    path = tmp_path / "store.sqlite3"
    release = hold_write_lock(path)
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    yield conn
    release.join()
    conn.close()


def test_the_plain_pragma_fails_at_once_while_the_lock_is_held(locked):
    """What the stores did: the connection's busy timeout does not apply to this pragma."""
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        locked.execute("PRAGMA journal_mode=WAL")


def test_use_wal_waits_for_the_lock(locked):
    assert use_wal(locked, 5.0) == "wal"


def test_use_wal_gives_up_after_its_timeout(locked):
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        use_wal(locked, 0.05)


def _routing_log(path):
    RoutingLog(path).close()


def _notice_store(path):
    SqliteNoticeStore(path).close()


def _seen_messages(path):
    SqliteSeenMessages(path).close()


def _file_ledger(path):
    FileLedger(path).close()


def _vendor_a(path):
    RegistryStore.open(path).close()


@pytest.mark.parametrize("open_store", [_routing_log, _notice_store, _seen_messages,
                                        _file_ledger, _vendor_a])
def test_each_store_opens_while_another_process_creates_its_file(tmp_path, open_store):
    path = tmp_path / "store.sqlite3"
    release = hold_write_lock(path)
    open_store(path)
    release.join()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
