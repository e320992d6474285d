"""Notices (異動通知) per second: accepted-and-durable, and delivered, on SQLite and PostgreSQL.

For each store, starts two subscribers (the tests' scripted idempotent receiver,
``tests/integration/fake_subscriber.py``: applies each notice in one SQLite statement) and a hub
(``python -m bus.cli.main serve``) as real processes on 127.0.0.1, then publishes N one-change
notices (~2.3 KB each; 50 residents, each resident's notices in order, residents in parallel) from
T publisher threads. A notice counts as accepted when its pfr:NoticeReceipt arrived, i.e. after
the store's commit (SQLite: WAL, synchronous=FULL; PostgreSQL: synchronous_commit=on). Delivered
= applied by both subscribers. Publishing and delivery overlap, as in production.

With ``--workers 1,2`` each store is measured once per worker count (``pfbus serve --workers
N``: N hub processes on one notice store; hub CPU is the supervisor's and its workers' together).
``--rounds R`` repeats the whole set R times, interleaved (the machine may be shared: compare
runs made close together). Each row says how busy the machine was with other work meanwhile
(``others`` = the machine's busy CPU less the hub's, the subscribers' and this script's, in
cores), so a number measured on a busy machine is read as such.

``--subscriber-sync normal`` runs the subscribers with SQLite's ``synchronous=NORMAL`` (mode
``ok-nosync``): with the default (``full``) each subscriber fsyncs twice per notice, one notice
at a time, which on a slow disk caps delivery whatever the hub does.

    python bench/notices.py [--notices 5000] [--threads 16] [--stores sqlite,postgresql]
                            [--workers 1] [--rounds 1] [--subscriber-sync full|normal]
                            [--postgres postgresql://postgres@127.0.0.1:5432/test] [--json FILE]

Results: docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402

from bench.procs import Child, busy_seconds, machine, wait_listening  # noqa: E402
from tests.integration.notice_tools import addressee, hub_config, notice  # noqa: E402

RESIDENTS = 50


def applied(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM applied").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def max_rss_mb(hub: Child) -> float:
    """The largest peak RSS of the hub's processes (with --workers: of any one worker)."""
    peaks = []
    for pid in (hub.popen.pid, *hub.children()):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        peaks += [int(line.split()[1]) for line in status.splitlines()
                  if line.startswith("VmHWM:")]
    return round(max(peaks, default=0) / 1024, 1)


def run(store: str, n: int, threads: int, postgres: str, workdir: Path, workers: int = 1,
        subscriber_sync: str = "full") -> dict:
    py = sys.executable
    subs, urls = [], {}
    tag = f"{store}-w{workers}-{uuid.uuid4().hex[:6]}"
    for name in ("tax", "kokuho"):
        child = Child(f"{tag}-{name}", [py, "-m", "tests.integration.fake_subscriber",
                                        str(workdir / f"{tag}-{name}.sqlite3"),
                                        "ok" if subscriber_sync == "full" else "ok-nosync"],
                        workdir)
        subs.append(child)
        urls[name] = f"http://127.0.0.1:{child.wait_json('port')['port']}/"
    url = (f"sqlite:{workdir / f'{tag}-notices.sqlite3'}" if store == "sqlite"
           else f"{postgres}?schema=pfbus_bench_{uuid.uuid4().hex[:8]}")
    config = hub_config(workdir / f"{tag}-hub.toml", url, urls, node_id=f"bench-{store}")
    hub = Child(f"{tag}-hub", [py, "-m", "bus.cli.main", "serve", "--config", str(config),
                               "--port", "0", "--workers", str(workers)], workdir)
    try:
        hub_url = wait_listening(hub, workers)
        per_resident = n // RESIDENTS
        messages = [[notice(addressee(5000 + r), s)[0] for s in range(1, per_resident + 1)]
                    for r in range(RESIDENTS)]
        local = threading.local()

        def publish(batch: list[bytes]) -> int:
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            for raw in batch:
                r = session.post(f"{hub_url}/services/juki.ResidentChangeNotice", data=raw,
                                 headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=60)
                if r.status_code != 200 or b">accepted<" not in r.content:
                    raise RuntimeError(f"HTTP {r.status_code}: {r.text[:300]}")
            return len(batch)

        cpu0, busy0, mine0 = hub.tree_cpu_seconds(), busy_seconds(), own_cpu()
        subs0 = sum(sub.cpu_seconds() for sub in subs)
        started = time.monotonic()
        with ThreadPoolExecutor(threads) as pool:
            total = sum(pool.map(publish, messages))
        accepted_s = time.monotonic() - started
        dbs = [workdir / f"{tag}-{name}.sqlite3" for name in urls]
        while min(applied(db) for db in dbs) < total:
            if time.monotonic() - started > 600:
                raise RuntimeError("delivery did not finish within 600 s")
            time.sleep(0.05)
        delivered_s = time.monotonic() - started
        hub_cpu = hub.tree_cpu_seconds() - cpu0
        ours = hub_cpu + sum(sub.cpu_seconds() for sub in subs) - subs0 + own_cpu() - mine0
        return {"store": store, "workers": workers, "notices": total, "threads": threads,
                "subscriber_sync": subscriber_sync,
                "accepted_per_s": round(total / accepted_s, 1),
                "delivered_per_s": round(total / delivered_s, 1),
                "deliveries_per_s": round(2 * total / delivered_s, 1),
                "hub_cpu_s": round(hub_cpu, 2),
                "hub_cpu_ms_per_notice": round(1000 * hub_cpu / total, 2),
                "others_cores": round(max(0.0, busy_seconds() - busy0 - ours) / delivered_s, 2),
                "hub_max_rss_mb": max_rss_mb(hub),
                "bytes_per_notice": len(messages[0][0])}
    finally:
        hub.stop()
        for s in subs:
            s.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--workers", default="1", help="comma-separated hub worker counts")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--subscriber-sync", choices=("full", "normal"), default="full")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="pfbus-bench-notices-") as tmp:
        for _ in range(args.rounds):
            for store in args.stores.split(","):
                for workers in (int(w) for w in args.workers.split(",")):
                    results.append(run(store, args.notices, args.threads, args.postgres,
                                       Path(tmp), workers, args.subscriber_sync))
                    print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    info = machine("python", 1)
    print(f"machine: {info['nproc']} cores, {info['cpu']}, Python {info['python']}, "
          f"Twisted {info['twisted']}")
    print("| store | workers | notices | accepted+durable /s | delivered to both /s | "
          "deliveries /s | hub CPU s | hub CPU ms / notice | others (cores) | hub max RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['store']} | {r['workers']} | {r['notices']} | {r['accepted_per_s']} | "
              f"{r['delivered_per_s']} | {r['deliveries_per_s']} | {r['hub_cpu_s']} | "
              f"{r['hub_cpu_ms_per_notice']} | {r['others_cores']} | {r['hub_max_rss_mb']} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
