"""Keys across the files of an extract: duplicates, references, member counts, histories.

These need every file seen, so the values they compare go, while the files stream by, into a
scratch SQLite database on disk (a private temporary file, deleted afterwards): memory stays
constant whatever the size of the municipality, and the checks are a few indexed queries at the
end. Only the items a key rule names are kept, with the line each row started on; findings name
lines, never the values.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from pathlib import Path

from .findings import LayoutFinding
from .layout import ItemRef, Layout, RecordFile

BATCH = 20_000
MAX_PER_RULE = 1000  # findings kept per rule and file; the count is always complete


def needed_items(layout: Layout) -> dict[str, list[str]]:
    """record → the item names key rules read, in a fixed order (the scratch table's columns)."""
    need: dict[str, list[str]] = {f.record: list(f.key) for f in layout.files}

    def add(ref: ItemRef | None) -> None:
        if ref is not None and ref.item not in need[ref.record]:
            need[ref.record].append(ref.item)
    for r in layout.references:
        add(r.source)
        add(r.target)
    for c in layout.member_counts:
        add(c.count)
        add(c.key)
        add(c.of)
        add(c.where_item)
    for h in layout.histories:
        add(h.history)
        add(h.order)
        add(h.current)
        for a, b in h.match:
            add(a)
            add(b)
    return need


class KeyIndex:
    """The scratch database of one validation run."""

    def __init__(self, layout: Layout, directory: str | Path | None = None):
        self.layout = layout
        self.columns = needed_items(layout)
        fd, name = tempfile.mkstemp(prefix="pfbus-keys-", suffix=".sqlite3",
                                    dir=None if directory is None else str(directory))
        os.close(fd)
        self._path = Path(name)
        self._db = sqlite3.connect(name)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("PRAGMA cache_size=-16000")  # 16 MB: memory stays bounded
        self._db.execute("PRAGMA temp_store=FILE")
        for record, cols in self.columns.items():
            defs = ", ".join(f"c{i} TEXT" for i in range(len(cols)))
            self._db.execute(f"CREATE TABLE r_{record} (line INTEGER, {defs})")
        self._pending: dict[str, list[tuple]] = {r: [] for r in self.columns}
        self._seen: set[str] = set()
        self.counts: Counter[tuple[str, str]] = Counter()  # (rule, file) → findings, all

    def close(self) -> None:
        self._db.close()
        self._path.unlink(missing_ok=True)

    def __enter__(self) -> KeyIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def positions(self, f: RecordFile) -> list[int]:
        """Indexes in a row of ``f`` of the items to keep."""
        return [f.index(name) for name in self.columns[f.record]]

    def add(self, record: str, line: int, values: Sequence[str]) -> None:
        pending = self._pending[record]
        pending.append((line, *values))
        if len(pending) >= BATCH:
            self._flush(record)

    def _flush(self, record: str) -> None:
        rows = self._pending[record]
        if rows:
            marks = ", ".join("?" * (len(self.columns[record]) + 1))
            self._db.executemany(f"INSERT INTO r_{record} VALUES ({marks})", rows)
            rows.clear()

    def mark_read(self, record: str) -> None:
        """``record``'s file was read in full (checks involving a missing file are skipped)."""
        self._flush(record)
        self._seen.add(record)

    def _col(self, ref: ItemRef) -> str:
        return f"c{self.columns[ref.record].index(ref.item)}"

    def findings(self) -> Iterator[LayoutFinding]:
        for record in self.columns:
            self._flush(record)
        self._db.commit()
        for f in self.layout.files:
            if f.record in self._seen:
                cols = ", ".join(f"c{self.columns[f.record].index(k)}" for k in f.key)
                self._db.execute(f"CREATE INDEX i_{f.record}_key ON r_{f.record} ({cols})")
        yield from self._duplicates()
        yield from self._references()
        yield from self._member_counts()
        yield from self._histories()

    def _limited(self, rows: Iterable[Any], make: Callable[..., LayoutFinding]
                 ) -> Iterator[LayoutFinding]:
        """The findings of ``rows``, at most MAX_PER_RULE per rule and file; ``counts`` gets
        them all."""
        for row in rows:
            finding = make(row)
            key = (finding.rule, finding.file)
            self.counts[key] += 1
            if self.counts[key] <= MAX_PER_RULE:
                yield finding

    def _duplicates(self) -> Iterator[LayoutFinding]:
        for f in self.layout.files:
            if f.record not in self._seen:
                continue
            cols = ", ".join(f"c{self.columns[f.record].index(k)}" for k in f.key)
            rows = self._db.execute(
                f"SELECT b.line, (SELECT min(a.line) FROM r_{f.record} a WHERE "
                + " AND ".join(f"a.c{self.columns[f.record].index(k)} = b.c"
                               f"{self.columns[f.record].index(k)}" for k in f.key)
                + f") FROM r_{f.record} b WHERE ({cols}) IN (SELECT {cols} FROM r_{f.record} "
                f"GROUP BY {cols} HAVING count(*) > 1) ORDER BY b.line")
            keys = "・".join(f.key)
            yield from self._limited(
                (r for r in rows if r[0] != r[1]),
                lambda r, keys=keys, f=f: LayoutFinding(
                    f.file, r[0], "key:duplicate", f"repeats the key ({keys}) of line {r[1]}",
                    None, keys))

    def _references(self) -> Iterator[LayoutFinding]:
        for ref in self.layout.references:
            if not {ref.source.record, ref.target.record} <= self._seen:
                continue
            src, tgt = ref.source, ref.target
            f = self.layout.file(src.record)
            target_file = self.layout.file(tgt.record)
            if [tgt.item] != list(target_file.key):
                self._db.execute(f"CREATE INDEX IF NOT EXISTS i_{tgt.record}_{self._col(tgt)} "
                                 f"ON r_{tgt.record} ({self._col(tgt)})")
            rows = self._db.execute(
                f"SELECT s.line FROM r_{src.record} s WHERE s.{self._col(src)} <> '' AND NOT "
                f"EXISTS (SELECT 1 FROM r_{tgt.record} t WHERE t.{self._col(tgt)} = "
                f"s.{self._col(src)}) ORDER BY s.line")
            item = f.item(src.item)
            yield from self._limited(rows, lambda r, item=item, f=f, tgt=tgt, tf=target_file:
                                     LayoutFinding(f.file, r[0], "key:reference",
                                                   f"refers to a {tgt.item} that no row of "
                                                   f"{tf.file} has", item.no, item.name))

    def _member_counts(self) -> Iterator[LayoutFinding]:
        for c in self.layout.member_counts:
            if not {c.count.record, c.of.record} <= self._seen:
                continue
            of_col = self._col(c.of)
            self._db.execute(f"CREATE INDEX IF NOT EXISTS i_{c.of.record}_{of_col} "
                             f"ON r_{c.of.record} ({of_col})")
            where, args = "", tuple[object, ...]()
            if c.where_item is not None:
                where, args = f" AND o.{self._col(c.where_item)} = ?", (c.where_value,)
            rows = self._db.execute(
                f"SELECT h.line, h.{self._col(c.count)}, (SELECT count(*) FROM r_{c.of.record} o "
                f"WHERE o.{of_col} = h.{self._col(c.key)}{where}) FROM r_{c.count.record} h "
                "ORDER BY h.line", args)
            f = self.layout.file(c.count.record)
            of_file = self.layout.file(c.of.record)
            item = f.item(c.count.item)
            condition = (f" with {c.where_item.item} = {c.where_value}"
                         if c.where_item is not None else "")

            def bad(row) -> bool:
                try:
                    return int(row[1]) != row[2]
                except (TypeError, ValueError):
                    return False  # not a number: its own finding already
            yield from self._limited(
                (r for r in rows if bad(r)),
                lambda r, f=f, item=item, of_file=of_file, condition=condition: LayoutFinding(
                    f.file, r[0], "key:member-count",
                    f"says {r[1]} but {of_file.file} has {r[2]} rows{condition} for it "
                    "(members missing or extra)", item.no, item.name))

    def _histories(self) -> Iterator[LayoutFinding]:
        for h in self.layout.histories:
            if not {h.history.record, h.current.record} <= self._seen:
                continue
            hist, cur = h.history.record, h.current.record
            hcol, ocol = self._col(h.history), self._col(h.order)
            self._db.execute(f"CREATE INDEX IF NOT EXISTS i_{hist}_hist ON r_{hist} "
                             f"({hcol}, CAST({ocol} AS INTEGER))")
            cur_file = self.layout.file(cur)
            # the last history row of each current row (by order, as an integer)
            pairs = ", ".join(f"l.{self._col(a)} AS m{i}, c.{self._col(b)} AS n{i}"
                              for i, (a, b) in enumerate(h.match))
            rows = self._db.execute(
                f"SELECT c.line, l.line{', ' + pairs if pairs else ''} FROM r_{cur} c "
                f"LEFT JOIN r_{hist} l ON l.rowid = (SELECT x.rowid FROM r_{hist} x WHERE "
                f"x.{hcol} = c.{self._col(h.current)} ORDER BY CAST(x.{ocol} AS INTEGER) DESC "
                "LIMIT 1) ORDER BY c.line")
            hist_file = self.layout.file(hist)

            def problems(rows=rows, h=h):
                for row in rows:
                    if row[1] is None:
                        yield row[0], None, None
                        continue
                    for i, (a, b) in enumerate(h.match):
                        if row[2 + 2 * i] != row[3 + 2 * i]:
                            yield row[0], row[1], (a, b)
                            break
            def finding(problem, cur_file=cur_file, hist_file=hist_file, h=h) -> LayoutFinding:
                line, hist_line, pair = problem
                if pair is None:
                    return LayoutFinding(cur_file.file, line, "key:history-missing",
                                         f"has no row in {hist_file.file}: the history must "
                                         "record how the record came to be", None,
                                         h.current.item)
                a, b = pair
                item = cur_file.item(b.item)
                return LayoutFinding(cur_file.file, line, "key:history-state",
                                     f"differs from {a.item} of its last change "
                                     f"({hist_file.file} line {hist_line}): the history does "
                                     "not add up to the current state", item.no, item.name)
            yield from self._limited(problems(), finding)
