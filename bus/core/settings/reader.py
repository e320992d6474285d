"""Reading a parsed TOML document against its declaration.

Unknown keys are refused first, over the whole document (a typo is the likeliest mistake and
must never turn into a silent default), then each value is converted and checked in declaration
order. Every error names the file and the full key: ``FILE: providers[1].timout: unknown key in
[[providers]]; did you mean timeout?``.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .declare import REQUIRED, Table
from .kinds import Invalid, Kind, MapOf, Sub, Tables, Variant
from .suggest import nearest


class SettingsError(ValueError):
    """A file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Source:
    """A file being read: how errors name it, where its relative paths start, which error type
    its loader raises (ConfigError, CatalogError, SuiteError: all SettingsErrors)."""

    file: str
    base: Path
    error: type[SettingsError] = SettingsError

    def fail(self, key: str, message: str) -> SettingsError:
        return self.error(f"{self.file}: {key}: {message}" if key else f"{self.file}: {message}")


class Section(dict[str, Any]):
    """A table as read: key → converted value (defaults filled in), and where it is."""

    def __init__(self, values: dict[str, Any], source: Source, key: str, given: frozenset[str]):
        super().__init__(values)
        self.source = source
        self.key = key  # "providers[0]"; "" for the document itself
        self.given = given  # the keys the file sets

    def at(self, name: str) -> str:
        """The full key of ``name``: a declared key, possibly followed by ``[i]`` or ``.sub``."""
        return f"{self.key}.{name}" if self.key and name else self.key or name

    def error(self, name: str, message: str) -> SettingsError:
        """An error about key ``name`` of this table ("" for the table itself)."""
        return self.source.fail(self.at(name) if name else self.key, message)

    def path(self, name: str) -> Path | None:
        """The key's path, relative to the file's folder; None when not given."""
        value = self[name]
        return None if value is None else (self.source.base / value).resolve()

    def file(self, name: str) -> Path | None:
        """Like ``path``, and the file must exist."""
        path = self.path(name)
        if path is not None and not path.is_file():
            raise self.error(name, f"file not found: {path}")
        return path


def load_toml(path: Path, error: type[SettingsError], what: str = "") -> dict[str, Any]:
    """A TOML file parsed, or an error naming it (never an OSError or a TOMLDecodeError)."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise error(f"{path}: cannot read{' ' + what if what else ''}: "
                    f"{exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not valid TOML: not UTF-8 ({exc.reason})") from None


def read(table: Table, doc: Any, source: Source, key: str = "") -> Section:
    """``doc`` read against ``table``: unknown keys refused, values converted and checked."""
    _refuse_unknown(table, doc, source, key, f"[{table.name}]" if key else "the file's top level")
    return _table(table, doc, source, key)


BARE = re.compile(r"[A-Za-z0-9_-]+")


def join(prefix: str, name: str) -> str:
    """A key's full name, quoted as TOML quotes it when it is not bare."""
    part = name if BARE.fullmatch(name) else json.dumps(name, ensure_ascii=False)
    return f"{prefix}.{part}" if prefix else part


def unknown_key(name: str, table: Table, label: str) -> str:
    best = nearest(name, table.by_name)
    if best is not None:
        return f"unknown key in {label}; did you mean {best}?"
    return f"unknown key in {label}; known: {', '.join(table.by_name)}"


def _refuse_unknown(table: Table, raw: Any, source: Source, key: str, label: str) -> None:
    if not isinstance(raw, dict):
        return
    for name, value in raw.items():
        declared = table.by_name.get(name)
        if declared is None:
            raise source.fail(join(key, name), unknown_key(name, table, label))
        _refuse_unknown_in(declared.kind, value, source, join(key, name))


def _refuse_unknown_in(kind: Kind, value: Any, source: Source, key: str) -> None:
    if isinstance(kind, Sub):
        _refuse_unknown(kind.table, value, source, key, f"[{kind.table.name}]")
    elif isinstance(kind, Tables) and isinstance(value, list):
        for i, item in enumerate(value):
            table = _chosen(kind.table, item, source, f"{key}[{i}]", quiet=True)
            if table is not None:
                _refuse_unknown(table, item, source, f"{key}[{i}]", _label(kind.table, table))
    elif isinstance(kind, MapOf) and isinstance(value, dict):
        for name, item in value.items():
            _refuse_unknown_in(kind.value, item, source, join(key, name))


def _label(declared: Table | Variant, table: Table) -> str:
    if isinstance(declared, Variant):
        return f"[[{declared.name}]] ({table.keys[0].name})"
    return f"[[{table.name}]]"


def _chosen(declared: Table | Variant, raw: Any, source: Source, key: str,
            quiet: bool = False) -> Table | None:
    if not isinstance(declared, Variant):
        return declared
    if not isinstance(raw, dict):
        return None
    try:
        return declared.choose(raw)
    except Invalid as exc:
        if quiet:
            return None
        raise source.fail(key, exc.message) from None


def _table(table: Table, raw: Any, source: Source, key: str) -> Section:
    """What the file gives is checked first (in declaration order), then what it leaves out."""
    if not isinstance(raw, dict):
        raise source.fail(key, "must be a table")
    given: dict[str, Any] = {}
    for declared in table.keys:
        if declared.name in raw:
            full = join(key, declared.name)
            value = _value(declared.kind, raw[declared.name], source, full)
            problem = declared.check(value) if declared.check is not None else None
            if problem:
                raise source.fail(full, problem)
            given[declared.name] = value
    values: dict[str, Any] = {}
    for declared in table.keys:
        if declared.name in given:
            values[declared.name] = given[declared.name]
        elif declared.default is REQUIRED:
            raise source.fail(join(key, declared.name), "is required")
        else:
            values[declared.name] = _default(declared.kind, declared.default, source,
                                             join(key, declared.name))
    return Section(values, source, key, frozenset(raw))


def _default(kind: Kind, default: Any, source: Source, key: str) -> Any:
    if callable(default):
        return default()
    if default is not None and isinstance(kind, (Sub, Tables, MapOf)):
        return _value(kind, default, source, key)  # a nested table's own defaults
    return default


def _value(kind: Kind, raw: Any, source: Source, key: str) -> Any:
    if isinstance(kind, Sub):
        return _table(kind.table, raw, source, key)
    if isinstance(kind, Tables):
        if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw):
            raise source.fail(key, f"must be {kind.what}")
        out = []
        for i, item in enumerate(raw):
            table = _chosen(kind.table, item, source, f"{key}[{i}]")
            assert table is not None
            out.append(_table(table, item, source, f"{key}[{i}]"))
        return out
    if isinstance(kind, MapOf):
        if not isinstance(raw, dict):
            raise source.fail(key, f"must be a table of NAME = {kind.value.what}")
        return {name: _value(kind.value, item, source, join(key, name))
                for name, item in raw.items()}
    try:
        return kind.convert(raw)
    except Invalid as exc:
        raise source.fail(key + exc.at, exc.message) from None
