"""Free disk space (空き容量) of file linkage: the hub never writes below ``[files] min_free_bytes``.

Every write into ROOT is checked before each chunk, not only when a file is opened: an upload,
a delivery's staging copy and a receipt. A write that would leave less than ``min_free_bytes``
free (or that the disk refuses with ENOSPC) raises ``DiskFull``; the caller removes what it wrote
so far, so nothing half-written stays behind. ``free`` is injectable: the tests stand in a full
disk with it.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


class DiskFull(Exception):
    """Writing would leave the disk holding ROOT with less than ``min_free_bytes`` free."""


def _disk_free(path: Path) -> int:
    return shutil.disk_usage(path).free


@dataclass(frozen=True)
class Room:
    root: Path
    min_free: int
    free: Callable[[Path], int] = field(default=_disk_free)

    def check(self, adding: int, what: str) -> None:
        """``DiskFull`` unless ``adding`` more bytes leave at least ``min_free`` free."""
        if self.free(self.root) - adding < self.min_free:
            raise DiskFull(f"{what}: the hub's disk is nearly full (less than min_free_bytes = "
                           f"{self.min_free} would be left)")

    @contextmanager
    def writing(self, what: str) -> Iterator[None]:
        """The disk's own refusal (ENOSPC, EDQUOT) is a ``DiskFull`` too."""
        try:
            yield
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFull(f"{what}: the hub's disk is full") from None
            raise
