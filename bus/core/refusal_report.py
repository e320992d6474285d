"""Reporting refusals made before a message is read, without letting a flood flood the log.

A TLS handshake refused, a request line too long, a body too large: each is worth a line on the
operator log naming who was refused — but an attacker repeating it thousands of times a second
must not turn stdout into the attack's amplifier. ``RefusalReport`` keeps, per (event, peer
address), one window of ``interval`` seconds: the first refusal is reported at once (count 1);
those that follow inside the window are only counted, and when the window ends one line carries
their count (and opens the next window). So a peer costs at most one line per interval, and a
single refusal is still reported immediately. Pure: the caller passes the time and writes the
lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OTHER_PEERS = "*"  # the key counted under once ``max_peers`` windows are open


@dataclass
class _Window:
    ends: float
    fields: dict[str, Any]  # of the last refusal counted (reason, code …)
    count: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


class RefusalReport:
    def __init__(self, interval: float = 10.0, max_peers: int = 10_000):
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.interval = interval
        self.max_peers = max_peers  # bounded memory under a flood from many addresses
        self._windows: dict[tuple[str, str], _Window] = {}

    def __len__(self) -> int:
        """The windows open."""
        return len(self._windows)

    def refused(self, event: str, peer: str, now: float, reason: str = "",
                **fields: Any) -> dict[str, Any] | None:
        """Count one refusal of ``peer`` (an address, without the port); return the fields of the
        line to write now, or None when it is only counted."""
        key = (event, peer)
        window = self._windows.get(key)
        if window is None:
            if len(self._windows) >= self.max_peers:
                key = (event, OTHER_PEERS)
                window = self._windows.get(key)
            if window is None:
                self._windows[key] = _Window(now + self.interval, fields)
                return {"event": event, "peer": key[1], "count": 1, "reason": reason, **fields}
        window.count += 1
        window.fields = fields
        window.reasons[reason] = window.reasons.get(reason, 0) + 1
        return None

    def due(self, now: float) -> list[dict[str, Any]]:
        """The summary lines of the windows that ended by ``now``; windows with nothing counted
        are closed, the others start their next interval."""
        lines = []
        for key, window in list(self._windows.items()):
            if window.ends > now:
                continue
            if window.count == 0:
                del self._windows[key]
                continue
            reasons = sorted(window.reasons.items(), key=lambda kv: -kv[1])
            lines.append({"event": key[0], "peer": key[1], "count": window.count,
                          "reason": reasons[0][0], "reasons": dict(reasons[:5]),
                          "interval_s": self.interval, **window.fields})
            self._windows[key] = _Window(now + self.interval, {})
        return lines
