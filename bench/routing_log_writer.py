"""The routing-log writer's CPU per exchange, by how many hand-offs one commit covers (issue 13).

The hub hands the writer an exchange's hops in two groups (before it forwards: received,
validated; with the reply: routed … replied) and the writer commits whatever is waiting when it
wakes: under load most commits covered one hand-off (``hub_vs_direct.py`` at 16–64 connections,
2026-12-03: 4,842 of 7,600 commits). Since 2026-12-05 the first group waits up to 50 ms for the
second's commit (``batching.gather``), so an idle writer commits once per exchange
(``--handoffs 2``) where it committed twice (``--handoffs 1``).

This bench does the writer thread's step — ``_prepare`` and
``_write_until_done`` of a batch of exactly ``H`` hand-offs: chaining, INSERTs, COMMIT — on the
bench's own thread, with the log's writer thread idle, so the batch size does not depend on
thread scheduling and ``time.process_time`` is the writer's work alone. The records are the
hub's six per exchange (the fields a 2 KB juki.ResidentInquiry exchange fills), built before the
clock starts; the log is prefilled so that its indexes are not trivially small.

    python bench/routing_log_writer.py [--exchanges 4000] [--handoffs 1,2,8,32]
        [--prefill 20000] [--pg postgresql://postgres@127.0.0.1:5432/test]

Instructions per exchange, load-independent: ``valgrind --tool=callgrind`` of two runs with one
``--handoffs`` value that differ only in ``--exchanges`` (same ``--prefill``);
(Ir(N2) − Ir(N1)) / (N2 − N1).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from bus.store.hop_record import Hop, HopRecord, Status, trusted_record
from bus.store.routing_log import open_routing_log


def exchange() -> list[list[HopRecord]]:
    """One exchange's hops as the hub hands them off: two groups (bus/hub/exchange.py)."""
    base = {"exchange_id": str(uuid.uuid4()), "request_bytes": 1081, "remote": "127.0.0.1:41234"}
    header = {**base, "message_id": str(uuid.uuid4()), "service_id": "juki.ResidentInquiry",
              "service_version": "1", "sender": "131016/07/vendor-b-tax",
              "receiver": "131016/01/vendor-a-juki", "soap_version": "1.1",
              "provider": "bench-juki", "endpoint": "http://127.0.0.1:8081/soap"}
    reply = {**header, "relates_to": header["message_id"], "message_id": str(uuid.uuid4())}
    ok = Status.OK
    return [
        [trusted_record(Hop.RECEIVED, ok, dict(base)),
         trusted_record(Hop.VALIDATED, ok, dict(header))],
        [trusted_record(Hop.ROUTED, ok, {**header, "duration_ms": 0.038}),
         trusted_record(Hop.PROVIDER_RESPONSE, ok, {**header, "http_status": 200,
                                                    "response_bytes": 3193}),
         trusted_record(Hop.RESPONSE_VALIDATED, ok, dict(reply)),
         trusted_record(Hop.REPLIED, ok, {**header, "http_status": 200, "response_bytes": 3193,
                                          "duration_ms": 0.993})],
    ]


def write(rl, handoffs: list[list[HopRecord]], per_commit: int) -> None:
    """The writer thread's step, ``per_commit`` hand-offs per batch (see the module doc)."""
    for start in range(0, len(handoffs), per_commit):
        rl._write_until_done(*rl._prepare(handoffs[start:start + per_commit]))


def measure(location: str, exchanges: int, per_commit: int, prefill: int) -> float:
    """CPU ms per exchange of the writer's steps over ``exchanges`` after ``prefill``."""
    rl = open_routing_log(location, node="bench")
    try:
        write(rl, [h for _ in range(prefill) for h in exchange()], 64)
        handoffs = [h for _ in range(exchanges) for h in exchange()]
        cpu = time.process_time()
        write(rl, handoffs, per_commit)
        cpu = time.process_time() - cpu
    finally:
        rl.close()
    return cpu / exchanges * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--exchanges", type=int, default=4000)
    ap.add_argument("--handoffs", default="1,2,8,32", help="hand-offs per commit (2 per exchange)")
    ap.add_argument("--prefill", type=int, default=20000, help="exchanges written first")
    ap.add_argument("--pg", default=None, help="also a PostgreSQL routing log at this URL")
    args = ap.parse_args()
    for per_commit in (int(h) for h in args.handoffs.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            ms = measure(str(Path(tmp) / "log.sqlite3"), args.exchanges, per_commit,
                         args.prefill)
        line = f"hand-offs per commit {per_commit:3}: sqlite {ms * 1000:7.1f} µs/exchange"
        if args.pg:
            schema = f"bench_{uuid.uuid4().hex[:12]}"
            try:
                ms = measure(f"{args.pg}?schema={schema}", args.exchanges, per_commit,
                             args.prefill)
            finally:
                _drop(args.pg, schema)
            line += f"   postgresql {ms * 1000:7.1f} µs/exchange (client side)"
        print(f"{line}   load {open('/proc/loadavg').read().split()[0]}", flush=True)


def _drop(dsn: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
