"""Vendor A's transactional outbox of 異動通知 (juki.ResidentChangeNotice).

A change to a resident is ONE transaction of vendor A's database: the 住民 row is updated AND an
異動通知送信 row is appended (``RegistryStore.record_change``). The row carries everything the
notice needs, fixed at that moment: the resident's own 異動連番 (1, 2, 3… per 宛名番号), a
pre-assigned メッセージID and the notice body (the resident as of this change, validated with the
hub's own rules, so that an invalid record never enters the outbox). So a change is never lost
(the notice commits with it) and never published without having happened (it rolls back with it).

The publisher (``publisher.OutboxPublisher``) sends the rows later. The envelope bytes are fixed
at the first attempt and kept in the row (送信電文): every resend is the same bytes and message ID,
across restarts, until a receipt (accepted / duplicate) marks the row 送信済.

States (状態): 未送信 → 送信済. Failures keep 未送信 with 試行回数, 最終エラー and 次回送信 (backoff):
visible, retried, never silently paused.
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import uuid
from collections.abc import Mapping

from lxml import etree

from bus.core.header import JST

from .mapping import CMN, resident_to_element

JUKI = "urn:pfbus:unit:juki:v1"
SERVICE_ID = "juki.ResidentChangeNotice"
PENDING, SENT = "未送信", "送信済"

SCHEMA = """
CREATE TABLE IF NOT EXISTS "異動通知送信" (
    "送信番号" INTEGER PRIMARY KEY AUTOINCREMENT,
    "宛名番号" TEXT NOT NULL,
    "異動連番" INTEGER NOT NULL,
    "メッセージID" TEXT NOT NULL UNIQUE,
    "異動事由" TEXT NOT NULL,
    "異動年月日" TEXT NOT NULL,
    "操作者ID" TEXT NOT NULL,
    "通知本文" TEXT NOT NULL,
    "送信電文" BLOB,
    "状態" TEXT NOT NULL,
    "試行回数" INTEGER NOT NULL DEFAULT 0,
    "次回送信" REAL NOT NULL DEFAULT 0,
    "最終エラー" TEXT,
    "受領結果" TEXT,
    "登録日時" TEXT NOT NULL,
    "送信日時" TEXT,
    UNIQUE ("宛名番号", "異動連番"));
CREATE INDEX IF NOT EXISTS "異動通知送信_状態" ON "異動通知送信" ("状態", "送信番号");
"""

# 住民状態 a change leaves the resident in, by 異動事由 (vendor A's labels), unless given.
STATUS_AFTER = {"B01": "転出者", "B02": "転出者", "B03": "死亡者"}


class OutboxError(ValueError):
    """A change whose notice would not be valid: nothing was recorded."""


def status_after(reason: str, current: str | None) -> str:
    """住民状態 after a change with 異動事由 ``reason`` (消除 B0x → 除票; 記載 A0x → 住民)."""
    if reason in STATUS_AFTER:
        return STATUS_AFTER[reason]
    if reason.startswith("B"):
        return "その他消除者"
    if reason.startswith("A"):
        return "住民"
    return current or "住民"


def day(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def build_notice(row: Mapping[str, object], sequence: int, reason: str, occurred_on: dt.date,
                 notified_on: dt.date | None = None, recorded_on: dt.date | None = None
                 ) -> etree._Element:
    """juki:ResidentChangeNotice with one Change: the resident ``row`` after the 異動."""
    notice = etree.Element(f"{{{JUKI}}}ResidentChangeNotice", nsmap={"juki": JUKI, "cmn": CMN})
    change = etree.SubElement(notice, f"{{{JUKI}}}Change")
    etree.SubElement(change, f"{{{JUKI}}}Sequence").text = str(sequence)
    event = etree.SubElement(change, f"{{{JUKI}}}Event")
    for name, value in (("Reason", reason), ("OccurredOn", occurred_on),
                        ("NotifiedOn", notified_on), ("RecordedOn", recorded_on)):
        if value is not None:
            etree.SubElement(event, f"{{{CMN}}}{name}").text = str(value)
    resident_to_element(row, f"{{{JUKI}}}Resident", change)
    return notice


@functools.cache
def _validator():
    from bus.core.catalog import Catalog
    from bus.core.validator import MessageValidator
    from schemas import BUILTIN_CATALOG

    return MessageValidator(Catalog.load([BUILTIN_CATALOG]))


def validate_notice(notice: etree._Element, local_gov_code: str) -> None:
    """The hub's own checks (XSD, check digits, code lists); OutboxError with the findings."""
    findings = _validator().validate(notice, data_owner=local_gov_code)
    if findings:
        raise OutboxError("the 異動通知 would be refused: " + "; ".join(map(str, findings)))


