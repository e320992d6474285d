"""Building the messages the suite sends: templates filled in, wrapped in a SOAP envelope.

The body is the case data's text, inserted as is (after ${…} substitution), so the bytes on the
wire are exactly the data's — rare characters, IVS sequences and all. The envelope is written
out as text too: the suite must be able to send what a sloppy client would (no header, a header
naming another service) and must know the exact bytes it sent, which RequestHash covers.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from bus.core.catalog import ServiceSpec
from bus.core.faults import SOAP11_NS, SOAP12_NS
from bus.core.header import LINKAGE_DELTA, Party, PlatformHeader

from . import (broken_envelopes, dtd_forms, message_ids, namespace_forms, sent_at_forms,
               vendor_blocks)

SOAP_NS = {"1.1": SOAP11_NS, "1.2": SOAP12_NS}
SOAP_VERSION = {SOAP11_NS: "1.1", SOAP12_NS: "1.2"}
WSDL_SOAP11 = "http://schemas.xmlsoap.org/wsdl/soap/"
WSDL_SOAP12 = "http://schemas.xmlsoap.org/wsdl/soap12/"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
HEADER_OVERRIDES = ("service_id", "service_version", "sender_system_id", "receiver_system_id",
                    "receiver_local_gov_code", "receiver_business_unit", "message_id", "linkage_kind",
                    "sent_at_age", "sent_at_form", "relates_to", "sent_at", "standard_version", "user_id",
                    "sender_local_gov_code", "sender_business_unit")


class TemplateError(ValueError):
    """A ${name} with no value: a data error in the case or a missing --param."""


def substitute(template: str, values: Mapping[str, object], *, xml: bool = False) -> str:
    """Replace every ``${name}``; in XML text the values are escaped."""
    def one(m: re.Match) -> str:
        name = m.group(1)
        if name not in values:
            raise TemplateError(f"no value for ${{{name}}} (a profile parameter, --param "
                                f"{name}=…, or the step's vars)")
        text = str(values[name])
        return escape(text) if xml else text

    return _PLACEHOLDER.sub(one, template)


def fill(value, values: Mapping[str, object]):
    """``substitute`` through strings, lists and tables of a step's options."""
    if isinstance(value, str):
        return substitute(value, values)
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    return value


def request_header(service: ServiceSpec, params: Mapping[str, object],
                   overrides: Mapping[str, str] | None = None,
                   linkage_kind: str = LINKAGE_DELTA) -> PlatformHeader:
    """The header of a request from the suite (sender) to the product (receiver).

    A notice is addressed to the hub of the municipality (``receiver_system_id``), which delivers
    the same bytes to each subscriber: the product then answers a message not addressed to it.
    """
    code = str(params["sut_local_gov_code"])
    receiver = str(params.get("receiver_system_id") or params["sut_system_id"])
    header = PlatformHeader.new(
        sender=Party(code, str(params["suite_business_unit"]), str(params["suite_system_id"])),
        receiver=Party(code, service.unit, receiver),
        service_id=service.id, service_version=service.version, user_id=str(params["user_id"]),
        linkage_kind=linkage_kind)
    overrides = dict(overrides or {})
    overrides.setdefault("message_id", message_ids.fresh())  # every version of the type's
    unknown = set(overrides) - set(HEADER_OVERRIDES)
    if unknown:
        raise TemplateError(f"header: unknown field(s) {', '.join(sorted(unknown))}; known: "
                            f"{', '.join(HEADER_OVERRIDES)}")
    sender_system = overrides.pop("sender_system_id", None)  # a second requesting system
    if sender_system:
        header = replace(header, sender=replace(header.sender, system_id=sender_system))
    sender_code = overrides.pop("sender_local_gov_code", None)  # a requester of another 団体
    if sender_code:
        header = replace(header, sender=replace(header.sender, local_gov_code=sender_code))
    sender_unit = overrides.pop("sender_business_unit", None)
    if sender_unit:
        header = replace(header, sender=replace(header.sender, business_unit=sender_unit))
    receiver_system = overrides.pop("receiver_system_id", None)
    if receiver_system:
        header = replace(header, receiver=replace(header.receiver, system_id=receiver_system))
    age = overrides.pop("sent_at_age", None)  # seconds: a request sent that long ago
    if age:
        sent = dt.datetime.fromisoformat(header.sent_at) - dt.timedelta(seconds=float(age))
        header = replace(header, sent_at=sent.isoformat())
    form = overrides.pop("sent_at_form", None)  # another lexical form (sent_at_forms.py)
    if form:
        if form not in sent_at_forms.FORMS:
            raise TemplateError(f"header.sent_at_form: {form!r}; known: {sorted(sent_at_forms.FORMS)}")
        header = replace(header, sent_at=sent_at_forms.FORMS[form]())
    receiver_code = overrides.pop("receiver_local_gov_code", None)
    if receiver_code:
        header = replace(header, receiver=replace(header.receiver, local_gov_code=receiver_code))
    receiver_unit = overrides.pop("receiver_business_unit", None)
    if receiver_unit:
        header = replace(header, receiver=replace(header.receiver, business_unit=receiver_unit))
    return replace(header, **overrides)


