"""全件 benchmark: N residents from vendor A to vendor B through a real hub, shipped timeouts.

    .venv/bin/python bench/full_transfer.py --residents 1000000 --workdir /tmp/pfbus-full-bench

1. vendor A's database is filled with N residents in households (reused when the workdir
   already has it; not timed as part of the transfer);
2. vendor A (``python -m adapters.vendor_a_registry``) and a hub (``pfbus serve`` with
   examples/hub.toml: route timeout 10 s, adapter limits as shipped) run as processes;
3. vendor B's loader (``python -m adapters.vendor_b_tax full-load --page-size 1000 --window
   W``) pulls everything; its progress (received residents, from its own database) is sampled
   every 0.25 s: seconds per 100,000 records, records/s overall;
4. meanwhile a ResidentInquiry goes through the hub every second: its latency (target < 1 s);
   and the same inquiry straight to vendor A every second (half a second apart): which of the
   two the time is spent in;
5. peak RSS (VmHWM) of the hub and vendor A, ``ru_maxrss`` of the loader; CPU seconds of each,
   and per record;
   the machine's other load (busy CPU minus these processes').

Targets (issue 13): hub and adapters ≤ 256 MB RSS each, time per 100k flat within ±20 %,
≥ 10,000 records/s, inquiry < 1 s during the extract. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.procs import ROOT, Child, busy_seconds, machine  # noqa: E402

REGISTRY = ("131016", "01", "vendor-a-juki")
CLIENT = ("131016", "07", "vendor-b-tax")


def registry_db(workdir: Path, residents: int) -> tuple[Path, str, float | None]:
    """vendor A's database with ``residents`` (made once per workdir); (path, one 宛名番号 to
    ask for, seconds it took to fill or None when reused)."""
    from adapters.vendor_a_registry.migration import populate
    from adapters.vendor_a_registry.store import RegistryStore, seed

    path = workdir / f"vendor-a-{residents}.sqlite3"
    store = RegistryStore.open(path)
    try:
        filled = None
        have = store.conn.execute('SELECT count(*) FROM "住民"').fetchone()[0]
        if have != residents:
            if have:
                raise SystemExit(f"{path} holds {have} residents, not {residents}: remove it")
            started = time.monotonic()
            seed(store)
            populate(store, residents - len(store.residents()))
            filled = time.monotonic() - started
        asked = store.conn.execute('SELECT "宛名番号" FROM "住民" ORDER BY "宛名番号" LIMIT 1 '
                                   'OFFSET ?', (residents // 2,)).fetchone()[0]
    finally:
        store.close()
    return path, asked, filled


def received(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            row = conn.execute("SELECT received FROM pfbus_full_transfers").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
    return row[0] if row else 0


class Inquirer(threading.Thread):
    """One ResidentInquiry through the hub every ``every`` s until stopped: latencies."""

    def __init__(self, hub_url: str, addressee: str, every: float = 1.0,
                 direct: str | None = None):
        super().__init__(daemon=True)
        from adapters.sdk.consumer import ConsumerClient
        from bus.core.header import Party

        # direct: vendor A's own URL — the same request, not through the hub (which of the two
        # an inquiry waits for); the hub still serves the WSDL
        self.client = ConsumerClient(hub_url, Party(*CLIENT), "bench-clerk", timeout=30,
                                     endpoint_url=None if direct is None else lambda _: direct)
        self.registry = Party(*REGISTRY)
        self.addressee, self.every = addressee, every
        self.latencies: list[float] = []
        self.asked_at: list[float] = []  # seconds since the thread started, per inquiry
        self.errors: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        from adapters.vendor_b_tax.linkage import RESIDENT_INQUIRY, resident_inquiry

        began = time.monotonic()
        while not self.stopping.wait(self.every):
            started = time.monotonic()
            self.asked_at.append(started - began)
            try:
                reply = self.client.call(RESIDENT_INQUIRY, self.registry,
                                         resident_inquiry(self.addressee))
                if reply.body.findtext("{urn:pfbus:unit:juki:v1}Status") != "found":
                    self.errors.append("not found")
            except Exception as exc:  # noqa: BLE001 - every failure is a result here
                self.errors.append(f"{exc.__class__.__name__}: {exc}"[:200])
            self.latencies.append(time.monotonic() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pfbus-full-bench"))
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--window", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=3600.0, help="the whole transfer")
    parser.add_argument("--step", type=int, default=100_000, help="records per timed slice")
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    db_a, asked, filled = registry_db(workdir, args.residents)
    run_dir = workdir / f"run-{int(time.time())}"
    run_dir.mkdir()

    from bus.cli.demo_command import demo_config
    from examples import HUB_CONFIG

    py = sys.executable
    registry = Child("vendor-a", [py, "-m", "adapters.vendor_a_registry", "--db", str(db_a)],
                     run_dir)
    hub = loader = None
    try:
        url = registry.wait_json("event", "adapter.listening")["url"]
        config = run_dir / "hub.toml"
        config.write_text(demo_config(HUB_CONFIG.read_text("utf-8"), {"vendor-a-juki": url},
                                      run_dir), encoding="utf-8")
        hub = Child("hub", [py, "-m", "bus.cli.main", "serve", "--config", str(config),
                            "--port", "0"], run_dir)
        hub_url = hub.wait_json("event", "hub.listening", timeout=60)["url"]
        inquirer = Inquirer(hub_url, asked)
        direct = Inquirer(hub_url, asked, direct=url)
        db_b = run_dir / "vendor-b.sqlite3"
        cpu_before = {c.name: c.cpu_seconds() for c in (hub, registry)}
        busy_before = busy_seconds()
        started = time.monotonic()
        inquirer.start()
        threading.Timer(0.5, direct.start).start()  # between the hub's, not at the same time
        with (run_dir / "loader.log").open("wb") as log:
            loader = subprocess.Popen(
                [py, "-m", "adapters.vendor_b_tax", "full-load", "--hub", hub_url, "--db",
                 str(db_b), "--transfer-id", "bench", "--page-size", str(args.page_size),
                 "--window", str(args.window)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        marks: list[float] = []  # seconds since start at each --step records
        usage = None
        while time.monotonic() - started < args.timeout:
            pid, status, usage = os.wait4(loader.pid, os.WNOHANG)
            count = received(db_b)
            while count >= (len(marks) + 1) * args.step:
                marks.append(time.monotonic() - started)
            if pid:
                loader.returncode = os.waitstatus_to_exitcode(status)
                break
            time.sleep(0.25)
        else:
            loader.kill()
            raise SystemExit("the transfer did not finish within --timeout")
        wall = time.monotonic() - started
        for asking in (inquirer, direct):
            asking.stopping.set()
            asking.join(60)
        cpu = {c.name: round(c.cpu_seconds() - cpu_before[c.name], 1) for c in (hub, registry)}
        loader_cpu = usage.ru_utime + usage.ru_stime
        rss = {"hub": round(hub.status_kb("VmHWM") / 1024, 1),
               "vendor-a": round(registry.status_kb("VmHWM") / 1024, 1),
               "vendor-b loader": round(usage.ru_maxrss / 1024, 1)}
        other = busy_seconds() - busy_before - sum(cpu.values()) - loader_cpu
        final = received(db_b)
        per_100k = [round(b - a, 1) for a, b in zip([0.0, *marks][:len(marks)], marks, strict=True)]

        def latencies(asking: Inquirer) -> dict:
            lat = sorted(asking.latencies)
            return {"count": len(lat), "errors": asking.errors[:5],
                    "error_count": len(asking.errors),
                    "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
                    "p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 1) if lat else None,
                    "max_ms": round(lat[-1] * 1000, 1) if lat else None,
                    # when the slowest were asked (s after the transfer started): the first
                    # inquiry includes the client's start (its WSDL), later ones do not
                    "slowest_at_s_ms": sorted(
                        ((round(at, 1), round(s * 1000)) for at, s in
                         zip(asking.asked_at, asking.latencies, strict=True)),
                        key=lambda p: -p[1])[:3]}

        all_cpu = {**cpu, "vendor-b loader": round(loader_cpu, 1)}
        result = {
            "residents": args.residents, "page_size": args.page_size, "window": args.window,
            "loader_returncode": loader.returncode, "received": final,
            "filled_registry_s": None if filled is None else round(filled, 1),
            "wall_s": round(wall, 1), "records_per_s": round(final / wall),
            "step": args.step, "seconds_per_step": per_100k,
            "per_100k_spread": None if len(per_100k) < 2 else
            f"{min(per_100k) / statistics.median(per_100k) - 1:+.0%} .. "
            f"{max(per_100k) / statistics.median(per_100k) - 1:+.0%} of the median",
            "cpu_s": all_cpu,
            "cpu_us_per_record": {name: round(seconds * 1e6 / max(final, 1), 1)
                                  for name, seconds in all_cpu.items()},
            "hub_cpu_ms_per_1000_records": round(cpu["hub"] * 1e6 / max(final, 1), 1),
            "max_rss_mb": rss,
            "inquiries": latencies(inquirer),
            "inquiries_direct_to_vendor_a": latencies(direct),
            "other_load_cores": round(other / wall, 2),
            "load_average_after": os.getloadavg(),
            "machine": machine("python", 1), "workdir": str(run_dir),
        }
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0 if loader.returncode == 0 and final == args.residents else 1
    finally:
        for child in (hub, registry):
            if child is not None:
                child.stop()


if __name__ == "__main__":
    sys.exit(main())
