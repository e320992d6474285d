"""Vendor C subscribes to 住民基本台帳's 異動通知 (juki.ResidentChangeNotice).

``apply_change_notice(conn, header, body)`` is the ``apply`` of the SDK's IdempotentReceiver (it
runs in the receiver's transaction and never commits). Each Change, in 異動連番 order, is applied
in vendor C's own way (処理結果 logged in 異動処理履歴):

- 記載 (A0x): 転入 → 資格取得候補 (国保加入 is confirmed later at the counter: the newcomer may be
  insured elsewhere), 取得候補; 出生 into a household with a 被保険者 → 資格取得 on the birthday,
  otherwise 取得候補; 取消し (A07) of a 喪失 → 資格回復; an insured person's 改製/再製 → 更新;
- 消除 (B0x): a 被保険者 → 資格喪失 on the day after (国民健康保険法第8条, simplified), 喪失事由
  転出 / 死亡 / その他; a candidate → 候補取消, dated and with its reason the same way (the
  record is kept, marked: docs/notices.md); someone vendor C never knew → 対象外;
- 修正 (C0x): the personal columns of a known person are updated (更新); someone vendor C never
  knew is taken on as a candidate (取得候補), as by a 転入: the change carries the resident's
  whole state, and a 修正 may be the first 異動 vendor C sees of a resident (docs/notices.md).

A change whose 異動連番 is not after the last one processed for that person is logged 旧異動 and
changes nothing (the hub keeps order, so this is a second line of defence only).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from lxml import etree

from adapters.sdk.juki_notice import DELETED, MODIFIED, RECORDED, changes, reason_group
from adapters.sdk.receiver import IdempotentReceiver
from bus.core.header import PlatformHeader

from .mapping import CANCELLED, CANDIDATE, INSURED, LOST, resident_to_person, ymd
from .store import KokuhoStore, write_insured

RESIDENT_CHANGE_NOTICE = "juki.ResidentChangeNotice"
LOSS_REASON = {"B01": "11", "B02": "11", "B03": "12"}  # else 19 その他消除
STALE = "旧異動"

__all__ = ["RESIDENT_CHANGE_NOTICE", "apply_change_notice", "notice_handlers"]


def _row(conn: sqlite3.Connection, number: str) -> dict | None:
    cursor = conn.execute('SELECT * FROM "被保険者" WHERE "宛名番号" = ?', (number,))
    found = cursor.fetchone()
    return None if found is None else dict(zip([d[0] for d in cursor.description], found, strict=True))


def _household_insured(conn: sqlite3.Connection, household: str, number: str) -> bool:
    return conn.execute('SELECT 1 FROM "被保険者" WHERE "世帯番号" = ? AND "資格区分" = ? AND '
                        '"宛名番号" <> ?', (household, INSURED, number)).fetchone() is not None


def _decide(conn: sqlite3.Connection, reason: str, occurred: dt.date, person: dict,
            row: dict | None) -> tuple[str, dict | None]:
    """(処理結果, the columns to write or None) for one change."""
    group = reason_group(reason)
    code = None if row is None else row["資格区分"]
    day = ymd(occurred)
    if group == RECORDED or (row is None and group == MODIFIED):
        if reason == "A07" and code == LOST:
            return "資格回復", {**person, "資格区分": INSURED, "資格喪失日": None, "喪失事由": None}
        if reason == "A03" and _household_insured(conn, person["世帯番号"], person["宛名番号"]):
            return "資格取得", {**person, "資格区分": INSURED, "資格取得日": day, "取得事由": "02",
                             "資格喪失日": None, "喪失事由": None}
        if code == INSURED:
            return "更新", person
        acquisition = {"A01": "01", "A02": "01", "A03": "02"}.get(reason, "03")
        return "取得候補", {**person, "資格区分": CANDIDATE, "候補登録日": day,
                         "取得事由": acquisition, "資格取得日": None, "資格喪失日": None,
                         "喪失事由": None}
    if row is None:
        return "対象外", None
    if group == DELETED and code == INSURED:
        return "資格喪失", {**person, "資格区分": LOST,
                         "資格喪失日": ymd(occurred + dt.timedelta(days=1)),
                         "喪失事由": LOSS_REASON.get(reason, "19")}
    if group == DELETED and code == CANDIDATE:
        return "候補取消", {**person, "資格区分": CANCELLED,
                         "資格喪失日": ymd(occurred + dt.timedelta(days=1)),
                         "喪失事由": LOSS_REASON.get(reason, "19")}
    return "更新", person


def apply_change_notice(conn: sqlite3.Connection, header: PlatformHeader,
                        notice: etree._Element) -> list[tuple[str, int, str]]:
    """Apply a 異動通知 on ``conn`` (no commit); returns (宛名番号, 異動連番, 処理結果) per change."""
    results = []
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    for sequence, reason, occurred_on, resident in changes(notice):
        person = resident_to_person(resident)
        number = person["宛名番号"]
        last = conn.execute('SELECT MAX("異動連番") FROM "異動処理履歴" WHERE "宛名番号" = ? '
                            'AND "処理結果" <> ?', (number, STALE)).fetchone()[0]
        if last is not None and sequence <= last:
            outcome, columns = STALE, None
        else:
            outcome, columns = _decide(conn, reason, dt.date.fromisoformat(occurred_on), person,
                                       _row(conn, number))
        if columns is not None:
            write_insured(conn, {**columns, "更新日時": now})
        conn.execute('INSERT INTO "異動処理履歴" ("宛名番号", "異動連番", "異動事由", '
                     '"メッセージID", "処理結果", "処理日時") VALUES (?, ?, ?, ?, ?, ?)',
                     (number, sequence, reason, header.message_id, outcome, now))
        results.append((number, sequence, outcome))
    return results


def notice_handlers(store: KokuhoStore) -> dict:
    """Service ID → ProviderApp handler of the notices vendor C subscribes to (applied once each:
    IdempotentReceiver on vendor C's database)."""
    receiver = IdempotentReceiver(store.conn, lock=store.lock)
    return {RESIDENT_CHANGE_NOTICE: receiver.handler(apply_change_notice)}
