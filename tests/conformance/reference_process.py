"""A reference adapter as its own process, killable: the ``--restart-command`` contract for the
subscriber durability cases (S-DUR-*) — SIGKILL (no shutdown, no flush), start again on the same
port and database, return once it listens."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from conformance.commands import Service

from tests.integration.processes import REPO


class ReferenceProcess:
    def __init__(self, module: str, db: Path, *extra: str, timeout: float = 30.0):
        self.module, self.db, self.extra, self.timeout = module, db, extra, timeout
        self.port = 0
        self.service: Service | None = None
        self.url = self._start()

    def _start(self) -> str:
        argv = [sys.executable, "-m", self.module, "serve", "--db", str(self.db),
                "--port", str(self.port), *self.extra]
        self.service = Service(self.module, argv, cwd=REPO)
        url = self.service.wait_event("adapter.listening", self.timeout)["url"]
        self.port = int(url.split(":")[2].split("/")[0])
        return url

    def restart(self, values=None) -> int:
        """Kill the process abruptly and start it again."""
        if self.service is not None:
            try:
                os.killpg(self.service.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.service.popen.wait(10)
        self._start()
        return 0

    def close(self) -> None:
        if self.service is not None:
            self.service.stop()
