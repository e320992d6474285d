"""全件 through a real hub: vendor B loads every resident of vendor A page by page; the hub goes
down mid-transfer, and the same transfer resumes from the last confirmed page once it is back."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from adapters.vendor_a_registry.store import RegistryStore
from adapters.vendor_b_tax.store import TaxStore
from bus.cli.demo_command import demo_config
from examples import HUB_CONFIG

from tests.support.network import free_port

from .processes import REPO, python, start_hub

pytestmark = pytest.mark.integration



def full_load(hub_url: str, db, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "adapters.vendor_b_tax", "full-load", "--hub", hub_url, "--db",
         str(db), "--transfer-id", "initial-load", "--page-size", "2", *extra],
        cwd=REPO, capture_output=True, text=True, timeout=60)


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
