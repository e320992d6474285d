"""Evidence or refuse for the payload archive, against a real hub process with ``[store]
archive`` on: the archive's file is made read-only mid-run.

The rule, counted from the clients' side: every exchange a client saw answered has its request
and its response in the archive, or the client was refused with PF-LOG-UNAVAILABLE — never an
answer whose payloads were dropped. (The full queue is covered in process:
tests/unit/test_evidence_archive.py.)
"""

from __future__ import annotations

import base64
import os
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.support.soap import fault_detail, inquiry_envelope

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
    r = requests.post(f"{url}/services/{SERVICE}", data=raw, timeout=timeout,
                      headers={"Content-Type": "text/xml; charset=utf-8"})
    code = None if r.status_code == 200 else fault_detail(r)["code"]
    seen[mid] = (r.status_code, code)
    return r.status_code, code


def chattr(flag: str, *paths: Path) -> None:
    for p in paths:
        subprocess.run(["chattr", flag, str(p)], check=True, capture_output=True)


def test_read_only_archive_refuses_exchanges_and_every_answer_is_archived(
        tmp_path, keep, monkeypatch):
    if subprocess.run(["chattr", "+i", str(tmp_path)], capture_output=True).returncode:
        if os.environ.get("CI") == "true":
            pytest.fail("chattr +i is not permitted here; the test needs it in CI")
        pytest.skip("chattr +i not permitted (not root, or the filesystem lacks it)")
    chattr("-i", tmp_path)
    monkeypatch.setenv(KEY_ENV, base64.b64encode(os.urandom(32)).decode())
    provider = keep(python("-m", "tests.integration.fake_provider", "valid"))
    hub, url = start_hub(write_config(tmp_path, provider.wait_json(lambda d: "port" in d)["port"]))
    keep(hub)
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
    conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    try:
        kept = set(conn.execute("SELECT message_id, kind FROM payloads").fetchall())
    finally:
        conn.close()
    missing = {mid for mid in answered if not {(mid, "request"), (mid, "response")} <= kept}
    assert not missing, f"{len(missing)} answered exchanges without their archived payloads"
