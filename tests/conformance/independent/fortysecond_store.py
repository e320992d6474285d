"""The forty-second blind batch's subscriber side (the 取消し handler and its history table, the
change counter's statistics job, the unit of work bound to the HTTP connection, the streaming
intake of chunked notices, the receipt of a notice dated ahead): ``FortysecondStore`` is mixed
into ``Adapter`` through ``FortysecondBatch`` (fortysecond.py, which declares the batch and says
who wrote it and from what). Every hook here changes nothing unless ``self.defect`` names one of
the batch's subscriber defects."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time

from .standard import CMN, JST, JUKI, PFR
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt
from .thirtyfifth_store import day_of

# removal-cancellation-undoes-last-change: the vendor's 異動履歴 of the names it stored
_HISTORY = "CREATE TABLE IF NOT EXISTS fortysecond_history (number TEXT, sequence INTEGER, " \
           "name TEXT);"
CANCELLATION = "B07"  # 消除 取消し (schemas/codelists/change_reason.csv)
_CONNECTION = threading.local()  # notices-committed-at-connection-close: the HTTP connection
_INTAKE = threading.local()  # the request's chunks as the front end read them (None: not chunked)


# --- the HTTP front end (__main__.py) -----------------------------------------------------------

def connection_opened() -> None:
    """notices-committed-at-connection-close: a connection was accepted (its unit of work
    begins with its first notice)."""
    _CONNECTION.token = object()


def connection_closed(adapter) -> None:
    """notices-committed-at-connection-close: the connection ended (its unit of work is
    committed)."""
    token, _CONNECTION.token = getattr(_CONNECTION, "token", None), None
    if token is not None:
        adapter._fortysecond_connection_closed(token)


def chunks_read(parts: list[bytes] | None) -> None:
    """The request's chunks as the front end read them (None: a Content-Length body)."""
    _INTAKE.chunks = parts


def request_chunks() -> list[bytes] | None:
    return getattr(_INTAKE, "chunks", None)


def ahead_of_today(change) -> bool:
    """future-dated-changes-receipted-accepted: a change whose 異動年月日 lies after today (JST)."""
    occurred = day_of(change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn"))
    return bool(occurred) and occurred > dt.datetime.now(JST).date().isoformat()


class FortysecondStore:
    """The forty-second batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    open_transaction: bool
    fortysecond: dict

    # --- the store at start-up ------------------------------------------------------------

    def _fortysecond_store_opened(self, conn: sqlite3.Connection) -> None:
        if self.defect == "removal-cancellation-undoes-last-change":
            conn.executescript(_HISTORY)

    # --- notices applied after their receipt -------------------------------------------------

    def _fortysecond_in_background(self, header, mid, changes) -> bool:
        if self.defect == "chunked-notices-applied-after-receipt" and \
                request_chunks() is not None:
            apply_after_receipt(self, mid, changes)  # the streaming intake's completion job
            return True
        return False

    # --- the notice's transaction ----------------------------------------------------------

    def _fortysecond_leave_open(self) -> bool:
        """notices-committed-at-connection-close: a notice that came through the HTTP front end
        on a connection still open is left in the connection's unit of work."""
        token = getattr(_CONNECTION, "token", None)
        if self.defect != "notices-committed-at-connection-close" or token is None:
            return False
        self.fortysecond["unit_of_work"] = token  # the connection whose transaction it is
        return True

    def _fortysecond_connection_closed(self, token) -> None:
        if self.defect != "notices-committed-at-connection-close":
            return
        with self.lock:
            if self.open_transaction and self.fortysecond.get("unit_of_work") is token:
                try:
                    self.conn.execute("COMMIT")
                except sqlite3.Error:  # the store is gone
                    pass
                self.open_transaction = False

    # --- a change applied ---------------------------------------------------------------------

    def _fortysecond_applied(self, change, number: str, row, name: str, sequence: int) -> None:
        if self.defect == "change-count-incremented-after-receipt":
            # the count is the statistics job's: taken back out of this transaction and added
            # by the job, ASYNC_DELAY after the receipt went out
            self.conn.execute("UPDATE resident SET changes_applied = changes_applied - 1 "
                              "WHERE number = ?", (number,))
            threading.Thread(target=self._fortysecond_count_later, args=(number,),
                             daemon=True).start()
        if self.defect != "removal-cancellation-undoes-last-change":
            return
        reason = (change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or "").strip()
        if reason != CANCELLATION or row is None:
            self.conn.execute("INSERT INTO fortysecond_history VALUES (?, ?, ?)",
                              (number, sequence, name))
            return
        # "取消し: the last 異動 is cancelled" — the name before it restored from the history, the
        # undone change taken off the count and the 取消し itself not counted
        names = self.conn.execute("SELECT name FROM fortysecond_history WHERE number = ? "
                                  "ORDER BY sequence DESC LIMIT 2", (number,)).fetchall()
        previous = names[1][0] if len(names) > 1 else row[1]
        self.conn.execute("UPDATE resident SET name = ?, changes_applied = "
                          "MAX(changes_applied - 2, 0) WHERE number = ?", (previous, number))
        self.conn.execute("DELETE FROM fortysecond_history WHERE number = ? AND sequence = "
                          "(SELECT MAX(sequence) FROM fortysecond_history WHERE number = ?)",
                          (number, number))

    def _fortysecond_count_later(self, number: str) -> None:
        """change-count-incremented-after-receipt: the statistics job's increment."""
        time.sleep(ASYNC_DELAY)
        with self.lock:
            try:
                self.conn.execute("UPDATE resident SET changes_applied = changes_applied + 1 "
                                  "WHERE number = ?", (number,))
            except sqlite3.Error:  # the store is gone (killed, or a test's crash)
                pass

    # --- the receipt ----------------------------------------------------------------------------

    def _fortysecond_receipt(self, receipt, body, duplicate: bool):
        if self.defect == "future-dated-changes-receipted-accepted" and not duplicate and \
                any(ahead_of_today(c) for c in body.iter(f"{{{JUKI}}}Change")):
            status = receipt.find(f"{{{PFR}}}Status")
            if status is not None and status.text == "applied":
                status.text = "accepted"  # "予約: taken in, to take effect on its day"
        return receipt


__all__ = ["ASYNC_DELAY", "CANCELLATION", "FortysecondStore", "ahead_of_today", "chunks_read",
           "connection_closed", "connection_opened", "request_chunks"]
