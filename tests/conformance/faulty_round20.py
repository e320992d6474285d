"""Faulty products for round 20's class (docs/conformance-testing.md, "Round 20"): encodings and charset
labels, each with ONE defect — a front end before the reference adapter — written from the
grammar README now settles (encoding_forms.py, answer_labels.py), not from the twentieth batch:

- reading a request (P-EQUIV-01, S-EQUIV-01): a charset allow-list of UTF-8 and UTF-16; a
  pre-parser that wants an encoding in every XML declaration; one that takes a UTF-8 BOM for
  text unless the declaration follows it; one that reads UTF-16's encoding from the declaration
  and falls back to UTF-8 without one; a transcoder that rewrites the declaration by a string
  replace of ``encoding="UTF-16"``; a transcoder that decodes a request without a charset as
  UTF-8; a charset found by a search of the header's text (inside a quoted-string too); a
  Content-Type parser that wants ``name=value`` between every two ';';
- writing an answer (INV-ENC-01): a charset written ``charset = utf-8``; UTF-16 answered in
  the request's byte order without a BOM, labelled and declared UTF-16LE/BE; the C locale's
  name of ASCII (``ANSI_X3.4-1968``) as the label; a charset appended to a Content-Type that
  has one.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from bus.core import faults

from .faulty_round14b import _rehashed
from .faulty_round19 import ALL, _EQUIV, _fault
from .proxy import Call, Reply

_BOM16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_DECLARATION = re.compile(r"<\?xml[^>]*\?>")


def _label(call: Call) -> str | None:
    """The request's charset as a ';'-splitting front end reads it (quotes stripped)."""
    ctype = next((v for k, v in call.headers.items() if k.lower() == "content-type"), "")
    return next((p.split("=", 1)[1].strip().strip('"') for p in ctype.split(";")[1:]
                 if p.strip().lower().startswith("charset=")), None)


def _content_type(call: Call) -> str:
    return next((v for k, v in call.headers.items() if k.lower() == "content-type"), "")


def _malformed(call: Call, text: str) -> Reply:
    return _fault(call, faults.MALFORMED_XML, "xml:well-formed", text)


# --- reading a request (P-EQUIV-01, S-EQUIV-01) ------------------------------------------------

def charset_allow_list(call: Call) -> bytes | Reply:
    """The front end accepts the two encodings WS-I BP R1012 names, by their labels: a request
    labelled charset=us-ascii (README: read by every product) is refused PF-CONTENT-TYPE."""
    label = _label(call)
    if label is not None and label.lower() not in ("utf-8", "utf-16"):
        return _fault(call, faults.CONTENT_TYPE, "http:content-type",
                      f"charset {label} is not supported")
    return call.request


def declaration_encoding_required(call: Call) -> bytes | Reply:
    """A pre-parser reads the encoding from the XML declaration and refuses one that names none
    (XML 1.0 §4.3.3: without an EncodingDecl the document is UTF-8)."""
    text = call.request.decode("utf-16") if call.request[:2] in _BOM16 else \
        call.request.decode("utf-8-sig", errors="replace")
    decl = _DECLARATION.match(text)
    if decl is not None and "encoding" not in decl.group(0):
        return _malformed(call, "the XML declaration names no encoding")
    return call.request


def bom_only_before_declaration(call: Call) -> bytes | Reply:
    """The front end strips ``EF BB BF<?xml`` as a UTF-8 signature; a BOM followed by anything
    else is content before the document."""
    raw = call.request
    if raw.startswith(codecs.BOM_UTF8) and not raw.startswith(codecs.BOM_UTF8 + b"<?xml"):
        return _malformed(call, "content is not allowed in prolog")
    return raw


