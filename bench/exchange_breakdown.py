"""The reactor thread's instructions per exchange, piece by piece (issue 13 item 1).

Callgrind sees CPython's C functions, not Python's: a profile of the hub attributes the pure
Python parts (Twisted, the rules, the header model …) to the interpreter loop. So each piece is
run here on its own, in one process, on the pairs of bench/exchange_cpu.py (the request of
bench/hub_vs_direct.py and bench/provider.py's 3.2 KB answer bound to it), ``--exchanges`` times
in a row, and callgrind counts each stretch separately: ``os.getppid()`` marks the boundaries and
valgrind's ``--dump-before=os_getppid`` writes one dump per stretch. Pieces:

- each side (request, answer): the parse (``parse_envelope``: libxml2, DTD and depth checks,
  envelope structure), XSD of the header and of the body, the whole validation of each (XSD +
  rules beyond XSD, ``MessageValidator.validate``), the header model (``from_element``);
- ``inspect_request`` and ``inspect_response`` whole, and the request digest alone;
- ``SyncExchange.handle`` whole, with a forwarder that answers at once (the hub's own work
  without HTTP: the above plus routing, admission, hop records and their hand-off to the
  routing log's writer, the JSON line), main thread only;
- the HTTP server (``HubSite``/``HubChannel``/``LimitedRequest``/``HubResource`` over a
  ``StringTransport``, Twisted's request parsing and answer writing) with an exchange that
  answers at once: no reactor, no sockets.

What the real hub does beyond these (``bench/hub_http_cpu.py --callgrind``'s main-thread count
minus ``exchange`` and ``http server``) is the reactor, socket I/O and the forwarder's client.

    python bench/exchange_breakdown.py --callgrind DIR [--exchanges 200] [--members N]

``--members N``: the answer's household has N members (110: the 100 KB answers of the
big-message runs); the answer's pieces then show what a big answer costs, beside the floor
(libxml2's parse alone and the XSD of the body).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

import exchange_cpu as ec
from lxml import etree

from bus.core import envelope as envelope_module
from bus.core.envelope import parse_envelope
from bus.core.header import PlatformHeader, request_digest
from bus.hub.exchange import HttpReply, SyncExchange
from bus.hub.http import HubSite
from bus.hub.resource import HubResource
from hub_vs_direct import build_request
from provider import response_body

ACTION = f'"urn:pfbus:service:{ec.SERVICE}"'
CONTENT_TYPE = "text/xml; charset=utf-8"
WARMUP = 50


class _Segments:
    """Names the stretches between ``os.getppid()`` marks, in order."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def start(self, name: str) -> None:
        os.getppid()  # callgrind dumps what ran since the last mark
        self.names.append(name)


def run(n: int, segments: _Segments, members: int = 1) -> None:
    catalog = ec.Catalog.load((ec.BUILTIN_CATALOG,))
    registry = ec.ServiceRegistry([ec.Route(ec.TENANT, ec.SERVICE, ec.Provider(
        "p", "http://127.0.0.1:9/", 10.0), 10.0)])
    validator = ec.MessageValidator(catalog, {ec.TENANT: ec.Modulus11Scheme(length=10)})
    inspector = ec.Inspector(catalog, validator, registry)
    pairs = ec.exchanges(n + WARMUP, members)
    work = pairs[WARMUP:]
    requests = [inspector.inspect_request(r, ec.SERVICE, ACTION, CONTENT_TYPE) for r, _ in pairs]
    service, sender = requests[0].service, str(requests[0].header.sender)
    xsd = catalog.xsd
    for side, raws, tag in (("request", [r for r, _ in work], service.request_tag),
                            ("answer", [a for _, a in work], service.response_tag)):
        envelopes = [parse_envelope(raw) for raw in raws]
        parser = envelope_module._parser()
        segments.start(f"{side}: lxml parse alone (the floor)")
        for raw in raws:
            etree.fromstring(raw, parser)
        segments.start(f"{side}: parse")
        for raw in raws:
            parse_envelope(raw)
        segments.start(f"{side}: XSD of the header")
        for e in envelopes:
            xsd.validate(e.header)
        segments.start(f"{side}: XSD of the body")
        for e in envelopes:
            xsd.validate(e.body)
        segments.start(f"{side}: header validated (XSD + rules)")
        for e in envelopes:
            validator.validate(e.header)
        segments.start(f"{side}: body validated (XSD + rules)")
        for e in envelopes:
            validator.validate(e.body, tag, ec.TENANT, sender)
        segments.start(f"{side}: rules beyond XSD of the body (no walk)")
        for e in envelopes:
            validator._passes(e.body, catalog.plan.node_for(tag), validator._context(ec.TENANT,
                                                                                   sender))
        segments.start(f"{side}: header model")
        for e in envelopes:
            PlatformHeader.from_element(e.header)
        segments.start("")
    segments.start("inspect_request")
    for raw, _ in work:
        inspector.inspect_request(raw, ec.SERVICE, ACTION, CONTENT_TYPE)
    segments.start("inspect_response")
    for (_, answer), request in zip(work, requests[WARMUP:], strict=True):
        inspector.inspect_response(answer, request)
    segments.start("request digest")
    for raw, _ in work:
        request_digest(raw)
    segments.start("")
    _exchanges(n, inspector, segments, members)
    _http_server(n, segments, members)
    segments.start("")


