"""A spooled file's judgement (ファイルの受付判定): what kind it is, for which 団体コード, whether
its sender may send it, and every finding of its layout — read from the spool copy, streamed,
with no ledger, folder or routing-log step. The pipeline turns the judgement into a verdict
(accepted, rejected, duplicate) and the receipt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from ..core.files_config import FilesConfig
from ..core.identifiers import DEFAULT_ADDRESSEE_SCHEME, AddresseeNumberScheme
from ..migration.findings import LayoutFinding
from ..migration.items import ItemRules
from ..migration.validator import FileValidator
from .kinds import FileKind, FileKindCatalog
from .ledger import FileRow
from .manifest import FileManifest, manifest_target, read_file_manifest
from .receipts import MAX_FINDINGS

KEPT_FINDINGS = MAX_FINDINGS  # findings held in memory for the receipt; counts has them all


@dataclass
class Judgement:
    """What the spool copy of one file holds; ``counts`` is empty when nothing was found."""

    findings: list[LayoutFinding] = field(default_factory=list)  # the first KEPT_FINDINGS
    counts: dict[str, int] = field(default_factory=dict)  # every finding, by rule
    kind: FileKind | None = None
    code: str | None = None  # 団体コード
    size: int = 0
    sha256: str | None = None  # None: a file over the limit is not read at all
    rows: int | None = None


class FileJudge:
    """Judges spooled files against the file kinds, the adapters' parties and their layouts."""

    def __init__(self, config: FilesConfig, kinds: FileKindCatalog, spool: Path,
                 schemes: Mapping[str, AddresseeNumberScheme]):
        self.config, self.kinds, self.spool, self.schemes = config, kinds, spool, schemes

    def judge(self, row: FileRow) -> Judgement:
        spooled = self.spool / str(row.id)
        account = self.config.accounts.get(row.sender)
        out = Judgement()
        findings = out.findings
        manifest: FileManifest | None = None
        identified: tuple[FileKind, str] | None = None
        if row.marker is not None and manifest_target(row.marker) is not None:
            path = self.spool / f"{row.id}.manifest"
            manifest, problems = read_file_manifest(
                row.name, path.read_bytes() if path.exists() else b"", self.kinds)
            findings += problems
            if manifest is not None:
                identified = manifest.kind, manifest.local_gov_code
                if manifest.sender is not None and (
                        account is None or manifest.sender not in account.parties):
                    findings.append(LayoutFinding(row.marker, None, "file:sender", f"the "
                                                  f"manifest's sender is not a party of adapter "
                                                  f"{row.sender}"))
        else:
            identified = self.kinds.identify(row.name)
        if (too_large := self.too_large(row)) is not None:
            findings.append(too_large)  # (its manifest's findings, if any, are kept)
        if identified is None:
            if not findings:
                findings.append(LayoutFinding(row.name, None, "file:kind", "the name fits no "
                                              "file kind: " + ", ".join(
                                                  k.pattern for k in self.kinds.kinds.values())
                                              + " (or send a NAME.manifest.json first)"))
        else:
            out.kind, out.code = identified
            if account is None or out.code not in account.codes():
                findings.append(LayoutFinding(row.name, None, "file:sender", f"adapter "
                                              f"{row.sender} does not send for 団体コード "
                                              f"{out.code} (its [[adapters]] parties)"))
        if too_large is not None:  # bounded work: a file over the limit is not read at all
            out.counts = {f.rule: 1 for f in findings}
            out.size = spooled.stat().st_size
            return out
        with spooled.open("rb") as stream:
            if findings:
                out.counts = {f.rule: 1 for f in findings}
                out.size, out.sha256 = _hash(stream)
                return out
            assert out.kind is not None and out.code is not None
            validator = self._validator(out.kind, out.code)
            for f in validator.run(stream):
                if len(findings) < KEPT_FINDINGS:  # named by the upload, not change.csv
                    findings.append(replace(f, file=row.name))
        out.counts = dict(validator.counts)
        out.sha256, out.rows = validator.sha256, validator.rows
        out.size = spooled.stat().st_size
        if manifest is not None:  # cut off or altered after the manifest was written
            for rule, differs, what in (
                    ("manifest:rows", manifest.rows != out.rows,
                     f"the manifest says {manifest.rows} rows, the file has {out.rows}"),
                    ("manifest:sha256", manifest.sha256 != out.sha256,
                     "the file's SHA-256 differs from the manifest's")):
                if differs:
                    findings.append(LayoutFinding(row.name, None, rule, what))
                    out.counts[rule] = 1
        return out

    def too_large(self, row: FileRow) -> LayoutFinding | None:
        """``max_file_bytes`` for a drop folder's file (an SFTP upload stops at the limit)."""
        limit = self.config.max_file_bytes
        spooled = self.spool / str(row.id)
        if not spooled.exists() or spooled.stat().st_size <= limit:
            return None
        return LayoutFinding(row.name, None, "file:too-large", f"the file is over {limit} bytes "
                             "(max_file_bytes)")

    def findings_again(self, row: FileRow) -> tuple[list[LayoutFinding], dict[str, int]]:
        """After a crash between the verdict and the receipt: validate again for the list."""
        if (too_large := self.too_large(row)) is not None:
            return [too_large], {too_large.rule: 1}
        spooled = self.spool / str(row.id)
        lost = [LayoutFinding(row.name, None, "file:rejected", "rejected; the findings were lost "
                              "in a restart: send the file again")]
        kind = self.kinds.kinds.get(row.kind or "")
        code = row.local_gov_code
        if kind is None or code is None or not spooled.exists() or row.rows is None:
            return lost, {}
        validator = self._validator(kind, code)
        with spooled.open("rb") as stream:
            found: list[LayoutFinding] = []
            for f in validator.run(stream):  # to the end: counts has every finding
                if len(found) < KEPT_FINDINGS:
                    found.append(replace(f, file=row.name))
        return (found, dict(validator.counts)) if found else (lost, {})

    def _validator(self, kind: FileKind, code: str) -> FileValidator:
        return FileValidator(kind.layout, kind.record,
                             ItemRules(self.schemes.get(code, DEFAULT_ADDRESSEE_SCHEME)),
                             fixed=code_items(kind, code))


def code_items(kind: FileKind, code: str) -> dict[str, str]:
    """Items of identifier rule 団体コード must be the file's 団体コード in every row: a file is
    routed by the code in its name, so a row of another municipality would reach the wrong
    subscribers."""
    return {i.name: code for i in kind.record.items if i.identifier == "local_gov_code"}


def _hash(stream: BinaryIO) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()
