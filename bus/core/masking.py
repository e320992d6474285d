"""Showing a stored payload to an operator without its personal data (個人情報のマスキング).

``mask_payload`` is the one rule every command or page that shows a payload applies unless the
operator asks to reveal it (with a recorded reason): ``pfbus dlq show``, the operations console.

The rule keeps what an operator needs to see what went wrong — the envelope, the platform header
(IDs, parties, service, times: metadata, no resident's data), every element name and the shape of
the body — and hides every value in the SOAP Body: text and attribute values alike, whatever the
schema, so a field a new catalog adds is hidden too. Only values that are codes or counts, never a
person's data, stay visible (``VISIBLE_VALUES``: code-list values, page and sequence numbers,
dates of the event itself). A payload that is not XML is not shown at all.
"""

from __future__ import annotations

from lxml import etree

from .envelope import Limits, parse_document
from .faults import SOAP11_NS, SOAP12_NS, HubFault

MASK = "***"
# Local names of body elements whose values are codes or counts, not a person's data.
VISIBLE_VALUES = frozenset({
    "Code", "Category", "Event", "ResidentKind", "ResidentStatus", "QualificationStatus",
    "LinkageKind", "Sequence", "Page", "PageSize", "TotalCount", "TotalPages", "FiscalYear",
    "ExtractId", "AsOf", "OccurredOn", "NotifiedOn", "RecordedOn", "Status", "Reason",
})


def mask_payload(raw: bytes, visible: frozenset[str] = VISIBLE_VALUES) -> str:
    """``raw`` (a SOAP message) as text with every personal value of its Body replaced by
    ``***``; a payload that cannot be parsed is described, never shown."""
    try:
        root = parse_document(raw, Limits(max_bytes=max(len(raw), 1)))
    except HubFault as fault:
        return f"(not shown: {len(raw)} bytes that are not a readable XML message, {fault.fault.code})"
    for body in root.iter(f"{{{SOAP11_NS}}}Body", f"{{{SOAP12_NS}}}Body"):
        for el in body.iter():
            if not isinstance(el.tag, str):  # comments, processing instructions
                if el.text:
                    el.text = MASK
                continue
            for name in el.attrib:
                el.attrib[name] = MASK
            if el.text and el.text.strip() and etree.QName(el).localname not in visible:
                el.text = MASK
            if el.tail and el.tail.strip():
                el.tail = MASK
    return str(etree.tostring(root, encoding="unicode"))
