"""What the admin side costs the SOAP path: CPU per exchange of a hub without ``[admin]`` and of
the same hub with it (metrics, traffic for the dashboard, controls checked per request, the store
probe every 5 s), side by side on the same provider and load; the second hub's /metrics is scraped
and its console dashboard and a routing-log search page fetched (logged in) once a second, as a
busy operator and Prometheus would. Runs alternate A, B, A, B … so the machine's other load hits
both alike; the table shows medians. On a shared machine whose load moves from one run to the
next, ``--together`` loads both hubs at the same time instead (each with its own generator
process and the same connections), so whatever else runs hits A and B in the same seconds.
Target (issue 12): ≤ 5 % more hub CPU per exchange.

    python bench/admin_overhead.py [--duration 10] [--connections 16] [--repeat 3] [--together]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

import requests

from hub_vs_direct import HUB_CONFIG, build_request
from loadgen import run_python, smoke
from procs import Child, machine, wait_quiet
from provider import EXPECTED_ELEMENT

TOKEN = "bench-operator-token-0123456789"
ADMIN = '\n[admin]\nlisten = "127.0.0.1:0"\ntoken_file = "tokens"\n'


def operator(admin_url: str, stop: threading.Event, counts: dict) -> None:
    """Scrape /metrics, open the dashboard and a search page, once a second."""
    s = requests.Session()
    s.post(admin_url + "/login", data={"token": TOKEN}, timeout=10)
    while not stop.wait(1.0):
        for path in ("/metrics", "/", "/log?service=juki.ResidentInquiry"):
            if s.get(admin_url + path, timeout=10).ok:
                counts[path] = counts.get(path, 0) + 1


def measure(batch: list[tuple[str, str]], hubs: dict[str, Child], admin_url: str, body: bytes,
            args) -> dict[str, dict]:
    """Load the hubs of ``batch`` for ``args.duration`` s (at the same time when there are two),
    the operator polling the admin hub meanwhile; each hub's CPU ms per exchange."""
    stop, counts = threading.Event(), {}
    scraper = None
    if any("operator" in name for name, _ in batch):
        scraper = threading.Thread(target=operator, args=(admin_url, stop, counts))
        scraper.start()
    processes = 1 if len(batch) > 1 else args.processes
    out: dict[str, dict] = {}
    before = {name: hubs[name].cpu_seconds() for name, _ in batch}

    def load(name: str, url: str) -> None:
        out[name] = run_python(url, body, EXPECTED_ELEMENT, args.connections, args.duration,
                               processes)

    threads = [threading.Thread(target=load, args=item) for item in batch]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    if scraper is not None:
        scraper.join()
    for name, _ in batch:
        r = out[name]
        r.update(cpu_ms=(hubs[name].cpu_seconds() - before[name]) * 1e3 / max(r["requests"], 1),
                 rps=r["requests"] / r["seconds"],
                 operator=counts if "operator" in name else {})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--together", action="store_true",
                        help="load A and B at the same time (one generator process each)")
    args = parser.parse_args(argv)
    body = build_request()
    info = machine("python", args.processes)
    results: dict[str, list[dict]] = {"without [admin]": [], "with [admin] + operator": []}
    with tempfile.TemporaryDirectory(prefix="pfbus-admin-bench-") as tmp:
        workdir = Path(tmp)
        prov = Child("provider", [sys.executable, "bench/provider.py"], workdir)
        hubs: dict[str, Child] = {}
        try:
            provider_url = f"http://127.0.0.1:{prov.wait_json('port')['port']}/soap"
            urls = {}
            for name, extra in (("without [admin]", ""), ("with [admin] + operator", ADMIN)):
                d = workdir / ("a" if not extra else "b")
                d.mkdir()
                (d / "tokens").write_text(f"operator bench {TOKEN}\n", "utf-8")
                (d / "hub.toml").write_text(HUB_CONFIG.format(provider_url=provider_url) + extra,
                                            "utf-8")
                hubs[name] = Child(f"hub-{d.name}", [sys.executable, "-m", "bus.cli.main",
                                                     "serve", "--config", str(d / "hub.toml")],
                                   d)
                urls[name] = hubs[name].wait_json("event", "hub.listening")["url"] + \
                    "/services/juki.ResidentInquiry"
            admin_url = hubs["with [admin] + operator"].wait_json("event",
                                                                  "admin.listening")["url"]
            for url in urls.values():
                smoke(url, body, EXPECTED_ELEMENT)
            for round_ in range(args.repeat):
                batches = [list(urls.items())] if args.together else [[u] for u in urls.items()]
                for batch in batches:
                    wait_quiet(20)
                    for _, url in batch:
                        run_python(url, body, EXPECTED_ELEMENT, args.connections, args.warmup,
                                   1 if args.together else args.processes)
                    for name, r in measure(batch, hubs, admin_url, body, args).items():
                        results[name].append(r)
                        print(f"# round {round_ + 1} {name:26} {r['rps']:7.0f} req/s  "
                              f"hub CPU {r['cpu_ms']:.3f} ms/exchange  errors {r['errors']}  "
                              f"operator requests {sum(r['operator'].values())}",
                              file=sys.stderr)
        finally:
            for child in (*hubs.values(), prov):
                child.stop()
    print(f"machine: {info}")
    print(f"{'hub':28} {'req/s':>8} {'hub CPU ms/exchange':>20} {'errors':>7}")
    medians = {}
    for name, runs in results.items():
        medians[name] = statistics.median(r["cpu_ms"] for r in runs)
        print(f"{name:28} {statistics.median(r['rps'] for r in runs):8.0f} "
              f"{medians[name]:20.3f} {sum(r['errors'] for r in runs):7d}")
    a, b = medians.values()
    print(f"admin side: {100 * (b - a) / a:+.1f} % hub CPU per exchange (target ≤ 5 %)")
    runs_a, runs_b = results.values()
    pairs = [100 * (rb["cpu_ms"] - ra["cpu_ms"]) / ra["cpu_ms"] for ra, rb in zip(runs_a, runs_b,
                                                                                 strict=True)]
    print("per round: " + ", ".join(f"{p:+.1f} %" for p in pairs)
          + f"; median {statistics.median(pairs):+.1f} %")
    return 1 if any(r["errors"] for runs in results.values() for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
