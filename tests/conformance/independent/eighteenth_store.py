"""The eighteenth blind batch's subscriber side (the notice store, the notice mapper and its fault
writer): ``EighteenthStore`` is mixed into ``Adapter`` through ``EighteenthBatch`` (eighteenth.py,
which declares the batch and says who wrote it and from what). Every hook here changes nothing
unless ``self.defect`` names one of the batch's subscriber defects."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable

from lxml import etree

from .standard import CMN, CODELISTS, JST, JUKI, PFF, Refusal

HOUSEHOLD_REASONS = frozenset({"C02", "C03", "C04", "C05"})  # 世帯分離, 世帯合併, 世帯変更, 世帯主変更
ADULT_AGE = 16  # minor-resident-not-held: the age from which the tax subscriber holds residents
_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]")


def outside_jisx0213(text: str) -> tuple[int, str] | None:
    """The first character (1-based position, character) a JIS X 0213 repertoire refuses:
    a variation selector or a character EUC-JIS-2004 cannot encode."""
    for i, c in enumerate(text, start=1):
        if _SELECTORS.match(c):
            return i, c
        try:
            c.encode("euc_jis_2004")
        except UnicodeEncodeError:
            return i, c
    return None


def template_path(el) -> str:
    """finding-path-first-change: the element's path, prefixes as the message writes them, a
    position where siblings share a name — always [1], the template's."""
    parts = []
    for node in (el, *el.iterancestors()):
        name = etree.QName(node).localname
        step = f"{node.prefix}:{name}" if node.prefix else name
        parent = node.getparent()
        if parent is not None and len(parent.findall(node.tag)) > 1:
            step += "[1]"
        parts.append(step)
    return "/" + "/".join(reversed(parts))


class PlacedRefusal(Refusal):
    """A refusal whose findings each name the path of their element."""

    def __init__(self, code: str, findings: list, paths: list[str], message_id):
        super().__init__(code, "client", "a rule beyond XSD is broken", findings, message_id)
        self.paths = paths


def _q(*names: str) -> str:
    """A path of juki/cmn names below a juki:Change, e.g. _q("Resident", "Name") (Clark)."""
    return "/".join(f"{{{JUKI if n in ('Resident', 'Event', 'Sequence') else CMN}}}{n}"
                    for n in names)


