"""The independent adapter as a process for tests: start, kill (SIGKILL, as a crash), restart on
the same port and database — the ``--restart-command`` contract."""

from __future__ import annotations

import socket
import sys
import urllib.error
from urllib.parse import urlsplit
import urllib.request
from pathlib import Path

from tests.conformance.reference_process import KillableProduct


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy


class IndependentAdapter(KillableProduct):
    listening_event = "listening"

    def __init__(self, role: str, workdir: Path, *, system_id: str, defect: str | None = None,
                 alternative: str | None = None, timeout: float = 30.0,
                 business_unit: str | None = None):
        self.role, self.system_id, self.business_unit = role, system_id, business_unit
        self.db = workdir / f"indie-{role}-{defect or alternative or 'correct'}.sqlite3"
        self.defect, self.alternative = defect, alternative
        super().__init__(f"indie-{role}", timeout)

    def argv(self) -> list[str]:
        argv = [sys.executable, "-m", "tests.conformance.independent", "serve", "--role",
                self.role, "--db", str(self.db), "--port", str(self.port), "--system-id",
                self.system_id]
        if self.business_unit:
            argv += ["--business-unit", self.business_unit]
        if self.defect:
            argv += ["--defect", self.defect]
        if self.alternative:
            argv += ["--alternative", self.alternative]
        return argv

    def observe(self, values) -> tuple[int, str]:
        """The --observe contract, asked of the running product (GET /observe/<宛名番号>)."""
        url = self.url.rsplit("/", 1)[0] + f"/observe/{values['addressee_number']}"
        try:
            with _DIRECT.open(url, timeout=10) as r:
                return 0, r.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return 1, exc.read().decode("utf-8", "replace")

    def post_raw(self, raw_request: bytes) -> bytes:
        """``raw_request`` (an HTTP request as bytes) on a connection of its own; the whole
        answer as it came, read until the product closes the connection."""
        with socket.create_connection((self.host, self.port), timeout=10) as sock:
            sock.sendall(raw_request)
            out = b""
            while chunk := sock.recv(65536):
                out += chunk
        return out

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

