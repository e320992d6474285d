"""Reading a hub's routing log from a test while the hub runs.

The hub commits hops on a background writer thread, so a test that has just had its answer may
not see the hop yet: ``wait_for_hops`` polls the file (read-only) until the hops are there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bus.store.routing_log import HopRecord, open_readonly


def read_hops(path: Path, **query: Any) -> list[HopRecord]:
    """Every hop matching ``query`` (``RoutingLog.query`` keywords), now; [] before the file
    exists."""
    if not Path(path).exists():
        return []
    with open_readonly(path) as log:
        return log.query(limit=None, **query)


def wait_for_hops(path: Path, *, count: int = 1, timeout: float = 10.0,
                  fault_code: str | None = None,
                  where: Callable[[HopRecord], bool] | None = None,
                  done: Callable[[list[HopRecord]], bool] | None = None,
                  **query: Any) -> list[HopRecord]:
    """The hops matching ``query`` (``RoutingLog.query`` keywords), ``fault_code`` and
    ``where`` (per hop), polled until there are ``count`` of them (or, with ``done``, until
    ``done(hops)`` holds). After ``timeout`` seconds it returns what is there: the caller's
    assertion then shows what was missing."""
    deadline = time.monotonic() + timeout
    while True:
        rows = [h for h in read_hops(path, **query)
                if (fault_code is None or h.fault_code == fault_code)
                and (where is None or where(h))]
        enough = done(rows) if done is not None else len(rows) >= count
        if enough or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)
