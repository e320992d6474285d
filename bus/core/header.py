"""The platform message header (プラットフォーム通信ヘッダ), version 1.

Every linkage message carries one ``pfh:PlatformHeader`` in its ``soap:Header``. The header is the
hub's own protocol (its schema is ``schemas/platform/header-v1.xsd``); business payloads are never
modelled in code.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from .frozen import built

HEADER_NS = "urn:pfbus:platform:header:v1"
HEADER_TAG = f"{{{HEADER_NS}}}PlatformHeader"
SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"
JST = dt.timezone(dt.timedelta(hours=9), "JST")

LINKAGE_FULL = "full"  # 全件
LINKAGE_DELTA = "delta"  # 差分
# A notice (異動通知) is addressed to the hub of its municipality and service: its Receiver is
# (団体コード, the notice service's 業務ユニット, HUB_SYSTEM_ID) (docs/notices.md).
HUB_SYSTEM_ID = "hub"


def _q(name: str) -> str:
    return f"{{{HEADER_NS}}}{name}"


def _by_tag(el: etree._Element) -> dict[object, etree._Element]:
    """``el``'s child elements by full tag, the first of each (what ``find`` gives)."""
    found: dict[object, etree._Element] = {}
    for child in el:
        found.setdefault(child.tag, child)  # comments and PIs: keyed by their factory, unread
    return found


def _text(children: dict[object, etree._Element], tag: str) -> Any:
    """A child's text ("" when empty), None when there is no such child."""
    child = children.get(tag)
    return None if child is None else (child.text or "")


(_MESSAGE_ID, _RELATES_TO, _SENDER, _RECEIVER, _SERVICE, _SENT_AT, _USER_ID, _LINKAGE_KIND,
 _STANDARD_VERSION, _REQUEST_HASH, _LOCAL_GOV_CODE, _BUSINESS_UNIT, _SYSTEM_ID, _SERVICE_ID,
 _VERSION) = (_q(n) for n in (
    "MessageId", "RelatesTo", "Sender", "Receiver", "Service", "SentAt", "UserId", "LinkageKind",
    "StandardVersion", "RequestHash", "LocalGovCode", "BusinessUnit", "SystemId", "ServiceId",
    "Version"))


@dataclass(frozen=True)
class Party:
    """A sending or receiving system: 団体コード + 業務ユニット + system ID."""

    local_gov_code: str  # 団体コード
    business_unit: str  # 業務ユニットコード
    system_id: str  # システムID

    def __str__(self) -> str:
        return f"{self.local_gov_code}/{self.business_unit}/{self.system_id}"


def notice_addressee(local_gov_code: str, unit: str) -> Party:
    """The Receiver of a notice of a service of 業務ユニット ``unit`` for ``local_gov_code``:
    the hub's channel (お知らせの宛先), never a subscriber's own system."""
    return Party(local_gov_code, unit, HUB_SYSTEM_ID)


