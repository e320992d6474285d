"""Declarations: a ``Table`` of ``Key``s, each with its kind, default, check and doc."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .kinds import Kind, MapOf, Sub, Tables, Variant


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()  # the default of a key that must be given


@dataclass(frozen=True, eq=False)
class Key:
    """One key of a table.

    ``default``: the value when the key is absent (``REQUIRED``: it must be given; a callable:
    computed then). ``check``: after conversion, returns what is wrong (completing "KEY: …") or
    None. ``doc``: one line for the reference and the example file.
    """

    name: str
    kind: Kind
    default: Any = None
    doc: str = ""
    check: Callable[[Any], str | None] | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True, eq=False)
class Table:
    """A table's keys. ``name`` is how the file spells the table (``hub.tls``, ``providers``)."""

    name: str
    keys: tuple[Key, ...]
    doc: str = ""
    by_name: dict[str, Key] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = [k.name for k in self.keys]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name} declares a key twice")
        object.__setattr__(self, "by_name", {k.name: k for k in self.keys})

    def key(self, name: str) -> Key:
        return self.by_name[name]


@dataclass(frozen=True)
class Place:
    """Where a declared table sits in a document: the steps from the root, each a key name with
    how it nests (``sub``: a table; ``array``: the first of an array of tables; ``map``: one
    entry of a table of user-chosen names)."""

    steps: tuple[tuple[str, str], ...]
    table: Table
    tagged: bool = False  # one of a Variant's tables: its first key says which


def tables(root: Table) -> Iterator[Place]:
    """Every table a document of ``root`` can hold, root first (generated tests walk these)."""
    yield from _walk(root, ())


def _walk(table: Table, steps: tuple[tuple[str, str], ...],
          tagged: bool = False) -> Iterator[Place]:
    yield Place(steps, table, tagged)
    for key in table.keys:
        kind = key.kind
        how = "sub"
        if isinstance(kind, MapOf):
            kind, how = kind.value, "map"
        if isinstance(kind, Sub):
            yield from _walk(kind.table, (*steps, (key.name, how)))
        elif isinstance(kind, Tables):
            declared = kind.table
            for option in declared.tables if isinstance(declared, Variant) else (declared,):
                yield from _walk(option, (*steps, (key.name, "array")),
                                 tagged=isinstance(declared, Variant))