def _exchanges(n: int, inspector, segments: _Segments, members: int = 1) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = ec.RoutingLog(Path(tmp) / "routing-log.sqlite3", marks_runs=True)
        forwarder = ec._Forwarder()
        with open(Path(tmp) / "events.jsonl", "w", encoding="utf-8") as out:
            exchange = SyncExchange(inspector, forwarder, log, ec.JsonLineLog(out),
                                    admission=ec.Admission(ec.LimitPolicy(ec.AdapterLimits(
                                        rate=1e9, burst=10**9, concurrency=4096))))
            pairs = ec.exchanges(n + WARMUP, members)

            for raw, answer in pairs[:WARMUP]:
                ec.handle_at_once(exchange, forwarder, raw, answer)
            log.flush(60)
            segments.start("exchange (SyncExchange.handle, no HTTP)")
            for raw, answer in pairs[WARMUP:]:
                ec.handle_at_once(exchange, forwarder, raw, answer)
            segments.start("")
            log.flush(60)
        log.close()


class _AnsweringExchange:
    def __init__(self, members: int = 1) -> None:
        self.answer = b"<x>" + response_body(members) + b"</x>"

    async def handle(self, raw, endpoint_service=None, soap_action=None, peer=None,
                     content_type=None, remote=None) -> HttpReply:
        return HttpReply(200, CONTENT_TYPE, self.answer)


def _http_server(n: int, segments: _Segments, members: int = 1) -> None:
    body = build_request()
    request = (b"POST /services/juki.ResidentInquiry HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
               b"Content-Type: text/xml; charset=utf-8\r\nSOAPAction: %s\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (ACTION.encode(), len(body), body))
    site = HubSite(HubResource(_AnsweringExchange(members), publisher=None))
    channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
    transport = StringTransport(hostAddress=IPv4Address("TCP", "127.0.0.1", 8080),
                                peerAddress=IPv4Address("TCP", "127.0.0.1", 40000))
    channel.makeConnection(transport)
    for _ in range(WARMUP):
        channel.dataReceived(request)
    transport.clear()
    segments.start("http server (HubSite over a StringTransport)")
    for _ in range(n):
        channel.dataReceived(request)
    segments.start("")
    if transport.value().count(b"HTTP/1.1 200 OK") != n:
        raise SystemExit(f"the HTTP server did not answer 200: {transport.value()[:300]!r}")
    channel.connectionLost()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callgrind", metavar="DIR", help="run under callgrind, dumps in DIR")
    parser.add_argument("--exchanges", type=int, default=200)
    parser.add_argument("--members", type=int, default=1,
                        help="household members in each answer (110: about 100 KB)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    segments = _Segments()
    if args.inner or not args.callgrind:  # without --callgrind: a dry run, checks only
        run(args.exchanges, segments, args.members)
        print(json.dumps(segments.names))
        return 0
    out = Path(args.callgrind).resolve()
    out.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--separate-threads=yes", "--dump-before=os_getppid",
         f"--callgrind-out-file={out}/callgrind.%p", sys.executable, __file__, "--inner",
         "--exchanges", str(args.exchanges), "--members", str(args.members)],
        check=True, capture_output=True, text=True)
    names = json.loads(done.stdout.strip().splitlines()[-1])
    counts: dict[int, int] = {}
    for dump in out.glob("callgrind.*.*-01"):  # the main thread's dumps, one per stretch
        part = int(dump.name.split(".")[-1].split("-")[0])
        totals = [line for line in dump.read_text("utf-8", "replace").splitlines()
                  if line.startswith(("totals:", "summary:"))]
        counts[part] = int(totals[-1].split()[1])
    # dump 1 is the start-up; dump k + 1 is the stretch named by the k-th mark
    for k, name in enumerate(names, start=1):
        if name:
            print(f"{counts.get(k + 1, 0) / args.exchanges / 1000:9.1f} k Ir  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
