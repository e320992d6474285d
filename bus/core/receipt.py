"""The notice receipt (受領通知, ``pfr:NoticeReceipt``) the hub answers a publisher with, once the
notice is stored durably — and reads back from subscribers."""

from __future__ import annotations

from lxml import etree

from .inspection import AcceptedRequest

RECEIPT_NS = "urn:pfbus:platform:receipt:v1"
RECEIPT_TAG = f"{{{RECEIPT_NS}}}NoticeReceipt"
ACCEPTED, DUPLICATE, APPLIED = "accepted", "duplicate", "applied"


def receipt_element(message_id: str, status: str, subscribers: int | None = None
                    ) -> etree._Element:
    receipt = etree.Element(RECEIPT_TAG, nsmap={"pfr": RECEIPT_NS})
    etree.SubElement(receipt, f"{{{RECEIPT_NS}}}MessageId").text = message_id
    etree.SubElement(receipt, f"{{{RECEIPT_NS}}}Status").text = status
    if subscribers is not None:
        etree.SubElement(receipt, f"{{{RECEIPT_NS}}}Subscribers").text = str(subscribers)
    return receipt


def receipt_envelope(request: AcceptedRequest, status: str) -> bytes:
    """The reply to a notice: bound to it (RelatesTo, RequestHash) like any reply, sent by the
    party the notice was addressed to (the hub's channel for the service)."""
    soap = request.envelope.soap_ns
    header = request.header.reply(request.envelope.raw, sender=request.header.receiver)
    env = etree.Element(f"{{{soap}}}Envelope", nsmap={"soap": soap})
    etree.SubElement(env, f"{{{soap}}}Header").append(header.to_element())
    body = etree.SubElement(env, f"{{{soap}}}Body")
    body.append(receipt_element(request.header.message_id, status, len(request.subscribers)))
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def receipt_status(body: etree._Element) -> str | None:
    return body.findtext(f"{{{RECEIPT_NS}}}Status") if body.tag == RECEIPT_TAG else None
