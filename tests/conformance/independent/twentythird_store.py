"""The twenty-third blind batch's subscriber side (the notice store, the notice mapper and its
checks): ``TwentyThirdStore`` is mixed into ``Adapter`` through ``TwentyThirdBatch``
(twentythird.py, which declares the batch and says who wrote it and from what). Every hook here
changes nothing unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

from .standard import CMN, JUKI, PFH, Refusal

KEY_DIGITS = 12  # addressee-number-cut-to-12: the vendor's VARCHAR(12) 宛名番号 column
TOWN_WIDTH = 12  # town-over-12-characters-internal: its NVARCHAR(12) 町名 column
INT32_MAX = 2**31 - 1  # household-number-int32-internal: its INTEGER 世帯番号 column
# stores-name-archaic-kana-modernised: the 名寄せ cleaner's 旧仮名 table (ゐ ゑ ヰ ヱ → い え イ エ)
ARCHAIC_KANA = str.maketrans("ゐゑヰヱ", "いえイエ")
GETA = "〓"
# pua-filter-range-overreach: the 外字 filter meant U+E000–U+F8FF and says U+FAFF
_PUA_FILTER = re.compile("[\ue000-\ufaff]")
# ivs-beyond-vs32-dropped: the vendor's glyph table holds the selectors U+E0100–U+E010F only
# (VS17–VS32); the later ones (VS33–VS256, U+E0110–U+E01EF) are dropped
_LATE_SELECTOR = re.compile("[\U000e0110-\U000e01ef]")
_SIDE_TABLES = {
    "notice-sender-system-pinned-refused":  # the publisher, learnt from the first notice
        "CREATE TABLE IF NOT EXISTS twentythird_publisher (party TEXT)",
    "provisional-residents-reopened-on-start":  # 仮登録: first held through a 修正
        "CREATE TABLE IF NOT EXISTS twentythird_provisional (number TEXT PRIMARY KEY)",
    "unheld-correction-provisional-temp":  # the 仮登録 rows, which live in a TEMP table
        "CREATE TABLE IF NOT EXISTS twentythird_unconfirmed (number TEXT PRIMARY KEY)",
}
_PROVISIONAL = {"provisional-residents-reopened-on-start": "twentythird_provisional",
                "unheld-correction-provisional-temp": "twentythird_unconfirmed"}


def _resident(change, local: str) -> str:
    return (change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}{local}") or "").strip()


def _reason(change) -> str:
    return (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()


def without_late_selectors(text: str | None) -> str | None:
    """ivs-beyond-vs32-dropped: the text without the selectors U+E0110–U+E01EF."""
    return _LATE_SELECTOR.sub("", text) if text else text


def pua_filtered(text: str) -> str:
    """pua-filter-range-overreach: the 外字 filter, its range's end mistyped."""
    return _PUA_FILTER.sub(GETA, text)


def has_key(conn: sqlite3.Connection) -> bool:
    """Whether the resident table still has its PRIMARY KEY (number)."""
    return any(col[5] for col in conn.execute("PRAGMA table_info(resident)"))