def envelope(body_xml: str, soap: str, header: PlatformHeader | None) -> bytes:
    """A SOAP envelope around ``body_xml`` (text, inserted unchanged)."""
    ns = SOAP_NS[soap]
    head = ""
    if header is not None:
        head = etree.tostring(header.to_element(), encoding="unicode")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<soap:Envelope xmlns:soap="{ns}"><soap:Header>{head}</soap:Header>'
            f'<soap:Body>{body_xml}</soap:Body></soap:Envelope>').encode("utf-8")


# Hostile and broken variants of a request (``tamper`` on a send step): what a careless or hostile
# client sends. A product must refuse each with a client SOAP Fault (SOAP forbids a DTD).
_DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def _with_dtd(raw: bytes, declarations: bytes, reference: bytes) -> bytes:
    """A DOCTYPE with ``declarations``; the UserId's value replaced by ``reference``, so that a
    product that expands entities sees a complete, valid request."""
    start = raw.index(b"UserId>") + len(b"UserId>")
    end = raw.index(b"</", start)
    body = raw[len(_DECL):start] + reference + raw[end:]
    return _DECL + b"<!DOCTYPE soap:Envelope [" + declarations + b"]>\n" + body


def tamper(raw: bytes, how: str) -> bytes:
    if how == "internal_dtd":
        user = raw[raw.index(b"UserId>") + 7:raw.index(b"</", raw.index(b"UserId>"))]
        return _with_dtd(raw, b'<!ENTITY user "' + user + b'">', b"&user;")
    if how == "external_entity":  # XXE: a product resolving it reads a local file
        return _with_dtd(raw, b'<!ENTITY user SYSTEM "file:///etc/hostname">', b"&user;")
    if how == "entity_expansion":  # a small "billion laughs": 10^4 expansions
        decl = b'<!ENTITY a "conformance">' + b"".join(
            b"<!ENTITY " + bytes([98 + i]) + b' "' + (b"&" + bytes([97 + i]) + b";") * 10 + b'">'
            for i in range(4))
        return _with_dtd(raw, decl, b"&e;")
    if how == "bytes_not_utf8":  # XML 1.0 §4.3.3: bytes illegal in the declared encoding are
        # a fatal error — the UserId written in Shift_JIS under the UTF-8 declaration
        start = raw.index(b"UserId>") + len(b"UserId>")
        return raw[:start] + "田中".encode("shift_jis") + raw[raw.index(b"</", start):]
    if how == "malformed":  # cut off inside the body: not well-formed
        return raw[:-len(b"</soap:Body></soap:Envelope>") - 5]
    # XML 1.0 §2.8: the XML declaration, when present, is the document's very first bytes;
    # '<?xml' anywhere after is a processing instruction with a reserved target — a fatal error
    if how == "space_before_declaration":  # a sanitiser's strip() reads it (blind batch 42)
        return b" \r\n" + raw
    if how == "comment_before_declaration":
        return b"<!-- vendor gateway -->" + raw
    # XML 1.0 §4.3.3, Appendix F: a byte order mark is an encoding's signature, read only as a
    # document's first bytes; U+FEFF anywhere else before the root element is character data
    # where only Misc may stand (§2.1, §2.8) — not well-formed (round 44b: the forty-fourth
    # blind batch removed every U+FEFF before parsing)
    if how == "bom_after_declaration":
        end = raw.index(b"?>") + 2
        return raw[:end] + codecs.BOM_UTF8 + raw[end:]
    if how == "bom_twice":  # the second one is U+FEFF before the declaration
        return codecs.BOM_UTF8 * 2 + raw
    if how == "surrogate_pair_references":  # XML 1.0 §4.1 WFC Legal Character: a reference
        # to a surrogate (a UTF-16 code unit, no character) is a fatal error — also two in a
        # row that UTF-16 would join into 𠮷 (U+20BB7), which a decoder may do (blind batch 43)
        start = raw.index(b"UserId>") + len(b"UserId>")
        return raw[:start] + b"&#xD842;&#xDFB7;" + raw[start:]
    if how == "no_header_element":  # the soap:Header element itself absent (SOAP: optional)
        start = raw.index(b"<soap:Header>")
        end = raw.index(b"</soap:Header>") + len(b"</soap:Header>")
        return raw[:start] + raw[end:]
    # standard-conformant variants a product must read like any other request
    if how == "bom":  # XML 1.0 §4.3.3: a UTF-8 entity may begin with a byte order mark
        return codecs.BOM_UTF8 + raw
    if how == "other_prefixes":  # prefixes are the sender's choice: S for SOAP, h for the header
        for old, new in ((b"soap", b"S"), (b"pfh", b"h")):
            for form in (b"<%s:", b"</%s:", b"xmlns:%s="):
                raw = raw.replace(form % old, form % new)
        return raw
    if how == "utf16":  # XML 1.0 §4.3.3: every processor reads UTF-16 (here with its BOM)
        return raw.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"', 1) \
            .encode("utf-16")
    if how == "deep_header":  # a vendor header block nesting to DEEP_REQUEST levels, within
        # the hub's max_depth (64): the hub forwards it, a provider ignores a block not for it
        block = b'<v:Trace xmlns:v="urn:example:vendor:trace">' + b"<v:n>" * (DEEP_REQUEST - 3) \
            + b"</v:n>" * (DEEP_REQUEST - 3) + b"</v:Trace>"
        return raw.replace(b"<soap:Header>", b"<soap:Header>" + block, 1)
    if how == "trailing_whitespace":  # XML 1.0 §2.1: Misc after the root element (a newline)
        return raw + b"\r\n"
    if how in ("must_understand", "must_understand_elsewhere"):
        # a vendor's header block the product cannot know, mustUnderstand true (1.1: "1", 1.2:
        # "true"); addressed to the product (no actor/role: the ultimate receiver) or elsewhere
        soap12 = SOAP_NS["1.2"].encode() in raw[:300]
        role = b"" if how == "must_understand" else \
            b' soap:%s="urn:example:vendor:audit"' % (b"role" if soap12 else b"actor")
        block = b'<v:Signature xmlns:v="urn:example:vendor:unknown" soap:mustUnderstand="' + \
            (b"true" if soap12 else b"1") + b'"' + role + b">s-1</v:Signature>"
        return raw.replace(b"<soap:Header>", b"<soap:Header>" + block, 1)
    if how in ("header_soap_attributes", "header_soap_attributes_optional"):
        # SOAP's own attributes on pfh:PlatformHeader, as on any header block (header-v1.xsd's
        # anyAttribute): mustUnderstand true (1.1 "1", 1.2 "true") with the actor/role of the
        # ultimate receiver and an encodingStyle, or mustUnderstand false ("0", "false") with
        # SOAP 1.2's relay — the product understands the block: a normal answer either way
        soap12 = SOAP_NS["1.2"].encode() in raw[:300]
        if how == "header_soap_attributes":
            attrs = (b' soap:mustUnderstand="true" soap:role="%s/role/ultimateReceiver"'
                     b' soap:encodingStyle="%s/encoding/none"' % ((SOAP12_NS.encode(),) * 2)
                     if soap12 else
                     b' soap:mustUnderstand="1" soap:actor="http://schemas.xmlsoap.org/soap/'
                     b'actor/next" soap:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"')
        else:
            attrs = b' soap:mustUnderstand="false" soap:relay="true"' if soap12 else \
                b' soap:mustUnderstand="0"'
        start = raw.index(b"PlatformHeader", raw.index(b"<soap:Header>")) + len(b"PlatformHeader")
        return raw[:start] + attrs + raw[start:]
    if how in MUST_UNDERSTAND_FORMS:  # round 10: mustUnderstand read as SOAP's boolean and
        # every role that names the product (P-SOAP-07); the version's own spellings only
        soap12 = SOAP_NS["1.2"].encode() in raw[:300]
        value, role = MUST_UNDERSTAND_FORMS[how]["1.2" if soap12 else "1.1"]
        attrs = b' soap:mustUnderstand="%s"' % value.encode() + (
            b' soap:%s="%s"' % (b"role" if soap12 else b"actor", role.encode()) if role else b"")
        block = b'<v:Audit xmlns:v="urn:example:vendor:audit"' + attrs + b">a-1</v:Audit>"
        return raw.replace(b"<soap:Header>", b"<soap:Header>" + block, 1)
    if how == "many_changes":  # a notice of MANY_CHANGES changes (Change maxOccurs unbounded):
        # the first change repeated with 異動連番 1 … MANY_CHANGES − 1, the second as the last
        text = raw.decode("utf-8")
        changes = re.findall(r"<juki:Change>.*?</juki:Change>", text, flags=re.DOTALL)
        if len(changes) != 2:
            raise TemplateError("tamper many_changes: needs a notice of two changes")
        numbered = [re.sub(r"<juki:Sequence>\d+</juki:Sequence>",
                           f"<juki:Sequence>{i}</juki:Sequence>", changes[0])
                    for i in range(1, MANY_CHANGES)]
        numbered.append(re.sub(r"<juki:Sequence>\d+</juki:Sequence>",
                               f"<juki:Sequence>{MANY_CHANGES}</juki:Sequence>", changes[1]))
        start, end = text.index(changes[0]), text.index(changes[1]) + len(changes[1])
        return (text[:start] + "".join(numbered) + text[end:]).encode("utf-8")
    if how == "xinclude":
        return xinclude(raw)
    if how == "foreign_envelope":  # round 15b: the Envelope of another namespace, a version
        # error (SOAP 1.1 4.1.2, SOAP 1.2 Part 1 5.4.7): SOAP 1.2's draft namespace
        for ns in SOAP_NS.values():
            raw = raw.replace(b'xmlns:soap="%s"' % ns.encode(),
                              b'xmlns:soap="%s"' % FOREIGN_ENVELOPE_NS.encode(), 1)
        return raw
    if how in vendor_blocks.TAMPERS:  # round 12b: look-alike fields, a large request
        return vendor_blocks.tamper(raw, how)
    if how in dtd_forms.TAMPERS:  # round 15: the DOCTYPE forms P-HOST-01…03 never send
        return dtd_forms.tamper(raw, how)
    if how in broken_envelopes.TAMPERS:  # round 39b: an envelope's own structure broken
        return broken_envelopes.tamper(raw, how)
    if how in namespace_forms.TAMPERS:  # round 46a: a message breaking a rule, unprefixed
        return namespace_forms.tamper(raw, how)
    raise TemplateError(f"tamper: unknown {how!r}; known: {', '.join(TAMPERS)}")


