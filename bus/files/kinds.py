"""File kinds (ファイル種別): which uploaded file is what, by its name.

A kind's pattern (``juki_change_{local_gov_code}_*.csv``) gives the 団体コード of the file; its
layout, version and record name the ``RecordFile`` of the 中間標準レイアウト catalog whose
``FileValidator`` judges it. Catalog files are declared in ``bus/core/settings/file_kinds.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from schemas import BUILTIN_FILE_KINDS

from ..core.identifiers import is_valid_local_gov_code
from ..core.settings import SettingsError, Source, load_toml, read
from ..core.settings.file_kinds import CODE, FILE_KINDS
from ..migration.layout import Layout, LayoutCatalog, RecordFile


class FileKindError(SettingsError):
    """A file kind catalog that cannot be used; names the file and the key."""


@dataclass(frozen=True)
class FileKind:
    kind: str
    title: str
    pattern: str
    layout: Layout = field(repr=False)
    record: RecordFile = field(repr=False)
    regex: re.Pattern[str]

    def code_of(self, name: str) -> str | None:
        """The 団体コード in ``name`` when the name is of this kind (check digit included)."""
        m = self.regex.fullmatch(name)
        if m is None or not is_valid_local_gov_code(m["code"]):
            return None
        return m["code"]


def compile_pattern(pattern: str) -> re.Pattern[str]:
    head, _, tail = pattern.partition(CODE)

    def part(text: str) -> str:
        return ".*?".join(re.escape(p) for p in text.split("*"))
    return re.compile(part(head) + "(?P<code>[0-9]{6})" + part(tail))


class FileKindCatalog:
    def __init__(self, kinds: Iterable[FileKind]):
        self.kinds: dict[str, FileKind] = {}
        for k in kinds:
            self.kinds[k.kind] = k

    @classmethod
    def load(cls, files: Iterable[str | Path] = ("builtin",),
             layouts: LayoutCatalog | None = None) -> FileKindCatalog:
        layouts = layouts or LayoutCatalog.load()
        kinds: dict[str, FileKind] = {}
        for name in files:
            path = BUILTIN_FILE_KINDS if name == "builtin" else Path(name)
            doc = read(FILE_KINDS, load_toml(path, FileKindError, "file kinds"),
                       Source(str(path), path.parent, FileKindError))
            for entry in doc["kinds"]:
                layout = layouts.get(entry["layout"], entry["version"])
                if layout is None:
                    raise entry.error("layout", f"layout {entry['layout']}/{entry['version']} "
                                                "is not in the layout catalog")
                record = next((f for f in layout.files if f.record == entry["record"]), None)
                if record is None:
                    raise entry.error("record", f"layout {layout.ident} has no record file "
                                      f"{entry['record']!r} (it has "
                                      f"{', '.join(f.record for f in layout.files)})")
                if entry["kind"] in kinds:
                    raise entry.error("kind", f"file kind {entry['kind']!r} is declared twice")
                kinds[entry["kind"]] = FileKind(entry["kind"], entry["title"], entry["pattern"],
                                                layout, record, compile_pattern(entry["pattern"]))
        return cls(kinds.values())

    def identify(self, name: str) -> tuple[FileKind, str] | None:
        """(kind, 団体コード) of a file name, or None when no kind's pattern fits."""
        for kind in self.kinds.values():
            code = kind.code_of(name)
            if code is not None:
                return kind, code
        return None

    def __contains__(self, kind: str) -> bool:
        return kind in self.kinds
