"""What the hub costs per request: client → provider directly vs client → hub → provider.

Starts bench/provider.py and a hub (`python -m bus.cli.main serve`, validation on both ways,
routing log in a temporary directory) as real processes on 127.0.0.1, then, for each number of
keep-alive connections, runs a fixed-duration closed-loop load against (a) the provider directly
and (b) the hub's juki.ResidentInquiry endpoint, which forwards to the same provider. Every
answer must be HTTP 200 and contain a ResidentInquiryResponse; anything else counts as an error.

With --workers 1,2 the hub is measured once per count (``pfbus serve --workers N``, each with its
own routing log; CPU is the supervisor's and its workers' together), so the table compares them
side by side in one run.

With --nginx, nginx as a pure reverse proxy (bench/nginx_proxy.py: one worker, keep-alive to the
provider) is measured in the same run, and the table is followed by the ratio hub/nginx (req/s
and CPU per request) at each number of connections.

With --answer-bytes N the provider answers about N bytes (a household of that many members; the
big-message runs: 100 KB at 500 connections, 1 MB at 50). Each run also reports the kernel's
accept-queue overflows (``nstat`` TcpExtListenOverflows, before/after: the network namespace's
count, so another job's overflows would show too).

With --lock-stats, every hub process counts, per SQLite file it writes, its write transactions,
the rows they changed, the time waiting for the write lock and the time holding it
(bench/lock_stats/sitecustomize.py; one Python call per statement more, so take req/s from a
run without it); the table is followed by those counters per worker, and by the wall time of an
exchange in the hub and of the steps it waits for (MessageId admitted, provider answered, reply
released).

With --bare-relay, (c) bench/bare_relay.py is measured too: the hub's twisted.web server and
Forwarder without any of the hub's work, which splits the hub's cost into "Twisted relaying HTTP"
and "what pfbus does per message" (parse, validate, routing log, event log).

Load generator: wrk (apt package `wrk`) when installed, else Python processes running asyncio
clients (one process per core: a threaded client would be bound by the GIL). Either shares the
machine's cores with the hub and the provider. Results: docs/performance.md.

The machine may be shared (other test suites): before each run the script waits, up to
--quiet-wait seconds, for the machine to go idle; it measures the CPU that other processes used
during each run ("other load") and retries a run (--attempts) whose other load exceeded
--max-other-load, keeping the least disturbed try. Per-request CPU times are the figures least
affected by such load.

    python bench/hub_vs_direct.py [--duration 10] [--connections 1,16,64] [--bare-relay]
                                  [--repeat N] [--quiet-wait 30] [--max-other-load 0.25]
                                  [--attempts 3] [--generator auto|wrk|python] [--json FILE]
                                  [--workers 1,2] [--nginx] [--answer-bytes N] [--lean-provider]
                                  [--lock-stats]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from lxml import etree

import nginx_proxy
from bus.core.header import Party, PlatformHeader
from bus.store.routing_log_files import worker_files
# bench/*.py beside this file (the script's directory is on sys.path)
from loadgen import MESSAGE_ID_SLOT, SENT_AT_SLOT, run_python, run_wrk, smoke
from procs import Child, busy_seconds, machine, wait_listening, wait_quiet
from provider import EXPECTED_ELEMENT, HEAD_ADDRESSEE

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"

HUB_CONFIG = """\
[hub]
listen = "127.0.0.1:0"
allow_plain_http = true
max_connections_per_provider = 64
# Per-adapter limits far above what the benchmark sends: it measures capacity, not the limiter.
limits = {{ rate = 1000000.0, burst = 1000000, concurrency = 4096 }}
[store]
routing_log = "routing-log.sqlite3"
[[tenants]]
local_gov_code = "131016"
name = "千代田区"
addressee_number = {{ scheme = "modulus11", weights = [2, 3, 4, 5, 6, 7], length = 10 }}
[[providers]]
id = "bench-juki"
url = "{provider_url}"
timeout = 10.0
[[routes]]
local_gov_code = "131016"
service = "juki.ResidentInquiry"
provider = "bench-juki"
"""


def hub_config(provider_url: str, big_message_bytes: int | None = None) -> str:
    """HUB_CONFIG for ``provider_url``; ``big_message_bytes``: ``[hub] big_message_bytes``
    (None: the hub's default; 0: every message parsed and validated on the reactor thread)."""
    config = HUB_CONFIG.format(provider_url=provider_url)
    if big_message_bytes is None:
        return config
    return config.replace("[hub]\n", f"[hub]\nbig_message_bytes = {big_message_bytes}\n", 1)


def build_request() -> bytes:
    """One valid SOAP 1.1 juki.ResidentInquiry request (about 1 KB) with slots where each request
    gets its own MessageId and SentAt (``loadgen.fresh``)."""
    header = dataclasses.replace(
        PlatformHeader.new(sender=Party("131016", "07", "vendor-b-tax"),
                           receiver=Party("131016", "01", "vendor-a-juki"),
                           service_id="juki.ResidentInquiry", user_id="tax-clerk-01"),
        message_id=MESSAGE_ID_SLOT, sent_at=SENT_AT_SLOT)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="{SOAP11}">\n'
            f'<soap:Header>\n{etree.tostring(header.to_element(), encoding="unicode")}\n'
            f'</soap:Header>\n<soap:Body>\n<j:ResidentInquiryRequest xmlns:j="urn:pfbus:unit:'
            f'juki:v1">\n  <j:AddresseeNumber>{HEAD_ADDRESSEE}</j:AddresseeNumber>\n'
            f'  <j:AsOf>2026-04-01</j:AsOf>\n</j:ResidentInquiryRequest>\n</soap:Body>\n'
            f'</soap:Envelope>\n').encode("utf-8")


