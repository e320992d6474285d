"""Code lists (コード表) as data: CSV files with ``code,label,group`` named in a schema catalog.

Replacing a code list (e.g. with the official 異動事由 codes) is replacing its file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


class CodeListError(ValueError):
    pass


@dataclass(frozen=True)
class CodeList:
    name: str
    labels: dict[str, str]  # code -> label (名称)
    groups: dict[str, str]  # code -> group, where the list has groups (記載/消除/修正)

    def __contains__(self, code: str) -> bool:
        return code in self.labels

    @classmethod
    def load(cls, name: str, path: Path) -> CodeList:
        try:
            with path.open(encoding="utf-8-sig", newline="") as f:
                rows = list(csv.DictReader(f))
        except OSError as exc:
            raise CodeListError(f"code list {name!r}: cannot read {path}: {exc.strerror}") from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise CodeListError(f"code list {name!r}: {path} is not a UTF-8 CSV file: {exc}") \
                from None
        labels: dict[str, str] = {}
        groups: dict[str, str] = {}
        for n, row in enumerate(rows, start=2):
            code = (row.get("code") or "").strip()
            if not code:
                raise CodeListError(f"{path}:{n}: code list {name!r} has a row without a code")
            if code in labels:
                raise CodeListError(f"{path}:{n}: code list {name!r} repeats code {code!r}")
            labels[code] = (row.get("label") or "").strip()
            if row.get("group"):
                groups[code] = row["group"].strip()
        if not labels:
            raise CodeListError(f"{path}: code list {name!r} is empty")
        return cls(name, labels, groups)
