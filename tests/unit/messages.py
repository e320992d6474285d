"""Builders of platform messages for unit tests (reusable by any test).

Everything here builds bytes or elements the way a vendor system would send them: a real
``PlatformHeader`` (``PlatformHeader.new(...).to_element()``) in a real SOAP envelope,
pretty-printed over many lines so line numbers in findings mean something. ``line_of`` finds the
line of a tag in the bytes independently of lxml, so tests can check the line a finding reports.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace

from lxml import etree

from bus.core.catalog import Catalog
from bus.core.faults import SOAP11_NS, SOAP12_NS  # noqa: F401 (SOAP12_NS: for importers)
from bus.core.header import Party, PlatformHeader
from schemas import BUILTIN_CATALOG

JUKI_NS = "urn:pfbus:unit:juki:v1"
CMN_NS = "urn:pfbus:platform:common:v1"
TAX_NS = "urn:pfbus:unit:kojin-juminzei:v1"

CHIYODA = "131016"  # 千代田区: its 宛名番号 are 10 digits with a modulus-11 check digit
YOKOHAMA = "141003"  # 横浜市

TAX_SYSTEM = Party(CHIYODA, "07", "vendor-b-tax")  # 個人住民税: the requester
JUKI_SYSTEM = Party(CHIYODA, "01", "vendor-a-juki")  # 住民基本台帳: the provider

INDIVIDUAL_NUMBER = "123456789018"  # a valid 個人番号 (docs/platform.md)
ADDRESSEE_10 = "0000123455"  # valid M11 (weights 2-7), 10 digits: fits Modulus11Scheme(length=10)
ADDRESSEE_8 = "00123455"  # valid M11 (weights 2-7) but only 8 digits long
ADDRESSEE_BAD = "0000123456"  # 10 digits, wrong check digit

_BLANKLESS = etree.XMLParser(remove_blank_text=True)
_DEFAULT = object()


@functools.cache
def builtin_catalog() -> Catalog:
    """The shipped catalog, compiled once per test session (compiling takes ~0.3 s)."""
    return Catalog.load([BUILTIN_CATALOG])


def request_header(**changes) -> PlatformHeader:
    """A valid request header of juki.ResidentInquiry (個人住民税 → 住基 of 千代田区)."""
    header = PlatformHeader.new(sender=TAX_SYSTEM, receiver=JUKI_SYSTEM,
                                service_id="juki.ResidentInquiry", user_id="clerk01")
    return replace(header, **changes) if changes else header


def element(xml: str | bytes | etree._Element) -> etree._Element:
    if isinstance(xml, etree._Element):
        return xml
    return etree.fromstring(xml.encode() if isinstance(xml, str) else xml, _BLANKLESS)


def envelope(body: str | bytes | etree._Element | None,
             header: PlatformHeader | etree._Element | Sequence | None = _DEFAULT,
             soap_ns: str = SOAP11_NS) -> bytes:
    """A pretty-printed SOAP envelope (prefix ``soap``; 1.1 or 1.2).

    ``header``: a PlatformHeader or element (default: ``request_header()``), a sequence of them
    (several header blocks), or None for an envelope without soap:Header. ``body``: the one
    element of soap:Body (None: an empty Body).
    """
    if header is _DEFAULT:
        header = request_header()
    env = etree.Element(f"{{{soap_ns}}}Envelope", nsmap={"soap": soap_ns})
    if header is not None:
        blocks = header if isinstance(header, (list, tuple)) else [header]
        h = etree.SubElement(env, f"{{{soap_ns}}}Header")
        for block in blocks:
            h.append(block.to_element() if isinstance(block, PlatformHeader) else element(block))
    b = etree.SubElement(env, f"{{{soap_ns}}}Body")
    if body is not None:
        b.append(element(body))
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def line_of(raw: bytes, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line of ``raw`` containing ``needle``."""
    seen = 0
    for n, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return n
    raise AssertionError(f"{needle!r} not in message")


# --- bodies (XML text; the juki prefix is the document's own) ------------------------------------

