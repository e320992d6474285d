"""The twenty-fifth blind batch's subscriber side (the notice store, the notice mapper and its
checks): ``TwentyFifthStore`` is mixed into ``Adapter`` through ``TwentyFifthBatch``
(twentyfifth.py, which declares the batch and says who wrote it and from what). Every hook here
changes nothing unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable

from .standard import CMN, JST, JUKI, PFH, Refusal

# name-ivs-selector-refused: the vendor's 文字チェック looks every code point up in its MJ table
_SELECTOR = re.compile("[\U000e0100-\U000e01ef]")
# katakana-via-host-half-width: the host's JIS X 0201 page and its widening table, per byte
_SPACING_MARK = {"\u3099": "\u309b", "\u309a": "\u309c"}  # ﾞ → ゛, ﾟ → ゜
CATCH_UP_AFTER = dt.timedelta(minutes=10)  # catch-up-notices-applied-after-receipt
CATCH_UP_DELAY = 0.5  # s: the catch-up worker's polling interval


def _resident(change, local: str) -> str:
    return (change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}{local}") or "").strip()


def _reason(change) -> str:
    return (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()


def voiced_katakana_split(text: str) -> str:
    """katakana-via-host-half-width: a full-width voiced or semi-voiced katakana comes back from
    the host's half-width page as its base and the spacing mark (ガ → カ゛, ヴ → ウ゛, パ → ハ゜)."""
    out = []
    for c in text:
        d = unicodedata.normalize("NFD", c)
        if len(d) == 2 and "\u30a1" <= d[0] <= "\u30fa" and d[1] in _SPACING_MARK:
            out.append(d[0] + _SPACING_MARK[d[1]])
        else:
            out.append(c)
    return "".join(out)


def compatibility_as_svs(text: str) -> str:
    """compatibility-ideographs-as-svs: a CJK compatibility ideograph written as its unified
    base followed by the first standardized variation selector, U+FE00 (神 U+FA19 → U+795E
    U+FE00); the twelve unified ideographs of the block (﨑 U+FA11) have no other base and stay."""
    out = []
    for c in text:
        if "\uf900" <= c <= "\ufaff" or "\U0002f800" <= c <= "\U0002fa1f":
            base = unicodedata.normalize("NFC", c)
            out.append(base + "\ufe00" if base != c else c)
        else:
            out.append(c)
    return "".join(out)