@dataclass(frozen=True)
class PlatformHeader:
    """The fields every platform message needs (see docs/message-header.md)."""

    message_id: str  # メッセージID (UUID)
    sender: Party  # 送信元
    receiver: Party  # 送信先
    service_id: str  # サービスID
    service_version: str
    sent_at: str  # 送信日時, ISO 8601 with +09:00
    user_id: str  # 操作者ID
    linkage_kind: str = LINKAGE_DELTA  # 連携種別
    standard_version: str = "1.0"  # 準拠標準バージョン
    relates_to: str | None = None  # 関連メッセージID
    request_hash: str | None = None  # base64 SHA-256 of the request bytes (responses only)

    @classmethod
    def new(cls, *, sender: Party, receiver: Party, service_id: str, service_version: str = "1",
            user_id: str, linkage_kind: str = LINKAGE_DELTA, standard_version: str = "1.0",
            relates_to: str | None = None) -> PlatformHeader:
        """A header for a new message: fresh UUID, sent now (JST)."""
        return cls(message_id=new_message_id(), sender=sender, receiver=receiver,
                   service_id=service_id, service_version=service_version, sent_at=jst_now(),
                   user_id=user_id, linkage_kind=linkage_kind, standard_version=standard_version,
                   relates_to=relates_to)

    def reply(self, request_bytes: bytes, *, sender: Party | None = None,
              digest: str | None = None) -> PlatformHeader:
        """The header of the response to this request.

        The provider becomes the sender, the requester the receiver; the reply relates to this
        message and carries the digest of the exact request bytes it answers (X-Road's requestHash),
        so a response is provably bound to its request. ``digest``: that digest when the caller
        has already computed it (``request_digest(request_bytes)``).
        """
        reply = object.__new__(PlatformHeader)  # replace() without the frozen __init__'s
        state = reply.__dict__                   # checks: the same fields (issue 13)
        state.update(self.__dict__)
        state.update(message_id=new_message_id(), sender=sender or self.receiver,
                     receiver=self.sender, sent_at=jst_now(), relates_to=self.message_id,
                     request_hash=digest or request_digest(request_bytes))
        return reply

    @classmethod
    def from_element(cls, el: etree._Element) -> PlatformHeader:
        """Read a header from a schema-valid ``pfh:PlatformHeader`` element.

        One pass over each level's children instead of a ``find`` per field (~12 per header,
        two headers per exchange: ~2 % of the hub's CPU per exchange, issue 13), children
        kept by their full tag (no slicing per child) and read without helper calls."""
        top = _by_tag(el)
        sender, receiver = _by_tag(top[_SENDER]), _by_tag(top[_RECEIVER])
        service = _by_tag(top[_SERVICE])
        # required by the schema, so present (an element read unvalidated gets None, as before)
        return cls(message_id=_text(top, _MESSAGE_ID), relates_to=_text(top, _RELATES_TO),
                   sender=Party(_text(sender, _LOCAL_GOV_CODE), _text(sender, _BUSINESS_UNIT),
                                _text(sender, _SYSTEM_ID)),
                   receiver=Party(_text(receiver, _LOCAL_GOV_CODE),
                                  _text(receiver, _BUSINESS_UNIT), _text(receiver, _SYSTEM_ID)),
                   service_id=_text(service, _SERVICE_ID),
                   service_version=_text(service, _VERSION),
                   sent_at=_text(top, _SENT_AT), user_id=_text(top, _USER_ID),
                   linkage_kind=_text(top, _LINKAGE_KIND),
                   standard_version=_text(top, _STANDARD_VERSION),
                   request_hash=_text(top, _REQUEST_HASH))

    @classmethod
    def from_descendants(cls, items: list[tuple[object, str | None]]) -> PlatformHeader | None:
        """The header read from its descendants' ``(tag, text)`` in document order (what
        ``descendant_items`` gives), or None when they are not laid out as the schema's sequence
        (then ``from_element`` reads it). The same header as ``from_element`` gives, read in the
        one pass that also serves the header's rules (``MessageValidator.validate``'s
        ``descendants``): a pass per level and a dict per level cost twice as much (issue 13)."""
        offsets = _LAYOUTS.get(tuple([tag for tag, _ in items]))
        if offsets is None:
            return None
        texts = [text or "" for _, text in items]
        r, h = offsets  # RelatesTo present (0/1); RequestHash's index (0: absent)
        return built(  # the frozen __init__ skipped: the same fields (bus/core/frozen.py)
            cls, message_id=texts[0], sender=_party(texts, 2 + r), receiver=_party(texts, 6 + r),
            service_id=texts[10 + r], service_version=texts[11 + r], sent_at=texts[12 + r],
            user_id=texts[13 + r], linkage_kind=texts[14 + r], standard_version=texts[15 + r],
            relates_to=texts[1] if r else None, request_hash=texts[h] if h else None)

    def to_element(self) -> etree._Element:
        """This header as a ``pfh:PlatformHeader`` element, in schema order."""
        el = etree.Element(HEADER_TAG, nsmap={"pfh": HEADER_NS})

        def add(parent: etree._Element, name: str, value: str | None) -> etree._Element | None:
            if value is None:
                return None
            child = etree.SubElement(parent, _q(name))
            child.text = value
            return child

        add(el, "MessageId", self.message_id)
        add(el, "RelatesTo", self.relates_to)
        for name, p in (("Sender", self.sender), ("Receiver", self.receiver)):
            party = etree.SubElement(el, _q(name))
            add(party, "LocalGovCode", p.local_gov_code)
            add(party, "BusinessUnit", p.business_unit)
            add(party, "SystemId", p.system_id)
        service = etree.SubElement(el, _q("Service"))
        add(service, "ServiceId", self.service_id)
        add(service, "Version", self.service_version)
        add(el, "SentAt", self.sent_at)
        add(el, "UserId", self.user_id)
        add(el, "LinkageKind", self.linkage_kind)
        add(el, "StandardVersion", self.standard_version)
        digest = add(el, "RequestHash", self.request_hash)
        if digest is not None:
            digest.set("algorithm", SHA256_URI)
        return el


