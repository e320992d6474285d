"""The streaming layout validator (レイアウト検証).

``FileValidator`` is the reusable part: one record file of a layout, a binary stream in,
findings out, one record in memory at a time. It checks the bytes and RFC 4180 quoting
(``csvstream``), the header, the column count, every item's rules (``items``), the declared sort
order, and hands the key items to a ``KeyIndex`` when given one. The hub's file linkage uses it on
an uploaded file as is; ``validate_extract`` runs it over a folder with a manifest and then checks
the keys across files.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .csvstream import CsvStream
from .findings import LayoutFinding
from bus.core.characters import in_jisx0213

from .items import ItemRules, compile_item, repertoire_check, row_pattern, semantic_check
from .keys import MAX_PER_RULE, KeyIndex
from .layout import Layout, LayoutCatalog, RecordFile
from .manifest import NAME as MANIFEST, Manifest, read_manifest


class FileValidator:
    """Validate one record file. ``run(stream)`` yields findings (at most ``max_per_rule`` per
    rule; ``counts`` has them all); afterwards ``rows``, ``bytes`` and ``sha256`` describe it."""

    def __init__(self, layout: Layout, record_file: RecordFile, rules: ItemRules = ItemRules(),
                 keys: KeyIndex | None = None, max_per_rule: int = MAX_PER_RULE,
                 fixed: Mapping[str, str] | None = None):
        """``fixed``: items every row must hold exactly (item name → value): file linkage
        requires each row's 団体コード to be the one the file is addressed to."""
        self.layout, self.file, self.keys = layout, record_file, keys
        self._fixed = [(record_file.index(n), record_file.item(n), v)
                       for n, v in (fixed or {}).items()]
        self.max_per_rule = max_per_rule
        self.counts: Counter[str] = Counter()
        self.rows = 0
        self.bytes = 0
        self.sha256 = ""
        self._checks = [(i, item, compile_item(item, dict(layout.codelists), rules))
                        for i, item in enumerate(record_file.items)]
        self._names = [(i, item, check) for i, item in enumerate(record_file.items)
                       for check in [repertoire_check(item, rules)] if check is not None]
        self._fast = row_pattern(record_file.items, layout.codelists)
        # what the fast pattern cannot see: calendar days and check digits
        self._semantic = [(i, item, check) for i, item in enumerate(record_file.items)
                          for check in [semantic_check(item, rules)] if check is not None]
        number = {i.name for i in record_file.items if i.type == "number"}
        self._order = [(record_file.index(n), n in number) for n in record_file.order]

    def _emit(self, finding: LayoutFinding) -> LayoutFinding | None:
        self.counts[finding.rule] += 1
        return finding if self.counts[finding.rule] <= self.max_per_rule else None

    def run(self, stream: BinaryIO) -> Iterator[LayoutFinding]:
        name = self.file.file
        digest = hashlib.sha256()
        hashing = _Hashing(stream, digest)
        csv = CsvStream(hashing, name)  # type: ignore[arg-type]  # CsvStream reads only readline
        header = self.file.header
        ncols = len(header)
        fast = self._fast.fullmatch
        semantic = self._semantic
        names = self._names
        name_indexes = [i for i, _, _ in names]
        order = self._order
        previous: tuple | None = None
        positions = self.keys.positions(self.file) if self.keys is not None else None
        record_id = self.file.record
        usable = True
        emitted = 0
        for rec in csv.records():
            for f in csv.findings[emitted:]:
                out = self._emit(f)
                if out is not None:
                    yield out
            emitted = len(csv.findings)
            if rec.line == 1:
                if tuple(rec.fields) != header and not rec.broken:
                    usable = False
                    out = self._emit(LayoutFinding(name, 1, "csv:header", _header_problem(
                        rec.fields, header, self.layout)))
                    if out is not None:
                        yield out
                continue
            self.rows += 1
            fields = rec.fields
            if rec.broken or not usable:
                continue
            for i, item, value in self._fixed:
                if i < len(fields) and fields[i] and fields[i] != value:
                    out = self._emit(LayoutFinding(name, rec.line, "file:fixed-item", "is not "
                                                   "the file's value (every row must have it)",
                                                   item.no, item.name))
                    if out is not None:
                        yield out
            text = rec.text
            if text is not None and fast(text):
                for i, item, check in semantic:  # the form is right: days and check digits
                    v = fields[i]
                    if v:
                        problem = check(v)
                        if problem is not None:
                            out = self._emit(LayoutFinding(name, rec.line, problem[0],
                                                           problem[1], item.no, item.name))
                            if out is not None:
                                yield out
            else:
                if len(fields) != ncols:
                    out = self._emit(LayoutFinding(
                        name, rec.line, "csv:columns", f"has {len(fields)} fields; the header "
                        f"has {ncols}" + (" (an empty line)" if not fields else "")))
                    if out is not None:
                        yield out
                    continue
                for out in self._items(name, rec.line, fields):
                    yield out
            if names and not in_jisx0213(text if text is not None else
                                         "\n".join([fields[i] for i in name_indexes])):
                for i, item, check in names:  # only rows with a name outside JIS X 0213
                    problem = check(fields[i]) if fields[i] else None
                    if problem is not None:
                        out = self._emit(LayoutFinding(name, rec.line, problem[0], problem[1],
                                                       item.no, item.name))
                        if out is not None:
                            yield out
            if order:
                current = tuple(_sort_value(fields[j], numeric) for j, numeric in order)
                if previous is not None and current < previous:
                    out = self._emit(LayoutFinding(
                        name, rec.line, "key:order", "is out of order: the file is sorted by "
                        f"{'・'.join(self.file.order)} (ascending)"))
                    if out is not None:
                        yield out
                previous = current
            if positions is not None and self.keys is not None:
                self.keys.add(record_id, rec.line, [fields[j] for j in positions])
        for f in csv.findings[emitted:]:
            out = self._emit(f)
            if out is not None:
                yield out
        if csv.lines == 0:
            out = self._emit(LayoutFinding(name, None, "csv:header", "the file is empty: it "
                                           "needs at least the header row"))
            if out is not None:
                yield out
        if self.keys is not None:
            self.keys.mark_read(record_id)
        self.bytes = csv.bytes
        self.sha256 = digest.hexdigest()

    def _items(self, name: str, line: int, fields: list[str]) -> Iterator[LayoutFinding]:
        """Each item's rules, one by one (a line the fast pattern did not match)."""
        for i, item, check in self._checks:
            v = fields[i]
            if not v:
                if item.required:
                    out = self._emit(LayoutFinding(name, line, "required",
                                                   "is empty; the item is required (必須)",
                                                   item.no, item.name))
                    if out is not None:
                        yield out
                continue
            problem = check(v)
            if problem is not None:
                out = self._emit(LayoutFinding(name, line, problem[0], problem[1],
                                               item.no, item.name))
                if out is not None:
                    yield out


