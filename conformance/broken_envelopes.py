"""Envelopes of the right version whose own structure is broken (P-SOAP-09, round 39b).

SOAP 1.1 §4 and SOAP 1.2 Part 1 §5 give the Envelope at most one Header, first, and exactly one
Body, after it and last; the platform's messages put exactly one element in the Body (the
request, notice or Fault). docs/faults.md: an Envelope of the right version that is broken — two
Bodies, a Body without one element, content after the Body — is refused ``PF-SOAP-ENVELOPE``,
``soap:Client`` / ``env:Sender``, rule ``soap:envelope``: SOAP names no other code for them.
Earlier cases sent none of these shapes (P-SOAP-08 sends another namespace, P-HOST-* XML that
is not well-formed or holds a DTD): the thirty-ninth blind batch answered a Body holding no
element PF-PROVIDER-INTERNAL from a dispatcher that took the Body's first child without looking.

Each tamper keeps the document well-formed and of the request's own SOAP version:

- ``body_empty``: the Body holds nothing; ``body_blank``: white space only;
- ``body_two_elements``: the payload twice in one Body;
- ``two_bodies``: the whole Body twice;
- ``element_after_body``: an element of another namespace after the Body;
- ``two_headers``: the Header twice; ``header_after_body``: the Header after the Body.
"""

from __future__ import annotations

import re

_BODY = re.compile(rb"(<soap:Body>)(.*)(</soap:Body>)", re.DOTALL)
_HEADER = re.compile(rb"<soap:Header>.*?</soap:Header>", re.DOTALL)
_AFTER = b'<x:After xmlns:x="urn:example:conformance:after">content after the Body</x:After>'

TAMPERS = ("body_empty", "body_blank", "body_two_elements", "two_bodies", "element_after_body",
           "two_headers", "header_after_body")


def tamper(raw: bytes, how: str) -> bytes:
    """``raw`` (the suite's request, prefix ``soap`` for the envelope) broken as ``how`` says."""
    body, header = _BODY.search(raw), _HEADER.search(raw)
    if body is None or header is None:
        raise ValueError("a broken envelope needs the suite's own soap:Header and soap:Body")
    whole = body.group(0)
    if how == "body_empty":
        return raw.replace(whole, body.group(1) + body.group(3), 1)
    if how == "body_blank":
        return raw.replace(whole, body.group(1) + b"\n  \t\n" + body.group(3), 1)
    if how == "body_two_elements":
        return raw.replace(whole, body.group(1) + body.group(2) * 2 + body.group(3), 1)
    if how == "two_bodies":
        return raw.replace(whole, whole * 2, 1)
    if how == "element_after_body":
        return raw.replace(whole, whole + _AFTER, 1)
    if how == "two_headers":
        return raw.replace(header.group(0), header.group(0) * 2, 1)
    if how == "header_after_body":
        return raw.replace(header.group(0), b"", 1).replace(whole, whole + header.group(0), 1)
    raise ValueError(f"broken envelope: unknown {how!r}; known: {', '.join(TAMPERS)}")
