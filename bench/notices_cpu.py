"""Hub CPU per notice (異動通知), in one process and without HTTP (issue 13): accepted, stored and
delivered to two subscribers.

Runs a real ``Hub`` on the real reactor (real configuration, SQLite notice store with group
commit, SQLite routing log, the store's thread pool) with ``--publishers`` concurrent publishers,
each sending its residents' notices in order; only the network is left out: a forwarder answers
each delivery at once with the subscriber's receipt, built before the clock starts. Each notice
goes through ``SyncExchange`` (parse, validate, route, hops, durable accept, receipt); the
delivery loops claim, check each receipt (parse, validate, binding) and complete.
``time.process_time`` counts every thread of the process. Neither Twisted's HTTP nor the
subscribers are in the figure, so it is far less disturbed by a shared machine than
``bench/notices.py``. To compare two trees, run each tree's copy alternately.

    python bench/notices_cpu.py [--notices 2000] [--publishers 16] [--rounds 3]
                                [--postgres postgresql://postgres@127.0.0.1:5432/test]

``--postgres URL``: the notice store on PostgreSQL (a fresh schema per round, dropped after).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxml import etree  # noqa: E402
from twisted.internet import defer, reactor, task  # noqa: E402

from bus.core.config import load_config  # noqa: E402
from bus.core.envelope import parse_envelope  # noqa: E402
from bus.core.header import Party, PlatformHeader  # noqa: E402
from bus.core.jsonlog import JsonLineLog  # noqa: E402
from bus.core.receipt import APPLIED, receipt_element  # noqa: E402
from bus.hub.app import Hub  # noqa: E402
from bus.hub.forwarder import Forwarder, ProviderAnswer  # noqa: E402
from tests.integration.notice_tools import addressee, notice  # noqa: E402

SUBSCRIBERS = ("tax", "kokuho")
RESIDENTS = 50


def config(tmp: Path, store_url: str) -> Path:
    path = tmp / "hub.toml"
    text = f"""
[hub]
listen = "127.0.0.1:0"
allow_plain_http = true
node_id = "node-1"
limits = {{ rate = 100000.0, burst = 100000, concurrency = 64 }}
[store]
routing_log = "{tmp / 'log.sqlite3'}"
notices = "{store_url}"
[[tenants]]
local_gov_code = "131016"
name = "千代田区"
"""
    for name in SUBSCRIBERS:
        text += f"""
[[providers]]
id = "{name}"
url = "http://127.0.0.1:9/{name}"
timeout = 60.0
[[subscriptions]]
local_gov_code = "131016"
service = "juki.ResidentChangeNotice"
subscriber = "{name}"
"""
    path.write_text(text, encoding="utf-8")
    return path


def receipt(raw: bytes) -> bytes:
    env = parse_envelope(raw)
    header = PlatformHeader.from_element(env.header)
    root = etree.Element(f"{{{env.soap_ns}}}Envelope")
    etree.SubElement(root, f"{{{env.soap_ns}}}Header").append(
        header.reply(raw, sender=Party("131016", "07", "tax")).to_element())
    etree.SubElement(root, f"{{{env.soap_ns}}}Body").append(
        receipt_element(header.message_id, APPLIED))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class AnsweringForwarder(Forwarder):
    """Answers each post with its receipt, on the next reactor turn (no network)."""

    def __init__(self, clock, receipts: dict[bytes, bytes]):
        super().__init__(clock)
        self.receipts = receipts
        self.answered = 0

    def _exchange(self, target, headers, body):
        self.answered += 1
        return task.deferLater(reactor, 0, ProviderAnswer, 200, "text/xml; charset=utf-8",
                               self.receipts[body])


async def one_round(n: int, publishers: int, postgres: str | None) -> float:
    """CPU seconds (process, all threads) per notice accepted and delivered twice."""
    with tempfile.TemporaryDirectory(prefix="pfbus-notices-cpu-") as tmp:
        schema = f"pfbus_bench_{uuid.uuid4().hex[:8]}"
        store_url = f"{postgres}?schema={schema}" if postgres else \
            f"sqlite:{Path(tmp) / 'notices.sqlite3'}"
        try:
            return await _round(n, publishers, Path(tmp), store_url)
        finally:
            if postgres:
                import psycopg
                with psycopg.connect(postgres, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def _round(n: int, publishers: int, tmp: Path, store_url: str) -> float:
    streams = [[notice(addressee(9000 + r), s + 1)[0] for s in range(n // RESIDENTS)]
               for r in range(RESIDENTS)]
    raws = [raw for stream in streams for raw in stream]
    forwarder = AnsweringForwarder(reactor, {raw: receipt(raw) for raw in raws})
    hub = Hub(load_config(config(tmp, store_url)), reactor, JsonLineLog(io.StringIO()),
              forwarder=forwarder)
    await hub.delivery.start()
    queue = list(streams)

    async def publisher() -> None:
        while queue:
            for raw in queue.pop():
                reply = await hub.exchange.handle(raw, "juki.ResidentChangeNotice", None,
                                                  None, "text/xml; charset=utf-8")
                assert reply.status == 200, reply.body[:300]

    cpu = time.process_time()
    await defer.gatherResults([defer.Deferred.fromCoroutine(publisher())
                               for _ in range(publishers)])
    store = hub.delivery.store
    while sum(s.delivered for s in store.stats()) < 2 * len(raws):
        await task.deferLater(reactor, 0.02, lambda: None)
    hub.routing_log.flush()
    cpu = time.process_time() - cpu
    await hub.stop()
    return cpu / len(raws)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int, default=2000)
    parser.add_argument("--publishers", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="the notice store on PostgreSQL")
    args = parser.parse_args(argv)
    per_notice: list[float] = []

    async def rounds() -> None:
        # warm-up: imports, schema compilation
        await one_round(RESIDENTS * 2, args.publishers, args.postgres)
        for _ in range(args.rounds):
            per_notice.append(1000 * await one_round(args.notices, args.publishers,
                                                     args.postgres))

    done = defer.Deferred.fromCoroutine(rounds())
    done.addErrback(lambda failure: failure.printTraceback())
    done.addBoth(lambda _: reactor.stop())
    reactor.run()
    if len(per_notice) < args.rounds:
        return 1
    print(f"hub CPU per notice (accepted + delivered to {len(SUBSCRIBERS)}, no HTTP, "
          f"{'postgresql' if args.postgres else 'sqlite'}): "
          f"median {statistics.median(per_notice):.3f} ms, "
          f"rounds {', '.join(f'{x:.3f}' for x in per_notice)} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
