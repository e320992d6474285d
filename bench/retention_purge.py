"""Retention on a big routing log: memory bounded, exchanges served while it purges.

Builds a routing log of N records (default 1,000,000; 90 % of them older than the retention
period), starts a hub on it (plain HTTP, a fake provider) and a steady load of inquiries, then runs
``pfbus retention run`` as its own process and reports: records deleted, how long the purge took,
the purge process's peak RSS (ru_maxrss of the child), the hub's RSS before and after, and the
exchanges answered (and failed) during the purge. Finally ``pfbus log verify`` must say intact.

    python bench/retention_purge.py [--records 1000000] [--clients 4] [--json FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bus.store.hop_record import Hop, HopRecord, Status  # noqa: E402
from bus.store.chain import GENESIS, record_hash  # noqa: E402
from bus.store.routing_log import _COLUMNS, _INSERT, RoutingLog, read_formats  # noqa: E402
from tests.integration.processes import python, start_hub  # noqa: E402
from tests.support.soap import inquiry_envelope as envelope  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build(path: Path, records: int) -> float:
    """N chained records, 90 % of them 400+ days old: through RoutingLog for the schema, then
    inserted in bulk with the writer's own hash function (the writer thread would take ~10x as
    long on a loaded machine; the rows and hashes are the same)."""
    started = time.monotonic()
    RoutingLog(path).close()  # schema, migrations
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=400)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    formats = read_formats(conn)
    prev = GENESIS
    rows = []
    for i in range(1, records + 1):
        at = (old + dt.timedelta(seconds=i * 30)) if i <= records * 0.9 else \
            dt.datetime.now(dt.timezone.utc)
        h = HopRecord(hop=Hop.ROUTED, status=Status.OK, message_id=f"m{i}",
                      service_id="juki.ResidentInquiry", sender="131016/07/vendor-b-tax",
                      duration_ms=1.5, request_bytes=2048, at=at.isoformat())
        values = {c: getattr(h, c) for c in _COLUMNS}
        digest = record_hash(i, values, prev, formats.of(i))
        rows.append((i, *values.values(), prev, digest))
        prev = digest
        if len(rows) == 20_000 or i == records:
            conn.execute("BEGIN")
            conn.executemany(_INSERT, rows)
            conn.execute("COMMIT")
            rows.clear()
    conn.close()
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pfbus-retention-"))
    log_path = work / "log.sqlite3"
    built = build(log_path, args.records)
    print(f"built {args.records} records in {built:.0f} s ({log_path.stat().st_size >> 20} MB)",
          flush=True)
    provider = python("-m", "tests.integration.fake_provider", "valid")
    port = provider.wait_json(lambda d: "port" in d)["port"]
    config = work / "hub.toml"
    config.write_text(f'''[hub]
listen = "127.0.0.1:0"
allow_plain_http = true
limits = {{ rate = 10000.0, burst = 10000, concurrency = 64 }}
[store]
routing_log = "{log_path}"
[retention]
routing_log = "30d"
[[tenants]]
local_gov_code = "131016"
name = "千代田区"
[[providers]]
id = "registry"
url = "http://127.0.0.1:{port}/"
[[routes]]
local_gov_code = "131016"
service = "juki.ResidentInquiry"
provider = "registry"
''', encoding="utf-8")
    hub, url = start_hub(config)
    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()
    stop = threading.Event()
    latencies: list[float] = []

    def client() -> None:
        session = requests.Session()
        while not stop.is_set():
            raw, _ = envelope()
            t = time.monotonic()
            try:
                r = session.post(url + "/services/juki.ResidentInquiry", data=raw, timeout=30,
                                 headers={"Content-Type": "text/xml; charset=utf-8"})
                good = r.status_code == 200
            except requests.RequestException:
                good = False
            with lock:
                counts["ok" if good else "failed"] += 1
                if good:
                    latencies.append(time.monotonic() - t)

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    try:
        time.sleep(3)
        hub_before = rss_mb(hub.popen.pid)
        with lock:
            before = dict(counts)
            latencies.clear()
        started = time.monotonic()
        purge = subprocess.run([sys.executable, "-m", "bus.cli.main", "retention", "run",
                                "--config", str(config)], capture_output=True, text=True,
                               cwd=ROOT)
        seconds = time.monotonic() - started
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        with lock:
            during = {k: counts[k] - before[k] for k in counts}
            lat = sorted(latencies)
        hub_after = rss_mb(hub.popen.pid)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
        hub.stop()
        provider.stop()
    verify = subprocess.run([sys.executable, "-m", "bus.cli.main", "log", "verify", "--db",
                             str(log_path)], capture_output=True, text=True, cwd=ROOT)
    result = {
        "records": args.records, "purge_exit": purge.returncode, "purge_output": purge.stdout,
        "purge_seconds": round(seconds, 1), "purge_peak_rss_mb": round(peak_kb / 1024, 1),
        "hub_rss_mb_before": round(hub_before, 1), "hub_rss_mb_after": round(hub_after, 1),
        "exchanges_ok_during_purge": during["ok"], "exchanges_failed_during_purge":
            during["failed"],
        "p50_ms": round(lat[len(lat) // 2] * 1000, 1) if lat else None,
        "p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 1) if lat else None,
        "verify_exit": verify.returncode, "verify": verify.stdout.strip().splitlines()[:4],
        "clients": args.clients, "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
            cwd=ROOT).stdout.strip(), "cpus": os.cpu_count()}
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1))
    return 0 if purge.returncode == 0 and verify.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
