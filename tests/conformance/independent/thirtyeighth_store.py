"""The thirty-eighth blind batch's subscriber side (the seen MessageIds loaded at start-up, the
name a 修正 writes, the notices applied after their receipt): ``ThirtyeighthStore`` is mixed into
``Adapter`` through ``ThirtyeighthBatch`` (thirtyeighth.py, which declares the batch and says who
wrote it and from what). Every hook here changes nothing unless ``self.defect`` names one of the
batch's subscriber defects."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
import unicodedata

from .standard import JST, PFH
from .thirtieth_store import ASYNC_DELAY, apply_after_receipt

# seen-ids-last-shard-not-loaded-on-start: the vendor's inbox is sixteen files, one per first hex
# digit of the MessageId; its start-up loader reads range(0, 15) of them — 0 … e, never f
LOADED_SHARDS = tuple("0123456789abcdef"[:15])


def loaded_at_start(message_ids) -> set[str]:
    """seen-ids-last-shard-not-loaded-on-start: the MessageIds the start-up loader reads back."""
    return {mid for mid in message_ids if mid[:1].lower() in LOADED_SHARDS}


def canonically_equal(held: str, sent: str) -> bool:
    """glyph-correction-skipped-canonically-equal: the vendor's collation's equality (NFC)."""
    return unicodedata.normalize("NFC", held) == unicodedata.normalize("NFC", sent)


def seconds_ahead(sent_at: str | None, now: dt.datetime) -> float:
    """notices-stamped-ahead-applied-at-their-sent-at: how far a notice's SentAt lies ahead of
    ``now`` (0 when it does not, or cannot be read)."""
    try:
        stamped = dt.datetime.fromisoformat((sent_at or "").strip())
    except ValueError:
        return 0.0
    if stamped.tzinfo is None:
        return 0.0
    return max(0.0, (stamped - now).total_seconds())


def apply_at(store, mid, changes, delay: float) -> None:
    """notices-stamped-ahead-applied-at-their-sent-at: the vendor's scheduler applies a notice
    ``delay`` seconds after its receipt went out (at the time it is stamped with)."""
    def later() -> None:
        time.sleep(delay)
        with store.lock:
            try:
                store.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error:  # the store is gone (a test's crash): the job died with it
                return
            for change in changes:
                store._apply(change)
            store._mark_seen(mid)
            store.conn.execute("COMMIT")
    threading.Thread(target=later, daemon=True).start()


class ThirtyeighthStore:
    """The thirty-eighth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    thirtyeighth: dict

    # --- the store at start-up ------------------------------------------------------------

    def _thirtyeighth_store_opened(self, conn: sqlite3.Connection) -> None:
        if self.defect == "seen-ids-last-shard-not-loaded-on-start":
            self.thirtyeighth["seen"] = loaded_at_start(
                r[0] for r in conn.execute("SELECT message_id FROM seen"))

    # --- the seen MessageIds ----------------------------------------------------------------

    def _thirtyeighth_seen(self, mid: str) -> bool | None:
        if self.defect == "seen-ids-last-shard-not-loaded-on-start":
            return mid in self.thirtyeighth.setdefault("seen", set())
        return None

    def _thirtyeighth_marked(self, mid: str) -> None:
        if self.defect == "seen-ids-last-shard-not-loaded-on-start":
            self.thirtyeighth.setdefault("seen", set()).add(mid)  # and its shard file

    # --- the store ------------------------------------------------------------------------

    def _thirtyeighth_name(self, name, row):
        """glyph-correction-skipped-canonically-equal: the name column's UPDATE … WHERE name <> ?
        runs in a collation that is NFC-insensitive."""
        if self.defect == "glyph-correction-skipped-canonically-equal" and row is not None and \
                isinstance(name, str) and isinstance(row[1], str) and \
                canonically_equal(row[1], name):
            return row[1]
        return name

    # --- notices applied after their receipt ---------------------------------------------------

    def _thirtyeighth_in_background(self, header, mid, changes) -> bool:
        if self.defect == "notices-with-action-parameter-applied-after-receipt" and \
                self.thirtyeighth.get("action"):
            apply_after_receipt(self, mid, changes)  # the one-way (action) message pipeline
            return True
        if self.defect == "notices-stamped-ahead-applied-at-their-sent-at":
            ahead = seconds_ahead(header.findtext(f"{{{PFH}}}SentAt"), dt.datetime.now(JST))
            if ahead > 0:
                apply_at(self, mid, changes, ahead)  # "a message from the future waits"
                return True
        return False


__all__ = ["ASYNC_DELAY", "LOADED_SHARDS", "ThirtyeighthStore", "apply_at", "canonically_equal",
           "loaded_at_start", "seconds_ahead"]
