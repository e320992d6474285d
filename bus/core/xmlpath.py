"""Named element paths for findings: ``/soap:Envelope/soap:Body/juki:Request/cmn:Name[2]``.

lxml reports positional paths (``/*/*[10]/*``) that nobody can read; operators and vendors need
the element names, with an index only where siblings share a name.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree


def qname_text(tag: str, prefixes: Mapping[str, str], own_prefix: str | None = None) -> str:
    """``{ns}local`` as ``prefix:local`` using the catalog's prefixes, else the document's own."""
    if not tag.startswith("{"):
        return tag
    ns, local = tag[1:].split("}", 1)
    prefix = prefixes.get(ns) or own_prefix
    return f"{prefix}:{local}" if prefix else f"{{{ns}}}{local}"


def element_path(el: etree._Element, prefixes: Mapping[str, str] = {}) -> str:
    steps = []
    node: etree._Element | None = el
    while node is not None:
        parent = node.getparent()
        step = qname_text(node.tag, prefixes, node.prefix)
        if parent is not None:
            same = [s for s in parent if s.tag == node.tag]
            if len(same) > 1:
                step += f"[{same.index(node) + 1}]"
        steps.append(step)
        node = parent
    return "/" + "/".join(reversed(steps))


def keep_end(path: str | None, width: int = 50) -> str:
    """A path shortened for a column by dropping its START, never its end (the end names the
    element that was wrong): ``…/pfh:Sender/pfh:LocalGovCode``. Whole steps only."""
    if not path or len(path) <= width:
        return path or ""
    kept: list[str] = []
    for step in reversed(path.split("/")):
        if kept and len("/".join([step, *kept])) + 2 > width:
            break
        kept.insert(0, step)
    return "…/" + "/".join(kept)
