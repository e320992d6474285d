"""The forty-first blind batch's subscriber side (the notice mapper's own date check, the changes
counted by the write buffer, the notices applied after their receipt, the seen MessageIds read
back at start-up): ``FortyfirstStore`` is mixed into ``Adapter`` through ``FortyfirstBatch``
(fortyfirst.py, which declares the batch and says who wrote it and from what). Every hook here
changes nothing unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid

from .standard import CMN, JUKI, Refusal
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt
from .thirtyfifth_store import day_of

NOTICE = f"{{{JUKI}}}ResidentChangeNotice"
# resident-notices-within-2s-counted-once: the write buffer's window per resident, in seconds
MERGE_WINDOW = 2.0
# seen-ids-guid-byte-order-on-start: the vendor's inbox, MessageIds as 16-byte GUIDs
_GUID_INBOX = "CREATE TABLE IF NOT EXISTS inbox_guid (id BLOB PRIMARY KEY);"
_LOCAL = threading.local()  # this delivery's own state (its thread's)


def guid_bytes(message_id: str) -> bytes:
    """seen-ids-guid-byte-order-on-start: a MessageId as the vendor's GUID column keeps it — the
    .NET byte order (Guid.ToByteArray: the first three groups little-endian)."""
    return uuid.UUID(message_id).bytes_le


def read_back(blob: bytes) -> str:
    """seen-ids-guid-byte-order-on-start: the start-up loader's reading of a stored GUID, as the
    RFC 4122 byte order (big-endian) — the first three groups come back reversed."""
    return str(uuid.UUID(bytes=bytes(blob)))


def fixed_after_occurred(change) -> tuple[str, str] | None:
    """address-fixed-after-occurred-refused: (住所を定めた年月日, 異動年月日) of a change whose
    AddressFixedOn lies after its OccurredOn, else None."""
    fixed = day_of(change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddressFixedOn"))
    occurred = day_of(change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn"))
    return (fixed, occurred) if fixed and occurred and fixed > occurred else None


def without_postal_code(change) -> bool:
    """postal-code-completion-applied-after-receipt: a change whose address has no 郵便番号."""
    address = change.find(f"{{{JUKI}}}Resident/{{{CMN}}}Address")
    return address is not None and address.find(f"{{{CMN}}}PostalCode") is None


def with_original(change) -> bool:
    """original-names-applied-after-receipt: a change holding a name relayed in 縮退 (a
    cmn:Original beside its cmn:Text)."""
    return next(change.iter(f"{{{CMN}}}Original"), None) is not None


class FortyfirstStore:
    """The forty-first batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    fortyfirst: dict

    # --- the store at start-up ------------------------------------------------------------

    def _fortyfirst_store_opened(self, conn: sqlite3.Connection) -> None:
        if self.defect == "seen-ids-guid-byte-order-on-start":
            conn.executescript(_GUID_INBOX)
            self.fortyfirst["guids"] = {read_back(row[0]) for row in
                                        conn.execute("SELECT id FROM inbox_guid")}

    # --- the seen MessageIds ----------------------------------------------------------------

    def _fortyfirst_seen(self, mid: str) -> bool | None:
        if self.defect == "seen-ids-guid-byte-order-on-start":
            return mid in self.fortyfirst.setdefault("guids", set())
        return None

    def _fortyfirst_marked(self, mid: str) -> None:
        if self.defect != "seen-ids-guid-byte-order-on-start":
            return
        try:
            blob = guid_bytes(mid)
        except ValueError:
            return
        self.conn.execute("INSERT OR IGNORE INTO inbox_guid VALUES (?)", (blob,))
        self.fortyfirst.setdefault("guids", set()).add(mid)  # the cache of this process: right

    # --- a notice as it arrives: the mapper's own checks ------------------------------------

    def _fortyfirst_notice_checks(self, body, mid) -> None:
        if self.role != "subscriber" or body.tag != NOTICE:
            return
        if self.defect == "address-fixed-after-occurred-refused":
            for change in body.iter(f"{{{JUKI}}}Change"):
                if (days := fixed_after_occurred(change)) is not None:
                    raise Refusal("VENDOR-DATE", "client", "住所を定めた年月日が異動年月日より後です",
                                  [("vendor:address_fixed_on",
                                    f"AddressFixedOn {days[0]} after OccurredOn {days[1]}")],
                                  mid)

    # --- notices applied after their receipt -------------------------------------------------

    def _fortyfirst_in_background(self, header, mid, changes) -> bool:
        _LOCAL.mid = mid  # resident-notices-within-2s-counted-once: the notice being applied
        if self.defect == "postal-code-completion-applied-after-receipt" and \
                any(without_postal_code(c) for c in changes):
            apply_after_receipt(self, mid, changes)  # the 住所補完 job
            return True
        if self.defect == "original-names-applied-after-receipt" and \
                any(with_original(c) for c in changes):
            apply_after_receipt(self, mid, changes)  # the 原字 worker
            return True
        return False

    # --- a change applied ---------------------------------------------------------------------

    def _fortyfirst_applied(self, number: str) -> None:
        """resident-notices-within-2s-counted-once: a change of a resident whose previous change,
        of another notice, was written less than MERGE_WINDOW seconds ago is merged into the same
        buffered write — its state and 異動連番 stored, but counted once."""
        if self.defect != "resident-notices-within-2s-counted-once":
            return
        now, mid = time.monotonic(), getattr(_LOCAL, "mid", None)
        arrivals = self.fortyfirst.setdefault("arrivals", {})
        previous = arrivals.get(number)
        if previous is not None and previous[0] != mid and now - previous[1] < MERGE_WINDOW:
            self.conn.execute("UPDATE resident SET changes_applied = changes_applied - 1 "
                              "WHERE number = ?", (number,))
        arrivals[number] = (mid, now)


__all__ = ["ASYNC_DELAY", "FortyfirstStore", "MERGE_WINDOW", "fixed_after_occurred",
           "guid_bytes", "read_back", "with_original", "without_postal_code"]
