"""Building extracts for the migration tests: vendor A's seeded registry exported, then edited
line by line (with the manifest rewritten to match, unless a test means the manifest to lie)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from adapters.sdk.migration import export_extract
from adapters.vendor_a_registry import GAIJI_TABLE
from adapters.vendor_a_registry.migration import VendorAExporter, populate, seed_as_stored
from adapters.vendor_a_registry.store import RegistryStore
from bus.core.gaiji import GaijiTable


def vendor_a_store(path: Path, residents: int = 40) -> RegistryStore:
    store = RegistryStore.open(path)
    seed_as_stored(store, GaijiTable.load(GAIJI_TABLE))
    if residents:
        populate(store, residents)
    return store


def export_vendor_a(folder: Path, residents: int = 40) -> Path:
    """A valid juki/pfbus-1 extract of vendor A's seeded registry (+ synthetic residents)."""
    folder.mkdir(parents=True, exist_ok=True)
    store = vendor_a_store(folder.parent / f"{folder.name}-vendor-a.sqlite3", residents)
    try:
        export_extract(VendorAExporter(store), folder, gaiji=GaijiTable.load(GAIJI_TABLE))
    finally:
        store.close()
    return folder


def lines(folder: Path, name: str) -> list[bytes]:
    """The file's lines, each with its line break."""
    return (folder / name).read_bytes().splitlines(keepends=True)


def rewrite(folder: Path, name: str, edit: Callable[[list[bytes]], list[bytes] | None], *,
            manifest: bool = True) -> None:
    """Edit the lines of one file; the manifest's rows and SHA-256 follow unless told not to."""
    current = lines(folder, name)
    new = edit(current)
    data = b"".join(current if new is None else new)
    (folder / name).write_bytes(data)
    if manifest:
        path = folder / "manifest.json"
        m = json.loads(path.read_text(encoding="utf-8"))
        m["files"][name] = {"rows": max(len(data.splitlines()) - 1, 0),
                            "sha256": hashlib.sha256(data).hexdigest()}
        path.write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")


def set_field(line: bytes, index: int, value: str) -> bytes:
    """The same CSV line (no quotes in it) with field ``index`` (0-based) replaced."""
    text = line.decode("utf-8")
    end = "\r\n" if text.endswith("\r\n") else "\n" if text.endswith("\n") else ""
    fields = text[:len(text) - len(end)].split(",")
    fields[index] = value
    return (",".join(fields) + end).encode("utf-8")


def field(line: bytes, index: int) -> str:
    return line.decode("utf-8").rstrip("\r\n").split(",")[index]
