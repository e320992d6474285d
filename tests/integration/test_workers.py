"""``pfbus serve --workers 2`` as real processes over real sockets and one set of SQLite files.

One hub of two workers sharing the listening socket: inquiries and notices answered by both;
each notice delivered once (no two workers claim the same delivery); a worker killed with
SIGKILL mid-stream is reported and restarted by the supervisor, and no acknowledged notice is
lost or applied twice; a request replayed to the other worker is refused; SIGTERM drains both
workers — slow inquiries in flight are answered — and the supervisor exits 0; each worker's
routing-log file verifies intact, and ``pfbus log`` reads them as one.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import FIRST_COMPLETED
from concurrent.futures import wait as futures_wait
from pathlib import Path

import pytest
import requests
from lxml import etree

from bus.store.write_turns import SUFFIX
from tests.support.polling import wait_until
from tests.support.soap import inquiry_envelope as envelope

from .notice_tools import (addressee, applied, assert_exactly_once_in_order, drain_config, notice,
                           publish)
from .processes import python

pytestmark = pytest.mark.integration

RESIDENTS, PER_RESIDENT = 6, 15  # 90 notices
SLOW_EXCHANGES = 8
FAULT_CODE = "{urn:pfbus:platform:fault:v1}Code"


def start_workers(tmp: Path, keep, provider_mode: str):
    provider = keep(python("-m", "tests.integration.fake_provider", provider_mode))
    provider_url = f"http://127.0.0.1:{provider.wait_json(lambda d: 'port' in d)['port']}/"
    subscribers = {}
    for name in ("tax", "kokuho"):
        p = keep(python("-m", "tests.integration.fake_subscriber", str(tmp / f"{name}.sqlite3"),
                        "ok"))
        subscribers[name] = f"http://127.0.0.1:{p.wait_json(lambda d: 'port' in d)['port']}/"
    config = drain_config(tmp, f"sqlite:{tmp / 'notices.sqlite3'}", subscribers, provider_url)
    hub = keep(python("-m", "bus.cli.main", "serve", "--config", str(config), "--workers", "2"))
    started = hub.wait_for("supervisor.started")
    listening = [hub.wait_for("hub.listening") for _ in range(2)]
    assert sorted(line["worker"] for line in listening) == [1, 2]
    assert {line["url"] for line in listening} == {f"http://{started['listen']}"}
    return hub, f"http://{started['listen']}", config, provider_url


def worker_pids(hub) -> dict[int, int]:
    """The latest pid of each worker, from the supervisor's lines so far."""
    pids = {}
    for line in hub.output:
        if '"supervisor.worker_started"' in line:
            doc = json.loads(line)
            pids[doc["worker"]] = doc["pid"]
    return pids


def inquire(url: str, raw: bytes | None = None) -> requests.Response:
    raw = raw or envelope()[0]
    return requests.post(f"{url}/services/juki.ResidentInquiry", data=raw,
                         headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=60)


