"""How long a provider-profile run of the conformance suite takes on a conformant adapter, and
whose time it is (issue 11: under 2 s, slow-answer cases apart): ``pfbus conformance run
--profile juki.provider`` against vendor A as its own process, several times, with the machine's
load; then the same profile in this process — a cold run (the catalog compiled inside it) and
warm runs — with the suite's CPU, vendor A's CPU (/proc) and the wall time. Results:
docs/conformance.md ("Run time") and docs/performance.md.

    python bench/conformance_run.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from procs import ROOT, Child

sys.path.insert(0, str(ROOT))


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-conformance-"))
    vendor_a = Child("vendor-a", [sys.executable, "-m", "adapters.vendor_a_registry", "--db",
                                  str(work / "a.sqlite3"), "--seed"], work)
    try:
        url = vendor_a.wait_json("event", "adapter.listening")["url"]
        for i in range(args.runs):
            before, started = load(), time.monotonic()
            done = subprocess.run([sys.executable, "-m", "bus.cli.main", "conformance", "run",
                                   "--profile", "juki.provider", "--target", url, "--report",
                                   str(work / f"r{i}")], cwd=ROOT, capture_output=True, text=True)
            wall = time.monotonic() - started
            run = re.search(r"juki\.provider: (\w+) \((\d+) pass.*\) in ([\d.]+) s", done.stdout)
            report = json.loads((work / f"r{i}" / "report.json").read_text("utf-8"))
            cases, ran = report["cases"], report["run"]
            slowest = max(cases, key=lambda c: c["duration_ms"])
            print(json.dumps({"cli_run": i, "verdict": run[1], "cases": int(run[2]),
                              "run_s": float(run[3]), "process_wall_s": round(wall, 2),
                              "product_s": ran["product_s"], "waiting_s": ran["waiting_s"],
                              "suite_s": ran["suite_s"],
                              "slowest_case": [slowest["id"], slowest["duration_ms"]],
                              "load": before}), flush=True)
        from conformance.model import Suite
        from conformance.runner import RunOptions, run_profile
        suite = Suite.load()
        for i in range(1 + args.runs):
            before, cpu, a_cpu = load(), time.process_time(), vendor_a.cpu_seconds()
            started = time.monotonic()
            result = run_profile(RunOptions("juki.provider", target=url), suite)
            print(json.dumps({"in_process_run": "cold" if i == 0 else i,
                              "verdict": result.verdict,
                              "wall_s": round(time.monotonic() - started, 2),
                              **(result.time_split.as_dict() if result.time_split else {}),
                              "suite_cpu_s": round(time.process_time() - cpu, 2),
                              "vendor_a_cpu_s": round(vendor_a.cpu_seconds() - a_cpu, 2),
                              "load": before}), flush=True)
    finally:
        vendor_a.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
