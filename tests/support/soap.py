"""SOAP messages as a client sends them to the hub, and the hub's faults as a client reads them."""

from __future__ import annotations

from typing import Any

from lxml import etree

from bus.core.faults import FAULT_NS
from bus.core.header import Party, PlatformHeader

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
JUKI = "urn:pfbus:unit:juki:v1"
CHIYODA = "131016"  # 千代田区: a valid 団体コード
GOOD_ADDRESSEE = "0000000019"  # M11W2-7: 000000001 -> check digit 9


def inquiry_envelope(receiver_code: str = CHIYODA, body: str | None = None, soap: str = SOAP11,
                     service: str = "juki.ResidentInquiry", sender_code: str = CHIYODA
                     ) -> tuple[bytes, str]:
    """(envelope bytes, MessageId) of a request from vendor B's tax system to the registry of
    ``receiver_code``; ``body`` replaces the ResidentInquiryRequest for ``GOOD_ADDRESSEE``."""
    header = PlatformHeader.new(sender=Party(sender_code, "07", "vendor-b-tax"),
                                receiver=Party(receiver_code, "01", "vendor-a-juki"),
                                service_id=service, user_id="tax-clerk-01")
    header_xml = etree.tostring(header.to_element(), pretty_print=True).decode()
    body = body or (f'<j:ResidentInquiryRequest xmlns:j="{JUKI}">\n'
                    f'  <j:AddresseeNumber>{GOOD_ADDRESSEE}</j:AddresseeNumber>\n'
                    f'</j:ResidentInquiryRequest>')
    raw = (f'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="{soap}">\n'
           f'<soap:Header>\n{header_xml}</soap:Header>\n<soap:Body>\n{body}\n</soap:Body>\n'
           f'</soap:Envelope>\n')
    return raw.encode(), header.message_id


def fault_detail(response: Any) -> dict[str, Any]:
    """The hub's pff:FaultDetail of an HTTP answer (``requests`` response or anything with
    ``.content``): code, party, message_id and findings (each a dict of its child elements)."""
    root = etree.fromstring(response.content)
    detail = root.find(f".//{{{FAULT_NS}}}FaultDetail")
    assert detail is not None, response.content[:2000]
    findings = [{c.tag.split("}")[1]: c.text for c in f}
                for f in detail.findall(f"{{{FAULT_NS}}}Finding")]
    return {"code": detail.findtext(f"{{{FAULT_NS}}}Code"),
            "party": detail.findtext(f"{{{FAULT_NS}}}Party"),
            "message_id": detail.findtext(f"{{{FAULT_NS}}}MessageId"), "findings": findings}
