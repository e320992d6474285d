"""Faulty products for round 34 (docs/conformance-testing.md, "Round 34: the wire grid"), the
reference adapter with ONE defect that only a pair of wire forms shows:

- a request that starts with a UTF-16 byte order mark and has no XML declaration is decoded as
  UTF-16LE, Windows' "Unicode" (``bom-without-declaration-read-as-utf16le``): a big-endian one
  is not well-formed to it. P-EQUIV-01 sends UTF-16LE without a declaration and UTF-16BE with
  one, each right for this reader; only the wire grid (P-EQUIV-03, S-EQUIV-03) sends UTF-16BE
  without one.
"""

from __future__ import annotations

import codecs

from bus.core import faults
from bus.core.faults import SOAP11_NS, SOAP12_NS, HubFault, fault_envelope

from .faulty_round25 import ALL
from .proxy import Call, Reply

_DECLARATION_BE = "<?xml".encode("utf-16-be")


def bom_without_declaration_read_as_utf16le(call: Call) -> bytes | Reply:
    """UTF-16 without an XML declaration taken for UTF-16LE: a big-endian body is refused as
    not well-formed."""
    raw = call.request
    if not raw.startswith(codecs.BOM_UTF16_BE) or raw[2:].startswith(_DECLARATION_BE):
        return raw
    soap12 = call.received.get("content-type", "").lower().startswith("application/soap+xml")
    body = fault_envelope(HubFault(faults.MALFORMED_XML), SOAP12_NS if soap12 else SOAP11_NS)
    return Reply(400 if soap12 else 500, body,
                 "application/soap+xml; charset=utf-8" if soap12 else "text/xml; charset=utf-8")


ROUND34_FAULTS: list[tuple] = [
    # (a request it cannot read: its fault names no MessageId, INV-FAULT-06)
    ("bom-without-declaration-read-as-utf16le", "RQ-SOAP-06", ALL,
     ("P-EQUIV-03", "S-EQUIV-03", "INV-FAULT-06")),
]
ROUND34_NAMES = {entry[0] for entry in ROUND34_FAULTS}
ROUND34_WIRE = {
    "bom-without-declaration-read-as-utf16le": {
        "on_request": bom_without_declaration_read_as_utf16le},
}
