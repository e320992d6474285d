"""A tiny structured operator log: one JSON object per line (JSON Lines).

Meant for stdout/stderr or a file that a log shipper tails. Like the routing log, it carries
metadata only — never payload values or personal data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # bus.core stays free of store imports at run time
    from bus.store.routing_log import HopRecord


class JsonLineLog:
    """``JsonLineLog(stream).emit("hub.started", port=8080)`` writes
    ``{"ts": "...", "event": "hub.started", "port": 8080}`` and a newline.

    Keys: ``ts`` (UTC ISO-8601, microseconds), ``event``, then the fields in the order given;
    fields whose value is None are left out. Safe to call from any thread.
    """

    def __init__(self, stream: TextIO, **context: Any) -> None:
        """``context``: fields on every line after ``event`` (a worker's index, say)."""
        self.stream = stream
        self.context = context
        self._lock = threading.Lock()  # one line per write, never interleaved

    def emit(self, event: str, **fields: Any) -> None:
        if "ts" in fields:
            raise ValueError("'ts' is set by emit() itself")
        record: dict[str, Any] = {
            "ts": dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds"),
            "event": event,
            **self.context,
        }
        record.update((k, v) for k, v in fields.items() if v is not None)
        # default=str: an odd value (Path, datetime) must not turn a log call into a crash.
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
        with self._lock:
            self.stream.write(line)
            self.stream.flush()


def hop_fields(h: HopRecord) -> dict[str, Any]:
    """The non-None fields of a hop, for ``log.emit("hop", **hop_fields(h))``."""
    return {f.name: getattr(h, f.name) for f in dataclasses.fields(h)
            if getattr(h, f.name) is not None}
