"""The migration toolkit (データ移行): export a vendor database to the 中間標準レイアウト, import
one into another vendor's database.

A vendor implements two small interfaces over its own database:

* :class:`Exporter` — ``rows(record)``: the rows of one record file (住民, 世帯, 異動履歴 …), in
  the layout's sort order, each a mapping item name → text in the layout's form (YYYYMMDD
  dates, code-list codes, katakana readings) with names still in the vendor's own characters.
  :func:`export_extract` applies the vendor's 外字 table (its private-use codes → MJ
  characters, each change counted by code point and MJ文字図形名), writes RFC 4180 CSV in UTF-8
  one file at a time (constant memory) and the manifest (rows, SHA-256, character changes).
* :class:`Importer` — ``transaction()``, ``load(record, rows)`` and a checkpoint kept in the
  same database (:class:`SqliteCheckpoints` does it for SQLite). :func:`import_extract` reads
  the extract streaming, converts names to what the target stores (MJ → its 外字 codes; or, for
  a JIS X 0213-only target, 縮退 with the registered form handed over as ``originals``; every
  change listed by MJ文字図形名) and loads it in batches, one transaction per batch, the
  checkpoint (lines reached per file) written in that same transaction. A household and its
  members (a parent row and the rows that refer to it, read side by side from files sorted by
  that key) are always in one batch: a killed import never leaves half a household, and run
  again it resumes after the last committed batch — the database ends exactly as an
  uninterrupted import leaves it. ``dry_run`` does everything but write.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import json
import sqlite3
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bus.core.gaiji import GaijiTable
from bus.migration.csvstream import CsvStream
from bus.migration.layout import Layout, LayoutCatalog, RecordFile
from bus.migration.manifest import NAME as MANIFEST, CharacterChange, FileEntry, Manifest, \
    read_manifest

from .migration_characters import CharacterLedger, SourceCharacters, TargetCharacters, \
    character_summary

__all__ = ["CharacterLedger", "ExportResult", "Exporter", "ImportResult", "Importer", "Incoming",
           "LoadGroup", "MigrationError", "SqliteCheckpoints", "TargetCharacters", "Window",
           "character_summary", "export_extract", "import_extract", "load_plan", "run_id"]

class MigrationError(RuntimeError):
    """An export or import that cannot go on; the message says where and why (no values)."""


# --- export ----------------------------------------------------------------------------------

class Exporter(ABC):
    """A vendor's データ抽出 over its own database."""

    layout: str = ""  # "juki"
    version: str = ""  # "pfbus-1"
    producer: str = ""  # the exporting system's ID
    local_gov_code: str = ""  # 団体コード

    @abstractmethod
    def rows(self, record: str) -> Iterable[Mapping[str, str | None]]:
        """The rows of record file ``record``, in the layout's sort order (streaming)."""


@dataclass(frozen=True)
class Window:
    """The cost of 100,000 rows of one file (export) or one load group (import): wall seconds
    and this process's CPU seconds (on a shared machine the CPU figure is the steadier one)."""

    file: str
    wall_s: float
    cpu_s: float

    def to_json(self) -> list:
        return [self.file, round(self.wall_s, 3), round(self.cpu_s, 3)]


class _Windows:
    """Cuts a stream of rows into windows of 100,000, per file."""

    def __init__(self, out: list[Window]):
        self.out = out
        self.file = ""
        self.rows = 0
        self._wall = self._cpu = 0.0

    def start(self, file: str) -> None:
        self.file, self.rows = file, 0
        self._wall, self._cpu = time.monotonic(), time.process_time()

    def count(self, rows: int = 1) -> None:
        self.rows += rows
        while self.rows >= 100_000:
            self.rows -= 100_000
            wall, cpu = time.monotonic(), time.process_time()
            self.out.append(Window(self.file, wall - self._wall, cpu - self._cpu))
            self._wall, self._cpu = wall, cpu


@dataclass
class ExportResult:
    folder: Path
    manifest: Manifest
    seconds: float
    per_100k: list[Window] = field(default_factory=list)  # one per 100,000 rows of a file


