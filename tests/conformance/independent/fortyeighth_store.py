"""The forty-eighth blind batch's subscriber side (the SOAP 1.2 endpoint's binding of a notice's
changes, the utf8mb4 path of names beyond the BMP, the フリガナ付与 dictionary of names without a
reading, the 除票 archive, the 保留 queue of changes kept out, the 届出 workflow, the XML
gateway's inspection queue, the 氏名変更 module and the 出生 module): ``FortyeighthStore`` is
mixed into ``Adapter`` through ``FortyeighthBatch`` (fortyeighth.py, which declares the batch
and says who wrote it and from what). Every hook here changes nothing unless ``self.defect``
names one of the batch's subscriber defects."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
import unicodedata

from lxml import etree

from .standard import CMN, JUKI, SOAP12
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt

# the seconds the slow paths take: past the hub's 10 s ([[providers]] timeout)
LATE = 12.0
REQUEST = threading.local()  # one request's own state (its thread's): its bytes, SOAP version, …
_HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]+")
_COMMENTS = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                            huge_tree=False, remove_comments=False)


def current_soap() -> str | None:
    """The SOAP version of the message this thread is answering (set in Adapter._serve)."""
    return getattr(REQUEST, "soap", None)


def current_raw() -> bytes:
    """The bytes of the message this thread is answering (set in Adapter._serve)."""
    return getattr(REQUEST, "raw", b"")


def widened(text: str) -> str:
    """Half-width katakana made full-width (the vendors' 全角化: NFKC on those runs only)."""
    return _HALF_WIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m[0]), text)


def beyond_bmp(text: str) -> bool:
    """nonbmp-names-nfc: a text holding a character beyond the BMP (𠮷, an IVS selector)."""
    return any(ord(c) > 0xFFFF for c in text)


def holds_comment(raw: bytes) -> bool:
    """notices-with-comments-applied-after-receipt: the message holds an XML comment (in its
    prolog, its envelope or after it), as the vendor's XML gateway sees it."""
    try:
        root = etree.fromstring(raw, _COMMENTS)
    except etree.XMLSyntaxError:
        return False
    return bool(root.getroottree().xpath("//comment()"))


def _resident(change):
    return change.find(f"{{{JUKI}}}Resident")


def with_notified_on(change) -> bool:
    """notified-on-changes-applied-after-receipt: a change whose event carries a 届出年月日."""
    return change.find(f"{{{JUKI}}}Event/{{{CMN}}}NotifiedOn") is not None


def is_birth(change) -> bool:
    """birth-registrations-applied-after-receipt: a 記載 by 出生 (A03)."""
    return change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") == "A03"


def kana_less(change) -> bool:
    """kana-less-names-half-width-widened: a change whose name carries no reading."""
    return _resident(change).find(f"{{{CMN}}}Name/{{{CMN}}}Kana") is None


class FortyeighthStore:
    """The forty-eighth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock

    def _fortyeighth_subscriber(self, name: str) -> bool:
        return self.defect == name and self.role == "subscriber"

    # --- a notice's changes as the endpoint binds them -----------------------------------------

    def _fortyeighth_changes(self, changes: list, soap: str) -> list:
        """soap12-notices-last-change-only: the SOAP 1.2 binding's Change is a single property,
        the last one unmarshalled winning."""
        if self._fortyeighth_subscriber("soap12-notices-last-change-only") and soap == SOAP12:
            return changes[-1:]
        return changes

    # --- a change's name ------------------------------------------------------------------------

    def _fortyeighth_name(self, change, name: str) -> str:
        if self._fortyeighth_subscriber("nonbmp-names-nfc") and beyond_bmp(name):
            return unicodedata.normalize("NFC", name)  # the utf8mb4 path's ICU converter
        if self._fortyeighth_subscriber("kana-less-names-half-width-widened") and \
                kana_less(change):
            return widened(name)  # the フリガナ付与 dictionary's look-up form, written back
        return name

    # --- changes kept out, the receipt ----------------------------------------------------------

    def _fortyeighth_stale(self) -> None:
        REQUEST.kept_out = True  # kept-out-notice-answered-late: the 保留 queue gets it

    def _fortyeighth_notice_done(self, changes: list, duplicate: bool) -> None:
        if duplicate:
            return
        if self._fortyeighth_subscriber("removal-notice-answered-late") and \
                any((c.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").startswith("B")
                    for c in changes):
            time.sleep(LATE)  # the 除票 archive's linked server
        if self._fortyeighth_subscriber("kept-out-notice-answered-late") and \
                getattr(REQUEST, "kept_out", False):
            time.sleep(LATE)  # the 保留 queue's share, its lock wait

    # --- changes applied after the receipt ------------------------------------------------------

    def _fortyeighth_in_background(self, header, mid, changes) -> bool:
        if self.role != "subscriber":
            return False
        wants = {"notified-on-changes-applied-after-receipt": lambda: any(
                     with_notified_on(c) for c in changes),
                 "notices-with-comments-applied-after-receipt": lambda: holds_comment(
                     current_raw()),
                 "name-changes-applied-after-receipt": lambda: any(
                     self._fortyeighth_renamed(c) for c in changes),
                 "birth-registrations-applied-after-receipt": lambda: any(
                     is_birth(c) for c in changes)}.get(self.defect or "")
        if wants is not None and wants():
            apply_after_receipt(self, mid, changes)  # the module's job, after the receipt
            return True
        return False

    def _fortyeighth_renamed(self, change) -> bool:
        """name-changes-applied-after-receipt: a change of a resident held whose name is not the
        name held (an 氏名変更 for the vendor)."""
        resident = _resident(change)
        row = self.conn.execute("SELECT name FROM resident WHERE number = ?", (
            resident.findtext(f"{{{CMN}}}AddresseeNumber"),)).fetchone()
        return row is not None and row[0] != resident.findtext(f"{{{CMN}}}Name/{{{CMN}}}Text")


__all__ = ["ASYNC_DELAY", "FortyeighthStore", "LATE", "REQUEST", "beyond_bmp", "current_raw",
           "current_soap", "holds_comment", "is_birth", "kana_less", "widened",
           "with_notified_on"]
