"""File linkage conformance over SFTP (ファイル連携の準拠確認、SFTP経由): the suite runs a real hub
(``pfbus serve`` with ``[files] listen``) on 127.0.0.1 as the vendor system's SFTP counterpart,
with an account for the vendor (a key pair the suite makes) and one for itself.

* producer — the vendor's command uploads its files to ``/inbox`` of its account; the hub picks
  them up and judges them with its own rules. Judged by the hub's receipts: every complete upload
  taken and ``accepted`` (a finding fails it), of the profile's file kind and 団体コード, no
  temporary name left behind.
* consumer — the suite drops files into its own drop folder; the hub delivers them into the
  vendor's ``/outbox``; the vendor's command takes them over SFTP. Judged by the hub's delivery
  ledger (every delivery confirmed, in the hub's delivery order) and the command's
  ``{"taken": [names]}``: each taken once, across a restart — the second pass is a new process,
  and with ``--restart-command`` the product is killed and started again between the passes.

Command values: ``{host}``, ``{port}``, ``{user}``, ``{key}`` (the account's private key),
``{known_hosts}`` (the hub's host key, to check it), ``{store}`` (consumer).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from adapters.sdk.files import change_file, write_file
from bus.cli.children import ChildProcess
from bus.files.keys import key_pair
from bus.files.names import complete_files, is_temporary

from .commands import argv_of, parse_json, run_command
from .migration import Check

VENDOR, SUITE = "vendor", "suite"
SETTLE_S = 60.0  # how long the hub may take to judge an upload or notice a confirmation


@dataclass
class SftpHub:
    folder: Path
    process: ChildProcess
    port: int
    key: Path
    known_hosts: Path

    @property
    def root(self) -> Path:
        return self.folder / "files"

    def values(self) -> dict[str, object]:
        return {"host": "127.0.0.1", "port": self.port, "user": VENDOR, "key": self.key,
                "known_hosts": self.known_hosts}

    def ledger(self, sql: str) -> list[tuple]:
        """The hub's delivery ledger, read-only (the hub keeps writing it)."""
        conn = sqlite3.connect(f"file:{self.folder / 'file-ledger.sqlite3'}?mode=ro", uri=True)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def stop(self) -> None:
        self.process.stop()


def start_hub(folder: Path, kind: str, code: str, subscriber: str) -> SftpHub:
    folder.mkdir(parents=True, exist_ok=True)
    key, public = key_pair(folder, VENDOR)
    host_key, host_public = key_pair(folder, "host_key")
    (folder / "hub.toml").write_text(f"""
[hub]
listen = "127.0.0.1:0"
allow_plain_http = true
[store]
routing_log = "routing-log.sqlite3"
notices = "sqlite:notices.sqlite3"
[[tenants]]
local_gov_code = "{code}"
[[adapters]]
id = "{VENDOR}"
parties = ["{code}/99/{VENDOR}"]
ssh_public_keys = ["{public}"]
[[adapters]]
id = "{SUITE}"
parties = ["{code}/01/conformance-suite"]
[files]
root = "files"
ledger = "file-ledger.sqlite3"
listen = "127.0.0.1:0"
host_key = "{host_key.name}"
scan_interval = "0.2s"
[[files.subscriptions]]
local_gov_code = "{code}"
kind = "{kind}"
subscriber = "{subscriber}"
""", encoding="utf-8")
    process = ChildProcess("hub", [sys.executable, "-m", "bus.cli.main", "serve", "--config",
                                   str(folder / "hub.toml")])
    try:
        ready = process.wait_for("files.listening", 60)
        process.wait_for("hub.listening", 60)
    except RuntimeError:
        process.stop()
        raise
    port = int(ready["sftp"].rpartition(":")[2])
    known_hosts = folder / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {' '.join(host_public.split()[:2])}\n")
    return SftpHub(folder, process, port, key, known_hosts)


