"""The file pipeline in process, on real folders, a real ledger and a real routing log: a hub
that tests drop files into and reopen at will (a restart)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from bus.core.files_config import Account, FilesConfig, FileSubscription
from bus.files.kinds import FileKindCatalog
from bus.files.ledger import open_ledger
from bus.files.pipeline import FilePipeline
from bus.store.routing_log import RoutingLog

from .receipt_schema import checked

PARTIES = {"vendor-a": "131016/01/vendor-a-registry", "vendor-b": "131016/07/vendor-b-tax",
           "vendor-c": "131016/09/vendor-c-kokuho", "vendor-x": "141003/01/other"}


def files_config(tmp_path: Path, markers: bool = False, ledger: str | None = None) -> FilesConfig:
    return FilesConfig(
        root=tmp_path / "root", ledger=ledger or tmp_path / "ledger.sqlite3",
        accounts={a: Account(a, (p,), ()) for a, p in PARTIES.items()},
        subscriptions=(FileSubscription("131016", "juki-change", "vendor-b"),
                       FileSubscription("131016", "juki-change", "vendor-c")),
        markers=markers)


class Hub:
    """A pipeline and what it writes, reopened at will (a restart)."""

    def __init__(self, tmp_path: Path, markers: bool = False, ledger: str | None = None):
        self.config = files_config(tmp_path, markers, ledger)
        self.kinds = FileKindCatalog.load()
        self.log_path = tmp_path / "routing-log.sqlite3"
        for adapter in PARTIES:
            for folder in ("inbox", "outbox"):
                (self.config.root / adapter / folder).mkdir(parents=True, exist_ok=True)
        self.open()

    def open(self, **kw) -> None:
        self.log = RoutingLog(self.log_path)
        self.ledger = open_ledger(self.config.ledger)
        self.pipeline = FilePipeline(self.config, self.kinds, self.ledger, self.log, **kw)

    def close(self) -> None:
        self.ledger.close()
        self.log.close()

    def drop(self, adapter: str, filename: str, data: bytes) -> None:
        """Upload the right way: a temporary name, then the rename."""
        inbox = self.config.root / adapter / "inbox"
        (inbox / (filename + ".part")).write_bytes(data)
        (inbox / (filename + ".part")).rename(inbox / filename)

    def outbox(self, adapter: str) -> dict[str, bytes]:
        folder = self.config.root / adapter / "outbox"
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}

    def receipts(self, adapter: str) -> list[dict]:
        # every receipt a test reads fits the format vendors read
        return [checked(json.loads(v)) for k, v in self.outbox(adapter).items()
                if k.endswith(".receipt.json")]

    def hops(self) -> list[tuple]:
        self.log.flush()
        conn = sqlite3.connect(self.log_path)
        try:
            return conn.execute("SELECT hop, status, service_id, sender, peer, receiver, provider, "
                                "request_bytes, rows, message_id, rule, line FROM hops WHERE "
                                "hop LIKE 'file_%' ORDER BY id").fetchall()
        finally:
            conn.close()


def manifest_of(data: bytes, **changes) -> bytes:
    """A NAME.manifest.json for ``data`` from vendor A (``changes``: fields to differ; None
    leaves one out)."""
    doc = {"format": 1, "layout": "juki", "version": "pfbus-1", "record": "change",
           "local_gov_code": "131016", "sender": PARTIES["vendor-a"],
           "rows": data.count(b"\r\n") - 1, "sha256": hashlib.sha256(data).hexdigest()}
    doc.update(changes)
    return json.dumps({k: v for k, v in doc.items() if v is not None}).encode()
