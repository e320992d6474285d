"""File linkage on the hub's reactor (ファイル連携): the SFTP listener and the pipeline's turns.

The pipeline (``pipeline.FilePipeline``) is synchronous and runs in one thread, one turn at a
time, so a million-row file being validated never blocks the reactor; a turn runs every
``[files] scan_interval`` and as soon as an SFTP session completes an upload or removes a
delivered file. Drop folders (ROOT/ADAPTER/inbox) need no listener: the same turns take their
files. A stop ends the turn in progress after the file or delivery it is at (every step is
resumable: the next run takes the rest) and waits for that.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import cast

from twisted.internet import defer, task
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IListeningPort
from twisted.internet.threads import deferToThread

from ..core.config import ConfigError
from ..core.files_config import FilesConfig
from ..core.identifiers import AddresseeNumberScheme
from ..core.jsonlog import JsonLineLog
from ..core.settings import SettingsError
from ..migration.layout import LayoutCatalog
from .kinds import FileKindCatalog
from .ledger import open_ledger
from .lock import RootInUse, RootLock
from .pipeline import FilePipeline, RoutingLogLike, Turn


OUTCOMES = ("picked", "accepted", "rejected", "duplicates", "delivered", "confirmed")


class FileLinkage:
    def __init__(self, config: FilesConfig, reactor, events: JsonLineLog, log: RoutingLogLike,
                 schemes: Mapping[str, AddresseeNumberScheme], config_path: Path | None = None):
        self.config = config
        self.reactor = reactor
        self.events = events
        self.config_path = config_path
        try:
            kinds = FileKindCatalog.load(config.kinds, LayoutCatalog.load(config.layouts))
        except SettingsError as exc:
            raise ConfigError(f"{config_path}: files: {exc}") from None
        for i, s in enumerate(config.subscriptions):
            if s.kind not in kinds:
                raise ConfigError(f"{config_path}: files.subscriptions[{i}].kind: no file kind "
                                  f"{s.kind!r} (known: {', '.join(kinds.kinds)})")
        # imported here: twisted.conch needs bcrypt (twisted[conch]), which a hub without
        # [files] never loads, so an environment installed before that extra still serves SOAP
        self.root_lock = RootLock(config.root)
        try:
            self.root_lock.acquire()
        except RootInUse as exc:
            raise ConfigError(f"{config_path}: files.root: {exc} (docs/files.md)") from None
        from .sftp import FileAccounts
        self.accounts = FileAccounts(config, self.changed)
        self.ledger = open_ledger(config.ledger)
        self.pipeline = FilePipeline(config, kinds, self.ledger, log, schemes=schemes,
                                     busy=lambda path: path in self.accounts.writing)
        self.port: IListeningPort | None = None
        self.sftp_port: int | None = None
        self._loop: task.LoopingCall | None = None
        self._running: defer.Deferred | None = None
        self._again = False
        self._stopping = False
        self.totals = Turn()  # since start: files and deliveries (the operator's counts)

    def changed(self, adapter: str) -> None:
        """An upload completed or a delivered file was removed: a turn now, not at the scan."""
        if not self._stopping:
            self.reactor.callLater(0, self.turn)

    def turn(self) -> None:
        if self._stopping:
            return
        if self._running is not None:
            self._again = True  # once this one ends
            return
        d = self._running = deferToThread(self.pipeline.turn)
        d.addCallbacks(self._turned, self._failed)
        d.addBoth(self._ended)

    def _turned(self, done: Turn) -> None:
        for key in OUTCOMES + ("rows",):
            setattr(self.totals, key, getattr(self.totals, key) + getattr(done, key))
        if done.any():
            self.events.emit("files.turn", **done.as_event())

    def _failed(self, failure) -> None:
        # the next turn resumes from the ledger; say what went wrong (no content in it)
        self.events.emit("files.turn_failed", error=f"{failure.type.__name__}: "
                                                    f"{failure.getErrorMessage()}")

    def _ended(self, _) -> None:
        self._running = None
        if self._again and not self._stopping:
            self._again = False
            self.turn()

    def metric_families(self) -> list:
        """``pfbus_files_total`` by outcome and ``pfbus_file_rows_total`` (rows accepted) since
        the start, for /metrics (read at each scrape: plain counters, no store access)."""
        from prometheus_client.core import CounterMetricFamily
        files = CounterMetricFamily("pfbus_files", "Files of file linkage since the start, by "
                                    "outcome (picked up, accepted, rejected, duplicates, "
                                    "deliveries, confirmations)", labels=("outcome",))
        for outcome in OUTCOMES:
            files.add_metric((outcome,), getattr(self.totals, outcome))
        rows = CounterMetricFamily("pfbus_file_rows", "Data rows of the files accepted since "
                                   "the start", value=self.totals.rows)
        return [files, rows]

    def listen(self) -> None:
        config = self.config
        self._loop = task.LoopingCall(self.turn)
        self._loop.clock = self.reactor
        self._loop.start(config.scan_interval, now=True)
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
        """No new turn; the SFTP listener closes; the turn in progress ends; the ledger closes
        and ROOT is free for another hub."""
        self._stopping = True
        self.pipeline.stopping.set()  # the turn in progress ends after its current file
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.port is not None:
            await defer.maybeDeferred(self.port.stopListening)
            self.port = None
        if self._running is not None:
            await self._running
        self.ledger.close()
        self.root_lock.release()