class _Hashing:
    """A binary stream's ``readline`` that also feeds a hash (the file's SHA-256 as read)."""

    def __init__(self, stream: BinaryIO, digest):
        self._stream, self._digest = stream, digest

    def readline(self, limit: int = -1) -> bytes:
        raw = self._stream.readline(limit)
        self._digest.update(raw)
        return raw


def _sort_value(value: str, numeric: bool):
    if numeric:
        try:
            return (0, int(value), "")
        except ValueError:
            return (1, 0, value)
    return (0, 0, value)


def _header_problem(fields: list[str], header: tuple[str, ...], layout: Layout) -> str:
    missing = [n for n in header if n not in fields]
    unknown = [n for n in fields if n not in header]
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if unknown:
        parts.append(f"not items of {layout.ident}: {', '.join(unknown)}")
    if not parts:
        parts.append("the items are not in the layout's order")
    return "the header row must be the item names in order (" + "; ".join(parts) + ")"


@dataclass
class FileSummary:
    name: str
    record: str
    rows: int = 0
    bytes: int = 0
    sha256: str = ""
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class ValidationReport:
    """What ``pfbus layout validate`` found: positions and rules only, no values."""

    folder: str
    layout: str | None = None  # "juki/pfbus-1"
    manifest: Manifest | None = None
    files: list[FileSummary] = field(default_factory=list)
    findings: list[LayoutFinding] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.counts

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    def add(self, finding: LayoutFinding, counted: bool = True) -> None:
        self.findings.append(finding)
        if counted:
            self.counts[finding.rule] += 1


