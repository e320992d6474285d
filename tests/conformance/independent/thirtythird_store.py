"""The thirty-third blind batch's subscriber side (the notice store, the seen MessageIds, the
kept-out count): ``ThirtythirdStore`` is mixed into ``Adapter`` through ``ThirtythirdBatch``
(thirtythird.py, which declares the batch and says who wrote it and from what). Every hook here
changes nothing unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import sqlite3
import threading


class ThirtythirdStore:
    """The thirty-third batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    conn: sqlite3.Connection
    lock: threading.Lock
    thirtythird: dict

    # --- the store at start-up ------------------------------------------------------------

    def _thirtythird_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect
        if d == "names-trimmed-on-start":  # the CHAR → VARCHAR migration's TRIM
            rows = conn.execute("SELECT number, name FROM resident").fetchall()
            for number, name in rows:
                if isinstance(name, str) and name.strip(" \u3000") != name and \
                        name.strip(" \u3000"):
                    conn.execute("UPDATE resident SET name = ? WHERE number = ?",
                                 (name.strip(" \u3000"), number))
        if d == "watermarks-narrowed-to-int32-on-start":  # read into an int, written back
            conn.execute("UPDATE resident SET last_sequence = ((last_sequence + 2147483648) "
                         "% 4294967296) - 2147483648 WHERE last_sequence > 2147483647")

    # --- the seen MessageIds --------------------------------------------------------------

    def _thirtythird_seen(self, mid: str) -> bool | None:
        if self.defect == "seen-ids-of-notices-with-relates-to-in-memory" and \
                self.thirtythird.get("relates"):
            return mid in self.thirtythird.setdefault("memory_seen", set())
        return None

    def _thirtythird_mark_seen(self, mid: str) -> bool:
        if self.defect == "seen-ids-of-notices-with-relates-to-in-memory" and \
                self.thirtythird.get("relates"):
            self.thirtythird.setdefault("memory_seen", set()).add(mid)
            return True
        return False

    # --- the store ------------------------------------------------------------------------

    def _thirtythird_name(self, name: str) -> str:
        if self.defect == "stores-euc-jis-2004-round-trip" and isinstance(name, str):
            return name.encode("euc_jis_2004", "replace").decode("euc_jis_2004")
        return name

    def _thirtythird_stale(self) -> None:
        self.thirtythird["kept"] = self.thirtythird.get("kept", 0) + 1

    def _thirtythird_applied(self) -> None:
        self.thirtythird["applied"] = self.thirtythird.get("applied", 0) + 1


__all__ = ["ThirtythirdStore"]
