"""The hub's SFTP server (twisted.conch, on the hub's reactor): one account per adapter.

Login by public key only (``[[adapters]] ssh_public_keys``); no password, no shell, no port
forwarding — the session offers the ``sftp`` subsystem and nothing else. Each account sees
``/inbox`` and ``/outbox`` of ``ROOT/ADAPTER`` and nothing else: every path is judged by
``names.confine`` first; the file system is then opened with ``O_NOFOLLOW`` and only regular
files are served, so a symbolic link or a device node placed in a folder is refused too.

What an account may do: upload into ``/inbox`` (open for writing, rename within it, remove its
own temporary files), read and remove in ``/outbox`` (removing a delivered file confirms it,
docs/files.md), list both. Uploads are bounded: ``[files] max_file_bytes`` per file (the upload is
refused and what was written removed), ``concurrency`` files open for writing per adapter, and
no write that would leave the disk holding ROOT with less than ``min_free_bytes`` free (checked
at the open and before every chunk: the upload is refused and what was written removed).
"""

from __future__ import annotations

import errno
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from twisted.conch.avatar import ConchUser
from twisted.conch.checkers import InMemorySSHKeyDB, SSHPublicKeyChecker
from twisted.conch.interfaces import IConchUser, ISFTPFile, ISFTPServer
from twisted.conch.ls import lsLine
from twisted.conch.ssh import filetransfer, keys
from twisted.conch.ssh.factory import SSHFactory
from twisted.conch.ssh.filetransfer import SFTPError
from twisted.conch.ssh.session import SSHSession
from twisted.cred.portal import IRealm, Portal
from twisted.python import components
from zope.interface import implementer

from ..core.files_config import FilesConfig
from .names import FOLDERS, PathRefused, Place, confine, is_temporary, marker_target
from .space import DiskFull, Room

DENIED = filetransfer.FX_PERMISSION_DENIED
_WRITE_FLAGS = filetransfer.FXF_WRITE | filetransfer.FXF_APPEND | filetransfer.FXF_CREAT | \
    filetransfer.FXF_TRUNC


def account_folder(root: Path, adapter: str, folder: str) -> Path:
    return root / adapter / folder


def ensure_folders(config: FilesConfig) -> None:
    """ROOT/ADAPTER/inbox and outbox for every account (the drop folders)."""
    for adapter in config.accounts:
        for folder in FOLDERS:
            account_folder(config.root, adapter, folder).mkdir(parents=True, exist_ok=True)


class FileAccounts:
    """What every session shares: the folders, the limits, the uploads in flight, and whom to
    tell that an inbox or outbox changed (the pipeline looks then, not only every scan)."""

    def __init__(self, config: FilesConfig, changed: Callable[[str], None] = lambda a: None,
                 room: Room | None = None):
        self.config = config
        self.changed = changed
        self.room = room or Room(config.root, config.min_free_bytes)
        self.uploads: Counter[str] = Counter()  # files open for writing, per adapter
        self.writing: Counter[Path] = Counter()  # … and which (never picked up while open)
        ensure_folders(config)

    def path(self, adapter: str, place: Place) -> Path:
        assert place.folder is not None
        folder = account_folder(self.config.root, adapter, place.folder)
        return folder / place.name if place.name else folder


def _place(raw: bytes) -> Place:
    try:
        return confine(raw)
    except PathRefused as exc:
        raise SFTPError(DENIED, exc.message) from None


def _attrs(st: os.stat_result) -> dict:
    return {"size": st.st_size, "uid": st.st_uid, "gid": st.st_gid,
            "permissions": st.st_mode, "atime": int(st.st_atime), "mtime": int(st.st_mtime)}


