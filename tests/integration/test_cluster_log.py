"""A cluster on one PostgreSQL (issue 13 item 5, slow tier): two ``pfbus serve`` processes
(``node-1``, ``node-2``) share the routing log and the notice store; clients send inquiries and
notices to both; node-1 is SIGKILLed mid-load and restarted.

Afterwards: every exchange a client saw answered is in the log (an inquiry's ``replied`` hop, a
notice's ``accepted`` hop and each subscriber's ``delivery ok`` — written by whichever node did
it, or recovered from the notice store by the restarted node after its gap record); every node's
chain verifies (``pfbus log verify`` over the URL: intact, the gap listed); every acknowledged
notice was applied by each subscriber exactly once, in order.

A second test: a request replayed to the other node is refused (PF-DUPLICATE-MESSAGE): the seen
MessageIds are one table in the routing log's schema (``[store] seen_messages`` by default).

Needs a PostgreSQL server (tests/conftest.py ``postgres_url``: its own schema, for both stores;
outside CI the test skips, saying so, when no server answers).
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from lxml import etree

from bus.store.routing_log import open_readonly
from tests.support.network import free_port
from tests.support.polling import wait_until
from tests.support.soap import inquiry_envelope

from .notice_tools import addressee, applied, assert_exactly_once_in_order, notice, publish
from .processes import python, start_hub

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(600)]

RESIDENTS = 20
PER_RESIDENT = 15  # 300 notices, each resident's in order
INQUIRY_THREADS = 4
FAULT_CODE = "{urn:pfbus:platform:fault:v1}Code"
SUBSCRIBERS = ("tax", "kokuho")


def hub_config(tmp: Path, node: str, url: str, provider: str, subs: dict[str, str]) -> Path:
    home = tmp / node
    home.mkdir(exist_ok=True)
    lines = [f'[hub]\nlisten = "127.0.0.1:0"\nallow_plain_http = true\nnode_id = "{node}"\n'
             'limits = { rate = 10000.0, burst = 10000, concurrency = 64 }\n',
             f'[store]\nrouting_log = "{url}"\nnotices = "{url}"\n',
             '[[tenants]]\nlocal_gov_code = "131016"\nname = "千代田区"\n',
             f'[[providers]]\nid = "registry"\nurl = "{provider}"\n',
             '[[routes]]\nlocal_gov_code = "131016"\nservice = "juki.ResidentInquiry"\n'
             'provider = "registry"\n']
    for name, sub in subs.items():
        lines.append(f'[[providers]]\nid = "{name}"\nurl = "{sub}"\ntimeout = 5.0\n'
                     'delivery = { max_attempts = 5, backoff_initial = 0.05, backoff_max = 0.5 }\n')
        lines.append(f'[[subscriptions]]\nlocal_gov_code = "131016"\n'
                     f'service = "juki.ResidentChangeNotice"\nsubscriber = "{name}"\n')
    path = home / "hub.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class Load:
    """Clients of both hubs: a notice is resent (same bytes and ID) to the next hub until a
    receipt comes back; an inquiry that gets no answer is not retried (a new one follows)."""

    def __init__(self, urls: list[str]):
        self.urls = urls
        self.acknowledged: dict[str, tuple[str, int]] = {}
        self.answered: set[str] = set()
        self.lock = threading.Lock()
        self.done = threading.Event()

    def notices(self, who: str, deadline: float) -> None:
        for sequence in range(1, PER_RESIDENT + 1):
            raw, mid = notice(who, sequence)
            turn = 0
            while True:
                assert time.monotonic() < deadline, "the notices did not finish in time"
                try:
                    if publish(self.urls[turn % 2], raw, timeout=10) in ("accepted", "duplicate"):
                        break
                except (requests.RequestException, RuntimeError):
                    pass  # that hub is down or restarting: the other one
                turn += 1
                time.sleep(0.05)
            with self.lock:
                self.acknowledged[mid] = (who, sequence)

    def inquiries(self, first: int) -> None:
        turn = first
        while not self.done.is_set():
            raw, mid = inquiry_envelope()
            turn += 1
            try:
                r = requests.post(f"{self.urls[turn % 2]}/services/juki.ResidentInquiry",
                                  data=raw, timeout=10,
                                  headers={"Content-Type": "text/xml; charset=utf-8"})
            except requests.RequestException:
                time.sleep(0.05)
                continue
            if r.status_code == 200:
                with self.lock:
                    self.answered.add(mid)

    def run(self) -> None:
        deadline = time.monotonic() + 300
        with ThreadPoolExecutor(RESIDENTS + INQUIRY_THREADS) as pool:
            asking = [pool.submit(self.inquiries, i) for i in range(INQUIRY_THREADS)]
            for f in [pool.submit(self.notices, addressee(3000 + i), deadline)
                      for i in range(RESIDENTS)]:
                f.result()
            self.done.set()
            for f in asking:
                f.result()

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def with_hop(url: str, hop: str, provider: str | None = None) -> set[str]:
    """Message IDs (requests too: via their exchange) with an ``ok`` hop, on any node."""
    by = " AND e.provider = ?" if provider else ""
    with open_readonly(url) as ro:
        rows = ro._read("SELECT DISTINCT r.message_id FROM hops r JOIN hops e ON e.exchange_id "
                        "= r.exchange_id WHERE e.hop = ? AND e.status = 'ok' AND "
                        f"r.message_id IS NOT NULL{by}", (hop, provider) if provider else (hop,))
    return {r[0] for r in rows}


def test_two_hubs_on_one_postgresql_one_killed_log_complete_and_verifiable(tmp_path, keep,
                                                                            postgres_url):
    provider = keep(python("-m", "tests.integration.fake_provider", "valid"))
    provider_url = f"http://127.0.0.1:{provider.wait_json(lambda d: 'port' in d)['port']}/"
    subs = {}
    for name in SUBSCRIBERS:
        p = keep(python("-m", "tests.integration.fake_subscriber",
                        str(tmp_path / f"{name}.sqlite3"), "ok"))
        subs[name] = f"http://127.0.0.1:{p.wait_json(lambda d: 'port' in d)['port']}/"
    configs, hubs, urls, ports = {}, {}, [], {}
    for node in ("node-1", "node-2"):
        configs[node] = hub_config(tmp_path, node, postgres_url, provider_url, subs)
        ports[node] = free_port()  # the same address after the restart
        hubs[node], url = start_hub(configs[node], port=ports[node], timeout=60)
        keep(hubs[node])
        urls.append(url)
    load = Load(urls)
    running = threading.Thread(target=load.run)
    running.start()
    wait_until(lambda: load.count() >= 100 or not running.is_alive(), 300,
               "100 acknowledged notices")
    hubs["node-1"].stop(signal.SIGKILL)
    # node-2 carries the load alone for a while, then node-1 comes back: its gap record first
    wait_until(lambda: load.count() >= 180 or not running.is_alive(), 300,
               "180 acknowledged notices")
    hubs["node-1"], _ = start_hub(configs["node-1"], port=ports["node-1"], timeout=120)
    keep(hubs["node-1"])
    assert any('"routing_log.gap"' in line for line in hubs["node-1"].output)
    running.join()
    assert load.count() == RESIDENTS * PER_RESIDENT
    assert len(load.answered) > 0

    # no notice lost: each subscriber applied every acknowledged one exactly once, in order
    for name in SUBSCRIBERS:
        db = tmp_path / f"{name}.sqlite3"
        rows = wait_until(lambda db=db: len(applied(db)) >= load.count() and applied(db), 300,
                          f"{name} to apply every notice")
        assert_exactly_once_in_order(rows, load.acknowledged)
    for node in ("node-1", "node-2"):  # a clean stop: drained, the run marks cleared
        assert hubs[node].stop() == 0

    # the log is complete: every answered exchange and every delivery, on whichever node
    missing = load.answered - with_hop(postgres_url, "replied")
    assert not missing, f"{len(missing)} answered inquiries are not in the log"
    notices = set(load.acknowledged)
    accepted = with_hop(postgres_url, "accepted") | with_hop(postgres_url, "duplicate")
    assert not notices - accepted, f"{len(notices - accepted)} acknowledged notices unlogged"
    for name in SUBSCRIBERS:
        delivered = with_hop(postgres_url, "delivery", provider=name)
        assert not notices - delivered, f"{name}: {len(notices - delivered)} deliveries unlogged"
    with open_readonly(postgres_url) as ro:
        assert ro.nodes() == ["node-1", "node-2"]
        assert [len(c.gaps()) for c in ro.chains()] == [1, 0]  # the kill, in node-1's chain

    # and verifiable: every node's chain intact; exit 3 says a gap is recorded
    done = subprocess.run([sys.executable, "-m", "bus.cli.main", "log", "verify", "--db",
                           postgres_url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "TAMPERED" not in done.stdout
    for node in ("node-1", "node-2"):
        assert re.search(rf"^intact: .* node {node}: [1-9][0-9]* chained records", done.stdout,
                         re.MULTILINE), done.stdout


def inquire(url: str, raw: bytes) -> tuple[int, str | None]:
    """(HTTP status, the fault code or None) of one inquiry."""
    r = requests.post(f"{url}/services/juki.ResidentInquiry", data=raw, timeout=30,
                      headers={"Content-Type": "text/xml; charset=utf-8"})
    return r.status_code, etree.fromstring(r.content).findtext(f".//{FAULT_CODE}")


def test_a_request_replayed_to_the_other_node_is_refused(tmp_path, keep, postgres_url):
    """Two hubs on one PostgreSQL, ``[store] seen_messages`` not given: a request answered by
    one node and sent again, same bytes, to the other is refused as a replay — both ways."""
    provider = keep(python("-m", "tests.integration.fake_provider", "valid"))
    provider_url = f"http://127.0.0.1:{provider.wait_json(lambda d: 'port' in d)['port']}/"
    urls = []
    for node in ("node-1", "node-2"):
        hub, url = start_hub(hub_config(tmp_path, node, postgres_url, provider_url, {}),
                             timeout=60)
        keep(hub)
        urls.append(url)
    for first, other in ((0, 1), (1, 0)):
        raw, _ = inquiry_envelope()
        assert inquire(urls[first], raw) == (200, None)
        assert inquire(urls[other], raw) == (500, "PF-DUPLICATE-MESSAGE")  # a SOAP 1.1 fault
        assert inquire(urls[first], raw) == (500, "PF-DUPLICATE-MESSAGE")
    with open_readonly(postgres_url) as ro:
        assert ro.nodes() == ["node-1", "node-2"]
