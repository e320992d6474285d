"""The twenty-eighth blind batch's subscriber side (the notice store, the notice mapper and its
checks): ``TwentyEighthStore`` is mixed into ``Adapter`` through ``TwentyEighthBatch``
(twentyeighth.py, which declares the batch and says who wrote it and from what). Every hook
here changes nothing unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import re
import sqlite3

from .standard import CMN, JUKI, PFH, SOAP11, Refusal

KANA_COLUMN = 50  # the subscriber's 氏名カナ columns, NVARCHAR(50)
HOUSEHOLD_REASONS = {"C02", "C03", "C04", "C05"}  # written by the vendor's 世帯 module
# JIS C 6226-1978 → JIS X 0208-1983: the 22 pairs of kanji whose code points were exchanged
JIS78_PAIRS = ("鯵鰺", "鴬鶯", "蛎蠣", "撹攪", "竃竈", "潅灌", "諌諫", "頚頸", "砿礦", "蕊蘂", "靭靱",
               "賎賤", "壷壺", "砺礪", "梼檮", "涛濤", "迩邇", "蝿蠅", "桧檜", "侭儘", "薮藪", "篭籠")
JIS78_SWAP = {ord(a): b for a, b in JIS78_PAIRS} | {ord(b): a for a, b in JIS78_PAIRS}
_SELECTOR_AFTER_ASTRAL = re.compile("([\U00010000-\U0010ffff])[\U000e0100-\U000e01ef]")


def beyond_extension_b(char: str) -> bool:
    """name-beyond-extension-b-refused: whether a runtime of Unicode 4.0 calls ``char``
    undefined — the CJK Unified Ideographs Extensions C to F (U+2A700 … U+2EBEF) and the later
    ones (plane 3); the Compatibility Ideographs Supplement (U+2F800 …) it knows."""
    code = ord(char)
    return 0x2A700 <= code <= 0x2F7FF or 0x30000 <= code <= 0x3FFFF


def selectors_after_astral_dropped(text: str) -> str:
    """ivs-after-nonbmp-base-dropped: a selector whose base lies beyond the BMP is dropped."""
    return _SELECTOR_AFTER_ASTRAL.sub(r"\1", text)


def _reason(change) -> str:
    return (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()


class TwentyEighthStore:
    """The twenty-eighth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    open_transaction: bool
    twentyeighth: dict

    # --- the notice mapper's own checks ---------------------------------------------------

    def _twentyeighth_notice_checks(self, header, body, mid) -> None:
        d = self.defect
        sent_on = (header.findtext(f"{{{PFH}}}SentAt") or "").strip()[:10]
        for change in body.iter(f"{{{JUKI}}}Change"):
            resident = change.find(f"{{{JUKI}}}Resident")
            if resident is None:
                continue
            texts = "".join(t.text or "" for t in resident.iter(f"{{{CMN}}}Text",
                                                                f"{{{CMN}}}Original"))
            if d == "name-beyond-extension-b-refused" and any(beyond_extension_b(c)
                                                              for c in texts):
                raise Refusal("VENDOR-CHARACTER", "client", "使用できない文字があります",
                              [("vendor:name", "a character this system does not know")], mid)
            recorded = (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}RecordedOn") or "").strip()
            if d == "recorded-on-other-day-than-sent-at-refused" and recorded and \
                    recorded[:10] != sent_on:
                raise Refusal("VENDOR-DATE", "client", "記録年月日が送信日と一致しません",
                              [("vendor:recorded_on", f"{recorded} is not {sent_on}")], mid)
            born = (resident.findtext(f"{{{CMN}}}DateOfBirth") or "").strip()[:10]
            became = (resident.findtext(f"{{{CMN}}}BecameResidentOn") or "").strip()[:10]
            if d == "became-resident-on-birth-day-refused" and became and born and \
                    became <= born:
                raise Refusal("VENDOR-DATE", "client", "住民となった年月日が不正です",
                              [("vendor:became_resident_on", f"{became} not after {born}")],
                              mid)
            former = resident.find(f"{{{CMN}}}FormerSurname")
            if d == "former-surname-kana-absent-internal" and former is not None and \
                    former.find(f"{{{CMN}}}Kana") is None:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice could not be "
                              "stored", [("vendor:store", "AttributeError: 'NoneType' object "
                                                          "has no attribute 'findtext'")], mid)
            readings = [k.text or "" for k in resident.iterfind(
                f"{{{CMN}}}*/{{{CMN}}}Kana/{{{CMN}}}*")]
            if d == "kana-over-50-internal" and any(len(r) > KANA_COLUMN for r in readings):
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice could not be "
                              "stored", [("vendor:store", "value too long for NVARCHAR(50)")],
                              mid)

    # --- the notice mapper ------------------------------------------------------------------

    def _twentyeighth_name(self, change, name: str | None) -> str | None:
        d = self.defect
        if name is None or d not in ("name-original-stored-as-name",
                                     "ivs-after-nonbmp-base-dropped",
                                     "stores-jis78-pairs-swapped"):
            return name
        if d == "name-original-stored-as-name":
            original = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Original")
            return original if original else name
        if d == "ivs-after-nonbmp-base-dropped":
            return selectors_after_astral_dropped(name)
        return name.translate(JIS78_SWAP)

    # --- the store ----------------------------------------------------------------------------

    def _twentyeighth_soap11_endpoint(self) -> bool:
        return self.defect == "soap11-seen-ids-in-process" and \
            self.twentyeighth.get("soap") == SOAP11

    def _twentyeighth_seen(self, mid: str) -> bool | None:
        """soap11-seen-ids-in-process: the SOAP 1.1 servlet's own set first."""
        if self._twentyeighth_soap11_endpoint() and \
                mid in self.twentyeighth.setdefault("memory", set()):
            return True
        return None

    def _twentyeighth_mark_seen(self, mid: str) -> bool:
        """soap11-seen-ids-in-process: the SOAP 1.1 servlet records the ID in its set only."""
        if self._twentyeighth_soap11_endpoint():
            self.twentyeighth.setdefault("memory", set()).add(mid)
            return True
        return False

    def _twentyeighth_duplicate(self, duplicate: bool, key: str) -> None:
        """duplicate-refresh-left-uncommitted: the inbox row of a redelivered notice is
        refreshed — deleted at once, inserted again in a transaction left open."""
        if duplicate and self.defect == "duplicate-refresh-left-uncommitted" and \
                not self.open_transaction:
            self.conn.execute("DELETE FROM seen WHERE message_id = ?", (key,))
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("INSERT OR IGNORE INTO seen VALUES (?)", (key,))
            self.open_transaction = True  # committed by the apply branch of the next notice

    def _twentyeighth_leave_open(self, changes) -> bool:
        """household-changes-second-connection-uncommitted: the 世帯 module's connection
        commits at its next use."""
        return self.defect == "household-changes-second-connection-uncommitted" and \
            any(_reason(c) in HOUSEHOLD_REASONS for c in changes)


__all__ = ["HOUSEHOLD_REASONS", "JIS78_PAIRS", "JIS78_SWAP", "KANA_COLUMN", "TwentyEighthStore",
           "beyond_extension_b", "selectors_after_astral_dropped"]
