"""A juki:Change without some of its elements (任意要素の省略): the ``Omit`` field of a grid
change (S-OPT-01, optional_elements.py) names XPaths from juki:Change to leave out of the change
grid_notices.notice_body writes."""

from __future__ import annotations

from lxml import etree

NS = {"juki": "urn:pfbus:unit:juki:v1", "cmn": "urn:pfbus:platform:common:v1"}


def omitted(change: str, paths: str) -> str:
    """``change`` (one juki:Change, its prefixes declared by the notice around it) without the
    elements at ``paths`` ("|"-separated XPaths from juki:Change)."""
    declared = " ".join(f'xmlns:{p}="{uri}"' for p, uri in NS.items())
    wrapper = etree.fromstring(f"<w {declared}>{change}</w>")
    for path in paths.split("|"):
        for el in wrapper[0].xpath(path, namespaces=NS):
            el.getparent().remove(el)
    # the declarations stay on the wrapper: the Change is written back without them
    return "".join(etree.tostring(wrapper, encoding="unicode").partition(">")[2]
                   .rpartition("</w>")[:1])