FOREIGN_ENVELOPE_NS = "http://www.w3.org/2001/12/soap-envelope"  # a SOAP 1.2 working draft's
XINCLUDE_NS = "http://www.w3.org/2001/XInclude"
XINCLUDE_HREF = "file:///nonexistent/pfbus-conformance/xinclude.xml"


def xinclude(raw: bytes) -> bytes:
    """P-HOST-06: the payload's first child wrapped in an xi:include of a resource that does not
    exist, the child itself its xi:fallback. A product that processes XInclude (XInclude 1.0
    §4.4: a failed inclusion takes the fallback's content) sees the request as it was, valid,
    and answers it; one that reads the message as it is sees an xi:include element the XSD does
    not allow there: schema-invalid."""
    root = etree.fromstring(raw)
    body = root.find(f"{{{etree.QName(root).namespace}}}Body")
    payload = next(c for c in body if isinstance(c.tag, str))
    child = next(c for c in payload if isinstance(c.tag, str))
    include = etree.Element(f"{{{XINCLUDE_NS}}}include", {"href": XINCLUDE_HREF},
                            nsmap={"xi": XINCLUDE_NS})
    fallback = etree.SubElement(include, f"{{{XINCLUDE_NS}}}fallback")
    child.addprevious(include)
    include.tail, child.tail = child.tail, None
    fallback.append(child)
    return _DECL + etree.tostring(root, encoding="UTF-8")  # the suite's own declaration