def _regular(path: Path) -> os.stat_result:
    """lstat of a regular file; symbolic links and device nodes are refused."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise SFTPError(DENIED, "symbolic links are not served")
    if not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        raise SFTPError(DENIED, "only regular files are served")
    return st


@implementer(ISFTPFile)
class _OpenFile:
    """One open file of a session: reads anywhere it may read, writes only in its inbox."""

    def __init__(self, accounts: FileAccounts, adapter: str, path: Path, fd: int, writing: bool):
        self.accounts, self.adapter, self.path, self.fd = accounts, adapter, path, fd
        self.writing = writing
        self.discard = False  # a write was refused: removed at close, nothing half-written stays
        if writing:
            accounts.uploads[adapter] += 1
            accounts.writing[path] += 1

    def readChunk(self, offset: int, length: int) -> bytes:
        data = os.pread(self.fd, length, offset)
        if not data:
            raise EOFError("end of file")
        return data

    def writeChunk(self, offset: int, data: bytes) -> None:
        if not self.writing:
            raise SFTPError(DENIED, "opened for reading only")
        limit = self.accounts.config.max_file_bytes
        if offset + len(data) > limit:
            self.discard = True
            raise SFTPError(filetransfer.FX_FAILURE, f"file too large: over {limit} bytes "
                                                     "(max_file_bytes)")
        room = self.accounts.room
        try:
            # the bytes past the file's end are what this chunk adds to the disk
            room.check(max(0, offset + len(data) - os.fstat(self.fd).st_size), "upload")
            with room.writing("upload"):
                os.pwrite(self.fd, data, offset)
        except DiskFull as exc:
            self.discard = True
            raise SFTPError(filetransfer.FX_FAILURE, f"{exc}: upload refused, try again "
                                                     "later") from None

    def close(self) -> None:
        if self.fd < 0:
            return
        os.close(self.fd)
        self.fd = -1
        if not self.writing:
            return
        accounts = self.accounts
        accounts.uploads[self.adapter] -= 1
        accounts.writing[self.path] -= 1
        if accounts.writing[self.path] <= 0:
            del accounts.writing[self.path]
        if self.discard:
            self.path.unlink(missing_ok=True)
        elif not is_temporary(self.path.name):
            accounts.changed(self.adapter)

    def getAttrs(self) -> dict:
        return _attrs(os.fstat(self.fd))

    def setAttrs(self, attrs: dict) -> None:
        raise SFTPError(filetransfer.FX_OP_UNSUPPORTED, "the hub keeps its own file attributes")


class _Listing:
    def __init__(self, entries: list[tuple[bytes, bytes, dict]]):
        self._entries: Iterator[tuple[bytes, bytes, dict]] = iter(entries)

    def __iter__(self) -> _Listing:
        return self

    def __next__(self) -> tuple[bytes, bytes, dict]:
        return next(self._entries)

    def close(self) -> None:
        self._entries = iter(())


@implementer(ISFTPServer)
class ConfinedFiles:
    """An adapter's view of the file system: /inbox and /outbox, nothing else."""

    def __init__(self, avatar: FilesAvatar):
        self.avatar = avatar  # ISFTPServer's attribute
        self.accounts, self.adapter = avatar.accounts, avatar.adapter

    def gotVersion(self, otherVersion: int, extData: dict) -> dict:
        return {}

    def _file(self, raw: bytes) -> tuple[Place, Path]:
        place = _place(raw)
        if place.name is None:
            raise SFTPError(DENIED, f"{place.virtual} is a folder")
        return place, self.accounts.path(self.adapter, place)

    def openFile(self, filename: bytes, flags: int, attrs: dict) -> _OpenFile:
        place, path = self._file(filename)
        writing = bool(flags & _WRITE_FLAGS)
        if writing:
            self._may_upload(place)
            mode = os.O_RDWR if flags & filetransfer.FXF_READ else os.O_WRONLY
            mode |= os.O_CREAT if flags & filetransfer.FXF_CREAT else 0
            mode |= os.O_TRUNC if flags & filetransfer.FXF_TRUNC else 0
            mode |= os.O_EXCL if flags & filetransfer.FXF_EXCL else 0
        else:
            mode = os.O_RDONLY
        try:
            fd = os.open(path, mode | os.O_NOFOLLOW | os.O_NONBLOCK, 0o640)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise SFTPError(DENIED, "symbolic links are not served") from None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise SFTPError(DENIED, "only regular files are served")
        os.set_blocking(fd, True)
        return _OpenFile(self.accounts, self.adapter, path, fd, writing)

    def _may_upload(self, place: Place) -> None:
        config = self.accounts.config
        if place.folder != "inbox":
            raise SFTPError(DENIED, "upload into /inbox; /outbox is the hub's to write")
        if self.accounts.uploads[self.adapter] >= config.concurrency:
            raise SFTPError(filetransfer.FX_FAILURE, f"too many uploads at once: at most "
                                                     f"{config.concurrency} per account")
        try:
            self.accounts.room.check(0, "upload")
        except DiskFull as exc:
            raise SFTPError(filetransfer.FX_FAILURE, f"{exc}: upload refused, try again "
                                                     "later") from None

    def removeFile(self, filename: bytes) -> None:
        place, path = self._file(filename)
        _regular(path)
        if path in self.accounts.writing:
            raise SFTPError(DENIED, "the file is being uploaded")
        path.unlink()
        if place.folder == "outbox":
            self.accounts.changed(self.adapter)  # a confirmation (docs/files.md)

    def renameFile(self, oldpath: bytes, newpath: bytes) -> None:
        old, source = self._file(oldpath)
        new, target = self._file(newpath)
        if old.folder != "inbox" or new.folder != "inbox":
            raise SFTPError(DENIED, "renaming is for uploads: within /inbox only")
        _regular(source)
        if source in self.accounts.writing:
            raise SFTPError(DENIED, "the file is still open for writing")
        try:
            os.link(source, target, follow_symlinks=False)  # never replaces a file: EEXIST
        except FileExistsError:
            raise SFTPError(filetransfer.FX_FILE_ALREADY_EXISTS,
                            f"{new.virtual} already exists") from None
        source.unlink()
        assert new.name is not None
        if not is_temporary(new.name) or marker_target(new.name) is not None:
            self.accounts.changed(self.adapter)

    def makeDirectory(self, path: bytes, attrs: dict) -> None:
        raise SFTPError(DENIED, "no folders besides /inbox and /outbox")

    def removeDirectory(self, path: bytes) -> None:
        raise SFTPError(DENIED, "/inbox and /outbox cannot be removed")

    def openDirectory(self, path: bytes) -> _Listing:
        place = _place(path)
        if place.name is not None:
            raise SFTPError(filetransfer.FX_NO_SUCH_FILE, f"{place.virtual} is not a folder")
        if place.folder is None:
            folders = [(f, self.accounts.path(self.adapter, Place(f))) for f in FOLDERS]
        else:
            folder = self.accounts.path(self.adapter, place)
            folders = [(p.name, p) for p in sorted(folder.iterdir())]
        entries = []
        for name, real in folders:
            st = os.lstat(real)
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                continue  # links, devices: not shown, not served
            entries.append((name.encode(), lsLine(name, st).encode(), _attrs(st)))
        return _Listing(entries)

    def getAttrs(self, path: bytes, followLinks: bool) -> dict:
        place = _place(path)
        if place.folder is None:
            return {"size": 0, "permissions": stat.S_IFDIR | 0o555, "uid": 0, "gid": 0,
                    "atime": 0, "mtime": 0}
        return _attrs(_regular(self.accounts.path(self.adapter, place)))

    def setAttrs(self, path: bytes, attrs: dict) -> None:
        raise SFTPError(filetransfer.FX_OP_UNSUPPORTED, "the hub keeps its own file attributes")

    def readLink(self, path: bytes) -> bytes:
        raise SFTPError(DENIED, "symbolic links are not served")

    def makeLink(self, linkPath: bytes, targetPath: bytes) -> None:
        raise SFTPError(DENIED, "symbolic links are not allowed")

    def realPath(self, path: bytes) -> bytes:
        return _place(path).virtual.encode()

    def extendedRequest(self, extendedName: bytes, extendedData: bytes) -> bytes:
        raise NotImplementedError(f"no extension {extendedName.decode('ascii', 'replace')}")


