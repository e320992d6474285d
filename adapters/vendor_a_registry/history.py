"""Vendor A's 異動履歴 (change history): one row per 異動 of a resident, with the state it left.

Kept for the handover of a registry (the 中間標準レイアウト's change.csv): the last row of a
resident's history must add up to the resident's current state (住民状態, 世帯番号), which the
layout validator checks. So every live 異動 (``RegistryStore.record_change``) appends its row in
the same transaction as the resident's new state and its 異動通知; the seeded and synthetic data
(``migration.seed_history``, ``migration.populate``) write theirs directly.
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
                 (number, sequence, reason, occurred_on.strftime("%Y%m%d"),
                  (notified_on or occurred_on).strftime("%Y%m%d"), row["住民状態"],
                  row["世帯番号"]))
    return sequence
