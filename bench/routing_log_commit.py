"""Hop records committed per second by the routing log's writer: SQLite vs PostgreSQL (issue 13
item 5).

``--writers W`` threads (the hub's reactor hands off one exchange's hops at a time:
``record_many`` of ``--hops-per-exchange`` records) each record ``--exchanges`` exchanges as fast
as they can into one log; the clock stops when the last record is committed (``flush``). On
PostgreSQL ``--nodes N`` opens N logs (N hub nodes, one chain each) on one schema, the W writers
spread over them. The records are built before the clock starts; the hash chain, checkpoints
and group commit are the real ones; no HTTP, no validation: this is the store's own ceiling in
one process (its writer thread hashes every record under the GIL), not the hub's.

    python bench/routing_log_commit.py [--exchanges 5000] [--writers 4] [--nodes 1]
        [--wait] [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bus.store.routing_log import Hop, HopRecord, Status, open_routing_log

HOPS = (Hop.RECEIVED, Hop.VALIDATED, Hop.ROUTED, Hop.PROVIDER_RESPONSE, Hop.RESPONSE_VALIDATED,
        Hop.REPLIED)


def exchange(n: int, per: int) -> list[HopRecord]:
    mid, xid = str(uuid.uuid4()), str(uuid.uuid4())
    return [HopRecord(hop=HOPS[i % len(HOPS)], status=Status.OK, message_id=mid, exchange_id=xid,
                      service_id="juki.ResidentInquiry", sender="131016/07/vendor-b-tax",
                      receiver="131016/01/vendor-a-juki", provider="registry", duration_ms=1.5,
                      request_bytes=2048, response_bytes=2048, http_status=200)
            for i in range(per)]


def run(logs: list, writers: int, exchanges: int, per: int, wait: bool) -> float:
    # built before the clock starts: the figure is the hand-off, chaining and commits
    batches = [[exchange(n, per) for n in range(exchanges)] for _ in range(writers)]

    def work(rl, mine: list[list[HopRecord]]) -> None:
        for hops in mine:
            rl.record_many(hops)
            if wait:  # as the hub's strict form: the reply waits for the commit
                rl.flush(timeout=60)

    threads = [threading.Thread(target=work, args=(logs[w % len(logs)], batches[w]))
               for w in range(writers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for rl in logs:
        rl.flush(timeout=600)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--exchanges", type=int, default=5000, help="per writer thread")
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--hops-per-exchange", type=int, default=6)
    ap.add_argument("--nodes", type=int, default=1, help="PostgreSQL: hub nodes (chains)")
    ap.add_argument("--wait", action="store_true",
                    help="each writer waits for its exchange's commit before the next (the "
                         "hub's strict form: commits of about --writers exchanges)")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    total = args.writers * args.exchanges * args.hops_per_exchange
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("sqlite", [str(Path(tmp) / "log.sqlite3")]),
                   ("postgresql", [f"{args.pg}?schema=bench_{uuid.uuid4().hex[:12]}"] * args.nodes)]
        for name, locations in targets:
            logs = [open_routing_log(loc, node=f"node-{i}") for i, loc in enumerate(locations)]
            try:
                seconds = run(logs, args.writers, args.exchanges, args.hops_per_exchange,
                              args.wait)
            finally:
                for rl in logs:
                    rl.close()
                if name == "postgresql":
                    _drop(locations[0])
            print(f"{name:10} nodes={len(logs)} writers={args.writers} wait={args.wait} "
                  f"records={total:,} "
                  f"{seconds:6.2f} s  {total / seconds:9,.0f} hops/s committed")


def _drop(url: str) -> None:
    import psycopg

    dsn, _, schema = url.partition("?schema=")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
