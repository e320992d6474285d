"""Vendor A's platform services (住民基本台帳 provided services).

Pure handler functions over a RegistryStore: ``(store, header, request element) → response
element``. ``handlers(store)`` binds them to a store in the form the SDK provider registers per
service ID: ``(PlatformHeader, request element) → response element``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from lxml import etree

from bus.core.header import PlatformHeader

from .mapping import CMN, household_to_element, resident_to_element
from .store import RegistryStore, UnknownExtract

JUKI = "urn:pfbus:unit:juki:v1"
NSMAP = {"juki": JUKI, "cmn": CMN}
RESIDENT_INQUIRY = "juki.ResidentInquiry"
RESIDENT_FULL_EXTRACT = "juki.ResidentFullExtract"
MAX_PAGE_SIZE = 1000  # juki:PageSizeType

__all__ = ["RESIDENT_INQUIRY", "RESIDENT_FULL_EXTRACT", "UnknownExtract", "full_extract",
           "handlers", "resident_inquiry", "service_ids"]

Handler = Callable[[PlatformHeader, etree._Element], etree._Element]


def _j(name: str) -> str:
    return f"{{{JUKI}}}{name}"


def _expect(el: etree._Element, name: str) -> None:
    if el.tag != _j(name):
        raise ValueError(f"expected juki:{name}, got {el.tag}")


def _child(el: etree._Element, name: str) -> str | None:
    child = el.find(_j(name))
    return None if child is None else (child.text or "").strip()


def _as_of(el: etree._Element) -> dt.date | None:
    text = _child(el, "AsOf")
    return None if text is None else dt.date.fromisoformat(text[:10])  # drop a timezone


def _resident_on(row: dict, as_of: dt.date | None) -> bool:
    """Whether the record existed on ``as_of``. Vendor A keeps current state only (no history),
    so 基準日 can only exclude those who became residents after it."""
    became = row.get("住民となった年月日")
    return as_of is None or not became or became <= as_of.strftime("%Y%m%d")


def resident_inquiry(store: RegistryStore, header: PlatformHeader | None,
                     request_el: etree._Element) -> etree._Element:
    """住民照会: juki:ResidentInquiryRequest (by 宛名番号 or 個人番号) → juki:ResidentInquiryResponse.

    Found: the resident and the whole household (世帯主 first, then by 宛名番号; members that
    left carry their 住民状態). Not found: Status "not-found" alone. Every inquiry, found or not,
    is written to the store's 照会記録.
    """
    _expect(request_el, "ResidentInquiryRequest")
    addressee_number = _child(request_el, "AddresseeNumber")
    if addressee_number is not None:
        row = store.resident_by_addressee_number(addressee_number)
    else:
        individual = _child(request_el, "IndividualNumber")
        if individual is None:
            raise ValueError("ResidentInquiryRequest has neither AddresseeNumber nor "
                             "IndividualNumber")
        row = store.resident_by_individual_number(individual)
    if row is not None and not _resident_on(row, _as_of(request_el)):
        row = None
    store.log_access(message_id=header.message_id if header else "-",
                     requester=str(header.sender) if header else "-",
                     user_id=header.user_id if header else "-", service_id=RESIDENT_INQUIRY,
                     addressee_number=row["宛名番号"] if row else addressee_number)
    response = etree.Element(_j("ResidentInquiryResponse"), nsmap=NSMAP)
    etree.SubElement(response, _j("Status")).text = "found" if row else "not-found"
    if row is not None:
        resident_to_element(row, _j("Resident"), response)
        household_to_element(store.household(row["世帯番号"]),
                             store.household_members(row["世帯番号"]), _j("Household"), response)
    return response


def full_extract(store: RegistryStore, header: PlatformHeader | None,
                 request_el: etree._Element) -> etree._Element:
    """全件抽出: juki:ResidentFullExtractRequest → one page of juki:ResidentFullExtractResponse.

    Without ExtractId a new snapshot is frozen (every record, 消除者 included, ordered by
    宛名番号) and its ID returned; later pages name that ExtractId and read the same snapshot
    even if the registry changes meanwhile. A page past the end has no Resident. An unknown or
    expired ExtractId raises UnknownExtract (the provider turns it into a fault).
    """
    _expect(request_el, "ResidentFullExtractRequest")
    page = int(_child(request_el, "Page") or "0")
    page_size = int(_child(request_el, "PageSize") or "0")
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"Page must be ≥ 1 and PageSize 1..{MAX_PAGE_SIZE}")
    extract_id = _child(request_el, "ExtractId")
    if extract_id is None:
        extract_id, _ = store.create_extract(_as_of(request_el))
    total, rows = store.extract_page(extract_id, page, page_size)
    response = etree.Element(_j("ResidentFullExtractResponse"), nsmap=NSMAP)
    for name, value in (("ExtractId", extract_id), ("Page", page),
                        ("TotalPages", -(-total // page_size)), ("TotalCount", total)):
        etree.SubElement(response, _j(name)).text = str(value)
    for row in rows:
        resident_to_element(row, _j("Resident"), response)
    return response


def service_ids() -> tuple[str, ...]:
    """The platform service IDs vendor A provides."""
    return (RESIDENT_INQUIRY, RESIDENT_FULL_EXTRACT)


def handlers(store: RegistryStore) -> dict[str, Handler]:
    """Service ID → handler ``(header, request element) → response element`` bound to ``store``,
    ready to register with the SDK provider."""
    return {RESIDENT_INQUIRY: functools.partial(resident_inquiry, store),
            RESIDENT_FULL_EXTRACT: functools.partial(full_extract, store)}
