"""Test helpers live in tests/support/ (or a kit module beside the tests): a test module never
imports another test module (docs/contributing.md), so running, moving or deleting one test file
never breaks another."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_test_module_imports_another():
    pattern = re.compile(r"^\s*(from|import)\s+(tests(\.\w+)*\.|\.+)test_\w+", re.M)
    offenders = [f"{path.relative_to(TESTS)}: {m.group(0).strip()}"
                 for path in TESTS.rglob("*.py")
                 for m in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []
