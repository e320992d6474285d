"""Group commit for ``accept()``, shared by both stores.

Every accepted notice must be durable before the sender is acknowledged, and a durable commit
costs one fsync (SQLite's WAL, PostgreSQL's WAL flush). One writer thread takes every accept
request waiting in its queue and commits them in one transaction, so N concurrent senders cost
one fsync, not N. Callers block on an Event until their batch has committed (or failed).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..batching import STOP, next_batch
from .base import NoticeRecord

log = logging.getLogger(__name__)

MAX_BATCH = 500  # notices per transaction: bounds its size and the latency of the last caller


class NoticeStoreError(Exception):
    """The store could not accept a notice (nothing was acknowledged), or it is closed."""


def check_notice(notice: NoticeRecord, subscribers: Sequence[str]) -> list[str]:
    """Validate on the caller's thread, so a bad notice fails its own caller, not a batch.

    Returns the subscribers as a list without duplicates (order kept). NUL characters are
    refused because PostgreSQL text cannot hold them.
    """
    if isinstance(subscribers, (str, bytes)):
        raise TypeError("subscribers must be a sequence of names, not one string")
    names = list(dict.fromkeys(subscribers))
    texts = {"message_id": notice.message_id, "service_id": notice.service_id,
             "local_gov_code": notice.local_gov_code, "sender": notice.sender,
             "content_type": notice.content_type}
    if notice.soap_action is not None:
        texts["soap_action"] = notice.soap_action
    if not isinstance(notice.subjects, tuple):
        raise TypeError("notice subjects must be a tuple of str")
    texts.update((f"subjects[{i}]", s) for i, s in enumerate(notice.subjects))
    texts.update((f"subscribers[{i}]", s) for i, s in enumerate(names))
    for name, value in texts.items():
        if not isinstance(value, str):
            raise TypeError(f"notice {name} must be str, not {type(value).__name__}")
        if "\x00" in value:
            raise ValueError(f"notice {name} contains a NUL character")
    if not notice.message_id:
        raise ValueError("notice message_id is empty")
    if not all(names):
        raise ValueError("empty subscriber name")
    if not isinstance(notice.payload, bytes):
        raise TypeError("notice payload must be bytes")
    if isinstance(notice.received_at, bool) or not isinstance(notice.received_at, (int, float)):
        raise TypeError("notice received_at must be POSIX seconds")
    return names


# How an accept submitted with a callback ends: (True new / False duplicate, None) once
# committed, or (None, NoticeStoreError) when nothing of it was stored. Called once, on the
# writer thread (or the caller's, if it is refused before queueing).
AcceptDone = Callable[[bool | None, BaseException | None], None]


@dataclass(eq=False)
class AcceptRequest:
    notice: NoticeRecord
    subscribers: list[str]
    accepted: bool | None = None  # set by the batch writer: True new, False duplicate
    error: BaseException | None = None  # set instead when this notice failed
    # what submit()'s caller waits on; None for submit_async (a callback answers instead,
    # and an Event is ~10 k instructions per notice for nothing: issue 13)
    done: threading.Event | None = None
    on_done: AcceptDone | None = None  # submit_async's callback

    def failure(self) -> NoticeStoreError | None:
        """What the caller is told when this notice was not stored."""
        if self.error is None:
            return None
        failure = NoticeStoreError(f"notice {self.notice.message_id!r} not accepted: "
                                   f"{self.error}")
        failure.__cause__ = self.error
        return failure




class GroupCommitter:
    """A writer thread that hands batches of AcceptRequest to ``write_batch``.

    ``write_batch(batch)`` runs on the writer thread, commits the whole batch in one transaction
    and sets ``accepted`` or ``error`` on each request; if it raises, every request of the batch
    not yet answered fails with that error (nothing of it was committed).
    """

    def __init__(self, name: str, write_batch: Callable[[list[AcceptRequest]], None]) -> None:
        self._write_batch = write_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()  # so no request slips in behind close()'s stop marker
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, notice: NoticeRecord, subscribers: Sequence[str]) -> bool:
        done = threading.Event()
        request = self._queue_request(AcceptRequest(notice, check_notice(notice, subscribers),
                                                    done=done))
        # Poll the thread's liveness: if it ever died, waiting forever would hang the sender.
        while not done.wait(1.0):
            if not self._thread.is_alive():
                raise NoticeStoreError("notice store writer thread is not running")
        failure = request.failure()
        if failure is not None:
            raise failure
        assert request.accepted is not None
        return request.accepted

    def submit_async(self, notice: NoticeRecord, subscribers: Sequence[str],
                     on_done: AcceptDone) -> None:
        """Queue the notice and return at once; ``on_done`` is called once its batch has
        committed (or failed), on the writer thread — no thread of the caller's waits for the
        commit. A notice refused before queueing (invalid, store closed) raises here."""
        self._queue_request(AcceptRequest(notice, check_notice(notice, subscribers),
                                          on_done=on_done))

    def _queue_request(self, request: AcceptRequest) -> AcceptRequest:
        with self._lock:
            if self._closed:
                raise NoticeStoreError("notice store is closed")
            if not self._thread.is_alive():
                raise NoticeStoreError("notice store writer thread is not running")
            self._queue.put(request)
        return request

    def close(self) -> None:
        """Commit what is queued, then stop the writer. Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(STOP)
        self._thread.join()

    def _run(self) -> None:
        stop = False
        try:
            while not stop:
                batch, _, stop = next_batch(self._queue, MAX_BATCH)
                if batch:
                    self._commit(batch)
        except BaseException as exc:  # a defect: no queued caller may wait for ever
            log.error("notice store writer stopped: %s", exc)
            with self._lock:
                self._closed = True
            while True:
                try:
                    request = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(request, AcceptRequest):
                    request.error = exc
                    self._answer(request)
            raise

    def _commit(self, batch: list[AcceptRequest]) -> None:
        try:
            self._write_batch(batch)
        except BaseException as exc:  # e.g. disk full, connection lost: keep the writer alive
            log.error("notice store: batch of %d notices not committed: %s", len(batch), exc)
            for request in batch:
                request.accepted, request.error = None, exc
        finally:
            for request in batch:
                if request.accepted is None and request.error is None:
                    request.error = RuntimeError("batch writer gave no answer")
                self._answer(request)

    @staticmethod
    def _answer(request: AcceptRequest) -> None:
        if request.done is not None:
            request.done.set()
        if request.on_done is not None:
            try:
                failure = request.failure()
                request.on_done(None if failure else request.accepted, failure)
            except Exception:  # the caller's callback must not stop the writer
                log.exception("notice store: accept callback failed")
