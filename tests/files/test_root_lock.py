"""One hub per files root: a second ``pfbus serve`` pointed at a ROOT in use refuses to start,
naming it; a hub killed with SIGKILL leaves no stale lock."""

from __future__ import annotations

import signal
import subprocess
import sys

from tests.integration.processes import REPO

from .files_data import change_file, name
from .hubs import start, write_config


def serve(config) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bus.cli.main", "serve", "--config",
                           str(config)], cwd=REPO, capture_output=True, text=True, timeout=60)


def test_a_second_hub_on_the_same_root_is_refused(tmp_path, keep):
    hub = write_config(tmp_path / "hub", sftp=False)
    first, _ = start(hub)
    keep(first)
    second = serve(hub.config)
    assert second.returncode == 2, second.stdout + second.stderr
    assert "files.root" in second.stderr
    assert f"in use by another hub process (pid {first.popen.pid})" in second.stderr
    # the first hub still owns its inboxes: a file dropped now is taken by it alone
    inbox = hub.root / "vendor-a" / "inbox"
    (inbox / (name() + ".part")).write_bytes(change_file(2))
    (inbox / (name() + ".part")).rename(inbox / name())
    first.wait_json(lambda d: d.get("event") == "files.turn" and d.get("delivered"), 30)


def test_a_killed_hub_leaves_no_stale_lock(tmp_path, keep):
    hub = write_config(tmp_path / "hub", sftp=False)
    first, _ = start(hub)
    keep(first)
    first.stop(signal.SIGKILL)
    again, _ = start(hub)  # the kernel released the lock with the process
    keep(again)