def export_extract(exporter: Exporter, folder: str | Path, *, gaiji: GaijiTable | None = None,
                   catalog: LayoutCatalog | None = None,
                   progress: Callable[[str, int], None] | None = None) -> ExportResult:
    """Write every record file of the exporter's layout and the manifest into ``folder``
    (created; files written under a temporary name and renamed when complete)."""
    started = time.monotonic()
    layout = (catalog or LayoutCatalog.load()).get(exporter.layout, exporter.version)
    if layout is None:
        raise MigrationError(f"layout {exporter.layout}/{exporter.version} is not in the catalog")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ledger = CharacterLedger()
    to_standard = SourceCharacters(gaiji, ledger)
    entries: dict[str, FileEntry] = {}
    marks: list[Window] = []
    windows = _Windows(marks)
    for rf in layout.files:
        windows.start(rf.file)
        text_items = {i.name for i in rf.items if i.type == "text"}
        header = rf.header
        tmp = folder / (rf.file + ".part")
        digest = hashlib.sha256()
        rows = 0
        with tmp.open("w", encoding="utf-8", newline="") as out:
            hashing = _HashingWriter(out, digest)
            writer = csv.writer(hashing, lineterminator="\r\n")
            writer.writerow(header)
            for row in exporter.rows(rf.record):
                unknown = set(row) - set(header)
                if unknown:
                    raise MigrationError(f"{rf.file}: the exporter gave items the layout does "
                                         f"not have: {', '.join(sorted(unknown))}")
                values = []
                for name in header:
                    v = row.get(name)
                    v = "" if v is None else str(v)
                    if v and name in text_items:
                        v = to_standard(v)
                    values.append(v)
                writer.writerow(values)
                rows += 1
                windows.count()
                if progress and rows % 100_000 == 0:
                    progress(rf.file, rows)
            out.flush()
        tmp.replace(folder / rf.file)
        entries[rf.file] = FileEntry(rows, digest.hexdigest())
    manifest = Manifest(layout.layout, layout.version, exporter.local_gov_code,
                        exporter.producer, dt.datetime.now(dt.timezone.utc).isoformat(),
                        entries, ledger.changes())
    manifest.write(folder)
    return ExportResult(folder, manifest, time.monotonic() - started, marks)


class _HashingWriter:
    """Text written to ``out`` is also fed (as UTF-8) to ``digest``."""

    def __init__(self, out, digest):
        self._out, self._digest = out, digest

    def write(self, text: str) -> int:
        self._digest.update(text.encode("utf-8"))
        return self._out.write(text)


# --- import ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Incoming:
    """One row as the importer receives it: the values converted for the target, and for each
    item whose text was changed by 縮退 the registered form (to keep alongside)."""

    line: int
    values: dict[str, str]
    originals: dict[str, str]


class Importer(ABC):
    """A vendor's データ取込 into its own database."""

    layout: str = ""
    version: str = ""

    @abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager:
        """One database transaction: committed when the block ends, rolled back on error."""

    @abstractmethod
    def load(self, record: str, rows: Sequence[Incoming]) -> None:
        """Write ``rows`` of record file ``record`` (inside ``transaction``)."""

    @abstractmethod
    def checkpoint(self, run: str) -> dict | None:
        """The checkpoint saved for ``run``, or None."""

    @abstractmethod
    def save_checkpoint(self, run: str, state: dict) -> None:
        """Save the checkpoint of ``run`` (inside ``transaction``: it commits with the batch)."""


class SqliteCheckpoints:
    """Checkpoints of imports in a table of the target's own SQLite database (mix-in: needs
    ``self.conn``)."""

    conn: sqlite3.Connection
    TABLE = "移行取込チェックポイント"

    def _ensure(self) -> None:
        self.conn.execute(f'CREATE TABLE IF NOT EXISTS "{self.TABLE}" ("取込ID" TEXT PRIMARY '
                          'KEY, "状態" TEXT NOT NULL, "更新日時" TEXT NOT NULL)')

    def checkpoint(self, run: str) -> dict | None:
        self._ensure()
        row = self.conn.execute(f'SELECT "状態" FROM "{self.TABLE}" WHERE "取込ID" = ?',
                                (run,)).fetchone()
        return None if row is None else json.loads(row[0])

    def save_checkpoint(self, run: str, state: dict) -> None:
        self._ensure()
        self.conn.execute(f'INSERT INTO "{self.TABLE}" VALUES (?, ?, ?) ON CONFLICT ("取込ID") '
                          'DO UPDATE SET "状態" = excluded."状態", "更新日時" = excluded."更新日時"',
                          (run, json.dumps(state),
                           dt.datetime.now(dt.timezone.utc).isoformat()))


