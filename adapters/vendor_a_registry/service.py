"""Vendor A's platform services (住民基本台帳 provided services).

Pure handler functions over a RegistryStore: ``(store, header, request element) → response
element``. ``handlers(store)`` binds them to a store in the form the SDK provider registers per
service ID: ``(PlatformHeader, request element) → response element``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from bus.core.gaiji import GaijiTable
from bus.core.header import PlatformHeader

from .mapping import CMN, escape, household_to_element, resident_to_element, resident_xml
from .store import RegistryStore, UnknownExtract

JUKI = "urn:pfbus:unit:juki:v1"
NSMAP = {"juki": JUKI, "cmn": CMN}
RESIDENT_INQUIRY = "juki.ResidentInquiry"
RESIDENT_FULL_EXTRACT = "juki.ResidentFullExtract"
MAX_PAGE_SIZE = 1000  # juki:PageSizeType

__all__ = ["RESIDENT_INQUIRY", "RESIDENT_FULL_EXTRACT", "ExtractRequest", "Inquiry",
           "UnknownExtract", "extract_page_element", "extract_page_xml", "full_extract", "handlers",
           "inquiry_response", "look_up", "requester_of", "resident_inquiry", "service_ids"]

# (header, request element) → response element, or a Deferred firing with it
Handler = Callable[[PlatformHeader, etree._Element], Any]


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


@dataclass(frozen=True)
class Inquiry:
    """A juki:ResidentInquiryRequest looked up: the resident as of the 基準日, or None."""
    row: dict | None
    asked: str | None  # the 宛名番号 asked for (None when asked by 個人番号)
    as_of: dt.date | None

    def access(self, header: PlatformHeader | None) -> dict[str, str | None]:
        """The 照会記録 of this inquiry (``RegistryStore.log_access``'s arguments)."""
        return {"message_id": header.message_id if header else "-",
                "requester": str(header.sender) if header else "-",
                "user_id": header.user_id if header else "-", "service_id": RESIDENT_INQUIRY,
                "addressee_number": self.row["宛名番号"] if self.row else self.asked}


def look_up(store: RegistryStore, request_el: etree._Element) -> Inquiry:
    """The resident a juki:ResidentInquiryRequest asks for (by 宛名番号 or 個人番号), as of its
    基準日 when it has one (``RegistryStore.as_of``)."""
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
    as_of = _as_of(request_el)
    if row is not None:
        row = store.as_of(row, as_of)
    return Inquiry(row, addressee_number, as_of)


def inquiry_response(store: RegistryStore, inquiry: Inquiry) -> etree._Element:
    """juki:ResidentInquiryResponse: found, the resident and the whole household (世帯主 first,
    then by 宛名番号; members that left carry their 住民状態), both as of the 基準日; not found,
    Status "not-found" alone."""
    row = inquiry.row
    response = etree.Element(_j("ResidentInquiryResponse"), nsmap=NSMAP)
    etree.SubElement(response, _j("Status")).text = "found" if row else "not-found"
    if row is not None:
        resident_to_element(row, _j("Resident"), response)
        household_to_element(store.household(row["世帯番号"]),
                             store.household_members_on(row["世帯番号"], inquiry.as_of),
                             _j("Household"), response)
    return response


def resident_inquiry(store: RegistryStore, header: PlatformHeader | None,
                     request_el: etree._Element) -> etree._Element:
    """住民照会: juki:ResidentInquiryRequest (by 宛名番号 or 個人番号) → juki:ResidentInquiryResponse
    (``look_up``, ``inquiry_response``). Every inquiry, found or not, is written to the store's
    照会記録 (a serving process writes it through an access_journal.AccessJournal instead)."""
    inquiry = look_up(store, request_el)
    store.log_access(**inquiry.access(header))
    return inquiry_response(store, inquiry)


@dataclass(frozen=True)
class ExtractRequest:
    """A juki:ResidentFullExtractRequest, read and checked."""
    page: int
    page_size: int
    extract_id: str | None  # None: the first request, which makes (or finds) the snapshot
    as_of: dt.date | None
    request_id: str | None  # the requester's ID of this extract (idempotent creation)

    @classmethod
    def read(cls, request_el: etree._Element) -> ExtractRequest:
        _expect(request_el, "ResidentFullExtractRequest")
        page = int(_child(request_el, "Page") or "0")
        page_size = int(_child(request_el, "PageSize") or "0")
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"Page must be ≥ 1 and PageSize 1..{MAX_PAGE_SIZE}")
        return cls(page, page_size, _child(request_el, "ExtractId"), _as_of(request_el),
                   _child(request_el, "RequestId"))

    @property
    def rows_needed(self) -> int:
        """Records of the snapshot that must be built before this page can be read."""
        return self.page * self.page_size


