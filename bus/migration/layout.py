"""中間標準レイアウト as data: layouts, record files and items, read strictly from TOML.

A *layout* (one 業務ユニット, one version) is a set of *record files* (住民, 世帯, 異動履歴 …), each
a CSV file whose header row is its items' names in order. An *item* (項目) has a number
(項目番号), a name (項目名), a type (文字 text, 数字 number, 日付 date YYYYMMDD, コード code), a
length, whether it is required (必須), and optionally a code list, an identifier rule (check
digit) and a character rule. Keys across files are declared too (references, member counts,
histories); ``bus.migration.keys`` checks them.

pfbus ships its own versions (``schemas/layouts/*.toml``); an official layout is a drop-in file of
the same format. The file's keys are declared in ``bus.core.settings.layout`` and read by the one declarative
configuration layer: an unknown key is an error naming file and key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemas
from bus.core.codelists import CodeList, CodeListError
from bus.core.settings import Section, SettingsError, Source, load_toml, read
from bus.core.settings.layout import CHARACTER_RULES, IDENTIFIERS, LAYOUT, TYPES

BUILTIN_LAYOUTS = Path(schemas.__file__).with_name("layouts")
TYPE_LABELS = {"text": "文字", "number": "数字", "date": "日付", "code": "コード"}
__all__ = ["CHARACTER_RULES", "IDENTIFIERS", "TYPES", "Layout", "LayoutCatalog", "LayoutError",
           "load_layout"]


class LayoutError(SettingsError):
    """A layout file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Item:
    """項目: one column of a record file."""

    no: int  # 項目番号
    name: str  # 項目名, the CSV header
    type: str  # one of TYPES
    length: int | None = None  # max characters (graphemes) or digits
    exact: bool = False  # the length is exact (団体コード 6 digits)
    required: bool = False  # 必須
    codelist: str | None = None
    identifier: str | None = None  # one of IDENTIFIERS
    characters: str | None = None  # one of CHARACTER_RULES (text items)

    @property
    def label(self) -> str:
        """``項目3 世帯番号`` — how findings name the item."""
        return f"項目{self.no} {self.name}"


@dataclass(frozen=True)
class RecordFile:
    """One record type (住民, 世帯, 異動履歴 …) and its CSV file."""

    record: str  # id used in relations: "resident"
    title: str  # 住民
    file: str  # resident.csv
    items: tuple[Item, ...]
    key: tuple[str, ...]  # item names forming the record key
    order: tuple[str, ...] = ()  # item names the rows are sorted by (ascending, as strings)

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.items)

    def index(self, name: str) -> int:
        return self.header.index(name)

    def item(self, name: str) -> Item:
        return self.items[self.index(name)]


@dataclass(frozen=True)
class ItemRef:
    """``resident.世帯番号``: an item of a record file."""

    record: str
    item: str

    def __str__(self) -> str:
        return f"{self.record}.{self.item}"


@dataclass(frozen=True)
class Reference:
    """Every non-empty value of ``source`` is a key value of ``target``."""

    source: ItemRef
    target: ItemRef


@dataclass(frozen=True)
class MemberCount:
    """``count`` (of the row whose ``key`` is v) = number of ``of`` rows with value v (where
    ``where_item`` equals ``where_value``, when given): 世帯員数 against the 住民 file."""

    count: ItemRef
    key: ItemRef
    of: ItemRef
    where_item: ItemRef | None = None
    where_value: str | None = None


@dataclass(frozen=True)
class History:
    """Every ``current`` row has ``history`` rows, the last of which (by ``order``) matches it."""

    history: ItemRef
    order: ItemRef
    current: ItemRef
    match: tuple[tuple[ItemRef, ItemRef], ...]


@dataclass(frozen=True)
class Layout:
    layout: str  # "juki"
    version: str  # "pfbus-1"
    title: str
    unit: str  # 業務ユニット code
    files: tuple[RecordFile, ...]
    codelists: Mapping[str, CodeList] = field(default_factory=dict)
    references: tuple[Reference, ...] = ()
    member_counts: tuple[MemberCount, ...] = ()
    histories: tuple[History, ...] = ()
    source: str = ""

    @property
    def ident(self) -> str:
        return f"{self.layout}/{self.version}"

    def file(self, record: str) -> RecordFile:
        for f in self.files:
            if f.record == record:
                return f
        raise KeyError(record)

    def by_filename(self, name: str) -> RecordFile | None:
        return next((f for f in self.files if f.file == name), None)


# --- reading a layout file (declared in bus.core.settings.layout) -----------------------------

def _item(sec: Section) -> Item:
    item = Item(no=sec["no"], name=sec["name"], type=sec["type"], length=sec["length"],
                exact=sec["exact"], required=sec["required"], codelist=sec["codelist"],
                identifier=sec["identifier"], characters=sec["characters"])
    if item.characters and item.type != "text":
        raise sec.error("characters", "only text (文字) items have a character rule")
    if item.exact and item.length is None:
        raise sec.error("exact", "needs a length")
    if item.type == "date" and item.length not in (None, 8):
        raise sec.error("length", "a date (日付) is always YYYYMMDD, 8 digits")
    return item


