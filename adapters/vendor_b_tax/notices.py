"""Vendor B subscribes to 住民基本台帳's 異動通知 (juki.ResidentChangeNotice).

``apply_change_notice(conn, header, body)`` is the ``apply`` of the SDK's IdempotentReceiver: it
runs inside the receiver's transaction (never commits) and applies each Change, in 異動連番 order,
to vendor B's 宛名 table in vendor B's layout (``mapping.resident_to_row``: 名前1/名前2 katakana,
名前(漢字), 町名, 丁 in kanji numerals…). 消除 reasons (group 消除 of the change_reason code
list, B0x) set vendor B's own 消除区分 letter and 消除日; a 記載 (A0x) clears them; a 修正 (C0x)
leaves them. Every change is logged in 異動適用履歴 (宛名番号, 異動連番, 異動事由, メッセージID,
適用結果, 適用日時): ``applied``, or ``stale`` for a change whose 異動連番 is not after the last one
applied to that resident (the newer state is kept; that never happens when the hub keeps order).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from lxml import etree

from adapters.sdk.juki_notice import DELETED, RECORDED, changes, reason_group
from adapters.sdk.receiver import IdempotentReceiver
from bus.core.header import PlatformHeader

from .mapping import resident_to_row
from .store import TaxStore, write_addressee

RESIDENT_CHANGE_NOTICE = "juki.ResidentChangeNotice"
# 消除事由 → vendor B's 消除区分: T 転出, D 死亡, S 職権消除, Z その他 (改製・再製・取消し)
DELETION_KIND = {"B01": "T", "B02": "T", "B03": "D", "B04": "S"}
APPLIED, STALE = "applied", "stale"

__all__ = ["APPLIED", "RESIDENT_CHANGE_NOTICE", "STALE", "apply_change_notice",
           "notice_handlers"]


def _yyyymmdd(iso_day: str) -> int:
    return int(dt.date.fromisoformat(iso_day).isoformat().replace("-", ""))


def apply_change_notice(conn: sqlite3.Connection, header: PlatformHeader,
                        notice: etree._Element) -> list[tuple[str, int, str]]:
    """Apply a 異動通知 on ``conn`` (no commit); returns (宛名番号, 異動連番, 適用結果) per change."""
    results = []
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    for sequence, reason, occurred_on, resident in changes(notice):
        group = reason_group(reason)
        row = resident_to_row(resident)
        number = row["宛名番号"]
        last = conn.execute('SELECT MAX("異動連番") FROM "異動適用履歴" WHERE "宛名番号" = ? '
                            'AND "適用結果" = ?', (number, APPLIED)).fetchone()[0]
        outcome = STALE if last is not None and sequence <= last else APPLIED
        if outcome == APPLIED:
            row.pop("世帯主名")  # a notice has no household: keep what vendor B knows…
            if row["続柄"] == "01":  # …unless the resident is the 世帯主
                row["世帯主名"] = row["名前(漢字)"]
            row["取得日時"] = now
            row["最終異動日"] = _yyyymmdd(occurred_on)
            if group == DELETED:
                row["消除区分"] = DELETION_KIND.get(reason, "Z")
                row["消除日"] = _yyyymmdd(occurred_on)
            elif group == RECORDED:
                row["消除区分"] = row["消除日"] = None
            write_addressee(conn, row)
        conn.execute('INSERT INTO "異動適用履歴" ("宛名番号", "異動連番", "異動事由", '
                     '"メッセージID", "適用結果", "適用日時") VALUES (?, ?, ?, ?, ?, ?)',
                     (number, sequence, reason, header.message_id, outcome, now))
        results.append((number, sequence, outcome))
    return results


def notice_handlers(store: TaxStore) -> dict:
    """Service ID → ProviderApp handler of the notices vendor B subscribes to: applied once each
    (IdempotentReceiver on vendor B's own database, table pfbus_received_notices)."""
    receiver = IdempotentReceiver(store.conn, lock=store.lock)
    return {RESIDENT_CHANGE_NOTICE: receiver.handler(apply_change_notice)}
