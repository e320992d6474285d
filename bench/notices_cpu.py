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

``--callgrind DIR``: instructions instead of CPU seconds, load-independent. The process runs under
valgrind's callgrind (``--separate-threads=yes``); at each stretch's start the process names it
and waits until ``callgrind_control --dump`` has written what every thread ran since the last
mark (a mark inside the process, ``--dump-before``, dumps only the thread that reaches it, and
the hub's work is spread over the reactor, the store's writer and the routing log's writer
threads). After a warm-up of
``2 * RESIDENTS`` notices, on one hub: *mixed* — ``--notices`` notices accepted and delivered to
both subscribers as the timed rounds do (publishing and delivery overlap); then *accept* —
``--notices`` more accepted with delivery paused (the publisher's path up to its receipt, the
group commit and the routing log's writer); then *delivery* — those delivered to both (claims,
receipt checks, completions, hops). Each stretch ends once the routing log has committed its
hops. Printed: instructions per notice of each stretch, all threads and the main (reactor)
thread alone.

    python bench/notices_cpu.py --callgrind DIR [--notices 300] [--postgres URL]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lxml import etree  # noqa: E402
from twisted.internet import defer, reactor, task  # noqa: E402

from bus.core.config import load_config  # noqa: E402
from bus.core.envelope import parse_envelope  # noqa: E402
from bus.core.header import Party, PlatformHeader  # noqa: E402
from bus.core.jsonlog import JsonLineLog  # noqa: E402
from bus.core.header import request_digest  # noqa: E402
from bus.core.inspection import RequestBinding  # noqa: E402
from bus.core.receipt import (  # noqa: E402
    ACCEPTED,
    APPLIED,
    receipt_element,
    receipt_envelope,
    receipt_status,
)
from bus.hub.app import Hub  # noqa: E402
from bus.hub.forwarder import Forwarder, ProviderAnswer  # noqa: E402
from bus.store.hop_record import Hop, Status  # noqa: E402
from bus.store.notices.base import NoticeOutcome  # noqa: E402
from bus.store.routing_log import HopRecord  # noqa: E402
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
                _drop_schema(postgres, schema)