class FilesAvatar(ConchUser):
    """A logged-in adapter: an SFTP session and nothing else (no shell, no forwarding)."""

    def __init__(self, adapter: str, accounts: FileAccounts):
        ConchUser.__init__(self)
        self.adapter, self.accounts = adapter, accounts
        self.channelLookup[b"session"] = SSHSession
        self.subsystemLookup[b"sftp"] = filetransfer.FileTransferServer


components.registerAdapter(ConfinedFiles, FilesAvatar, ISFTPServer)


@implementer(IRealm)
class _Realm:
    def __init__(self, accounts: FileAccounts):
        self.accounts = accounts

    def requestAvatar(self, avatarId, mind, *interfaces):
        if IConchUser not in interfaces:
            raise NotImplementedError("only SSH sessions")
        return IConchUser, FilesAvatar(avatarId.decode(), self.accounts), lambda: None


def sftp_factory(accounts: FileAccounts, host_key: Path) -> SSHFactory:
    """The SSH server factory: the host key, and public-key login per account."""
    private = keys.Key.fromFile(str(host_key))
    authorized = {adapter.encode(): [keys.Key.fromString(blob) for blob in a.public_keys]
                  for adapter, a in accounts.config.accounts.items() if a.public_keys}
    portal = Portal(_Realm(accounts), [SSHPublicKeyChecker(InMemorySSHKeyDB(authorized))])
    factory = SSHFactory()
    factory.portal = portal  # type: ignore[attr-defined]  # set per instance, as conch documents
    factory.publicKeys = {private.sshType(): private.public()}
    factory.privateKeys = {private.sshType(): private}
    return factory
