"""Requests' MessageIds admitted per second by the store of seen MessageIds: SQLite vs
PostgreSQL (issue 13 item 5; bus/store/seen_messages.py, seen_messages_pg.py).

``--inflight W`` threads, spread over ``--stores S`` store objects on one file or schema (S hub
processes' stores, each with its writer thread and connection), each sight a fresh MessageId and
wait for its decision before the next one — as W requests in flight do in the hub, a request
going on only once its ID is committed. The clock runs from the first sighting to the last
decision. No HTTP, no validation: the store's own ceiling in one process, not the hub's.

    python bench/seen_messages.py [--sightings 20000] [--inflight 1,16,64] [--stores 1]
        [--pg postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from bus.store.seen_messages import BatchedSeenMessages, SqliteSeenMessages
from bus.store.seen_messages_pg import PostgresSeenMessages


def _signal(result: object, done: threading.Event) -> object:
    done.set()  # the writer thread fires the Deferred: wake the waiting sender
    return result


def run(stores: list[BatchedSeenMessages], sightings: int, inflight: int) -> float:
    per = sightings // inflight
    ids = [[str(uuid.uuid4()) for _ in range(per)] for _ in range(inflight)]
    refused: list[str] = []

    def work(store: BatchedSeenMessages, mine: list[str]) -> None:
        for mid in mine:
            decided = threading.Event()
            now = time.time()
            waiter = store.first_sighting(mid, now, now + 86_400)
            waiter.addBoth(_signal, decided)
            decided.wait()
            if waiter.result is not True:
                refused.append(mid)

    threads = [threading.Thread(target=work, args=(stores[w % len(stores)], ids[w]))
               for w in range(inflight)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    assert not refused, f"{len(refused)} fresh IDs not admitted"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sightings", type=int, default=20_000)
    parser.add_argument("--inflight", default="1,16,64")
    parser.add_argument("--stores", type=int, default=1)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"{'store':<12} {'in flight':>9} {'admits/s':>9}")
    for inflight in (int(w) for w in args.inflight.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            stores: list[BatchedSeenMessages] = [
                SqliteSeenMessages(Path(tmp) / "s.seen.sqlite3") for _ in range(args.stores)]
            elapsed = run(stores, args.sightings, inflight)
            for s in stores:
                s.close()
        print(f"{'sqlite':<12} {inflight:>9} {args.sightings / elapsed:>9,.0f}", flush=True)
        schema = f"bench_seen_{uuid.uuid4().hex[:12]}"
        try:
            stores = [PostgresSeenMessages(f"{args.pg}?schema={schema}")
                      for _ in range(args.stores)]
            elapsed = run(stores, args.sightings, inflight)
            for s in stores:
                s.close()
        finally:
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.Identifier(schema)))
        print(f"{'postgresql':<12} {inflight:>9} {args.sightings / elapsed:>9,.0f}", flush=True)


if __name__ == "__main__":
    main()
