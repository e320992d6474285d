"""What mutual TLS costs the hub: the same exchange over plain HTTP and over mutual TLS, on kept
connections (per-exchange cost) and on a new connection per exchange (handshake cost).

Starts bench/provider.py and two hubs as real processes on 127.0.0.1: one with
``allow_plain_http`` and one listening over TLS with ``client_ca`` (the adapter proves who it is
with its client certificate; the test CA of ``pfbus certs make-test-ca``: ECDSA P-256 keys).
The hub → provider leg is plain HTTP in both, so the difference is the client → hub leg only.

Four runs, each a fixed number of juki.ResidentInquiry exchanges (fresh MessageId and SentAt
each, as replays are refused) sent by client processes, each with one connection at a time:

- ``plain, kept`` / ``mTLS, kept``: every client keeps its connection for all its exchanges;
- ``plain, new`` / ``mTLS, new``: a new connection per exchange (TCP and, for mTLS, a full
  handshake with both certificates checked: the clients offer no session to resume).

The hub's CPU per exchange (/proc, the whole hub process) is the figure to read; from it:
TLS per exchange = mTLS kept − plain kept; one handshake = (mTLS new − mTLS kept) −
(plain new − plain kept), i.e. what a new TLS connection costs beyond a new TCP connection.
The clients' time to connect (TCP, and TLS handshake) is reported as p50/p99 too.

    python bench/tls_exchange.py [--exchanges 2000] [--clients 4] [--json FILE]

Results: docs/performance.md ("Mutual TLS").
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hub_vs_direct import HUB_CONFIG, build_request
from loadgen import CONTENT_TYPE, fresh
from procs import Child, busy_seconds, machine, wait_listening, wait_quiet
from provider import EXPECTED_ELEMENT

from bus.hub.testca import make_test_ca

ADAPTER = "vendor-b-tax"  # the Sender of build_request()'s header
TLS_CONFIG = """\
[hub.tls]
certificate = "{d}/hub.pem"
key = "{d}/hub.key"
client_ca = "{d}/ca.pem"
[[adapters]]
id = "{adapter}"
certificate_cn = "{adapter}"
parties = ["131016/07/{adapter}"]
[[access]]
service = "juki.ResidentInquiry"
local_gov_code = "131016"
right = "call"
adapters = ["{adapter}"]
"""
RUNS = (("plain", "kept"), ("mTLS", "kept"), ("plain", "new"), ("mTLS", "new"))


def client_context(certs: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    context.load_cert_chain(str(certs / f"{ADAPTER}.pem"), str(certs / f"{ADAPTER}.key"))
    return context


def _client(job: tuple) -> dict:
    """One client process: ``count`` exchanges, one connection at a time; returns the connect
    times (TCP + TLS handshake when over TLS), the exchange latencies, and the errors."""
    url, certs, body, count, new_each = job
    scheme, _, rest = url.partition("://")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.rpartition(":")
    context = client_context(Path(certs)) if scheme == "https" else None
    connects, latencies, errors, conn = [], [], 0, None
    for _ in range(count):
        started = time.perf_counter()
        try:
            if conn is None:
                conn = (http.client.HTTPSConnection(host, int(port), context=context, timeout=30)
                        if context else http.client.HTTPConnection(host, int(port), timeout=30))
                conn.connect()  # the handshake happens here, timed apart
                connects.append(time.perf_counter() - started)
            conn.request("POST", "/" + path, fresh(body), {"Content-Type": CONTENT_TYPE})
            answer = conn.getresponse()
            data = answer.read()
            if answer.status != 200 or EXPECTED_ELEMENT.encode() not in data:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            conn = None
            continue
        latencies.append(time.perf_counter() - started)
        if new_each:
            conn.close()
            conn = None
    if conn is not None:
        conn.close()
    return {"connects": connects, "latencies": latencies, "errors": errors}


def measure(hub: Child, url: str, certs: Path, body: bytes, args, new_each: bool) -> dict:
    per_client = args.exchanges // args.clients
    jobs = [(url, str(certs), body, per_client, new_each) for _ in range(args.clients)]
    waited = wait_quiet(args.quiet_wait)
    with multiprocessing.Pool(args.clients) as pool:
        pool.map(_client, [(url, str(certs), body, 20, new_each)] * args.clients)  # warm-up
        cpu0, busy0, t0 = hub.tree_cpu_seconds(), busy_seconds(), time.monotonic()
        parts = pool.map(_client, jobs)
        seconds = time.monotonic() - t0
        hub_cpu = hub.tree_cpu_seconds() - cpu0
        busy = busy_seconds() - busy0
    connects = sorted(c * 1e3 for p in parts for c in p["connects"])
    latencies = sorted(c * 1e3 for p in parts for c in p["latencies"])
    done = len(latencies)
    return {"exchanges": done, "errors": sum(p["errors"] for p in parts), "seconds": seconds,
            "per_second": done / seconds, "hub_cpu_ms": hub_cpu * 1e3 / max(done, 1),
            "connections": len(connects),
            "connect_p50_ms": _pct(connects, 50), "connect_p99_ms": _pct(connects, 99),
            "p50_ms": _pct(latencies, 50), "p99_ms": _pct(latencies, 99),
            # everything busy on the machine beyond the hub, per second (clients, provider,
            # others): the run's context, not subtracted from anything
            "rest_of_machine_cores": (busy - hub_cpu) / seconds, "waited_s": waited}


def _pct(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * q / 100))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=2000, help="exchanges per run")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the table shows medians")
    parser.add_argument("--quiet-wait", type=float, default=20.0, metavar="SECONDS",
                        help="before each run, wait up to this long for other jobs to go idle")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    body = build_request()
    results: dict[tuple[str, str], list[dict]] = {run: [] for run in RUNS}
    with tempfile.TemporaryDirectory(prefix="pfbus-tls-bench-") as tmp:
        workdir = Path(tmp)
        certs = workdir / "certs"
        certs.mkdir()
        make_test_ca(certs, adapters=[ADAPTER])
        prov = Child("provider", [sys.executable, "bench/provider.py"], workdir)
        hubs: dict[str, tuple[Child, str]] = {}
        try:
            provider_url = f"http://127.0.0.1:{prov.wait_json('port')['port']}/soap"
            for kind in ("plain", "mTLS"):
                (workdir / kind).mkdir()
                config = HUB_CONFIG.format(provider_url=provider_url)
                if kind == "mTLS":
                    config = config.replace("allow_plain_http = true\n", "")
                    config += TLS_CONFIG.format(d=certs, adapter=ADAPTER)
                (workdir / kind / "hub.toml").write_text(config, "utf-8")
                hub = Child(f"hub-{kind}", [sys.executable, "-m", "bus.cli.main", "serve",
                                            "--config", str(workdir / kind / "hub.toml"),
                                            "--port", "0"], workdir)
                hubs[kind] = hub, wait_listening(hub, 1) + "/services/juki.ResidentInquiry"
            for _ in range(args.repeat):
                for kind, connection in RUNS:
                    hub, url = hubs[kind]
                    r = measure(hub, url, certs, body, args, connection == "new")
                    results[(kind, connection)].append(r)
                    print(f"# {kind:5} {connection:4} {r['per_second']:7.0f}/s  hub CPU "
                          f"{r['hub_cpu_ms']:.3f} ms/exchange  connect p50 "
                          f"{r['connect_p50_ms']:.2f} ms  errors {r['errors']}", file=sys.stderr)
            rss = {kind: hub.status_kb("VmHWM") / 1024 for kind, (hub, _) in hubs.items()}
        finally:
            for hub, _ in hubs.values():
                hub.stop()
            prov.stop()
    summary = {f"{k} {c}": {key: statistics.median(r[key] for r in runs) for key in runs[0]}
               | {"errors": sum(r["errors"] for r in runs)} for (k, c), runs in results.items()}
    report(summary, machine("python", args.clients), rss, args)
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "hub_vmhwm_mb": rss,
                                               "runs": {f"{k} {c}": v for (k, c), v in
                                                        results.items()}}, indent=2), "utf-8")
    return 1 if any(s["errors"] for s in summary.values()) else 0


def report(summary: dict, info: dict, rss: dict, args) -> None:
    print(f"{info['nproc']} cores ({info['cpu']}), Python {info['python']}, Twisted "
          f"{info['twisted']}, OpenSSL {ssl.OPENSSL_VERSION}; {args.exchanges} exchanges per run "
          f"from {args.clients} client processes; {args.repeat} round(s), medians\n")
    print("| run | exchanges/s | hub CPU ms/exchange | connections | connect p50 / p99 ms "
          "| exchange p50 / p99 ms | errors | rest of machine, cores |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in summary.items():
        print(f"| {name} | {r['per_second']:,.0f} | {r['hub_cpu_ms']:.3f} | {r['connections']:.0f}"
              f" | {r['connect_p50_ms']:.2f} / {r['connect_p99_ms']:.2f} | {r['p50_ms']:.2f} / "
              f"{r['p99_ms']:.2f} | {r['errors']} | {r['rest_of_machine_cores']:.2f} |")
    cpu = {name: r["hub_cpu_ms"] for name, r in summary.items()}
    print(f"\nTLS per exchange on a kept connection: "
          f"{cpu['mTLS kept'] - cpu['plain kept']:+.3f} ms of hub CPU; one mutual-TLS handshake "
          f"beyond a new TCP connection: "
          f"{(cpu['mTLS new'] - cpu['mTLS kept']) - (cpu['plain new'] - cpu['plain kept']):.3f}"
          f" ms of hub CPU; hub max RSS (VmHWM): " + ", ".join(
              f"{k} {v:.0f} MB" for k, v in rss.items()))


if __name__ == "__main__":
    sys.exit(main())