class Publisher:
    """A vendor's outbox: a notice is resent (same bytes, same MessageId) until a receipt comes
    back; a resident's next notice only after the previous one's receipt."""

    def __init__(self, url: str):
        self.url = url
        self.acknowledged: dict[str, tuple[str, int]] = {}
        self.lock = threading.Lock()

    def stream(self, who: str, first: int, last: int) -> None:
        for sequence in range(first, last + 1):
            raw, mid = notice(who, sequence)
            for _ in range(200):
                try:
                    if publish(self.url, raw, timeout=10) in ("accepted", "duplicate"):
                        break
                except (requests.RequestException, RuntimeError):
                    pass  # a worker died with this connection: resend
            else:
                raise AssertionError(f"{who} {sequence}: never acknowledged")
            with self.lock:
                self.acknowledged[mid] = (who, sequence)

    def run(self, first: int, last: int) -> None:
        with ThreadPoolExecutor(RESIDENTS) as pool:
            for f in [pool.submit(self.stream, addressee(5000 + i), first, last)
                      for i in range(RESIDENTS)]:
                f.result(timeout=300)

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def received(db: Path) -> int:
    """POSTs that reached the subscriber, redeliveries included."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM received").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_two_workers_survive_a_kill_and_drain_on_sigterm(tmp_path, keep):
    hub, url, config, provider_url = start_workers(tmp_path, keep, "slow-2s")
    taxes = [tmp_path / "tax.sqlite3", tmp_path / "kokuho.sqlite3"]
    publisher = Publisher(url)

    # 1. Both workers serve; a delivery is claimed by one worker only: nothing reaches a
    #    subscriber twice while no one is killed.
    publisher.run(1, 5)
    wait_until(lambda: all(len(applied(db)) == publisher.count for db in taxes), 60,
               "the first notices delivered")
    assert [received(db) for db in taxes] == [publisher.count] * 2
    raw, _ = envelope()
    assert inquire(url, raw).status_code == 200
    # the same request again, on new connections: whichever worker takes it refuses it
    for _ in range(4):
        again = inquire(url, raw)
        assert again.status_code == 500  # a SOAP 1.1 fault
        assert etree.fromstring(again.content).findtext(f".//{FAULT_CODE}") == \
            "PF-DUPLICATE-MESSAGE"

    # 2. SIGKILL worker 2 while notices stream: reported, restarted, nothing lost or doubled.
    victim = worker_pids(hub)[2]
    with ThreadPoolExecutor(1) as pool:
        stream = pool.submit(publisher.run, 6, PER_RESIDENT)
        wait_until(lambda: publisher.count >= RESIDENTS * 8, 120, "notices streaming")
        subprocess.run(["kill", "-9", str(victim)], check=True)
        exited = hub.wait_json(lambda d: d.get("event") == "supervisor.worker_exited")
        assert exited["worker"] == 2 and exited["pid"] == victim
        assert exited["signal"] == "SIGKILL" and exited["restart_in"] > 0
        restarted = hub.wait_json(lambda d: d.get("event") == "supervisor.worker_started")
        assert restarted["worker"] == 2 and restarted["restarts"] == 1
        gap = hub.wait_json(lambda d: d.get("event") == "routing_log.gap", 60)
        assert gap["worker"] == 2
        hub.wait_json(lambda d: d.get("event") == "hub.listening" and d.get("worker") == 2)
        stream.result(timeout=300)
    assert publisher.count == RESIDENTS * PER_RESIDENT
    wait_until(lambda: all(len(applied(db)) == publisher.count for db in taxes), 120,
               "every acknowledged notice delivered")
    for db in taxes:
        assert_exactly_once_in_order(applied(db), publisher.acknowledged)

    # 3. SIGTERM with slow inquiries in flight at both workers: all answered, exit 0.
    with ThreadPoolExecutor(SLOW_EXCHANGES) as pool:
        inquiries = [pool.submit(inquire, url) for _ in range(SLOW_EXCHANGES)]
        wait_until(lambda: requests.get(provider_url, timeout=5).json()["received"]
                   >= 1 + SLOW_EXCHANGES, 30, "the inquiries at the provider")
        hub.popen.send_signal(signal.SIGTERM)
        assert [f.result(timeout=60).status_code for f in inquiries] == [200] * SLOW_EXCHANGES
    assert hub.popen.wait(60) == 0
    stopped = [hub.wait_json(lambda d: d.get("event") == "hub.stopped") for _ in range(2)]
    assert sorted(s["worker"] for s in stopped) == [1, 2]
    assert all(s["drained"] and s["exchanges_cut"] == 0 for s in stopped)
    # What was in flight is read from the workers' own account of the drain's start, not from
    # the poll above (it saw the provider's count before the signal; a provider answer due 2 s
    # after arrival can go out before the SIGTERM reaches both workers on a loaded host):
    # every exchange open when the drain began was answered within it.
    draining = [json.loads(line) for line in hub.output if '"hub.draining"' in line]
    assert len(draining) == 2, draining
    in_flight = sum(d["exchanges"] for d in draining)
    assert in_flight >= 1, draining  # the drain had slow inquiries to wait for
    assert sum(s["exchanges_answered"] for s in stopped) >= in_flight
    final = hub.wait_for("supervisor.stopped")
    assert final["status"] == 0 and final["exit_codes"] == {"1": 0, "2": 0}
    output = "".join(hub.output)
    assert "Traceback" not in output, output[-3000:]

    # A routing-log file per worker, a chain each, worker 2's written by it and its restarted
    # successor: intact, with the restarted worker's account of the kill in its own file (exit
    # 3: intact, gap records present).
    done = subprocess.run([sys.executable, "-m", "bus.cli.main", "log", "verify", "--db",
                           str(config.parent / "log-node-1.sqlite3")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3 and done.stdout.startswith("intact"), done.stdout + done.stderr
    assert "gaps: 1 recorded by the hub after a crash" in done.stdout


def minimal_config(tmp: Path, store: str = "") -> Path:
    config = tmp / "hub.toml"
    config.write_text('[hub]\nlisten = "127.0.0.1:0"\nallow_plain_http = true\n'
                      f'[store]\nrouting_log = "log.sqlite3"\n{store}', encoding="utf-8")
    return config


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_worker_that_cannot_open_its_store_stops_the_hub_with_status_2(tmp_path, keep):
    """Starting it again cannot help: no restart loop, the supervisor exits 2 and says why."""
    config = minimal_config(tmp_path, 'notices = "sqlite:/proc/no-such-dir/n.sqlite3"\n'
                            '[[providers]]\nid = "tax"\nurl = "http://127.0.0.1:9/"\n'
                            '[[tenants]]\nlocal_gov_code = "131016"\n'
                            '[[subscriptions]]\nlocal_gov_code = "131016"\n'
                            'service = "juki.ResidentChangeNotice"\nsubscriber = "tax"\n')
    hub = keep(python("-m", "bus.cli.main", "serve", "--config", str(config), "--workers", "2"))
    assert hub.popen.wait(60) == 2
    gave_up = hub.wait_json(lambda d: d.get("event") == "supervisor.worker_exited"
                            and d.get("gave_up"))
    assert gave_up["exit_code"] == 2 and "restart_in" not in gave_up
    assert hub.wait_for("supervisor.stopped")["status"] == 2
    assert '"restarts":1' not in "".join(hub.output)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_workers_drain_when_the_supervisor_is_killed(tmp_path, keep):
    config = minimal_config(tmp_path)
    hub = keep(python("-m", "bus.cli.main", "serve", "--config", str(config), "--workers", "2"))
    for _ in range(2):
        hub.wait_for("hub.listening")
    pids = worker_pids(hub)
    hub.popen.kill()  # SIGKILL: no chance to pass anything on
    for pid in pids.values():
        wait_until(lambda pid=pid: not Path(f"/proc/{pid}").exists(), 30, f"worker {pid} gone")
    # their last lines come through the pipe they still held (the supervisor's stdout)
    wait_until(lambda: "".join(hub.output).count('"hub.stopped"') == 2, 10, "both drained")
    stopped = [json.loads(line) for line in hub.output if '"hub.stopped"' in line]
    assert sorted(s["worker"] for s in stopped) == [1, 2] and all(s["drained"] for s in stopped)


def pfbus(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bus.cli.main", *args], capture_output=True,
                          text=True, timeout=120)


def received_exchanges(db: Path) -> list[str]:
    """The exchange of every 'received' record, as ``pfbus log`` shows them (all files)."""
    done = pfbus("log", "--db", str(db), "--hop", "received", "--limit", "10000",
                 "--format", "json")
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: none
    return [h["exchange_id"] for h in json.loads(done.stdout)]


@pytest.mark.timeout(180)
def test_workers_write_a_routing_log_file_each_read_as_one(tmp_path, keep):
    """Each worker writes its own file (bus/store/routing_log_files.py): while a third writer
    holds worker 1's file, worker 2 still records and answers (a worker never waits for
    another's evidence) and worker 1's replies wait for their records; ``pfbus log`` shows every
    exchange of both files once, verify checks each file's chain; restarted with one worker the
    hub reads both files, and retention purges both."""
    hub, url, config, _ = start_workers(tmp_path, keep, "valid")
    db = config.parent / "log-node-1.sqlite3"
    second = config.parent / "log-node-1.worker-2.sqlite3"
    assert inquire(url).status_code == 200
    assert db.is_file() and second.is_file()
    turn = os.open(f"{db}{SUFFIX}", os.O_RDWR | os.O_CREAT)  # a third writer of worker 1's file
    with ThreadPoolExecutor(40) as pool:
        fcntl.flock(turn, fcntl.LOCK_EX)
        try:
            answers = []
            for _ in range(40):  # new connections: the kernel gives some to worker 2
                answers.append(pool.submit(inquire, url))
                done = futures_wait(answers, timeout=0.5, return_when=FIRST_COMPLETED).done
                if done:
                    break
            assert done and {a.result().status_code for a in done} == {200}
        finally:
            fcntl.flock(turn, fcntl.LOCK_UN)
            os.close(turn)
        assert [a.result(timeout=60).status_code for a in answers] == [200] * len(answers)
    hub.popen.send_signal(signal.SIGTERM)
    assert hub.popen.wait(60) == 0
    exchanges = received_exchanges(db)
    assert len(exchanges) == 1 + len(answers) == len(set(exchanges))
    with sqlite3.connect(second) as conn:  # worker 2's own records, in its own file
        assert conn.execute("SELECT count(*) FROM hops WHERE hop = 'received'").fetchone()[0] \
            >= len(done)
    verified = pfbus("log", "verify", "--db", str(db))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert [line.split(":")[1].strip() for line in verified.stdout.splitlines()
            if line.startswith("intact")] == [str(db), str(second)]

    # restarted with one worker: it writes worker 1's file and reads both
    single = keep(python("-m", "bus.cli.main", "serve", "--config", str(config)))
    again = single.wait_for("hub.listening")["url"]
    assert inquire(again).status_code == 200
    single.popen.send_signal(signal.SIGTERM)
    assert single.popen.wait(60) == 0
    assert len(set(received_exchanges(db))) == 2 + len(answers)

    # retention (worker 1's, or pfbus retention run) purges every worker's file, each with
    # its own anchor; the chains verify from them
    with config.open("a", encoding="utf-8") as f:
        f.write("\n[retention]\nrouting_log = 1\n")
    time.sleep(1.1)  # every record is more than the retention period old
    purged = pfbus("retention", "run", "--config", str(config))
    assert purged.returncode == 0, purged.stdout + purged.stderr
    logs = [json.loads(line) for line in purged.stdout.splitlines()
            if json.loads(line)["store"] == "routing_log"]
    assert len(logs) == 2 and all(p["deleted"] > 0 for p in logs)
    assert received_exchanges(db) == []
    verified = pfbus("log", "verify", "--db", str(db))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.count("verified from the retention anchor") == 2


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_killed_workers_file_is_recovered_by_a_hub_restarted_with_fewer_workers(tmp_path,
                                                                                   keep):
    """Worker 2 killed with the supervisor (no restart of it): a hub restarted with one worker
    writes worker 2's gap record into worker 2's file and closes its run."""
    hub, url, config, _ = start_workers(tmp_path, keep, "valid")
    for _ in range(6):
        assert inquire(url).status_code == 200
    second = config.parent / "log-node-1.worker-2.sqlite3"
    # both at once: the supervisor cannot restart worker 2; worker 1 drains (its parent gone)
    subprocess.run(["kill", "-9", str(worker_pids(hub)[2]), str(hub.popen.pid)], check=True)
    hub.popen.wait(30)
    wait_until(lambda: '"hub.stopped"' in "".join(hub.output), 30, "worker 1 drained")
    single = keep(python("-m", "bus.cli.main", "serve", "--config", str(config)))
    gap = single.wait_json(lambda d: d.get("event") == "routing_log.gap", 60)
    assert gap["file"] == str(second) and gap["cut_off"] == 0
    again = single.wait_for("hub.listening")["url"]
    assert inquire(again).status_code == 200  # serving (its signal handlers come after listen)
    single.popen.send_signal(signal.SIGTERM)
    assert single.popen.wait(60) == 0
    verified = pfbus("log", "verify", "--db", str(config.parent / "log-node-1.sqlite3"))
    assert verified.returncode == 3, verified.stdout + verified.stderr  # intact, with a gap
    assert "gaps: 1 recorded by the hub after a crash" in verified.stdout
    with sqlite3.connect(second) as conn:  # its run is closed: the next start finds none
        assert conn.execute("SELECT count(*) FROM chain_meta WHERE key = 'run'").fetchone() \
            == (0,)


@pytest.mark.timeout(120)
def test_workers_serve_tls_on_the_shared_socket(tmp_path, keep):
    """The adopted socket wraps TLS as listenSSL does: handshakes with the hub's certificate
    on new connections, whichever worker accepts them."""
    from bus.hub.testca import make_test_ca
    make_test_ca(tmp_path)
    config = tmp_path / "hub.toml"
    config.write_text(f'[hub]\nlisten = "127.0.0.1:0"\ntls = {{ certificate = "{tmp_path}/hub.pem",'
                      f' key = "{tmp_path}/hub.key" }}\n[store]\nrouting_log = "log.sqlite3"\n'
                      '[[tenants]]\nlocal_gov_code = "131016"\n'
                      '[[adapters]]\nid = "tax"\ncertificate_cn = "tax"\n'
                      'parties = ["131016/07/tax"]\n'
                      '[[access]]\nservice = "juki.ResidentInquiry"\nlocal_gov_code = "131016"\n'
                      'right = "call"\nadapters = ["tax"]\n', encoding="utf-8")
    hub = keep(python("-m", "bus.cli.main", "serve", "--config", str(config), "--workers", "2"))
    listening = [hub.wait_for("hub.listening") for _ in range(2)]
    url = listening[0]["url"]
    assert url.startswith("https://")
    for _ in range(6):  # new connections each: both workers take some, all over TLS
        with requests.Session() as session:
            answer = session.get(f"{url}/health", verify=str(tmp_path / "ca.pem"), timeout=10)
        assert answer.status_code == 200 and answer.json()["status"] == "ok"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{url}/health", verify=True, timeout=10)  # not a publicly trusted cert


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_maintenance_set_through_worker_one_reaches_every_worker(tmp_path, keep):
    """The admin listener is worker 1's; the others follow the state file it saves."""
    token = "op-token-0123456789abcdef"
    (tmp_path / "tokens").write_text(f"operator alice {token}\n", encoding="utf-8")
    config = minimal_config(tmp_path, '[[tenants]]\nlocal_gov_code = "131016"\n'
                            '[[providers]]\nid = "juki"\nurl = "http://127.0.0.1:9/"\n'
                            '[[routes]]\nlocal_gov_code = "131016"\n'
                            'service = "juki.ResidentInquiry"\nprovider = "juki"\n'
                            '[admin]\nlisten = "127.0.0.1:0"\ntoken_file = "tokens"\n')
    hub = keep(python("-m", "bus.cli.main", "serve", "--config", str(config), "--workers", "2"))
    url = [hub.wait_for("hub.listening") for _ in range(2)][0]["url"]
    # (wait_for consumes the lines it passes: the admin listener's is looked up in the output)
    wait_until(lambda: '"admin.listening"' in "".join(hub.output), 30, "the admin listener")
    admins = [json.loads(line) for line in hub.output if '"admin.listening"' in line]
    assert [a["worker"] for a in admins] == [1]  # one admin listener, worker 1's
    done = subprocess.run([sys.executable, "-m", "bus.cli.main", "admin", "--config", str(config),
                           "maintenance", "on", "--reason", "workers test"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PFBUS_ADMIN_TOKEN": token})
    assert done.returncode == 0, done.stdout + done.stderr
    followed = hub.wait_json(lambda d: d.get("event") == "admin.controls_followed"
                             and d["controls"]["maintenance"], 30)
    assert followed["worker"] == 2
    for _ in range(8):  # new connections: whichever worker takes one refuses it
        answer = inquire(url)
        assert etree.fromstring(answer.content).findtext(f".//{FAULT_CODE}") == "PF-MAINTENANCE"
