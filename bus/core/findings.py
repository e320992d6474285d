"""Findings: what validation found wrong in a message, precisely enough to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One problem in one place.

    ``rule`` names what was broken (``xsd:pattern``, ``local_gov_code``, ``codelist:gender``…),
    ``path`` is a named element path with prefixes (``/soap:Envelope/soap:Body/juki:…``), ``line``
    the line in the message as received. ``message`` explains it to the sender; it may quote the
    offending value, so it goes into the fault for the sender but never into the routing log.
    """

    rule: str
    message: str
    path: str | None = None
    line: int | None = None

    @property
    def is_schema(self) -> bool:
        """Broken XSD or the service's document shape (``xsd:…``, ``service:…``), not a rule beyond
        XSD: the one split of PF-SCHEMA-INVALID from PF-RULE-VIOLATION (docs/faults.md)."""
        return self.rule.startswith(("xsd:", "service:"))

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "no line"
        return f"{where}: {self.path or '-'}: [{self.rule}] {self.message}"


def breaks_schema(findings: Iterable[Finding]) -> bool:
    """Whether any finding is a schema one: a message breaking the XSD and a rule beyond it is
    answered as schema-invalid."""
    return any(f.is_schema for f in findings)
