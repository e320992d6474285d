"""The admin listener over real sockets and real processes: /metrics after known traffic,
/health and /ready, maintenance and pauses through `pfbus admin` (recorded in the routing log,
kept across a restart), and the JSON events operators see on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import requests

from bus.store.notices.base import NoticeOutcome

from . import admin_kit as kit_
from .admin_kit import OPERATOR_TOKEN, VIEWER_TOKEN, api, inquiry, post, scrape
from tests.support.polling import wait_until
from tests.support.routing_log import read_hops

from .notice_tools import notice, publish
from .processes import REPO

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    started = []

    def keep(p):
        started.append(p)
        return p

    try:
        yield kit_.start_kit(tmp_path_factory.mktemp("admin"), keep)
    finally:
        for p in reversed(started):
            p.stop()


def pfbus_admin(kit, *args: str, token: str = OPERATOR_TOKEN) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bus.cli.main", "admin", "--config",
                           str(kit.config), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PFBUS_ADMIN_TOKEN": token})


def hops(kit, hop: str):
    return read_hops(kit.tmp / "routing.sqlite3", hop=hop)


def value(metrics, name, **labels):
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_known_traffic(kit):
    before = scrape(kit.admin_url)
    for _ in range(3):  # each its own MessageId: a replayed one is refused
        assert post(kit.url, inquiry()[0]).status_code == 200
    for _ in range(2):  # wrong check digit: PF-RULE-VIOLATION
        assert post(kit.url, inquiry("0000010015")[0]).status_code == 500
    raw, mid = notice("0000010014", 1)
    assert publish(kit.url, raw) == "accepted"
    # vendor-c applies it; vendor-b is down: one retry, then the dead letter channel
    wait_until(lambda: any(h.message_id == mid for h in hops(kit, "dead_lettered")), 20,
               "the dead letter")
    wait_until(lambda: value(scrape(kit.admin_url), "pfbus_notices_total",
                             subscriber="vendor-c-kokuho", outcome=NoticeOutcome.DELIVERED) >
               value(before, "pfbus_notices_total", subscriber="vendor-c-kokuho",
                     outcome=NoticeOutcome.DELIVERED), 20, "the delivery")
    # queue gauges come from the latest store probe: one taken after the dead letter (dead
    # counted) and after vendor-c's delivery (its queue empty again, not 1)
    def probed_after_both():
        m = scrape(kit.admin_url)
        return m if (value(m, "pfbus_queue_dead", subscriber="vendor-b-tax") >= 1
                     and value(m, "pfbus_queue_depth", subscriber="vendor-c-kokuho") == 0) \
            else None

    after = wait_until(probed_after_both, kit_module_probe_wait() * 3,
                       "a store probe after the dead letter and the delivery")

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    svc = "juki.ResidentInquiry"
    assert delta("pfbus_exchanges_total", service=svc, status="ok", fault_code="") == 3
    assert delta("pfbus_exchanges_total", service=svc, status="fault",
                 fault_code="PF-RULE-VIOLATION") == 2
    assert delta("pfbus_exchanges_total", service="juki.ResidentChangeNotice", status="ok",
                 fault_code="") == 1
    assert delta("pfbus_hub_latency_seconds_count", service=svc) == 5
    assert delta("pfbus_provider_latency_seconds_count", provider="vendor-a-juki") == 3
    for sub in ("vendor-b-tax", "vendor-c-kokuho"):
        assert delta("pfbus_notices_total", subscriber=sub, outcome=NoticeOutcome.ACCEPTED) == 1
    assert delta("pfbus_notices_total", subscriber="vendor-c-kokuho", outcome=NoticeOutcome.DELIVERED) == 1
    assert delta("pfbus_notices_total", subscriber="vendor-b-tax", outcome=NoticeOutcome.RETRIED) == 1
    assert delta("pfbus_notices_total", subscriber="vendor-b-tax", outcome=NoticeOutcome.DEAD) == 1
    assert value(after, "pfbus_queue_dead", subscriber="vendor-b-tax") >= 1
    assert value(after, "pfbus_queue_depth", subscriber="vendor-c-kokuho") == 0
    assert ("pfbus_routing_log_backlog", ()) in after
    assert value(after, "pfbus_routing_log_commit_seconds") > 0
    assert value(after, "pfbus_refusals_total", kind="limits") == 0
    assert any(k[0] == "pfbus_build_info" for k in after)
    text = requests.get(f"{kit.admin_url}/metrics", timeout=10).text
    assert mid not in text and "0000010014" not in text  # no IDs, no personal data


def kit_module_probe_wait() -> float:
    return 5.5  # one store-probe interval: queue gauges come from the latest probe


def test_health_and_ready_name_their_checks_and_providers(kit):
    assert requests.get(f"{kit.admin_url}/health", timeout=10).json() == {"status": "alive"}

    def ready():
        return requests.get(f"{kit.admin_url}/ready", timeout=10)

    # A provider's state comes from the traffic it has seen. Run alone (its own pytest-xdist
    # worker, or -k), this module's first test has sent none: send that traffic here.
    if ready().json()["providers"]["vendor-b-tax"]["state"] == "unknown":
        assert post(kit.url, inquiry()[0]).status_code == 200
        assert publish(kit.url, notice("0000010014", 1)[0]) == "accepted"
        wait_until(lambda: ready().json()["providers"]["vendor-b-tax"]["state"] == "down", 20,
                   "vendor-b-tax's failed deliveries")
    r = ready()
    doc = r.json()
    assert r.status_code == 200 and doc["ready"] is True, doc
    assert {"store:notices", "store:routing_log", "routing_log", "draining",
            "maintenance"} <= set(doc["checks"])
    # vendor-b-tax is down, yet the hub is ready: a vendor's outage is not the hub's
    assert doc["providers"]["vendor-b-tax"]["state"] == "down"
    assert doc["providers"]["vendor-a-juki"]["state"] == "ok"


def test_the_admin_api_needs_an_operator_token(kit):
    assert api(kit.admin_url, "GET", "/api/state", token="nope" * 8).status_code == 401
    r = api(kit.admin_url, "POST", "/api/controls", token=VIEWER_TOKEN,
            body={"action": "maintenance", "target": "hub:on", "reason": "x"})
    assert r.status_code == 403
    r = pfbus_admin(kit, "maintenance", "on", "--reason", "viewer tries", token=VIEWER_TOKEN)
    assert r.returncode == 1 and "viewer" in r.stderr
    r = pfbus_admin(kit, "pause", "--subscriber", "nobody", "--reason", "typo")
    assert r.returncode == 1 and "no subscriber 'nobody'" in r.stderr


def test_maintenance_refuses_with_503_retry_after_and_is_recorded(kit):
    r = pfbus_admin(kit, "maintenance", "on", "--reason", "OS patch 2026-12")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["controls"]["maintenance"] is True
    raw, mid = inquiry()
    answer = post(kit.url, raw)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    assert b"PF-MAINTENANCE" in answer.content
    ready = requests.get(f"{kit.admin_url}/ready", timeout=10)
    assert ready.status_code == 503 and ready.json()["failed"] == ["maintenance"]
    assert any(h.message_id == mid and h.fault_code == "PF-MAINTENANCE"
               for h in hops(kit, "rejected"))
    rec = [h for h in hops(kit, "maintenance")][-1]
    assert rec.reason == "by alice: maintenance on; reason: OS patch 2026-12"
    kit.hub.wait_json(lambda d: d.get("event") == "admin.maintenance" and d["on"] is True
                      and d["by"] == "alice")
    assert pfbus_admin(kit, "maintenance", "off", "--reason", "done").returncode == 0
    assert post(kit.url, inquiry()[0]).status_code == 200


def test_a_paused_subscriber_keeps_its_queue_then_gets_it_on_resume(kit):
    r = pfbus_admin(kit, "pause", "--subscriber", "vendor-c-kokuho", "--reason", "vendor "
                    "upgrade")
    assert r.returncode == 0, r.stderr
    kit.hub.wait_json(lambda d: d.get("event") == "admin.paused"
                      and d.get("subscriber") == "vendor-c-kokuho")
    raw, mid = notice("0000010014", 2)
    assert publish(kit.url, raw) == "accepted"  # still accepted and stored
    time.sleep(1.0)
    assert not any(h.message_id == mid and h.provider == "vendor-c-kokuho"
                   for h in hops(kit, "delivery"))
    wait_until(lambda: value(scrape(kit.admin_url), "pfbus_queue_depth",
                             subscriber="vendor-c-kokuho") == 1, 15, "the queue gauge")
    assert value(scrape(kit.admin_url), "pfbus_subscriber_paused",
                 subscriber="vendor-c-kokuho") == 1
    assert pfbus_admin(kit, "resume", "--subscriber", "vendor-c-kokuho", "--reason",
                       "upgrade done").returncode == 0
    wait_until(lambda: any(h.message_id == mid and h.provider == "vendor-c-kokuho" and
                           h.status == "ok" for h in hops(kit, "delivery")), 15,
               "the delivery after resume")
    paused = [h for h in hops(kit, "paused") if h.provider == "vendor-c-kokuho"][-1]
    assert paused.reason == "by alice: subscriber vendor-c-kokuho; reason: vendor upgrade"
    assert [h for h in hops(kit, "resumed")][-1].provider == "vendor-c-kokuho"


@pytest.mark.slow
def test_a_paused_route_and_maintenance_survive_a_restart(kit):
    assert pfbus_admin(kit, "pause", "--route", "juki.ResidentInquiry/131016", "--reason",
                       "provider migration").returncode == 0
    raw, _ = inquiry()
    answer = post(kit.url, raw)
    assert answer.status_code == 503 and b"PF-PAUSED" in answer.content
    kit.restart()
    state = json.loads(pfbus_admin(kit, "status").stdout)
    assert state["controls"]["paused_routes"] == ["juki.ResidentInquiry/131016"]
    assert post(kit.url, inquiry()[0]).status_code == 503  # still paused after the restart
    assert pfbus_admin(kit, "resume", "--route", "juki.ResidentInquiry/131016", "--reason",
                       "migrated").returncode == 0
    assert post(kit.url, inquiry()[0]).status_code == 200