def validate_extract(folder: str | Path, catalog: LayoutCatalog | None = None,
                     rules: ItemRules = ItemRules(), *, layout: Layout | None = None,
                     scratch: str | Path | None = None,
                     max_per_rule: int = MAX_PER_RULE) -> ValidationReport:
    """Validate an extract folder: its manifest, every record file, the keys across files."""
    folder = Path(folder)
    report = ValidationReport(str(folder))
    manifest, problems = read_manifest(folder)
    for p in problems:
        report.add(p)
    if manifest is not None and layout is None:
        catalog = catalog or LayoutCatalog.load()
        layout = catalog.get(manifest.layout, manifest.version)
        if layout is None:
            known = catalog.versions(manifest.layout)
            report.add(LayoutFinding(MANIFEST, None, "layout:unknown-version",
                                     f"layout {manifest.layout!r} version {manifest.version!r} "
                                     "is not in the layout catalog (known versions: "
                                     f"{', '.join(known) if known else 'none of that layout'}); "
                                     "add its layout file with --layouts"))
    report.manifest = manifest
    if layout is None:
        return report
    report.layout = layout.ident
    expected = {f.file for f in layout.files} | {MANIFEST}
    for extra in sorted(p.name for p in folder.iterdir() if p.name not in expected):
        report.add(LayoutFinding(extra, None, "file:unexpected",
                                 f"not a file of layout {layout.ident}"))
    with KeyIndex(layout, scratch) as keys:
        for record_file in layout.files:
            path = folder / record_file.file
            if not path.is_file():
                report.add(LayoutFinding(record_file.file, None, "file:missing",
                                         f"layout {layout.ident} has a {record_file.title} file "
                                         f"({record_file.file}); the extract lacks it"))
                continue
            validator = FileValidator(layout, record_file, rules, keys, max_per_rule)
            with path.open("rb") as stream:
                for finding in validator.run(stream):
                    report.findings.append(finding)
            report.counts.update(validator.counts)
            report.files.append(FileSummary(record_file.file, record_file.record,
                                            validator.rows, validator.bytes, validator.sha256,
                                            dict(validator.counts)))
            _check_manifest_entry(report, manifest, record_file.file, validator)
        for finding in keys.findings():
            report.add(finding, counted=False)
        for (rule, _), n in keys.counts.items():
            report.counts[rule] += n
    return report


def _check_manifest_entry(report: ValidationReport, manifest: Manifest | None, name: str,
                          validator: FileValidator) -> None:
    if manifest is None:
        return
    entry = manifest.files.get(name)
    if entry is None:
        report.add(LayoutFinding(MANIFEST, None, "manifest:file", f"does not list {name}"))
        return
    if entry.rows != validator.rows:
        report.add(LayoutFinding(name, None, "manifest:rows",
                                 f"the manifest says {entry.rows} rows, the file has "
                                 f"{validator.rows}: the file was cut off or altered"))
    if entry.sha256.lower() != validator.sha256:
        report.add(LayoutFinding(name, None, "manifest:sha256",
                                 "the file's SHA-256 differs from the manifest's: it was "
                                 "altered or cut off after the export"))