def _record_file(sec: Section, codelists: Mapping[str, CodeList]) -> RecordFile:
    items = tuple(_item(i) for i in sec["items"])
    if not items:
        raise sec.error("items", "a record file needs at least one item")
    names = [i.name for i in items]
    unique_columns: tuple[tuple[str, list[Any]], ...] = (("name", names),
                                                         ("no", [i.no for i in items]))
    for attr, values in unique_columns:
        dup = next((v for v in values if values.count(v) > 1), None)
        if dup is not None:
            raise sec.error("items", f"item {attr} {dup!r} appears twice")
    for item in items:
        if item.codelist and item.codelist not in codelists:
            raise sec.error("items", f"{item.label}: code list {item.codelist!r} is not "
                                     "declared in [codelists]")
    f = RecordFile(record=sec["record"], title=sec["title"], file=sec["file"], items=items,
                   key=tuple(sec["key"]), order=tuple(sec["order"]))
    for attr in ("key", "order"):
        missing = [n for n in getattr(f, attr) if n not in names]
        if missing:
            raise sec.error(attr, f"not items of this file: {', '.join(missing)}")
    return f


def _ref(sec: Section, key: str, files: Mapping[str, RecordFile], text: str | None = None
         ) -> ItemRef:
    value = sec[key] if text is None else text
    record, _, item = value.partition(".")
    if record not in files:
        raise sec.error(key, f"{value!r}: no record file {record!r} in this layout")
    if item not in files[record].header:
        raise sec.error(key, f"{value!r}: {record} has no item {item!r}")
    return ItemRef(record, item)


def parse_layout(path: Path, data: Mapping[str, Any]) -> Layout:
    doc = read(LAYOUT, data, Source(str(path), path.parent, LayoutError))
    codelists: dict[str, CodeList] = {}
    for name, rel in doc["codelists"].items():
        try:
            codelists[name] = CodeList.load(name, path.parent / rel)
        except CodeListError as exc:
            raise doc.error(f"codelists.{name}", str(exc)) from None
    files: dict[str, RecordFile] = {}
    for sec in doc["files"]:
        f = _record_file(sec, codelists)
        if f.record in files or any(g.file == f.file for g in files.values()):
            raise sec.error("record", f"record {f.record!r} or file {f.file!r} declared twice")
        files[f.record] = f
    if not files:
        raise doc.error("files", "a layout needs at least one record file")
    references = tuple(Reference(_ref(r, "from", files), _ref(r, "to", files))
                       for r in doc["references"])
    counts = []
    for c in doc["member_counts"]:
        where = c["where"]
        counts.append(MemberCount(_ref(c, "count", files), _ref(c, "key", files),
                                  _ref(c, "of", files),
                                  None if where is None else _ref(where, "item", files),
                                  None if where is None else where["equals"]))
    histories = tuple(
        History(_ref(h, "history", files), _ref(h, "order", files), _ref(h, "current", files),
                tuple((_ref(h, "match", files, a), _ref(h, "match", files, b))
                      for a, b in h["match"]))
        for h in doc["histories"])
    return Layout(layout=doc["layout"], version=doc["version"], title=doc["title"],
                  unit=doc["unit"], files=tuple(files.values()), codelists=codelists,
                  references=references, member_counts=tuple(counts), histories=histories,
                  source=str(path))


def load_layout(path: str | Path) -> Layout:
    path = Path(path)
    return parse_layout(path, load_toml(path, LayoutError, "layout"))


class LayoutCatalog:
    """Every layout of some folders (the shipped ``schemas/layouts`` first), by (id, version)."""

    def __init__(self, layouts: Iterable[Layout]):
        self._layouts: dict[tuple[str, str], Layout] = {}
        for layout in layouts:
            key = (layout.layout, layout.version)
            if key in self._layouts:
                raise LayoutError(f"{layout.source}: layout {layout.ident} is already declared "
                                  f"by {self._layouts[key].source}")
            self._layouts[key] = layout

    @classmethod
    def load(cls, folders: Iterable[str | Path] = ()) -> LayoutCatalog:
        paths: list[Path] = []
        for folder in (BUILTIN_LAYOUTS, *map(Path, folders)):
            if folder.is_file():
                paths.append(folder)
            elif folder.is_dir():
                paths.extend(sorted(folder.glob("*.toml")))
            else:
                raise LayoutError(f"{folder}: no such layout file or folder")
        seen: set[Path] = set()
        unique = []
        for p in paths:
            if p.resolve() not in seen:
                seen.add(p.resolve())
                unique.append(p)
        return cls(load_layout(p) for p in unique)

    def get(self, layout: str, version: str) -> Layout | None:
        return self._layouts.get((layout, version))

    def versions(self, layout: str) -> list[str]:
        return sorted(v for (name, v) in self._layouts if name == layout)

    def __iter__(self):
        return iter(self._layouts.values())
