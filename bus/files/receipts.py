"""Receipts (受領通知): the answer a sender finds in its ``outbox/`` for every file it sent.

``accepted`` (SHA-256, rows, bytes, the subscribers it goes to), ``rejected`` (the findings:
file, line, 項目番号 and 項目名, rule, and what is wrong in general terms — never a value, as the
layout validator words them) or ``duplicate`` (of which accepted file). JSON, UTF-8, one object.
Pure: the pipeline writes it atomically. The format vendors read is ``SCHEMA`` (JSON Schema
2020-12, schemas/files/receipt-v1.schema.json; docs/files.md): every receipt written is valid
against it (tests/files/test_receipt_schema.py and every pipeline test that reads a receipt).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemas

from ..migration.findings import LayoutFinding
from .ledger import FileState

FORMAT = 1
SUFFIX = ".receipt.json"
SCHEMA = Path(schemas.__file__).with_name("files") / "receipt-v1.schema.json"
MAX_FINDINGS = 100  # listed; ``counts`` has them all, by rule


@dataclass(frozen=True)
class Receipt:
    file: str  # the name as uploaded
    file_id: int  # the hub's number of the file (pfbus log: its exchange)
    status: FileState  # a verdict: accepted | rejected | duplicate
    kind: str | None = None
    local_gov_code: str | None = None
    size: int | None = None  # bytes
    rows: int | None = None
    sha256: str | None = None
    subscribers: tuple[str, ...] = ()
    findings: Sequence[LayoutFinding] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    duplicate_of: Mapping[str, Any] | None = None
    at: str = ""

    @property
    def name(self) -> str:
        """Its file name: the upload's name and the hub's number (a re-upload gets its own)."""
        return receipt_name(self.file, self.file_id)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"receipt": FORMAT, "file": self.file, "file_id": self.file_id,
                               "status": self.status, "kind": self.kind,
                               "local_gov_code": self.local_gov_code, "bytes": self.size,
                               "rows": self.rows, "sha256": self.sha256, "at": self.at}
        if self.status == FileState.ACCEPTED:
            out["subscribers"] = list(self.subscribers)
        if self.status == FileState.REJECTED:
            out["findings"] = [f.to_json() for f in self.findings[:MAX_FINDINGS]]
            out["findings_total"] = sum(self.counts.values()) or len(self.findings)
            out["counts"] = dict(self.counts)
        if self.duplicate_of is not None:
            out["duplicate_of"] = dict(self.duplicate_of)
        return out

    def to_bytes(self) -> bytes:
        return (json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def receipt_name(file: str, file_id: int) -> str:
    return f"{file}.{file_id}{SUFFIX}"
