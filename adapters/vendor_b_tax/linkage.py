"""Vendor B's side of the 宛名連携: asking the registry for a resident through the hub.

The tax system sends juki.ResidentInquiry (by 宛名番号) with the SDK's consumer, gets the standard
answer (verified: RelatesTo and RequestHash bind it to the request) and keeps the resident in its
own layout (名前1/名前2 in katakana, 名前(漢字), 町名, 丁 in kanji numerals).
"""

from __future__ import annotations

from lxml import etree

from adapters.sdk.consumer import ConsumerClient, Reply
from bus.core.header import Party

from .service import store_resident_from_inquiry
from .store import TaxStore

JUKI = "urn:pfbus:unit:juki:v1"
RESIDENT_INQUIRY = "juki.ResidentInquiry"


def resident_inquiry(addressee_number: str) -> etree._Element:
    """A juki:ResidentInquiryRequest by 宛名番号."""
    request = etree.Element(f"{{{JUKI}}}ResidentInquiryRequest", nsmap={"juki": JUKI})
    etree.SubElement(request, f"{{{JUKI}}}AddresseeNumber").text = addressee_number
    return request


def fetch_resident(client: ConsumerClient, store: TaxStore, registry: Party,
                   addressee_number: str) -> tuple[Reply, str | None]:
    """Ask ``registry`` for the resident and store them; (the reply, the 宛名番号 stored or None)."""
    reply = client.call(RESIDENT_INQUIRY, registry, resident_inquiry(addressee_number))
    return reply, store_resident_from_inquiry(store, reply.body)