@dataclass
class ImportResult:
    run: str
    rows: Counter[str] = field(default_factory=Counter)  # rows loaded (this run) per record
    skipped: Counter[str] = field(default_factory=Counter)  # rows committed by an earlier run
    batches: int = 0
    changes: tuple[CharacterChange, ...] = ()
    dry_run: bool = False
    resumed: bool = False
    seconds: float = 0.0
    per_100k: list[Window] = field(default_factory=list)  # one per 100,000 rows of a group

    def to_json(self) -> dict:
        return {"run": self.run, "rows": dict(self.rows), "skipped": dict(self.skipped),
                "batches": self.batches, "dry_run": self.dry_run, "resumed": self.resumed,
                "seconds": round(self.seconds, 3),
                "character_changes": [c.to_json() for c in self.changes]}


@dataclass(frozen=True)
class LoadGroup:
    """Files loaded together: ``parent`` and the files whose rows refer to its key, sorted by
    it (``children``: (file, index of the referring item)). A lone file has no children."""

    parent: RecordFile
    children: tuple[tuple[RecordFile, int], ...]


def load_plan(layout: Layout) -> list[LoadGroup]:
    """Parents before the files that refer to them. A file sorted first by an item that refers
    to another file's key (which that file is sorted by) is loaded with it, group by group."""
    children: dict[str, list[tuple[RecordFile, int]]] = {}
    is_child: set[str] = set()
    for ref in layout.references:
        child = layout.file(ref.source.record)
        parent = layout.file(ref.target.record)
        if child.order[:1] == (ref.source.item,) and parent.order == (ref.target.item,) \
                and parent.key == (ref.target.item,) and child.record not in is_child \
                and parent.record not in is_child:
            children.setdefault(parent.record, []).append((child, child.index(ref.source.item)))
            is_child.add(child.record)
    return [LoadGroup(f, tuple(children.get(f.record, ()))) for f in layout.files
            if f.record not in is_child]


class _Reader:
    """Rows of one file, with line numbers, converted for the target; ``peek``/``take``."""

    def __init__(self, path: Path, rf: RecordFile, convert: Callable[[str], tuple[str, str | None]],
                 skip_to: int):
        self.rf = rf
        self._file = path.open("rb")
        self._csv = CsvStream(self._file, rf.file)
        self._records = self._csv.records()
        self._convert = convert
        self._text = [i for i, item in enumerate(rf.items) if item.type == "text"]
        self._skip_to = skip_to
        self.skipped = 0
        self.last_line = skip_to
        self._next: tuple[int, list[str]] | None = None
        header = next(self._records, None)
        if header is None or tuple(header.fields) != rf.header:
            raise MigrationError(f"{rf.file}: the header row is not the layout's (validate the "
                                 "extract first)")
        self._advance()

    def _advance(self) -> None:
        for rec in self._records:
            if self._csv.findings or rec.broken or len(rec.fields) != len(self.rf.items):
                raise MigrationError(f"{self.rf.file} line {rec.line}: not a well-formed row "
                                     "(validate the extract first)")
            if rec.line <= self._skip_to:
                self.skipped += 1
                continue
            self._next = (rec.line, rec.fields)
            return
        if self._csv.findings:
            raise MigrationError(f"{self._csv.findings[0]} (validate the extract first)")
        self._next = None

    def peek(self, index: int) -> str | None:
        return None if self._next is None else self._next[1][index]

    def take(self) -> Incoming:
        assert self._next is not None
        line, fields = self._next
        originals = {}
        for i in self._text:
            if fields[i]:
                new, original = self._convert(fields[i])
                if original is not None:
                    originals[self.rf.items[i].name] = original
                fields[i] = new
        self.last_line = line
        self._advance()
        return Incoming(line, dict(zip(self.rf.header, fields, strict=True)), originals)

    def close(self) -> None:
        self._file.close()


def run_id(folder: Path) -> str:
    """An import's identity: the manifest's SHA-256 (the same extract resumes the same run)."""
    return hashlib.sha256((folder / MANIFEST).read_bytes()).hexdigest()[:24]


