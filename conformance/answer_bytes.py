"""An answer's bytes judged strictly against the encoding rules (応答の符号化, INV-MSG-12).

The suite parses answers with lxml, which — like most parsers — reads more than the rules allow:
UTF-16 without a byte order mark (it guesses the byte order from ``<``), a charset label that
disagrees with a declaration it does not need. INV-SOAP-04 and INV-MSG-11 compared the label with
an encoding *family* (``utf-16`` for any of UTF-16, UTF-16LE and UTF-16BE), so an answer in
UTF-16LE without a BOM labelled ``charset=utf-16`` passed, and a receiver that follows the
rules (RFC 2781 §4.3: UTF-16 without a BOM is big-endian) reads every character of it as another.
Here each answer's bytes are judged as written:

- XML 1.0 §4.3.3: an entity in UTF-16 MUST begin with the byte order mark; one in another
  16-bit form without it (Appendix F.1: ``3C 00 3F 00`` / ``00 3C 00 3F``) must name UTF-16LE or
  UTF-16BE in its XML declaration, in the byte order it is written in;
- RFC 2781 §3.3 and §4.3, RFC 7303 §3.2: a ``charset=utf-16`` label is text with a BOM (without
  one it is big-endian); ``utf-16le`` / ``utf-16be`` label text without one (a leading U+FEFF
  is then a character: content before the XML declaration); ``utf-8`` labels no UTF-16;
- XML 1.0 §4.3.3 and Appendix F: the XML declaration's encoding names the encoding the bytes
  are in (a UTF-16 document declaring UTF-8, a UTF-8 one declaring UTF-16);
- XML 1.0 §4.3.3: bytes not legal in that encoding are a fatal error — decoded strictly (an odd
  length, a lone surrogate, a byte that is no UTF-8 sequence), never replaced.

Not judged here: which UCS encoding (INV-MSG-11), whether the label is there at all and names
the body's encoding family (INV-SOAP-04).
"""

from __future__ import annotations

import codecs
import re

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16le"),
         (codecs.BOM_UTF16_BE, "utf-16be"))
# Appendix F.1: the first characters of a document without a BOM in a 16-bit form
_NO_BOM_16 = ((b"<\0?\0", "utf-16le"), (b"\0<\0?", "utf-16be"), (b"<\0", "utf-16le"),
              (b"\0<", "utf-16be"))
_DECLARATION = re.compile(r"\A<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")


def _name(label: str) -> str | None:
    """A label's codec: ``utf-16``, ``utf-16le``, ``utf-16be``, ``utf-8``, … or None."""
    try:
        found = codecs.lookup(label.strip().strip('"')).name
    except LookupError:
        return None
    return {"utf-16-le": "utf-16le", "utf-16-be": "utf-16be"}.get(found, found)


def written_in(raw: bytes) -> tuple[str, bool]:
    """(the encoding the bytes are written in, whether they begin with a BOM): its BOM, else
    Appendix F.1's 16-bit forms, else UTF-8 (or whatever 8-bit encoding it declares)."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name, True
    for start, name in _NO_BOM_16:
        if raw.startswith(start):
            return name, False
    return "utf-8", False


def declared(raw: bytes, actual: str, bom: bool) -> str | None:
    """The XML declaration's encoding name, read in the code units the bytes are in."""
    head = raw[len(codecs.BOM_UTF8) if actual == "utf-8" and bom else 2 if bom else 0:][:400]
    text = head.decode(actual if actual.startswith("utf-16") else "latin-1", errors="replace")
    m = _DECLARATION.match(text)
    return m[1] if m else None


def problems(raw: bytes, label: str | None) -> list[str]:
    """What is wrong with an answer's bytes (module docstring); ``label`` its charset, if any."""
    if not raw:
        return []
    actual, bom = written_in(raw)
    sixteen = actual.startswith("utf-16")
    out = []
    decl = declared(raw, actual, bom)
    named = _name(decl) if decl else None
    if sixteen and not bom and named not in ("utf-16le", "utf-16be"):
        out.append(f"UTF-16 ({actual[-2:].upper()}) without a byte order mark, declared "
                   f"{decl or 'nothing'}: XML 1.0 §4.3.3 — a UTF-16 entity begins with the BOM "
                   f"(only one declaring UTF-16LE / UTF-16BE may go without)")
    if named is not None and sixteen:
        if named not in ("utf-16", actual):  # "utf-16" without the BOM: flagged above
            out.append(f"the XML declaration says encoding={decl!r}, the bytes are "
                       f"{actual.upper()}{' with a BOM' if bom else ''} (XML 1.0 §4.3.3)")
    elif named is not None and named.startswith(("utf-16", "utf-32")):
        out.append(f"the XML declaration says encoding={decl!r}, the bytes are 8-bit "
                   f"(XML 1.0 §4.3.3, Appendix F)")
    if label is not None:
        out += _label(label, actual, bom)
    codec = "utf-16" if sixteen and bom else actual
    if sixteen or named in (None, "utf-8"):  # another 8-bit encoding is INV-MSG-11's
        try:
            raw.decode(codec)
        except UnicodeDecodeError as exc:
            out.append(f"byte {exc.start} is not {codec.upper()} ({exc.reason}): XML 1.0 "
                       f"§4.3.3, a fatal error — never read past")
    return out


def _label(label: str, actual: str, bom: bool) -> list[str]:
    said = _name(label)
    if said is None or not said.startswith(("utf-8", "utf-16")):
        return []  # not a UCS label: INV-MSG-11's
    if said == "utf-16" and actual.startswith("utf-16") and not bom:
        return [f"charset={label} on UTF-16 without a byte order mark: RFC 2781 §4.3 reads it "
                f"big-endian{'' if actual == 'utf-16be' else ', the bytes are little-endian'}; "
                f"XML 1.0 §4.3.3 wants the BOM"]
    if said in ("utf-16le", "utf-16be") and bom and actual.startswith("utf-16"):
        return [f"charset={label} on text beginning with a byte order mark: RFC 2781 §3.3 — "
                f"in {said.upper()} U+FEFF is a character, before the XML declaration"]
    if said in ("utf-16le", "utf-16be") and actual.startswith("utf-16") and said != actual:
        return [f"charset={label}, the bytes are {actual.upper()}"]
    return []  # another family altogether is INV-SOAP-04's
