"""What the run sent, kept to be sent again at its end (P-LATE-01's 全件 first requests,
late_retries.py; S-LATE-02's notices, late_notices.py).

A defect that forgets — a cache with a TTL, a window of the last MessageIds, a request context
kept per connection — shows only when a request comes again long after it was first answered,
which no case does: each resends within the second it sent. So the run keeps, as a transport
watcher, every request of a kind (``kept``), and a case at its end sends them again. The
kept-alive connection of the first request of that kind that ``holds`` accepts is held aside
for the first of them (``Transport.hold_connection``; again after each restart, which closed
the one held), and the case waits until at least ``LATE`` seconds have passed since it and
since the earliest answer it sends again (a run of a few cases is over sooner).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .records import CommandRun, Exchange
from .transport import Transport

LATE = 3.0  # seconds, at least, after the earliest answer sent again and the held connection's


@dataclass
class LateSends(ABC):
    """The requests the run sent that a case sends again at its end, in order; when the product
    last restarted; the transport holding a connection for the first of them."""

    sent: list[Exchange] = field(default_factory=list)
    restarted: float | None = None  # the suite's monotonic clock at the last restart
    transport: Transport | None = None

    @abstractmethod
    def kept(self, ex: Exchange) -> bool:
        """Whether ``ex``, as it goes out, is one of those kept."""

    @abstractmethod
    def holds(self, ex: Exchange) -> bool:
        """Whether ``ex``, answered, is one whose connection is held for the first resend."""

    def note(self, ex: Exchange) -> None:  # a transport watcher
        if ex.direction == "to-product" and ex.request and self.kept(ex):
            self.sent.append(ex)

    def hold_connection(self, transport: Transport) -> None:
        self.transport = transport
        transport.hold_connection(self.holds)

    def restart(self, began: float) -> None:
        """The product restarted (``began``: when its restart command began, the suite's
        monotonic clock), and closed the connection held: hold the next one."""
        self.restarted = time.monotonic()
        if self.transport is not None:
            self.transport.hold_connection(self.holds)

    def before_restart(self, ex: Exchange) -> bool:
        return self.restarted is not None and (ex.sent_monotonic or 0.0) < self.restarted


def wait_until_late(transport: Transport, earlier: Iterable[Exchange]) -> None:
    """Sleep until ``LATE`` seconds after the earliest answer of ``earlier`` and after the held
    connection's request (the run's other cases usually took longer)."""
    answered = min((ex.sent_monotonic or 0.0) + ex.elapsed for ex in earlier)
    held_at = transport.held_since()
    if held_at is not None:
        answered = max(answered, held_at)
    if (wait := answered + LATE - time.monotonic()) > 0:
        transport.pause(wait)


class NotedRestart:
    """``--restart-command`` as the run uses it: ``sends`` notes each restart."""

    def __init__(self, inner, sends: LateSends) -> None:
        self.inner = inner
        self.sends = sends

    def __getattr__(self, name: str) -> Any:  # template, name: what the report shows
        return getattr(self.inner, name)

    def run(self, step: str, values: Mapping[str, object], timeout: float) -> CommandRun:
        began = time.monotonic()
        try:
            return self.inner.run(step, values, timeout)
        finally:
            self.sends.restart(began)