def descendant_items(el: etree._Element) -> list[tuple[object, str | None]]:
    """``(tag, text)`` of every node below ``el`` in document order (comments and processing
    instructions too, tagged by their factory), read once."""
    return [(child.tag, child.text) for child in el.iterdescendants()]


MAX_PARTIES = 1024  # parties from_descendants keeps made

_parties: dict[tuple[str, str, str], Party] = {}


def _party(texts: list[str], at: int) -> Party:
    """The party of these three texts. A hub hears from few parties, and a ``Party`` is
    immutable: each is made once and shared (~5 k instructions per party made, two per header,
    issue 13). Bounded: past ``MAX_PARTIES`` it starts over."""
    key = (texts[at], texts[at + 1], texts[at + 2])
    party = _parties.get(key)
    if party is None:
        party = built(Party, local_gov_code=key[0], business_unit=key[1], system_id=key[2])
        if len(_parties) >= MAX_PARTIES:
            _parties.clear()
        _parties[key] = party
    return party


def _layouts() -> dict[tuple[object, ...], tuple[int, int]]:
    """The descendants' tags of each schema-valid header (RelatesTo and RequestHash are
    optional; nothing else varies: the type is a closed sequence) → (RelatesTo present,
    RequestHash's index or 0)."""
    layouts: dict[tuple[object, ...], tuple[int, int]] = {}
    for relates in (0, 1):
        for hashed in (0, 1):
            tags = [_MESSAGE_ID, *([_RELATES_TO] if relates else [])]
            for party in (_SENDER, _RECEIVER):
                tags += [party, _LOCAL_GOV_CODE, _BUSINESS_UNIT, _SYSTEM_ID]
            tags += [_SERVICE, _SERVICE_ID, _VERSION, _SENT_AT, _USER_ID, _LINKAGE_KIND,
                     _STANDARD_VERSION, *([_REQUEST_HASH] if hashed else [])]
            layouts[tuple(tags)] = (relates, len(tags) - 1 if hashed else 0)
    return layouts


_LAYOUTS = _layouts()


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def readable_message_id(header_el: etree._Element) -> str | None:
    """The MessageId of a header that failed its checks, only if it is a UUID (never echo
    arbitrary text): a fault answering a request whose header could be read names it
    (docs/faults.md, pff:MessageId)."""
    child = header_el.find(f"{{{HEADER_NS}}}MessageId")
    text = child.text if child is not None else None
    return text if text and _UUID.fullmatch(text) else None


def new_message_id() -> str:
    return new_uuid4()