def inquiry_body(addressee: str | None = ADDRESSEE_10, individual: str | None = None,
                 as_of: str | None = None, extra: str = "") -> str:
    """juki:ResidentInquiryRequest by 宛名番号 (default) or 個人番号."""
    key = (f"<juki:IndividualNumber>{individual}</juki:IndividualNumber>" if individual
           else f"<juki:AddresseeNumber>{addressee}</juki:AddresseeNumber>")
    as_of_el = f"<juki:AsOf>{as_of}</juki:AsOf>" if as_of else ""
    return (f'<juki:ResidentInquiryRequest xmlns:juki="{JUKI_NS}">{key}{as_of_el}{extra}'
            f"</juki:ResidentInquiryRequest>")


def resident_xml(tag: str = "juki:Resident", *, addressee: str = ADDRESSEE_10,
                 individual: str = INDIVIDUAL_NUMBER, gender: str = "2",
                 relationship: str = "01", resident_kind: str = "1",
                 resident_status: str = "1") -> str:
    """A cmn:ResidentType element (総務翔子 of 霞が関); its children are in the cmn namespace."""
    return (f"<{tag}>"
            f"<cmn:AddresseeNumber>{addressee}</cmn:AddresseeNumber>"
            f"<cmn:IndividualNumber>{individual}</cmn:IndividualNumber>"
            f"<cmn:HouseholdNumber>0000000019</cmn:HouseholdNumber>"
            f"<cmn:Name><cmn:Text>総務翔子</cmn:Text>"
            f"<cmn:Kana><cmn:Family>ソウム</cmn:Family><cmn:Given>ショウコ</cmn:Given></cmn:Kana>"
            f"</cmn:Name>"
            f"<cmn:DateOfBirth>1980-04-01</cmn:DateOfBirth>"
            f"<cmn:Gender>{gender}</cmn:Gender>"
            f"<cmn:Relationship>{relationship}</cmn:Relationship>"
            f"<cmn:ResidentKind>{resident_kind}</cmn:ResidentKind>"
            f"<cmn:ResidentStatus>{resident_status}</cmn:ResidentStatus>"
            f"<cmn:Address><cmn:Prefecture>東京都</cmn:Prefecture><cmn:City>千代田区</cmn:City>"
            f"<cmn:Town>霞が関</cmn:Town><cmn:Chome>2</cmn:Chome></cmn:Address>"
            f"</{tag}>")


def inquiry_response_body(status: str = "found", **resident) -> str:
    """juki:ResidentInquiryResponse; ``resident`` overrides fields of the resident."""
    found = ""
    if status == "found":
        found = (resident_xml(**resident)
                 + "<juki:Household><cmn:HouseholdNumber>0000000019</cmn:HouseholdNumber>"
                 "<cmn:HeadName><cmn:Text>総務翔子</cmn:Text></cmn:HeadName>"
                 + resident_xml("cmn:Member", **resident) + "</juki:Household>")
    return (f'<juki:ResidentInquiryResponse xmlns:juki="{JUKI_NS}" xmlns:cmn="{CMN_NS}">'
            f"<juki:Status>{status}</juki:Status>{found}</juki:ResidentInquiryResponse>")


def change_notice_body(reason: str = "A01", **resident) -> str:
    """juki:ResidentChangeNotice with one 異動 of the given 異動事由."""
    return (f'<juki:ResidentChangeNotice xmlns:juki="{JUKI_NS}" xmlns:cmn="{CMN_NS}"><juki:Change>'
            f"<juki:Sequence>1</juki:Sequence>"
            f"<juki:Event><cmn:Reason>{reason}</cmn:Reason>"
            f"<cmn:OccurredOn>2026-04-01</cmn:OccurredOn></juki:Event>"
            f"{resident_xml(**resident)}</juki:Change></juki:ResidentChangeNotice>")


def soap_fault_body(soap_ns: str = SOAP11_NS) -> str:
    """A provider's own SOAP Fault (no platform detail)."""
    if soap_ns == SOAP11_NS:
        return (f'<soap:Fault xmlns:soap="{soap_ns}"><faultcode>soap:Server</faultcode>'
                f"<faultstring>database down</faultstring></soap:Fault>")
    return (f'<soap:Fault xmlns:soap="{soap_ns}"><soap:Code><soap:Value>soap:Receiver</soap:Value>'
            f'</soap:Code><soap:Reason><soap:Text xml:lang="en">database down</soap:Text>'
            f"</soap:Reason></soap:Fault>")