def append(conn: sqlite3.Connection, row: Mapping[str, object], reason: str,
           occurred_on: dt.date | str, *, local_gov_code: str, user_id: str,
           notified_on: dt.date | str | None = None, characters=None) -> dict:
    """Append the notice of a change to the outbox on ``conn`` (the caller's transaction, which
    also wrote ``row``); returns the outbox row. ``characters`` (the adapter's
    ``CharacterPolicy``) turns vendor A's 外字 codes into MJ characters: a notice is standard
    text, kept and resent as such."""
    number = row["宛名番号"]
    last = conn.execute('SELECT MAX("異動連番") FROM "異動通知送信" WHERE "宛名番号" = ?',
                        (number,)).fetchone()[0]
    sequence = (last or 0) + 1
    occurred = day(occurred_on)
    try:
        notice = build_notice(row, sequence, reason, occurred,
                              None if notified_on is None else day(notified_on),
                              dt.datetime.now(JST).date())
    except ValueError as exc:  # MappingError, or a column the mapping cannot read
        raise OutboxError(f"the 異動通知 cannot be built: {exc}") from None
    if characters:
        notice = characters.outbound(notice)
    validate_notice(notice, local_gov_code)
    entry = {"宛名番号": number, "異動連番": sequence, "メッセージID": str(uuid.uuid4()),
             "異動事由": reason, "異動年月日": occurred.isoformat().replace("-", ""), "操作者ID": user_id,
             "通知本文": etree.tostring(notice, encoding="unicode"), "状態": PENDING,
             "登録日時": dt.datetime.now(dt.timezone.utc).isoformat()}
    cur = conn.execute(f'INSERT INTO "異動通知送信" ({", ".join(_q(c) for c in entry)}) '
                       f'VALUES ({", ".join("?" * len(entry))})', tuple(entry.values()))
    return {"送信番号": cur.lastrowid, **entry}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Outbox:
    """The publisher's view of the outbox over vendor A's connection and lock."""

    def __init__(self, conn: sqlite3.Connection, lock):
        self.conn, self.lock = conn, lock

    def due(self, now: float, limit: int = 100) -> list[dict]:
        """The oldest unsent notice of each resident (never a later one: strict order per
        resident), if its backoff has passed, oldest first, at most ``limit``."""
        with self.lock:
            return [dict(r) for r in self.conn.execute(
                'SELECT * FROM "異動通知送信" WHERE "送信番号" IN (SELECT MIN("送信番号") '
                'FROM "異動通知送信" WHERE "状態" = ? GROUP BY "宛名番号") AND "次回送信" <= ? '
                'ORDER BY "送信番号" LIMIT ?', (PENDING, now, limit))]

    def next_due(self) -> float | None:
        """When the earliest unsent notice may be tried (POSIX seconds), None when none is."""
        with self.lock:
            return self.conn.execute('SELECT MIN("次回送信") FROM "異動通知送信" WHERE "状態" = ?',
                                     (PENDING,)).fetchone()[0]

    def fix_envelope(self, entry_id: int, sent: bytes) -> bytes:
        """Keep the envelope of the first attempt; returns the envelope kept (the first one)."""
        with self.lock, self.conn:
            self.conn.execute('UPDATE "異動通知送信" SET "送信電文" = ? WHERE "送信番号" = ? AND '
                              '"送信電文" IS NULL', (sent, entry_id))
            return self.conn.execute('SELECT "送信電文" FROM "異動通知送信" WHERE "送信番号" = ?',
                                     (entry_id,)).fetchone()[0]

    def mark_sent(self, entry_id: int, receipt_status: str) -> None:
        with self.lock, self.conn:
            self.conn.execute('UPDATE "異動通知送信" SET "状態" = ?, "受領結果" = ?, '
                              '"試行回数" = "試行回数" + 1, "最終エラー" = NULL, "送信日時" = ? '
                              'WHERE "送信番号" = ?',
                              (SENT, receipt_status, dt.datetime.now(dt.timezone.utc).isoformat(),
                               entry_id))

    def mark_failed(self, entry_id: int, error: str, not_before: float) -> None:
        with self.lock, self.conn:
            self.conn.execute('UPDATE "異動通知送信" SET "試行回数" = "試行回数" + 1, '
                              '"最終エラー" = ?, "次回送信" = ? WHERE "送信番号" = ?',
                              (error[:500], not_before, entry_id))

    def entries(self, addressee_number: str | None = None) -> list[dict]:
        """Every outbox row (without the bytes), in 送信番号 order."""
        with self.lock:
            return [{k: r[k] for k in r.keys() if k not in ("通知本文", "送信電文")}
                    for r in self.conn.execute(
                        'SELECT * FROM "異動通知送信" WHERE ? IS NULL OR "宛名番号" = ? '
                        'ORDER BY "送信番号"', (addressee_number, addressee_number))]
