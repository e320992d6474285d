"""Every encoding and charset label a request may come in (round 20; P-EQUIV-01, S-EQUIV-01).

README ("Encodings and the Content-Type") settles what every product reads: a message in UTF-8
(with or without a byte order mark), in UTF-16 with its byte order mark (either byte order), or
in US-ASCII (every other character as a character reference) — labelled by a ``charset`` of the
names UTF-8, UTF-16 or US-ASCII in any case, a token or a quoted-string, or by none (the byte
order mark and the XML declaration decide); the Content-Type as RFC 9110 §5.6.6 writes it. The
older forms send some cells of that grid (the canonical request; ``no-xml-declaration``,
``declaration-single-quoted``, ``no-charset``, ``media-type-case``, ``charset-quoted``,
``parameters-reordered``, ``parameters-ows``, ``utf-16be``; P-ENC-02 a UTF-8 BOM, P-ENC-03
UTF-16LE). These are the other cells, production by production:

- XML 1.0 §4.3.3 / §2.8 [23]-[32]: an XMLDecl without an EncodingDecl (UTF-8 by default), with
  white space around each ``=`` (Eq ::= S? '=' S?) and before ``?>``, SDDecl ``"no"``;
- §4.3.3 and Appendix F: a UTF-8 byte order mark with no XML declaration after it; UTF-16 with
  its BOM and no declaration (the BOM alone decides); a declaration naming ``utf-16`` in lower
  case in single quotes, with SDDecl;
- RFC 7303 §3.2 / RFC 3902: UTF-16 with no charset parameter (the BOM decides);
- US-ASCII: the label and the declaration US-ASCII, every non-ASCII character a reference
  (XML 1.0 §4.1), in decimal with a lower-case label and in hexadecimal with a quoted upper-case
  one — US-ASCII is UTF-8 restricted to its first 128 characters, which every product reads;
- RFC 9110 §5.6.6: an empty parameter (``;;`` — ``*( OWS ";" OWS [ parameter ] )``) and a
  trailing ``;``; RFC 2045 §5.1 ("MIME implementations must ignore any parameters whose names
  they do not recognize"): an unknown parameter before the charset, its quoted-string value
  (RFC 9110 §5.6.4) holding ``;``, ``=``, ``charset=utf-16`` and a quoted-pair ``\\"`` — one
  value, never a parameter of its own.

What a product may refuse (README), only with a client fault, is sent too (``REFUSABLE``,
round 40c): a charset other than those three names — ISO-8859-1, Shift_JIS and EUC-JP (the
document in that encoding, its characters without one form in both JIS X 0208 and CP932 as
references), UTF-16LE without its BOM, UTF-32 —, an alias (``utf8``, ``ascii``), a ``charset``
given twice, white space around its ``=``. Each must be answered as the canonical form or
refused as the client's (``answer_comparison.client_refusal``): the fortieth blind batch
answered a Shift_JIS label with an internal fault, Party provider.

Each form is ``(text, headers, soap) -> (bytes, headers)`` over the canonical envelope
(``envelopes.envelope``: UTF-8, the declaration ``<?xml version="1.0" encoding="UTF-8"?>``),
checked to hold the canonical message (``namespace_forms.equivalent`` over the parsed bytes).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable

from . import namespace_forms

Headers = dict[str, str]
Rewrite = Callable[[str, Headers, str], tuple[bytes, Headers]]

DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
# an unknown parameter whose quoted-string holds what a split on ';' or a search for
# "charset=" would take for parameters of their own (RFC 9110 §5.6.4, §5.6.6)
UNKNOWN_PARAMETER = r'x-conformance="a; b=c; charset=utf-16; \"q\""'


def document_of(text: str) -> str:
    """The canonical envelope without its XML declaration."""
    if not text.startswith(DECL):
        raise ValueError("not the canonical request: no UTF-8 XML declaration")
    return text[len(DECL):]


def _content_type(headers: Headers, charset: str | None, *, empty: bool = False) -> Headers:
    """The suite's Content-Type (media type; charset; SOAP 1.2's quoted action, which holds no
    ';') with ``charset`` its label (None: no charset parameter); ``empty`` adds RFC 9110's
    empty parameter, the unknown parameter and a trailing ';'."""
    media, *params = (p.strip() for p in headers["Content-Type"].split(";"))
    params = [p for p in params if not p.lower().startswith("charset=")]
    if charset is not None:
        params.insert(0, f"charset={charset}")
    if empty:
        return {**headers, "Content-Type": ";".join([media, "", UNKNOWN_PARAMETER, *params, ""])}
    return {**headers, "Content-Type": "; ".join([media, *params])}


def decimal_references(text: str) -> str:
    return text.encode("ascii", "xmlcharrefreplace").decode("ascii")


def hex_references(text: str) -> str:
    return re.sub(r"[^\x00-\x7f]", lambda m: f"&#x{ord(m.group(0)):X};", text)


def _checked(change: Callable[[str, Headers, str], tuple[bytes, Headers]]) -> Rewrite:
    def rewrite(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
        raw, out = change(text, headers, soap)
        namespace_forms.equivalent(text.encode("utf-8"), raw)
        return raw, out
    return rewrite


def _us_ascii(label: str) -> Rewrite:
    """US-ASCII with decimal references, declared so, its charset label ``label``."""
    @_checked
    def rewrite(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
        doc = ('<?xml version="1.0" encoding="US-ASCII"?>\n'
               + decimal_references(document_of(text)))
        return doc.encode("ascii"), _content_type(headers, label)
    return rewrite


us_ascii = _us_ascii("us-ascii")


@_checked
def us_ascii_label_forms(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    doc = "<?xml version='1.0' encoding='us-ascii'?>\n" + hex_references(document_of(text))
    return doc.encode("ascii"), _content_type(headers, '"US-ASCII"')


@_checked
def xml_declaration_forms(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    doc = "<?xml version = '1.0' standalone = \"no\" ?>\r\n" + document_of(text)
    return doc.encode("utf-8"), _content_type(headers, "UTF-8")


@_checked
def utf8_bom_no_declaration(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    return (codecs.BOM_UTF8 + document_of(text).encode("utf-8"),
            _content_type(headers, '"utf-8"'))


@_checked
def utf16_no_declaration(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    return (codecs.BOM_UTF16_LE + document_of(text).encode("utf-16-le"),
            _content_type(headers, "UTF-16"))


@_checked
def utf16_declaration_forms(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    doc = "<?xml version=\"1.0\" encoding='utf-16' standalone='yes'?>\n" + document_of(text)
    return codecs.BOM_UTF16_BE + doc.encode("utf-16-be"), _content_type(headers, '"Utf-16"')


@_checked
def utf16_no_charset(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    doc = '<?xml version="1.0" encoding="UTF-16"?>\n' + document_of(text)
    return codecs.BOM_UTF16_LE + doc.encode("utf-16-le"), _content_type(headers, None)


@_checked
def utf16_charset_last(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    """UTF-16 whose charset is the last parameter, after SOAP 1.2's action or (SOAP 1.1) an
    unknown one (round 33b: a product reading the first parameter only reads UTF-8 then)."""
    doc = '<?xml version="1.0" encoding="UTF-16"?>\n' + document_of(text)
    media, *params = (p.strip() for p in headers["Content-Type"].split(";"))
    params = [p for p in params if not p.lower().startswith("charset=")] or ["x-conformance=1"]
    return (codecs.BOM_UTF16_LE + doc.encode("utf-16-le"),
            {**headers, "Content-Type": "; ".join([media, *params, "charset=utf-16"])})


@_checked
def content_type_parameters(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    return text.encode("utf-8"), _content_type(headers, "utf-8", empty=True)


# (name, where the specifications make it the canonical message, the form, SOAP versions):
# forms of the body alone go over one version each, the Content-Type's over both (text/xml;
# application/soap+xml with its action parameter)
FORMS: tuple[tuple[str, str, Rewrite, tuple[str, ...]], ...] = (
    ("us-ascii", "XML 1.0 §4.3.3, §4.1; RFC 7303 §3.2; README (US-ASCII is read: a subset of "
     "UTF-8): charset=us-ascii, encoding=\"US-ASCII\", decimal references", us_ascii, ("1.1",)),
    ("us-ascii-label-forms", "RFC 9110 §8.3.2, §5.6.4 (charset names case-insensitive, a "
     "quoted-string): charset=\"US-ASCII\", encoding='us-ascii', hexadecimal references",
     us_ascii_label_forms, ("1.2",)),
    ("xml-declaration-forms", "XML 1.0 §2.8 [23]-[32], §4.3.3 (no EncodingDecl: UTF-8; S around "
     "'=' and before '?>'; standalone=\"no\")", xml_declaration_forms, ("1.2",)),
    ("utf-8-bom-no-declaration", "XML 1.0 §4.3.3, Appendix F.1 (a UTF-8 BOM, no XML "
     "declaration)", utf8_bom_no_declaration, ("1.1",)),
    ("utf-16-no-declaration", "XML 1.0 §4.3.3, Appendix F.1 (UTF-16LE with its BOM, no XML "
     "declaration: the BOM decides)", utf16_no_declaration, ("1.2",)),
    ("utf-16-declaration-forms", "XML 1.0 §4.3.3 (encoding names case-insensitive; single "
     "quotes; SDDecl) in UTF-16BE; RFC 9110 §8.3.2 (charset=\"Utf-16\")",
     utf16_declaration_forms, ("1.1",)),
    ("utf-16-no-charset", "RFC 7303 §3.2, RFC 3902 (charset optional: UTF-16's BOM decides)",
     utf16_no_charset, ("1.2",)),
    ("utf-16-charset-last", "RFC 9110 §5.6.6 (parameters in any order): UTF-16LE, its charset "
     "after the action parameter or an unknown one", utf16_charset_last, ("1.1", "1.2")),
    ("content-type-parameters", "RFC 9110 §5.6.6 (an empty parameter, a trailing ';'), §5.6.4 "
     "(a quoted-string is one value), RFC 2045 §5.1 (an unknown parameter is ignored)",
     content_type_parameters, ("1.1", "1.2")),
)
NAMES = tuple(name for name, *_ in FORMS)


# --- what a product may refuse, with a client fault (README), round 40c ----------------------

def _one_form(ch: str) -> bool:
    """Whether JIS X 0208 and Microsoft's mapping of it (CP932; eucJP-ms alike) read ``ch`` the
    same: 0x8160 is 〜 U+301C to one, ～ U+FF5E to the other (and ∥ －, ¬ …)."""
    try:
        return ch.encode("shift_jis").decode("cp932") == ch == \
            ch.encode("cp932").decode("shift_jis")
    except UnicodeError:
        return False


def _both_ways(codec: str) -> Callable[[str], str]:
    """``text`` in ``codec`` where a character has one form in every decoder of it, every other
    character as a reference."""
    def one(ch: str) -> str:
        try:
            ch.encode(codec)
        except UnicodeEncodeError:
            return f"&#{ord(ch)};"
        return ch if codec == "latin-1" or _one_form(ch) else f"&#{ord(ch)};"
    return lambda text: "".join(one(ch) if ord(ch) > 0x7F else ch for ch in text)


def _legacy(name: str, codec: str) -> Rewrite:
    @_checked
    def rewrite(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
        doc = f'<?xml version="1.0" encoding="{name}"?>\n' + _both_ways(codec)(document_of(text))
        return doc.encode(codec), _content_type(headers, name)
    return rewrite


@_checked
def utf16le_without_bom(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    doc = '<?xml version="1.0" encoding="UTF-16LE"?>\n' + document_of(text)
    return doc.encode("utf-16-le"), _content_type(headers, "UTF-16LE")


@_checked
def utf32(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    doc = '<?xml version="1.0" encoding="UTF-32"?>\n' + document_of(text)
    return codecs.BOM_UTF32_LE + doc.encode("utf-32-le"), _content_type(headers, "UTF-32")


@_checked
def utf8_alias(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    return text.encode("utf-8"), _content_type(headers, "utf8")


@_checked
def charset_twice(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    out = _content_type(headers, "utf-8")
    return text.encode("utf-8"), {**out, "Content-Type": out["Content-Type"] + "; charset=utf-8"}


@_checked
def charset_ows_around_equals(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    out = _content_type(headers, "utf-8")
    return text.encode("utf-8"), {**out, "Content-Type": out["Content-Type"].replace(
        "charset=utf-8", "charset = utf-8")}


# (name, where README lets a product refuse it, the rewrite, the SOAP versions)
_MAY_REFUSE = "README ('What a product may refuse', with a client fault): "
REFUSABLE: tuple[tuple[str, str, Rewrite, tuple[str, ...]], ...] = (
    ("charset-iso-8859-1", _MAY_REFUSE + "ISO-8859-1, the document in it",
     _legacy("ISO-8859-1", "latin-1"), ("1.1",)),
    ("charset-shift-jis", _MAY_REFUSE + "Shift_JIS, the document in it",
     _legacy("Shift_JIS", "shift_jis"), ("1.2",)),
    ("charset-euc-jp", _MAY_REFUSE + "EUC-JP, the document in it",
     _legacy("EUC-JP", "euc_jp"), ("1.1",)),
    ("charset-utf-16le-without-bom", _MAY_REFUSE + "UTF-16LE (UTF-16 without its byte order "
     "mark)", utf16le_without_bom, ("1.2",)),
    ("charset-utf-32", _MAY_REFUSE + "UTF-32, with its byte order mark", utf32, ("1.1",)),
    ("charset-alias-utf8", _MAY_REFUSE + "an alias (utf8) over UTF-8", utf8_alias, ("1.2",)),
    ("charset-alias-ascii", _MAY_REFUSE + "an alias (ascii) over US-ASCII", _us_ascii("ascii"),
     ("1.1",)),
    ("charset-twice", _MAY_REFUSE + "a charset given twice", charset_twice, ("1.2",)),
    ("charset-white-space-around-equals", _MAY_REFUSE + "white space around a parameter's '='",
     charset_ows_around_equals, ("1.1", "1.2")),
)

