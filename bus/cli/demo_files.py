"""``pfbus demo files``: file linkage (ファイル連携) end to end on the embedded default.

1. the hub starts with ``[files]``: an SFTP server on a free loopback port (when OpenSSH's
   ``sftp`` client is installed; otherwise the drop folders) and accounts for vendor A (the
   registry, the sender), vendor B (税) and vendor C (国保), each with a fresh key pair;
2. vendor A uploads a 異動 file (juki-change, layout juki/pfbus-1) under a temporary name and
   renames it: the hub validates it whole and delivers it to B's and C's ``outbox/``; vendor A
   finds its receipt (accepted: SHA-256, rows, subscribers) in its own ``outbox/``;
3. vendor A uploads a broken file: it is rejected, delivered to nobody, and its receipt lists the
   findings by line, 項目 and rule — no values;
4. the same file sent again is answered as a duplicate;
5. B and C take their files and remove them (the confirmation);
6. the routing log's file records are printed. Exit status 0 only if every step did what it
should.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ..files.ledger import FileState
from ..files.keys import key_pair
from .children import ChildProcess

CODE = "131016"  # 千代田区
PARTIES = {"vendor-a": "131016/01/vendor-a-registry", "vendor-b": "131016/07/vendor-b-tax",
           "vendor-c": "131016/09/vendor-c-kokuho"}
HEADER = "団体コード,宛名番号,異動連番,異動事由,異動年月日,届出年月日,異動後住民状態,異動後世帯番号"


def change_file(rows: int) -> bytes:
    """A 異動 file of ``rows`` 転居 (C01) rows: synthetic 宛名番号 with their check digits."""
    from ..core.identifiers import Modulus11Scheme
    scheme = Modulus11Scheme()  # the default 宛名番号 scheme of the demo's tenant

    def number(n: int) -> str:
        body = f"{n:09d}"
        return body + str(scheme.check_digit(body))
    lines = [HEADER] + [f"{CODE},{number(i)},1,C01,20261201,20261202,1,{number(500000 + i)}"
                        for i in range(1, rows + 1)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def broken_file() -> bytes:
    lines = change_file(4).decode("utf-8").split("\r\n")
    lines[2] = lines[2].replace("20261201", "20261231x", 1)  # not a date
    lines[4] = lines[4].replace(",C01,", ",Z99,", 1)  # not a 異動事由
    return "\r\n".join(lines).encode("utf-8")


def write_config(workdir: Path, sftp: bool) -> tuple[Path, dict[str, Path]]:
    keys, adapters = {}, []
    for adapter, party in PARTIES.items():
        keys[adapter], public = key_pair(workdir, adapter)
        adapters.append(f'[[adapters]]\nid = "{adapter}"\nparties = ["{party}"]\n'
                        f'ssh_public_keys = ["{public}"]\n')
    listen = ""
    if sftp:
        host_key, _ = key_pair(workdir, "host_key")
        listen = f'listen = "127.0.0.1:0"\nhost_key = "{host_key.name}"\n'
    subscriptions = "".join(f'[[files.subscriptions]]\nlocal_gov_code = "{CODE}"\n'
                            f'kind = "juki-change"\nsubscriber = "{s}"\n'
                            for s in ("vendor-b", "vendor-c"))
    config = workdir / "hub.toml"
    config.write_text(f"""# pfbus demo files: the hub's file linkage (docs/files.md)
