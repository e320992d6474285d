"""Vendor header blocks a product must ignore, in the two forms the twelfth blind batch passed
through the suite (docs/conformance-testing.md, Round 12b): look-alike platform fields, and size.

A SOAP header may carry any number of blocks; a product reads the one it understands,
pfh:PlatformHeader in header-v1's namespace, and ignores the others when their mustUnderstand is
absent or false (SOAP 1.1 §4.2, SOAP 1.2 Part 1 §5.2; docs/faults.md: every other header block
passes through). Both tampers put the vendor's block BEFORE the platform header, where a reader
that takes the first match wins or loses.

``lookalike_header``: a block named PlatformHeader, written with the prefix pfh, in a vendor's
namespace — the platform header's own fields (MessageId, RelatesTo, Sender, Receiver, Service,
SentAt, UserId …), the identifying ones with other values. A product that finds the header or
its fields by local name, by prefix or with a regex over the bytes reads the vendor's values:
its RelatesTo, Receiver or Service are then not the request's, or it refuses a request that is
valid (a stale SentAt, another Receiver or Version). The bodies' XSDs have no extension point
(no xs:any), so no look-alike can be put in a body without making it invalid.

``nested_header``: round 30b (the thirtieth blind batch looked the header up with a descendant
search and took the first match): a vendor block (``v:Relay``, no mustUnderstand) before the
platform header, holding a copy of pfh:PlatformHeader in header-v1's own namespace — valid for
header-v1.xsd, its identifying values changed as above. The platform header is the Header's
child (SOAP 1.1 §4.2, SOAP 1.2 Part 1 §5.2: a header block is a child element of the Header);
what a block holds is the block's.

``large_request``: LARGE_REQUEST bytes and more, past the buffer sizes products are written
with (64 KiB, 1 MiB) and within the hub's documented max_message_bytes (8 MiB): half in a vendor
block of many lines before the platform header, half white space inside the payload element
(element-only content: XML white space between its children means nothing).
"""

from __future__ import annotations

import functools
import uuid

from lxml import etree

from bus.core.header import HEADER_TAG

from .records import Exchange

LOOKALIKE_NS = "urn:example:vendor:relay"
RELAY_NS = "urn:example:vendor:relay-envelope"  # nested_header's block, holding a platform header
PADDING_NS = "urn:example:vendor:padding"
LARGE_REQUEST = 1_310_720  # 1.25 MiB: past 64 KiB and 1 MiB, far below the hub's 8 MiB
_FAKE_SENT_AT = "2001-01-01T00:00:00+09:00"
# header fields and the vendor's value for each, valid for header-v1.xsd (what a misreading
# product would echo); the others (団体コード, 業務ユニット, LinkageKind) keep the request's
_FAKE_TEXT = {"SystemId": "VENDOR-RELAY", "ServiceId": "vendor.Relay", "Version": "9",
              "SentAt": _FAKE_SENT_AT, "UserId": "vendor-relay", "StandardVersion": "9.9"}
_LINE = "pfbus 住民記録 padding 0123456789 ".encode()


def lookalike_block(raw: bytes) -> bytes:
    """The request's platform header copied into a vendor's namespace (prefix pfh), its
    identifying values changed, a RelatesTo added if the request has none."""
    root = etree.fromstring(raw)
    real = root.find(f"{{{etree.QName(root).namespace}}}Header/{HEADER_TAG}")
    if real is None:
        raise ValueError("lookalike_header needs the request's platform header")
    fake = _copy_as_vendor(real, None)
    if fake.find(f"{{{LOOKALIKE_NS}}}RelatesTo") is None:
        relates = etree.Element(f"{{{LOOKALIKE_NS}}}RelatesTo")
        relates.text = str(uuid.uuid4())
        fake.insert(1, relates)
    return etree.tostring(fake, encoding="UTF-8")


def nested_block(raw: bytes) -> bytes:
    """A vendor block holding a copy of the request's platform header, in its own namespace,
    its identifying values changed, a RelatesTo added if the request has none."""
    root = etree.fromstring(raw)
    real = root.find(f"{{{etree.QName(root).namespace}}}Header/{HEADER_TAG}")
    if real is None:
        raise ValueError("nested_header needs the request's platform header")
    relay = etree.Element(f"{{{RELAY_NS}}}Relay", nsmap={"v": RELAY_NS})
    ns = etree.QName(real).namespace
    copy = _copy_as_vendor(real, relay, ns)
    if copy.find(f"{{{ns}}}RelatesTo") is None:
        relates = etree.Element(f"{{{ns}}}RelatesTo")
        relates.text = str(uuid.uuid4())
        copy.insert(1, relates)
    return etree.tostring(relay, encoding="UTF-8")


