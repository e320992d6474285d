"""Payloads as an operator sees them by default: structure kept, every value masked.

Only the platform header's routing metadata stays readable (message IDs, 団体コード, 業務ユニット,
system and service IDs, times); every other text and attribute value — names, 宛名番号, 個人番号,
addresses, the header's UserId — becomes ``***``. Revealing the real payload is a separate,
logged operator action (``service.AdminService.reveal``).

Interim home: the hardening work puts one masking function in the pure core; this one moves
there (or calls it) once it lands.
"""

from __future__ import annotations

from lxml import etree

from ..core.header import HEADER_NS

MASK = "***"
_READABLE = frozenset(f"{{{HEADER_NS}}}{name}" for name in (
    "MessageId", "RelatesTo", "LocalGovCode", "BusinessUnit", "SystemId", "ServiceId", "Version",
    "SentAt", "LinkageKind", "StandardVersion", "RequestHash"))
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False, remove_blank_text=True)


def mask_payload(raw: bytes) -> str:
    """The message with every value but the routing metadata masked, pretty-printed."""
    try:
        root = etree.fromstring(raw, _PARSER)
    except etree.XMLSyntaxError:
        return f"(not well-formed XML, {len(raw)} bytes: not shown)"
    for el in root.iter():
        if not isinstance(el.tag, str):  # comments, processing instructions: dropped content
            el.text = MASK if el.text else el.text
            continue
        if el.text and el.text.strip() and el.tag not in _READABLE:
            el.text = MASK
        if el.tail and el.tail.strip():
            el.tail = MASK
        for name in el.attrib:
            if name != "algorithm":
                el.attrib[name] = MASK
    return etree.tostring(root, encoding="unicode", pretty_print=True)
