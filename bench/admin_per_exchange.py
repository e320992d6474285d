"""The admin side's own work per exchange, in-process: what the SOAP path pays for metrics, the
dashboard's traffic and the controls — ``Controls.refusal`` (every request), and
``HubObserver.exchange`` (every finished exchange: counters, two histograms, traffic buckets).
Timed over many calls with the real classes; compare with the hub's CPU per exchange
(docs/performance.md: about 1.7 ms).

    python bench/admin_per_exchange.py [--calls 200000]
"""

from __future__ import annotations

import argparse
import time

from bus.admin.controls import Controls
from bus.admin.metrics import HubMetrics
from bus.admin.observer import HubObserver
from bus.admin.traffic import Traffic
from bus.store.routing_log import HopRecord


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    args = parser.parse_args(argv)
    services = ["juki.ResidentInquiry", "juki.ResidentChangeNotice"]
    observer = HubObserver(None, HubMetrics(services, ["vendor-a-juki"], ["vendor-b-tax"],
                                            "bench"), Traffic())
    last = HopRecord(hop="replied", status="ok", service_id="juki.ResidentInquiry",
                     provider="vendor-a-juki", duration_ms=2.4)
    controls = Controls().apply("paused", "route:juki.Other/131016")
    best = {}
    for name, call in (("Controls.refusal", lambda: controls.refusal(
            "juki.ResidentInquiry", "131016", "m")),
            ("HubObserver.exchange", lambda: observer.exchange(last, 1.1))):
        runs = []
        for _ in range(3):
            started = time.process_time()
            for _ in range(args.calls):
                call()
            runs.append((time.process_time() - started) / args.calls * 1e6)
        best[name] = min(runs)
        print(f"{name:24} {best[name]:6.2f} µs CPU per call (best of 3 × {args.calls:,})")
    total = sum(best.values())
    print(f"per exchange: {total:.2f} µs = {100 * total / 1700:.2f} % of 1.7 ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
