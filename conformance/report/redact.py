"""Masking personal data in the report's copy of the evidence (``--redact``).

A procurement file travels far; the test data look real (names, 宛名番号). The elements listed in
``redaction.toml`` lose their text in the evidence, and every masked value — plus the values of
the listed parameters — is masked wherever else it appears in the report (findings, command
output). The exchanged bytes are still identified by their SHA-256, taken before masking.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from lxml import etree

from .. import xmlread
from ..grid import model_path

MASK = "[redacted]"
REDACTION_FILE = Path(__file__).resolve().parents[1] / "redaction.toml"
_MIN_GLOBAL = 3  # shorter values (a code "1", a 丁目 "2") are masked in their element only


class Redactor:
    """Masks nothing when disabled, so the report code has one path."""

    def __init__(self, enabled: bool, prefixes: Mapping[str, str],
                 params: Mapping[str, object], file: Path = REDACTION_FILE):
        self.enabled = enabled
        self.values: set[str] = set()
        self.tags: set[str] = set()
        if not enabled:
            return
        with file.open("rb") as f:
            doc = tomllib.load(f)
        by_prefix = {p: ns for ns, p in prefixes.items()}
        for name in doc.get("elements", []):
            prefix, _, local = name.partition(":")
            if prefix in by_prefix:
                self.tags.add(f"{{{by_prefix[prefix]}}}{local}")
        for name in doc.get("params", []):
            if name in params and len(str(params[name])) >= _MIN_GLOBAL:
                self.values.add(str(params[name]))
        if "model_data" in params:
            # the grids' findings quote the test data (expected values), not only the evidence:
            # every personal element of that file is masked too
            self.xml(model_path(str(params["model_data"])).read_text("utf-8"))

    def xml(self, text: str) -> str:
        """A message with the personal elements' text masked (collects the masked values)."""
        if not self.enabled or not text.strip():
            return text
        try:
            # comments and PIs dropped: a value split by one is masked whole, and a comment's
            # own text (which may quote anything) does not reach the report
            root = etree.fromstring(text.encode("utf-8"), xmlread.parser())
        except etree.XMLSyntaxError:
            return self.text(text)
        for el in root.iter(*self.tags):
            if el.text and el.text.strip():
                if len(el.text.strip()) >= _MIN_GLOBAL:
                    self.values.add(el.text.strip())
                el.text = MASK
        # a fault's text may quote the value it refuses (P-NEIGH-01's ' 0000010022 '): the known
        # values are masked in the rest of the message too
        return self.text(etree.tostring(root, encoding="unicode"))

    def text(self, text: str) -> str:
        """Free text with every known personal value masked (longest first)."""
        if not self.enabled or not text:
            return text
        for value in sorted(self.values, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text

    def params(self, params: Mapping[str, object]) -> dict[str, object]:
        return {k: (MASK if self.enabled and str(v) in self.values else v)
                for k, v in params.items()}

    def all_text(self, texts: Iterable[str]) -> list[str]:
        return [self.text(t) for t in texts]