class EighteenthStore:
    """The eighteenth batch's subscriber hooks (identity without one of its defects)."""

    defect: str | None
    role: str
    lock: threading.Lock
    conn: sqlite3.Connection
    codes: dict
    eighteenth: dict
    _seen: Callable[[str], bool]  # Subscriber's
    _receipt: Callable[[str, str], etree._Element]

    def _eighteenth_local(self) -> threading.local:
        """What one request's later hooks read: kept per thread (one thread per request)."""
        local = self.eighteenth.get("local")
        if local is None:
            local = self.eighteenth["local"] = threading.local()
        return local

    # --- the store at start-up ------------------------------------------------------------

    def _eighteenth_store_opened(self, conn: sqlite3.Connection) -> None:
        d = self.defect
        if d == "seen-key-process-salted-hash":  # the hash's key, drawn at every start
            self.eighteenth["salt"] = os.urandom(16)
        if d == "seen-cache-not-updated-on-insert":
            self.eighteenth["cache"] = {r[0] for r in conn.execute("SELECT message_id FROM seen")}
        if d == "resident-table-unlogged":  # no clean stop was recorded: an UNLOGGED table
            conn.execute("CREATE TABLE IF NOT EXISTS eighteenth_run (state TEXT)")
            if conn.execute("SELECT 1 FROM eighteenth_run").fetchone() is not None:
                conn.execute("DELETE FROM resident")  # is truncated by the crash recovery
            conn.execute("INSERT INTO eighteenth_run SELECT 'running' WHERE NOT EXISTS "
                         "(SELECT 1 FROM eighteenth_run)")
        if d == "in-doubt-last-request-marked-seen-on-start":
            conn.execute("CREATE TABLE IF NOT EXISTS eighteenth_inbox (message_id TEXT)")
            # "the last notice received may have been applied before the crash": taken as seen
            conn.execute("INSERT OR IGNORE INTO seen SELECT message_id FROM eighteenth_inbox "
                         "ORDER BY rowid DESC LIMIT 1")

    # --- the notice mapper, before the rules beyond XSD -------------------------------------

    def _eighteenth_notice_checks(self, body, mid):
        """The notice mapper's checks: None, or the receipt of a MessageId held already."""
        d = self.defect
        changes = body.findall(f"{{{JUKI}}}Change")
        self._eighteenth_local().occurred = \
            (changes[0].findtext(_q("Event", "OccurredOn")) or "").strip()[:10]
        if d == "in-doubt-last-request-marked-seen-on-start":
            with self.lock:  # the idempotent receiver wraps the mapper: a held ID is answered
                if self._seen(mid):
                    return self._receipt(mid, "duplicate")
                self.conn.execute("INSERT INTO eighteenth_inbox VALUES (?)", (mid,))  # the log
        findings = []
        for text in body.iter(f"{{{CMN}}}Text"):  # the names (氏名, 旧氏)
            value = text.text or ""
            bad = outside_jisx0213(value) if d == "jisx0213-name-refused" else None
            if bad:
                findings.append(("jisx0213_characters", f"U+{ord(bad[1]):04X} (character "
                                                        f"{bad[0]}): not in JIS X 0213"))
            if d == "name-half-width-kana-refused" and _HALF_WIDTH_KANA.search(value):
                findings.append(("vendor:half_width_kana", "半角カナ is not allowed in a name"))
        if d == "occurred-before-became-resident-refused":
            for change in changes:
                occurred = (change.findtext(_q("Event", "OccurredOn")) or "").strip()[:10]
                became = (change.findtext(_q("Resident", "BecameResidentOn")) or "").strip()[:10]
                if became and occurred < became:
                    findings.append(("vendor:occurred_on", "異動年月日 before 住民となった年月日"))
        if findings:
            raise Refusal("PF-RULE-VIOLATION", "client", "a rule beyond XSD is broken", findings,
                          mid)
        if d == "finding-path-first-change":
            self._eighteenth_placed_codes(body, mid)
        return None

    def _eighteenth_placed_codes(self, body, mid) -> None:
        """finding-path-first-change: the code-list findings, each with its template path."""
        findings, paths = [], []
        for local, listname in CODELISTS.items():
            for el in body.iter(f"{{{CMN}}}{local}"):
                if el.text not in self.codes[listname]:
                    findings.append((f"codelist:{listname}", f"{el.text} is not a code"))
                    paths.append(template_path(el))
        if findings:
            raise PlacedRefusal("PF-RULE-VIOLATION", findings, paths, mid)

    def _eighteenth_changes(self, changes: list) -> list:
        self._eighteenth_local().ended = False  # stale-change-ends-notice: a new notice
        if self.defect != "notice-changes-deduplicated-by-sequence":
            return changes
        kept: dict[int, object] = {}
        for change in changes:  # "the same 異動連番 twice is a resend": the first one kept
            kept.setdefault(int(change.findtext(f"{{{JUKI}}}Sequence")), change)
        return [c for c in changes if c in kept.values()]

    # --- de-duplication -------------------------------------------------------------------

    def _eighteenth_key(self, mid: str) -> str:
        return hashlib.blake2b(mid.encode(), key=self.eighteenth["salt"],
                               digest_size=16).hexdigest()

    def _eighteenth_seen(self, mid: str) -> bool | None:
        if self.defect == "seen-key-process-salted-hash":
            return self.conn.execute("SELECT 1 FROM seen WHERE message_id = ?",
                                     (self._eighteenth_key(mid),)).fetchone() is not None
        if self.defect == "seen-cache-not-updated-on-insert":
            return mid in self.eighteenth["cache"]
        return None

    def _eighteenth_mark_seen(self, mid: str) -> bool:
        """True when this batch recorded the seen MessageId its own way."""
        if self.defect == "seen-key-process-salted-hash":
            key = self._eighteenth_key(mid)
        elif self.defect == "seen-id-recorded-as-reply-id":
            key = str(uuid.uuid4())  # the receipt's own MessageId
        else:
            return False
        self.conn.execute("INSERT OR IGNORE INTO seen VALUES (?)", (key,))
        return True

    # --- applying a change ------------------------------------------------------------------

    def _eighteenth_name(self, change, name: str, row) -> str:
        reason = (change.findtext(_q("Event", "Reason")) or "").strip()
        if self.defect == "household-reasons-name-not-written" and row is not None and \
                reason in HOUSEHOLD_REASONS:
            return row[1]  # UPDATE 住民 SET 世帯番号 = ?, 続柄 = ?: the name column untouched
        if self.defect == "removal-name-cleared" and reason.startswith("B"):
            return ""
        return name

    def _eighteenth_stale(self) -> None:
        """A stale change was skipped: stale-change-ends-notice leaves the loop there."""
        if self.defect == "stale-change-ends-notice":
            self._eighteenth_local().ended = True

    def _eighteenth_skip(self, change, row) -> bool:
        if getattr(self._eighteenth_local(), "ended", False):
            return True  # `return` for `continue`: the notice's later changes
        if self.defect != "minor-resident-not-held" or row is not None:
            return False
        born = (change.findtext(_q("Resident", "DateOfBirth")) or "").strip()[:4]
        return born.isdigit() and dt.datetime.now(JST).year - int(born) < ADULT_AGE

    # --- the fault writer -----------------------------------------------------------------

    def _eighteenth_fault(self, detail, refusal: Refusal) -> None:
        if not isinstance(refusal, PlacedRefusal):
            return
        for finding, path in zip(detail.iter(f"{{{PFF}}}Finding"), refusal.paths, strict=False):
            finding.find(f"{{{PFF}}}Rule").addnext(etree.Element(f"{{{PFF}}}Path"))
            finding.find(f"{{{PFF}}}Path").text = path


__all__ = ["ADULT_AGE", "HOUSEHOLD_REASONS", "EighteenthStore", "PlacedRefusal",
           "outside_jisx0213", "template_path"]
