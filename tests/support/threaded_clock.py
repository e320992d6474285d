"""``task.Clock`` for in-process tests whose code also hears from threads (the routing log's and
the archive's writers call ``reactor.callFromThread``): those calls queue until ``settle``."""

from __future__ import annotations

import queue
import time

from twisted.internet.task import Clock


class ThreadedClock(Clock):
    """task.Clock plus callFromThread: the threads' calls queue until ``settle`` runs them."""

    def __init__(self) -> None:
        super().__init__()
        self.queued: queue.SimpleQueue = queue.SimpleQueue()

    def callFromThread(self, f, *args, **kwargs) -> None:
        self.queued.put((f, args, kwargs))

    def settle(self, until, timeout: float = 30.0) -> None:
        """Run the queued calls until ``until()`` holds (a bounded wait, not a timed check)."""
        deadline = time.monotonic() + timeout
        while not until():
            try:
                f, args, kwargs = self.queued.get(timeout=0.05)
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise AssertionError("the threads did not hand back in time") from None
                continue
            f(*args, **kwargs)