def requester_of(header: PlatformHeader | None) -> str:
    """Whose RequestIds a snapshot is found by: the requesting system (送信元)."""
    return str(header.sender) if header is not None else "-"


def extract_page_element(request: ExtractRequest, extract_id: str, total: int,
                         rows: list[dict]) -> etree._Element:
    """One page of juki:ResidentFullExtractResponse."""
    response = etree.Element(_j("ResidentFullExtractResponse"), nsmap=NSMAP)
    for name, value in (("ExtractId", extract_id), ("Page", request.page),
                        ("TotalPages", -(-total // request.page_size)), ("TotalCount", total)):
        etree.SubElement(response, _j(name)).text = str(value)
    for row in rows:
        resident_to_element(row, _j("Resident"), response)
    return response


def extract_page_xml(request: ExtractRequest, extract_id: str, total: int, rows: list[dict],
                     gaiji: GaijiTable | None = None) -> etree._Element:
    """``extract_page_element``'s page written as one string and parsed once (what a serving
    registry does: a page of 1,000 residents in a few ms, not one lxml call per item), its 外字
    codes (``gaiji``: vendor A's table) replaced by their MJ characters — the names leave as
    standard text and the provider's ``outbound`` finds nothing to copy or change."""
    head = "".join(f"<juki:{name}>{value}</juki:{name}>" for name, value in (
        ("ExtractId", escape(extract_id)), ("Page", request.page),
        ("TotalPages", -(-total // request.page_size)), ("TotalCount", total)))
    text = "".join((f'<juki:ResidentFullExtractResponse xmlns:juki="{JUKI}" xmlns:cmn="{CMN}">',
                    head, *(resident_xml(row, "juki:Resident") for row in rows),
                    "</juki:ResidentFullExtractResponse>"))
    if gaiji is not None and gaiji.private:
        # the codes are single private-use characters (element names are ASCII): found by one
        # regular-expression scan — str.translate would look up every character of the page
        text = _codes_of(gaiji).sub(lambda m: gaiji.to_standard(m[0]), text)
    return etree.fromstring(text.encode("utf-8"), _page_parser())


@functools.lru_cache(8)
def _codes_of(gaiji: GaijiTable) -> re.Pattern:
    return re.compile(f"[{re.escape(''.join(sorted(gaiji.private)))}]")


_PARSERS = threading.local()  # pages are built in worker threads: an lxml parser is not shared


def _page_parser() -> etree.XMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return parser


def full_extract(store: RegistryStore, header: PlatformHeader | None,
                 request_el: etree._Element) -> etree._Element:
    """全件抽出: juki:ResidentFullExtractRequest → one page of juki:ResidentFullExtractResponse.

    Without ExtractId a new snapshot is frozen (every record, 消除者 included, ordered by
    宛名番号) and its ID returned — or, for a RequestId this requester used before, the snapshot
    made then (a retried first request never makes a second one). Later pages name that
    ExtractId and read the same snapshot even if the registry changes meanwhile. A page past the
    end has no Resident. An unknown or expired ExtractId raises UnknownExtract (the provider
    turns it into a fault). This form builds the snapshot while its caller waits; a serving
    process uses extracts.ExtractService (in batches, off the reactor).
    """
    request = ExtractRequest.read(request_el)
    extract_id = request.extract_id
    if extract_id is None:
        extract_id, _ = store.create_extract(request.as_of, requester=requester_of(header),
                                             request_id=request.request_id)
    total, rows = store.extract_page(extract_id, request.page, request.page_size)
    return extract_page_element(request, extract_id, total, rows)


def service_ids() -> tuple[str, ...]:
    """The platform service IDs vendor A provides."""
    return (RESIDENT_INQUIRY, RESIDENT_FULL_EXTRACT)


def handlers(store: RegistryStore, full_extract_handler: Handler | None = None,
             inquiry_handler: Handler | None = None) -> dict[str, Handler]:
    """Service ID → handler ``(header, request element) → response element`` bound to ``store``,
    ready to register with the SDK provider. ``full_extract_handler``: the serving process's
    (extracts.ExtractService.handle: snapshots built off the reactor); default: ``full_extract``
    (built while the caller waits). ``inquiry_handler``: the serving process's
    (access_journal.journaled_inquiry: 照会記録 in group commits); default:
    ``resident_inquiry``."""
    return {RESIDENT_INQUIRY: inquiry_handler or functools.partial(resident_inquiry, store),
            RESIDENT_FULL_EXTRACT: full_extract_handler or functools.partial(full_extract, store)}