# P-SOAP-07's vendor header blocks: tamper → SOAP version → (mustUnderstand, actor/role). SOAP
# 1.1's mustUnderstand is "0" or "1" (§4.2.3), SOAP 1.2's an xs:boolean (Part 1 §5.2.3); the
# roles naming the ultimate receiver: none, 1.1 actor …/actor/next, 1.2 role …/role/next and
# …/role/ultimateReceiver (1.1 §4.2.2, 1.2 Part 1 §2.2)
_NEXT11 = "http://schemas.xmlsoap.org/soap/actor/next"
_ROLE12 = "http://www.w3.org/2003/05/soap-envelope/role/"
MUST_UNDERSTAND_FORMS = {
    "must_understand_false": {"1.1": ("0", None), "1.2": ("false", None)},
    "must_understand_zero": {"1.1": ("0", _NEXT11), "1.2": ("0", None)},
    "must_understand_next": {"1.1": ("1", _NEXT11), "1.2": ("true", _ROLE12 + "next")},
    "must_understand_ultimate": {"1.1": (" 1 ", None), "1.2": ("1", _ROLE12 + "ultimateReceiver")},
}
MANY_CHANGES = 256  # past 10, 16, 32, 50, 64, 100, 128 and 255 (a batch, a page, a byte)


TAMPERS = ("internal_dtd", "external_entity", "entity_expansion", "malformed", "bom",
           "other_prefixes", "utf16", "deep_header", "trailing_whitespace", "must_understand",
           "must_understand_elsewhere", "header_soap_attributes",
           "header_soap_attributes_optional", "many_changes", "xinclude", "foreign_envelope",
           "bytes_not_utf8", "space_before_declaration", "comment_before_declaration",
           "no_header_element", "surrogate_pair_references", "bom_after_declaration",
           "bom_twice",
           *MUST_UNDERSTAND_FORMS,
           *vendor_blocks.TAMPERS, *dtd_forms.TAMPERS, *broken_envelopes.TAMPERS,
           *namespace_forms.TAMPERS)
DEEP_REQUEST = 60  # levels, the envelope's own included


def http_headers(soap: str, action: str) -> dict[str, str]:
    if soap == "1.1":
        return {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
    return {"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'}


@lru_cache(maxsize=64)
def soap_actions(wsdl_path: Path) -> dict[str, str]:
    """SOAP version → soapAction of the (single) operation in a standard WSDL file."""
    tree = etree.parse(str(wsdl_path), etree.XMLParser(no_network=True, resolve_entities=False))
    actions = {}
    for version, ns in (("1.1", WSDL_SOAP11), ("1.2", WSDL_SOAP12)):
        op = tree.find(f".//{{{ns}}}operation")
        if op is not None:
            actions[version] = op.get("soapAction", "")
    return actions
