"""The forty-fourth blind batch's subscriber side (the 夜間バッチ spool, the 方書 matcher, the start
script's cleanup of 検証用 residents, the tables of 日本人住民 and 外国人住民, the name layer's view of
compatibility ideographs): ``FortyfourthStore`` is mixed into ``Adapter`` through
``FortyfourthBatch`` (fortyfourth.py, which declares the batch and says who wrote it and from
what). Every hook here changes nothing unless ``self.defect`` names one of the batch's subscriber
defects."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

from .standard import CMN, JST, JUKI
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt

# the 夜間バッチ: from 22:00 to 06:00 JST the vendor's online service is closed to its clerks
NIGHT_START, NIGHT_END = 22, 6
# test-range-residents-purged-on-start: the installer's 検証用 residents, 99999 and five digits
TEST_RANGE = "99999_____"
# resident-keyed-with-resident-kind: the key of a record in the vendor's 外国人住民 table
FOREIGN = "外国人:"
FOREIGN_KIND = "2"  # codelists resident_kind: 2 外国人
# ivs-after-compatibility-ideograph-dropped: a selector after a CJK compatibility ideograph
_AFTER_COMPATIBILITY = re.compile(
    "([\uf900-\ufaff\U0002f800-\U0002fa1f])[\ufe00-\ufe0f\U000e0100-\U000e01ef]+")


def at_night(now: dt.datetime) -> bool:
    """Within the 夜間バッチ window (JST)."""
    hour = now.astimezone(JST).hour
    return hour >= NIGHT_START or hour < NIGHT_END


def selectors_after_compatibility_dropped(text: str) -> str:
    """ivs-after-compatibility-ideograph-dropped: the selectors after a CJK compatibility
    ideograph removed (﨑 U+FA11 U+E0102 → 﨑 U+FA11)."""
    return _AFTER_COMPATIBILITY.sub(r"\1", text)


def with_katagaki(change) -> bool:
    """katagaki-changes-applied-after-receipt: a change whose address carries a 方書."""
    return change.find(f"{{{JUKI}}}Resident/{{{CMN}}}Address/{{{CMN}}}Katagaki") is not None


def purge_test_range(conn: sqlite3.Connection) -> int:
    """test-range-residents-purged-on-start: the cleanup's DELETE; the rows deleted."""
    return conn.execute("DELETE FROM resident WHERE number LIKE ?", (TEST_RANGE,)).rowcount


class FortyfourthStore:
    """The forty-fourth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection

    # --- the store at start-up ------------------------------------------------------------

    def _fortyfourth_store_opened(self, conn: sqlite3.Connection) -> None:
        if self.defect == "test-range-residents-purged-on-start":
            purge_test_range(conn)  # the start script's cleanup of 検証用 data

    # --- notices applied after their receipt -------------------------------------------------

    def _fortyfourth_in_background(self, header, mid, changes) -> bool:
        if (self.defect == "notices-spooled-during-night-batch" and
                at_night(dt.datetime.now(JST))) or \
                (self.defect == "katagaki-changes-applied-after-receipt" and
                 any(with_katagaki(c) for c in changes)):
            apply_after_receipt(self, mid, changes)  # the spool's / the matcher's worker
            return True
        return False

    # --- a change applied ---------------------------------------------------------------------

    def _fortyfourth_number(self, resident, number: str) -> str:
        """resident-keyed-with-resident-kind: a 外国人住民's record is in the other table."""
        if self.defect == "resident-keyed-with-resident-kind" and \
                (resident.findtext(f"{{{CMN}}}ResidentKind") or "").strip() == FOREIGN_KIND:
            return FOREIGN + number
        return number

    def _fortyfourth_name(self, name: str) -> str:
        if self.defect == "ivs-after-compatibility-ideograph-dropped":
            return selectors_after_compatibility_dropped(name)
        return name

    def _fortyfourth_observed(self, number: str, row):
        """resident-keyed-with-resident-kind: the vendor's screen looks the 宛名番号 up among the
        日本人住民 first, then among the 外国人住民."""
        if self.defect == "resident-keyed-with-resident-kind" and row is None:
            return self._row(FOREIGN + number)  # Subscriber._row
        return row


__all__ = ["ASYNC_DELAY", "FOREIGN", "FOREIGN_KIND", "FortyfourthStore", "NIGHT_END",
           "NIGHT_START", "TEST_RANGE", "at_night", "purge_test_range",
           "selectors_after_compatibility_dropped", "with_katagaki"]
