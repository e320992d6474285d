"""Vendor B's 原字 table: the registered form of names it keeps in 縮退.

Run in JIS X 0213-only mode (``--characters jisx0213``), vendor B's adapter SDK hands it names in
縮退 (高橋美咲 for 髙橋美咲, see docs/characters.md) with the name as registered in ``cmn:Original``.
名前(漢字) and 世帯主名 keep the 縮退 (what vendor B's screens and forms can print); the registered
form is kept here, one row per 宛名番号 and column, so that nothing of the registry's name is lost
and it can be sent on as sent. In MJ mode no row is written (nothing arrives in 縮退).
"""

from __future__ import annotations

from lxml import etree

from .store import TaxStore

CMN = "urn:pfbus:platform:common:v1"
_SCHEMA = ('CREATE TABLE IF NOT EXISTS "原字" ("宛名番号" TEXT NOT NULL, "項目" TEXT NOT NULL, '
           '"原字" TEXT NOT NULL, PRIMARY KEY ("宛名番号", "項目"))')


def originals_of(resident: etree._Element, household: etree._Element | None = None
                 ) -> dict[str, str]:
    """{vendor B column: registered name} for the names that arrived in 縮退."""
    found = {}
    for column, name in (("名前(漢字)", resident.find(f"{{{CMN}}}Name")),
                         ("世帯主名", None if household is None
                          else household.find(f"{{{CMN}}}HeadName"))):
        original = None if name is None else name.findtext(f"{{{CMN}}}Original")
        if original:
            found[column] = original
    return found


def keep_originals(store: TaxStore, addressee_number: str, found: dict[str, str]) -> None:
    """Replace the 原字 rows of one 宛名 by ``found`` (none left when nothing was in 縮退)."""
    with store._lock, store._conn:
        store._conn.execute(_SCHEMA)
        store._conn.execute('DELETE FROM "原字" WHERE "宛名番号" = ?', (addressee_number,))
        store._conn.executemany('INSERT INTO "原字" VALUES (?, ?, ?)',
                                [(addressee_number, c, o) for c, o in found.items()])


def originals(store: TaxStore, addressee_number: str) -> dict[str, str]:
    """{column: registered name} kept for one 宛名."""
    with store._lock:
        store._conn.execute(_SCHEMA)
        rows = store._conn.execute('SELECT "項目", "原字" FROM "原字" WHERE "宛名番号" = ?',
                                   (addressee_number,)).fetchall()
    return {r[0]: r[1] for r in rows}
