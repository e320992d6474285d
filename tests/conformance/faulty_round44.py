"""Faulty products for round 44 (docs/conformance-testing.md, "Round 44"), each with ONE defect,
written from the classes of the forty-fourth blind batch's misses, not from its variants — each a
front end in front of the reference adapter (a TamperProxy):

Round 44a, persistent connections (P-WIRE-02):

- a front end that reads each request through a reader of its own, made when the request
  arrives (``pipelined-request-lost``): the bytes it read past the body — a request pipelined
  behind it — go with it, and the connection waits for a request that came already;
- a front end that keeps every connection open after its answer (``close-option-ignored``): a
  request carrying Connection: close is answered, the connection left open;

Round 44b, byte order marks (P-HOST-04's new forms):

- a reader that removes every byte order mark at the start of a request, however many
  (``leading-marks-stripped``: ``lstrip``), so a second one, U+FEFF before the declaration, is
  read as a signature;
- a prolog cleaner that drops U+FEFF between the XML declaration and the root element
  (``mark-after-declaration-dropped``), as a file concatenator's leftovers.

Round 44c, a change of 住民種別 (S-IDCHG-01's new notice), the subscribers:

- a store that keeps 日本人住民 and 外国人住民 apart and finds a resident by (住民種別, 宛名番号)
  (``resident-kind-in-key``): a change carrying the other 住民種別 is written as a new resident,
  the one held under the 宛名番号 left as it was.

Round 44d, the media type (P-MEDIA-01):

- a front end that reads every POST as SOAP whatever its Content-Type names, the version from
  the envelope (``media-type-unread``): a request sent as application/json, text/plain or
  text/html is answered.
"""

from __future__ import annotations

import codecs
import hashlib

from lxml import etree

from bus.hub.http_answers import soap_ns_of_content_type
from conformance.grid import with_check_digit

from .faulty_round16b import JUKI
from .faulty_round19 import ALL
from .faulty_round43 import CMN
from .faulty_round42 import answered_for_the_bytes_sent
from .proxy import Call, serialize, tree
from .references import KOKUHO_SUB_PROFILE, SUB_PROFILE

BOM = codecs.BOM_UTF8
SUBSCRIBERS = (SUB_PROFILE, KOKUHO_SUB_PROFILE)


def pipelined_request_lost(handler) -> None:
    handler.rfile = handler.connection.makefile("rb", handler.rbufsize)


def close_option_ignored(handler) -> None:
    handler.close_connection = False


def leading_marks_stripped(call: Call) -> bytes:
    return call.request.lstrip(BOM) if call.request.startswith(BOM * 2) else call.request


def mark_after_declaration_dropped(call: Call) -> bytes:
    raw = call.request
    if not raw.lstrip(BOM).startswith(b"<?xml") or b"?>" not in raw:
        return raw
    end = raw.index(b"?>") + 2
    root = raw.find(b"<", end)
    return raw[:end] + raw[end:root].replace(BOM, b"") + raw[root:] if root > 0 else raw


def media_type_unread(call: Call) -> bytes:
    ctype = call.headers.get("Content-Type") or call.headers.get("content-type") or ""
    if soap_ns_of_content_type(ctype.encode("latin-1")) is None:
        soap12 = b"http://www.w3.org/2003/05/soap-envelope" in call.request[:400]
        for name in [k for k in call.headers if k.lower() == "content-type"]:
            del call.headers[name]
        call.headers["Content-Type"] = ("application/soap+xml; charset=utf-8" if soap12
                                        else "text/xml; charset=utf-8")
    return call.request


def resident_kind_in_key(call: Call) -> bytes:
    if b"ResidentChangeNotice" not in call.request:
        return call.request
    try:
        root = tree(call.request)
    except (etree.XMLSyntaxError, ValueError):
        return call.request
    kinds = call.state.setdefault("resident_kinds", {})  # 宛名番号 → the 住民種別 first held
    changed = False
    for resident in root.iter(f"{{{JUKI}}}Resident"):
        number = resident.find(f"{{{CMN}}}AddresseeNumber")
        kind = (resident.findtext(f"{{{CMN}}}ResidentKind") or "").strip()
        if number is None or not kind:
            continue
        held = kinds.setdefault((number.text or "").strip(), kind)
        if kind != held:  # the other table: a record of its own, keyed by (kind, number)
            digest = hashlib.sha256(f"{kind}:{number.text}".encode()).digest()
            number.text = with_check_digit(
                f"{int.from_bytes(digest[:8], 'big') % 10**9:09d}", "addressee")
            changed = True
    return serialize(root) if changed else call.request


ROUND44_FAULTS: list[tuple] = [
    ("pipelined-request-lost", "RQ-SOAP-18", ALL, ("P-WIRE-02",)),
    ("close-option-ignored", "RQ-SOAP-18", ALL, ("P-WIRE-02",)),
    ("leading-marks-stripped", "RQ-FAULT-07", ALL, ("P-HOST-04/*",)),
    ("mark-after-declaration-dropped", "RQ-FAULT-07", ALL, ("P-HOST-04/*",)),
    ("resident-kind-in-key", "RQ-SUB-04", SUBSCRIBERS, ("S-IDCHG-01",)),
    ("media-type-unread", "RQ-SOAP-19", ALL, ("P-MEDIA-01",)),
]
ROUND44_NAMES = {entry[0] for entry in ROUND44_FAULTS}
ROUND44_WIRE = {
    "pipelined-request-lost": {"front": pipelined_request_lost},
    "close-option-ignored": {"front": close_option_ignored},
    "leading-marks-stripped": {"on_request": leading_marks_stripped,
                               "on_reply": answered_for_the_bytes_sent},
    "mark-after-declaration-dropped": {"on_request": mark_after_declaration_dropped,
                                       "on_reply": answered_for_the_bytes_sent},
    "resident-kind-in-key": {"on_request": resident_kind_in_key,
                             "on_reply": answered_for_the_bytes_sent},
    "media-type-unread": {"on_request": media_type_unread},
}
