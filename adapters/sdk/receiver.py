"""Receiving side of one-way notices (通知の受信): an idempotent receiver for subscribers.

The hub delivers a notice at least once: after a lost acknowledgement, a timeout or a crash it
delivers the same message (the same MessageId, the same bytes) again. :class:`IdempotentReceiver`
makes that harmless. In ONE transaction of the vendor's own SQLite database it

1. looks the notice's MessageId up in its table (``pfbus_received_notices``): seen before → the
   receipt says ``duplicate`` and the vendor's ``apply`` is not called;
2. otherwise calls ``apply(conn, header, body)`` — the vendor's changes to its own records, on
   the same connection, without committing — and records the MessageId;
3. commits, and only then answers ``pfr:NoticeReceipt`` with Status ``applied``.

If ``apply`` raises, everything is rolled back (the vendor's changes and the record) and the
exception becomes a SOAP Fault, so the hub retries later. The transaction is ``BEGIN IMMEDIATE``:
two deliveries of one notice racing in two threads or processes cannot both apply it.

The work runs in a thread (``deferToThread``): handlers must not block the reactor.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
from collections.abc import Callable

from lxml import etree
from twisted.internet.threads import deferToThread

from bus.core.header import PlatformHeader
from bus.core.receipt import (ACCEPTED, APPLIED, DUPLICATE, RECEIPT_NS, RECEIPT_TAG,
                              receipt_element, receipt_fields)

_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# The receipt itself is the platform's (bus.core.receipt): one definition for hub and adapters.
notice_receipt = receipt_element

Apply = Callable[[sqlite3.Connection, PlatformHeader, etree._Element], object]

__all__ = ["ACCEPTED", "APPLIED", "DUPLICATE", "IdempotentReceiver", "RECEIPT_NS", "RECEIPT_TAG",
           "notice_receipt", "receipt_fields"]


class IdempotentReceiver:
    """Applies each notice (by MessageId) at most once to the vendor's SQLite database.

    ``conn`` is the vendor's own connection (opened with ``check_same_thread=False``: the work
    runs in reactor worker threads) and ``lock`` the lock its other users hold around it — give
    the store's lock, so that no other statement slips into the notice's transaction. The table
    is created if missing. Use :meth:`handler` for the ProviderApp, :meth:`receive` directly in
    tests or batch code.
    """

    def __init__(self, conn: sqlite3.Connection, table: str = "pfbus_received_notices", *,
                 lock: threading.RLock | threading.Lock | None = None):
        if not _TABLE_NAME.fullmatch(table):
            raise ValueError(f"not a plain SQL table name: {table!r}")
        self.conn = conn
        self.table = table
        self.lock = lock if lock is not None else threading.RLock()
        with self.lock:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ("
                         "message_id TEXT PRIMARY KEY, service_id TEXT NOT NULL, "
                         "sender TEXT NOT NULL, applied_at TEXT NOT NULL)")
            conn.commit()

    def handler(self, apply: Apply) -> Callable[[PlatformHeader, etree._Element], object]:
        """A ProviderApp handler for a notice service: a Deferred firing with the receipt."""

        def handle(header: PlatformHeader, body: etree._Element):
            return deferToThread(self.receive, apply, header, body)

        return handle

    def receive(self, apply: Apply, header: PlatformHeader, body: etree._Element
                ) -> etree._Element:
        """Apply the notice once (see the module doc); returns its ``pfr:NoticeReceipt``."""
        conn = self.conn
        with self.lock:
            if conn.in_transaction:
                raise RuntimeError("the connection is inside a transaction the receiver did not "
                                   "begin: commit or roll it back first")
            conn.execute("BEGIN IMMEDIATE")
            try:
                seen = conn.execute(f"SELECT 1 FROM {self.table} WHERE message_id = ?",
                                    (header.message_id,)).fetchone()
                if seen:
                    conn.rollback()
                    return notice_receipt(header.message_id, DUPLICATE)
                apply(conn, header, body)
                if not conn.in_transaction:
                    raise RuntimeError("apply committed or rolled back the receiver's "
                                       "transaction; it must only execute statements")
                conn.execute(f"INSERT INTO {self.table} VALUES (?, ?, ?, ?)",
                             (header.message_id, header.service_id, str(header.sender),
                              dt.datetime.now(dt.timezone.utc).isoformat()))
                conn.commit()
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise
        return notice_receipt(header.message_id, APPLIED)

    def seen(self, message_id: str) -> bool:
        """Whether this notice was applied (and committed) before."""
        with self.lock:
            return self.conn.execute(f"SELECT 1 FROM {self.table} WHERE message_id = ?",
                                     (message_id,)).fetchone() is not None

    def received(self) -> list[tuple[str, str, str, str]]:
        """(message_id, service_id, sender, applied_at) of every applied notice, in order."""
        with self.lock:
            return [tuple(r) for r in self.conn.execute(
                f"SELECT message_id, service_id, sender, applied_at FROM {self.table} "
                "ORDER BY rowid")]

