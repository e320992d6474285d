"""The reference linkage end to end over real sockets, every party its own process:
tax adapter (vendor B) → hub → registry adapter (vendor A) → hub → tax adapter.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from adapters.vendor_b_tax.store import TaxStore
from bus.cli.demo_command import demo_config
from bus.store.routing_log import open_readonly
from examples import HUB_CONFIG

from tests.support.routing_log import wait_for_hops

from .processes import REPO, python, start_hub

pytestmark = pytest.mark.integration

SHOKO = "0000010014"


@pytest.fixture(scope="module")
def linkage(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    registry = python("-m", "adapters.vendor_a_registry", "--db", str(tmp / "a.sqlite3"),
                      "--seed")
    tax = python("-m", "adapters.vendor_b_tax", "serve", "--db", str(tmp / "b.sqlite3"),
                 "--seed")
    urls = {name: p.wait_json(lambda d: d.get("event") == "adapter.listening")["url"]
            for name, p in (("vendor-a-juki", registry), ("vendor-b-tax", tax))}
    config = tmp / "hub.toml"
    config.write_text(demo_config(HUB_CONFIG.read_text("utf-8"), urls, tmp), encoding="utf-8")
    hub, url = start_hub(config)
    yield {"hub": url, "tmp": tmp, "log": tmp / "routing-log.sqlite3"}
    for p in (hub, tax, registry):
        p.stop()


def fetch(linkage, addressee: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "adapters.vendor_b_tax", "fetch-resident", "--hub",
         linkage["hub"], "--db", str(linkage["tmp"] / "b.sqlite3"), addressee],
        cwd=REPO, capture_output=True, text=True, timeout=60)



def test_tax_asks_registry_and_stores_the_answer_in_vendor_b_layout(linkage):
    done = fetch(linkage, SHOKO)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["stored"] == SHOKO
    store = TaxStore.open(linkage["tmp"] / "b.sqlite3")
    row = store.addressee(SHOKO)
    store.close()
    # vendor A keeps そうむ / しょうこ / 総務翔子 / 霞が関 / 2; vendor B its own way:
    assert (row["名前1"], row["名前2"], row["名前(漢字)"], row["町名"], row["丁"]) == \
        ("ソウム", "ショウコ", "総務翔子", "霞が関", "二")
    hops = wait_for_hops(linkage["log"], message_id=result["message_id"], count=6)
    assert [h.hop for h in hops] == ["received", "validated", "routed", "provider_response",
                                     "response_validated", "replied"]
    assert hops[1].sender == "131016/07/vendor-b-tax"
    assert hops[1].receiver == "131016/01/vendor-a-juki"
    assert hops[4].relates_to == result["message_id"]  # the reply, bound to the request
    assert all(h.status == "ok" for h in hops)


def test_not_found_changes_nothing_in_vendor_b(linkage):
    done = fetch(linkage, "0000099996")  # a valid 宛名番号 nobody has
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stored"] is None


def test_an_invalid_request_never_reaches_the_registry(linkage):
    done = fetch(linkage, "0000010015")  # wrong check digit
    assert done.returncode == 1
    assert "PF-RULE-VIOLATION" in done.stderr
    log = open_readonly(linkage["log"])
    try:
        rejected = [h for h in log.query(hop="rejected", limit=None)
                    if h.rule == "addressee_number"]
    finally:
        log.close()
    assert rejected and rejected[-1].service_id == "juki.ResidentInquiry"
    assert not [h for h in wait_for_hops(linkage["log"], message_id=rejected[-1].message_id, count=2)
                if h.hop == "routed"]


@pytest.mark.slow
def test_demo_exits_0():
    # The timeout only guards against a hang; how long the demo takes is a number for
    # docs/performance.md, not an assertion (a loaded CI machine must not fail it).
    done = subprocess.run([sys.executable, "-m", "bus.cli.main", "demo"], cwd=REPO,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "名前1=ソウム, 名前2=ショウコ, 名前(漢字)=総務翔子, 町名=霞が関, 丁=二" in done.stdout
    assert "PF-RULE-VIOLATION" in done.stdout and "demo finished" in done.stdout
