"""中間標準レイアウト as data: layouts, record files and items, read strictly from TOML.

A *layout* (one 業務ユニット, one version) is a set of *record files* (住民, 世帯, 異動履歴 …), each
a CSV file whose header row is its items' names in order. An *item* (項目) has a number
(項目番号), a name (項目名), a type (文字 text, 数字 number, 日付 date YYYYMMDD, コード code), a
length, whether it is required (必須), and optionally a code list, an identifier rule (check
digit) and a character rule. Keys across files are declared too (references, member counts,
histories); ``bus.migration.keys`` checks them.

pfbus ships its own versions (``schemas/layouts/*.toml``); an official layout is a drop-in file of
the same format. Every table is read strictly: an unknown key is an error naming file and key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemas
from bus.core.codelists import CodeList, CodeListError

BUILTIN_LAYOUTS = Path(schemas.__file__).with_name("layouts")
FORMAT = 1
TYPES = ("text", "number", "date", "code")  # 文字, 数字, 日付, コード
TYPE_LABELS = {"text": "文字", "number": "数字", "date": "日付", "code": "コード"}
IDENTIFIERS = ("local_gov_code", "individual_number", "addressee_number")
CHARACTER_RULES = ("mj", "jisx0213", "katakana", "ascii")


class LayoutError(ValueError):
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


# --- the strict reader ---------------------------------------------------------------------------

class _Reader:
    """Typed, strict access to one TOML table: unknown keys are errors naming the file and key."""

    def __init__(self, path: Path, table: Mapping[str, Any], where: str):
        self.path, self.table, self.where = path, table, where

    def error(self, key: str | None, message: str) -> LayoutError:
        name = f"{self.where}.{key}" if self.where and key else (key or self.where or "-")
        return LayoutError(f"{self.path}: {name}: {message}")

    def only(self, *keys: str) -> None:
        for key in self.table:
            if key not in keys:
                raise self.error(key, f"unknown key (expected one of {', '.join(keys)})")

    def get(self, key: str, kind: type, default: Any = ..., choices: Iterable[Any] = ()) -> Any:
        if key not in self.table:
            if default is ...:
                raise self.error(key, "is required")
            return default
        value = self.table[key]
        if kind is int and (type(value) is not int):
            raise self.error(key, "must be an integer")
        if kind is not int and not isinstance(value, kind):
            raise self.error(key, f"must be a {kind.__name__}")
        choices = tuple(choices)
        if choices and value not in choices:
            raise self.error(key, f"must be one of {', '.join(map(str, choices))}")
        return value

    def names(self, key: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(key, list, default)
        if not all(isinstance(v, str) and v for v in value):
            raise self.error(key, "must be a list of item names")
        return tuple(value)

    def sub(self, key: str, value: Any) -> _Reader:
        if not isinstance(value, dict):
            raise self.error(key, "must be a table")
        return _Reader(self.path, value, f"{self.where}.{key}" if self.where else key)

    def array(self, key: str) -> list[_Reader]:
        value = self.get(key, list, [])
        return [self.sub(f"{key}[{i}]", v) for i, v in enumerate(value)]


def _item(r: _Reader) -> Item:
    r.only("no", "name", "type", "length", "exact", "required", "codelist", "identifier",
           "characters", "description")
    item = Item(no=r.get("no", int), name=r.get("name", str), type=r.get("type", str, ..., TYPES),
                length=r.get("length", int, None), exact=r.get("exact", bool, False),
                required=r.get("required", bool, False), codelist=r.get("codelist", str, None),
                identifier=r.get("identifier", str, None, IDENTIFIERS),
                characters=r.get("characters", str, None, CHARACTER_RULES))
    if item.no < 1 or (item.length is not None and item.length < 1):
        raise r.error("no" if item.no < 1 else "length", "must be positive")
    if item.characters and item.type != "text":
        raise r.error("characters", "only text (文字) items have a character rule")
    if item.exact and item.length is None:
        raise r.error("exact", "needs a length")
    if item.type == "date" and item.length not in (None, 8):
        raise r.error("length", "a date (日付) is always YYYYMMDD, 8 digits")
    return item


def _record_file(r: _Reader, codelists: Mapping[str, CodeList]) -> RecordFile:
    r.only("record", "title", "file", "key", "order", "items", "description")
    items = tuple(_item(ir) for ir in r.array("items"))
    if not items:
        raise r.error("items", "a record file needs at least one item")
    names = [i.name for i in items]
    for attr, values in (("name", names), ("no", [i.no for i in items])):
        dup = next((v for v in values if values.count(v) > 1), None)
        if dup is not None:
            raise r.error("items", f"item {attr} {dup!r} appears twice")
    for item in items:
        if item.codelist and item.codelist not in codelists:
            raise r.error("items", f"{item.label}: code list {item.codelist!r} is not declared "
                                   f"in [codelists]")
    f = RecordFile(record=r.get("record", str), title=r.get("title", str),
                   file=r.get("file", str), items=items, key=r.names("key"),
                   order=r.names("order", []))
    if not f.file.endswith(".csv") or "/" in f.file or "\\" in f.file:
        raise r.error("file", "must be a plain file name ending in .csv")
    for attr in ("key", "order"):
        missing = [n for n in getattr(f, attr) if n not in names]
        if missing:
            raise r.error(attr, f"not items of this file: {', '.join(missing)}")
    return f


def _ref(r: _Reader, key: str, files: Mapping[str, RecordFile], text: Any = None) -> ItemRef:
    value = r.get(key, str) if text is None else text
    record, _, item = str(value).partition(".")
    if record not in files:
        raise r.error(key, f"{value!r}: no record file {record!r} in this layout")
    if item not in files[record].header:
        raise r.error(key, f"{value!r}: {record} has no item {item!r}")
    return ItemRef(record, item)


def parse_layout(path: Path, data: Mapping[str, Any]) -> Layout:
    r = _Reader(path, data, "")
    r.only("format", "layout", "version", "title", "unit", "source", "codelists", "files",
           "references", "member_counts", "histories")
    if r.get("format", int) != FORMAT:
        raise r.error("format", f"must be {FORMAT}")
    codelists: dict[str, CodeList] = {}
    for name, rel in r.get("codelists", dict, {}).items():
        if not isinstance(rel, str):
            raise r.error(f"codelists.{name}", "must be a path (relative to this file)")
        try:
            codelists[name] = CodeList.load(name, (path.parent / rel))
        except CodeListError as exc:
            raise r.error(f"codelists.{name}", str(exc)) from None
    files: dict[str, RecordFile] = {}
    for fr in r.array("files"):
        f = _record_file(fr, codelists)
        if f.record in files or any(g.file == f.file for g in files.values()):
            raise fr.error("record", f"record {f.record!r} or file {f.file!r} declared twice")
        files[f.record] = f
    if not files:
        raise r.error("files", "a layout needs at least one record file")
    references = []
    for rr in r.array("references"):
        rr.only("from", "to")
        references.append(Reference(_ref(rr, "from", files), _ref(rr, "to", files)))
    counts = []
    for cr in r.array("member_counts"):
        cr.only("count", "key", "of", "where")
        where = cr.get("where", dict, None)
        wi = wv = None
        if where is not None:
            wr = cr.sub("where", where)
            wr.only("item", "equals")
            wi, wv = _ref(wr, "item", files), wr.get("equals", str)
        counts.append(MemberCount(_ref(cr, "count", files), _ref(cr, "key", files),
                                  _ref(cr, "of", files), wi, wv))
    histories = []
    for hr in r.array("histories"):
        hr.only("history", "order", "current", "match")
        pairs = []
        for pair in hr.get("match", list, []):
            if not (isinstance(pair, list) and len(pair) == 2):
                raise hr.error("match", "must be a list of [history item, current item] pairs")
            pairs.append((_ref(hr, "match", files, pair[0]), _ref(hr, "match", files, pair[1])))
        histories.append(History(_ref(hr, "history", files), _ref(hr, "order", files),
                                 _ref(hr, "current", files), tuple(pairs)))
    return Layout(layout=r.get("layout", str), version=r.get("version", str),
                  title=r.get("title", str), unit=r.get("unit", str),
                  files=tuple(files.values()), codelists=codelists,
                  references=tuple(references), member_counts=tuple(counts),
                  histories=tuple(histories), source=str(path))


def load_layout(path: str | Path) -> Layout:
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise LayoutError(f"{path}: cannot read layout: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"{path}: not valid TOML: {exc}") from None
    return parse_layout(path, data)


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
        unique = [p for p in paths if not (p.resolve() in seen or seen.add(p.resolve()))]
        return cls(load_layout(p) for p in unique)

    def get(self, layout: str, version: str) -> Layout | None:
        return self._layouts.get((layout, version))

    def versions(self, layout: str) -> list[str]:
        return sorted(v for (name, v) in self._layouts if name == layout)

    def __iter__(self):
        return iter(self._layouts.values())
