"""Real processes for integration tests: start, wait until ready (by what they print), stop."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bus.cli.children import ChildProcess

REPO = Path(__file__).resolve().parents[2]


class Process(ChildProcess):
    """A child process of the tests, run from the repository's root."""

    def __init__(self, args: list[str], env: dict | None = None):
        super().__init__(" ".join(args[1:4]), args, cwd=REPO, env=env)


def python(*args: str, **kw) -> Process:
    return Process([sys.executable, *args], **kw)


def start_hub(config: Path, timeout: float = 30.0, port: int = 0) -> tuple[Process, str]:
    """``pfbus serve`` on ``port`` (0: a free one); returns the process and the hub's URL."""
    hub = python("-m", "bus.cli.main", "serve", "--config", str(config), "--port", str(port))
    try:
        ready = hub.wait_json(lambda d: d.get("event") == "hub.listening", timeout)
    except RuntimeError:
        hub.stop()
        raise
    return hub, ready["url"]


def pfbus(*args: str) -> subprocess.CompletedProcess:
    """``pfbus ARGS`` run to its end (60 s at most), output captured as text."""
    return subprocess.run([sys.executable, "-m", "bus.cli.main", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


def subscriber(keep, db, mode="ok", port=0) -> tuple[object, int]:
    """A fake subscriber (tests/integration/fake_subscriber.py) kept by ``keep``; its port."""
    p = keep(python("-m", "tests.integration.fake_subscriber", str(db), mode, str(port)))
    return p, p.wait_json(lambda d: "port" in d)["port"]


def hub(keep, config) -> str:
    """``pfbus serve`` of ``config`` kept by ``keep``; its URL."""
    process, url = start_hub(config)
    keep(process)
    return url


def assert_clean_exit(hub, timeout: float) -> dict:
    """The hub exited 0 without a traceback; its hub.stopped event."""
    assert hub.popen.wait(timeout) == 0
    output = "".join(hub.output)
    assert "Traceback" not in output and "Unhandled" not in output, output[-3000:]
    return hub.wait_for("hub.stopped", 5)
