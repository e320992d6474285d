"""Migration benchmark: export, validate and import a synthetic municipality of N residents.

    .venv/bin/python bench/migration.py --residents 1000000 --workdir /tmp/pfbus-migration-bench

1. vendor A's database is filled with N residents in households, with their 異動履歴 (not timed
   as part of the targets; reported);
2. vendor A's exporter runs as its own process (``python -m adapters.vendor_a_registry.migration
   export``): wall time, seconds per 100,000 rows written, peak RSS of that process;
3. ``pfbus layout validate`` runs as its own process: rows per second of its CPU time (the
   validator is single-threaded: one core) and per wall second, peak RSS;
4. vendor B's importer runs as its own process (``python -m adapters.vendor_b_tax.registry
   import --characters jisx0213``): wall time, seconds per 100,000 rows, peak RSS.

Peak RSS is each child's ``ru_maxrss`` from ``wait4``. The machine's load average before and
after each step is recorded: on a shared machine, say so when reporting. Targets (issue 14):
validate ≥ 50,000 rows/s on one core; export and import ≤ 256 MB RSS each; time per 100k rows
flat within ±20 % (CPU seconds per 100k rows of each file, read from the tools' own JSON).
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.procs import ROOT, machine  # noqa: E402


def measured(name: str, args: list[str]) -> dict:
    """Run a child and read its own rusage (wait4), so RSS and CPU are that process's alone."""
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    chunks = []
    assert proc.stdout is not None and proc.stderr is not None
    for chunk in iter(lambda: proc.stdout.read(65536), b""):
        chunks.append(chunk)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    result = {"step": name, "returncode": proc.returncode, "wall_s": round(wall, 2),
              "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
              "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
              "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
              "stdout": b"".join(chunks).decode("utf-8", "replace"),
              "stderr": err.decode("utf-8", "replace")[-2000:]}
    # each step as it ends, on stderr: a long run cut short still leaves its finished steps
    print(json.dumps(result, ensure_ascii=False), file=sys.stderr, flush=True)
    return result


def flatness(windows: list[list]) -> dict:
    """Spread of the CPU seconds per 100k rows around their median, per file (or load group:
    rows of different files cost differently), over the files with two windows or more. The
    target is within ±20 %; CPU rather than wall seconds because the machine is shared."""
    by_file: dict[str, list[float]] = {}
    for file, _wall, cpu in windows:
        by_file.setdefault(file, []).append(cpu)
    out: dict = {"per_100k": windows, "cpu_spread": {}}
    for file, values in by_file.items():
        if len(values) < 2:
            continue
        median = sorted(values)[len(values) // 2]
        out["cpu_spread"][file] = {
            "windows": len(values), "median_cpu_s": median,
            "max_deviation_pct": round(max(abs(v - median) / median for v in values) * 100, 1)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pfbus-migration-bench"))
    parser.add_argument("--keep", action="store_true", help="keep the databases and the extract")
    args = parser.parse_args()
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    a_db, b_db, extract = work / "vendor-a.sqlite3", work / "vendor-b.sqlite3", work / "extract"
    for path in (a_db, b_db):
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    py = sys.executable
    result: dict = {"residents": args.residents, "machine": machine("python", 1),
                    "loadavg_start": os.getloadavg(), "steps": []}
    export = measured("populate+export", [
        py, "-m", "adapters.vendor_a_registry.migration", "export", "--db", str(a_db),
        "--out", str(extract), "--populate", str(args.residents)])
    result["steps"].append(export)
    # the export alone, on the populated database (what the target is about)
    export = measured("export", [py, "-m", "adapters.vendor_a_registry.migration", "export",
                                 "--db", str(a_db), "--out", str(extract)])
    result["steps"].append(export)
    if export["returncode"] == 0:
        doc = json.loads(export["stdout"])
        export["rows"] = sum(doc["files"].values())
        export.update(flatness(doc["per_100k"]))
    validate = measured("validate", [py, "-m", "bus.cli.main", "layout", "validate",
                                     str(extract), "--format", "json"])
    result["steps"].append(validate)
    try:
        report = json.loads(validate["stdout"])
        validate["rows"] = report["rows"]
        validate["ok"] = report["ok"]
        validate["rows_per_cpu_s"] = round(report["rows"] / validate["cpu_s"])
        validate["rows_per_wall_s"] = round(report["rows"] / validate["wall_s"])
        validate["stdout"] = f"(report: {report['findings_total']} findings)"
    except (ValueError, KeyError, ZeroDivisionError):
        pass
    imported = measured("import", [py, "-m", "adapters.vendor_b_tax.registry", "import",
                                   "--db", str(b_db), str(extract), "--characters", "jisx0213",
                                   "--batch-rows", "5000", "--no-validate"])
    result["steps"].append(imported)
    if imported["returncode"] == 0:
        doc = json.loads(imported["stdout"])
        imported["rows"] = sum(doc["rows"].values())
        imported.update(flatness(doc["per_100k"]))
    result["loadavg_end"] = os.getloadavg()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if not args.keep:
        for path in (a_db, b_db):
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
    return 0 if all(s["returncode"] == 0 for s in result["steps"]) else 1


if __name__ == "__main__":
    sys.exit(main())