def import_extract(folder: str | Path, importer: Importer, *,
                   characters: TargetCharacters | None = None, batch_rows: int = 2000,
                   dry_run: bool = False, catalog: LayoutCatalog | None = None,
                   pause: float = 0.0,
                   progress: Callable[[int], None] | None = None) -> ImportResult:
    """Load the extract in ``folder`` into ``importer``'s database (see the module docstring).
    The extract should have passed ``pfbus layout validate`` (``import_main`` runs it first);
    here its files are checked against the manifest's SHA-256 before anything is written, and a
    row that cannot be read stops the import before the batch that would hold it is written.
    ``pause``: seconds between batches (to spare a live system)."""
    started = time.monotonic()
    folder = Path(folder)
    manifest, problems = read_manifest(folder)
    if manifest is None:
        raise MigrationError("; ".join(str(p) for p in problems))
    layout = (catalog or LayoutCatalog.load()).get(manifest.layout, manifest.version)
    if layout is None:
        raise MigrationError(f"layout {manifest.layout}/{manifest.version} is not in the catalog")
    if (importer.layout, importer.version) != (layout.layout, layout.version):
        raise MigrationError(f"the importer loads {importer.layout}/{importer.version}, the "
                             f"extract is {layout.ident}")
    _verify_files(folder, layout, manifest)
    characters = characters or TargetCharacters()
    ledger = CharacterLedger()
    run = run_id(folder)
    state = importer.checkpoint(run) or {"lines": {}, "batches": 0, "done": False}
    result = ImportResult(run, dry_run=dry_run, resumed=bool(state["lines"]))
    if state.get("done"):
        result.seconds = time.monotonic() - started
        return result

    def convert(text: str) -> tuple[str, str | None]:
        return characters.convert(text, ledger)
    total = 0
    windows = _Windows(result.per_100k)
    for group in load_plan(layout):
        files = [group.parent, *(c for c, _ in group.children)]
        windows.start(group.parent.file)
        readers = {f.record: _Reader(folder / f.file, f, convert, state["lines"].get(f.file, 1))
                   for f in files}
        try:
            parent = readers[group.parent.record]
            key_index = group.parent.index(group.parent.key[0]) if group.children else 0
            while parent.peek(0) is not None:
                batch: dict[str, list[Incoming]] = {f.record: [] for f in files}
                size = 0
                first = (group.parent.index(group.parent.order[0])
                         if group.parent.order and not group.children else None)
                while parent.peek(0) is not None and (
                        size < batch_rows or (first is not None and parent.peek(first) ==
                                              batch[group.parent.record][-1].values[
                                                  group.parent.order[0]])):
                    # a lone file's batch never splits the rows sharing its first sort item (a
                    # resident's history); a parent's rows come with every row referring to it
                    key = parent.peek(key_index)
                    batch[group.parent.record].append(parent.take())
                    size += 1
                    for child, index in group.children:
                        reader = readers[child.record]
                        while reader.peek(index) is not None and reader.peek(index) == key:
                            batch[child.record].append(reader.take())
                            size += 1
                        nxt = reader.peek(index)
                        if nxt is not None and nxt < key:
                            raise MigrationError(
                                f"{child.file}: a row refers to a {child.items[index].name} "
                                f"that {group.parent.file} does not have, or the files are not "
                                "sorted alike (validate the extract first)")
                for f in files:
                    state["lines"][f.file] = readers[f.record].last_line
                state["batches"] += 1
                if not dry_run:
                    with importer.transaction():
                        for f in files:
                            if batch[f.record]:
                                importer.load(f.record, batch[f.record])
                        importer.save_checkpoint(run, state)
                for f in files:
                    result.rows[f.record] += len(batch[f.record])
                result.batches += 1
                total += size
                windows.count(size)
                if progress:
                    progress(total)
                if pause:
                    time.sleep(pause)
            for child, index in group.children:
                if readers[child.record].peek(index) is not None:
                    raise MigrationError(f"{child.file}: rows left over whose "
                                         f"{child.items[index].name} {group.parent.file} does "
                                         "not have (validate the extract first)")
            for f in files:
                result.skipped[f.record] += readers[f.record].skipped
        finally:
            for r in readers.values():
                r.close()
    state["done"] = True
    if not dry_run:
        with importer.transaction():
            importer.save_checkpoint(run, state)
    result.changes = ledger.changes()
    result.seconds = time.monotonic() - started
    return result


def _verify_files(folder: Path, layout: Layout, manifest: Manifest) -> None:
    """Every file present and as the manifest describes it (rows, SHA-256), before any write."""
    for rf in layout.files:
        entry = manifest.files.get(rf.file)
        path = folder / rf.file
        if entry is None or not path.is_file():
            raise MigrationError(f"{rf.file}: missing from the extract or its manifest")
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != entry.sha256.lower():
            raise MigrationError(f"{rf.file}: its SHA-256 differs from the manifest's (cut off "
                                 "or altered after the export); nothing was loaded")
