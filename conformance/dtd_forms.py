"""Document type declarations in the forms P-HOST-01…03 never send (P-HOST-08, round 15).

SOAP forbids a DTD in a message (SOAP 1.1 §3, SOAP 1.2 Part 1 §5); docs/faults.md answers one
with PF-XML-DTD naming soap:no-dtd, and docs/security.md refuses "a DTD anywhere in the prolog
… in any encoding". P-HOST-01…03 put their DOCTYPE right after the XML declaration, in UTF-8,
each declaring a general entity the header then uses — so a product that looks for
``<!ENTITY name``, for the DOCTYPE right after the declaration, or for the bytes ``<!DOCTYPE``
in UTF-8 refuses all three and passes. These tampers send a DOCTYPE each such product misses:

- ``dtd_without_subset``: ``<!DOCTYPE soap:Envelope>``, no internal subset, nothing declared;
- ``dtd_after_comment``: a comment before the DOCTYPE (XML 1.0 2.8: Misc may precede it), its
  subset declaring an element only. No processing instruction beside it (round 15b): over SOAP
  1.2 a receiver may refuse one first (SOAP 1.2 Part 1 §5, a Sender fault), and the form must
  be judged by its DTD alone;
- ``dtd_parameter_entity``: a subset declaring a parameter entity only (``<!ENTITY % …``);
- ``dtd_utf16``: P-HOST-01's internal DTD with its entity, the whole request in UTF-16 with its
  byte order mark (XML 1.0 4.3.3; P-ENC-03 shows UTF-16 is read).

None uses an entity: a product that reads past the DOCTYPE sees a complete, valid request and
answers it — which is the defect (a normal answer where SOAP requires a refusal).
"""

from __future__ import annotations

DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'
TAMPERS = ("dtd_without_subset", "dtd_after_comment", "dtd_parameter_entity", "dtd_utf16")


def tamper(raw: bytes, how: str) -> bytes:
    """``raw`` (the suite's UTF-8 request, beginning with DECL) with the DOCTYPE form ``how``."""
    if not raw.startswith(DECL):
        raise ValueError("a DOCTYPE form needs the suite's own XML declaration")
    rest = raw[len(DECL):]
    if how == "dtd_without_subset":
        return DECL + b"<!DOCTYPE soap:Envelope>\n" + rest
    if how == "dtd_after_comment":
        return DECL + b"<!-- conformance: a comment before the DOCTYPE -->\n" \
            b"<!DOCTYPE soap:Envelope [<!ELEMENT soap:Envelope ANY>]>\n" + rest
    if how == "dtd_parameter_entity":
        return DECL + b'<!DOCTYPE soap:Envelope [<!ENTITY % conformance "declared only">]>\n' \
            + rest
    if how == "dtd_utf16":
        user_at = raw.index(b"UserId>") + len(b"UserId>")
        user = raw[user_at:raw.index(b"</", user_at)]
        text = DECL + b'<!DOCTYPE soap:Envelope [<!ENTITY user "' + user + b'">]>\n' + rest
        return text.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"', 1) \
            .encode("utf-16")
    raise ValueError(f"unknown DOCTYPE form {how!r}")
