"""The files a catalog's WSDLs and XSDs refer to stay inside the catalog's folder.

The hub serves a catalog's WSDLs and XSDs (``/schemas/<catalog>/…``) and only files inside that
folder; a reference outside it (``../other/x.xsd``) or to a missing file would be a broken link
for every client, so the catalog is refused at load, naming the file and the reference.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XS_NS = "http://www.w3.org/2001/XMLSchema"
REFERENCES = ((f"{{{XS_NS}}}import", "schemaLocation"), (f"{{{XS_NS}}}include", "schemaLocation"),
              (f"{{{XS_NS}}}redefine", "schemaLocation"), (f"{{{WSDL_NS}}}import", "location"))


def reference_problem(start: Path, root: Path, wsdl: bool) -> str | None:
    """What is wrong with the local references reachable from ``start`` (a WSDL or an XSD), or
    None. Remote references (``http://…``) are left to the schema compiler (no network), and so
    is an XSD that is not XML (it names the file and line); a WSDL must be XML (the hub rewrites
    its addresses)."""
    root = root.resolve()
    seen: set[Path] = set()
    pending = [start.resolve()]
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        try:
            tree = etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False))
        except (OSError, etree.XMLSyntaxError) as exc:
            if wsdl and path == start.resolve():
                return f"{_rel(path, root)}: not readable XML: {exc}"
            continue
        for tag, attr in REFERENCES:
            for el in tree.iter(tag):
                location = el.get(attr)
                if not location or "://" in location:
                    continue
                target = (path.parent / location).resolve()
                if root not in target.parents:
                    return (f"{_rel(path, root)} refers to {location!r}, outside the catalog's "
                            f"folder {root}")
                if not target.is_file():
                    return f"{_rel(path, root)} refers to {location!r}: file not found: {target}"
                pending.append(target)
    return None


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if root in path.parents else str(path)
