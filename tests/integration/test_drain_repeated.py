"""SIGTERM under a burst of notices, again and again (slow tier): every stop is a clean drain.

20 times on SQLite and 20 times on PostgreSQL: a hub process takes a burst of notices from eight
publishers (deliveries to two subscribers running at the same time), gets SIGTERM mid-burst and
must exit 0 with ``hub.stopped`` and no traceback — before the drain closed the stores under
their threads, the SQLite store segfaulted (exit -11) in about one stop in four. Afterwards one
more hub delivers everything acknowledged, exactly once and in order.
"""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.polling import wait_until

from .notice_tools import (addressee, applied, assert_exactly_once_in_order, hub_config, notice,
                           publish)
from .processes import assert_clean_exit, python, start_hub

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(900)]

STOPS = 20
PUBLISHERS = 8
PER_PUBLISHER = 40  # at most; a publisher stops at the first notice the hub does not accept


def subscribers(tmp, keep) -> dict[str, str]:
    urls = {}
    for name in ("tax", "kokuho"):
        p = keep(python("-m", "tests.integration.fake_subscriber", str(tmp / f"{name}.sqlite3"),
                        "ok"))
        urls[name] = f"http://127.0.0.1:{p.wait_json(lambda d: 'port' in d)['port']}/"
    return urls


def sigterm_under_bursts(tmp, keep, store_url: str) -> None:
    config = hub_config(tmp / "hub.toml", store_url, subscribers(tmp, keep))
    acknowledged: dict[str, tuple[str, int]] = {}
    lock = threading.Lock()
    for stop in range(STOPS):
        hub, url = start_hub(config)
        keep(hub)
        sent = [0]  # notices accepted in this round

        def stream(who: str, url: str = url, sent: list[int] = sent) -> None:
            for sequence in range(1, PER_PUBLISHER + 1):
                raw, mid = notice(who, sequence)
                try:
                    if publish(url, raw, timeout=30) != "accepted":
                        return
                except (requests.RequestException, RuntimeError):
                    return  # refused (PF-HUB-STOPPING) or the connection closed: stop here
                with lock:
                    acknowledged[mid] = (who, sequence)
                    sent[0] += 1

        with ThreadPoolExecutor(PUBLISHERS) as pool:
            streams = [pool.submit(stream, addressee(20_000 + stop * 100 + i))
                       for i in range(PUBLISHERS)]
            wait_until(lambda sent=sent: sent[0] >= 40, 60, f"stop {stop}: 40 notices accepted")
            hub.popen.send_signal(signal.SIGTERM)
            for f in streams:
                f.result(timeout=120)
        stopped = assert_clean_exit(hub, 60)
        assert stopped["drained"] is True, f"stop {stop}: {stopped}"
    hub, _ = start_hub(config)
    keep(hub)
    for name in ("tax", "kokuho"):
        db = tmp / f"{name}.sqlite3"
        rows = wait_until(lambda db=db: len(applied(db)) >= len(acknowledged) and applied(db),
                          300, f"{name} to apply {len(acknowledged)} notices")
        assert_exactly_once_in_order(rows, acknowledged)
    hub.popen.send_signal(signal.SIGTERM)
    assert_clean_exit(hub, 60)


def test_sigterm_under_a_burst_20_times_on_sqlite(tmp_path, keep):
    sigterm_under_bursts(tmp_path, keep, f"sqlite:{tmp_path / 'notices.sqlite3'}")


def test_sigterm_under_a_burst_20_times_on_postgresql(tmp_path, keep, postgres_url):
    sigterm_under_bursts(tmp_path, keep, postgres_url)
