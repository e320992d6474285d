"""CPU per exchange of the hub's own work, in one process and without HTTP (issue 13 item 1).

Drives ``SyncExchange`` the way the hub does — parse and validate the request, route, "forward",
parse and validate the answer with its binding (RelatesTo, RequestHash), hop records into a real
SQLite routing log (writer thread, hash chain, commits) and the JSON event line to a file — with
the provider's answers computed before the clock starts, so neither Twisted's HTTP nor the
provider is in the figure. ``time.process_time`` counts every thread of the process (the
routing log's writer too); the log is flushed before the clock stops.

Exchanges are driven one after another (no concurrency), so the routing log commits small groups:
the figure is an upper bound for the log's share, against which code changes compare well. It
is much less disturbed by a shared machine than ``bench/hub_vs_direct.py`` (no sockets, no other
process of ours). To compare two trees, run it alternately with ``PYTHONPATH=<tree>``.

    python bench/exchange_cpu.py [--exchanges 2000] [--warmup 200] [--rounds 1] [--members N]

Instructions per exchange, load-independent (what docs/performance.md reports): two callgrind
runs that differ only in ``--exchanges``, with the same ``--prepare`` (so that building the
pairs is the same in both), e.g. ``--exchanges 20`` and ``--exchanges 60`` with ``--warmup 20
--prepare 80``; (Ir(60) − Ir(20)) / 40.

``--members N``: the answer's household has N members (about 0.9 KB each; 110 make the 100 KB
answers of the big-message runs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

from bus.core.catalog import Catalog
from bus.core.envelope import parse_envelope
from bus.core.header import PlatformHeader
from bus.core.identifiers import Modulus11Scheme
from bus.core.inspection import Inspector
from bus.core.jsonlog import JsonLineLog
from bus.core.ratelimit import Admission, AdapterLimits, LimitPolicy
from bus.core.routing import Provider, Route, ServiceRegistry
from bus.core.validator import MessageValidator
from bus.hub.exchange import SyncExchange
from bus.store.routing_log import RoutingLog
from schemas import BUILTIN_CATALOG

# bench/*.py beside this file (the script's directory is on sys.path)
from hub_vs_direct import SOAP11, build_request
from loadgen import fresh
from provider import response_body

TENANT = "131016"
SERVICE = "juki.ResidentInquiry"


class _Answer:
    def __init__(self, body: bytes) -> None:
        self.status = 200
        self.body = body


class _Forwarder:
    """Answers with the precomputed reply of the request being forwarded."""

    def __init__(self) -> None:
        self.answer = b""

    async def post(self, url, body, content_type, soap_action, timeout) -> _Answer:
        return _Answer(self.answer)


def exchanges(count: int, members: int = 1) -> list[tuple[bytes, bytes]]:
    """(request, the provider's answer bound to it) pairs, as bench/provider.py answers."""
    template, body = build_request(), response_body(members)
    pairs = []
    for _ in range(count):
        raw = fresh(template)
        header = PlatformHeader.from_element(parse_envelope(raw).header).reply(raw)
        pairs.append((raw, b"".join((
            b'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="',
            SOAP11.encode(), b'">\n<soap:Header>\n', etree.tostring(header.to_element()),
            b"\n</soap:Header>\n<soap:Body>\n", body, b"\n</soap:Body>\n</soap:Envelope>\n"))))
    return pairs



def handle_at_once(exchange, forwarder, raw: bytes, answer: bytes) -> None:
    """One exchange through ``SyncExchange.handle`` with ``answer`` as the provider's, run to its
    end in one step (every store answers at once here); anything but HTTP 200 ends the bench."""
    forwarder.answer = answer
    coro = exchange.handle(raw, SERVICE, f'"urn:pfbus:service:{SERVICE}"',
                           content_type="text/xml; charset=utf-8")
    try:
        coro.send(None)
    except StopIteration as done:
        if done.value.status != 200:
            raise SystemExit(f"not answered 200: {done.value.body[:400]!r}") from None
        return
    raise SystemExit("the exchange waited for something: not measurable here")

def measure(count: int, warmup: int, directory: Path, members: int = 1,
            prepare: int = 0) -> tuple[float, float]:
    """(CPU ms per exchange, exchanges/s of wall time) over ``count`` after ``warmup``;
    ``prepare``: build at least this many request/answer pairs before the first exchange."""
    catalog = Catalog.load((BUILTIN_CATALOG,))
    registry = ServiceRegistry([Route(TENANT, SERVICE, Provider("p", "http://127.0.0.1:9/",
                                                                10.0), 10.0)])
    inspector = Inspector(catalog, MessageValidator(catalog, {TENANT: Modulus11Scheme(length=10)}),
                          registry)
    log = RoutingLog(directory / "routing-log.sqlite3", marks_runs=True)
    forwarder = _Forwarder()
    with open(directory / "events.jsonl", "w", encoding="utf-8") as out:
        exchange = SyncExchange(inspector, forwarder, log, JsonLineLog(out),
                                admission=Admission(LimitPolicy(AdapterLimits(
                                    rate=1e9, burst=1_000_000_000, concurrency=4096))))
        pairs = exchanges(max(warmup + count, prepare), members)

        def one(raw: bytes, answer: bytes) -> None:
            handle_at_once(exchange, forwarder, raw, answer)

        for raw, answer in pairs[:warmup]:
            one(raw, answer)
        log.flush(60)
        cpu, wall = time.process_time(), time.perf_counter()
        for raw, answer in pairs[warmup:warmup + count]:
            one(raw, answer)
        log.flush(60)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    log.close()
    return cpu / count * 1000, count / wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--members", type=int, default=1,
                        help="household members in each answer (110: about 100 KB)")
    parser.add_argument("--prepare", type=int, default=0,
                        help="build at least this many request/answer pairs first, used or not: "
                             "two callgrind runs with different --exchanges and the same "
                             "--prepare differ by the exchanges alone")
    args = parser.parse_args(argv)
    results = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(measure(args.exchanges, args.warmup, Path(tmp), args.members,
                                   args.prepare))
        print(f"{results[-1][0]:.3f} ms CPU per exchange, {results[-1][1]:,.0f} exchanges/s "
              f"(one after another), load {open('/proc/loadavg').read().split()[0]}")
    if len(results) > 1:
        print(f"median: {statistics.median(r[0] for r in results):.3f} ms CPU per exchange")
    return 0


if __name__ == "__main__":
    sys.exit(main())
