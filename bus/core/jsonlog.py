"""A tiny structured operator log: one JSON object per line (JSON Lines).

Meant for stdout/stderr or a file that a log shipper tails. Like the routing log, it carries
metadata only — never payload values or personal data.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from typing import TYPE_CHECKING, Any, TextIO

from .utc_text import utc_now_text

if TYPE_CHECKING:  # bus.core stays free of store imports at run time
    from collections.abc import Callable

    from bus.store.routing_log import HopRecord

# One encoder, built once: json.dumps with options builds a new one per call (issue 13: a line
# per exchange). default=str: an odd value (Path, datetime) must not turn a log call into a crash.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


class JsonLineLog:
    """``JsonLineLog(stream).emit("hub.started", port=8080)`` writes
    ``{"ts": "...", "event": "hub.started", "port": 8080}`` and a newline.

    Keys: ``ts`` (UTC ISO-8601, microseconds), ``event``, then the fields in the order given;
    fields whose value is None are left out. Safe to call from any thread.

    ``emit`` writes and flushes its line at once. ``emit_soon`` (the hub's line per exchange)
    writes it and leaves the flush to the end of the reactor's turn once ``flush_each_turn``
    has been given a way to schedule it: one flush (one write to the stream's file) for every
    line of a turn instead of one per line (issue 13). Lines stay whole and in order (one
    stream, one lock); any ``emit`` flushes what came before it, so the hub's last line on a
    clean stop takes every exchange line with it.
    """

    def __init__(self, stream: TextIO, **context: Any) -> None:
        """``context``: fields on every line after ``event`` (a worker's index, say)."""
        self.stream = stream
        self.context = context
        self._lock = threading.Lock()  # one line per write, never interleaved
        self._schedule: Callable[[Callable[[], None]], object] | None = None
        self._turn_thread: int | None = None  # the thread whose turns ``_schedule`` ends
        self._flush_pending = False

    def flush_each_turn(self, schedule: Callable[[Callable[[], None]], object]) -> None:
        """From now on, ``emit_soon`` on the calling thread (the reactor's) leaves the flush to
        ``schedule(flush)`` — e.g. ``lambda f: reactor.callLater(0, f)`` — once per turn."""
        self._schedule = schedule
        self._turn_thread = threading.get_ident()

    def flush(self) -> None:
        with self._lock:
            self._flush_pending = False
            self.stream.flush()

    def emit_soon(self, event: str, **fields: Any) -> None:
        """``emit``, flushed at the end of the reactor's turn (see the class doc); from any
        other thread, or before ``flush_each_turn``, the same as ``emit``."""
        if self._schedule is None or threading.get_ident() != self._turn_thread:
            self.emit(event, **fields)
            return
        line = self._line(event, fields)
        with self._lock:
            self.stream.write(line)
            if self._flush_pending:
                return
            self._flush_pending = True
        self._schedule(self.flush)

    def emit(self, event: str, **fields: Any) -> None:
        line = self._line(event, fields)
        with self._lock:
            self.stream.write(line)
            self._flush_pending = False  # what emit_soon wrote goes with this flush
            self.stream.flush()

    def _line(self, event: str, fields: dict[str, Any]) -> str:
        if "ts" in fields:
            raise ValueError("'ts' is set by emit() itself")
        record: dict[str, Any] = {
            "ts": utc_now_text(),  # UTC ISO-8601, microseconds (datetime's text)
            "event": event,
            **self.context,
        }
        record.update((k, v) for k, v in fields.items() if v is not None)
        return _ENCODE(record) + "\n"


def hop_fields(h: HopRecord) -> dict[str, Any]:
    """The non-None fields of a hop, for ``log.emit("hop", **hop_fields(h))``."""
    return {f.name: getattr(h, f.name) for f in dataclasses.fields(h)
            if getattr(h, f.name) is not None}