def utf16_encoding_from_declaration(call: Call) -> bytes | Reply:
    """A UTF-16 request's encoding is taken from its XML declaration, read in UTF-16; without
    one the pre-parser falls back to XML's default, UTF-8 — which the BOM is not."""
    raw = call.request
    if raw[:2] in _BOM16 and not raw.decode("utf-16").startswith("<?xml"):
        return _malformed(call, "invalid byte 1 of a 1-byte UTF-8 sequence")
    return raw


def utf16_transcoded_by_replace(call: Call) -> bytes | Reply:
    """The front end hands its UTF-8-only back end every UTF-16 request in UTF-8, the
    declaration rewritten by ``replace('encoding="UTF-16"', 'encoding="UTF-8"')``: a declaration
    in another case or quotes still says UTF-16 over UTF-8 bytes."""
    raw = call.request
    if raw[:2] not in _BOM16:
        return raw
    text = raw.decode("utf-16").replace('encoding="UTF-16"', 'encoding="UTF-8"', 1)
    return text.encode("utf-8")  # the declaration as the replace left it


def no_charset_as_utf8(call: Call) -> bytes | Reply:
    """The HTTP layer decodes a body by its charset and, without one, as UTF-8 — the XML
    declaration and a UTF-16 BOM are never looked at (RFC 7303 §3.2: without a charset they
    decide)."""
    if _label(call) is not None:
        return call.request
    try:
        return call.request.decode("utf-8-sig").encode("utf-8")
    except UnicodeDecodeError as exc:
        return _malformed(call, f"cannot decode the body as UTF-8: {exc.reason}")


def charset_by_search(call: Call) -> bytes | Reply:
    """The charset is found by ``re.search(r'charset="?([\\w-]+)')`` over the whole header: a
    quoted-string of another parameter that holds ``charset=`` is taken for the charset, and
    the body checked in it (RFC 9110 §5.6.4: a quoted-string is one value)."""
    found = re.search(r'charset="?([\w-]+)', _content_type(call), re.IGNORECASE)
    if found is None:
        return call.request
    try:
        text = call.request.decode(found.group(1))
    except (LookupError, UnicodeDecodeError):
        text = ""
    if not text.lstrip("\ufeff").startswith("<"):
        return _malformed(call, f"the body is not {found.group(1)}")
    return call.request


def content_type_parameters_strict(call: Call) -> bytes | Reply:
    """The Content-Type parser splits on ';' and wants ``name=value`` in every piece: an empty
    parameter, a trailing ';' or a quoted-string holding ';' is refused (RFC 9110 §5.6.6)."""
    for piece in _content_type(call).split(";")[1:]:
        name, eq, _ = piece.strip().partition("=")
        if not eq or not re.fullmatch(r"[\w.+-]+", name):
            return _fault(call, faults.CONTENT_TYPE, "http:content-type",
                          f"malformed parameter {piece.strip()!r}")
    return call.request


# --- writing an answer (INV-ENC-01) ------------------------------------------------------------

def _media(reply: Reply) -> str:
    return reply.content_type.split(";")[0].strip()


def answer_charset_spaced(call: Call) -> Reply:
    """The answer's Content-Type written from a template ``{media}; charset = {encoding}``:
    RFC 9110 §5.6.6 has no white space around '=' (a strict reader finds no charset)."""
    reply = call.reply
    assert reply is not None
    return Reply(reply.status, reply.body, f"{_media(reply)}; charset = utf-8")


def answer_utf16_in_request_byte_order(call: Call) -> Reply:
    """A UTF-16 request is answered in UTF-16 of its byte order, named by it — declared and
    labelled UTF-16LE / UTF-16BE, so without a BOM (RFC 2781 §3.3): a receiver may refuse
    both names (README; XML 1.0 §4.3.3 obliges UTF-8 and UTF-16 only)."""
    reply = call.reply
    assert reply is not None
    if call.request[:2] not in _BOM16 or not reply.body.startswith(b"<?xml"):
        return reply
    order = "UTF-16LE" if call.request.startswith(codecs.BOM_UTF16_LE) else "UTF-16BE"
    text = _DECLARATION.sub(f'<?xml version="1.0" encoding="{order}"?>',
                            reply.body.decode("utf-8"), count=1)
    return Reply(reply.status, text.encode(order.lower()),
                 f"{_media(reply)}; charset={order.lower()}")


