"""The independent adapter as a process for tests: start, kill (SIGKILL, as a crash), restart on
the same port and database — the ``--restart-command`` contract."""

from __future__ import annotations

import os
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path

from conformance.commands import Service

from tests.integration.processes import REPO


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy


class IndependentAdapter:
    def __init__(self, role: str, workdir: Path, *, system_id: str, defect: str | None = None,
                 alternative: str | None = None, timeout: float = 30.0,
                 business_unit: str | None = None):
        self.role, self.system_id, self.business_unit = role, system_id, business_unit
        self.db = workdir / f"indie-{role}-{defect or alternative or 'correct'}.sqlite3"
        self.defect, self.alternative, self.timeout = defect, alternative, timeout
        self.port = 0
        self.service: Service | None = None
        self.url = self._start()

    def _start(self) -> str:
        argv = [sys.executable, "-m", "tests.conformance.independent", "serve", "--role",
                self.role, "--db", str(self.db), "--port", str(self.port), "--system-id",
                self.system_id]
        if self.business_unit:
            argv += ["--business-unit", self.business_unit]
        if self.defect:
            argv += ["--defect", self.defect]
        if self.alternative:
            argv += ["--alternative", self.alternative]
        self.service = Service(f"indie-{self.role}", argv, cwd=REPO)
        url = self.service.wait_event("listening", self.timeout)["url"]
        self.port = int(url.split(":")[2].split("/")[0])
        return url

    def restart(self, values=None) -> int:
        """Kill the process abruptly (no shutdown, no flush) and start it again."""
        if self.service is not None:
            try:
                os.killpg(self.service.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.service.popen.wait(10)
        self._start()
        return 0

    def observe(self, values) -> tuple[int, str]:
        """The --observe contract, asked of the running product (GET /observe/<宛名番号>)."""
        url = self.url.rsplit("/", 1)[0] + f"/observe/{values['addressee_number']}"
        try:
            with _DIRECT.open(url, timeout=10) as r:
                return 0, r.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return 1, exc.read().decode("utf-8", "replace")

    def close(self) -> None:
        if self.service is not None:
            self.service.stop()
