"""A file's manifest (ファイル目録): ``NAME.manifest.json`` beside an uploaded file, naming what
the file name cannot — its layout and version (and record file), its 団体コード, the sending
system, its row count and SHA-256 — so a file of any name can be routed, and a file cut off or
altered after it was written is found before anything is delivered.

    {"format": 1, "layout": "juki", "version": "pfbus-1", "record": "change",
     "local_gov_code": "131016", "sender": "131016/01/vendor-a-registry",
     "rows": 120, "sha256": "81fbebdc…"}

``record`` may be left out when the layout has one record file; ``sender`` may be left out (the
account's party is used). Read strictly: an unknown key or a wrong type is a finding. Pure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..core.identifiers import is_valid_local_gov_code
from ..migration.findings import LayoutFinding
from .kinds import FileKind, FileKindCatalog

SUFFIX = ".manifest.json"
FORMAT = 1
_KEYS = {"format", "layout", "version", "record", "local_gov_code", "sender", "rows", "sha256"}
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class FileManifest:
    kind: FileKind
    local_gov_code: str
    sender: str | None
    rows: int
    sha256: str


def manifest_target(name: str) -> str | None:
    """``NAME`` for ``NAME.manifest.json``, else None."""
    if name.endswith(SUFFIX) and len(name) > len(SUFFIX) and not name.startswith("."):
        return name[:-len(SUFFIX)]
    return None


def read_file_manifest(name: str, data: bytes, kinds: FileKindCatalog
                       ) -> tuple[FileManifest | None, list[LayoutFinding]]:
    """The manifest of file ``name`` (its bytes ``data``), or None with findings."""
    where = name + SUFFIX

    def finding(rule: str, message: str) -> LayoutFinding:
        return LayoutFinding(where, None, rule, message)
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [finding("manifest:syntax", f"not UTF-8 JSON: {exc.__class__.__name__}")]
    if not isinstance(doc, dict):
        return None, [finding("manifest:syntax", "must be a JSON object")]
    problems = [finding("manifest:unknown-key", f"unknown key {k!r} (expected "
                        f"{', '.join(sorted(_KEYS))})") for k in doc if k not in _KEYS]
    if doc.get("format") != FORMAT:
        problems.append(finding("manifest:format", f"format must be {FORMAT}"))
    for key in ("layout", "version", "local_gov_code"):
        if not isinstance(doc.get(key), str):
            problems.append(finding("manifest:field", f"{key} must be a string"))
    for key in ("record", "sender"):
        if key in doc and not isinstance(doc[key], str):
            problems.append(finding("manifest:field", f"{key} must be a string"))
    if type(doc.get("rows")) is not int or doc["rows"] < 0:
        problems.append(finding("manifest:field", "rows must be a whole number"))
    if not isinstance(doc.get("sha256"), str) or not _SHA256.fullmatch(doc["sha256"].lower()):
        problems.append(finding("manifest:field", "sha256 must be 64 hex digits"))
    if problems:
        return None, problems
    code = doc["local_gov_code"]
    if not is_valid_local_gov_code(code):
        return None, [finding("manifest:local_gov_code", "is not a valid 団体コード (6 digits, "
                              "check digit)")]
    candidates = [k for k in kinds.kinds.values() if k.layout.layout == doc["layout"]
                  and k.layout.version == doc["version"]
                  and ("record" not in doc or k.record.record == doc["record"])]
    if len(candidates) != 1:
        what = "no file kind" if not candidates else "more than one file kind (name the record)"
        return None, [finding("manifest:kind", f"{what} of layout {doc['layout']}/"
                              f"{doc['version']}" + (f" record {doc['record']}"
                                                     if "record" in doc else ""))]
    return FileManifest(candidates[0], code, doc.get("sender"), doc["rows"],
                        doc["sha256"].lower()), []
