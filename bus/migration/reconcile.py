"""Reconciliation of two extracts (移行結果の突合): the old system's and the new system's.

``pfbus migrate reconcile OLD NEW`` answers "did the new vendor load everything, unchanged?"
without showing anyone the data: per record file the row counts, per item an order-independent
checksum (so two extracts sorted differently still agree), and per record — matched by its key —
which items differ, named by file, line in each extract, 項目番号 and 項目名. A text item whose
difference is only characters (same text apart from some characters: 縮退, a 外字 mapped
differently) is a *character change*, listed by MJ文字図形名 (``MJ028902 → U+9AD8``); any other
difference is a *value difference*. Rows whose key one side lacks are *missing* / *extra*.

The rows of both extracts pass through a private scratch SQLite file (deleted afterwards) so
memory stays constant; nothing printed carries a value or a key.
"""

from __future__ import annotations

import difflib
import os
import sqlite3
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bus.core.characters import MJTable, graphemes, mj_table

from .csvstream import CsvStream
from .layout import Layout, LayoutCatalog, RecordFile
from .manifest import read_manifest

SEP = "\x1f"
BATCH = 20_000


class ReconcileError(ValueError):
    """The extracts cannot be compared (no manifest, different layouts …)."""


@dataclass(frozen=True)
class Difference:
    file: str
    kind: str  # "missing" (in NEW) | "extra" (in NEW) | "value" | "character"
    old_line: int | None
    new_line: int | None
    item_no: int | None = None
    item_name: str | None = None

    def __str__(self) -> str:
        where = f"OLD line {self.old_line or '-'} / NEW line {self.new_line or '-'}"
        item = f" 項目{self.item_no} {self.item_name}" if self.item_no is not None else ""
        what = {"missing": "record missing from NEW", "extra": "record only in NEW",
                "value": "value differs", "character": "characters differ"}[self.kind]
        return f"{self.file}: {where}:{item} {what}"


@dataclass
class FileComparison:
    file: str
    old_rows: int = 0
    new_rows: int = 0
    checksums: dict[str, tuple[str, str]] = field(default_factory=dict)  # item → (old, new)
    counts: Counter[str] = field(default_factory=Counter)  # kind → differences


@dataclass
class Reconciliation:
    layout: str
    files: list[FileComparison] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)  # the first ``limit``
    character_changes: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.counts)
        return total

    @property
    def equal(self) -> bool:
        """No record missing or extra and no value difference (character changes listed)."""
        c = self.counts
        return not (c["missing"] or c["extra"] or c["value"])

    @property
    def identical(self) -> bool:
        return not self.counts

    def to_json(self) -> dict:
        return {
            "layout": self.layout, "equal": self.equal, "identical": self.identical,
            "files": [{"file": f.file, "old_rows": f.old_rows, "new_rows": f.new_rows,
                       "differences": dict(f.counts),
                       "checksums": {k: {"old": o, "new": n} for k, (o, n) in f.checksums.items()}}
                      for f in self.files],
            "character_changes": [{"from": a, "to": b, "count": n}
                                  for (a, b), n in sorted(self.character_changes.items())],
            "differences": [d.__dict__ for d in self.differences],
        }


def _name(g: str, table: MJTable) -> str:
    info = table.classify(g)
    code = " ".join(f"U+{ord(c):04X}" for c in g)
    return info.mj or code


def character_changes(old: str, new: str, table: MJTable | None = None
                      ) -> list[tuple[str, str]] | None:
    """[(old character by MJ name, new character)] when ``new`` differs from ``old`` only in
    some characters (each replaced one for one), else None."""
    table = table or mj_table()
    a, b = list(graphemes(old)), list(graphemes(new))
    if len(a) != len(b):
        matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
        ops = [op for op in matcher.get_opcodes() if op[0] != "equal"]
        if any(op[0] != "replace" or op[2] - op[1] != op[4] - op[3] for op in ops):
            return None
        pairs = [(a[i], b[j]) for _, i1, i2, j1, _ in ops for i, j in
                 zip(range(i1, i2), range(j1, j1 + (i2 - i1)), strict=True)]
    else:
        pairs = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    if not pairs or len(pairs) * 2 > len(a):
        return None  # more than half the characters: a different value, not a character change
    return [(_name(x, table), _name(y, table)) for x, y in pairs]


class _Side:
    """One extract's rows in the scratch database."""

    def __init__(self, db: sqlite3.Connection, folder: Path, side: str):
        self.db, self.folder, self.side = db, folder, side

    def load(self, rf: RecordFile) -> tuple[int, dict[str, str]]:
        table = f"{self.side}_{rf.record}"
        self.db.execute(f"CREATE TABLE {table} (k TEXT, line INTEGER, row TEXT)")
        key_at = [rf.index(k) for k in rf.key]
        sums = [0] * len(rf.items)
        rows = 0
        pending: list[tuple] = []
        path = self.folder / rf.file
        if not path.is_file():
            raise ReconcileError(f"{path}: missing")
        with path.open("rb") as f:
            stream = CsvStream(f, rf.file)
            records = stream.records()
            header = next(records, None)
            if header is None or tuple(header.fields) != rf.header:
                raise ReconcileError(f"{path}: the header is not the layout's (validate it)")
            for rec in records:
                if rec.broken or len(rec.fields) != len(rf.items):
                    raise ReconcileError(f"{path} line {rec.line}: not a well-formed row "
                                         "(validate it)")
                key = SEP.join(rec.fields[i] for i in key_at)
                kb = key.encode() + b"\x1e"
                for i, v in enumerate(rec.fields):
                    sums[i] += zlib.crc32(v.encode(), zlib.crc32(kb))
                pending.append((key, rec.line, SEP.join(rec.fields)))
                rows += 1
                if len(pending) >= BATCH:
                    self.db.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", pending)
                    pending.clear()
            if stream.findings:
                raise ReconcileError(f"{stream.findings[0]} (validate it)")
        self.db.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", pending)
        self.db.execute(f"CREATE INDEX {table}_k ON {table} (k)")
        return rows, {item.name: f"{sums[i] % (1 << 64):016x}"
                      for i, item in enumerate(rf.items)}


