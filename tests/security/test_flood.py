"""One adapter floods the hub while another keeps its normal pace: the other is still served, in
about its normal time; the flooder gets PF-LIMIT-RATE faults and a routing-log record of each.
Run over plain HTTP (limits keyed by the claimed Sender) and over mutual TLS (limits keyed by the
adapter its client certificate authenticates, even when its headers claim another adapter's Sender).

Loopback only; the flood is bounded in time (a few seconds). "Served" is asserted (every paced
request answered 200, none refused); the latencies are printed, never asserted — a timed bound
fails on a loaded machine for reasons that are not the hub's (speed is for bench/)."""

from __future__ import annotations

import statistics
import time

import pytest

from . import hubkit
from .flooder import inquiry
from ..integration.processes import python

pytestmark = pytest.mark.integration

FLOOD_SECONDS = 4.0
RATE, BURST = 20, 20


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def paced(hub, url: str, count: int, interval: float) -> tuple[list[float], list[int]]:
    """The normal adapter: ``count`` inquiries, one every ``interval`` s, on one connection."""
    latencies, statuses = [], []
    with hubkit.session(hub, "vendor-b-tax") as s:
        for _ in range(count):
            body = inquiry("vendor-b-tax")
            started = time.monotonic()
            r = s.post(url, data=body, headers={"Content-Type": "text/xml; charset=utf-8"},
                       timeout=30)
            latencies.append(time.monotonic() - started)
            statuses.append(r.status_code)
            time.sleep(interval)
    return latencies, statuses


@pytest.mark.slow
@pytest.mark.parametrize("mode", hubkit.MODES)
def test_a_flooding_adapter_does_not_starve_the_others(tmp_path, mode):
    hub = hubkit.start(tmp_path, f"limits = {{ rate = {RATE}, burst = {BURST}, "
                                 f"concurrency = 8 }}\n", tenants=("131016",),
                       tls=mode == "tls")
    url = hub["url"] + "/services/juki.ResidentInquiry"
    try:
        paced(hub, url, 5, 0.02)  # warm up (imports, connection pool to the provider)
        baseline, statuses = paced(hub, url, 30, 0.05)
        assert set(statuses) == {200}
        files = hubkit.client_files(hub, "flooder-sys")
        tls_args = (files["cert"], files["key"], files["ca"]) if files else ()
        flooder = python("-m", "tests.security.flooder", url, str(FLOOD_SECONDS), "16",
                         "flooder-sys", *tls_args)
        try:
            flooder.wait_json(lambda d: d.get("started"), 30)
            time.sleep(0.5)  # let the flood build up
            flooded, statuses = paced(hub, url, 30, 0.05)  # 10 req/s: well under its own limit
            result = flooder.wait_json(lambda d: "status" in d, FLOOD_SECONDS + 60)
        finally:
            flooder.stop()
        assert set(statuses) == {200}, statuses
        print(f"baseline p95 {p95(baseline) * 1000:.1f} ms, under flood {p95(flooded) * 1000:.1f}"
              f" ms; flooder: {result}")
        sent = sum(result["status"].values())
        refused = result["faults"].get("PF-LIMIT-RATE", 0)
        served = result["status"].get("200", 0)
        assert refused > 0, result
        assert set(result["faults"]) <= {"PF-LIMIT-RATE", "PF-LIMIT-CONCURRENCY"}, result
        # Admitted at most the burst plus the rate over the flood (and some slack for timing).
        assert served <= BURST + RATE * (FLOOD_SECONDS + 2), result
        assert sent > served * 2, result  # it really flooded
        rows = hubkit.log_rows(hub, "PF-LIMIT-RATE", wait_for=refused)
        assert len(rows) >= refused
        assert all(r.rule == "limit:rate" for r in rows)
        if mode == "plain":  # keyed by the claimed Sender, which the rows name
            assert all(r.sender == "131016/07/flooder-sys" for r in rows)
        else:
            # Keyed by the authenticated adapter and refused before the envelope is read: the
            # rows name it by the TLS peer, whatever Sender the headers would have claimed.
            assert all(r.peer == "flooder-sys" for r in rows), {r.peer for r in rows}
        assert not any(r.sender == "131016/07/vendor-b-tax" and r.fault_code for r in
                       hubkit.log_rows(hub))
    finally:
        hubkit.stop(hub)


@pytest.mark.slow
def test_over_tls_a_flood_claiming_anothers_sender_spends_only_its_own_limits(tmp_path):
    """flooder-sys's certificate, vendor-b-tax's Sender in every header: the limits key on the
    authenticated adapter, so the real vendor-b-tax (10 requests/s) is never refused."""
    hub = hubkit.start(tmp_path, f"limits = {{ rate = {RATE}, burst = {BURST}, "
                                 f"concurrency = 8 }}\n", tenants=("131016",), tls=True)
    url = hub["url"] + "/services/juki.ResidentInquiry"
    try:
        files = hubkit.client_files(hub, "flooder-sys")
        flooder = python("-m", "tests.security.flooder", url, str(FLOOD_SECONDS), "16",
                         "vendor-b-tax", files["cert"], files["key"], files["ca"])
        try:
            flooder.wait_json(lambda d: d.get("started"), 30)
            time.sleep(0.5)  # let the flood build up
            _, statuses = paced(hub, url, 30, 0.05)
            result = flooder.wait_json(lambda d: "status" in d, FLOOD_SECONDS + 60)
        finally:
            flooder.stop()
        print(f"spoofing flooder: {result}")
        assert set(statuses) == {200}, statuses
        assert result["status"].get("200", 0) == 0, result  # nothing it sent was forwarded
        assert result["faults"].get("PF-LIMIT-RATE", 0) > 0, result
        assert result["faults"].get("PF-SENDER-SPOOFED", 0) > 0, result
        assert set(result["faults"]) <= {"PF-LIMIT-RATE", "PF-LIMIT-CONCURRENCY",
                                         "PF-SENDER-SPOOFED"}, result
    finally:
        hubkit.stop(hub)