def answer_c_locale_label(call: Call) -> Reply:
    """Answers written in the process's locale encoding and labelled with its name: in the C
    locale ``nl_langinfo(CODESET)`` is ``ANSI_X3.4-1968`` — ASCII, every other character a
    reference, declared US-ASCII — an alias a receiver need not know."""
    reply = call.reply
    assert reply is not None
    try:
        root = etree.fromstring(reply.body)
    except etree.XMLSyntaxError:
        return reply
    body = etree.tostring(root, encoding="US-ASCII", xml_declaration=True)
    return Reply(reply.status, body, f"{_media(reply)}; charset=ANSI_X3.4-1968")


def answer_charset_twice(call: Call) -> Reply:
    """The framework appends ``; charset=utf-8`` to the Content-Type the handler set, which has
    one already (RFC 6838 §4.3: a parameter once)."""
    reply = call.reply
    assert reply is not None
    return Reply(reply.status, reply.body, f"{reply.content_type}; charset=utf-8")


# (name, the requirement it breaks, profiles, targets): faulty.Faulty's
ROUND20_FAULTS: list[tuple] = [
    ("charset-allow-list", "RQ-SOAP-06", ALL, _EQUIV),
    ("declaration-encoding-required", "RQ-SOAP-06", ALL, _EQUIV),
    ("bom-only-before-declaration", "RQ-SOAP-06", ALL, _EQUIV),
    ("utf16-encoding-from-declaration", "RQ-SOAP-06", ALL, _EQUIV),
    # the back end cannot read the mis-declared bytes: its fault names no MessageId (INV-FAULT-06)
    # — what such a product answers
    ("utf16-transcoded-by-replace", "RQ-SOAP-06", ALL, (*_EQUIV, "INV-FAULT-06")),
    ("no-charset-as-utf8", "RQ-SOAP-06", ALL, _EQUIV),
    ("charset-by-search", "RQ-SOAP-06", ALL, _EQUIV),
    ("content-type-parameters-strict", "RQ-SOAP-06", ALL, _EQUIV),
    ("answer-charset-spaced", "RQ-MSG-11", ALL, ("INV-ENC-01",)),
    ("answer-utf16-in-request-byte-order", "RQ-MSG-11", ALL, ("INV-ENC-01",)),
    ("answer-c-locale-label", "RQ-MSG-11", ALL, ("INV-ENC-01",)),
    ("answer-charset-twice", "RQ-MSG-11", ALL, ("INV-ENC-01",)),
]

ROUND20_WIRE = {
    "charset-allow-list": {"on_request": charset_allow_list},
    "declaration-encoding-required": {"on_request": declaration_encoding_required},
    "bom-only-before-declaration": {"on_request": bom_only_before_declaration},
    "utf16-encoding-from-declaration": {"on_request": utf16_encoding_from_declaration},
    # the reply hashed over the request as sent (the defect is the reading, not the hash)
    "utf16-transcoded-by-replace": {"on_request": utf16_transcoded_by_replace,
                                    "on_reply": _rehashed},
    "no-charset-as-utf8": {"on_request": no_charset_as_utf8, "on_reply": _rehashed},
    "charset-by-search": {"on_request": charset_by_search},
    "content-type-parameters-strict": {"on_request": content_type_parameters_strict},
    "answer-charset-spaced": {"on_reply": answer_charset_spaced},
    "answer-utf16-in-request-byte-order": {"on_reply": answer_utf16_in_request_byte_order},
    "answer-c-locale-label": {"on_reply": answer_c_locale_label},
    "answer-charset-twice": {"on_reply": answer_charset_twice},
}
