"""The twenty-first blind batch's subscriber side (the notice store, the notice mapper and its
checks): ``TwentyFirstStore`` is mixed into ``Adapter`` through ``TwentyFirstBatch``
(twentyfirst.py, which declares the batch and says who wrote it and from what). Every hook here
changes nothing unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

from .standard import CMN, JUKI, Refusal

# stores-typographic-apostrophe-ascii: ‘ ’ ‛ → ', “ ” → "
ASCII_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u201c": '"',
                              "\u201d": '"'})
SEEN_WARM_UP = 10  # seen-cache-warmed-with-recent-only: "enough for the hub's retries"
START_SKEW = dt.timedelta(minutes=5)  # notices-sent-before-start-skipped
_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
_SIDE_TABLES = {
    "removed-resident-correction-not-applied":
        "CREATE TABLE IF NOT EXISTS twentyfirst_removed (number TEXT PRIMARY KEY)",
    "birth-without-held-household-refused":
        "CREATE TABLE IF NOT EXISTS twentyfirst_household (number TEXT PRIMARY KEY, "
        "household TEXT)",
    "occurred-on-regression-refused":
        "CREATE TABLE IF NOT EXISTS twentyfirst_occurred (number TEXT PRIMARY KEY, "
        "occurred TEXT)",
    "individual-number-mismatch-refused":
        "CREATE TABLE IF NOT EXISTS twentyfirst_individual (number TEXT PRIMARY KEY, "
        "individual TEXT)",
}


def _resident(change, local: str) -> str:
    return (change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}{local}") or "").strip()


def _reason(change) -> str:
    return (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()


class TwentyFirstStore:
    """The twenty-first batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    residents: dict
    started: dt.datetime
    twentyfirst: dict

    # --- the store at start-up ------------------------------------------------------------

    def _twentyfirst_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect
        if d in _SIDE_TABLES:
            conn.execute(_SIDE_TABLES[d])
        if d == "seed-load-replayed-on-start":  # the installer's 全件, "idempotent"
            conn.executemany("INSERT OR REPLACE INTO resident VALUES (?, ?, 0, 0)", [
                (number, el.findtext(f"{{{CMN}}}Name/{{{CMN}}}Text"))
                for number, el in self.residents.items()])
        if d == "namesake-merged-on-start":  # 名寄せ: one row per name, the lowest 宛名番号
            conn.execute("DELETE FROM resident WHERE number NOT IN "
                         "(SELECT MIN(number) FROM resident GROUP BY name)")
        if d == "name-column-converted-on-start":  # CONVERT TO CHARACTER SET utf8 (utf8mb3)
            for number, name in conn.execute("SELECT number, name FROM resident").fetchall():
                if name and _ASTRAL.search(name):
                    conn.execute("UPDATE resident SET name = ? WHERE number = ?",
                                 (_ASTRAL.sub("?", name), number))
        if d == "seen-cache-warmed-with-recent-only":
            self.twentyfirst["seen"] = {row[0] for row in conn.execute(
                "SELECT message_id FROM seen ORDER BY rowid DESC LIMIT ?", (SEEN_WARM_UP,))}

    def _twentyfirst_seen(self, mid: str) -> bool | None:
        if self.defect != "seen-cache-warmed-with-recent-only":
            return None
        return mid in self.twentyfirst["seen"]

    def _twentyfirst_marked(self, mid: str) -> None:
        if self.defect == "seen-cache-warmed-with-recent-only":
            self.twentyfirst["seen"].add(mid)

    # --- the vendor's checks of a notice, before anything is applied ------------------------

    def _twentyfirst_notice_checks(self, body, mid) -> None:
        d = self.defect
        if d == "notice-nsmap-from-notice-element" and CMN not in body.nsmap.values():
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice cannot be mapped",
                          [("vendor:mapper", "XPathEvalError: Undefined namespace prefix")],
                          mid)
        if d == "chome-two-digits-internal" and any(
                len(str(int(c.text))) > 1 for c in body.iter(f"{{{CMN}}}Chome")):
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice cannot be stored",
                          [("vendor:store", "value too long for type character(1)")], mid)
        for change in body.iter(f"{{{JUKI}}}Change"):
            number = _resident(change, "AddresseeNumber")
            if d == "birth-without-held-household-refused" and _reason(change) == "A03" and \
                    self.conn.execute("SELECT 1 FROM twentyfirst_household WHERE household = ?",
                                      (_resident(change, "HouseholdNumber"),)).fetchone() is None:
                raise Refusal("VENDOR-HOUSEHOLD", "client", "no household for the birth",
                              [("vendor:household", "世帯 not held")], mid)
            occurred = (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn") or "").strip()
            if d == "occurred-on-regression-refused":
                last = self.conn.execute("SELECT occurred FROM twentyfirst_occurred WHERE "
                                         "number = ?", (number,)).fetchone()
                if last is not None and occurred[:10] < last[0]:
                    raise Refusal("VENDOR-DATE", "client", "異動年月日 before the last 異動",
                                  [("vendor:dates", f"{occurred[:10]} < {last[0]}")], mid)
            if d == "individual-number-mismatch-refused":
                held = self.conn.execute("SELECT individual FROM twentyfirst_individual WHERE "
                                         "number = ?", (number,)).fetchone()
                given = _resident(change, "IndividualNumber")
                if held is not None and given and held[0] != given:
                    raise Refusal("VENDOR-IDENTITY", "client", "個人番号 does not match",
                                  [("vendor:individual_number", "番号不一致")], mid)

    # --- the notice mapper ---------------------------------------------------------------

    def _twentyfirst_number(self, resident, number: str) -> str:
        if self.defect == "members-keyed-by-relationship" and \
                (resident.findtext(f"{{{CMN}}}Relationship") or "").strip() != "01":
            return "{}/{}".format(resident.findtext(f"{{{CMN}}}HouseholdNumber"),
                                  resident.findtext(f"{{{CMN}}}Relationship"))  # 世帯員 table
        return number

    def _twentyfirst_name(self, name: str) -> str:
        if self.defect == "stores-typographic-apostrophe-ascii":
            return name.translate(ASCII_QUOTES)
        return name

    def _twentyfirst_skip(self, change, number: str) -> bool:
        d = self.defect
        if d == "removed-resident-correction-not-applied" and _reason(change).startswith("C"):
            return self.conn.execute("SELECT 1 FROM twentyfirst_removed WHERE number = ?",
                                     (number,)).fetchone() is not None  # WHERE 住民状態 = '1'
        if d == "notices-sent-before-start-skipped":
            sent_at = getattr(self.twentyfirst.get("local"), "sent_at", None)
            return sent_at is not None and \
                dt.datetime.fromisoformat(sent_at.strip()) < self.started - START_SKEW
        return False

    def _twentyfirst_applied(self, change, number: str) -> None:
        d = self.defect
        if d == "removed-resident-correction-not-applied":
            if _reason(change).startswith("B"):  # 消除
                self.conn.execute("INSERT OR IGNORE INTO twentyfirst_removed VALUES (?)",
                                  (number,))
            elif _reason(change).startswith("A"):  # 記載 clears it
                self.conn.execute("DELETE FROM twentyfirst_removed WHERE number = ?", (number,))
        if d == "birth-without-held-household-refused":
            self.conn.execute("INSERT OR REPLACE INTO twentyfirst_household VALUES (?, ?)",
                              (number, _resident(change, "HouseholdNumber")))
        if d == "occurred-on-regression-refused":
            self.conn.execute("INSERT OR REPLACE INTO twentyfirst_occurred VALUES (?, ?)", (
                number, (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn") or "")[:10]))
        if d == "individual-number-mismatch-refused" and _resident(change, "IndividualNumber"):
            self.conn.execute("INSERT OR REPLACE INTO twentyfirst_individual VALUES (?, ?)",
                              (number, _resident(change, "IndividualNumber")))


__all__ = ["ASCII_QUOTES", "SEEN_WARM_UP", "START_SKEW", "TwentyFirstStore"]
