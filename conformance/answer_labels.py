"""An answer's Content-Type and encoding names read as strictly as README says every product
reads a request (round 20, INV-ENC-01).

README ("Encodings and the Content-Type") settles what every receiver reads — UTF-8, UTF-16
with its byte order mark, US-ASCII; the charset names UTF-8, UTF-16 and US-ASCII in any case,
a token or a quoted-string; the Content-Type in RFC 9110's grammar — and what a receiver may
refuse. An answer is a message another product reads (the hub forwards it byte for byte), so
it is written within what every receiver reads:

- the Content-Type parses as RFC 9110 §8.3.1 / §5.6.6 write a media type: ``type "/" subtype
  *( OWS ";" OWS [ token "=" ( token / quoted-string ) ] )`` — no white space around ``=``, a
  quoted-string closed (§5.6.4); a charset given at most once (RFC 6838 §4.3);
- its charset, if any, is UTF-8, UTF-16 or US-ASCII (the IANA preferred MIME names; RFC 9110
  §8.3.2: case-insensitive) — not an alias a receiver need not know (``ascii``, ``cp367``),
  nor UTF-16LE / UTF-16BE (text without a BOM, which a receiver may refuse);
- its XML declaration's encoding, if any, names one of those three (XML 1.0 §4.3.3: a
  processor must read UTF-8 and UTF-16 only);
- a US-ASCII label or declaration is on bytes below 0x80 only (RFC 2046 §4.1.2, US-ASCII is
  7-bit), the rest written as character references.

What INV-SOAP-04 (the label against the body's encoding family), INV-MSG-11 (a UCS encoding,
a registered label) and INV-MSG-12 (answer_bytes.py: the BOM, byte order, legal bytes) judge is
not judged again here; only answers of an XML media type are read (another is INV-SOAP-04's).
"""

from __future__ import annotations

import re

from .answer_bytes import declared, written_in

READ_BY_EVERY_RECEIVER = ("utf-8", "utf-16", "us-ascii")
XML_MEDIA_TYPES = ("text/xml", "application/soap+xml", "application/xml")

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*"'
_OWS = r"[ \t]*"
_PARAMETER = re.compile(rf"{_OWS};{_OWS}(?:({_TOKEN})=({_TOKEN}|{_QUOTED}))?")
_MEDIA = re.compile(rf"({_TOKEN})/({_TOKEN})")


def parameters(value: str) -> list[tuple[str, str]] | str:
    """(name in lower case, value unquoted) of each parameter of a Content-Type ``value``, or
    why RFC 9110's grammar does not read it."""
    value = value.strip(" \t")  # a field value's surrounding OWS is not part of it (§5.5)
    m = _MEDIA.match(value)
    if m is None:
        return f"Content-Type {value!r}: no type/subtype (RFC 9110 §8.3.1)"
    out, at = [], m.end()
    while at < len(value):
        p = _PARAMETER.match(value, at)
        if p is None or p.end() == at:
            return (f"Content-Type {value!r}: not RFC 9110's parameters from {value[at:]!r} "
                    f"(§5.6.6: OWS \";\" OWS token \"=\" token or quoted-string, no white space "
                    f"around \"=\")")
        if p.group(1):
            raw = p.group(2)
            if raw.startswith('"'):
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])  # §5.6.4: a quoted-pair is its octet
            out.append((p.group(1).lower(), raw))
        at = p.end()
    return out


def problems(content_type: str, raw: bytes) -> list[str]:
    """What of the answer's labels (Content-Type ``content_type``, bytes ``raw``) a receiver
    that reads only what README says every product reads would not read (module docstring)."""
    if not content_type or content_type.split(";")[0].strip().lower() not in XML_MEDIA_TYPES:
        return []
    out: list[str] = []
    params = parameters(content_type)
    if isinstance(params, str):
        return [params]
    charsets = [v for k, v in params if k == "charset"]
    if len(charsets) > 1:
        out.append(f"charset given {len(charsets)} times ({', '.join(charsets)}): RFC 6838 "
                   f"§4.3, a receiver reads one")
    ascii_named = False
    for label in charsets[:1]:
        if label.lower() not in READ_BY_EVERY_RECEIVER:
            out.append(f"charset={label}: not a name every receiver reads (README: UTF-8, "
                       f"UTF-16, US-ASCII; it may refuse {label})")
        ascii_named |= label.lower() == "us-ascii"
    actual, bom = written_in(raw)
    decl = declared(raw, actual, bom) if raw else None
    if decl is not None and decl.lower() not in READ_BY_EVERY_RECEIVER:
        out.append(f"the XML declaration says encoding={decl!r}: not an encoding every receiver "
                   f"reads (XML 1.0 §4.3.3: UTF-8 and UTF-16; README: and US-ASCII)")
    ascii_named |= decl is not None and decl.lower() == "us-ascii"
    # the first byte above 0x7F, looked for only when US-ASCII was named (most answers name
    # UTF-8: a byte loop over every answer was a tenth of the invariants' time)
    high = None if not ascii_named or raw.isascii() else next(
        i for i, b in enumerate(raw) if b > 0x7F)
    if high is not None:
        out.append(f"labelled or declared US-ASCII, byte {high} is 0x{raw[high]:02X} (US-ASCII "
                   f"is 7-bit: every other character a character reference)")
    return out
