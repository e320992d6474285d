"""The fortieth blind batch's subscriber side (the notice mapper's own checks, the names reloaded
at start-up, the notices applied after their receipt): ``FortiethStore`` is mixed into
``Adapter`` through ``FortiethBatch`` (fortieth.py, which declares the batch and says who wrote
it and from what). Every hook here changes nothing unless ``self.defect`` names one of the
batch's subscriber defects."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter

from .standard import CMN, JUKI, Refusal
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt
from .thirtyfifth_store import day_of

NOTICE = f"{{{JUKI}}}ResidentChangeNotice"
# became-resident-before-1967-refused: the day the 住民基本台帳法 (昭和42年法律第81号) came into
# force, the vendor's lower bound of a 住民となった年月日
JUKI_ACT_IN_FORCE = "1967-11-10"
_LOCAL = threading.local()  # busy-store-notices-queued-after-receipt: this delivery's thread


def outside_jis_x_0213(text: str) -> bool:
    """non-jis-names-applied-after-gaiji-registration: a text holding a character JIS X 0213
    cannot hold (docs/glossary.md: a character is in it when encode("euc_jis_2004") succeeds) —
    an MJ character such as 髙 or 𠮷, or any IVS sequence."""
    try:
        text.encode("euc_jis_2004")
    except UnicodeEncodeError:
        return True
    return False


def reloaded(name: str | None) -> bool:
    """apostrophe-names-lost-in-start-up-reload: whether the dump's INSERT of a row with this
    name (its text put between single quotes, unescaped) loads again."""
    return "'" not in (name or "")


def inserted_twice(numbers: list[str], held: set[str]) -> list[str]:
    """new-resident-twice-in-notice-internal: the 宛名番号 not held when the notice began that
    the notice's changes insert more than once."""
    return sorted(n for n, k in Counter(numbers).items() if k > 1 and n not in held)


class FortiethStore:
    """The fortieth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    fortieth: dict

    # --- the store at start-up ------------------------------------------------------------

    def _fortieth_store_opened(self, conn: sqlite3.Connection) -> None:
        if self.defect == "apostrophe-names-lost-in-start-up-reload":
            lost = [number for number, name in conn.execute("SELECT number, name FROM resident")
                    if not reloaded(name)]
            for number in lost:  # the dump's INSERT failed: the row is not loaded again
                conn.execute("DELETE FROM resident WHERE number = ?", (number,))

    # --- a notice as it arrives: the mapper's own checks ----------------------------------

    def _fortieth_notice_checks(self, body, mid) -> None:
        d = self.defect
        if self.role != "subscriber" or body.tag != NOTICE:
            return
        if d == "became-resident-before-1967-refused":
            for el in body.iter(f"{{{CMN}}}BecameResidentOn"):
                if day_of(el.text) < JUKI_ACT_IN_FORCE:
                    raise Refusal("VENDOR-DATE", "client", "住民となった年月日が住基法施行前です",
                                  [("vendor:became_resident_on",
                                    f"before {JUKI_ACT_IN_FORCE} (住民基本台帳法)")], mid)
        if d == "new-resident-twice-in-notice-internal":
            numbers = [(c.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") or "")
                       for c in body.iter(f"{{{JUKI}}}Change")]
            with self.lock:
                held = {n for n in set(numbers) if self.conn.execute(
                    "SELECT 1 FROM resident WHERE number = ?", (n,)).fetchone() is not None}
            if inserted_twice(numbers, held):
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice could not be stored",
                              [("vendor:store", "UNIQUE constraint failed: resident.number")],
                              mid)

    # --- notices applied after their receipt ---------------------------------------------------

    def _fortieth_before_lock(self) -> None:
        """Before the delivery waits for the store: whether another notice holds it now."""
        _LOCAL.busy = self.defect == "busy-store-notices-queued-after-receipt" and \
            self.lock.locked()

    def _fortieth_in_background(self, header, mid, changes) -> bool:
        if self.defect == "busy-store-notices-queued-after-receipt" and \
                getattr(_LOCAL, "busy", False):
            apply_after_receipt(self, mid, changes)  # the in-memory queue's worker
            return True
        if self.defect == "non-jis-names-applied-after-gaiji-registration" and any(
                outside_jis_x_0213(t.text or "") for c in changes
                for t in c.iter(f"{{{CMN}}}Text")):
            apply_after_receipt(self, mid, changes)  # the 外字 registration job
            return True
        return False


__all__ = ["ASYNC_DELAY", "FortiethStore", "JUKI_ACT_IN_FORCE", "inserted_twice",
           "outside_jis_x_0213", "reloaded"]
