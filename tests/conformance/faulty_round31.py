"""Faulty products for round 31b (docs/conformance-testing.md, "Round 31b"), each the reference
adapter with ONE defect, written from the classes the thirty-first blind batch's misses showed (the
SOAP version read from something other than the media type; an answer's encoding path that loses
characters), not from the batch's variants:

- a text/xml request carrying an ``action`` parameter taken for SOAP 1.2, and refused as a version
  error (``action-parameter-names-soap12``) — P-EQUIV-01's ``other-versions-action`` over SOAP 1.1;
- a request carrying a SOAPAction field taken for SOAP 1.1, and an application/soap+xml one then
  refused as a version error (``soapaction-field-names-soap11``) — the same variant over SOAP 1.2;
- a request in UTF-16 answered in UTF-16 written as UCS-2: every character beyond the BMP (a
  supplementary ideograph, an IVS selector) becomes ``?`` (``utf16-answered-as-ucs2``) — J-CHR-09,
  which asks the residents holding them in UTF-16.
"""

from __future__ import annotations

import codecs
import re

from bus.core import faults
from bus.core.faults import SOAP11_NS, HubFault, fault_envelope
from bus.core.header import HEADER_NS

from .faulty_round25 import ALL
from .proxy import Call, Reply, header_findtext, tree
from .references import JUKI_PROFILE


def _version_error(call: Call) -> Reply:
    """The product's VersionMismatch fault, as it writes one for an envelope it reads as the
    other version's (SOAP 1.1, HTTP 500, naming the request's MessageId: docs/faults.md)."""
    message_id = header_findtext(tree(call.request), f"/{{{HEADER_NS}}}MessageId")
    return Reply(500, fault_envelope(HubFault(faults.VERSION_MISMATCH, message_id=message_id),
                                     SOAP11_NS))


def action_parameter_names_soap12(call: Call) -> bytes | Reply:
    """"An action parameter is SOAP 1.2's": a text/xml request with one is refused as a SOAP 1.2
    media type carrying a SOAP 1.1 envelope."""
    ctype = call.received.get("content-type", "").lower()
    if ctype.startswith("text/xml") and re.search(r";\s*action=", ctype):
        return _version_error(call)
    return call.request


def soapaction_field_names_soap11(call: Call) -> bytes | Reply:
    """"A SOAPAction field is SOAP 1.1's": an application/soap+xml request with one is refused
    as a SOAP 1.1 request carrying a SOAP 1.2 envelope."""
    ctype = call.received.get("content-type", "").lower()
    if ctype.startswith("application/soap+xml") and "soapaction" in call.received:
        return _version_error(call)
    return call.request


_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")


def utf16_answered_as_ucs2(call: Call) -> Reply:
    """A UTF-16 request answered in UTF-16 by a writer of 2-byte units only (UCS-2): what needs
    a surrogate pair is written ``?``."""
    reply = call.reply
    assert reply is not None
    if not call.request.startswith((codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE)):
        return reply
    text = _BEYOND_BMP.sub("?", reply.body.decode("utf-8"))
    text = re.sub(r"^<\?xml[^>]*\?>", '<?xml version="1.0" encoding="UTF-16"?>', text)
    return Reply(reply.status, codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
                 re.sub(r"charset=[\w-]+", "charset=utf-16", reply.content_type))


ROUND31_FAULTS: list[tuple] = [
    ("action-parameter-names-soap12", "RQ-SOAP-06", ALL, ("P-EQUIV-01/*",)),
    # (its fault is SOAP 1.1's, as for a version error: answered in another version, INV-SOAP-04)
    ("soapaction-field-names-soap11", "RQ-SOAP-06", ALL, ("P-EQUIV-01/*", "INV-SOAP-04")),
    # (俞 without its selector is no MJ character: INV-MSG-02 judges every answer's characters)
    ("utf16-answered-as-ucs2", "RQ-MSG-06", (JUKI_PROFILE,), ("J-CHR-09", "INV-MSG-02")),
]
ROUND31_NAMES = {entry[0] for entry in ROUND31_FAULTS}
ROUND31_WIRE = {
    "action-parameter-names-soap12": {"on_request": action_parameter_names_soap12},
    "soapaction-field-names-soap11": {"on_request": soapaction_field_names_soap11},
    "utf16-answered-as-ucs2": {"on_reply": utf16_answered_as_ucs2},
}
