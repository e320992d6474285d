"""Vendor A's 異動履歴 (change history): one row per 異動 of a resident, with the state it left.

Kept for the handover of a registry (the 中間標準レイアウト's change.csv): the last row of a
resident's history must add up to the resident's current state (住民状態, 世帯番号), which the
layout validator checks. So every live 異動 (``RegistryStore.record_change``) appends its row in
the same transaction as the resident's new state and its 異動通知; the seeded and synthetic data
(``migration.seed_history``, ``migration.populate``) write theirs directly. It also answers a
住民照会 with a 基準日: the 住民状態 and 世帯番号 a resident had on that day (``state_on``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping

SCHEMA = """
CREATE TABLE IF NOT EXISTS "異動履歴" (
    "宛名番号" TEXT NOT NULL, "異動連番" INTEGER NOT NULL, "異動事由" TEXT NOT NULL,
    "異動年月日" TEXT NOT NULL, "届出年月日" TEXT, "異動後住民状態" TEXT NOT NULL,
    "異動後世帯番号" TEXT NOT NULL, PRIMARY KEY ("宛名番号", "異動連番"));
"""


def append(conn: sqlite3.Connection, row: Mapping[str, object], reason: str,
           occurred_on: dt.date, notified_on: dt.date | None) -> int:
    """Append the 異動 of resident ``row`` (its state after the change) in the caller's
    transaction; returns its 異動連番 in the history (the resident's next)."""
    number = row["宛名番号"]
    last = conn.execute('SELECT MAX("異動連番") FROM "異動履歴" WHERE "宛名番号" = ?',
                        (number,)).fetchone()[0]
    sequence = (last or 0) + 1
    conn.execute('INSERT INTO "異動履歴" VALUES (?, ?, ?, ?, ?, ?, ?)',
                 (number, sequence, reason, occurred_on.isoformat().replace("-", ""),
                  (notified_on or occurred_on).isoformat().replace("-", ""), row["住民状態"],
                  row["世帯番号"]))
    return sequence


def state_on(conn: sqlite3.Connection, number: str, day: dt.date) -> dict | None:
    """{"住民状態", "世帯番号"} of resident ``number`` after its last 異動 on or before ``day``;
    None when none is recorded by then."""
    found = conn.execute('SELECT "異動後住民状態", "異動後世帯番号" FROM "異動履歴" '
                         'WHERE "宛名番号" = ? AND "異動年月日" <= ? '
                         'ORDER BY "異動年月日" DESC, "異動連番" DESC LIMIT 1',
                         (number, day.isoformat().replace("-", ""))).fetchone()
    return None if found is None else {"住民状態": found[0], "世帯番号": found[1]}


def households_of(conn: sqlite3.Connection, household_number: str) -> list[str]:
    """The 宛名番号 of every resident that 異動履歴 ever put in household ``household_number``."""
    return [r[0] for r in conn.execute('SELECT DISTINCT "宛名番号" FROM "異動履歴" '
                                       'WHERE "異動後世帯番号" = ?', (household_number,))]