PATHS = {"direct": "client → provider", "relay": "client → bare relay → provider",
         "nginx": "client → nginx → provider", "hub": "client → hub → provider"}
MIDDLE = ("relay", "nginx")  # the proxies other than the hub: their CPU is the "middle" column


def label(path: str) -> str:
    """A path's row heading; ``hub-wN``: the hub run with --workers N."""
    if path.startswith("hub-w"):
        return f"client → hub ({path[5:]} workers) → provider"
    return PATHS[path]


def path_order(path: str) -> tuple[int, int]:
    """direct, relay, nginx, then the hubs by worker count."""
    if path.startswith("hub"):
        return 3, 1 if path == "hub" else int(path[5:])
    return list(PATHS).index(path), 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each")
    parser.add_argument("--connections", default="1,16,64", help="comma-separated levels")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="processes of the Python generator")
    parser.add_argument("--bare-relay", action="store_true",
                        help="also measure bench/bare_relay.py: Twisted relaying, no pfbus work")
    parser.add_argument("--quiet-wait", type=float, default=30.0, metavar="SECONDS",
                        help="before each run, wait up to this long for other jobs to go idle")
    parser.add_argument("--max-other-load", type=float, default=0.25, metavar="CORES",
                        help="retry a run during which other processes used more CPU than this")
    parser.add_argument("--attempts", type=int, default=3, help="at most this many tries a run")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds over all runs, interleaved; the table shows medians")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--workers", default="1", help="comma-separated hub worker counts, "
                        "each measured (pfbus serve --workers N)")
    parser.add_argument("--nginx", action="store_true",
                        help="also measure nginx as a pure reverse proxy (bench/nginx_proxy.py)")
    parser.add_argument("--answer-bytes", type=int, default=0, metavar="N",
                        help="the provider answers about N bytes (default: about 3.2 KB)")
    parser.add_argument("--big-message-bytes", type=int, default=None, metavar="N",
                        help="the hub's [hub] big_message_bytes (default: the hub's; 0: every "
                        "message parsed and validated on the reactor thread)")
    parser.add_argument("--lean-provider", action="store_true",
                        help="bench/provider.py --lean: the provider's bare HTTP protocol, so "
                        "more of the machine is left to the hub (the workers target)")
    parser.add_argument("--lock-stats", action="store_true",
                        help="count each hub process's SQLite write-lock waits and holds "
                        "(bench/lock_stats)")
    args = parser.parse_args(argv)
    if args.nginx and not nginx_proxy.available():
        parser.error("--nginx: no nginx on PATH (apt-get install nginx-light)")
    counts = [int(n) for n in args.workers.split(",")]
    levels = [int(c) for c in args.connections.split(",")]
    generator = args.generator if args.generator != "auto" else (
        "wrk" if shutil.which("wrk") else "python")
    body = build_request()
    results, info = [], machine(generator, args.processes)

    def load(url: str, conns: int, seconds: float) -> dict:
        if generator == "wrk":
            return run_wrk(url, body, EXPECTED_ELEMENT, conns, seconds, workdir)
        return run_python(url, body, EXPECTED_ELEMENT, conns, seconds, args.processes)

    def cpu() -> dict:
        own = [resource.getrusage(who) for who in (resource.RUSAGE_CHILDREN, resource.RUSAGE_SELF)]
        per_hub = {f"{h.name}:cpu": h.tree_cpu_seconds() for h in hubs} | {
            f"{h.name}:main": h.tree_main_thread_cpu() for h in hubs}
        return {**per_hub, "hub": sum(per_hub[f"{h.name}:cpu"] for h in hubs),
                "relay": relay.cpu_seconds() if relay else 0.0,
                "nginx": nginx.tree_cpu_seconds() if nginx else 0.0, "provider": prov.cpu_seconds(),
                "generator": own[0].ru_utime + own[0].ru_stime,
                "self": own[1].ru_utime + own[1].ru_stime, "machine": busy_seconds()}

    def measure_once(path: str, url: str, middle: Child | None, conns: int) -> dict:
        """One run; CPU per request of the provider, of the process in the middle (hub or
        relay; main thread apart) and of the load generator, and the machine's other load."""
        waited = wait_quiet(args.quiet_wait)
        if args.warmup > 0:
            load(url, conns, args.warmup)
        overflows = listen_overflows()
        before = cpu()
        r = load(url, conns, args.duration)
        used = {k: v - before[k] for k, v in cpu().items()}
        overflows = listen_overflows() - overflows
        ms = {k: v * 1e3 / max(r["requests"], 1) for k, v in used.items()}
        mid = (f"{path}:cpu", f"{path}:main") if path.startswith("hub") else \
            (path, path) if path in MIDDLE else None
        r.update(path=path, connections=conns, rps=r["requests"] / r["seconds"], waited_s=waited,
                 listen_overflows=overflows,
                 middle_cpu_ms=ms[mid[0]] if mid else None,
                 middle_main_thread_cpu_ms=ms[mid[1]] if mid else None,
                 provider_cpu_ms=ms["provider"], generator_cpu_ms=ms["generator"],
                 # Busy CPU that none of this benchmark's processes used (other jobs, the VM).
                 other_load_cores=(used["machine"] - sum(used[k] for k in (
                     "hub", "relay", "nginx", "provider", "generator", "self"))) / r["seconds"])
        print(f"# {path:6} c={conns:<3} {r['rps']:8.0f} req/s  p50 {r['p50']:.2f} ms  p99 "
              f"{r['p99']:.2f} ms  errors {r['errors']}  overflows {overflows}  other load "
              f"{r['other_load_cores']:.2f}", file=sys.stderr)
        return r

    def measure(path: str, url: str, middle: Child | None, conns: int) -> dict:
        """The run least disturbed by other jobs: retried while their load exceeds the limit."""
        runs = []
        while len(runs) < args.attempts:
            runs.append(measure_once(path, url, middle, conns))
            if runs[-1]["other_load_cores"] <= args.max_other_load:
                break
        return min(runs, key=lambda r: r["other_load_cores"]) | {"attempts": len(runs)}

    with tempfile.TemporaryDirectory(prefix="pfbus-bench-") as tmp:
        workdir = Path(tmp)
        prov = Child("provider", [sys.executable, "bench/provider.py", "--answer-bytes",
                                  str(args.answer_bytes)] + ["--lean"] * args.lean_provider,
                     workdir)
        hubs: list[Child] = []
        relay = nginx = None
        try:
            provider_url = f"http://127.0.0.1:{prov.wait_json('port')['port']}/soap"
            hub_targets = []
            for n in counts:  # one hub per worker count, each in its own directory
                path = "hub" if n == 1 else f"hub-w{n}"
                (workdir / path).mkdir()
                (workdir / path / "hub.toml").write_text(
                    hub_config(provider_url, args.big_message_bytes), "utf-8")
                hubs.append(Child(path, [sys.executable, "-m", "bus.cli.main", "serve",
                                         "--config", str(workdir / path / "hub.toml"),
                                         "--port", "0", "--workers", str(n)], workdir,
                                  lock_stats_env(workdir / path) if args.lock_stats else None))
                hub_targets.append((path, wait_listening(hubs[-1], n)
                                    + "/services/juki.ResidentInquiry", hubs[-1]))
            targets = [("direct", provider_url, None)]
            if args.bare_relay:
                relay = Child("relay", [sys.executable, "bench/bare_relay.py", "--to",
                                        provider_url], workdir)
                targets.append(("relay", f"http://127.0.0.1:{relay.wait_json('port')['port']}"
                                         "/soap", relay))
            if args.nginx:
                nginx, nginx_url = nginx_proxy.start(workdir, provider_url)
                targets.append(("nginx", nginx_url, nginx))
            targets += hub_targets
            sizes = {path: smoke(url, body, EXPECTED_ELEMENT) for path, url, _ in targets}
            info.update(request_bytes=len(body), response_bytes=sizes["direct"],
                        response_bytes_by_path=sizes)
            print(f"# generator: {info['generator']}; request {len(body)} B, response "
                  f"{info['response_bytes']} B; {args.duration:g} s per run", file=sys.stderr)
            for round_ in range(1, args.repeat + 1):
                for conns in levels:
                    for path, url, middle in targets:
                        results.append(measure(path, url, middle, conns) | {"round": round_})
            info.update(hub_vmhwm_mb=hubs[0].status_kb("VmHWM") / 1024,
                        provider_vmhwm_mb=prov.status_kb("VmHWM") / 1024,
                        hub_cpu_total_s=sum(h.tree_cpu_seconds() for h in hubs))
        finally:
            for child in (*hubs, relay, nginx, prov):
                if child is not None:
                    child.stop()
        info["exchanges_by_worker"] = {}  # how evenly the kernel's accepts spread connections
        for h in hubs:
            counts_by: dict[str, int] = {}
            for line in h.log.read_text("utf-8", "replace").splitlines():
                if '"event":"exchange"' in line:
                    key = str(json.loads(line).get("worker", 1))
                    counts_by[key] = counts_by.get(key, 0) + 1
            info["exchanges_by_worker"][h.name] = counts_by
        if args.lock_stats:
            info["lock_stats"] = {h.name: read_lock_stats(workdir / h.name) for h in hubs}
            info["step_waits"] = {h.name: read_step_waits(workdir / h.name) for h in hubs}
        info["routing_log_replied"] = {}
        for h in hubs:  # every worker's file (bus/store/routing_log_files.py)
            replied: dict[str, int] = {}
            for _, path in worker_files(workdir / h.name / "routing-log.sqlite3"):
                db = sqlite3.connect(path)
                for status, count in db.execute("SELECT status, COUNT(*) FROM hops WHERE "
                                                "hop = 'replied' GROUP BY status"):
                    replied[status] = replied.get(status, 0) + count
                db.close()
            info["routing_log_replied"][h.name] = replied
    summary = summarise(results)
    report(summary, info, args)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"machine": info, "duration_s": args.duration, "warmup_s": args.warmup,
             "summary": summary, "runs": results}, ensure_ascii=False, indent=2), "utf-8")
    return 1 if any(r["errors"] for r in results) else 0


