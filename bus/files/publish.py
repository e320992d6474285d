"""File-system steps of file linkage that publish a file whole (ファイルの配置): an fsynced copy
(or none, when the disk has no room), a folder's entries made durable, a delivered file's
modification time that gives its place in the subscriber's order, and a file's identity (device
and inode: a later file of the same name is not it)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from .receipts import SUFFIX as RECEIPT_SUFFIX
from .space import DiskFull, Room


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_fsynced(source: Path, target: Path, room: Room) -> None:
    """A complete, fsynced copy, or none: a copy the disk has no room for is removed."""
    try:
        with source.open("rb") as src, target.open("wb") as dst, room.writing("delivery"):
            while chunk := src.read(1 << 20):
                room.check(len(chunk), "delivery")
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
    except DiskFull:
        target.unlink(missing_ok=True)
        raise


def stamp_order(staged: Path, outbox: Path) -> None:
    """A delivered file's modification time gives its place in the subscriber's order, also over
    SFTP, whose file times are whole seconds: a whole second later than every file still waiting
    in the outbox (receipts aside), so files delivered within one second still sort in order. A
    subscriber that leaves many files waiting sees their times run ahead of the clock."""
    latest = max((int(e.stat(follow_symlinks=False).st_mtime) for e in os.scandir(outbox)
                  if e.is_file(follow_symlinks=False) and not e.name.endswith(RECEIPT_SUFFIX)),
                 default=0)
    stamp = max(int(time.time()), latest + 1)
    os.utime(staged, (stamp, stamp))
    with staged.open("rb") as f:  # the time survives a crash with the file
        os.fsync(f.fileno())


def inode(path: Path) -> str | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return f"{st.st_dev}:{st.st_ino}"
