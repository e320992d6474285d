"""Evidence or refuse, against a real hub process: faults injected into the routing log's file
(made read-only, a full filesystem, SIGKILL during a burst), counting from the clients' side.

The rule: every exchange a client saw answered is in the routing log, or the client was refused
with PF-LOG-UNAVAILABLE. After a SIGKILL the next start writes a gap record, every notice the
store holds has its ``accepted`` hop and every delivery it marks delivered its ``delivery ok`` hop
(recovered ones flagged), and ``pfbus log verify`` lists the gap apart from tampering.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from lxml import etree

from bus.core.faults import FAULT_NS
from bus.store.routing_log import open_readonly

from .notice_tools import addressee, notice
from .processes import python, start_hub
from tests.support.soap import inquiry_envelope as envelope
from tests.support.immutable import chattr, require_chattr

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SERVICE = "juki.ResidentInquiry"


def hub_config(tmp: Path, log_path: Path, provider: int, subscriber: int) -> Path:
    config = tmp / "hub.toml"
    config.write_text(f'''[hub]
listen = "127.0.0.1:0"
allow_plain_http = true
limits = {{ rate = 10000.0, burst = 10000, concurrency = 64 }}

[store]
routing_log = "{log_path}"
notices = "sqlite:{tmp / 'notices.sqlite3'}"

[[tenants]]
local_gov_code = "131016"
name = "千代田区"

[[providers]]
id = "registry"
url = "http://127.0.0.1:{provider}/"

[[routes]]
local_gov_code = "131016"
service = "{SERVICE}"
provider = "registry"

[[providers]]
id = "tax"
url = "http://127.0.0.1:{subscriber}/"
delivery = {{ max_attempts = 5, backoff_initial = 0.05, backoff_max = 0.5 }}

[[subscriptions]]
local_gov_code = "131016"
service = "juki.ResidentChangeNotice"
subscriber = "tax"
''', encoding="utf-8")
    return config


@pytest.fixture
def linkage(tmp_path, keep):
    provider = keep(python("-m", "tests.integration.fake_provider", "valid"))
    subscriber = keep(python("-m", "tests.integration.fake_subscriber",
                             str(tmp_path / "tax.sqlite3"), "ok"))
    ports = (provider.wait_json(lambda d: "port" in d)["port"],
             subscriber.wait_json(lambda d: "port" in d)["port"])

    def start(log_path: Path | None = None):
        config = hub_config(tmp_path, log_path or tmp_path / "log.sqlite3", *ports)
        process, url = start_hub(config)
        return keep(process), url, config

    return start


class Clients:
    """What the clients saw: message ID → (HTTP status, fault code or None)."""

    def __init__(self, url: str):
        self.url = url
        self.seen: dict[str, tuple[int, str | None, str]] = {}
        self.lock = threading.Lock()
        self.counter = 0

    def inquiry(self, timeout: float = 30.0) -> tuple[int, str | None]:
        raw, mid = envelope()
        return self._post(f"/services/{SERVICE}", raw, mid, "inquiry", timeout)

    def notice(self, timeout: float = 30.0) -> tuple[int, str | None]:
        with self.lock:
            self.counter += 1
            n = self.counter
        raw, mid = notice(addressee(5000 + n), 1)
        return self._post("/services/juki.ResidentChangeNotice", raw, mid, "notice", timeout)

    def _post(self, path, raw, mid, kind, timeout):
        try:
            r = requests.post(self.url + path, data=raw, timeout=timeout,
                              headers={"Content-Type": "text/xml; charset=utf-8"})
        except requests.RequestException:
            return 0, None  # no answer: nothing was seen
        code = None
        if r.status_code != 200:
            detail = etree.fromstring(r.content).find(f".//{{{FAULT_NS}}}Code")
            code = detail.text if detail is not None else None
        with self.lock:
            self.seen[mid] = (r.status_code, code, kind)
        return r.status_code, code

    def answered(self) -> set[str]:
        return {mid for mid, (status, _, _) in self.seen.items() if status == 200}

    def refused(self) -> set[str]:
        return {mid for mid, (status, code, _) in self.seen.items()
                if status != 200 and code == "PF-LOG-UNAVAILABLE"}


def replied_ok(log_path: Path) -> set[str]:
    """Message IDs whose exchange has a 'replied ok' hop (request IDs: the query covers them)."""
    conn = sqlite3.connect(f"file:{log_path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT DISTINCT r.message_id FROM hops r JOIN hops e ON "
                            "e.exchange_id = r.exchange_id WHERE e.hop = 'replied' AND "
                            "e.status = 'ok' AND r.message_id IS NOT NULL").fetchall()
    finally:
        conn.close()
    return {r[0] for r in rows}


def assert_evidence_or_refused(clients: Clients, log_path: Path) -> None:
    answered = clients.answered()
    missing = answered - replied_ok(log_path)
    assert not missing, f"{len(missing)} of {len(answered)} answered exchanges are not in the log"
    other = set(clients.seen) - answered - clients.refused()
    assert not other, {m: clients.seen[m] for m in other}


def verify(log_path: Path) -> tuple[int, str]:
    done = subprocess.run([*python_cli(), "log", "verify", "--db", str(log_path)],
                          capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr


def python_cli() -> list[str]:
    import sys
    return [sys.executable, "-m", "bus.cli.main"]


def printed(hub, event: str, timeout: float) -> None:
    """``event`` was printed by ``hub`` at any time so far, or is within ``timeout``."""
    deadline = time.monotonic() + timeout
    while f'"event":"{event}"' not in "".join(hub.output):
        assert time.monotonic() < deadline, f"{event} never printed: {''.join(hub.output)}"
        time.sleep(0.1)


def outage(hub, clients: Clients, log_path: Path, break_it, repair_it) -> None:
    """Exchanges before, during and after a write failure of the routing log."""
    for _ in range(3):
        assert clients.inquiry()[0] == 200
    assert clients.notice()[0] == 200
    break_it()
    try:
        with ThreadPoolExecutor(2) as pool:
            # the first exchange after the fault: admitted, its records fail to commit
            first = pool.submit(clients.inquiry)
            hub.wait_for("routing_log.unavailable", 30)
            refusals = [clients.inquiry(timeout=10) for _ in range(4)] + \
                [clients.notice(timeout=10) for _ in range(2)]
            assert all(code == "PF-LOG-UNAVAILABLE" for _, code in refusals), refusals
            # refusals are reported at most once per report_every, and the first line can come
            # before routing_log.unavailable (which the wait above has already read past)
            printed(hub, "routing_log.refused", 5)
    finally:
        repair_it()
    first.result(timeout=60)
    hub.wait_for("routing_log.available", 30)
    for _ in range(3):
        assert clients.inquiry()[0] == 200
    assert clients.notice()[0] == 200
    assert hub.stop() == 0
    assert len(clients.refused()) >= 6
    assert_evidence_or_refused(clients, log_path)
    status, out = verify(log_path)
    assert status == 0 and "intact" in out, out


@pytest.mark.slow
def test_read_only_log_file_refuses_exchanges_until_writable_again(tmp_path, linkage):
    require_chattr(tmp_path)
    hub, url, _ = linkage()
    log_path = tmp_path / "log.sqlite3"
    files = [log_path, log_path.with_name(log_path.name + "-wal")]  # never -shm: it is mmapped
    outage(hub, Clients(url), log_path, lambda: chattr("+i", *files),
           lambda: chattr("-i", *files))


@pytest.mark.slow
def test_full_filesystem_refuses_exchanges_until_space_is_freed(tmp_path, linkage):
    small = tmp_path / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(small)],
                      capture_output=True).returncode:
        if os.environ.get("CI") == "true":
            pytest.fail("mounting a small tmpfs is not permitted; the test needs it in CI")
        pytest.skip("mounting a small tmpfs (the full-filesystem stand-in) is not permitted")
    filler = small / "filler"
    try:
        log_path = small / "log.sqlite3"
        hub, url, _ = linkage(log_path)

        def fill() -> None:  # unbuffered, until the filesystem says ENOSPC
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
            try:
                while os.write(fd, b"\0" * 4096):
                    pass
            except OSError:
                pass
            finally:
                os.close(fd)

        outage(hub, Clients(url), log_path, fill, filler.unlink)
    finally:
        subprocess.run(["umount", "-l", str(small)], capture_output=True)


@pytest.mark.slow
def test_sigkill_during_a_burst_loses_no_answered_exchange_and_records_the_gap(
        tmp_path, linkage):
    hub, url, _ = linkage()
    log_path = tmp_path / "log.sqlite3"
    clients = Clients(url)
    stop = threading.Event()

    def burst(kind: str) -> None:
        while not stop.is_set():
            (clients.inquiry if kind == "inquiry" else clients.notice)(timeout=10)

    threads = [threading.Thread(target=burst, args=(k,)) for k in ["inquiry", "notice"] * 6]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 60
        while len(clients.answered()) < 150 and time.monotonic() < deadline:
            time.sleep(0.05)
        hub.stop(signal.SIGKILL)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    answered = clients.answered()
    assert len(answered) >= 150
    assert_evidence_or_refused(clients, log_path)  # before any recovery: committed before sent
    # The next start: a gap record, the store's facts back in the log.
    hub, url, _ = linkage()
    gap = [json.loads(line) for line in hub.output if '"routing_log.gap"' in line]
    assert len(gap) == 1 and gap[0]["previous_run_pid"], hub.output
    time.sleep(2)  # deliveries of what the store holds go on
    assert hub.stop() == 0
    conn = sqlite3.connect(tmp_path / "notices.sqlite3")
    stored = {r[0] for r in conn.execute("SELECT message_id FROM notices")}
    delivered = {r[0] for r in conn.execute(
        "SELECT n.message_id FROM deliveries d JOIN notices n ON n.seq = d.seq "
        "WHERE d.state = 'delivered'")}
    conn.close()
    log = sqlite3.connect(f"file:{log_path}?mode=ro", uri=True)
    accepted = {r[0] for r in log.execute("SELECT message_id FROM hops WHERE hop = 'accepted'")}
    delivery_ok = {r[0] for r in log.execute(
        "SELECT message_id FROM hops WHERE hop = 'delivery' AND status = 'ok'")}
    gaps = log.execute("SELECT COUNT(*) FROM hops WHERE hop = 'gap'").fetchone()[0]
    log.close()
    assert stored and delivered
    assert stored <= accepted, f"{len(stored - accepted)} stored notices without 'accepted'"
    assert delivered <= delivery_ok, f"{len(delivered - delivery_ok)} deliveries unrecorded"
    assert gaps == 1
    status, out = verify(log_path)
    # exit 3: intact, but with a gap record (monitoring must notice; 1 would mean tampering)
    assert status == 3 and "intact" in out and "gaps: 1 recorded by the hub" in out, out
    ro = open_readonly(log_path)
    try:
        assert ro.query(hop="gap")[0].reason.startswith("the run started")
    finally:
        ro.close()
