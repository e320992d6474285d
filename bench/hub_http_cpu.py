"""The hub's reactor-thread CPU per exchange over HTTP, and where it goes (issue 13 item 1).

Starts bench/provider.py and one hub (``pfbus serve``, the configuration of
bench/hub_vs_direct.py) as real processes, drives ``--connections`` keep-alive connections with
wrk for ``--duration`` seconds (after ``--warmup``), and prints the hub's CPU per exchange:
its main (reactor) thread and the whole process, from /proc. CPU time, not wall time, is the
measure because the machine may be shared; the 1-minute load average before and after is
printed with it.

``--callgrind DIR``: instructions instead, load-independent — the hub runs under valgrind's
callgrind with instrumentation off until warmed up (``--warmup-exchanges``), then exactly
``--exchanges`` exchanges are sent over ``--connections`` keep-alive connections (Python
clients, one thread each, outside valgrind) and the instructions of the hub's main thread and of
the whole process are divided by their number.

With ``--profile FILE`` the hub runs under cProfile (its main thread only:
the reactor; the routing-log writer is another thread) and the profile is written to FILE when
the hub stops (read it with ``python -m pstats FILE``); profiling inflates the CPU figures.

    python bench/hub_http_cpu.py [--connections 16] [--duration 8] [--warmup 2] [--rounds 3]
                                 [--profile FILE]
    python bench/hub_http_cpu.py --callgrind DIR [--exchanges 200] [--connections 4]

``--answer-bytes N`` (either form): the provider answers about N bytes (bench/provider.py).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from hub_vs_direct import build_request, hub_config
from loadgen import CONTENT_TYPE, fresh, run_wrk, smoke
from procs import Child, wait_listening
from provider import EXPECTED_ELEMENT


@contextlib.contextmanager
def provider_and_hub(launcher: list[str], answer_bytes: int = 0,
                     big_message_bytes: int | None = None) -> Iterator[tuple[Child, Path]]:
    """The bench provider and a hub in front of it, the hub started as ``launcher`` followed by
    the hub's own command line; both stopped on leaving. ``answer_bytes``: the provider's
    ``--answer-bytes`` (0: its 3.2 KB answer); ``big_message_bytes``: the hub's (None: its
    default)."""
    with tempfile.TemporaryDirectory(prefix="pfbus-bench-") as tmp:
        workdir = Path(tmp)
        prov = Child("provider", [sys.executable, "bench/provider.py", "--answer-bytes",
                                  str(answer_bytes)], workdir)
        hub = None
        try:
            provider_url = f"http://127.0.0.1:{prov.wait_json('port')['port']}/soap"
            (workdir / "hub.toml").write_text(hub_config(provider_url, big_message_bytes),
                                              "utf-8")
            hub = Child("hub", [*launcher, "-m", "bus.cli.main", "serve", "--config",
                                str(workdir / "hub.toml"), "--port", "0"], workdir)
            yield hub, workdir
        finally:
            for child in (hub, prov):
                if child is not None:
                    child.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE", help="run the hub under cProfile")
    parser.add_argument("--callgrind", metavar="DIR", help="count instructions (see above)")
    parser.add_argument("--exchanges", type=int, default=200)
    parser.add_argument("--warmup-exchanges", type=int, default=100)
    parser.add_argument("--answer-bytes", type=int, default=0, metavar="N",
                        help="the provider answers about N bytes (102400: the big-message runs)")
    parser.add_argument("--big-message-bytes", type=int, default=None, metavar="N",
                        help="the hub's [hub] big_message_bytes (default: the hub's; 0: none)")
    args = parser.parse_args(argv)
    if args.callgrind:
        return count_instructions(args)
    body = build_request()
    profile = ["-m", "cProfile", "-o", str(Path(args.profile).resolve())] if args.profile else []
    with provider_and_hub([sys.executable, *profile], args.answer_bytes,
                          args.big_message_bytes) as (hub, workdir):
        url = wait_listening(hub, 1) + "/services/juki.ResidentInquiry"
        smoke(url, body, EXPECTED_ELEMENT)
        if args.warmup > 0:
            run_wrk(url, body, EXPECTED_ELEMENT, args.connections, args.warmup, workdir)
        for round_ in range(1, args.rounds + 1):
            load_before = os.getloadavg()[0]
            main0, all0 = hub.main_thread_cpu(), hub.cpu_seconds()
            r = run_wrk(url, body, EXPECTED_ELEMENT, args.connections, args.duration, workdir)
            main1, all1 = hub.main_thread_cpu(), hub.cpu_seconds()
            n = max(r["requests"], 1)
            print(json.dumps({
                "round": round_, "connections": args.connections, "requests": r["requests"],
                "errors": r["errors"], "rps": round(r["requests"] / r["seconds"]),
                "hub_main_ms": round((main1 - main0) * 1e3 / n, 3),
                "hub_process_ms": round((all1 - all0) * 1e3 / n, 3),
                "load1_before": load_before, "load1_after": os.getloadavg()[0]}),
                flush=True)
    return 0


def send(url: str, body: bytes, exchanges: int, connections: int) -> None:
    """``exchanges`` exchanges over ``connections`` keep-alive connections; each answer must be
    HTTP 200 with the expected element."""
    parts = urlsplit(url)
    errors: list[str] = []

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
        for _ in range(n):
            conn.request("POST", parts.path, fresh(body), {"Content-Type": CONTENT_TYPE})
            answer = conn.getresponse()
            text = answer.read()
            if answer.status != 200 or EXPECTED_ELEMENT.encode() not in text:
                errors.append(f"{answer.status}: {text[:300]!r}")
        conn.close()

    shares = [exchanges // connections + (i < exchanges % connections)
              for i in range(connections)]
    threads = [threading.Thread(target=client, args=(n,)) for n in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"{len(errors)} failed exchanges, e.g. {errors[0]}")


def count_instructions(args) -> int:
    out = Path(args.callgrind).resolve()
    out.mkdir(parents=True, exist_ok=True)
    body = build_request()
    with provider_and_hub(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                           "--separate-threads=yes", f"--callgrind-out-file={out}/callgrind.%p",
                           sys.executable], args.answer_bytes,
                          args.big_message_bytes) as (hub, _):
        url = wait_listening(hub, 1, timeout=900) + "/services/juki.ResidentInquiry"
        send(url, body, args.warmup_exchanges, args.connections)
        pid = str(hub.popen.pid)
        subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
        send(url, body, args.exchanges, args.connections)
        time.sleep(2)  # the routing log's writer commits the last batch
        subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
    threads = {}
    for dump in out.glob(f"callgrind.{pid}*"):
        totals = [line for line in dump.read_text("utf-8", "replace").splitlines()
                  if line.startswith(("totals:", "summary:"))]
        if totals:
            tid = dump.name.rsplit("-", 1)[-1]
            threads[tid] = threads.get(tid, 0) + int(totals[-1].split()[1])
    main_ir = threads.get("01", 0)
    print(json.dumps({"exchanges": args.exchanges, "connections": args.connections,
                      "answer_bytes": args.answer_bytes,
                      "big_message_bytes": args.big_message_bytes,
                      "hub_main_Mir_per_exchange": round(main_ir / args.exchanges / 1e6, 3),
                      "hub_process_Mir_per_exchange": round(
                          sum(threads.values()) / args.exchanges / 1e6, 3),
                      "threads": threads}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
