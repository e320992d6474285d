"""The thirty-ninth blind batch's subscriber side (the seen MessageIds of a standby publisher at
start-up, the notices applied after their receipt): ``ThirtyninthStore`` is mixed into
``Adapter`` through ``ThirtyninthBatch`` (thirtyninth.py, which declares the batch and says who
wrote it and from what). Every hook here changes nothing unless ``self.defect`` names one of the
batch's subscriber defects."""

from __future__ import annotations

import sqlite3
import threading

from .standard import PFH
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt

# standby-publisher-seen-ids-not-loaded-on-start: the vendor's inbox, one file per publisher (its
# Sender SystemId); the primary publisher is the first one the store ever received from
_INBOX = ("CREATE TABLE IF NOT EXISTS inbox_by_publisher (message_id TEXT PRIMARY KEY, "
          "publisher TEXT); CREATE TABLE IF NOT EXISTS primary_publisher (publisher TEXT);")


def loaded_at_start(rows, primary: str | None) -> set[str]:
    """standby-publisher-seen-ids-not-loaded-on-start: the MessageIds the start-up loader reads
    back — those of the primary publisher's inbox file only."""
    return {mid for mid, publisher in rows if publisher == primary}


class ThirtyninthStore:
    """The thirty-ninth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    thirtyninth: dict

    # --- the store at start-up ------------------------------------------------------------

    def _thirtyninth_store_opened(self, conn: sqlite3.Connection) -> None:
        if self.defect == "standby-publisher-seen-ids-not-loaded-on-start":
            conn.executescript(_INBOX)
            row = conn.execute("SELECT publisher FROM primary_publisher").fetchone()
            self.thirtyninth["primary"] = row[0] if row else None
            self.thirtyninth["seen"] = loaded_at_start(
                conn.execute("SELECT message_id, publisher FROM inbox_by_publisher"),
                self.thirtyninth["primary"])

    # --- the seen MessageIds ----------------------------------------------------------------

    def _thirtyninth_seen(self, mid: str) -> bool | None:
        if self.defect == "standby-publisher-seen-ids-not-loaded-on-start":
            return mid in self.thirtyninth.setdefault("seen", set())
        return None

    def _thirtyninth_marked(self, mid: str) -> None:
        if self.defect != "standby-publisher-seen-ids-not-loaded-on-start":
            return
        publisher = self.thirtyninth.get("publisher")
        if self.thirtyninth.get("primary") is None and publisher is not None:
            self.thirtyninth["primary"] = publisher
            self.conn.execute("INSERT INTO primary_publisher VALUES (?)", (publisher,))
        self.conn.execute("INSERT OR IGNORE INTO inbox_by_publisher VALUES (?, ?)",
                          (mid, publisher))
        self.thirtyninth.setdefault("seen", set()).add(mid)  # the cache, and its file

    # --- notices applied after their receipt ---------------------------------------------------

    def _thirtyninth_in_background(self, header, mid, changes) -> bool:
        if self.defect == "standby-publisher-seen-ids-not-loaded-on-start":
            self.thirtyninth["publisher"] = header.findtext(
                f"{{{PFH}}}Sender/{{{PFH}}}SystemId")
            return False
        if (self.defect == "us-ascii-notices-applied-after-receipt"
                and self.thirtyninth.get("ascii")) or \
                (self.defect == "notices-with-other-header-blocks-applied-after-receipt"
                 and self.thirtyninth.get("blocks")):
            apply_after_receipt(self, mid, changes)  # the vendor's one-way pipeline
            return True
        return False


__all__ = ["ASYNC_DELAY", "ThirtyninthStore", "loaded_at_start"]