class TwentyFifthStore:
    """The twenty-fifth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    twentyfifth: dict

    _apply: Callable  # Subscriber's (annotations: nothing shadowed)
    _mark_seen: Callable[[str], None]

    # --- the store at start-up ------------------------------------------------------------

    def _twentyfifth_store_opened(self, conn: sqlite3.Connection) -> None:
        if self.defect == "changes-count-rebuilt-on-start":  # from the one-row-per-resident
            conn.execute("UPDATE resident SET changes_applied = 1 "  # 異動履歴
                         "WHERE changes_applied > 1")

    # --- the notice mapper's own checks ---------------------------------------------------

    def _twentyfifth_notice_checks(self, body, mid) -> None:
        d = self.defect
        self._twentyfifth_notice_begins()
        for change in body.iter(f"{{{JUKI}}}Change"):
            if d == "returnee-from-abroad-refused" and _reason(change) == "A02" and \
                    _resident(change, "ResidentKind") == "1":
                raise Refusal("VENDOR-KIND", "client", "国外転入は外国人住民の登録です",
                              [("vendor:resident_kind", "A02 of ResidentKind 1")], mid)
            if d == "alias-registration-without-former-surname-internal" and \
                    _reason(change) == "C08" and \
                    change.find(f"{{{JUKI}}}Resident/{{{CMN}}}FormerSurname") is None:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice cannot be stored",
                              [("vendor:store", "'NoneType' object has no attribute "
                                                "'findtext' (旧氏)")], mid)
            address = change.find(f"{{{JUKI}}}Resident/{{{CMN}}}Address")
            if d == "katagaki-without-banchi-internal" and address is not None and \
                    address.find(f"{{{CMN}}}Katagaki") is not None and \
                    address.find(f"{{{CMN}}}Banchi") is None:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice cannot be stored",
                              [("vendor:store", "can only concatenate str (not \"NoneType\") "
                                                "to str (番地 + 方書)")], mid)
            names = [t.text or "" for t in change.iterfind(
                f"{{{JUKI}}}Resident/{{{CMN}}}*/{{{CMN}}}Text")]
            if d == "name-ivs-selector-refused" and any(_SELECTOR.search(n) for n in names):
                raise Refusal("VENDOR-CHARACTER", "client", "使用できない文字があります",
                              [("vendor:character", "a code point not in the MJ table")], mid)

    # --- the store ------------------------------------------------------------------------

    def _twentyfifth_dedup_key(self, key: str, header) -> str:
        if self.defect == "seen-key-with-sender-system":  # the inbox of each publisher
            return f"{header.findtext(f'{{{PFH}}}Sender/{{{PFH}}}SystemId')}|{key}"
        return key

    def _twentyfifth_in_background(self, header, mid, changes) -> bool:
        """Whether a worker applies the notice after the receipt: catch-up-notices-applied-
        after-receipt (a notice sent more than 10 minutes ago: the catch-up queue, polled every
        0.5 s), notice-ahead-of-clock-deferred (a notice stamped ahead of the clock: a timer
        that fires at its SentAt)."""
        if self.defect not in ("catch-up-notices-applied-after-receipt",
                               "notice-ahead-of-clock-deferred"):
            return False
        try:
            sent = dt.datetime.fromisoformat((header.findtext(f"{{{PFH}}}SentAt") or "").strip())
        except ValueError:
            return False
        now = dt.datetime.now(JST)
        if self.defect == "catch-up-notices-applied-after-receipt" and \
                now - sent > CATCH_UP_AFTER:
            delay = CATCH_UP_DELAY
        elif self.defect == "notice-ahead-of-clock-deferred" and sent > now:
            delay = (sent - now).total_seconds()
        else:
            return False
        threading.Thread(target=self._twentyfifth_catch_up, args=(mid, changes, delay),
                         daemon=True).start()
        return True

    def _twentyfifth_catch_up(self, mid, changes, delay: float) -> None:
        time.sleep(delay)
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                for change in changes:
                    self._apply(change)
                self._mark_seen(mid)
                self.conn.execute("COMMIT")
            except sqlite3.Error:  # the store is gone (a test's crash): nothing applied
                pass

    def _twentyfifth_name(self, name: str | None) -> str | None:
        if name is None:
            return name
        if self.defect == "katakana-via-host-half-width":
            return voiced_katakana_split(name)
        if self.defect == "compatibility-ideographs-as-svs":
            return compatibility_as_svs(name)
        return name

    def _twentyfifth_notice_begins(self) -> None:
        self.twentyfifth["first_sequence"] = {}

    def _twentyfifth_applied(self, number: str, sequence: int) -> None:
        """multi-change-watermark-of-first-change: one resident row per notice, its 異動連番
        taken from the notice's first change of that resident, its state from the last."""
        if self.defect != "multi-change-watermark-of-first-change":
            return
        first = self.twentyfifth.setdefault("first_sequence", {}).setdefault(number, sequence)
        if first != sequence:
            self.conn.execute("UPDATE resident SET last_sequence = ? WHERE number = ?",
                              (first, number))

    def _twentyfifth_stale(self, number: str) -> None:
        """A change kept out (its 異動連番 not greater than the last applied)."""
        if self.defect == "kept-out-change-counted":  # the 受信件数 counter
            self.conn.execute("UPDATE resident SET changes_applied = changes_applied + 1 "
                              "WHERE number = ?", (number,))


__all__ = ["CATCH_UP_AFTER", "CATCH_UP_DELAY", "TwentyFifthStore", "compatibility_as_svs",
           "voiced_katakana_split"]