def summarise(results: list[dict]) -> list[dict]:
    """Per (path, connections): the median of each measure over the rounds, errors summed."""
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        groups.setdefault((r["path"], r["connections"]), []).append(r)
    summary = []
    for (path, conns), runs in sorted(groups.items(), key=lambda g: (g[0][1],
                                                                     path_order(g[0][0]))):
        row = {"path": path, "connections": conns, "rounds": len(runs),
               "errors": sum(r["errors"] for r in runs),
               "listen_overflows": sum(r["listen_overflows"] for r in runs),
               "rps_min": min(r["rps"] for r in runs), "rps_max": max(r["rps"] for r in runs)}
        for key in ("rps", "p50", "p95", "p99", "middle_cpu_ms", "middle_main_thread_cpu_ms",
                    "provider_cpu_ms", "generator_cpu_ms", "other_load_cores"):
            values = [r[key] for r in runs if r[key] is not None]
            row[key] = statistics.median(values) if values else None
        summary.append(row)
    return summary


def report(results: list[dict], info: dict, args) -> None:
    print(f"{info['nproc']} cores ({info['cpu']}), Python {info['python']}, Twisted "
          f"{info['twisted']}, lxml {info['lxml']} (libxml2 {info['libxml2']}); generator: "
          f"{info['generator']}; request {info['request_bytes']} B, response "
          f"{info['response_bytes']} B; {args.duration:g} s per run after {args.warmup:g} s "
          f"warm-up; {args.repeat} round(s), medians (req/s: median, min–max)\n")
    print("| path | conns | req/s | p50 ms | p95 ms | p99 ms | errors | accept-queue overflows "
          "| proxy CPU ms/req (main thread) | provider CPU ms/req | generator CPU ms/req "
          "| other load, cores |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        mid = ("–" if r["middle_cpu_ms"] is None else
               f"{r['middle_cpu_ms']:.3f} ({r['middle_main_thread_cpu_ms']:.3f})")
        rps = f"{r['rps']:,.0f}"
        if r["rounds"] > 1:
            rps += f" ({r['rps_min']:,.0f}–{r['rps_max']:,.0f})"
        print(f"| {label(r['path'])} | {r['connections']} | {rps} | {r['p50']:.2f} "
              f"| {r['p95']:.2f} | {r['p99']:.2f} | {r['errors']} | {r['listen_overflows']} "
              f"| {mid} "
              f"| {r['provider_cpu_ms']:.3f} | {r['generator_cpu_ms']:.3f} "
              f"| {r['other_load_cores']:.2f} |")
    print(f"\nhub: max RSS (VmHWM) {info['hub_vmhwm_mb']:.1f} MB, CPU {info['hub_cpu_total_s']:.1f}"
          f" s in total; provider VmHWM {info['provider_vmhwm_mb']:.1f} MB; routing log "
          f"'replied' hops by status: {info['routing_log_replied']}; exchanges by worker: "
          f"{info['exchanges_by_worker']}")
    for hub, processes in info.get("lock_stats", {}).items():
        print(f"\nSQLite write lock, {hub} (all runs and warm-ups; per worker process):\n")
        print("| process | file | transactions | rows per transaction | waiting s (max ms) "
              "| holding s (mean ms, max ms) | waits ≥ 5 ms | waits ≥ 100 ms "
              "| turns found taken (their wait s) |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for pid, stores in processes.items():
            for store, s in sorted(by_store(stores).items()):
                if s["tx"] < 50:  # start-up and stop only
                    continue
                slow = sum(n for b, n in s["wait_hist"].items() if b in ("<20ms", "<100ms",
                                                                          ">=100ms"))
                print(f"| {pid} | {store} | {s['tx']:,} | {s['rows'] / s['tx']:.1f} "
                      f"| {s['wait_s']:.2f} ({s['max_wait_s'] * 1e3:.0f}) "
                      f"| {s['hold_s']:.2f} ({s['hold_s'] / s['tx'] * 1e3:.2f}, "
                      f"{s['max_hold_s'] * 1e3:.0f}) | {slow} "
                      f"| {s['wait_hist'].get('>=100ms', 0)} "
                      f"| {s.get('taken', 0):,} ({s.get('taken_wait_s', 0.0):.2f}) |")
    for hub, waits in info.get("step_waits", {}).items():
        print(f"\nWall time of an exchange's steps, {hub} (all runs and warm-ups; all workers):\n")
        print("| step | count | mean ms | p50 ms | p90 ms | p99 ms |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for step, times in waits.items():
            times = sorted(times)
            q = [times[min(len(times) - 1, int(len(times) * f))] * 1e3 for f in (.5, .9, .99)]
            print(f"| {step} | {len(times):,} | {statistics.fmean(times) * 1e3:.2f} "
                  f"| {q[0]:.2f} | {q[1]:.2f} | {q[2]:.2f} |")
    by = {(r["path"], r["connections"]): r for r in results}
    for conns in sorted({r["connections"] for r in results}):
        hub, nginx = by.get(("hub", conns)), by.get(("nginx", conns))
        if hub and nginx and hub["middle_cpu_ms"] and nginx["middle_cpu_ms"]:
            print(f"hub/nginx at {conns} connections: req/s {hub['rps'] / nginx['rps']:.2f}, "
                  f"p50 {hub['p50'] / nginx['p50']:.1f}×, proxy CPU per request "
                  f"{hub['middle_cpu_ms'] / nginx['middle_cpu_ms']:.1f}×")


def by_store(files: dict[str, dict]) -> dict[str, dict]:
    """One process's counters per store: the files of the seen MessageIds (``NAME.SUFFIX`` and
    its shards ``NAME.shard-K.SUFFIX``, bus/store/seen_shards.py) added into one row."""
    groups: dict[str, list[dict]] = {}
    for name, s in files.items():
        groups.setdefault(re.sub(r"\.shard-[0-9]+(?=\.[^.]*$|$)", "", name), []).append(s)
    stores: dict[str, dict] = {}
    for name, group in groups.items():
        into: dict = stores.setdefault(name if len(group) == 1 else f"{name} ({len(group)} files)",
                                       {"wait_hist": {}})
        for s in group:
            for key, value in s.items():
                if key == "wait_hist":
                    for bucket, n in value.items():
                        into[key][bucket] = into[key].get(bucket, 0) + n
                elif key.startswith("max_"):
                    into[key] = max(into.get(key, 0.0), value)
                elif key != "hold_hist":
                    into[key] = into.get(key, 0) + value
    return stores


def lock_stats_env(directory: Path) -> dict:
    """The hub's environment for --lock-stats: bench/lock_stats first on its path."""
    here = Path(__file__).resolve().parent / "lock_stats"
    path = os.pathsep.join(p for p in (str(here), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "PFBUS_LOCKSTATS": str(directory)}


def read_step_waits(directory: Path) -> dict[str, list[float]]:
    """{step: wall times in s} of every hub process (bench/lock_stats/sitecustomize.py)."""
    waits: dict[str, list[float]] = {}
    for f in sorted(directory.glob("waits-*.json")):
        for step, times in json.loads(f.read_text("utf-8")).items():
            waits.setdefault(step, []).extend(times)
    return waits


def read_lock_stats(directory: Path) -> dict:
    """{pid: {file: counters}} as each hub process wrote them at exit."""
    return {f.stem.removeprefix("lock-"): json.loads(f.read_text("utf-8"))
            for f in sorted(directory.glob("lock-*.json"))}


def listen_overflows() -> int:
    """TcpExtListenOverflows of the network namespace (connections the kernel dropped because
    a listening socket's accept queue was full); -1 without ``nstat``."""
    try:
        out = subprocess.run(["nstat", "-azs", "TcpExtListenOverflows"], capture_output=True,
                             text=True, timeout=10).stdout
    except OSError:
        return -1
    return next((int(line.split()[1]) for line in out.splitlines()
                 if line.startswith("TcpExtListenOverflows")), -1)


if __name__ == "__main__":
    sys.exit(main())
