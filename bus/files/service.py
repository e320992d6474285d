"""File linkage on the hub's reactor (ファイル連携): the SFTP listener and the pipeline's turns.

The pipeline (``pipeline.FilePipeline``) is synchronous and runs in one thread at a time, so a
million-row file being validated never blocks the reactor; a turn runs every ``[files]
scan_interval`` and as soon as an SFTP session completes an upload or removes a delivered file.
Drop folders (ROOT/ADAPTER/inbox) need no listener: the same turns pick their files up.
"""

from __future__ import annotations

from typing import cast

from twisted.internet import defer
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IListeningPort

from ..core.config import ConfigError
from ..core.files_config import FilesConfig
from ..core.jsonlog import JsonLineLog


class FileLinkage:
    def __init__(self, config: FilesConfig, reactor, events: JsonLineLog, config_path=None):
        self.config = config
        self.reactor = reactor
        self.events = events
        self.config_path = config_path
        # imported here: twisted.conch needs bcrypt (twisted[conch]), which a hub without
        # [files] never loads, so an environment installed before that extra still serves SOAP
        from .sftp import FileAccounts
        self.accounts = FileAccounts(config, self.changed)
        self.port: IListeningPort | None = None
        self.sftp_port: int | None = None

    def changed(self, adapter: str) -> None:
        """An upload completed or a delivered file was removed (the pipeline's cue)."""

    def listen(self) -> None:
        config = self.config
        if config.host is None or config.host_key is None:
            self.events.emit("files.drop_folders", root=str(config.root),
                             accounts=len(config.accounts))
            return
        from .sftp import sftp_factory
        try:
            factory = sftp_factory(self.accounts, config.host_key)
        except Exception as exc:  # an unreadable or encrypted key file: name it, no traceback
            raise ConfigError(f"{self.config_path}: files.host_key: cannot load "
                              f"{config.host_key}: {exc.__class__.__name__}: {exc}") from None
        self.port = self.reactor.listenTCP(config.port, factory, interface=config.host)
        self.sftp_port = cast(IPv4Address | IPv6Address, self.port.getHost()).port
        self.events.emit("files.listening", sftp=f"{config.host}:{self.sftp_port}",
                         root=str(config.root), accounts=len(config.accounts))

    async def stop(self) -> None:
        if self.port is not None:
            await defer.maybeDeferred(self.port.stopListening)
            self.port = None
