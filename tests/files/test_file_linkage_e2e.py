"""File linkage end to end: a real hub (pfbus serve), OpenSSH's sftp over 127.0.0.1, real
folders, ledger and routing log. Vendor A uploads a 異動 file; B and C get it; a broken file gets
its rejection receipt; B confirms by removing its copy."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest
import requests

from tests.integration.processes import REPO
from tests.support.polling import wait_until

from .files_data import broken_file, change_file, name
from .hubs import sftp, start, write_config
from .receipt_schema import checked

pytestmark = pytest.mark.integration


def file_hops(hub) -> list[tuple]:
    path = hub.folder / "var" / "routing-log.sqlite3"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT hop, peer, provider, rows FROM hops WHERE hop LIKE 'file_%' "
                            "ORDER BY id").fetchall()
    finally:
        conn.close()

VIEWER = "view-token-0123456789abcdef"


def test_upload_validate_deliver_confirm_over_sftp(tmp_path, keep):
    hub = write_config(tmp_path / "hub")
    process, port = start(hub)
    keep(process)
    assert port is not None
    work = tmp_path / "work"
    work.mkdir()
    good, bad = change_file(5), broken_file()
    (work / "good.csv").write_bytes(good)
    (work / "bad.csv").write_bytes(bad)
    bad_name = name("20260402")
    result = sftp(hub, port, "vendor-a", f"put good.csv /inbox/{name()}.part\n"
                  f"rename /inbox/{name()}.part /inbox/{name()}\n"
                  f"put bad.csv /inbox/{bad_name}.part\n"
                  f"rename /inbox/{bad_name}.part /inbox/{bad_name}\n", cwd=work)
    assert result.returncode == 0, result.stderr
    outbox = {a: hub.root / a / "outbox" for a in ("vendor-a", "vendor-b", "vendor-c")}
    wait_until(lambda: (outbox["vendor-b"] / name()).exists()
               and (outbox["vendor-c"] / name()).exists(), 30, "deliveries to B and C")
    wait_until(lambda: len(list(outbox["vendor-a"].glob("*.receipt.json"))) == 2, 30,
               "two receipts")
    receipts = {r["file"]: r for r in (checked(json.loads(p.read_text("utf-8")))
                                       for p in outbox["vendor-a"].glob("*.receipt.json"))}
    assert receipts[name()]["status"] == "accepted" and receipts[name()]["rows"] == 5
    assert receipts[bad_name]["status"] == "rejected"
    assert {f["rule"] for f in receipts[bad_name]["findings"]} == {"type:date",
                                                                    "codelist:change_reason"}
    assert not (outbox["vendor-b"] / bad_name).exists()
    # vendor B fetches its file and removes it: the confirmation
    result = sftp(hub, port, "vendor-b", f"get /outbox/{name()} got.csv\nrm /outbox/{name()}\n",
                  cwd=work)
    assert result.returncode == 0, result.stderr
    assert (work / "got.csv").read_bytes() == good
    wait_until(lambda: ("file_confirmed", "vendor-a", "vendor-b", 5) in file_hops(hub), 30,
               "the confirmation in the routing log")
    process.stop()
    hops = [h[0] for h in file_hops(hub)]
    assert hops.count("file_picked_up") == 2 and hops.count("file_delivered") == 2
    assert hops.count("file_accepted") == 1 and hops.count("file_rejected") == 1


def test_a_local_drop_folder_uses_the_same_pipeline(tmp_path, keep):
    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "tokens").write_text(f"viewer bob {VIEWER}\n", encoding="utf-8")
    hub = write_config(tmp_path / "hub", sftp=False, tail='[admin]\nlisten = "127.0.0.1:0"\n'
                       'token_file = "tokens"\n')
    process, port = start(hub)
    keep(process)
    assert port is None
    admin = process.wait_for("admin.listening", 30)["url"]
    inbox = hub.root / "vendor-a" / "inbox"
    (inbox / (name() + ".tmp")).write_bytes(change_file(2))
    (inbox / (name() + ".tmp")).rename(inbox / name())
    wait_until(lambda: (hub.root / "vendor-c" / "outbox" / name()).exists(), 30,
               "the delivery to C")
    assert (hub.root / "vendor-b" / "outbox" / name()).read_bytes() == change_file(2)
    # counted once the turn has ended
    metrics = wait_until(lambda: (lambda text: text if 'pfbus_files_total{outcome="delivered"} '
                                  '2.0' in text else None)(
        requests.get(f"{admin}/metrics", timeout=10).text), 30, "the turn's counts on /metrics")
    assert 'pfbus_files_total{outcome="accepted"} 1.0' in metrics
    assert "pfbus_file_rows_total 2.0" in metrics
    # the operators see each step: the console's routing log and pfbus log
    console = requests.Session()
    assert console.post(f"{admin}/login", data={"token": VIEWER}, timeout=10).ok
    page = console.get(f"{admin}/log", timeout=10).text
    for hop in ("file_picked_up", "file_accepted", "file_delivered"):
        assert f"<td>{hop}</td>" in page, hop
    listed = subprocess.run([sys.executable, "-m", "bus.cli.main", "log", "--config",
                             str(hub.config), "--format", "json"],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    hops = [h["hop"] for h in json.loads(listed.stdout) if h["hop"].startswith("file_")]
    assert sorted(hops) == ["file_accepted", "file_delivered", "file_delivered",
                            "file_picked_up"], listed.stdout + listed.stderr


def test_a_subscription_of_an_unknown_kind_stops_the_start(tmp_path):
    hub = write_config(tmp_path / "hub", sftp=False)
    hub.config.write_text(hub.config.read_text("utf-8").replace('kind = "juki-change"',
                                                                'kind = "juki-chnage"', 1))
    from bus.core.config import load_config
    from bus.files.service import FileLinkage
    config = load_config(hub.config)
    with pytest.raises(Exception, match=r"files.subscriptions\[0\].kind: no file kind "
                                        "'juki-chnage'"):
        FileLinkage(config.files, None, None, None, {}, hub.config)  # type: ignore[arg-type]