def new_uuid4() -> str:
    """``str(uuid.uuid4())`` without the ``UUID`` object (its checks, its integer and its text
    cost ~21 k instructions, issue 13): 16 random bytes, the version (4) and variant (RFC 4122)
    bits set as ``UUID(bytes=…, version=4)`` sets them, in the 8-4-4-4-12 form."""
    b = bytearray(os.urandom(16))
    b[6] = b[6] & 0x0F | 0x40
    b[8] = b[8] & 0x3F | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# What libxml2 escapes in text content when it serialises (and nothing else).
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
# A character XML 1.0 cannot carry: lxml refuses it in text (ValueError)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Printable ASCII that libxml2 writes as it is (not &, < or >)
_PLAIN = re.compile("[\x20-\x25\x27-\x3b\x3d\x3f-\x7e]*")


def xml_text(value: str) -> str | None:
    """``value`` as libxml2 writes it in text content, or None when it holds a character XML
    cannot carry (lxml refuses such text)."""
    return None if _NOT_XML.search(value) else value.translate(_TEXT_ESCAPES)


def header_xml(header: PlatformHeader) -> str | None:
    """``header`` as ``pfh:PlatformHeader`` markup, exactly what
    ``etree.tostring(header.to_element(), encoding="UTF-8")`` gives (decoded), written as text:
    the hub answers every notice with a receipt holding one, and building the tree and
    serialising it cost ~8 times as much (issue 13). None when a value holds a character XML
    cannot carry; ``to_element`` refuses it then, as it always did."""
    values = [header.message_id, header.relates_to, header.sender.local_gov_code,
              header.sender.business_unit, header.sender.system_id,
              header.receiver.local_gov_code, header.receiver.business_unit,
              header.receiver.system_id, header.service_id, header.service_version,
              header.sent_at, header.user_id, header.linkage_kind, header.standard_version,
              header.request_hash]
    if _PLAIN.fullmatch("".join([v for v in values if v is not None])) is None:
        # something to escape, or to refuse: value by value (the common case needs neither)
        if any(v is not None and _NOT_XML.search(v) for v in values):
            return None
        values = [None if v is None else v.translate(_TEXT_ESCAPES) for v in values]
    (mid, relates, s_code, s_unit, s_system, r_code, r_unit, r_system, service, version,
     sent_at, user, kind, standard, digest) = values
    return "".join((
        f'<pfh:PlatformHeader xmlns:pfh="{HEADER_NS}"><pfh:MessageId>{mid}</pfh:MessageId>',
        "" if relates is None else f"<pfh:RelatesTo>{relates}</pfh:RelatesTo>",
        f"<pfh:Sender><pfh:LocalGovCode>{s_code}</pfh:LocalGovCode><pfh:BusinessUnit>{s_unit}"
        f"</pfh:BusinessUnit><pfh:SystemId>{s_system}</pfh:SystemId></pfh:Sender>"
        f"<pfh:Receiver><pfh:LocalGovCode>{r_code}</pfh:LocalGovCode><pfh:BusinessUnit>{r_unit}"
        f"</pfh:BusinessUnit><pfh:SystemId>{r_system}</pfh:SystemId></pfh:Receiver>"
        f"<pfh:Service><pfh:ServiceId>{service}</pfh:ServiceId><pfh:Version>{version}"
        f"</pfh:Version></pfh:Service><pfh:SentAt>{sent_at}</pfh:SentAt><pfh:UserId>{user}"
        f"</pfh:UserId><pfh:LinkageKind>{kind}</pfh:LinkageKind><pfh:StandardVersion>"
        f"{standard}</pfh:StandardVersion>",
        "" if digest is None else
        f'<pfh:RequestHash algorithm="{SHA256_URI}">{digest}</pfh:RequestHash>',
        "</pfh:PlatformHeader>"))


def jst_now() -> str:
    """Now in JST, second precision, e.g. ``2026-11-27T15:04:05+09:00``."""
    return dt.datetime.now(JST).replace(microsecond=0).isoformat()


def request_digest(raw: bytes) -> str:
    """Base64 SHA-256 of the exact request bytes (X-Road's requestHash)."""
    return base64.b64encode(hashlib.sha256(raw).digest()).decode("ascii")
