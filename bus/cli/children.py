"""Child processes that announce themselves with JSON lines on stdout (``pfbus serve``, adapters):
start, wait until ready with a deadline, stop. Used by ``pfbus demo`` and the integration tests."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path


class ChildProcess:
    """A child whose output is collected on a thread, so that every wait has a deadline."""

    def __init__(self, name: str, args: list[str], cwd: Path | None = None,
                 env: dict | None = None):
        self.name = name
        self.args = args
        self.popen = subprocess.Popen(
            args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.popen.stdout is not None  # started with stdout=PIPE
        for line in self.popen.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_json(self, predicate: Callable[[dict], bool], timeout: float = 30.0) -> dict:
        """The first JSON object line printed that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.popen.poll() is not None and self.lines.empty():
                    break
                continue
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if isinstance(doc, dict) and predicate(doc):
                return doc
        raise RuntimeError(f"{self.name} not ready; its output:\n{''.join(self.output)}")

    def wait_for(self, event: str, timeout: float = 30.0) -> dict:
        return self.wait_json(lambda d: d.get("event") == event, timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return self.popen.returncode
