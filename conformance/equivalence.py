"""Equivalent encodings (P-EQUIV-01, S-EQUIV-01): the suite's canonical request, re-encoded.

Each variant rewrites the bytes or the HTTP headers of a canonical request into another form the
XML 1.0, Namespaces in XML, SOAP 1.1/1.2, RFC 7303 (XML media types), RFC 3902
(application/soap+xml) and RFC 9110 (HTTP semantics) specifications say means the same message.
The variants are derived from those specifications, not from defects: a product must answer each
exactly as it answers the canonical form. What a variant must NOT change, it does not: text of
leaf elements (whitespace there is data), QName-valued content (there is none in a request
body). A value may be split by a comment or a processing instruction (``comment-in-value``,
``pi-in-value``): README reads a value as the XML Infoset does, without them; never by a CDATA
boundary (no document says so much). A processing instruction is sent over SOAP 1.2 only (SOAP
1.1 §3 forbids one in a message), where SOAP 1.2 Part 1 §5 says a receiver SHOULD fault with
env:Sender: a form marked ``refusable`` is answered either as the canonical form or with such a
fault (``answer_comparison.sender_refusal``: SOAP 1.2, env:Sender, HTTP 400, a pff:FaultDetail of
Party client; a notice so refused leaves its resident unheld) — round 15b, docs/conformance-testing.md.

Every variant is a function ``(text, headers, soap) -> (bytes, headers)`` over the canonical
envelope as the suite writes it (``envelopes.envelope``: UTF-8, an XML declaration, prefixes
``soap``/``pfh``, one line).
"""

from __future__ import annotations

import codecs
import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from bus.core.header import HEADER_NS

from . import (answer_comparison, encoding_forms, envelope_attributes, lexical,
               namespace_declarations, namespace_forms, reference_forms, request_shapes,
               wire_grid, xml_placements)
from .envelopes import fill
from .records import Exchange

Headers = dict[str, str]
Rewrite = Callable[[str, Headers, str], tuple[bytes, Headers]]

_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
_COMMENT = "<!-- conformance: a comment (XML 1.0 2.5) -->"
_PI = "<?conformance a processing instruction (XML 1.0 2.6)?>"


@dataclass(frozen=True)
class Variant:
    name: str
    spec: str  # where the specifications say the variant means the same
    rewrite: Rewrite
    # generated from the payload's XSD types (lexical.py): rewrite(text, headers, soap, catalog)
    typed: bool = False
    # the SOAP versions that allow the form: SOAP 1.1 §3 forbids processing instructions in a
    # message; SOAP 1.2 Part 1 §5 lets a receiver read past them or fault (it SHOULD fault)
    soap: tuple[str, ...] = ("1.1", "1.2")
    # SOAP 1.2 Part 1 §5: "SOAP receivers receiving a SOAP message containing a processing
    # instruction information item SHOULD generate a SOAP fault with the Value of Code set to
    # env:Sender" — that fault conforms as much as the canonical answer (sender_refusal)
    refusable: bool = False
    # README ("What a product may refuse"): answered as the canonical form, or refused with a
    # client fault (client_refusal) — a charset other than UTF-8, UTF-16 and US-ASCII, …
    may_refuse: bool = False


def _body_span(text: str) -> tuple[int, int]:
    """Start and end of the payload: between ``<soap:Body>`` and ``</soap:Body>``."""
    start = text.index("<soap:Body>") + len("<soap:Body>")
    return start, text.index("</soap:Body>", start)


def _in_body(text: str, change: Callable[[str], str]) -> str:
    start, end = _body_span(text)
    return text[:start] + change(text[start:end]) + text[end:]


def _after_payload_start(text: str, insert: str) -> str:
    """``insert`` right after the payload element's start tag (between elements)."""
    start, _ = _body_span(text)
    close = text.index(">", start)
    return text[:close + 1] + insert + text[close + 1:]


