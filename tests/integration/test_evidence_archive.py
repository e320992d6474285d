"""Evidence or refuse for the payload archive, against a real hub process with ``[store]
archive`` on: the archive's file is made read-only mid-run.

The rule, counted from the clients' side: every exchange a client saw answered has its request
and its response in the archive, or the client was refused with PF-LOG-UNAVAILABLE — never an
answer whose payloads were dropped. A SIGKILL during a burst takes no answered exchange's
payloads with it (a reply waits for their commit). (The full queue is covered in process:
tests/unit/test_evidence_archive.py.)
"""

from __future__ import annotations

import base64
import os
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.support.soap import fault_detail, inquiry_envelope
from tests.support.immutable import chattr, require_chattr

from .processes import python, start_hub

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SERVICE = "juki.ResidentInquiry"
KEY_ENV = "PFBUS_TEST_ARCHIVE_KEY"


def write_config(tmp: Path, provider: int) -> Path:
    config = tmp / "hub.toml"
    config.write_text(f'''[hub]
listen = "127.0.0.1:0"
allow_plain_http = true

[store]
routing_log = "{tmp / 'log.sqlite3'}"
archive = "sqlite:{tmp / 'archive.sqlite3'}"
archive_key_env = "{KEY_ENV}"

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
''', encoding="utf-8")
    return config


def inquiry(url: str, seen: dict, timeout: float = 30.0) -> tuple[int, str | None]:
    raw, mid = inquiry_envelope()
    try:
        r = requests.post(f"{url}/services/{SERVICE}", data=raw, timeout=timeout,
                          headers={"Content-Type": "text/xml; charset=utf-8"})
    except requests.ConnectionError:  # the hub was killed: no answer seen
        return 0, None
    code = None if r.status_code == 200 else fault_detail(r)["code"]
    seen[mid] = (r.status_code, code)
    return r.status_code, code


def archived(archive: Path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    try:
        return set(conn.execute("SELECT message_id, kind FROM payloads").fetchall())
    finally:
        conn.close()


def without_payloads(answered: set[str], archive: Path) -> set[str]:
    kept = archived(archive)
    return {mid for mid in answered if not {(mid, "request"), (mid, "response")} <= kept}


def start(tmp_path: Path, keep, monkeypatch):
    monkeypatch.setenv(KEY_ENV, base64.b64encode(os.urandom(32)).decode())
    provider = keep(python("-m", "tests.integration.fake_provider", "valid"))
    hub, url = start_hub(write_config(tmp_path, provider.wait_json(lambda d: "port" in d)["port"]))
    return keep(hub), url


@pytest.mark.slow
def test_read_only_archive_refuses_exchanges_and_every_answer_is_archived(
        tmp_path, keep, monkeypatch):
    require_chattr(tmp_path)
    hub, url = start(tmp_path, keep, monkeypatch)
    archive = tmp_path / "archive.sqlite3"
    files = [archive, archive.with_name(archive.name + "-wal")]  # never -shm: it is mmapped
    seen: dict[str, tuple[int, str | None]] = {}
    for _ in range(3):
        assert inquiry(url, seen)[0] == 200
    chattr("+i", *files)
    try:
        with ThreadPoolExecutor(1) as pool:
            # the first exchange after the fault: admitted, its payloads fail to commit, so its
            # answer waits (and is refused if the archive does not recover in time)
            first = pool.submit(inquiry, url, seen)
            hub.wait_for("payload_archive.unavailable", 30)
            refusals = [inquiry(url, seen, timeout=10) for _ in range(4)]
            assert all(code == "PF-LOG-UNAVAILABLE" for _, code in refusals), refusals
            hub.wait_for("payload_archive.refused", 5)
    finally:
        chattr("-i", *files)
    first.result(timeout=60)
    hub.wait_for("payload_archive.available", 30)
    for _ in range(3):
        assert inquiry(url, seen)[0] == 200
    assert hub.stop() == 0
    answered = {mid for mid, (status, _) in seen.items() if status == 200}
    refused = {mid for mid, (_, code) in seen.items() if code == "PF-LOG-UNAVAILABLE"}
    assert len(answered) >= 6 and len(refused) >= 4 and answered | refused == set(seen), seen
    missing = without_payloads(answered, archive)
    assert not missing, f"{len(missing)} answered exchanges without their archived payloads"


@pytest.mark.slow
def test_sigkill_during_a_burst_loses_no_answered_exchange_s_payloads(
        tmp_path, keep, monkeypatch):
    hub, url = start(tmp_path, keep, monkeypatch)
    seen: dict[str, tuple[int, str | None]] = {}
    stop = threading.Event()
    enough = threading.Event()

    def burst() -> None:
        while not stop.is_set():
            inquiry(url, seen, timeout=10)
            if sum(1 for status, _ in list(seen.values()) if status == 200) >= 150:
                enough.set()

    threads = [threading.Thread(target=burst) for _ in range(8)]
    for t in threads:
        t.start()
    blocker = sqlite3.connect(tmp_path / "archive.sqlite3", isolation_level=None)
    try:
        assert enough.wait(120), "the burst did not get 150 answers"
        # The archive's writer is slowed down (it waits for the write lock) and the hub is
        # killed inside that window: an answer sent before its payloads were committed would
        # lose them. The window is a fixed 1.5 s of burst, not a wait for a condition.
        blocker.execute("BEGIN IMMEDIATE")
        time.sleep(1.5)
        hub.stop(signal.SIGKILL)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        if blocker.in_transaction:
            blocker.execute("ROLLBACK")
        blocker.close()
    answered = {mid for mid, (status, _) in seen.items() if status == 200}
    missing = without_payloads(answered, tmp_path / "archive.sqlite3")
    assert not missing, f"{len(missing)} of {len(answered)} answered exchanges lost their payloads"