def reconcile(old: str | Path, new: str | Path, catalog: LayoutCatalog | None = None, *,
              limit: int = 1000, scratch: str | Path | None = None) -> Reconciliation:
    old, new = Path(old), Path(new)
    manifests = []
    for folder in (old, new):
        manifest, problems = read_manifest(folder)
        if manifest is None:
            raise ReconcileError(f"{folder}: " + "; ".join(p.message for p in problems))
        manifests.append(manifest)
    if (manifests[0].layout, manifests[0].version) != (manifests[1].layout, manifests[1].version):
        raise ReconcileError(f"OLD is {manifests[0].layout}/{manifests[0].version}, NEW is "
                             f"{manifests[1].layout}/{manifests[1].version}: not comparable")
    layout = (catalog or LayoutCatalog.load()).get(manifests[0].layout, manifests[0].version)
    if layout is None:
        raise ReconcileError(f"layout {manifests[0].layout}/{manifests[0].version} is not in "
                             "the layout catalog")
    fd, name = tempfile.mkstemp(prefix="pfbus-reconcile-", suffix=".sqlite3",
                                dir=None if scratch is None else str(scratch))
    os.close(fd)
    db = sqlite3.connect(name)
    try:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-16000")
        return _compare(db, layout, old, new, limit)
    finally:
        db.close()
        Path(name).unlink(missing_ok=True)


def _compare(db: sqlite3.Connection, layout: Layout, old: Path, new: Path,
             limit: int) -> Reconciliation:
    result = Reconciliation(layout.ident)
    table = mj_table()
    sides = _Side(db, old, "o"), _Side(db, new, "n")

    def note(d: Difference, comparison: FileComparison) -> None:
        comparison.counts[d.kind] += 1
        if len(result.differences) < limit:
            result.differences.append(d)
    for rf in layout.files:
        comparison = FileComparison(rf.file)
        result.files.append(comparison)
        comparison.old_rows, old_sums = sides[0].load(rf)
        comparison.new_rows, new_sums = sides[1].load(rf)
        comparison.checksums = {k: (old_sums[k], new_sums[k]) for k in old_sums}
        o, n = f"o_{rf.record}", f"n_{rf.record}"
        for line, in db.execute(f"SELECT line FROM {o} WHERE k NOT IN (SELECT k FROM {n}) "
                                "ORDER BY line"):
            note(Difference(rf.file, "missing", line, None), comparison)
        for line, in db.execute(f"SELECT line FROM {n} WHERE k NOT IN (SELECT k FROM {o}) "
                                "ORDER BY line"):
            note(Difference(rf.file, "extra", None, line), comparison)
        for old_line, new_line, a, b in db.execute(
                f"SELECT x.line, y.line, x.row, y.row FROM {o} x JOIN {n} y ON x.k = y.k "
                "WHERE x.row <> y.row ORDER BY x.line"):
            for item, va, vb in zip(rf.items, a.split(SEP), b.split(SEP), strict=True):
                if va == vb:
                    continue
                changes = character_changes(va, vb, table) if item.type == "text" and va \
                    and vb else None
                if changes is None:
                    note(Difference(rf.file, "value", old_line, new_line, item.no, item.name),
                         comparison)
                else:
                    result.character_changes.update(changes)
                    note(Difference(rf.file, "character", old_line, new_line, item.no,
                                    item.name), comparison)
    return result


def summary(result: Reconciliation) -> list[str]:
    """The human summary: counts, checksums that differ, character changes, verdict."""
    lines = [f"layout {result.layout}"]
    for f in result.files:
        differing = [k for k, (a, b) in f.checksums.items() if a != b]
        counts = ", ".join(f"{k} {v}" for k, v in sorted(f.counts.items())) or "no differences"
        lines.append(f"  {f.file}: OLD {f.old_rows} rows, NEW {f.new_rows} rows; {counts}; "
                     f"item checksums: {len(f.checksums) - len(differing)}/{len(f.checksums)} "
                     "equal" + (f" (differ: {', '.join(differing)})" if differing else ""))
    if result.character_changes:
        lines.append("  character changes (by MJ文字図形名):")
        for (a, b), n in sorted(result.character_changes.items()):
            lines.append(f"    {a} → {b} ×{n}")
    verdict = ("IDENTICAL" if result.identical else "EQUAL apart from the character changes "
               "listed" if result.equal else "DIFFERENT")
    lines.append(f"  verdict: {verdict}")
    return lines