def _copy_as_vendor(el, parent, ns: str = LOOKALIKE_NS):
    name = etree.QName(el).localname
    tag = f"{{{ns}}}{name}"
    new = etree.Element(tag, nsmap={"pfh": ns}) if parent is None \
        else etree.SubElement(parent, tag, nsmap={"pfh": ns} if etree.QName(
            parent).namespace != ns else None)
    children = [c for c in el if isinstance(c.tag, str)]
    for child in children:
        _copy_as_vendor(child, new, ns)
    if not children:
        new.text = str(uuid.uuid4()) if name in ("MessageId", "RelatesTo", "RequestHash") \
            else _FAKE_TEXT.get(name, el.text)
    return new


def not_lookalike(ctx: object, ex: Exchange) -> list[str]:
    """``binding.not_lookalike``: no field of the reply's header took a value of the request's
    look-alike block, or of the platform header nested in a vendor block. Only that is judged
    here: whether the binding is right at all is the invariants' (INV-BIND-01…03), so a defect
    of the binding in general is not counted twice."""
    env = ex.envelope("request")
    header = f"{{{env.soap_ns}}}Header"
    block, ns = env.root.find(f"{header}/{{{LOOKALIKE_NS}}}PlatformHeader"), LOOKALIKE_NS
    if block is None:
        block, ns = env.root.find(f"{header}/{{{RELAY_NS}}}Relay/{HEADER_TAG}"), \
            etree.QName(HEADER_TAG).namespace
    if block is None:
        return []
    reply = ex.header()

    def fake(path: str) -> str | None:
        return block.findtext("/".join(f"{{{ns}}}{n}" for n in path.split("/")))

    taken = [(name, value) for name, value, vendor in (
        ("RelatesTo", reply.relates_to, (fake("MessageId"), fake("RelatesTo"))),
        ("Receiver SystemId", reply.receiver.system_id, (fake("Sender/SystemId"),)),
        ("Sender SystemId", reply.sender.system_id, (fake("Receiver/SystemId"),)),
        ("ServiceId", reply.service_id, (fake("Service/ServiceId"),)),
        ("Version", reply.service_version, (fake("Service/Version"),)),
        ("StandardVersion", reply.standard_version, (fake("StandardVersion"),)),
    ) if value is not None and value in vendor]
    where = f"{{{LOOKALIKE_NS}}}PlatformHeader" if ns == LOOKALIKE_NS \
        else f"{{{RELAY_NS}}}Relay's nested pfh:PlatformHeader"
    return [f"the reply's {name} is {value}, the value of the vendor block {where} before the "
            f"platform header" for name, value in taken]


def tamper(raw: bytes, how: str) -> bytes:
    header = raw.index(b"Header>") + len(b"Header>")  # the SOAP Header's start tag, any prefix
    if how == "lookalike_header":
        return raw[:header] + lookalike_block(raw) + raw[header:]
    if how == "nested_header":
        return raw[:header] + nested_block(raw) + raw[header:]
    if how == "large_request":
        block = _padding()
        body = raw.index(b"Body>", header) + len(b"Body>")
        body_end = raw.rindex(b"</", 0, raw.index(b"Body>", body))  # the SOAP Body's end tag
        payload_end = raw.rindex(b"</", body, body_end)  # the payload's end tag
        white = b"\n" + b" " * (LARGE_REQUEST // 2)
        return raw[:header] + block + raw[header:payload_end] + white + raw[payload_end:]
    raise ValueError(f"vendor_blocks: unknown tamper {how!r}")


@functools.cache
def _padding() -> bytes:
    """The vendor block of ``large_request``: always the same bytes, so made once."""
    lines = [b'<v:Padding xmlns:v="%s">' % PADDING_NS.encode()]
    size = 0
    while size < LARGE_REQUEST // 2:
        lines.append(b"<v:Line>%d %s</v:Line>\n" % (len(lines), _LINE))
        size += len(lines[-1])
    return b"".join(lines) + b"</v:Padding>"


TAMPERS = ("lookalike_header", "nested_header", "large_request")
