"""The twenty-sixth blind batch's subscriber side (the notice store, the notice mapper and its
checks): ``TwentySixthStore`` is mixed into ``Adapter`` through ``TwentySixthBatch``
(twentysixth.py, which declares the batch and says who wrote it and from what). Every hook here
changes nothing unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import datetime as dt
import sqlite3

from .standard import CMN, JUKI, Refusal

# full-width-signs-narrowed: the vendor's text sanitiser (the full-width tilde and hyphen-minus
# of CP932's FF5E and FF0D taken for "wide ASCII" and narrowed; letters and digits left)
NARROWED_SIGNS = {0xFF5E: "~", 0xFF0D: "-"}
SMALL_KA_KE = "\u30f5\u30f6"  # ヵ ヶ: the last two code points of cmn:KanaTextType's range
UNREGISTERED_SPOUSES = ("04", "05")  # 夫（未届）, 妻（未届）
LAST_UNIT = "26"  # 戸籍: the last 業務ユニット of schemas/codelists/business_unit.csv


def narrowed_signs(text: str) -> str:
    """full-width-signs-narrowed: ～ U+FF5E → ~, － U+FF0D → - (nothing else)."""
    return text.translate(NARROWED_SIGNS)


def month_end(day: str) -> bool:
    """Whether an xs:date (its first ten characters) is the last day of its month."""
    try:
        date = dt.date.fromisoformat(day.strip()[:10])
    except ValueError:
        return False
    return (date + dt.timedelta(days=1)).day == 1


def _reason(change) -> str:
    return (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()


def _graphemes(text: str) -> int:
    """Characters as a reader counts them: a variation selector belongs to its base."""
    return sum(1 for c in text if not (0xE0100 <= ord(c) <= 0xE01EF or 0xFE00 <= ord(c) <= 0xFE0F))


class TwentySixthStore:
    """The twenty-sixth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    twentysixth: dict

    # --- the store at start-up ------------------------------------------------------------

    def _twentysixth_store_opened(self, conn: sqlite3.Connection) -> None:
        """watermarks-reloaded-as-text-on-start: the watermark cache is filled at start from
        the nightly CSV dump of the resident table, so its values are text until the resident's
        next applied change puts a number in."""
        if self.defect == "watermarks-reloaded-as-text-on-start":
            self.twentysixth["text"] = {r[0]: str(r[1]) for r in conn.execute(
                "SELECT number, last_sequence FROM resident")}

    # --- the notice mapper's own checks ---------------------------------------------------

    def _twentysixth_notice_checks(self, body, mid) -> None:
        d = self.defect
        for change in body.iter(f"{{{JUKI}}}Change"):
            resident = change.find(f"{{{JUKI}}}Resident")
            if resident is None:
                continue
            relationship = (resident.findtext(f"{{{CMN}}}Relationship") or "").strip()
            if d == "unregistered-spouse-relationship-refused" and \
                    relationship in UNREGISTERED_SPOUSES:
                raise Refusal("VENDOR-RELATIONSHIP", "client", "続柄コードが不正です",
                              [("vendor:relationship", f"{relationship} is not in the table")],
                              mid)
            name = resident.findtext(f"{{{CMN}}}Name/{{{CMN}}}Text") or ""
            if d == "one-character-name-refused" and _graphemes(name) == 1:
                raise Refusal("VENDOR-NAME", "client", "氏名は氏と名を入力してください",
                              [("vendor:name", "fewer than 2 characters")], mid)
            kana = "".join(k.text or "" for k in resident.iterfind(
                f"{{{CMN}}}*/{{{CMN}}}Kana/{{{CMN}}}*"))
            if d == "kana-small-ka-ke-refused" and any(c in SMALL_KA_KE for c in kana):
                raise Refusal("VENDOR-CHARACTER", "client", "カナに使用できない文字があります",
                              [("vendor:kana", "not in ァ-ヴ, ・, ー")], mid)
            address = " ".join(t.text or "" for t in resident.iterfind(
                f"{{{CMN}}}Address/{{{CMN}}}*"))
            if d == "address-part-nonbmp-internal" and any(ord(c) > 0xFFFF for c in address):
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice cannot be stored",
                              [("vendor:store", "Incorrect string value: '\\xF0\\xA0...' for "
                                                "column 'address' (utf8mb3)")], mid)
            occurred = (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn") or "").strip()
            if d == "occurred-on-leap-day-refused" and occurred[4:10] == "-02-29":
                raise Refusal("VENDOR-DATE", "client", "異動年月日が不正です",
                              [("vendor:occurred_on", f"{occurred}: day > 28 (February)")], mid)

    # --- the store ------------------------------------------------------------------------

    def _twentysixth_last(self, number: str, sequence: int, last: int) -> int:
        """The last 異動連番 as the stale check sees it."""
        if self.defect == "watermarks-reloaded-as-text-on-start":
            loaded = self.twentysixth.get("text", {}).get(number)
            if loaded is not None and str(sequence) <= loaded:  # "10" <= "9": kept out
                return max(last, sequence)
        return last

    def _twentysixth_leave_open(self, changes) -> bool:
        """cancellation-left-uncommitted: the 取消し (A07) handler began its own transaction
        for the undo; its commit is in the other branch."""
        return self.defect == "cancellation-left-uncommitted" and \
            any(_reason(c) == "A07" for c in changes)

    def _twentysixth_name(self, name: str | None) -> str | None:
        if name is not None and self.defect == "full-width-signs-narrowed":
            return narrowed_signs(name)
        return name

    def _twentysixth_applied(self, change, number: str) -> None:
        """After a change was written (its row holds the count with this change)."""
        d = self.defect
        if d == "watermarks-reloaded-as-text-on-start":
            self.twentysixth.get("text", {}).pop(number, None)  # a number in the cache now
        if d == "head-change-counted-twice" and _reason(change) == "C05":
            self.conn.execute("UPDATE resident SET changes_applied = changes_applied + 1 "
                              "WHERE number = ?", (number,))  # two 異動履歴 rows: old, new head
        if d == "ex-officio-removal-not-counted" and _reason(change) == "B04":
            self.conn.execute("UPDATE resident SET changes_applied = changes_applied - 1 "
                              "WHERE number = ?", (number,))  # the batch job's own UPDATE
        if d == "recreation-resets-change-count" and _reason(change) == "A06":
            self.conn.execute("UPDATE resident SET changes_applied = 1 WHERE number = ?",
                              (number,))  # 再製: INSERT OR REPLACE of the whole record
        if d == "change-counts-kept-in-memory":
            counts = self.twentysixth.setdefault("counts", {})
            counts[number] = counts.get(number, 0) + 1
            self.conn.execute("UPDATE resident SET changes_applied = ? WHERE number = ?",
                              (counts[number], number))


__all__ = ["LAST_UNIT", "NARROWED_SIGNS", "SMALL_KA_KE", "UNREGISTERED_SPOUSES",
           "TwentySixthStore", "month_end", "narrowed_signs"]
