"""One hub per files root (ROOT): an exclusive lock on ``ROOT/.hub/lock`` held while it runs.

The spool, staging and outbox steps of the pipeline assume one writer: two hubs picking up from
the same inboxes would race on the same ledger rows and outbox names (even with a shared
PostgreSQL ledger, the spool and staging are local folders). So a second hub pointed at a ROOT
in use refuses to start. ``flock`` is released by the kernel when the process ends, even by
SIGKILL: a crashed hub never leaves a stale lock behind. The file holds the holder's pid, for the
error message only.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class RootInUse(Exception):
    pass


class RootLock:
    def __init__(self, root: Path):
        self.path = root / ".hub" / "lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise RootInUse(f"{self.path.parent.parent} is in use by another hub process (pid "
                            f"{holder}): one hub per files root") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # the lock goes with the descriptor
            self._fd = None