[hub]
listen = "127.0.0.1:0"
allow_plain_http = true
[store]
routing_log = "routing-log.sqlite3"
notices = "sqlite:notices.sqlite3"
[[tenants]]
local_gov_code = "{CODE}"
name = "千代田区"
{"".join(adapters)}
[files]
root = "files"
ledger = "file-ledger.sqlite3"
scan_interval = "1s"
{listen}
{subscriptions}""", encoding="utf-8")
    return config, keys


class _Sender:
    """Vendor A's side: OpenSSH's sftp in batch mode, or the local drop folder."""

    def __init__(self, workdir: Path, root: Path, port: int | None, keys: dict[str, Path]):
        self.workdir, self.root, self.port, self.keys = workdir, root, port, keys

    def upload(self, adapter: str, name: str, data: bytes) -> None:
        local = self.workdir / "upload.csv"
        local.write_bytes(data)
        if self.port is None:
            inbox = self.root / adapter / "inbox"
            (inbox / f"{name}.part").write_bytes(data)
            (inbox / f"{name}.part").rename(inbox / name)
            return
        self.sftp(adapter, f"put {local} /inbox/{name}.part\n"
                           f"rename /inbox/{name}.part /inbox/{name}\n")

    def take(self, adapter: str, name: str) -> bytes:
        """Fetch a delivered file and remove it from the outbox (the confirmation)."""
        local = self.workdir / f"{adapter}-{name}"
        if self.port is None:
            shutil.move(self.root / adapter / "outbox" / name, local)
        else:
            self.sftp(adapter, f"get /outbox/{name} {local}\nrm /outbox/{name}\n")
        return local.read_bytes()

    def sftp(self, adapter: str, commands: str) -> None:
        assert self.port is not None
        batch = self.workdir / "batch.txt"
        batch.write_text(commands, encoding="utf-8")
        result = subprocess.run(
            ["sftp", "-b", str(batch), "-P", str(self.port), "-i", str(self.keys[adapter]),
             "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "IdentitiesOnly=yes",
             "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
             f"{adapter}@127.0.0.1"], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"sftp as {adapter} failed: {result.stderr.strip()}")


def run_files(workdir: Path, timeout: float) -> int:
    from ..store.routing_log import open_readonly
    from .demo_command import _wait, fail, say
    from .log_command import format_table

    started = time.monotonic()
    use_sftp = shutil.which("sftp") is not None
    config, keys = write_config(workdir, use_sftp)
    root = workdir / "files"
    say("1. the hub with file linkage: accounts vendor-a (sends 異動 files), vendor-b (税) and "
        "vendor-c (国保) subscribe to juki-change of 131016")
    hub = ChildProcess("hub", [sys.executable, "-m", "bus.cli.main", "serve", "--config",
                               str(config)])
    try:
        ready = hub.wait_json(lambda d: d.get("event") in ("files.listening",
                                                           "files.drop_folders"), timeout)
        hub.wait_for("hub.listening", timeout)
        port = int(ready["sftp"].rpartition(":")[2]) if "sftp" in ready else None
        say(f"   SFTP on 127.0.0.1:{port} (OpenSSH sftp, public-key login)" if port else
            "   no OpenSSH sftp client here: the systems use their drop folders "
            f"({root}/ADAPTER/inbox)")
        sender = _Sender(workdir, root, port, keys)
        outbox = {a: root / a / "outbox" for a in PARTIES}

        def receipt(name: str) -> dict | None:
            found = sorted(outbox["vendor-a"].glob(f"{name}.*.receipt.json"))
            return json.loads(found[-1].read_text("utf-8")) if found else None

        name = "juki_change_131016_20261201.csv"
        data = change_file(120)
        say(f"\n2. vendor A uploads {name} (120 rows of 転居) as {name}.part, then renames it")
        sender.upload("vendor-a", name, data)
        if not _wait(lambda: all((outbox[s] / name).exists() for s in ("vendor-b", "vendor-c"))
                     and receipt(name), timeout):
            return fail("the file did not reach B's and C's outboxes with a receipt for A")
        accepted = receipt(name)
        assert accepted is not None
        say(f"   receipt: {accepted['status']}, rows {accepted['rows']}, sha256 "
            f"{accepted['sha256'][:16]}…, subscribers {', '.join(accepted['subscribers'])}")
        if accepted["status"] != FileState.ACCEPTED or accepted["rows"] != 120:
            return fail(f"unexpected receipt {accepted}")

        bad = "juki_change_131016_20261202.csv"
        say(f"\n3. vendor A uploads {bad}, broken in two places")
        sender.upload("vendor-a", bad, broken_file())
        if not _wait(lambda: receipt(bad), timeout):
            return fail("no receipt for the broken file")
        rejected = receipt(bad)
        assert rejected is not None
        for f in rejected.get("findings", []):
            say(f"   {f['file']}:{f['line']} 項目{f['item_no']} {f['item_name']} [{f['rule']}] "
                f"{f['message']}")
        if rejected["status"] != FileState.REJECTED or any((outbox[s] / bad).exists()
                                                   for s in ("vendor-b", "vendor-c")):
            return fail("the broken file was not rejected, or was delivered")

        again = "juki_change_131016_20261201-resent.csv"
        say(f"\n4. vendor A sends the accepted file again as {again}")
        sender.upload("vendor-a", again, data)
        if not _wait(lambda: receipt(again), timeout):
            return fail("no receipt for the resent file")
        duplicate = receipt(again)
        assert duplicate is not None
        of = duplicate.get("duplicate_of") or {}
        say(f"   receipt: {duplicate['status']} of file {of.get('file_id')} ({of.get('file')}); "
            "delivered to nobody again")
        if duplicate["status"] != FileState.DUPLICATE:
            return fail("the resent file was not answered as a duplicate")

        say("\n5. vendors B and C fetch their files and remove them (the confirmation)")
        for s in ("vendor-b", "vendor-c"):
            if sender.take(s, name) != data:
                return fail(f"{s} got a different file")
            say(f"   {s}: {len(data)} bytes, identical")
        log_path = workdir / "routing-log.sqlite3"

        def confirmed() -> int:
            log = open_readonly(log_path)
            try:
                return len(log.query(hop="file_confirmed", limit=None))
            finally:
                log.close()
        if not _wait(lambda: confirmed() == 2, timeout):
            return fail("the confirmations were not recorded")
    finally:
        hub.stop()
    say("\n6. the routing log's file records (metadata only: kind, size, rows, SHA-256, "
        "sender, subscriber)")
    log = open_readonly(workdir / "routing-log.sqlite3")
    try:
        hops = [h for h in log.query(limit=None) if h.hop.startswith("file_")]
    finally:
        log.close()
    for line in format_table(hops):
        say("   " + line)
    say(f"\ndemo files OK in {time.monotonic() - started:.1f} s")
    return 0
