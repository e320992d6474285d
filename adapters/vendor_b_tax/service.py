"""Vendor B's platform side (個人住民税).

Provides 課税状況照会 (``taxation_status_inquiry``) and, as a consumer of 住民基本台帳, keeps the
residents it asked the registry about (``store_resident_from_inquiry``). Handlers are pure
functions over a TaxStore; ``handlers(store)`` binds them for the SDK provider.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Callable

from lxml import etree

from adapters.sdk.upsert import IncompleteRow
from bus.core.header import PlatformHeader

from .mapping import TAX, MappingError, resident_to_row, taxation_to_response
from .originals import keep_originals, originals_of
from .store import TaxStore

JUKI = "urn:pfbus:unit:juki:v1"
TAXATION_STATUS_INQUIRY = "kojinjuminzei.TaxationStatusInquiry"

Handler = Callable[[PlatformHeader, etree._Element], etree._Element]

# What the handlers may raise, as vendor B's own fault codes (ProviderApp(errors=...)). A
# subscriber's code and message are kept with a dead letter at the hub, so no message may quote
# a value: MappingError's text can (a name), so it gets a fixed one; IncompleteRow names columns
# only, and SQLite's errors name the constraint or the condition, never the row.
ERRORS = {
    MappingError: ("VENDOR-B-DATA-ERROR", "a value has no representation in vendor B's layout"),
    IncompleteRow: "VENDOR-B-ROW-INCOMPLETE",
    sqlite3.IntegrityError: "VENDOR-B-DB-CONSTRAINT",
    sqlite3.OperationalError: "VENDOR-B-DB-UNAVAILABLE",  # read-only, locked, disk I/O …
}


def _t(name: str) -> str:
    return f"{{{TAX}}}{name}"


def taxation_status_inquiry(store: TaxStore, header: PlatformHeader | None,
                            request_el: etree._Element) -> etree._Element:
    """課税状況照会: tax:TaxationStatusInquiryRequest (宛名番号, 課税年度) →
    tax:TaxationStatusInquiryResponse; Status "not-found" when the 課税台帳 has no such row."""
    if request_el.tag != _t("TaxationStatusInquiryRequest"):
        raise ValueError(f"expected tax:TaxationStatusInquiryRequest, got {request_el.tag}")
    number = request_el.findtext(_t("AddresseeNumber"))
    year_text = (request_el.findtext(_t("FiscalYear")) or "").strip()
    year = re.match(r"[0-9]{4}", year_text)  # xs:gYear may carry a timezone ("2024+09:00")
    if not number or not year:
        raise ValueError("TaxationStatusInquiryRequest needs AddresseeNumber and FiscalYear")
    return taxation_to_response(store.taxation(number.strip(), int(year[0])))


def store_resident_from_inquiry(store: TaxStore, response_el: etree._Element) -> str | None:
    """Keep the resident of a juki:ResidentInquiryResponse in vendor B's 宛名 table (upsert).

    Called after the tax system asked the registry (juki.ResidentInquiry). Returns the stored
    宛名番号, or None when the registry answered not-found (nothing is changed then)."""
    if response_el.tag != f"{{{JUKI}}}ResidentInquiryResponse":
        raise ValueError(f"expected juki:ResidentInquiryResponse, got {response_el.tag}")
    if response_el.findtext(f"{{{JUKI}}}Status") != "found":
        return None
    resident = response_el.find(f"{{{JUKI}}}Resident")
    household = response_el.find(f"{{{JUKI}}}Household")
    row = resident_to_row(resident, household)
    store.upsert_addressee(row)
    keep_originals(store, row["宛名番号"], originals_of(resident, household))  # 縮退 mode
    return row["宛名番号"]


def service_ids() -> tuple[str, ...]:
    """The platform service IDs vendor B provides."""
    return (TAXATION_STATUS_INQUIRY,)


def handlers(store: TaxStore) -> dict[str, Handler]:
    """Service ID → handler ``(header, request element) → response element`` bound to ``store``."""
    return {TAXATION_STATUS_INQUIRY: functools.partial(taxation_status_inquiry, store)}


__all__ = ["TAXATION_STATUS_INQUIRY", "handlers", "service_ids",
           "store_resident_from_inquiry", "taxation_status_inquiry"]
