"""The twenty-fourth blind batch's subscriber side (the notice store, the notice mapper and its
checks): ``TwentyFourthStore`` is mixed into ``Adapter`` through ``TwentyFourthBatch``
(twentyfourth.py, which declares the batch and says who wrote it and from what). Every hook here
changes nothing unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import re
import sqlite3
import unicodedata

from .standard import CMN, JUKI, Refusal

# relationship-table-ends-at-17-internal: the 続柄 codes of the vendor's old CSV
OLD_RELATIONSHIPS = frozenset(f"{n:02d}" for n in range(1, 18))
HOUSEHOLD_DIGITS = 10  # household-number-ten-digits-only-refused: the vendor's own width
# name-cjk-extension-a-refused: the vendor's 文字チェック (kana, kanji U+4E00–U+9FFF, Latin …)
_EXTENSION_A = re.compile("[\u3400-\u4dbf]")
# stores-name-small-ke-enlarged: the 名寄せ cleaner's table
SMALL_KE = str.maketrans("ヶヵ", "ケカ")
PREFECTURE_WIDTH = 3  # prefecture-over-3-characters-internal: its NVARCHAR(3) column
NAME_WIDTH = 50  # name-column-narrowed-to-50-on-start: the old migration's VARCHAR(50)
# stores-ideographic-zero-as-white-circle: the JIS table's wrong row
IDEOGRAPHIC_ZERO = str.maketrans("\u3007", "\u25cb")
_HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]+")


def _resident(change, local: str) -> str:
    return (change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}{local}") or "").strip()


def _reason(change) -> str:
    return (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()


def cleansed(name: str) -> str:
    """names-cleansed-to-full-width-on-start: half-width katakana widened (NFKC on them)."""
    return _HALF_WIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m[0]), name)


class TwentyFourthStore:
    """The twenty-fourth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    twentyfourth: dict

    def _twentyfourth_store_opened(self, conn: sqlite3.Connection) -> None:
        if self.defect == "names-cleansed-to-full-width-on-start":  # the nightly cleanse
            for number, name in conn.execute("SELECT number, name FROM resident").fetchall():
                if name is not None and cleansed(name) != name:
                    conn.execute("UPDATE resident SET name = ? WHERE number = ?",
                                 (cleansed(name), number))
        if self.defect == "name-column-narrowed-to-50-on-start":  # the old migration, again
            conn.execute(f"UPDATE resident SET name = substr(name, 1, {NAME_WIDTH}) "
                         f"WHERE length(name) > {NAME_WIDTH}")

    def _twentyfourth_notice_checks(self, body, mid) -> None:
        d = self.defect
        if d == "sequence-written-behind-until-next-notice":  # the batch writer's flush
            for number, sequence in self.twentyfourth.pop("behind", {}).items():
                self.conn.execute("UPDATE resident SET last_sequence = ? WHERE number = ?",
                                  (sequence, number))
        for change in body.iter(f"{{{JUKI}}}Change"):
            if d == "relationship-table-ends-at-17-internal" and \
                    _resident(change, "Relationship") not in OLD_RELATIONSHIPS:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice cannot be stored",
                              [("vendor:store", "FOREIGN KEY constraint failed: 続柄")], mid)
            household = _resident(change, "HouseholdNumber")
            if d == "household-number-ten-digits-only-refused" and \
                    len(household) != HOUSEHOLD_DIGITS:
                raise Refusal("VENDOR-HOUSEHOLD", "client", "世帯番号の桁数が違います",
                              [("vendor:household", f"{household}: 10 digits expected")], mid)
            if d == "household-split-of-head-refused" and _reason(change) == "C02" and \
                    _resident(change, "Relationship") == "01":
                raise Refusal("VENDOR-HOUSEHOLD", "client", "世帯主は世帯分離できません",
                              [("vendor:household", "C02 of a 世帯主")], mid)
            prefecture = change.findtext(
                f"{{{JUKI}}}Resident/{{{CMN}}}Address/{{{CMN}}}Prefecture") or ""
            if d == "prefecture-over-3-characters-internal" and \
                    len(prefecture) > PREFECTURE_WIDTH:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice cannot be stored",
                              [("vendor:store", "string or binary data would be truncated: "
                                                "都道府県 NVARCHAR(3)")], mid)
            occurred = change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn") or ""
            notified = change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}NotifiedOn")
            if d == "notified-on-next-year-refused" and notified is not None and \
                    notified.strip()[:4] != occurred.strip()[:4]:
                raise Refusal("VENDOR-DATE", "client", "届出年月日が異動年月日の年にありません",
                              [("vendor:partition", f"{notified.strip()} outside "
                                                    f"{occurred.strip()[:4]}")], mid)
            postal = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}Address/{{{CMN}}}PostalCode")
            if d == "postal-code-leading-zero-refused" and postal is not None and \
                    postal.strip().isdigit() and len(str(int(postal))) != 7:
                raise Refusal("VENDOR-ADDRESS", "client", "郵便番号が7桁ではありません",
                              [("vendor:postal_code", f"{int(postal)}")], mid)
            name = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text") or ""
            if d == "name-cjk-extension-a-refused" and _EXTENSION_A.search(name):
                raise Refusal("VENDOR-CHARACTER", "client", "使用できない文字があります",
                              [("vendor:character", "a kanji outside U+4E00-U+9FFF")], mid)

    def _twentyfourth_name(self, name: str | None) -> str | None:
        if self.defect == "stores-name-small-ke-enlarged" and name is not None:
            return name.translate(SMALL_KE)
        if self.defect == "stores-ideographic-zero-as-white-circle" and name is not None:
            return name.translate(IDEOGRAPHIC_ZERO)
        return name

    def _twentyfourth_skip(self, change) -> bool:
        """Whether the change is receipted and not written."""
        return self.defect == "minor-correction-not-applied" and _reason(change) == "C10"

    def _twentyfourth_last(self, change, last: int) -> int:
        """The last 異動連番 a change is compared with."""
        if self.defect == "clerical-correction-applied-when-stale" and _reason(change) == "C12":
            return 0  # "a correction always wins": no comparison
        return last

    def _twentyfourth_applied(self, change, number: str, row) -> None:
        if self.defect == "sequence-written-behind-until-next-notice":  # committed: the state
            self.twentyfourth.setdefault("behind", {})[number] = \
                self.conn.execute("SELECT last_sequence FROM resident WHERE number = ?",
                                  (number,)).fetchone()[0]
            self.conn.execute("UPDATE resident SET last_sequence = ? WHERE number = ?",
                              (row[2] if row else 0, number))
        if self.defect == "death-removal-sequence-not-recorded" and _reason(change) == "B03":
            self.conn.execute("UPDATE resident SET last_sequence = ? WHERE number = ?",
                              (row[2] if row else 0, number))


__all__ = ["HOUSEHOLD_DIGITS", "IDEOGRAPHIC_ZERO", "NAME_WIDTH", "OLD_RELATIONSHIPS",
           "PREFECTURE_WIDTH", "SMALL_KE", "TwentyFourthStore", "cleansed"]
