"""Faulty products for round 16b's classes (docs/conformance.md, "Round 16b"), each the reference
adapter behind a front end with ONE defect, written from the class, not from the sixteenth
batch's variants:

- HTTP and XML forms (P-EQUIV-01, S-EQUIV-01): a media type compared after a split at ``;``
  without trimming; prefixes resolved from the payload's own start tag; a prefix resolved by the
  first declaration of it in the text.
"""

from __future__ import annotations

import re

from bus.core import faults

from .faulty_round15 import _refusal
from .proxy import Call, Reply
from .references import JUKI_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE, SUB_PROFILE, TAX_PROFILE

ALL = (JUKI_PROFILE, TAX_PROFILE, SUB_PROFILE, KOKUHO_PROFILE, KOKUHO_SUB_PROFILE)
PROVIDERS = (JUKI_PROFILE, TAX_PROFILE, KOKUHO_PROFILE)
# every service's P-EQUIV-01 and, on a subscriber, S-EQUIV-01
_EQUIV = ("P-EQUIV-01/*", "S-EQUIV-01")

_MEDIA_TYPES = ("text/xml", "application/soap+xml")


def _content_type(call: Call) -> str:
    return next((v for k, v in call.headers.items() if k.lower() == "content-type"), "")


# --- HTTP and XML forms (P-EQUIV-01, S-EQUIV-01) -------------------------------------------------

def media_type_untrimmed(call: Call) -> bytes | Reply:
    """The front end takes the media type as what precedes the first ``;``, lower-cased but not
    trimmed: ``text/xml ; charset=utf-8`` names the media type ``text/xml `` and is refused."""
    media = _content_type(call).split(";")[0].lower()
    if media.strip() in _MEDIA_TYPES and media not in _MEDIA_TYPES:
        return _refusal(call, faults.CONTENT_TYPE, "http:content-type", "unsupported media type")
    return call.request


_PREFIX_USED = re.compile(rb"<(?:([\w.-]+):)?[\w.-]+")
_DECLARED = re.compile(rb'xmlns(?::([\w.-]+))?="')


def payload_prefixes_local(call: Call) -> bytes | Reply:
    """The payload is read by a streaming reader that looks prefixes up in the namespace
    declarations of the payload's own start tag (its namespace context misused): a payload
    whose prefix, or default namespace, is declared on soap:Body or the Envelope is an unknown
    element to it."""
    body = call.request.split(b"Body", 1)
    if len(body) < 2:
        return call.request
    start = re.search(rb">\s*(<[^>!?]+>)", body[1])
    if start is None:
        return call.request
    tag = start.group(1)
    used = _PREFIX_USED.match(tag)
    prefix = (used.group(1) or b"") if used else b""
    declared = {(m.group(1) or b"") for m in _DECLARED.finditer(tag)}
    if prefix not in declared:
        return _refusal(call, faults.SCHEMA_INVALID, "service:element",
                        "the body element is not a request of this service")
    return call.request


_DECLARATION = re.compile(rb'xmlns:([\w.-]+)="([^"]*)"')
_PAYLOAD_NAMESPACES = (b"urn:pfbus:unit:", b"urn:pfbus:platform:common:")


def first_declaration_wins(call: Call) -> bytes | Reply:
    """Prefixes are resolved by a table built from the request's text, the first declaration of
    each prefix kept (a later ``xmlns:p`` taken for a repeat): a payload prefix the Envelope
    binds to another namespace and the payload rebinds is read in the outer namespace."""
    first: dict[bytes, bytes] = {}
    for m in _DECLARATION.finditer(call.request):
        first.setdefault(m.group(1), m.group(2))
    last = {m.group(1): m.group(2) for m in _DECLARATION.finditer(call.request)
            if m.group(2).startswith(_PAYLOAD_NAMESPACES)}
    if any(first.get(p) != ns for p, ns in last.items()):
        return _refusal(call, faults.SCHEMA_INVALID, "service:element",
                        "the body element is not a request of this service")
    return call.request


# (name, the requirement it breaks, profiles, targets[, targets by profile]): faulty.Faulty's
ROUND16B_FAULTY: list[tuple] = [
    ("media-type-untrimmed", "RQ-SOAP-06", ALL, _EQUIV),
    ("payload-prefixes-local", "RQ-SOAP-06", ALL, _EQUIV),
    ("first-declaration-wins", "RQ-SOAP-06", ALL, _EQUIV),
]

ROUND16B_WIRE = {
    "media-type-untrimmed": {"on_request": media_type_untrimmed},
    "payload-prefixes-local": {"on_request": payload_prefixes_local},
    "first-declaration-wins": {"on_request": first_declaration_wins},
}
ROUND16B_HANDLERS: dict = {}
