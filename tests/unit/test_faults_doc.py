"""docs/faults.md against the code list (bus/core/faults.py): every code the hub or the SDK can
emit is documented with its party and HTTP status, and no PF- code is used in the code without
being declared. (Doc-vs-code checks in general belong to `gates`; this one is hardening's.)"""

from __future__ import annotations

import re
from pathlib import Path

from bus.core.faults import ALL_CODES

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `(PF-[A-Z0-9-]+)` \| (\w+) \| (\d{3}) \|", re.MULTILINE)
USED = re.compile(r"[\"'`](PF-[A-Z0-9]+(?:-[A-Z0-9]+)*)")


def documented() -> dict[str, tuple[str, int]]:
    rows = ROW.findall((ROOT / "docs" / "faults.md").read_text(encoding="utf-8"))
    table = {code: (party, int(status)) for code, party, status in rows}
    assert len(table) == len(rows), "a code is documented twice"
    return table


def test_every_code_is_documented_with_its_party_and_status():
    declared = {c.code: (c.party.value, c.http_status) for c in ALL_CODES}
    table = documented()
    assert sorted(set(declared) - set(table)) == [], "declared but not in docs/faults.md"
    assert sorted(set(table) - set(declared)) == [], "in docs/faults.md but not declared"
    wrong = {code: (table[code], declared[code]) for code in declared
             if table[code] != declared[code]}
    assert wrong == {}, "docs/faults.md (party, status) vs bus/core/faults.py"


def test_no_undeclared_code_is_used_in_the_code():
    declared = {c.code for c in ALL_CODES}
    used = {}
    for folder in ("bus", "adapters"):
        for path in (ROOT / folder).rglob("*.py"):
            for code in USED.findall(path.read_text(encoding="utf-8")):
                used.setdefault(code, path.relative_to(ROOT).as_posix())
    assert {c: p for c, p in used.items() if c not in declared} == {}
