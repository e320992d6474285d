"""Misspelt keys of declared settings tables (bus/core/settings): what the typo tests of the hub
config, the catalogs, the layouts, the conformance suite and [files] feed in."""

from __future__ import annotations

from bus.core.settings import Table, tables


def misspellings(word: str) -> list[str]:
    """A dropped letter and two neighbours swapped, in the middle of the word."""
    mid = len(word) // 2
    out = [word[:mid] + word[mid + 1:]]
    if len(word) > 2 and word[mid - 1] != word[mid]:
        out.append(word[:mid - 1] + word[mid] + word[mid - 1] + word[mid + 1:])
    return out


def cases(root: Table, per_key: int = 2) -> list[tuple]:
    """(place, declared key, misspelling) for every key of every table under ``root``."""
    out = []
    for place in tables(root):
        for key in place.table.keys:
            typos = [t for t in misspellings(key.name) if t not in place.table.by_name]
            out += [(place, key.name, typo) for typo in typos[:per_key]]
    return out
