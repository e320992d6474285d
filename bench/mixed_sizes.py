"""Small exchanges beside big ones: what a big answer's inspection costs the others (issue 13).

One hub serves two municipalities: 千代田区 (131016) routes juki.ResidentInquiry to a provider
answering ``--answer-bytes`` (100 KB by default), 横浜市 (141003) to one answering 3.2 KB (both
bench/provider.py ``--lean``). Two wrk runs at once for ``--duration`` seconds: ``--big``
connections ask 千代田区, ``--small`` connections ask 横浜市. Printed per run: each stream's req/s,
p50 and p99, and the hub's CPU per exchange (main thread, whole process). With
``--big-message-bytes 0,65536`` (the default) each value is run in turn, ``--rounds`` times,
alternated: 0 inspects every message on the reactor thread, 65536 big ones on the inspection
threads (``[hub] big_message_bytes``).

    python bench/mixed_sizes.py [--big 16] [--small 16] [--duration 8] [--rounds 2]
                                [--answer-bytes 102400] [--big-message-bytes 0,65536]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
from pathlib import Path

from hub_vs_direct import build_request, hub_config
from loadgen import run_wrk, smoke
from procs import Child, wait_listening
from provider import EXPECTED_ELEMENT

SMALL_TENANT = """
[[tenants]]
local_gov_code = "141003"
name = "横浜市"
addressee_number = {{ scheme = "modulus11", weights = [2, 3, 4, 5, 6, 7], length = 10 }}
[[providers]]
id = "bench-juki-small"
url = "{provider_url}"
timeout = 10.0
[[routes]]
local_gov_code = "141003"
service = "juki.ResidentInquiry"
provider = "bench-juki-small"
"""
RECEIVER = b"<pfh:Receiver><pfh:LocalGovCode>131016<"


def one_run(big_bytes: int, args, workdir: Path) -> dict:
    providers = {size: Child(f"provider-{size}", [sys.executable, "bench/provider.py", "--lean",
                                                  "--answer-bytes", str(size)], workdir)
                 for size in (args.answer_bytes, 0)}
    hub = None
    try:
        urls = {size: f"http://127.0.0.1:{p.wait_json('port')['port']}/soap"
                for size, p in providers.items()}
        config = hub_config(urls[args.answer_bytes], big_bytes) + SMALL_TENANT.format(
            provider_url=urls[0])
        (workdir / "hub.toml").write_text(config, "utf-8")
        hub = Child("hub", [sys.executable, "-m", "bus.cli.main", "serve", "--config",
                            str(workdir / "hub.toml"), "--port", "0"], workdir)
        url = wait_listening(hub, 1) + "/services/juki.ResidentInquiry"
        big = build_request()
        assert big.count(RECEIVER) == 1
        small = big.replace(RECEIVER, RECEIVER.replace(b"131016", b"141003"))
        for body in (big, small):
            smoke(url, body, EXPECTED_ELEMENT)
        results: dict[str, dict] = {}

        def stream(name: str, body: bytes, conns: int) -> None:
            (workdir / name).mkdir(exist_ok=True)
            results[name] = run_wrk(url, body, EXPECTED_ELEMENT, conns, args.duration,
                                    workdir / name, stream=len(name))  # 3 and 5: their own

        load = os.getloadavg()[0]
        main0, all0 = hub.main_thread_cpu(), hub.cpu_seconds()
        threads = [threading.Thread(target=stream, args=("big", big, args.big)),
                   threading.Thread(target=stream, args=("small", small, args.small))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        main1, all1 = hub.main_thread_cpu(), hub.cpu_seconds()
        n = max(1, sum(r["requests"] for r in results.values()))
        return {"big_message_bytes": big_bytes, "load1_before": round(load, 2),
                "load1_after": round(os.getloadavg()[0], 2),
                "hub_main_ms": round((main1 - main0) / n * 1000, 3),
                "hub_process_ms": round((all1 - all0) / n * 1000, 3),
                **{f"{name}_{k}": (round(v / r["seconds"]) if k == "requests" else v)
                   for name, r in results.items() for k, v in r.items()
                   if k in ("requests", "errors", "p50", "p99")}}
    finally:
        for child in (hub, *providers.values()):
            if child is not None:
                child.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, default=16, help="connections asking for big answers")
    parser.add_argument("--small", type=int, default=16, help="connections asking for small ones")
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--answer-bytes", type=int, default=102400)
    parser.add_argument("--big-message-bytes", default="0,65536",
                        help="comma-separated values of [hub] big_message_bytes, alternated")
    args = parser.parse_args(argv)
    for _ in range(args.rounds):
        for value in (int(v) for v in args.big_message_bytes.split(",")):
            with tempfile.TemporaryDirectory(prefix="pfbus-bench-") as tmp:
                print(json.dumps(one_run(value, args, Path(tmp))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
