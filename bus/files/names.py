"""Where an account may go, and which names are complete files (パスの閉じ込め, 受取規則).

Pure: no file system, no Twisted. An SFTP account sees a virtual tree of exactly two folders,
``/inbox`` (it uploads there) and ``/outbox`` (the hub puts receipts and deliveries there). Every
path a client sends is judged here before the file system is touched: ``..`` anywhere, a third
level, a folder other than these two, and names that are not plain portable file names (device
names such as ``CON`` or ``NUL``, control characters, backslashes, over 255 bytes) are refused
with a reason that names the rule. Symbolic links are refused at the edge (``O_NOFOLLOW``,
``lstat``), since only the file system knows them.

Pickup rule (``[files] completion``): ``"rename"`` (default) — a file is complete when it has its
final name: a sender uploads to a temporary name (``.part``, ``.tmp``, ``.filepart`` or a leading
``.``) and renames it. ``"marker"`` — a file is complete once an empty ``NAME.done`` marker is
beside it; the hub takes ``NAME`` and removes the marker. The SFTP server also never hands over a
file one of its sessions still has open for writing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FOLDERS = ("inbox", "outbox")
TEMPORARY_SUFFIXES = (".part", ".tmp", ".filepart")
MARKER = ".done"
MANIFEST = ".manifest.json"  # bus/files/manifest.py: also completes its file
MAX_NAME_BYTES = 255
# Windows device names, with or without an extension: a file of such a name cannot be copied
# onto a Windows vendor system (and on some, opening it reaches the device)
_DEVICE = re.compile(r"(?i)(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class PathRefused(Exception):
    """A path outside the account's folders, or a name the hub does not accept. ``message`` is
    ASCII (it goes into an SFTP status message)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Place:
    """A confined path: the root (``folder`` None), a folder, or a file in a folder."""

    folder: str | None
    name: str | None = None

    @property
    def virtual(self) -> str:
        return "/" + "/".join(p for p in (self.folder, self.name) if p)


def confine(raw: bytes | str) -> Place:
    """The place a client's path names, or PathRefused. Relative paths start at ``/``."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise PathRefused("path refused: not UTF-8") from None
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise PathRefused("path refused: '..' is not allowed; your folders are /inbox and "
                          "/outbox")
    if not parts:
        return Place(None)
    if parts[0] not in FOLDERS:
        raise PathRefused("path refused: outside your folders (only /inbox and /outbox exist)")
    if len(parts) == 1:
        return Place(parts[0])
    if len(parts) > 2:
        raise PathRefused("path refused: no sub-folders in /inbox and /outbox")
    problem = name_problem(parts[1])
    if problem is not None:
        raise PathRefused(f"file name refused: {problem}")
    return Place(parts[0], parts[1])


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a plain portable file name, or None."""
    if _CONTROL.search(name):
        return "control characters are not allowed"
    if "\\" in name or ":" in name:
        return "'\\' and ':' are not allowed"
    if _DEVICE.fullmatch(name.rstrip(" .")):
        return "a device name (CON, NUL, COM1, LPT1 ...) is not allowed"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"longer than {MAX_NAME_BYTES} bytes"
    if name.endswith((" ", ".")) and name not in (".", ".."):
        return "a name may not end in a space or '.'"
    return None


def is_temporary(name: str) -> bool:
    """An upload still under way (the sender renames it when complete)."""
    return name.startswith(".") or name.endswith(TEMPORARY_SUFFIXES)


def marker_target(name: str) -> str | None:
    """``NAME`` for a ``NAME.done`` marker, else None."""
    if name.endswith(MARKER) and len(name) > len(MARKER) and not name.startswith("."):
        return name[:-len(MARKER)]
    return None


def complete_files(names: list[str], markers: bool = False) -> list[tuple[str, str | None]]:
    """The complete files of an inbox listing, in name order: (file, its marker or None).

    ``markers`` False (``[files] completion = "rename"``): every final name is complete, a marker
    or manifest (``NAME.manifest.json``, uploaded before its file) beside it is taken along.
    True (``"marker"``): only a file whose ``NAME.done`` or manifest is present; a marker that
    came before its file waits for it.
    """
    present = set(names)
    out: list[tuple[str, str | None]] = []
    for name in sorted(present):
        if is_temporary(name) or marker_target(name) is not None or \
                name.endswith(MANIFEST) and len(name) > len(MANIFEST):
            continue
        marker, manifest = name + MARKER, name + MANIFEST
        if manifest in present:  # a manifest completes its file, in either mode
            out.append((name, manifest))
        elif marker in present:
            out.append((name, marker))
        elif not markers:
            out.append((name, None))
    return out
