"""The 異動通知 subscriber of the independent adapter: receipts, exactly once, in 異動連番 order per
resident, stored in SQLite (the store) before the receipt is sent."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
import unicodedata
import uuid
from pathlib import Path

from lxml import etree

from .characters import _JIS0208_FOLD
from .eighth import _JIS_TO_CP932
from .ninth import utf16_cut
from .seventh import gaiji_to_pua
from .standard import CMN, JUKI, PFH, PFR, SOAP12, Refusal


class Subscriber:
    """Mixed into Adapter (its fields: db, defect, lock, memory_seen, memory_last,
    open_transaction)."""

    def _open_store(self) -> None:
        """The store at start-up: tables created, and what each durability variant does then."""
        if self.defect == "wal-deleted-on-start":  # a start script's "stale journal" cleanup
            for suffix in ("-wal", "-shm"):
                Path(f"{self.db}{suffix}").unlink(missing_ok=True)
        self._eighth_store_opening()
        if self.defect == "store-path-per-process":  # the installer's template: a new file
            self.db = Path(f"{self.db}.{uuid.uuid4().hex[:8]}")  # at every start
        self._thirteenth_store_opening()
        self.conn = sqlite3.connect(str(self.db), check_same_thread=False,
                                    isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        if self.defect == "synchronous-off":  # faster: the OS decides when to write
            self.conn.execute("PRAGMA synchronous=OFF")
        if self.defect == "db-recreated-on-start":  # a schema "migration" on every boot
            self.conn.executescript("DROP TABLE IF EXISTS seen; DROP TABLE IF EXISTS resident;")
        self.conn.executescript(
            "CREATE TABLE IF NOT EXISTS seen (message_id TEXT PRIMARY KEY);"
            "CREATE TABLE IF NOT EXISTS resident (number TEXT PRIMARY KEY, name TEXT, "
            "last_sequence INTEGER, changes_applied INTEGER);")
        # the suite's own durability mutants (tests/conformance/test_conformance_durability):
        # state in a TEMP table vanishes with the process
        if self.defect == "seen-ids-temp-table":
            self.conn.execute("CREATE TEMP TABLE seen (message_id TEXT PRIMARY KEY)")
        if self.defect == "write-behind":
            self.pending: dict[str, tuple] = {}
            threading.Thread(target=self._flush_forever, daemon=True).start()
        if self.defect == "seen-ids-pruned-on-start":  # housekeeping at start-up
            self.conn.execute("DELETE FROM seen")
        if self.defect == "last-sequence-reset-on-start":  # a re-index at start-up
            self.conn.execute("UPDATE resident SET last_sequence = 0")
        self.conn.executescript(_SIDE_TABLES.get(self.defect, ""))
        self._eighth_store_opened()
        self._tenth_store_opened(self.conn)
        self._thirteenth_store_opened(self.conn)
        self._fourteenth_store_opened(self.conn)
        self._fifteenth_store_opened(self.conn)
        self._sixteenth_store_opened(self.conn)
        self._seventeenth_store_opened(self.conn)
        self._eighteenth_store_opened(self.conn)
        self._nineteenth_store_opened(self.conn)
        self._twentieth_store_opened(self.conn)
        self._twentyfirst_store_opened(self.conn)
        self._twentysecond_store_opened(self.conn)
        self._twentythird_store_opened(self.conn)
        self._twentyfourth_store_opened(self.conn)
        self._twentyfifth_store_opened(self.conn)
        self._twentysixth_store_opened(self.conn)
        self._twentyseventh_store_opened(self.conn)
        self._twentyninth_store_opened(self.conn)
        self._thirtieth_store_opened(self.conn)
        self._thirtyfirst_store_opened(self.conn)
        self._thirtysecond_store_opened(self.conn)
        self._thirtythird_store_opened(self.conn)
        self._thirtyfourth_store_opened(self.conn)
        self._thirtyfifth_store_opened(self.conn)
        self._thirtysixth_store_opened(self.conn)
        self._thirtyseventh_store_opened(self.conn)
        self._thirtyeighth_store_opened(self.conn)
        self._thirtyninth_store_opened(self.conn)
        self._fortieth_store_opened(self.conn)
        self._fortyfirst_store_opened(self.conn)
        self._fortysecond_store_opened(self.conn)
        self._fortythird_store_opened(self.conn)
        self._fortyfourth_store_opened(self.conn)
        self._fortyfifth_store_opened(self.conn)
        if self.defect == "inbox-replayed-on-start":  # "recovery": the last notice, again
            row = self.conn.execute("SELECT numbers FROM inbox ORDER BY rowid DESC "
                                    "LIMIT 1").fetchone()
            for number in (row[0].split(",") if row else []):
                self.conn.execute("UPDATE resident SET changes_applied = changes_applied + 1"
                                  " WHERE number = ?", (number,))
        if self.defect == "last-seen-rolled-back-on-start":  # "the last one may be incomplete"
            self.conn.execute("DELETE FROM seen WHERE rowid = (SELECT MAX(rowid) FROM seen)")
        if self.defect == "seen-ids-warmed-up-late":  # the cache is filled off the start path
            timer = threading.Timer(1.0, self._warm_up)
            timer.daemon = True
            timer.start()

    def _warm_up(self) -> None:
        """seen-ids-warmed-up-late: the seen MessageIds read into the cache, 1 s after start."""
        with self.lock:
            try:
                self.memory_seen |= {r[0] for r in self.conn.execute("SELECT message_id "
                                                                     "FROM seen")}
            except sqlite3.Error:  # the store is gone (a test's crash): nothing to warm
                pass

    # --- 異動通知 -----------------------------------------------------------------------------------

    def _notice(self, header, body, soap):
        racy = self._eleventh_racy_notice(header, body, soap)
        if racy is not None:
            return racy
        mid = header.findtext(f"{{{PFH}}}MessageId")
        key = mid
        if self.defect == "seen-id-first-group-only":  # a CHAR(8) column
            key = mid[:8]
        if self.defect == "dedup-key-sent-at":  # "one sender sends one message a second"
            key = header.findtext(f"{{{PFH}}}Sender/{{{PFH}}}SystemId") + "@" + \
                header.findtext(f"{{{PFH}}}SentAt")
        key = self._twentyfifth_dedup_key(self._tenth_dedup_key(key, body), header)
        key = self._thirtyfifth_dedup_key(key, header)
        changes = body.findall(f"{{{JUKI}}}Change")
        several = len(changes) > 1
        changes = self._tenth_changes(changes)
        changes = self._thirteenth_changes(changes)
        changes = self._eighteenth_changes(changes)
        changes = self._thirtyfifth_changes(changes)
        changes = self._fortyeighth_changes(changes, soap)
        if self.defect == "changes-collapsed-per-resident":  # the latest per 宛名番号 wins
            latest: dict[str, etree._Element] = {}
            for c in changes:  # (its own name: ``key`` is the notice's de-duplication key)
                number = c.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
                if number not in latest or int(c.findtext(f"{{{JUKI}}}Sequence")) > int(
                        latest[number].findtext(f"{{{JUKI}}}Sequence")):
                    latest[number] = c
            changes = [c for c in changes if c in latest.values()]
        if self.defect == "only-last-change":
            changes = changes[-1:]
        if self.defect == "multi-resident-notice-first-only" and changes:
            first = changes[0].findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
            changes = [c for c in changes
                       if c.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") == first]
        self._thirteenth_pre_read(key, changes)
        self._fortieth_before_lock()
        with self.lock, self._seventeenth_store(soap):
            if self.open_transaction:  # the previous notice's transaction, committed now
                self.conn.execute("COMMIT")
                self.open_transaction = False
            duplicate = self._seen(key)
            if self.defect == "seen-id-taken-before-checks":  # taken in _serve, before the rules
                duplicate = self.ninth.pop("fresh", None) != key
            self.ninth.pop("first_name", None)  # notice-name-of-first-change: a new notice
            self.notice_last = {}  # stale-check-once-per-notice: this notice's snapshot
            if self.defect == "soap12-notice-not-deduplicated" and soap == SOAP12:
                duplicate = False  # the SOAP 1.2 endpoint's own handler
            duplicate = self._eleventh_duplicate(mid, duplicate)
            duplicate = self._twelfth_duplicate(header, changes, mid, duplicate)
            duplicate = self._thirteenth_duplicate(duplicate)
            self._fourteenth_duplicate(duplicate, changes)
            duplicate = self._fifteenth_duplicate(duplicate, changes, mid)
            duplicate = self._sixteenth_duplicate(duplicate, changes, header)
            self._twentyeighth_duplicate(duplicate, key)
            if self.defect == "sequence-gap-refused" and not duplicate:
                self._refuse_gaps(changes, mid)
            if self.defect == "inbox-replayed-on-start" and not duplicate:
                self.conn.execute("INSERT INTO inbox (numbers) VALUES (?)", (",".join(
                    c.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
                    for c in changes),))
            if not duplicate:
                self._eleventh_before_apply(changes, mid)
                self._fortysixth_before_apply(changes)
            if not duplicate:
                if self._eleventh_in_background(mid, changes) or \
                        self._twelfth_in_background(mid, changes) or \
                        self._twentyfifth_in_background(header, mid, changes) or \
                        self._thirtieth_in_background(header, mid, changes) or \
                        self._thirtyfourth_in_background(header, mid, changes) or \
                        self._thirtyfifth_in_background(mid, changes) or \
                        self._thirtysixth_in_background(mid, changes) or \
                        self._thirtyseventh_in_background(mid, changes) or \
                        self._thirtyeighth_in_background(header, mid, changes) or \
                        self._thirtyninth_in_background(header, mid, changes) or \
                        self._fortieth_in_background(header, mid, changes) or \
                        self._fortyfirst_in_background(header, mid, changes) or \
                        self._fortysecond_in_background(header, mid, changes) or \
                        self._fortythird_in_background(header, mid, changes) or \
                        self._fortyfourth_in_background(header, mid, changes) or \
                        self._fortyfifth_in_background(header, mid, changes) or \
                        self._fortysixth_in_background(header, mid, changes) or \
                        self._fortyseventh_in_background(header, mid, changes) or \
                        self._fortyeighth_in_background(header, mid, changes):
                    pass  # a worker applies it after the receipt
                elif self.defect in ("ack-before-commit", "apply-in-background") or (
                        self.defect == "soap12-ack-before-commit" and soap == SOAP12):
                    threading.Thread(target=self._apply_later, args=(mid, changes),
                                     daemon=True).start()
                elif self.defect == "seen-before-apply":  # the ID first, the changes after
                    self._mark_seen(mid)
                    threading.Thread(target=self._apply_later, args=(None, changes),
                                     daemon=True).start()
                elif self.defect == "seen-after-receipt":  # changes first, the ID after
                    self.conn.execute("BEGIN IMMEDIATE")
                    for change in changes:
                        self._apply(change)
                    self.conn.execute("COMMIT")
                    threading.Thread(target=self._mark_seen_later, args=(mid,),
                                     daemon=True).start()
                elif self.defect == "later-changes-applied-after-receipt":  # a worker's batch
                    self.conn.execute("BEGIN IMMEDIATE")
                    self._apply(changes[0])
                    self._mark_seen(mid)
                    self.conn.execute("COMMIT")
                    threading.Thread(target=self._apply_later, args=(None, changes[1:]),
                                     daemon=True).start()
                elif self.defect == "seen-insert-uncommitted":  # the ID's insert left open
                    self.conn.execute("BEGIN IMMEDIATE")
                    for change in changes:
                        self._apply(change)
                    self.conn.execute("COMMIT")
                    self.conn.execute("BEGIN IMMEDIATE")
                    self._mark_seen(mid)
                    self.open_transaction = True
                elif self.defect == "redelivery-after-restart-fault":
                    self._apply_checked_in_memory(mid, changes)
                else:
                    self.conn.execute("BEGIN IMMEDIATE")
                    before = self.conn.total_changes
                    for change in changes:
                        self._apply(change)
                    # stale-notice-receipted-duplicate: "nothing changed" taken for a duplicate
                    duplicate = self.defect == "stale-notice-receipted-duplicate" and \
                        self.conn.total_changes == before
                    if not (several and self.defect == "multi-change-notice-id-not-recorded") \
                            and not self._twelfth_nothing_applied(before):
                        self._mark_seen(key)  # (the batch path of the vendor forgot the ID)
                    if self.defect == "apply-uncommitted-until-next" or \
                            self._eleventh_leave_open(several) or \
                            self._twentysixth_leave_open(changes) or \
                            self._twentyseventh_leave_open() or \
                            self._twentyeighth_leave_open(changes) or \
                            self._thirtysixth_leave_open(changes) or \
                            self._fortysecond_leave_open():  # commit() forgotten
                        self.open_transaction = True
                    else:
                        self.conn.execute("COMMIT")
        self._fifteenth_notice_done(header, changes, mid)
        self._thirteenth_notice_done()
        self._fortyseventh_notice_done(duplicate)
        self._fortyeighth_notice_done(changes, duplicate)
        return self._fortysecond_receipt(self._seventeenth_receipt(self._sixteenth_receipt(
            self._tenth_receipt(self._receipt(
                mid.upper() if duplicate and self.defect == "duplicate-receipt-id-uppercase"
                else mid,
                "duplicate" if duplicate and self.defect != "duplicate-answered-applied"
                else "accepted" if several and self.defect == "multi-change-receipt-accepted"
                else "applied"), mid, duplicate), duplicate), duplicate), body, duplicate)

    @staticmethod
    def _receipt(mid: str, status: str):
        receipt = etree.Element(f"{{{PFR}}}NoticeReceipt", nsmap={"pfr": PFR})
        etree.SubElement(receipt, f"{{{PFR}}}MessageId").text = mid
        etree.SubElement(receipt, f"{{{PFR}}}Status").text = status
        return receipt

    def _apply_checked_in_memory(self, mid, changes) -> None:
        """redelivery-after-restart-fault: seen IDs checked in a cache of this process, stored
        with a plain INSERT — after a restart a redelivered notice hits the primary key."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for change in changes:
                self._apply(change)
            self.conn.execute("INSERT INTO seen VALUES (?)", (mid,))
        except sqlite3.IntegrityError as exc:
            self.conn.execute("ROLLBACK")
            raise Refusal("PF-PROVIDER-INTERNAL", "provider", "the notice could not be stored",
                          [("vendor:store", str(exc))], mid) from None
        self.conn.execute("COMMIT")
        self.memory_seen.add(mid)

    def _apply_later(self, mid, changes) -> None:
        # the receipt leaves first; the change is stored a moment later
        time.sleep(0.5 if self.defect == "apply-in-background" else 0.05)
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            for change in changes:
                self._apply(change)
            if mid is not None:
                self._mark_seen(mid)
            self.conn.execute("COMMIT")

    def _mark_seen_later(self, mid) -> None:
        time.sleep(0.05)
        with self.lock:
            self._mark_seen(mid)

    def _refuse_gaps(self, changes, mid) -> None:
        """sequence-gap-refused: 異動連番 must be the last one + 1 (the vendor waits for a gap)."""
        last: dict[str, int] = {}
        for change in changes:
            number = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
            if number not in last:
                row = self._row(number)
                last[number] = row[2] if row else 0
            sequence = int(change.findtext(f"{{{JUKI}}}Sequence"))
            if sequence > last[number] + 1:
                raise Refusal("VENDOR-SEQUENCE-GAP", "client", "a 異動 is missing",
                              [("vendor:sequence", f"{sequence} after {last[number]}")], mid)
            last[number] = max(last[number], sequence)

    def _seen(self, mid: str) -> bool:
        if (special := self._thirteenth_seen(mid)) is not None:
            return special
        if (special := self._sixteenth_seen(mid)) is not None:
            return special
        if (special := self._seventeenth_seen(mid)) is not None:
            return special
        if (special := self._eighteenth_seen(mid)) is not None:
            return special
        if (special := self._nineteenth_seen(mid)) is not None:
            return special
        if (special := self._twentyfirst_seen(mid)) is not None:
            return special
        if (special := self._twentysecond_seen(mid)) is not None:
            return special
        if (special := self._twentyseventh_seen(mid)) is not None:
            return special
        if (special := self._twentyeighth_seen(mid)) is not None:
            return special
        if (special := self._twentyninth_seen(mid)) is not None:
            return special
        if (special := self._thirtysecond_seen(mid)) is not None:
            return special
        if (special := self._thirtythird_seen(mid)) is not None:
            return special
        if (special := self._thirtyeighth_seen(mid)) is not None:
            return special
        if (special := self._thirtyninth_seen(mid)) is not None:
            return special
        if (special := self._fortyfirst_seen(mid)) is not None:
            return special
        if (special := self._fortyfifth_seen(mid)) is not None:
            return special
        if (special := self._fortyseventh_seen(mid)) is not None:
            return special
        if self.defect == "seen-ids-ttl-1s":  # a TTL of 1000 meant in s, read as ms
            row = self.conn.execute("SELECT at FROM seen_at WHERE message_id = ?",
                                    (mid,)).fetchone()
            return row is not None and time.time() - row[0] < 1.0
        if self.defect == "seen-ids-window-2":  # a de-duplication window of 2 messages
            recent = self.conn.execute("SELECT message_id FROM seen ORDER BY rowid DESC "
                                       "LIMIT 2").fetchall()
            return (mid,) in recent
        if self.defect in ("seen-ids-in-memory", "seen-ids-warmed-up-late",
                           "redelivery-after-restart-fault", "seen-ids-saved-at-exit"):
            return mid in self.memory_seen
        return self.conn.execute("SELECT 1 FROM seen WHERE message_id = ?",
                                 (mid,)).fetchone() is not None

    def _mark_seen(self, mid: str) -> None:
        if self._thirteenth_mark_seen(self.conn, mid) or self._sixteenth_mark_seen(mid) or \
                self._eighteenth_mark_seen(mid) or self._nineteenth_mark_seen(mid) or \
                self._twentysecond_mark_seen(mid) or self._twentyseventh_mark_seen(mid) or \
                self._twentyeighth_mark_seen(mid) or \
                self._twentyninth_mark_seen(mid) or self._thirtysecond_mark_seen(mid) or \
                self._thirtythird_mark_seen(mid) or self._fortyseventh_mark_seen(mid):
            return
        if self.defect in ("seen-ids-in-memory", "seen-ids-saved-at-exit"):
            self.memory_seen.add(mid)
        else:
            self.conn.execute("INSERT OR IGNORE INTO seen VALUES (?)", (mid,))
        self._seventeenth_marked(mid)
        self._twentyfirst_marked(mid)
        self._twentyninth_marked(mid)
        self._thirtyfifth_marked(mid)
        self._thirtyeighth_marked(mid)
        self._thirtyninth_marked(mid)
        self._fortyfirst_marked(mid)
        if self.defect == "seen-ids-warmed-up-late":
            self.memory_seen.add(mid)
        if self.defect == "seen-ids-ttl-1s":
            self.conn.execute("INSERT OR REPLACE INTO seen_at VALUES (?, ?)", (mid, time.time()))

    def _flush_forever(self) -> None:
        """write-behind: applied changes are kept in memory and written once a minute. (It was
        every 2 s: on a loaded machine the kill after the receipt could come after the flush,
        and the mutant passed S-DUR-01 by luck.)"""
        while True:
            time.sleep(60.0)
            with self.lock:
                rows, self.pending = list(self.pending.values()), {}
                for row in rows:
                    self.conn.execute("INSERT OR REPLACE INTO resident VALUES (?, ?, ?, ?)", row)

    def _apply(self, change) -> None:
        sequence = int(change.findtext(f"{{{JUKI}}}Sequence"))
        if self.defect == "sequence-int32-wraps":  # a Java int
            sequence = (sequence + 2**31) % 2**32 - 2**31
        if self.defect == "sequence-as-double":  # a JSON number read as a double
            sequence = float(sequence)  # type: ignore[assignment]
        resident = change.find(f"{{{JUKI}}}Resident")
        number = self._twelfth_number(resident.findtext(f"{{{CMN}}}AddresseeNumber"))
        number = self._twentysecond_number(self._twentyfirst_number(resident, number))
        number = self._twentythird_number(change, number)
        number = self._thirtyfirst_number(number)
        number = self._thirtyseventh_number(resident, number)
        number = self._fortyfourth_number(resident, number)
        name = resident.findtext(f"{{{CMN}}}Name/{{{CMN}}}Text")
        if self.defect == "name-overwritten-by-former-surname":  # flattened by local name:
            name = [t.text for t in resident.iter(f"{{{CMN}}}Text")][-1]  # the last Text wins
        if self.defect == "stores-nfc":
            name = unicodedata.normalize("NFC", name)
        elif self.defect == "subscriber-name-truncated-8":  # the name column is 8 wide
            name = name[:8]
        elif self.defect == "stores-ivs-stripped":
            name = "".join(c for c in name if not (0xE0100 <= ord(c) <= 0xE01EF
                                                   or 0xFE00 <= ord(c) <= 0xFE0F))
        elif self.defect == "stores-cp932-replace":  # a Shift_JIS column: 外字 become ?
            name = name.encode("cp932", "replace").decode("cp932")
        elif self.defect == "stores-jis0208-fallback":  # 髙 → 高, 﨑 → 崎 in the name column
            name = name.translate(_JIS0208_FOLD)
        elif self.defect == "stores-half-width-to-full-width":
            name = re.sub("[\uff61-\uff9f]+", lambda m: unicodedata.normalize("NFKC", m[0]),
                          name)
        elif self.defect == "stores-latin-full-width":  # a 全角-only name column
            name = name.translate(_WIDE_ASCII)
        elif self.defect == "stores-ideographic-space-to-ascii":
            name = name.replace("\u3000", " ")
        elif self.defect == "stores-name-stripped":  # str.strip(): U+3000 and spaces go
            name = name.strip()
        elif self.defect == "stores-gaiji-pua":  # the vendor's 外字 codes in its name column
            name = gaiji_to_pua(name)
        elif self.defect == "stores-cp932-signs":  # a name column written through MS932
            name = name.translate(_JIS_TO_CP932)
        elif self.defect == "stores-latin-title-case":  # "names as people write them"
            name = re.sub("[A-Za-z]+", lambda m: m[0].capitalize(), name)
        elif self.defect == "stores-name-utf16-100-units":  # NVARCHAR(100): UTF-16 units
            name = utf16_cut(name, 100)
        elif self.defect == "stores-apostrophe-doubled":  # escaped, then bound as a parameter
            name = name.replace("'", "''")
        elif self.defect == "notice-name-of-first-change":  # set once, outside the loop
            name = self.ninth.setdefault("first_name", name)
        name = self._tenth_name(change, name)
        name = self._eleventh_name(name)
        name = self._twelfth_name(name)
        name = self._thirteenth_name(change, name)
        name = self._fourteenth_name(change, name)
        name = self._fifteenth_name(change, name)
        name = self._sixteenth_name(number, name)
        row = self._row(number)
        name = self._seventeenth_name(change, name, row)
        name = self._eighteenth_name(change, name, row)
        name = self._nineteenth_name(change, name, row)
        name = self._twentieth_name(change, name, row)
        name = self._twentythird_name(self._twentysecond_name(change,
                                                              self._twentyfirst_name(name)))
        name = self._twentysixth_name(self._twentyfifth_name(self._twentyfourth_name(name)))
        name = self._twentyeighth_name(change, name)
        name = self._twentyninth_name(change, name)
        name = self._thirtieth_name(change, name, row)
        name = self._thirtyfirst_name(name, row)
        name = self._thirtysecond_name(name, row)
        name = self._thirtythird_name(name)
        name = self._thirtyfourth_name(name)
        name = self._thirtyfifth_name(change, name)
        name = self._thirtysixth_name(name)
        name = self._thirtyseventh_name(change, name, row)
        name = self._thirtyeighth_name(name, row)
        name = self._fortyfourth_name(name)
        name = self._fortysixth_name(change, name)
        name = self._fortyseventh_name(name, row)
        name = self._fortyeighth_name(change, name)
        last = row[2] if row else 0
        if self.defect == "first-insert-sequence-not-stored":  # the cache knows better
            last = self.memory_last.get(number, last)
        if self.defect == "last-sequence-in-memory":
            last = self.memory_last.get(number, 0)
        if self.defect == "sequence-watermark-global":  # 異動連番 taken as one global counter
            last = self.conn.execute("SELECT COALESCE(MAX(last_sequence), 0) FROM "
                                     "resident").fetchone()[0]
        if self.defect == "stale-check-once-per-notice":  # read once, before the first change
            last = self.notice_last.setdefault(number, last)
        last = self._tenth_last(change, resident, number, last)
        last = self._thirteenth_last(number, last)
        last = self._fourteenth_last(number, last)
        last = self._sixteenth_last(number, sequence, last)
        last = self._seventeenth_last(change, number, last)
        last = self._twentyfourth_last(change, last)
        last = self._twentysixth_last(number, sequence, last)
        last = self._twentyninth_last(last)
        last = self._thirtieth_last(last)
        last = self._thirtyfirst_last(number, last)
        last = self._thirtyfourth_last(change, number, sequence, last)
        last = self._thirtyseventh_last(number, last)
        last = self._fortyseventh_last(last)
        reason = change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}Reason") or ""
        if self.defect == "correction-for-unknown-ignored" and reason.startswith("C") and \
                row is None:  # 修正 is an UPDATE: no row, nothing updated
            return
        if self.defect == "sequence-compared-as-text" and str(sequence) <= str(last):
            return  # a TEXT column: "10" < "9"
        if self.defect == "stale-check-strict-less" and sequence < last:
            return
        if self.defect == "order-by-occurred-on":  # 異動年月日 taken for the order
            if self._stale_by(number, change.findtext(f"{{{JUKI}}}Event/{{{CMN}}}OccurredOn"),
                              "occurred"):
                return
        elif self.defect == "sequence-tracked-per-household":  # one 連番 per 世帯
            if self._stale_by(resident.findtext(f"{{{CMN}}}HouseholdNumber"), sequence,
                              "household_sequence"):
                return
        elif sequence <= last and self.defect not in (
                "stale-change-applied", "sequence-compared-as-text", "stale-check-strict-less"):
            self._tenth_stale(number, sequence)
            self._eighteenth_stale()
            self._nineteenth_stale(change, number)
            self._twentyfifth_stale(number)
            self._thirtythird_stale()
            self._thirtyfourth_stale()
            self._fortyeighth_stale()
            return  # stale: a later change is already applied
        if self.defect == "unchanged-state-not-recorded" and row is not None and \
                row[1] == name:  # "nothing changed": no UPDATE, so 異動連番 not recorded
            return
        if self.defect == "nonbmp-change-dropped-after-error" and \
                any(ord(c) > 0xFFFF for c in name):  # a utf8mb3 column raises; the error
            return  # is logged, the change skipped and the notice receipted applied
        if self._fourteenth_skip(change, number, sequence, last) or self._sixteenth_skip(number) \
                or self._seventeenth_skip(change, row) or self._eighteenth_skip(change, row) \
                or self._nineteenth_skip(change, number, row) \
                or self._twentyfirst_skip(change, number) or self._twentysecond_skip(change) \
                or self._twentyfourth_skip(change) or self._fortythird_skip(change, row):
            return
        self.memory_last[number] = sequence
        if self.defect == "write-behind":
            self.pending[number] = (number, name, sequence, (row[3] if row else 0) + 1)
            return
        if self.defect == "removal-not-applied" and reason.startswith("B"):  # the tax system
            return  # "handles 記載 and 修正 only": a 消除 is receipted, never recorded
        if self.defect == "removal-deletes-resident" and reason.startswith("B"):  # 消除
            self.conn.execute("DELETE FROM resident WHERE number = ?", (number,))
            return
        self.conn.execute(
            "INSERT INTO resident VALUES (?, ?, ?, 1) ON CONFLICT(number) DO UPDATE SET "
            "name = excluded.name, last_sequence = excluded.last_sequence, "
            "changes_applied = changes_applied + 1", (number, name, 0 if row is None and
                                                      self.defect ==
                                                      "first-insert-sequence-not-stored"
                                                      else sequence))
        self._tenth_applied(resident, number, sequence, reason)
        self._eleventh_applied(number, row, sequence)
        self._fourteenth_applied(number, sequence)
        self._fifteenth_applied(number)
        self._sixteenth_applied(number, sequence)
        self._seventeenth_applied(change, number, name, sequence)
        self._twentieth_applied(change, number)
        self._twentyfirst_applied(change, number)
        self._twentysecond_applied(change, number, name, sequence)
        self._twentythird_applied(change, number, row)
        self._twentyfourth_applied(change, number, row)
        self._twentyfifth_applied(number, sequence)
        self._twentysixth_applied(change, number)
        self._twentyseventh_applied(number, row)
        self._thirtieth_applied(number, row, name, sequence)
        self._thirtyfirst_applied(number, row, sequence)
        self._thirtysecond_applied(number, name, sequence)
        self._thirtythird_applied()
        self._thirtyfourth_applied(change, number)
        self._thirtyfifth_applied(change, number, row, sequence)
        self._thirtysixth_applied(change, number, row)
        self._thirtyseventh_applied(change, number)
        self._fortyfirst_applied(number)
        self._fortysecond_applied(change, number, row, name, sequence)
        self._fortythird_applied(change, number)

    def _stale_by(self, key: str, value, table: str) -> bool:
        """The fifth batch's ordering variants: the last value per key in a side table."""
        row = self.conn.execute(f"SELECT last FROM {table} WHERE key = ?", (key,)).fetchone()
        if row is not None and (value < row[0] if table == "occurred" else value <= row[0]):
            return True
        self.conn.execute(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", (key, value))
        return False

    def _row(self, number: str):
        if self.defect == "write-behind" and number in self.pending:
            return self.pending[number]
        return self.conn.execute("SELECT * FROM resident WHERE number = ?",
                                 (number,)).fetchone()

    def observe(self, number: str) -> dict | None:
        """The resident as this product holds it (what its own screens would show)."""
        with self.lock:
            row = self._fortyfourth_observed(number, self._row(self._twelfth_number(number)))
        return None if row is None else {"name": row[1], "changes_applied": row[3]}



# the fifth batch's side tables (created at start-up by the variant that keeps them)
_SIDE_TABLES = {
    "inbox-replayed-on-start": "CREATE TABLE IF NOT EXISTS inbox (numbers TEXT);",
    "seen-ids-ttl-1s": "CREATE TABLE IF NOT EXISTS seen_at (message_id TEXT PRIMARY KEY, at REAL);",
    "order-by-occurred-on": "CREATE TABLE IF NOT EXISTS occurred (key TEXT PRIMARY KEY, last TEXT);",
    "sequence-tracked-per-household":
        "CREATE TABLE IF NOT EXISTS household_sequence (key TEXT PRIMARY KEY, last INTEGER);",
}
# a 全角-only column: ASCII letters, digits and signs widened, the space to U+3000
_WIDE_ASCII = {c: c + 0xFEE0 for c in range(0x21, 0x7F)} | {0x20: 0x3000}
