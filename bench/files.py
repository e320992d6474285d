"""File linkage benchmark: one file of N rows through the pipeline, in its own process and
through a real hub (drop folder, and uploaded over SFTP).

    .venv/bin/python bench/files.py --rows 1000000 --kind resident --sftp

``--kind resident`` (default): a 住民 file (juki-resident) of realistic rows — names in kanji
with katakana readings, MJ characters and variation sequences, 旧氏, addresses with 方書
(bench/resident_rows.py); ``--kind change``: the 異動 file of synthetic rows measured first.
The file is dropped into vendor A's inbox; a child process runs one pipeline turn
(``FilePipeline.turn``: pickup, whole-file validation, verdict, receipt, fsynced copies to 2
subscribers, a real routing log) and reports the CPU seconds of the validation step and of the
whole turn (``time.process_time``); the parent reads the child's peak RSS (``ru_maxrss`` from
``wait4``). Then the same file goes through a real hub (``pfbus serve``): renamed into the drop
folder, and with ``--sftp`` uploaded by paramiko over the hub's SFTP server (temporary name,
rename) — wall time to both deliveries, the hub process's CPU seconds for it (``/proc/PID/stat``)
and its peak RSS (``VmHWM``). Targets (issue 16): ≥ 50,000 rows/s validation on one core; the
hub ≤ 256 MB RSS. The machine's load average is recorded: on a shared machine, say so when
reporting (CPU seconds are the steadier measure). Prints one JSON document.
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

from bench.procs import ROOT  # noqa: E402

KINDS = {"resident": ("juki-resident", "juki_resident_131016_bench.csv"),
         "change": ("juki-change", "juki_change_131016_bench.csv")}
CHANGE_HEADER = "団体コード,宛名番号,異動連番,異動事由,異動年月日,届出年月日,異動後住民状態,異動後世帯番号"


def write_file(path: Path, rows: int, kind: str) -> int:
    from bus.core.identifiers import Modulus11Scheme
    scheme = Modulus11Scheme()

    def number(n: int) -> str:
        body = f"{n:09d}"
        return body + str(scheme.check_digit(body))
    with path.open("w", encoding="utf-8", newline="") as f:
        if kind == "resident":
            from bench.resident_rows import resident_rows
            for line in resident_rows(rows):
                f.write(line + "\r\n")
        else:
            f.write(CHANGE_HEADER + "\r\n")
            for i in range(1, rows + 1):
                f.write(f"131016,{number(i)},1,C01,20261201,20261202,1,"
                        f"{number(i + 10_000_000)}\r\n")
    return path.stat().st_size


def _cpu_s(pid: int) -> float:
    """utime + stime of a process so far (/proc/PID/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(workdir: Path, kind: str) -> None:
    """One turn of the pipeline over the prepared folders; JSON on stdout."""
    from bus.core.files_config import Account, FilesConfig, FileSubscription
    from bus.files import pipeline as pipeline_module
    from bus.files.kinds import FileKindCatalog
    from bus.files.ledger import FileLedger
    from bus.files.pipeline import FilePipeline
    from bus.store.routing_log import RoutingLog

    parties = {"vendor-a": "131016/01/a", "vendor-b": "131016/07/b", "vendor-c": "131016/09/c"}
    config = FilesConfig(root=workdir / "root", ledger=workdir / "ledger.sqlite3",
                         accounts={a: Account(a, (p,), ()) for a, p in parties.items()},
                         subscriptions=(FileSubscription("131016", kind, "vendor-b"),
                                        FileSubscription("131016", kind, "vendor-c")))
    log = RoutingLog(workdir / "routing-log.sqlite3")
    ledger = FileLedger(config.ledger)
    pipe = FilePipeline(config, FileKindCatalog.load(), ledger, log)
    spent = {"validation": 0.0}
    original = pipeline_module.FileValidator.run

    def timed_run(self, stream):  # the validation step alone, as the pipeline calls it
        began = time.process_time()
        yield from original(self, stream)
        spent["validation"] += time.process_time() - began
    pipeline_module.FileValidator.run = timed_run  # type: ignore[method-assign]
    began, wall = time.process_time(), time.monotonic()
    done = pipe.turn()
    turn_cpu, turn_wall = time.process_time() - began, time.monotonic() - wall
    ledger.close()
    log.close()
    print(json.dumps({"accepted": done.accepted, "delivered": done.delivered, "rows": done.rows,
                      "validation_cpu_s": round(spent["validation"], 2),
                      "turn_cpu_s": round(turn_cpu, 2), "turn_wall_s": round(turn_wall, 2)}))


def through_hub(workdir: Path, rows: int, kind: str, sftp: bool) -> dict:
    """The same file through a real hub (pfbus serve): renamed into the drop folder, or uploaded
    over SFTP by paramiko (temporary name, then rename). Wall time to both deliveries, the hub's
    CPU seconds from before the upload to the deliveries, its peak RSS (VmHWM) afterwards."""
    from bus.cli.children import ChildProcess
    from bus.files.keys import key_pair
    kind_name, name = KINDS[kind]
    how = "sftp" if sftp else "drop"
    hub_dir = workdir / f"hub-{how}"
    (hub_dir / "files").mkdir(parents=True)
    vendor_key, vendor_public = key_pair(hub_dir, "vendor-a")
    host_key, _ = key_pair(hub_dir, "host_key")
    adapters = "".join(f'[[adapters]]\nid = "{a}"\nparties = ["{p}"]\n'
                       f'ssh_public_keys = ["{vendor_public}"]\n' if a == "vendor-a" else
                       f'[[adapters]]\nid = "{a}"\nparties = ["{p}"]\n' for a, p in (
                           ("vendor-a", "131016/01/a"), ("vendor-b", "131016/07/b"),
                           ("vendor-c", "131016/09/c")))
    subs = "".join(f'[[files.subscriptions]]\nlocal_gov_code = "131016"\nkind = "{kind_name}"\n'
                   f'subscriber = "{s}"\n' for s in ("vendor-b", "vendor-c"))
    listen = f'listen = "127.0.0.1:0"\nhost_key = "{host_key.name}"\n' if sftp else ""
    (hub_dir / "hub.toml").write_text(
        f'[hub]\nlisten = "127.0.0.1:0"\nallow_plain_http = true\n[store]\n'
        f'routing_log = "routing-log.sqlite3"\nnotices = "sqlite:notices.sqlite3"\n'
        f'[[tenants]]\nlocal_gov_code = "131016"\n{adapters}[files]\nroot = "files"\n'
        f'ledger = "file-ledger.sqlite3"\nscan_interval = "0.2s"\n{listen}{subs}',
        encoding="utf-8")
    staged = workdir / "staged.csv"
    write_file(staged, rows, kind)
    hub = ChildProcess("hub", [sys.executable, "-m", "bus.cli.main", "serve", "--config",
                               str(hub_dir / "hub.toml")])
    result: dict = {}
    try:
        ready = hub.wait_json(lambda d: d.get("event") in ("files.listening",
                                                           "files.drop_folders"), 60)
        hub.wait_for("hub.listening", 60)
        inbox = hub_dir / "files" / "vendor-a" / "inbox"
        cpu_before, began = _cpu_s(hub.popen.pid), time.monotonic()
        if sftp:
            import paramiko
            transport = paramiko.Transport(("127.0.0.1", int(ready["sftp"].rpartition(":")[2])))
            transport.connect(username="vendor-a",
                              pkey=paramiko.Ed25519Key.from_private_key_file(str(vendor_key)))
            client = paramiko.SFTPClient.from_transport(transport)
            assert client is not None
            client.put(str(staged), f"/inbox/{name}.part")
            client.rename(f"/inbox/{name}.part", f"/inbox/{name}")
            client.close()
            transport.close()
            result["sftp_upload_wall_s"] = round(time.monotonic() - began, 2)
            staged.unlink()
        else:
            staged.rename(inbox / name)  # complete at once: a rename into the drop folder
        outboxes = [hub_dir / "files" / s / "outbox" / name for s in ("vendor-b", "vendor-c")]
        while not all(p.exists() for p in outboxes):
            if time.monotonic() - began > 1200:
                raise RuntimeError("not delivered within 1200 s")
            time.sleep(0.05)
        wall = time.monotonic() - began
        cpu = _cpu_s(hub.popen.pid) - cpu_before
        status = Path(f"/proc/{hub.popen.pid}/status").read_text()
        hwm = next(int(line.split()[1]) for line in status.splitlines()
                   if line.startswith("VmHWM"))
    finally:
        hub.stop()
    return {**result, f"hub_{how}_to_delivered_wall_s": round(wall, 2),
            f"hub_{how}_cpu_s": round(cpu, 2),
            f"hub_{how}_rows_per_cpu_s": round(rows / cpu) if cpu else None,
            f"hub_{how}_peak_rss_mb": round(hwm / 1024, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pfbus-files-bench"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--kind", choices=tuple(KINDS), default="resident")
    parser.add_argument("--no-hub", action="store_true", help="skip the runs through pfbus serve")
    parser.add_argument("--sftp", action="store_true",
                        help="also upload the file over the hub's SFTP server (paramiko)")
    args = parser.parse_args()
    if args.child:
        child(args.workdir, KINDS[args.kind][0])
        return 0
    import shutil
    shutil.rmtree(args.workdir, ignore_errors=True)
    for adapter in ("vendor-a", "vendor-b", "vendor-c"):
        for folder in ("inbox", "outbox"):
            (args.workdir / "root" / adapter / folder).mkdir(parents=True)
    size = write_file(args.workdir / "root" / "vendor-a" / "inbox" / KINDS[args.kind][1],
                      args.rows, args.kind)
    load_before = os.getloadavg()[0]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,  # the tree measured
                            capture_output=True, text=True).stdout.strip()
    proc = subprocess.Popen([sys.executable, __file__, "--child", "--workdir", str(args.workdir),
                             "--kind", args.kind],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    result = json.loads(out) if out.strip() else {}
    if not args.no_hub:
        result.update(through_hub(args.workdir, args.rows, args.kind, sftp=False))
        if args.sftp:
            result.update(through_hub(args.workdir, args.rows, args.kind, sftp=True))
    rows = result.get("rows") or 0
    validation = result.get("validation_cpu_s") or 0
    print(json.dumps({
        "kind": args.kind, "rows": args.rows, "file_bytes": size,
        "commit": commit,
        "exit": os.waitstatus_to_exitcode(status),
        **result,
        "validation_rows_per_cpu_s": round(rows / validation) if validation else None,
        "turn_rows_per_cpu_s": round(rows / result["turn_cpu_s"]) if result.get("turn_cpu_s")
        else None,
        "child_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
        "nproc": os.cpu_count()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
