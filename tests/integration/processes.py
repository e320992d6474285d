"""Real processes for integration tests: start, wait until ready (by what they print), stop."""

from __future__ import annotations

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