def _until(done: Callable[[], bool], timeout: float = SETTLE_S) -> bool:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def producer(profile, command: str, workdir: Path, checks: list[Check]) -> None:
    produce = Check("files.produce", "the command uploads its files over SFTP and exits 0")
    pickup = Check("files.pickup", "no temporary name left in /inbox; every complete upload is "
                   f"taken, of the profile's kind ({profile.kind}) and 団体コード "
                   f"({profile.local_gov_code})")
    valid = Check("files.validation", "every upload is accepted by the hub's whole-file "
                  "validation (its receipt)")
    checks += [produce, pickup, valid]
    hub = start_hub(workdir / "hub", profile.kind, profile.local_gov_code, SUITE)
    try:
        done = run_command("produce", argv_of(command, hub.values()), profile.timeout)
        if done.exit_code != 0:
            produce.fail(f"exit status {done.exit_code}; stderr: {done.stderr.strip()[-300:]}")
            return
        inbox = hub.root / VENDOR / "inbox"

        def judged() -> bool:  # nothing complete waits in the inbox, every file has a receipt
            names = [p.name for p in inbox.iterdir()]
            return not complete_files(names) and not hub.ledger(
                "SELECT id FROM files WHERE receipt IS NULL AND state != 'vanished'")
        if not _until(judged):
            pickup.fail(f"the hub did not take every complete upload within {SETTLE_S:.0f} s")
        for name in sorted(p.name for p in inbox.iterdir()):
            if is_temporary(name):
                pickup.fail(f"/inbox/{name}: a temporary name left behind (never completed)")
        rows = hub.ledger("SELECT name, state, kind, local_gov_code, receipt FROM files "
                          "ORDER BY id")
        if not rows:
            pickup.fail("no complete file was uploaded")
        outbox = hub.root / VENDOR / "outbox"
        for name, state, kind, code, receipt in rows:
            if (kind, code) != (profile.kind, profile.local_gov_code):
                pickup.fail(f"{name}: not a {profile.kind} file of {profile.local_gov_code} "
                            f"({kind or 'no file kind'})")
                continue  # judged as another kind, or not placed at all
            if state == "accepted":
                continue
            findings = []
            if receipt and (outbox / receipt).exists():
                findings = json.loads((outbox / receipt).read_text("utf-8")).get("findings", [])
            valid.fail(f"{name}: {state}" + "".join(
                f"; line {f['line']} 項目{f['item_no']} {f['item_name']} [{f['rule']}]"
                for f in findings[:20]))
    finally:
        hub.stop()


def consumer(profile, command: str, restart: str | None, workdir: Path,
             checks: list[Check]) -> None:
    code = profile.local_gov_code
    take = Check("files.take", "the command exits 0 and says what it took ({\"taken\": [...]})")
    confirm = Check("files.confirm", "every delivered file is confirmed (removed from /outbox)")
    once = Check("files.once", "each file taken exactly once, none missing, across a restart")
    order = Check("files.order", "files taken in the order the hub delivered them")
    checks += [take, confirm, once, order]
    hub = start_hub(workdir / "hub", profile.kind, code, VENDOR)
    values = {**hub.values(), "store": workdir / "store"}
    taken: list[str] = []
    sent = 0
    try:
        for batch in range(2):
            if batch and restart:  # the product killed and started again between the passes
                done = run_command("restart", argv_of(restart, values), profile.timeout)
                if done.exit_code != 0:
                    take.fail(f"--restart-command: exit status {done.exit_code}; stderr: "
                              f"{done.stderr.strip()[-300:]}")
                    return
            for i in range(3):  # names that sort against their delivery order
                write_file(hub.root / SUITE / "inbox",
                           f"juki_change_{code}_2026120{batch + 1}-{3 - i}.csv",
                           change_file(code, 20, start=1 + 100 * (3 * batch + i)))
                sent += 1

                def delivered(count: int = sent) -> bool:  # one at a time: the hub takes
                    return len(hub.ledger(  # the files of one turn by name
                        "SELECT 1 FROM deliveries WHERE state IN ('delivered', 'confirmed')")
                    ) == count
                if not _until(delivered):
                    take.fail(f"pass {batch + 1}: the hub did not deliver the suite's files")
                    return
            done = run_command(f"consume {batch + 1}", argv_of(command, values),
                               profile.timeout)
            if done.exit_code != 0:
                take.fail(f"pass {batch + 1}: exit status {done.exit_code}; stderr: "
                          f"{done.stderr.strip()[-300:]}")
                continue
            result = parse_json(done.stdout)
            if not isinstance(result, dict) or not isinstance(result.get("taken"), list):
                take.fail(f"pass {batch + 1}: no {{\"taken\": [names]}} on stdout")
                continue
            taken += [str(n) for n in result["taken"]]
        # the hub notices a removal over SFTP at once; a file left in the outbox never is
        _until(lambda: not hub.ledger("SELECT 1 FROM deliveries WHERE state != 'confirmed'"),
               timeout=5.0)
        for name, state in hub.ledger("SELECT name, state FROM deliveries WHERE state != "
                                      "'confirmed' ORDER BY seq"):
            confirm.fail(f"{name}: {state}, not confirmed")
        delivered = [n for (n,) in hub.ledger("SELECT name FROM deliveries ORDER BY seq")]
        for n in delivered:
            if taken.count(n) != 1:
                once.fail(f"{n}: taken {taken.count(n)} times")
        for n in sorted(set(taken) - set(delivered)):
            once.fail(f"{n}: taken but never delivered")
        first = list(dict.fromkeys(n for n in taken if n in delivered))  # a retake is once's
        if first != [n for n in delivered if n in first]:
            order.fail(f"taken in the order {first}, delivered {delivered}")
    finally:
        hub.stop()
