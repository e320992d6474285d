"""Reports of a run: JSON (the document), JUnit XML (CI), HTML (people), a manifest with the
SHA-256 of each, and a certificate summary carrying the report's digest (``digest``)."""

from __future__ import annotations

import json
from pathlib import Path

from ..runner import RunResult
from . import digest, document, html, junit
from .digest import verify

__all__ = ["verify", "write_report"]


def write_report(result: RunResult, directory: Path, *, redact: bool = False) -> str:
    """Write the report folder; returns the report digest (SHA-256 of its manifest)."""
    doc = document.build(result, redact=redact)
    files = {
        "report.json": (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
        "junit.xml": junit.render(doc),
        "report.html": html.render(doc),
    }
    return digest.write(Path(directory), files, doc)
