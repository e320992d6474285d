"""Real processes for integration tests: start, wait until ready (by what they print), stop."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class Process:
    """A child process whose stdout lines are collected on a thread, so waits have deadlines."""

    def __init__(self, args: list[str], env: dict | None = None):
        self.args = args
        self.popen = subprocess.Popen(
            args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.popen.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_json(self, predicate, timeout: float = 30.0) -> dict:
        """The first JSON line printed that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.popen.poll() is not None and self.lines.empty():
                raise AssertionError(f"{self.args} not ready; output:\n{''.join(self.output)}")
            try:
                line = self.lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if isinstance(doc, dict) and predicate(doc):
                return doc

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return self.popen.returncode


def python(*args: str, **kw) -> Process:
    return Process([sys.executable, *args], **kw)


def start_hub(config: Path, timeout: float = 30.0, port: int = 0) -> tuple[Process, str]:
    """``pfbus serve`` on ``port`` (0: a free one); returns the process and the hub's URL."""
    hub = python("-m", "bus.cli.main", "serve", "--config", str(config), "--port", str(port))
    try:
        ready = hub.wait_json(lambda d: d.get("event") == "hub.listening", timeout)
    except AssertionError:
        hub.stop()
        raise
    return hub, ready["url"]
