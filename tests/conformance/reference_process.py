"""A reference adapter as its own process, killable: the ``--restart-command`` contract for the
subscriber durability cases (S-DUR-*) — SIGKILL (no shutdown, no flush), start again on the same
port and database, return once it listens."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
import signal
import sys
from pathlib import Path

from conformance.commands import Service

from tests.integration.processes import REPO


class KillableProduct(ABC):
    """A product under test as a process: started on a port (0 first, then the same one again),
    killed abruptly by ``restart`` (the process group: no shutdown, no flush) and started again
    on the same port and database. Subclasses say how to start it (``argv``) and which event
    says it listens."""

    listening_event = "adapter.listening"

    def __init__(self, name: str, timeout: float = 30.0):
        self.name, self.timeout = name, timeout
        self.port = 0
        self.service: Service | None = None
        self.url = self._start()

    @abstractmethod
    def argv(self) -> list[str]:
        """The command line that starts the product on ``self.port``."""

    def _start(self) -> str:
        self.service = Service(self.name, self.argv(), cwd=REPO)
        url = self.service.wait_event(self.listening_event, self.timeout)["url"]
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


class ReferenceProcess(KillableProduct):
    def __init__(self, module: str, db: Path, *extra: str, timeout: float = 30.0):
        self.module, self.db, self.extra = module, db, extra
        super().__init__(module, timeout)

    def argv(self) -> list[str]:
        return [sys.executable, "-m", self.module, "serve", "--db", str(self.db),
                "--port", str(self.port), *self.extra]
