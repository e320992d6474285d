"""Findings of the layout validator: where (file, line, item) and which rule — never the value.

A migration file holds a whole municipality's personal data; a report of it is read by people
who must not see that data (a procurement officer, the other vendor). So a finding names the
position (file, line, 項目番号 and 項目名), the rule and what is wrong in general terms ("12
characters, at most 10"), and never quotes the value, not even a part of it. Characters are named
by code point and MJ文字図形名, which identify a glyph, not a person.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class LayoutFinding:
    file: str  # the CSV file's name ("resident.csv"), or "manifest.json"
    line: int | None  # the line the record starts on (1 = the header)
    rule: str  # "type:date", "identifier:individual_number", "key:duplicate" …
    message: str  # general terms only, never the value
    item_no: int | None = None  # 項目番号
    item_name: str | None = None  # 項目名

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "")
        item = f" 項目{self.item_no} {self.item_name}" if self.item_no is not None else (
            f" {self.item_name}" if self.item_name else "")
        return f"{where}:{item} [{self.rule}] {self.message}"

    def to_json(self) -> dict:
        return asdict(self)
