"""The file pipeline (ファイル連携の処理): pickup → whole-file validation → receipt → delivery →
confirmation, one synchronous turn at a time, safe to kill at any instant.

Every file-system step is preceded by a committed ledger step that says what comes next, and
every file appears in a folder by an atomic link of a complete, fsynced file — never by writing
in place:

- pickup: the ledger row (``picking``) first, then the rename from ``inbox/`` into the spool
  (ROOT/.hub/spool/ID), then ``picked``. A restart finishes a ``picking`` row from wherever
  the file is.
- judgement: the spool copy is validated whole (``judgement.FileJudge``, streaming); the
  verdict and the accepted file's deliveries are one transaction; then the receipt is written.
- delivery, per subscriber in order: a copy in ROOT/.hub/staging (fsynced) → ``staged`` → the
  copy renamed into ``outbox/NAME`` (never over a file: a name still taken holds the
  subscriber's queue) → ``delivered``. A ``staged`` delivery whose staging copy is gone was
  renamed: it is only marked; one whose copy is still there is renamed. So no subscriber gets a
  file twice, even one it removed while the hub was down, and an outbox never holds half a
  file.
- confirmation: the subscriber removes (or moves away) the delivered file; once every
  subscriber has, the spool copy goes.

Evidence or refuse: a file is picked up only while the routing log accepts records; otherwise it
stays in the inbox untouched (and is taken once the log recovers).

Never fill the disk (``space.Room``): no pickup, staging copy or receipt while the disk holding
ROOT is below ``min_free_bytes``; a copy or receipt cut short by it is removed, the turn ends
there and the next one resumes (the ledger has not moved past the step).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..core.files_config import FilesConfig
from ..core.identifiers import AddresseeNumberScheme
from ..migration.findings import LayoutFinding
from ..store.hop_record import Hop, HopRecord, Status
from .kinds import FileKind, FileKindCatalog
from .ledger import FileDeliveryState, FileLedger, FileRow, FileState
from .judgement import FileJudge
from .manifest import manifest_target
from .names import complete_files
from .publish import copy_fsynced, fsync_dir, inode, stamp_order
from .receipts import SUFFIX as RECEIPT_SUFFIX, Receipt
from .routing import RecipientList
from .space import DiskFull, Room

VERDICTS = {FileState.ACCEPTED: Hop.FILE_ACCEPTED, FileState.REJECTED: Hop.FILE_REJECTED,
            FileState.DUPLICATE: Hop.FILE_DUPLICATE}


class RoutingLogLike(Protocol):
    def record(self, hop: HopRecord) -> int: ...

    def flush(self, timeout: float = 5.0) -> None: ...

    def health(self) -> dict: ...

    def query(self, message_id: str | None = None, service_id: str | None = None,
              status: str | None = None, hop: str | None = None, since: Any = None,
              until: Any = None, limit: int | None = 1000, *,
              exchange_id: str | None = None) -> list[HopRecord]: ...


@dataclass
class Turn:
    """What one turn did (for the operator log and the tests)."""

    picked: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    delivered: int = 0
    confirmed: int = 0
    rows: int = 0  # data rows of the files accepted
    held: list[str] = field(default_factory=list)  # why files were left where they are

    def any(self) -> bool:
        return bool(self.picked or self.delivered or self.confirmed or self.held)

    def as_event(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v}


class FilePipeline:
    def __init__(self, config: FilesConfig, kinds: FileKindCatalog, ledger: FileLedger,
                 log: RoutingLogLike, *,
                 schemes: Mapping[str, AddresseeNumberScheme] | None = None,
                 busy: Callable[[Path], bool] = lambda path: False,
                 on_stage: Callable[[str], None] = lambda step: None,
                 room: Room | None = None):
        self.config, self.kinds, self.ledger, self.log = config, kinds, ledger, log
        self.room = room or Room(config.root, config.min_free_bytes)
        self.recipients = RecipientList(config.subscriptions)
        self.schemes = dict(schemes or {})
        self.busy = busy
        self.on_stage = on_stage  # the tests stop a turn between two steps
        self.commit_timeout = 10.0  # seconds a step waits for its routing-log record
        # steps recorded in the routing log during a turn that failed before its ledger step
        # (the record may still be queued, so the log cannot tell yet); cleared by each turn
        # that completes
        self._recorded: set[tuple[str, str, str | None]] = set()
        self._purged_at = float("-inf")  # retention runs at most hourly, inside a turn
        # set by a stop (another thread): the turn ends before its next file or delivery; every
        # step is resumable, so what is left is taken by the next run
        self.stopping = threading.Event()
        self.hub_dir = config.root / ".hub"
        self.spool = self.hub_dir / "spool"
        self.staging = self.hub_dir / "staging"
        for d in (self.spool, self.staging):
            d.mkdir(parents=True, exist_ok=True)
        self.judge = FileJudge(config, kinds, self.spool, self.schemes)

    def folder(self, adapter: str, which: str) -> Path:
        return self.config.root / adapter / which

    # -- one turn ---------------------------------------------------------------------------

    def turn(self) -> Turn:
        done = Turn()
        try:
            self._resume(done)
            self._confirm(done)  # first: a name a subscriber freed can take its next file
            self._pick_up(done)
            self._deliver(done)
        except DiskFull as exc:  # the ledger did not move past the step: the next turn resumes
            done.held.append(f"{exc}: the rest waits until there is room")
            return done
        self._recorded.clear()  # every step of this turn is committed, in the log and ledger
        if self.config.retention is not None and time.monotonic() - self._purged_at > 3600:
            self.purge(dt.datetime.now(dt.timezone.utc))
        return done

    def purge(self, now: dt.datetime) -> tuple[int, int]:
        """``[files] retention``: the ledger's rows of files done with, and receipts left in the
        outboxes, older than it. Delivered files a subscriber has not taken are never removed.
        Returns (files forgotten, receipts removed)."""
        self._purged_at = time.monotonic()
        if self.config.retention is None:
            return 0, 0
        cutoff = now - dt.timedelta(seconds=self.config.retention)
        forgotten = self.ledger.purge(cutoff.isoformat(timespec="microseconds"))
        removed = 0
        for adapter in self.config.accounts:
            for receipt in self.folder(adapter, "outbox").glob(f"*{RECEIPT_SUFFIX}"):
                try:
                    if receipt.lstat().st_mtime < cutoff.timestamp():
                        receipt.unlink()
                        removed += 1
                except FileNotFoundError:  # the sender removed it meanwhile
                    pass
        return forgotten, removed

    def _resume(self, done: Turn) -> None:
        """What a previous run left between two steps (a crash, a kill)."""
        for row in self.ledger.files_in(FileState.PICKING):
            self._finish_move(row)
        for row in self.ledger.files_in(FileState.PICKED):
            self._judge(row, done)
        for row in self.ledger.unreceipted():
            self._conclude(row)

    def _pick_up(self, done: Turn) -> None:
        for adapter in self.config.accounts:
            inbox = self.folder(adapter, "inbox")
            try:
                names = [e.name for e in os.scandir(inbox) if e.is_file(follow_symlinks=False)]
            except FileNotFoundError:
                continue
            for name, marker in complete_files(names, self.config.markers):
                if self.stopping.is_set():
                    return
                if self.busy(inbox / name):
                    continue  # an SFTP session still writes it
                if not self.log.health().get("accepting", False):
                    done.held.append("routing log not accepting records: files stay in the "
                                     "inboxes")
                    return
                self.room.check(0, "pickup")  # its receipt and copies would not fit: it waits
                row = self.ledger.begin_pickup(adapter, name, marker)
                self.on_stage("picking")
                if self._finish_move(row):
                    done.picked += 1
                    picked = self.ledger.file(row.id)
                    assert picked is not None
                    self._judge(picked, done)

    def _finish_move(self, row: FileRow) -> bool:
        spooled = self.spool / str(row.id)
        if not spooled.exists():
            try:
                os.rename(self.folder(row.sender, "inbox") / row.name, spooled)
            except FileNotFoundError:  # the sender removed it before the move
                self.ledger.set_state(row.id, FileState.VANISHED)
                return False
            fsync_dir(self.spool)
        if row.marker:
            source = self.folder(row.sender, "inbox") / row.marker
            if manifest_target(row.marker) is not None:  # kept: it is judged with the file
                if not (self.spool / f"{row.id}.manifest").exists():
                    try:
                        os.rename(source, self.spool / f"{row.id}.manifest")
                    except FileNotFoundError:
                        pass  # removed by the sender meanwhile: judged as missing
            else:
                source.unlink(missing_ok=True)
        self._evidence(self._hop(row, Hop.FILE_PICKED_UP, size=spooled.stat().st_size))
        self.ledger.set_state(row.id, FileState.PICKED)
        self.on_stage("picked")
        return True

    # -- judgement --------------------------------------------------------------------------

    def _judge(self, row: FileRow, done: Turn) -> None:
        judged = self.judge.judge(row)
        findings, counts, kind, code = judged.findings, judged.counts, judged.kind, judged.code
        sha256, rows, size = judged.sha256, judged.rows, judged.size
        kind_name = kind.kind if kind is not None else None
        duplicate_of: FileRow | None = None
        subscribers: tuple[str, ...] = ()
        if counts:
            state = FileState.REJECTED
        elif sha256 is not None and (duplicate_of := self.ledger.accepted_like(
                sha256, row.sender, row.name, kind_name or "")) is not None:  # hashed: read whole
            state = FileState.DUPLICATE
        else:
            assert code is not None and kind_name is not None
            subscribers = self.recipients.subscribers(code, kind_name, row.sender)
            if subscribers:
                state = FileState.ACCEPTED
            else:
                state = FileState.REJECTED
                findings = [LayoutFinding(row.name, None, "route:none", f"no subscriber "
                                          f"receives {kind_name} files of {code} "
                                          "([[files.subscriptions]])")]
                counts = {"route:none": 1}
        self.ledger.decide(row.id, state, kind=kind_name, code=code, size=size, rows=rows,
                           sha256=sha256, subscribers=subscribers,
                           duplicate_of=duplicate_of.id if duplicate_of else None,
                           delivered_name=row.name)
        decided = self.ledger.file(row.id)
        assert decided is not None
        counter = {FileState.ACCEPTED: "accepted", FileState.REJECTED: "rejected",
                   FileState.DUPLICATE: "duplicates"}[state]  # the Turn's field
        setattr(done, counter, getattr(done, counter) + 1)
        if state is FileState.ACCEPTED:
            done.rows += rows or 0
        self.on_stage("decided")
        self._conclude(decided, findings, counts, duplicate_of)

    def _conclude(self, row: FileRow, findings: list[LayoutFinding] | None = None,
                  counts: dict[str, int] | None = None,
                  duplicate_of: FileRow | None = None) -> None:
        """The verdict's routing-log record and the sender's receipt (again after a restart:
        the findings of a rejected file are found again)."""
        if findings is None and row.state is FileState.REJECTED:
            findings, counts = self.judge.findings_again(row)
        if duplicate_of is None and row.duplicate_of is not None:
            duplicate_of = self.ledger.file(row.duplicate_of)
        subscribers = tuple(d.subscriber for d in self.ledger.deliveries_of(row.id))
        first = findings[0] if findings else None
        self._evidence(self._hop(
            row, VERDICTS[row.state], status=Status.FAULT if row.state is FileState.REJECTED
            else Status.OK,
            provider=",".join(subscribers) or None,
            rule=first.rule if first else None, line=first.line if first else None,
            path=f"項目{first.item_no} {first.item_name}" if first and first.item_no else None,
            reason=first.message if first else (
                f"duplicate of file {duplicate_of.id}" if duplicate_of else None)),
            any_of=tuple(VERDICTS.values()))
        self._send_receipt(row, findings or [], counts or {}, duplicate_of, subscribers)

    def _send_receipt(self, row: FileRow, findings: list[LayoutFinding], counts: dict[str, int],
                      duplicate_of: FileRow | None, subscribers: tuple[str, ...]) -> None:
        receipt = Receipt(
            file=row.name, file_id=row.id, status=row.state, kind=row.kind,
            local_gov_code=row.local_gov_code, size=row.bytes, rows=row.rows,
            sha256=row.sha256, subscribers=subscribers, findings=findings or (),
            counts=counts or {},
            duplicate_of=None if duplicate_of is None else {
                "file_id": duplicate_of.id, "file": duplicate_of.name,
                "sha256": duplicate_of.sha256},
            at=_now())
        staged = self.staging / f"receipt-{row.id}"
        data = receipt.to_bytes()
        try:
            self.room.check(len(data), "receipt")
            with self.room.writing("receipt"), staged.open("wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except DiskFull:
            staged.unlink(missing_ok=True)  # no half receipt; the next turn writes it
            raise
        outbox = self.folder(row.sender, "outbox")
        outbox.mkdir(parents=True, exist_ok=True)
        target = outbox / receipt.name
        if not target.exists():
            os.link(staged, target)
        staged.unlink()
        fsync_dir(outbox)
        self.ledger.receipt_written(row.id, receipt.name)
        if row.state is not FileState.ACCEPTED:  # never delivered: the spool copy is not kept
            self._drop_spool(row.id)

    def _drop_spool(self, file_id: int) -> None:
        (self.spool / str(file_id)).unlink(missing_ok=True)
        (self.spool / f"{file_id}.manifest").unlink(missing_ok=True)

    # -- delivery and confirmation ------------------------------------------------------------

    def _deliver(self, done: Turn) -> None:
        blocked: set[str] = set()
        for d in self.ledger.deliveries(FileDeliveryState.PENDING,
                                        FileDeliveryState.STAGED):
            if self.stopping.is_set():
                return
            if d.subscriber in blocked:
                continue  # its order: nothing after a file that cannot be delivered yet
            staged = self.staging / f"{d.file_id}-{d.subscriber}"
            outbox = self.folder(d.subscriber, "outbox")
            target = outbox / d.name
            if d.state is FileDeliveryState.PENDING:
                copy_fsynced(self.spool / str(d.file_id), staged, self.room)
                fsync_dir(self.staging)
                self.ledger.set_delivery(d.file_id, d.subscriber, FileDeliveryState.STAGED)
                self.on_stage("staged")
            if staged.exists():  # else: renamed before a restart (delivered, maybe confirmed)
                outbox.mkdir(parents=True, exist_ok=True)
                if os.path.lexists(target):
                    blocked.add(d.subscriber)
                    done.held.append(f"{d.subscriber}: outbox/{d.name} is still there (an "
                                     "earlier file of that name, not yet confirmed)")
                    continue
                # one atomic step that also consumes the staging copy, so a restart can tell
                # "not yet" (the copy is there) from "done" (it is not). Only the hub creates
                # files in an outbox (SFTP refuses writes there), so nothing appears at the
                # name between the check above and this rename.
                stamp_order(staged, outbox)
                os.rename(staged, target)
                fsync_dir(outbox)
                self.on_stage("linked")
            row = self.ledger.file(d.file_id)
            assert row is not None
            self._evidence(self._hop(row, Hop.FILE_DELIVERED, provider=d.subscriber,
                                     attempt=d.seq))
            self.ledger.set_delivery(d.file_id, d.subscriber, FileDeliveryState.DELIVERED,
                                     inode(target))
            done.delivered += 1
            self.on_stage("delivered")

    def _confirm(self, done: Turn) -> None:
        for d in self.ledger.deliveries(FileDeliveryState.DELIVERED):
            present = inode(self.folder(d.subscriber, "outbox") / d.name)
            if present is not None and present == self.ledger.inode(d.file_id, d.subscriber):
                continue  # still there: not confirmed yet
            row = self.ledger.file(d.file_id)
            assert row is not None
            self._evidence(self._hop(row, Hop.FILE_CONFIRMED, provider=d.subscriber,
                                     attempt=d.seq))
            self.ledger.set_delivery(d.file_id, d.subscriber, FileDeliveryState.CONFIRMED)
            done.confirmed += 1
            if all(x.state is FileDeliveryState.CONFIRMED for x in self.ledger.deliveries_of(d.file_id)):
                self._drop_spool(d.file_id)

    # -- the routing log ----------------------------------------------------------------------

    def _evidence(self, record: HopRecord, any_of: tuple[Hop, ...] = ()) -> None:
        """Record a step before the ledger moves past it, committed (flushed): a step the log
        cannot record does not happen (the turn fails; the next one retries it). Once per step:
        a step redone after a restart finds its record of the previous run."""
        key = (record.exchange_id, record.hop, record.provider)
        if key not in self._recorded:  # else: recorded by this process, maybe not yet committed
            if any(h.provider == record.provider
                   for hop in any_of or (record.hop,)
                   for h in self.log.query(exchange_id=record.exchange_id, hop=hop.value,
                                           limit=None)):
                return  # committed by a previous run
            self.log.record(record)
            self._recorded.add(key)
        self.log.flush(self.commit_timeout)

    def _hop(self, row: FileRow, hop: Hop, *, status: Status = Status.OK,
             size: int | None = None, kind: FileKind | None = None, **fields: Any) -> HopRecord:
        account = self.config.accounts.get(row.sender)
        code = row.local_gov_code
        sender = account.party_for(code) if account and code and code in account.codes() \
            else None
        kind = kind or (self.kinds.kinds.get(row.kind) if row.kind else None)
        return HopRecord(
            hop=hop, status=status, exchange_id=row.exchange_id, message_id=row.sha256,
            service_id=row.kind, service_version=kind.layout.ident if kind else None,
            sender=sender, peer=row.sender, receiver=code,
            request_bytes=size if size is not None else row.bytes, rows=row.rows, **fields)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
