"""全件 through a real hub: vendor B loads every resident of vendor A page by page; the hub goes
down mid-transfer, and the same transfer resumes from the last confirmed page once it is back;
with a window of pages in flight, the loader is killed mid-transfer and resumes, every page
applied once and in order, from the one snapshot."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys

import pytest

from adapters.vendor_a_registry.migration import populate
from adapters.vendor_a_registry.store import SEED_RESIDENTS, RegistryStore, seed
from adapters.vendor_b_tax.store import TaxStore
from bus.cli.demo_command import demo_config
from examples import HUB_CONFIG

from tests.support.network import free_port
from tests.support.polling import wait_until

from .processes import REPO, python, start_hub

pytestmark = pytest.mark.integration



def full_load_args(hub_url: str, db, *extra: str) -> list[str]:
    return [sys.executable, "-m", "adapters.vendor_b_tax", "full-load", "--hub", hub_url, "--db",
            str(db), "--transfer-id", "initial-load", "--page-size", "2", *extra]


def full_load(hub_url: str, db, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(full_load_args(hub_url, db, *extra), cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def confirmed_pages(db) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT confirmed_pages FROM pfbus_full_transfers").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet
        return 0
    return row[0] if row else 0


@pytest.mark.slow
def test_a_windowed_full_load_killed_midway_resumes_in_order_from_the_same_snapshot(
        tmp_path, keep):
    store = RegistryStore.open(tmp_path / "a.sqlite3")
    seed(store)
    populate(store, 3_000)
    everyone = [r["宛名番号"] for r in store.residents()]
    store.close()
    registry = keep(python("-m", "adapters.vendor_a_registry", "--db", str(tmp_path / "a.sqlite3")))
    url = registry.wait_json(lambda d: d.get("event") == "adapter.listening")["url"]
    config = tmp_path / "hub.toml"
    config.write_text(demo_config(HUB_CONFIG.read_text("utf-8"), {"vendor-a-juki": url},
                                  tmp_path), encoding="utf-8")
    hub, hub_url = start_hub(config)
    keep(hub)
    b_db = tmp_path / "b.sqlite3"
    args = full_load_args(hub_url, b_db, "--window", "4")
    args[args.index("--page-size") + 1] = "25"  # 121 pages
    loader = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: confirmed_pages(b_db) >= 10, 60, "ten pages confirmed")
        loader.send_signal(signal.SIGKILL)
    finally:
        loader.wait(30)
    killed_at = confirmed_pages(b_db)
    assert 10 <= killed_at < 121  # killed mid-transfer
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    assert state["state"] == "complete" and state["received"] == len(everyone) == \
        3_000 + len(SEED_RESIDENTS)
    conn = sqlite3.connect(b_db)
    applied = [r[0] for r in conn.execute('SELECT "宛名番号" FROM "宛名" ORDER BY rowid')]
    conn.close()
    assert applied == everyone  # each resident once, in the snapshot's order (pages in order)
    registry_db = RegistryStore.open(tmp_path / "a.sqlite3")
    snapshots = registry_db.conn.execute('SELECT count(*) FROM "全件抽出管理"').fetchone()[0]
    registry_db.close()
    assert snapshots == 1  # the resumed load read the same snapshot


@pytest.mark.slow
def test_full_load_resumes_after_the_hub_was_down(tmp_path):
    registry = python("-m", "adapters.vendor_a_registry", "--db", str(tmp_path / "a.sqlite3"),
                      "--seed")
    hub = None
    try:
        url = registry.wait_json(lambda d: d.get("event") == "adapter.listening")["url"]
        config = tmp_path / "hub.toml"
        config.write_text(demo_config(HUB_CONFIG.read_text("utf-8"), {"vendor-a-juki": url},
                                      tmp_path), encoding="utf-8")
        port = free_port()
        hub, hub_url = start_hub(config, port=port)
        first = full_load(hub_url, tmp_path / "b.sqlite3", "--max-pages", "2")
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["confirmed_pages"] == 2
        hub.stop()
        down = full_load(hub_url, tmp_path / "b.sqlite3")
        assert down.returncode == 1 and "resume" in down.stderr
        hub, _ = start_hub(config, port=port)
        done = full_load(hub_url, tmp_path / "b.sqlite3")
        assert done.returncode == 0, done.stderr
        state = json.loads(done.stdout)
        everyone = RegistryStore.open(tmp_path / "a.sqlite3").residents()
        assert state["state"] == "complete" and state["received"] == len(everyone)
        loaded = TaxStore.open(tmp_path / "b.sqlite3").addressees()
        assert sorted(r["宛名番号"] for r in loaded) == sorted(r["宛名番号"] for r in everyone)
    finally:
        for p in (hub, registry):
            if p is not None:
                p.stop()
