"""What sharing one SQLite routing log costs ``pfbus serve --workers N`` (issue 13 item 4).

Each writer process stands in for a worker's routing log: it hands off one exchange's six hops
at a time (``record_many``), ``--in-flight`` exchanges, then waits for their commit
(``flush``) — the strict form makes a worker wait so before it answers — and repeats. Measured
for one writer, for two writer processes on ONE file (the design: one chain, writers take
turns at SQLite's write lock) and for two writers on two files (the alternative: a file per
worker, no lock to share). Printed per case: exchanges per second over all writers, CPU per
exchange (all threads of the writers), how long a commit waited on average. Results:
docs/performance.md ("Workers").

    python bench/shared_log.py [--exchanges 3000] [--in-flight 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from procs import ROOT, busy_seconds

WRITER = """
import json, sys, time
from pathlib import Path
from bus.store.hop_record import Hop, HopRecord, Status
from bus.store.routing_log import RoutingLog
path, exchanges, in_flight, start = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), \\
    float(sys.argv[4])
log = RoutingLog(path, marks_runs=True, run_key=sys.argv[5])
hops = (Hop.RECEIVED, Hop.VALIDATED, Hop.ROUTED, Hop.PROVIDER_RESPONSE, Hop.RESPONSE_VALIDATED,
        Hop.REPLIED)
while time.time() < start:  # both writers begin together
    time.sleep(0.001)
cpu, began, waited = time.process_time(), time.monotonic(), 0.0
for n in range(0, exchanges, in_flight):
    for i in range(n, min(n + in_flight, exchanges)):
        log.record_many([HopRecord(hop=h, status=Status.OK, message_id=f"m{i}",
                                   service_id="juki.ResidentInquiry", duration_ms=1.0)
                         for h in hops])
    before = time.monotonic()
    log.flush(timeout=60)
    waited += time.monotonic() - before
print(json.dumps({"seconds": time.monotonic() - began, "cpu": time.process_time() - cpu,
                  "waited": waited, "commits": -(-exchanges // in_flight)}))
log.close()
"""


def run_case(files: list[Path], exchanges: int, in_flight: int) -> dict:
    start = time.time() + 1.5  # after both have imported and opened their log
    busy = busy_seconds()
    children = [subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(exchanges), str(in_flight), str(start),
         f"run:bench/{i}"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for i, path in enumerate(files)]
    results = [json.loads(child.communicate(timeout=600)[0]) for child in children]
    wall = max(r["seconds"] for r in results)
    total = exchanges * len(files)
    return {"exchanges_per_s": total / wall,
            "cpu_ms_per_exchange": sum(r["cpu"] for r in results) * 1e3 / total,
            "wait_ms_per_commit": statistics.mean(r["waited"] * 1e3 / r["commits"]
                                                  for r in results),
            "machine_busy_cores": (busy_seconds() - busy) / (wall + 1.5)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=3000, help="per writer")
    parser.add_argument("--in-flight", type=int, default=8,
                        help="exchanges handed off per commit (a worker's concurrency)")
    parser.add_argument("--rounds", type=int, default=3, help="cases interleaved; medians")
    args = parser.parse_args()
    cases = {"1 writer": 1, "2 writers, one file": 2, "2 writers, two files": 2}
    runs: dict[str, list[dict]] = {name: [] for name in cases}
    with tempfile.TemporaryDirectory(prefix="pfbus-shared-log-") as tmp:
        for round_ in range(args.rounds):
            for name in cases:
                base = Path(tmp) / f"{round_}-{len(runs[name])}-{name[0]}"
                files = ([base / "routing-log.sqlite3"] if name == "1 writer" else
                         [base / "routing-log.sqlite3"] * 2 if "one file" in name else
                         [base / "a.sqlite3", base / "b.sqlite3"])
                runs[name].append(run_case(files, args.exchanges, args.in_flight))
    print(f"{args.exchanges} exchanges (6 hops each) per writer, {args.in_flight} per commit, "
          f"{args.rounds} round(s), medians\n")
    print("| case | exchanges/s (all writers) | CPU ms/exchange | commit wait ms | machine busy, "
          "cores |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, found in runs.items():
        med = {k: statistics.median(r[k] for r in found) for k in found[0]}
        print(f"| {name} | {med['exchanges_per_s']:,.0f} | {med['cpu_ms_per_exchange']:.3f} "
              f"| {med['wait_ms_per_commit']:.2f} | {med['machine_busy_cores']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
