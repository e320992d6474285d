"""docs/schemas.md's table of the built-in schema set agrees with schemas/catalog.toml: every root
XSD of the catalog is a row (file and namespace), every row is a root XSD of the catalog, and each
row names the services whose request is an element of that namespace."""

from __future__ import annotations

import re
from pathlib import Path

from bus.core.catalog import Catalog
from schemas import BUILTIN_CATALOG

DOC = Path(__file__).resolve().parents[2] / "docs" / "schemas.md"
ROW = re.compile(r"^\| `(?P<file>[^`]+\.xsd)` \| `(?P<ns>[^`]+)` \| (?P<what>.*) \|$")


def documented() -> dict[str, tuple[str, str]]:
    """file → (namespace, what) of each row of the built-in set's table."""
    section = DOC.read_text("utf-8").split("## The built-in set", 1)[1].split("\n## ", 1)[0]
    rows = [ROW.match(line) for line in section.splitlines() if line.startswith("| `")]
    assert all(rows), "a row of the built-in set's table is not | `file` | `namespace` | what |"
    return {m["file"]: (m["ns"], m["what"]) for m in rows if m}


def test_every_root_xsd_of_the_builtin_catalog_is_documented_and_nothing_else():
    catalog = Catalog.load([BUILTIN_CATALOG])
    root = Path(BUILTIN_CATALOG).parent.resolve()
    declared = {path.resolve().relative_to(root).as_posix(): ns
                for ns, path in catalog.schema_files.items()}
    assert {f: ns for f, (ns, _) in documented().items()} == declared


def test_each_service_is_named_in_the_row_of_its_request_namespace():
    catalog = Catalog.load([BUILTIN_CATALOG])
    by_ns = {ns: what for ns, what in documented().values()}
    for sid, spec in catalog.services.items():
        ns, local = spec.request_tag[1:].split("}")
        operation = sid.rpartition(".")[2]
        assert operation in by_ns.get(ns, ""), (
            f"docs/schemas.md: the row of {ns} does not name {sid} ({local})")
