"""A real hub with [files] for the file linkage tests: its config, its start, OpenSSH's sftp."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.integration.processes import Process

from bus.files.keys import key_pair

CODE = "131016"


@dataclass
class FilesHub:
    config: Path
    root: Path
    keys: dict[str, Path]  # adapter → private key file
    folder: Path


def write_config(folder: Path, *, sftp: bool = True, subscribers=("vendor-b", "vendor-c"),
                 extra: str = "", adapters=("vendor-a", "vendor-b", "vendor-c"),
                 tail: str = "") -> FilesHub:
    folder.mkdir(parents=True, exist_ok=True)
    keys = {}
    entries = []
    parties = {"vendor-a": "131016/01/vendor-a-registry", "vendor-b": "131016/07/vendor-b-tax",
               "vendor-c": "131016/09/vendor-c-kokuho"}
    for adapter in adapters:
        private, public = key_pair(folder, adapter)
        keys[adapter] = private
        entries.append(f'[[adapters]]\nid = "{adapter}"\nparties = ["{parties[adapter]}"]\n'
                       f'ssh_public_keys = ["{public}"]\n')
    host_key = ""
    if sftp:
        private, _ = key_pair(folder, "host_key")
        host_key = f'listen = "127.0.0.1:0"\nhost_key = "{private.name}"\n'
    subscriptions = "".join(f'[[files.subscriptions]]\nlocal_gov_code = "{CODE}"\n'
                            f'kind = "juki-change"\nsubscriber = "{s}"\n' for s in subscribers)
    config = folder / "hub.toml"
    config.write_text(f"""
[hub]
listen = "127.0.0.1:0"
allow_plain_http = true
[store]
routing_log = "var/routing-log.sqlite3"
notices = "sqlite:var/notices.sqlite3"
[[tenants]]
local_gov_code = "{CODE}"
{"".join(entries)}
[files]
root = "files"
ledger = "var/file-ledger.sqlite3"
scan_interval = "1s"
{host_key}{extra}
{subscriptions}
{tail}""", encoding="utf-8")
    return FilesHub(config, folder / "files", keys, folder)


def start(hub: FilesHub, timeout: float = 30.0) -> tuple[Process, int | None]:
    """``pfbus serve``; returns the process and the SFTP port (None: drop folders only)."""
    process = Process([sys.executable, "-m", "bus.cli.main", "serve", "--config",
                       str(hub.config)])
    try:
        ready = process.wait_json(lambda d: d.get("event") in ("files.listening",
                                                               "files.drop_folders"), timeout)
        process.wait_for("hub.listening", timeout)
    except RuntimeError:
        process.stop()
        raise
    port = int(ready["sftp"].rpartition(":")[2]) if "sftp" in ready else None
    return process, port


def sftp(hub: FilesHub, port: int, user: str, commands: str, key: Path | None = None,
         cwd: Path | None = None, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """OpenSSH's sftp in batch mode: each command must succeed unless prefixed with '-'."""
    batch = (cwd or hub.folder) / "batch.txt"
    batch.write_text(commands, encoding="utf-8")
    return subprocess.run(
        ["sftp", "-b", str(batch), "-P", str(port), "-i", str(key or hub.keys[user]),
         "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "IdentitiesOnly=yes",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
         "-o", "PubkeyAcceptedAlgorithms=+ssh-ed25519", f"{user}@127.0.0.1"],
        cwd=cwd or hub.folder, capture_output=True, text=True, timeout=timeout)
