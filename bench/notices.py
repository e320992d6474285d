"""Notices (異動通知) per second: accepted-and-durable, and delivered, on SQLite and PostgreSQL.

For each store, starts two subscribers (the tests' scripted idempotent receiver,
``tests/integration/fake_subscriber.py``: applies each notice in one SQLite statement) and a hub
(``python -m bus.cli.main serve``) as real processes on 127.0.0.1, then publishes N one-change
notices (~2.3 KB each; 50 residents, each resident's notices in order, residents in parallel) from
T publisher threads. A notice counts as accepted when its pfr:NoticeReceipt arrived, i.e. after
the store's commit (SQLite: WAL, synchronous=FULL; PostgreSQL: synchronous_commit=on). Delivered
= applied by both subscribers. Publishing and delivery overlap, as in production.

    python bench/notices.py [--notices 5000] [--threads 16] [--stores sqlite,postgresql]
                            [--postgres postgresql://postgres@127.0.0.1:5432/test] [--json FILE]

Results: docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
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

from bench.procs import Child, machine  # noqa: E402
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


def run(store: str, n: int, threads: int, postgres: str, workdir: Path) -> dict:
    py = sys.executable
    subs, urls = [], {}
    for name in ("tax", "kokuho"):
        child = Child(f"{store}-{name}", [py, "-m", "tests.integration.fake_subscriber",
                                          str(workdir / f"{store}-{name}.sqlite3"), "ok"], workdir)
        subs.append(child)
        urls[name] = f"http://127.0.0.1:{child.wait_json('port')['port']}/"
    url = (f"sqlite:{workdir / f'{store}-notices.sqlite3'}" if store == "sqlite"
           else f"{postgres}?schema=pfbus_bench_{uuid.uuid4().hex[:8]}")
    config = hub_config(workdir / f"{store}-hub.toml", url, urls, node_id=f"bench-{store}")
    hub = Child(f"{store}-hub", [py, "-m", "bus.cli.main", "serve", "--config", str(config),
                                 "--port", "0"], workdir)
    try:
        hub_url = hub.wait_json("event", "hub.listening")["url"]
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

        cpu0 = hub.cpu_seconds()
        started = time.monotonic()
        with ThreadPoolExecutor(threads) as pool:
            total = sum(pool.map(publish, messages))
        accepted_s = time.monotonic() - started
        dbs = [workdir / f"{store}-{name}.sqlite3" for name in urls]
        while min(applied(db) for db in dbs) < total:
            if time.monotonic() - started > 600:
                raise RuntimeError("delivery did not finish within 600 s")
            time.sleep(0.05)
        delivered_s = time.monotonic() - started
        return {"store": store, "notices": total, "threads": threads,
                "accepted_per_s": round(total / accepted_s, 1),
                "delivered_per_s": round(total / delivered_s, 1),
                "deliveries_per_s": round(2 * total / delivered_s, 1),
                "hub_cpu_s": round(hub.cpu_seconds() - cpu0, 2),
                "hub_max_rss_mb": round(hub.status_kb("VmHWM") / 1024, 1),
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
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="pfbus-bench-notices-") as tmp:
        for store in args.stores.split(","):
            results.append(run(store, args.notices, args.threads, args.postgres, Path(tmp)))
    info = machine("python", 1)
    print(f"machine: {info['nproc']} cores, {info['cpu']}, Python {info['python']}, "
          f"Twisted {info['twisted']}")
    print("| store | notices | accepted+durable /s | delivered to both /s | deliveries /s | "
          "hub CPU s | hub max RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['store']} | {r['notices']} | {r['accepted_per_s']} | "
              f"{r['delivered_per_s']} | {r['deliveries_per_s']} | {r['hub_cpu_s']} | "
              f"{r['hub_max_rss_mb']} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
