"""Vendor B's side of the 宛名連携: asking the registry for a resident through the hub.

The tax system sends juki.ResidentInquiry (by 宛名番号) with the SDK's consumer, gets the standard
answer (verified: RelatesTo and RequestHash bind it to the request) and keeps the resident in its
own layout (名前1/名前2 in katakana, 名前(漢字), 町名, 丁 in kanji numerals).
"""

from __future__ import annotations

from lxml import etree

from adapters.sdk.consumer import ConsumerClient, Reply
from adapters.sdk.full_transfer import FullTransfer, TransferState
from bus.core.header import Party

from .mapping import resident_to_row
from .service import store_resident_from_inquiry
from .store import TaxStore, write_addressees

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


def full_load(client: ConsumerClient, store: TaxStore, registry: Party, transfer_id: str, *,
              page_size: int = 500, max_pages: int | None = None,
              window: int = 1) -> TransferState:
    """全件: every resident of the registry into vendor B's 宛名 table, page by page; run it
    again with the same ``transfer_id`` to resume after any failure. ``window``: pages in
    flight at once (applied in order)."""

    def apply(conn, residents) -> None:
        write_addressees(conn, [resident_to_row(resident) for resident in residents])

    transfer = FullTransfer(store.conn, client, registry, apply, transfer_id=transfer_id,
                            page_size=page_size, lock=store.lock, window=window)
    return transfer.run(max_pages)