def _streams(n: int, first: int = 1) -> list[list[bytes]]:
    """Each resident's notices in order: sequences ``first`` … for ``RESIDENTS`` residents."""
    return [[notice(addressee(9000 + r), first + s)[0] for s in range(n // RESIDENTS)]
            for r in range(RESIDENTS)]


async def _publish(hub: Hub, streams: list[list[bytes]], publishers: int) -> None:
    """``publishers`` concurrent publishers, each taking a resident's notices in order."""
    queue = list(streams)

    async def publisher() -> None:
        while queue:
            for raw in queue.pop():
                reply = await hub.exchange.handle(raw, "juki.ResidentChangeNotice", None,
                                                  None, "text/xml; charset=utf-8")
                assert reply.status == 200, reply.body[:300]

    await defer.gatherResults([defer.Deferred.fromCoroutine(publisher())
                               for _ in range(publishers)])


async def _delivered(hub: Hub, count: int) -> None:
    """Wait until ``count`` deliveries are done (both subscribers together), by the delivery
    service's own count: asking the store (``stats()``, a scan of every delivery) every 20 ms
    would put a growing share of SQL in the figure."""
    while hub.delivery.counts[NoticeOutcome.DELIVERED] < count:
        await task.deferLater(reactor, 0.02, lambda: None)


class _Marks:
    """Stretch boundaries: each mark prints the name of the stretch it begins and, under
    ``--callgrind``, waits for ``DIR/go.K`` — written once callgrind has dumped every thread's
    counts up to this mark. The wait polls on the reactor, so the process keeps running code
    while callgrind takes the command."""

    def __init__(self, wait_dir: Path | None) -> None:
        self.wait_dir = wait_dir
        self.count = 0

    async def start(self, name: str) -> None:
        self.count += 1
        print(json.dumps({"stretch": name, "mark": self.count}), flush=True)
        if self.wait_dir is not None:
            go = self.wait_dir / f"go.{self.count}"
            while not go.exists():
                await task.deferLater(reactor, 0.05, lambda: None)


async def _stretches(n: int, publishers: int, tmp: Path, store_url: str, marks: _Marks) -> None:
    """The callgrind run (see the module's doc): marks around mixed, accept and delivery."""
    warm, mixed, later = _streams(RESIDENTS * 2), _streams(n, 3), _streams(n, 3 + n // RESIDENTS)
    raws = [raw for stream in warm + mixed + later for raw in stream]
    forwarder = AnsweringForwarder(reactor, {raw: receipt(raw) for raw in raws})
    hub = Hub(load_config(config(tmp, store_url)), reactor, JsonLineLog(io.StringIO()),
              forwarder=forwarder)
    paused = False
    hub.delivery.is_paused = lambda subscriber_id: paused
    await hub.delivery.start()
    done = 0
    for name, streams in (("warm-up", warm), ("mixed", mixed), ("accept", later)):
        if name == "accept":
            paused = True
        await marks.start(name)
        await _publish(hub, streams, publishers)
        if not paused:
            done += 2 * sum(map(len, streams))
            await _delivered(hub, done)
        hub.routing_log.flush()
    paused = False
    await marks.start("delivery")
    hub.delivery.notify(SUBSCRIBERS)
    done += 2 * sum(map(len, later))
    await _delivered(hub, done)
    hub.routing_log.flush()
    await _pieces(hub, [raw for stream in later for raw in stream], forwarder.receipts, marks)
    await marks.start("")
    await hub.stop()


async def _pieces(hub: Hub, raws: list[bytes], receipts: dict[bytes, bytes],
                  marks: _Marks) -> None:
    """Pieces of the path on their own, each over ``raws`` (main thread; per notice, or per
    receipt checked — one per delivery)."""
    await marks.start("")  # what they are run on is made outside every stretch
    inspector = hub.exchange.inspector
    sub = hub.delivery.subscribers[SUBSCRIBERS[0]]
    requests = [inspector.inspect_request(raw, "juki.ResidentChangeNotice", None,
                                          "text/xml; charset=utf-8") for raw in raws]
    bindings = [RequestBinding.of(r) for r in requests]
    pieces: list[tuple[str, Callable[[], object]]] = [
        ("piece: parse_envelope of the notice", lambda: [parse_envelope(r) for r in raws]),
        ("piece: inspect_request of the notice (parse, validate, model, route, subjects)",
         lambda: [inspector.inspect_request(r, "juki.ResidentChangeNotice", None,
                                            "text/xml; charset=utf-8") for r in raws]),
        ("piece: the publisher's receipt (receipt_envelope)",
         lambda: [receipt_envelope(r, ACCEPTED) for r in requests]),
        ("piece: a subscriber's receipt checked (inspect_response, receipt_status)",
         lambda: [receipt_status(inspector.inspect_response(receipts[b.raw], b).envelope.body)
                  for b in bindings]),
        ("piece: request_digest of the notice", lambda: [request_digest(r) for r in raws]),
        ("piece: a delivery hop (HopRecord)", lambda: [HopRecord(
            hop=Hop.DELIVERY, status=Status.OK, reason="applied", duration_ms=1.0,
            message_id=b.message_id, service_id=b.service.id, provider=sub.id, endpoint=sub.url,
            attempt=1, request_bytes=len(b.raw), sender="131016/01/vendor-a-juki",
            receiver="131016/01/hub", service_version="1.0", soap_version="1.1")
            for b in bindings]),
    ]
    for name, piece in pieces:
        await marks.start(name)
        piece()


def count_instructions(args) -> int:
    out = Path(args.callgrind).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("callgrind.*"), *out.glob("go.*")]:
        old.unlink()
    inner = [sys.executable, __file__, "--inner", str(out), "--notices", str(args.notices),
             "--publishers", str(args.publishers)]
    if args.postgres:
        inner += ["--postgres", args.postgres]
    child = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--separate-threads=yes",
         f"--callgrind-out-file={out}/callgrind.%p", *inner],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    names: list[str] = []
    assert child.stdout is not None
    for line in child.stdout:
        if not line.startswith('{"stretch"'):
            continue
        mark = json.loads(line)
        names.append(mark["stretch"])
        subprocess.run(["callgrind_control", "--dump", str(child.pid)], check=True,
                       capture_output=True)
        (out / f"go.{mark['mark']}").touch()
    if child.wait() != 0:
        raise SystemExit(f"the callgrind run failed (exit {child.returncode})")
    per_part: dict[int, dict[str, int]] = {}
    for dump in out.glob(f"callgrind.{child.pid}.*-*"):  # callgrind.PID.DUMP-THREAD
        part, thread = dump.name.split(".")[-1].split("-")
        totals = [line for line in dump.read_text("utf-8", "replace").splitlines()
                  if line.startswith(("totals:", "summary:"))]
        if totals:
            per_part.setdefault(int(part), {})[thread] = int(totals[-1].split()[1])
    n = args.notices // RESIDENTS * RESIDENTS
    load = os.getloadavg()[0]
    # dump k holds what ran before the k-th mark: the stretch the (k-1)-th mark began
    for k, name in enumerate(names, start=2):
        if name and name != "warm-up":
            threads = per_part.get(k, {})
            print(json.dumps({
                "stretch": name, "notices": n,
                "store": "postgresql" if args.postgres else "sqlite",
                "k_ir_per_notice": round(sum(threads.values()) / n / 1000, 1),
                "main_thread_k_ir_per_notice": round(threads.get("01", 0) / n / 1000, 1),
                "threads_k_ir_per_notice": {t: round(v / n / 1000, 1)
                                            for t, v in sorted(threads.items())},
                "load1": load}))
    return 0


async def _round(n: int, publishers: int, tmp: Path, store_url: str) -> float:
    streams = _streams(n)
    raws = [raw for stream in streams for raw in stream]
    forwarder = AnsweringForwarder(reactor, {raw: receipt(raw) for raw in raws})
    hub = Hub(load_config(config(tmp, store_url)), reactor, JsonLineLog(io.StringIO()),
              forwarder=forwarder)
    await hub.delivery.start()
    cpu = time.process_time()
    await _publish(hub, streams, publishers)
    await _delivered(hub, 2 * len(raws))
    hub.routing_log.flush()
    cpu = time.process_time() - cpu
    await hub.stop()
    return cpu / len(raws)


def run_inner(args) -> int:
    """The process callgrind runs: the stretches, in one store made for them."""
    async def stretches() -> None:
        with tempfile.TemporaryDirectory(prefix="pfbus-notices-cpu-") as tmp:
            schema = f"pfbus_bench_{uuid.uuid4().hex[:8]}"
            store_url = f"{args.postgres}?schema={schema}" if args.postgres else \
                f"sqlite:{Path(tmp) / 'notices.sqlite3'}"
            try:
                await _stretches(args.notices, args.publishers, Path(tmp), store_url,
                                 _Marks(Path(args.inner) if args.inner != "-" else None))
            finally:
                if args.postgres:
                    _drop_schema(args.postgres, schema)

    failed: list[object] = []
    done = defer.Deferred.fromCoroutine(stretches())
    done.addErrback(lambda failure: (failed.append(failure), failure.printTraceback()))
    done.addBoth(lambda _: reactor.stop())
    reactor.run()
    return 1 if failed else 0


def _drop_schema(postgres: str, schema: str) -> None:
    import psycopg
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int,
                        help="per round (default 2000), per stretch with --callgrind (300)")
    parser.add_argument("--publishers", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="the notice store on PostgreSQL")
    parser.add_argument("--callgrind", metavar="DIR", help="count instructions (see above)")
    parser.add_argument("--inner", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.notices is None:
        args.notices = 300 if args.callgrind or args.inner else 2000
    if args.callgrind:
        return count_instructions(args)
    if args.inner:
        return run_inner(args)
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
