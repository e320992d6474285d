"""The hub SIGKILLed during pickup and during delivery (slow tier): afterwards every file sent was
accepted and reached each subscriber exactly once, byte for byte, no half file ever appeared in
an outbox, and the routing log has each delivery once.

Vendor A's files wait in its drop folder; a subscriber thread plays vendors B and C the whole
time (reads each file that appears in their outboxes, checks it is one of the files sent, whole,
and removes it — the confirmation), also while the hub is down.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.polling import wait_until

from .files_data import change_file, name
from .hubs import start, write_config

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(600)]

FILES = 12
ROWS = 20_000  # about 1.3 MB each: validation and copies take long enough to be hit
KILL_ATTEMPTS = 4  # a stage that ended before the signal arrived is tried again after a restart


def counts(ledger: Path, sql: str) -> Counter[str]:
    if not ledger.exists():
        return Counter()
    conn = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=5)
    try:
        return Counter({state: n for state, n in conn.execute(sql)})
    except sqlite3.OperationalError:  # tables not created yet
        return Counter()
    finally:
        conn.close()


def file_states(ledger: Path) -> Counter[str]:
    return counts(ledger, "SELECT state, count(*) FROM files GROUP BY state")


def delivery_states(ledger: Path) -> Counter[str]:
    return counts(ledger, "SELECT state, count(*) FROM deliveries GROUP BY state")


class Subscribers(threading.Thread):
    """Vendors B and C taking their files: each must be whole, one of those sent, and new."""

    def __init__(self, root: Path, sent: dict[str, bytes]):
        super().__init__(daemon=True)
        self.root, self.sent = root, sent
        self.received: Counter[tuple[str, str]] = Counter()
        self.problems: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            for subscriber in ("vendor-b", "vendor-c"):
                for path in sorted((self.root / subscriber / "outbox").glob("*.csv")):
                    data = path.read_bytes()
                    if data != self.sent.get(path.name):
                        self.problems.append(f"{subscriber}/{path.name}: not the file sent "
                                             f"({len(data)} bytes)")
                    self.received[(subscriber, path.name)] += 1
                    path.unlink()  # the confirmation
            time.sleep(0.02)


def test_killed_during_pickup_and_during_delivery(tmp_path):
    hub = write_config(tmp_path / "hub", sftp=False)
    ledger = hub.folder / "var" / "file-ledger.sqlite3"
    inbox = hub.root / "vendor-a" / "inbox"
    inbox.mkdir(parents=True)
    sent = {}
    for i in range(FILES):
        data = change_file(ROWS, start=i * ROWS + 1)
        sent[name(f"{i:04d}")] = data
        (inbox / f"{name(f'{i:04d}')}.part").write_bytes(data)
        (inbox / f"{name(f'{i:04d}')}.part").rename(inbox / name(f"{i:04d}"))
    subscribers = Subscribers(hub.root, sent)
    subscribers.start()
    kills: list[tuple[str, Counter[str], Counter[str]]] = []
    process, _ = start(hub, timeout=60)

    def kill_while(stage: str, under_way: Callable[[Counter[str], Counter[str]], bool]) -> None:
        """SIGKILL the hub once `stage` is under way, and again after a restart if the stage
        ended between the poll and the signal (the poll can only see the past): the kill counts
        only if the ledger read after it still shows the stage under way. Bounded attempts."""
        nonlocal process
        for _ in range(KILL_ATTEMPTS):
            wait_until(lambda: under_way(file_states(ledger), delivery_states(ledger)), 120,
                       f"{stage} under way", interval=0.005)
            process.stop(signal.SIGKILL)
            files, deliveries = file_states(ledger), delivery_states(ledger)
            process, _ = start(hub, timeout=60)
            if under_way(files, deliveries):
                kills.append((stage, files, deliveries))
                return

    try:
        # 1. during pickup: a file has left the inbox and is being validated in the spool
        kill_while("pickup", lambda f, d: bool(f["picked"] and f["accepted"]))
        # 2. during delivery: some deliveries done, others still to do
        kill_while("delivery", lambda f, d: bool((d["delivered"] or d["confirmed"])
                                                 and (d["pending"] or d["staged"])))
        wait_until(lambda: delivery_states(ledger)["confirmed"] == 2 * FILES, 300,
                   "every delivery confirmed")
    finally:
        process.stop()
        subscribers.stopping.set()
        subscribers.join(5)
    assert [stage for stage, _, _ in kills] == ["pickup", "delivery"], kills
    assert kills[0][1]["picked"] == 1, kills  # the kill hit a file in the middle of pickup
    assert subscribers.problems == []
    assert subscribers.received == Counter({(s, n): 1 for s in ("vendor-b", "vendor-c")
                                            for n in sent})
    assert file_states(ledger) == Counter({"accepted": FILES})
    receipts = sorted((hub.root / "vendor-a" / "outbox").glob("*.receipt.json"))
    assert len(receipts) == FILES
    assert list(inbox.iterdir()) == []
    assert list((hub.root / ".hub" / "staging").iterdir()) == []
    assert list((hub.root / ".hub" / "spool").iterdir()) == []
    conn = sqlite3.connect(hub.folder / "var" / "routing-log.sqlite3")
    try:
        delivered = Counter(conn.execute("SELECT exchange_id, provider FROM hops WHERE hop = "
                                         "'file_delivered'").fetchall())
        picked = conn.execute("SELECT count(*) FROM hops WHERE hop = 'file_picked_up'"
                              ).fetchone()[0]
    finally:
        conn.close()
    assert len(delivered) == 2 * FILES and set(delivered.values()) == {1}
    assert picked == FILES
