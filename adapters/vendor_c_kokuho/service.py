"""Vendor C's platform service: 資格照会 (kokuho.QualificationInquiry).

A pure handler over a KokuhoStore; ``handlers(store)`` binds it for the SDK provider.
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from collections.abc import Callable

from lxml import etree

from adapters.sdk.upsert import IncompleteRow
from bus.core.header import JST, PlatformHeader

from .mapping import KOKUHO, MappingError, qualification_response
from .store import KokuhoStore

QUALIFICATION_INQUIRY = "kokuho.QualificationInquiry"

Handler = Callable[[PlatformHeader, etree._Element], etree._Element]

# What the handlers may raise, as vendor C's own fault codes (ProviderApp(errors=...)). A
# subscriber's code and message are kept with a dead letter at the hub, so no message may quote
# a value: MappingError's text can (a name), so it gets a fixed one; IncompleteRow names columns
# only, and SQLite's errors name the constraint or the condition, never the row.
ERRORS = {
    MappingError: ("VENDOR-C-DATA-ERROR", "a value has no representation in vendor C's layout"),
    IncompleteRow: "VENDOR-C-ROW-INCOMPLETE",
    sqlite3.IntegrityError: "VENDOR-C-DB-CONSTRAINT",
    sqlite3.OperationalError: "VENDOR-C-DB-UNAVAILABLE",  # read-only, locked, disk I/O …
}

__all__ = ["QUALIFICATION_INQUIRY", "handlers", "qualification_inquiry"]


def qualification_inquiry(store: KokuhoStore, header: PlatformHeader | None,
                          request_el: etree._Element) -> etree._Element:
    """資格照会: kokuho:QualificationInquiryRequest (宛名番号, 基準日) → the qualification as of
    that day (today in JST when absent); not-found for a person never insured here."""
    if request_el.tag != f"{{{KOKUHO}}}QualificationInquiryRequest":
        raise ValueError(f"expected kokuho:QualificationInquiryRequest, got {request_el.tag}")
    number = (request_el.findtext(f"{{{KOKUHO}}}AddresseeNumber") or "").strip()
    as_of_text = request_el.findtext(f"{{{KOKUHO}}}AsOf")
    # xs:date may carry a timezone ("2024-04-01+09:00"): the calendar day is what counts
    as_of = (dt.date.fromisoformat(as_of_text.strip()[:10]) if as_of_text
             else dt.datetime.now(JST).date())
    return qualification_response(store.insured(number), as_of, store.insurer_number)


def handlers(store: KokuhoStore) -> dict[str, Handler]:
    return {QUALIFICATION_INQUIRY: functools.partial(qualification_inquiry, store)}
