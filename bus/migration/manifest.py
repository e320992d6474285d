"""The manifest of an extract (移行ファイル一式の目録): ``manifest.json`` beside the CSV files.

It names the layout and its version (so a file of another version is never read as this one),
the municipality, the producing system, and per file its row count and SHA-256 (so a truncated
or altered file is found before anything is loaded), plus the character changes the export made
(vendor 外字 → MJ, by code point and MJ文字図形名, with counts: no text). Read strictly: an
unknown key is a finding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .findings import LayoutFinding

NAME = "manifest.json"
FORMAT = 1
_KEYS = ("format", "layout", "version", "local_gov_code", "producer", "created", "files",
         "character_changes")
_FILE_KEYS = ("rows", "sha256")
_CHANGE_KEYS = ("from", "to", "kind", "count")


@dataclass(frozen=True)
class CharacterChange:
    """One kind of character change, counted: ``U+E001 → MJ028902`` (外字 → MJ) or
    ``MJ028902 → U+9AD8`` (縮退) or ``MJ026201 → U+F100`` (MJ → the target's 外字)."""

    source: str
    target: str
    kind: str  # "gaiji-to-mj" | "mj-to-gaiji" | "shrink"
    count: int

    def to_json(self) -> dict:
        return {"from": self.source, "to": self.target, "kind": self.kind, "count": self.count}

    def __str__(self) -> str:
        return f"{self.source} → {self.target} ({self.kind}) ×{self.count}"


@dataclass(frozen=True)
class FileEntry:
    rows: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    layout: str
    version: str
    local_gov_code: str
    producer: str
    created: str
    files: dict[str, FileEntry]
    character_changes: tuple[CharacterChange, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "layout": self.layout, "version": self.version,
                "local_gov_code": self.local_gov_code, "producer": self.producer,
                "created": self.created,
                "files": {n: {"rows": e.rows, "sha256": e.sha256}
                          for n, e in self.files.items()},
                "character_changes": [c.to_json() for c in self.character_changes]}

    def write(self, folder: Path) -> Path:
        path = folder / NAME
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n",
                       encoding="utf-8")
        tmp.replace(path)
        return path


def read_manifest(folder: Path) -> tuple[Manifest | None, list[LayoutFinding]]:
    """The folder's manifest, or None with findings saying why it cannot be used."""
    path = folder / NAME

    def finding(rule: str, message: str) -> LayoutFinding:
        return LayoutFinding(NAME, None, rule, message)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [finding("manifest:missing", f"no {NAME}: it names the layout version and "
                              "each file's rows and SHA-256")]
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [finding("manifest:syntax", f"not UTF-8 JSON: {exc}")]
    if not isinstance(data, dict):
        return None, [finding("manifest:syntax", "must be a JSON object")]
    problems = [finding("manifest:unknown-key", f"unknown key {k!r} (expected one of "
                        f"{', '.join(_KEYS)})") for k in data if k not in _KEYS]
    for key in ("layout", "version", "local_gov_code", "producer", "created"):
        if not isinstance(data.get(key), str):
            problems.append(finding("manifest:field", f"{key} must be a string"))
    if data.get("format") != FORMAT:
        problems.append(finding("manifest:format", f"format must be {FORMAT}"))
    files: dict[str, FileEntry] = {}
    raw_files = data.get("files")
    if not isinstance(raw_files, dict):
        problems.append(finding("manifest:field", "files must be an object: name → "
                                "{rows, sha256}"))
        raw_files = {}
    for name, entry in raw_files.items():
        if not isinstance(entry, dict) or set(entry) != set(_FILE_KEYS) or \
                type(entry.get("rows")) is not int or not isinstance(entry.get("sha256"), str):
            problems.append(finding("manifest:field", f"files.{name} must be exactly "
                                    "{\"rows\": integer, \"sha256\": hex}"))
            continue
        files[name] = FileEntry(entry["rows"], entry["sha256"])
    changes = []
    for i, c in enumerate(data.get("character_changes", [])):
        if not isinstance(c, dict) or set(c) != set(_CHANGE_KEYS):
            problems.append(finding("manifest:field", f"character_changes[{i}] must have "
                                    f"exactly {', '.join(_CHANGE_KEYS)}"))
            continue
        changes.append(CharacterChange(str(c["from"]), str(c["to"]), str(c["kind"]),
                                       int(c["count"])))
    if problems:
        return None, problems
    return Manifest(data["layout"], data["version"], data["local_gov_code"], data["producer"],
                    data["created"], files, tuple(changes)), []