def _utf8(change: Callable[[str], str]) -> Rewrite:
    def rewrite(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
        return change(text).encode("utf-8"), headers
    return rewrite


def _content_type(change: Callable[[str, str], str]) -> Rewrite:
    """A rewrite of the Content-Type only: ``change(value, soap)``."""
    def rewrite(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
        return text.encode("utf-8"), {**headers, "Content-Type": change(
            headers["Content-Type"], soap)}
    return rewrite


def _params(value: str) -> tuple[str, dict[str, str]]:
    media, *rest = [p.strip() for p in value.split(";")]
    return media, dict(p.split("=", 1) for p in rest)


def _prefixes_in(fragment: str) -> dict[str, str]:
    return dict(re.findall(r'xmlns:([A-Za-z_][\w.-]*)="([^"]*)"', fragment))


def _rename_prefix(fragment: str, old: str, new: str) -> str:
    """Prefix ``old`` → ``new`` (``""``: the default namespace) in tags and declarations."""
    fragment = re.sub(rf"(</?){re.escape(old)}:", rf"\g<1>{new}:" if new else r"\g<1>", fragment)
    return fragment.replace(f"xmlns:{old}=", f"xmlns:{new}=" if new else "xmlns=")


def _other_payload_prefixes(body: str) -> str:
    for i, prefix in enumerate(sorted(_prefixes_in(body))):
        body = _rename_prefix(body, prefix, f"n{i}")
    return body


def _default_payload_namespace(body: str) -> str:
    root = re.match(r"<([A-Za-z_][\w.-]*):", body)
    return _rename_prefix(body, root.group(1), "") if root else body


def _default_soap_namespace(text: str) -> str:
    return _rename_prefix(text, "soap", "")


def _redundant_declarations(text: str) -> str:
    """Every namespace used anywhere declared again on the Envelope, plus one never used."""
    extra = {**_prefixes_in(text[text.index("<soap:Header>"):]), "pfh": HEADER_NS,
             "unused": "urn:example:conformance:unused"}
    decls = "".join(f' xmlns:{p}="{ns}"' for p, ns in sorted(extra.items()))
    return text.replace("<soap:Envelope ", f"<soap:Envelope{decls} ", 1)


_BETWEEN_ELEMENTS = re.compile(r"(<[^/!?][^>]*[^/]>|</[^>]+>)(?=<)")


def _pretty(text: str) -> str:
    """White space (CRLF, tabs) where content is elements only: after a start tag followed by
    another start tag, and after every end tag. Never inside a leaf element (``<a></a>``)."""
    def one(m: re.Match) -> str:
        tag, rest = m.group(1), text[m.end():m.end() + 2]
        if not tag.startswith("</") and rest.startswith("</"):
            return tag  # an empty leaf: its content is text, not element-only
        return tag + "\r\n\t"
    return _BETWEEN_ELEMENTS.sub(one, text)


def _cdata(body: str) -> str:
    """Every leaf text without a reference as a CDATA section (XML 1.0 2.7)."""
    return re.sub(r">([^<&]+)<", lambda m: f"><![CDATA[{m.group(1)}]]><", body)


def _character_references(body: str) -> str:
    """Every character of every leaf text as a character reference (XML 1.0 4.1), hexadecimal
    and decimal alternately."""
    def one(m: re.Match) -> str:
        refs = (f"&#x{ord(c):X};" if i % 2 else f"&#{ord(c)};" for i, c in enumerate(m.group(1)))
        return ">" + "".join(refs) + "<"
    return re.sub(r">([^<&]+)<", one, body)


_LEAF = re.compile(r"(<[^/!?>][^>]*(?<!/)>)([^<]+)(?=</)")
_UNIT = re.compile(r"&[^;]+;|.", re.DOTALL)  # a reference is one unit: never split inside it


def _split_values(insert: str) -> Callable[[str], str]:
    """Every leaf value, in the header and the payload, split in its middle by ``insert`` (a
    value of one character: before it) — never before a combining mark or variation selector
    (legal there too, but a product's character checks need not see a lone selector)."""
    def one(m: re.Match) -> str:
        units = _UNIT.findall(m.group(2))
        cut = len(units) // 2
        while cut < len(units) and unicodedata.category(html.unescape(units[cut])[0]) \
                .startswith("M"):
            cut += 1
        return m.group(1) + "".join(units[:cut]) + insert + "".join(units[cut:])

    def change(text: str) -> str:
        start = text.index("<soap:Envelope")
        return text[:start] + _LEAF.sub(one, text[start:])
    return change


def _utf16be(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    body = text.replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    media, params = _params(headers["Content-Type"])
    params["charset"] = "utf-16"
    value = "; ".join([media, *(f"{k}={v}" for k, v in params.items())])
    return codecs.BOM_UTF16_BE + body.encode("utf-16-be"), {**headers, "Content-Type": value}


def _media_type_case(value: str, soap: str) -> str:
    media, params = _params(value)
    media = "Text/XML" if soap == "1.1" else "Application/SOAP+XML"
    out = [media, "Charset=UTF-8"]
    if "action" in params:
        out.append(f"Action={params['action']}")  # parameter names: case-insensitive
    return "; ".join(out)


def _charset_quoted(value: str, soap: str) -> str:
    return value.replace("charset=utf-8", 'charset="utf-8"')


def _params_reordered(value: str, soap: str) -> str:
    """No white space around ``;`` (RFC 9110 OWS), the parameters in another order."""
    media, params = _params(value)
    return ";".join([media, *(f"{k}={v}" for k, v in reversed(params.items()))])


def _params_ows(value: str, soap: str) -> str:
    """Optional white space on both sides of every ``;`` — a space before, a space or a tab
    after (RFC 9110 5.6.6: parameters = *( OWS ";" OWS [ parameter ] ), OWS = *( SP / HTAB ))."""
    media, params = _params(value)
    return media + "".join(f" ;{chr(9) if i % 2 else ' '}{k}={v}"
                           for i, (k, v) in enumerate(params.items()))


def _namespaces(change: Callable[[str], str],
                check: Callable[[bytes, bytes], None] = namespace_forms.equivalent) -> Rewrite:
    """A namespace form (namespace_forms.py) or an envelope attribute form
    (envelope_attributes.py), checked to hold the canonical message unchanged."""
    def rewrite(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
        out = change(text).encode("utf-8")
        check(text.encode("utf-8"), out)
        return out, headers
    return rewrite


def _no_charset(value: str, soap: str) -> str:
    """No charset parameter: the XML declaration (UTF-8) says the encoding (RFC 7303 3.2/3.6)."""
    media, params = _params(value)
    params.pop("charset", None)
    return "; ".join([media, *(f"{k}={v}" for k, v in params.items())])


def _typed_payload(change: Callable[[etree._Element, Any], etree._Element | None]):
    """A rewrite of the payload element through lexical.py, given the catalog; the rest of the
    envelope's text unchanged."""
    def rewrite(text: str, headers: Headers, soap: str, catalog) -> tuple[bytes, Headers]:
        start, end = _body_span(text)
        payload = etree.fromstring(text[start:end].strip())
        changed = change(payload, catalog)
        out = etree.tostring(payload if changed is None else changed, encoding="unicode")
        return (text[:start] + out + text[end:]).encode("utf-8"), headers
    return rewrite


def _header_names_lower(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    return text.encode("utf-8"), {k.lower(): v for k, v in headers.items()}


def _http_field(name: str, value: str) -> Rewrite:
    """One more HTTP header field, the bytes unchanged: what a standard client sends (.NET's
    HttpWebRequest, WCF's basicHttpBinding: Expect: 100-continue on every POST by default)."""
    def rewrite(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
        return text.encode("utf-8"), {**headers, name: value}
    return rewrite


def _other_versions_action(text: str, headers: Headers, soap: str) -> tuple[bytes, Headers]:
    """The action also written the other SOAP version's way (round 31b): over SOAP 1.1 an
    ``action`` parameter on text/xml (RFC 3902 defines it for application/soap+xml only; on
    text/xml an unknown parameter, ignored: RFC 2045 §5.1), over SOAP 1.2 a SOAPAction field
    (SOAP 1.1's; SOAP 1.2's HTTP binding defines none, an unknown field is ignored: RFC 9110
    §5.1). The media type alone names the version (README, Encodings and the Content-Type)."""
    return text.encode("utf-8"), wire_grid.action_both_ways(headers, soap)


def _sent_at_white_space(text: str) -> str:
    """The header's SentAt followed by white space (xs:dateTime collapses it: the same instant).
    Trailing only: libxml2 refuses white space before a plain xs:dateTime (a pfbus hub strips
    it and validates again: bus/core/date_whitespace.py; other libxml2-based products may not)."""
    return re.sub(r"(<pfh:SentAt>[^<]+)(</pfh:SentAt>)", "\\1\n\t \\2", text, count=1)


VARIANTS: tuple[Variant, ...] = (
    Variant("comment-in-body", "XML 1.0 2.5; SOAP 1.1 4.3, SOAP 1.2 5.3 (comments in soap:Body)",
            _utf8(lambda t: t.replace("<soap:Body>", "<soap:Body>" + _COMMENT, 1)
                  .replace("</soap:Body>", _COMMENT + "</soap:Body>", 1))),
    Variant("comment-in-header", "XML 1.0 2.5",
            _utf8(lambda t: t.replace("<soap:Header>", "<soap:Header>" + _COMMENT, 1))),
    Variant("comment-in-payload", "XML 1.0 2.5 (between elements)",
            _utf8(lambda t: _after_payload_start(t, _COMMENT))),
    Variant("comment-before-envelope", "XML 1.0 2.8 (Misc in the prolog)",
            _utf8(lambda t: t.replace(_DECL, _DECL + _COMMENT + "\n", 1))),
    Variant("pi-in-payload", "XML 1.0 2.6 (between elements); SOAP 1.2 Part 1 §5 (read "
            "past, or a Sender fault)", _utf8(lambda t: _after_payload_start(t, _PI)),
            soap=("1.2",), refusable=True),
    Variant("comment-in-value", "XML 1.0 2.5; XML Infoset 2.6 (a value is its character "
            "information items: a comment inside it is not part of it)",
            _utf8(_split_values(_COMMENT))),
    Variant("pi-in-value", "XML 1.0 2.6; XML Infoset 2.6 (the value without it); SOAP 1.2 "
            "Part 1 §5 (read past, or a Sender fault)", _utf8(_split_values(_PI)),
            soap=("1.2",), refusable=True),
    Variant("cdata", "XML 1.0 2.7", _utf8(lambda t: _in_body(t, _cdata))),
    Variant("character-references", "XML 1.0 4.1",
            _utf8(lambda t: _in_body(t, _character_references))),
    Variant("other-payload-prefixes", "Namespaces in XML 1.0 (a prefix is the sender's choice)",
            _utf8(lambda t: _in_body(t, _other_payload_prefixes))),
    Variant("default-payload-namespace", "Namespaces in XML 1.0 6.2",
            _utf8(lambda t: _in_body(t, _default_payload_namespace))),
    Variant("default-soap-namespace", "Namespaces in XML 1.0 6.2", _utf8(_default_soap_namespace)),
    Variant("redundant-declarations", "Namespaces in XML 1.0 (declarations in scope)",
            _utf8(_redundant_declarations)),
    Variant("pretty-printed", "XML 1.0 2.10, 2.11; XSD 1.0 (white space in element-only content)",
            _utf8(_pretty)),
    Variant("no-xml-declaration", "XML 1.0 2.8, 4.3.3 (UTF-8 without a declaration)",
            _utf8(lambda t: t.removeprefix(_DECL))),
    Variant("declaration-single-quoted", "XML 1.0 2.8 (quotes, encoding name case-insensitive)",
            _utf8(lambda t: t.replace(
                _DECL, "<?xml version='1.0' encoding='utf-8' standalone='yes'?>\r\n", 1))),
    Variant("white-space-in-tags", "XML 1.0 3.1 (S before '>' and between attributes)",
            _utf8(lambda t: t.replace("<soap:Envelope ", "<soap:Envelope\r\n\t", 1)
                  .replace("</soap:Body>", "</soap:Body\n>", 1)
                  .replace("</soap:Envelope>", "</soap:Envelope >", 1))),
    Variant("utf-16be", "XML 1.0 4.3.3 (UTF-16 with its byte order mark); RFC 7303 3.2",
            _utf16be),
    Variant("media-type-case", "RFC 9110 8.3.1 (type, subtype, parameter names and the charset "
            "value are case-insensitive)", _content_type(_media_type_case)),
    Variant("charset-quoted", "RFC 9110 5.6.6 (a parameter value token or quoted-string)",
            _content_type(_charset_quoted)),
    Variant("parameters-reordered", "RFC 9110 5.6.6 (OWS around ';', parameter order)",
            _content_type(_params_reordered)),
    # round 16b: OWS around ';', and namespace declarations placed where else they may be
    Variant("parameters-ows", "RFC 9110 5.6.6 (OWS, a space or a tab, on both sides of ';')",
            _content_type(_params_ows)),
    Variant("namespaces-on-envelope", "Namespaces in XML 1.0 6.1 (a declaration's scope: the "
            "element and its content; every one on the Envelope)",
            _namespaces(namespace_forms.all_on_envelope)),
    Variant("namespaces-on-body", "Namespaces in XML 1.0 6.1 (the payload's declarations on "
            "soap:Body, the header block's on soap:Header)",
            _namespaces(namespace_forms.on_body_and_header)),
    Variant("namespaces-redeclared", "Namespaces in XML 1.0 6.1 (a binding declared again "
            "inside its scope)", _namespaces(namespace_forms.redeclared_in_scope)),
    Variant("prefixes-shadowed", "Namespaces in XML 1.0 6.1 (the inner declaration of a prefix "
            "is in force: the Envelope binds the payload's prefixes to another namespace)",
            _namespaces(namespace_forms.prefixes_shadowed)),
    Variant("default-namespace-on-envelope", "Namespaces in XML 1.0 6.2 (the payload's "
            "namespace as the Envelope's default)",
            _namespaces(namespace_forms.default_namespace_on_envelope)),
    Variant("two-prefixes-one-namespace", "Namespaces in XML 1.0 (a prefix is the sender's "
            "choice: two bound to one namespace)",
            _namespaces(namespace_forms.two_prefixes_for_one_namespace)),
    # round 17: foreign attributes on the envelope's own elements (envelope_attributes.py)
    Variant("envelope-wsu-ids", "SOAP 1.1 4.1.1 and its envelope schema (anyAttribute ##other "
            "on Envelope, Header, Body); SOAP 1.2 Part 1 5.1-5.3 (namespace-qualified attributes "
            "on each): wsu:Id on all three", _namespaces(envelope_attributes.wsu_ids,
                                                         envelope_attributes.equivalent)),
    Variant("envelope-attributes-declared-in-place", "SOAP 1.1 4.1.1; SOAP 1.2 Part 1 5.1-5.3; "
            "Namespaces in XML 1.0 3 (the xml prefix bound by definition): xml:lang on the "
            "Envelope, a middleware's attribute on Header and Body declared there",
            _namespaces(envelope_attributes.declared_in_place, envelope_attributes.equivalent)),
    # round 19: every kind of namespace attribute (namespace_declarations.py), every form of a
    # character reference (reference_forms.py)
    Variant("namespace-declarations-reserved", "Namespaces in XML 1.0 §3 (xmlns:xml MAY be "
            "declared, bound to its namespace), §6.2 (xmlns=\"\" undeclares the default)",
            _namespaces(namespace_declarations.reserved)),
    Variant("namespace-declarations-unused", "Namespaces in XML 1.0 §5 (an unused declaration "
            "binds no name): the other SOAP version's, xsi, xsd, wsse, wsu, the platform's own, "
            "on every element (below the Envelope after its attributes)",
            _namespaces(namespace_declarations.unused_well_known)),
    Variant("namespace-prefixes-lookalike", "Namespaces in XML 1.0 §3 (a prefix is any NCName): "
            "the other version's prefix, a long non-ASCII one, a local name",
            _namespaces(namespace_declarations.lookalike)),
    Variant("character-references-forms", "XML 1.0 §4.1 (CharRef: hexadecimal digits of either "
            "case, leading zeros, any Char to U+10FFFF), in the header and the payload",
            _utf8(reference_forms.every_form)),
    # round 22: the prolog and epilogue's Misc items, unknown header blocks' content, a
    # declaration on each element (xml_placements.py)
    Variant("prolog-epilogue-non-ascii", "XML 1.0 §2.1, §2.5, §2.8 (Misc: comments of any "
            "Char and white space before and after the root element)",
            _utf8(xml_placements.prolog_epilogue)),
    Variant("prolog-non-ascii-no-declaration", "XML 1.0 §2.8, §4.3.3 (no XML declaration: "
            "UTF-8; the document starts with a non-ASCII comment)",
            _utf8(xml_placements.prolog_without_declaration)),
    Variant("vendor-blocks-any-content", "SOAP 1.1 §4.2, SOAP 1.2 Part 1 §5.2 (a header block "
            "the receiver does not know, mustUnderstand absent or false, ignored whatever it "
            "holds: non-ASCII names, 𠮷 as text, reference and CDATA)",
            _utf8(xml_placements.vendor_blocks_any_content)),
    Variant("namespaces-on-each-element", "Namespaces in XML 1.0 §6.1 (each element declares "
            "the prefixes it uses, none on an ancestor: .NET writers)",
            _namespaces(xml_placements.each_element_declares)),
    Variant("default-namespace-per-element", "Namespaces in XML 1.0 §6.2 (every element "
            "unprefixed, the default declared wherever the namespace changes)",
            _namespaces(xml_placements.each_element_default)),
    Variant("no-charset", "RFC 7303 3.2 (text/xml), RFC 3902 (application/soap+xml): charset "
            "optional, the XML declaration names the encoding", _content_type(_no_charset)),
    # round 20: every encoding and charset label README says a product reads (encoding_forms.py)
    *(Variant(name, spec, form, soap=soap) for name, spec, form, soap in encoding_forms.FORMS),
    # round 40c: what README lets a product refuse, only as the client's fault
    *(Variant(name, spec, form, soap=soap, may_refuse=True)
      for name, spec, form, soap in encoding_forms.REFUSABLE),
    Variant("header-names-lower-case", "RFC 9110 5.1 (field names are case-insensitive)",
            _header_names_lower),
    Variant("sent-at-white-space", "XML Schema 1.0 Part 2 §3.2.7, §4.3.6 (xs:dateTime's "
            "whiteSpace is collapse: SentAt followed by white space is the same instant)",
            _utf8(_sent_at_white_space)),
    Variant("expect-100-continue", "RFC 9110 10.1.1 (a server answers 100 Continue or the final "
            "status; the client may send the content without waiting: .NET's default for a POST)",
            _http_field("Expect", "100-continue"), soap=("1.1",)),  # HTTP's, not SOAP's: once
    Variant("soap-action-empty", "SOAP 1.1 6.1.1 (an empty SOAPAction \"\": the intent is the "
            "request-URI's); docs/security.md (the hub accepts an empty one and forwards it as "
            "sent)", _http_field("SOAPAction", '""'), soap=("1.1",)),
    Variant("other-versions-action", "RFC 3902 (action: application/soap+xml's parameter), "
            "RFC 2045 §5.1 (an unknown parameter ignored), RFC 9110 §5.1 (an unknown field "
            "ignored), SOAP 1.2 Part 2 §7 (no SOAPAction): text/xml with an action parameter, "
            "application/soap+xml with a SOAPAction field — the media type names the version",
            _other_versions_action),
    Variant("connection-close", "RFC 9112 9.6 (the last request of a connection: answered, then "
            "closed)", _http_field("Connection", "close"), soap=("1.2",)),
    Variant("lexical-forms", "XML Schema 1.0 Part 2 §3.3.13, §3.3.25, §4.3.6 (a sign, leading "
            "zeros, collapsed white space: one value of the field's type)",
            _typed_payload(lexical.lexical_forms), typed=True),  # type: ignore[arg-type]
    Variant("xsi-attributes", "XML Schema 1.0 Part 1 §2.6, §3.2.7, §3.4.6 (xsi:schemaLocation, "
            "xsi:noNamespaceSchemaLocation, xsi:type naming the declared type, xsi:nil false)",
            _typed_payload(lexical.xsi_attributes), typed=True),  # type: ignore[arg-type]
)
NAMES = tuple(v.name for v in VARIANTS)
# round 34: pairs of wire forms in one request (wire_grid.py), step ``pairs = true``
GRID: tuple[Variant, ...] = tuple(
    Variant(wire_grid.name_of(row), "wire_grid.py: README (Encodings and the Content-Type: the "
            "encodings and the forms of their label combine); XML 1.0 §4.3.3; RFC 9110 §5.6.6, "
            "§8.3.2; RFC 7303 §3.2", wire_grid.rewrite_for(row), soap=(wire_grid.version_of(row),))
    for row in wire_grid.ROWS)


def rewrite(raw: bytes, headers: Headers, soap: str, variant: Variant,
            catalog=None) -> tuple[bytes, Headers]:
    """``variant`` of a canonical request (UTF-8 bytes as ``envelopes.envelope`` writes them);
    a typed variant needs the ``catalog`` (its XSDs) and raises lexical.NotApplicable when the
    request holds nothing it changes."""
    if variant.typed:
        return variant.rewrite(raw.decode("utf-8"), dict(headers), soap,
                               catalog)  # type: ignore[call-arg]
    return variant.rewrite(raw.decode("utf-8"), dict(headers), soap)


# --- the step: every variant of a canonical request, judged against the canonical answer -------

def _unheld(seen: Any) -> bool:
    """The observation of a resident the product does not hold: it exits non-zero
    (interpreter.observed_state's text; a run killed at its timeout says ``exit None``)."""
    return isinstance(seen, str) and re.match(r"exit -?[1-9][0-9]*:", seen) is not None


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    """Send the canonical request and each variant (fresh values, a fresh MessageId each) in
    every SOAP version of ``soap``; with ``observe_vars`` (the observation command's vars), the
    product's observed state after each variant must equal the state after the canonical."""
    only = step.get("variants") or list(NAMES)
    unknown = set(only) - set(NAMES)
    if unknown:
        raise ValueError(f"{step.where}.variants: unknown {sorted(unknown)}; known: {NAMES}")
    if step.get("pairs") and step.get("variants"):
        raise ValueError(f"{step.where}: pairs = true sends the wire grid, not variants")
    chosen = list(GRID) if step.get("pairs") else [v for v in VARIANTS if v.name in only]
    ignore, observe = step.get("ignore", []), step.get("observe_vars")
    namespaces = runner.s.context.namespaces
    problems: list[str] = []
    for ref in _messages(runner, step, values):
        which = f"{ref} " if step.get("shapes") else ""  # several messages: say which
        for soap in step.get("soap", ["1.1", "1.2"]):
            canon, state = _send(runner, step, ref, values, soap, None, observe)
            for variant in (v for v in chosen if soap in v.soap):
                try:
                    ex, seen = _send(runner, step, ref, values, soap, variant, observe)
                except lexical.NotApplicable:
                    continue  # nothing of the request has another form of this kind: not sent
                found = answer_comparison.compare(canon, ex, ignore, namespaces)
                other = _other_answer(variant) if found else None
                why_not = other[1](ex) if other else None
                refused = other is not None and why_not is None
                if refused:  # the other conformant answer (SOAP 1.2 Part 1 §5, README)
                    found = [] if not observe or _unheld(seen) else [
                        f"refused with a client fault, yet observed {seen!r} after it (a "
                        f"refused notice changes nothing)"]
                elif other:
                    found = [f"{p}; nor {other[0]} instead ({why_not})" for p in found]
                if observe and not refused and seen != state:
                    found.append(f"observed {seen!r} after it, {state!r} after the canonical "
                                 f"form")
                problems += [f"{which}{variant.name} SOAP {soap} ({variant.spec}): {p}"
                             for p in found]
    return problems


def _other_answer(variant: Variant) -> tuple[str, Callable[[Exchange], str | None]] | None:
    """The refusal a variant may get instead of the canonical answer — what allows it, and why
    an answer is not it — or None: the canonical answer only."""
    if variant.refusable:
        return "the Sender fault SOAP 1.2 Part 1 §5 allows", answer_comparison.sender_refusal
    if variant.may_refuse:
        return "the client fault README allows", answer_comparison.client_refusal
    return None


def _messages(runner, step, values: dict[str, Any]) -> list[str]:
    """The step's message; with ``shapes``, instead the messages that add the optional elements
    and choice branches its message lacks (request_shapes.py) — none: the case is skipped."""
    if not step.get("shapes"):
        return [step.target]
    service = runner.instance.service
    sample = runner.s.suite.message(step.target, service, step.where).name
    merged = {**values, "fresh_addressee": runner._fresh_addressee()}
    merged = {**merged, **fill(step.get("vars", {}), merged)}
    cover = request_shapes.covering(runner.s.suite, runner.s.catalog, service, sample, merged)
    if not cover.messages:
        runner.skip_reason = (f"{request_shapes.ONLY_SAMPLE} of {service}'s request the run "
                              f"can send ({sample})"
                              + (f" (not sendable here: {', '.join(cover.left_out)})"
                                 if cover.left_out else ""))
    return list(cover.messages)


def _send(runner, step, ref: str, values: dict[str, Any], soap: str, variant: Variant | None,
          observe) -> tuple[Exchange, Any]:
    """One request of message ``ref`` (fresh values: a new resident for a notice, a new
    MessageId) and, with ``observe``, the product's state after it."""
    which = f"{ref} " if step.get("shapes") else ""
    label = f"{which}{variant.name if variant else 'canonical'} SOAP {soap}"
    vals = {**values, "fresh_addressee": runner._fresh_addressee()}

    def change(raw: bytes, headers: Headers) -> tuple[bytes, Headers]:
        assert variant is not None
        return rewrite(raw, headers, soap, variant, runner.s.catalog)

    ex = runner._post(step.with_options(soap=soap), vals, ref, {}, label,
                      rewrite=change if variant else None)
    return ex, (runner.observed_state(step, vals, observe, label) if observe else None)