class TwentyThirdStore:
    """The twenty-third batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    twentythird: dict

    _seen: Callable[[str], bool]  # Subscriber's (an annotation: nothing shadowed)

    # --- the store at start-up ------------------------------------------------------------

    def _twentythird_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect
        if d in _SIDE_TABLES:
            conn.execute(_SIDE_TABLES[d])
        if d == "provisional-residents-reopened-on-start":  # "let their 記載 in when it comes"
            conn.execute("UPDATE resident SET last_sequence = 0 WHERE number IN "
                         "(SELECT number FROM twentythird_provisional)")
        if d == "unheld-correction-provisional-temp":  # the TEMP table did not survive
            conn.execute("DELETE FROM resident WHERE number IN "
                         "(SELECT number FROM twentythird_unconfirmed)")
            conn.execute("DELETE FROM twentythird_unconfirmed")
        if d == "resident-table-rebuilt-without-key-on-start" and \
                conn.execute("SELECT COUNT(*) FROM resident").fetchone()[0]:
            # the start-up compaction: CREATE TABLE … AS SELECT keeps the rows and their
            # columns' types, not the PRIMARY KEY
            conn.executescript("CREATE TABLE resident_compacted AS SELECT * FROM resident;"
                               "DROP TABLE resident;"
                               "ALTER TABLE resident_compacted RENAME TO resident;")

    # --- the vendor's checks of a notice, before anything is applied ------------------------

    def _twentythird_notice_checks(self, header, body, mid) -> None:
        d = self.defect
        if d == "notice-sender-system-pinned-refused":
            party = "/".join(header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}{n}") or ""
                             for n in ("LocalGovCode", "BusinessUnit", "SystemId"))
            row = self.conn.execute("SELECT party FROM twentythird_publisher").fetchone()
            if row is None:
                self.conn.execute("INSERT INTO twentythird_publisher VALUES (?)", (party,))
            elif row[0] != party:
                raise Refusal("VENDOR-PUBLISHER", "client", "not this subscriber's registry",
                              [("vendor:publisher", f"notices come from {row[0]}")], mid)
        if d == "resident-table-rebuilt-without-key-on-start" and not has_key(self.conn) \
                and not self._seen(mid):
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice cannot be stored",
                          [("vendor:store", "ON CONFLICT clause does not match any PRIMARY "
                                            "KEY or UNIQUE constraint")], mid)
        for change in body.iter(f"{{{JUKI}}}Change"):
            if d == "abroad-removal-without-notified-on-refused" and \
                    _reason(change) == "B02" and \
                    change.find(f"{{{JUKI}}}Event/{{{CMN}}}NotifiedOn") is None:
                raise Refusal("VENDOR-DEPARTURE", "client", "国外転出: 出国予定の届出年月日がない",
                              [("vendor:departure", "NotifiedOn is required for B02")], mid)
            name = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text") or ""
            if d == "foreign-mononym-refused" and _resident(change, "ResidentKind") == "2" and \
                    not any(space in name for space in " \u3000"):
                raise Refusal("VENDOR-NAME", "client", "外国人氏名: 氏と名に分けられない",
                              [("vendor:name", "a foreign name needs a family and a given "
                                               "name")], mid)
            town = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}Address/{{{CMN}}}Town") or ""
            if d == "town-over-12-characters-internal" and len(town) > TOWN_WIDTH:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice cannot be stored",
                              [("vendor:store", "string or binary data would be truncated: "
                                                "町名 NVARCHAR(12)")], mid)
            household = _resident(change, "HouseholdNumber")
            if d == "household-number-int32-internal" and household.isdigit() and \
                    int(household) > INT32_MAX:
                raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice cannot be stored",
                              [("vendor:store", "integer overflow: 世帯番号")], mid)

    # --- the notice mapper ---------------------------------------------------------------

    def _twentythird_number(self, change, number: str) -> str:
        d = self.defect
        if d == "addressee-number-cut-to-12":
            return number[:KEY_DIGITS]
        code = _resident(change, "ResidentCode")
        if d == "resident-code-change-keyed-by-code" and _reason(change) == "C07" and code:
            return code  # the C07 screen's UPDATE names the key column after the new code
        return number

    def _twentythird_name(self, name: str | None) -> str | None:
        d = self.defect
        if name is None:
            return name
        if d == "ivs-beyond-vs32-dropped":
            return without_late_selectors(name)
        if d == "stores-name-archaic-kana-modernised":
            return name.translate(ARCHAIC_KANA)
        if d == "pua-filter-range-overreach":
            return pua_filtered(name)
        return name

    def _twentythird_applied(self, change, number: str, row) -> None:
        table = _PROVISIONAL.get(self.defect or "")
        if table is None:
            return
        reason = _reason(change)
        if row is None and reason.startswith("C"):  # held through a 修正: 仮登録
            self.conn.execute(f"INSERT OR IGNORE INTO {table} VALUES (?)", (number,))
        elif reason.startswith("A"):  # its 記載 came: 本登録
            self.conn.execute(f"DELETE FROM {table} WHERE number = ?", (number,))


__all__ = ["ARCHAIC_KANA", "GETA", "INT32_MAX", "KEY_DIGITS", "TOWN_WIDTH", "TwentyThirdStore",
           "has_key", "pua_filtered", "without_late_selectors"]
