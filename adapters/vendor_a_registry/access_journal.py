"""照会記録 as a serving registry writes it: durable before the answer leaves, several records
per fsync (group commit), off the reactor.

Vendor A must be able to answer for every access (who looked at whom), so an inquiry's record
must survive a power cut before its answer leaves: its commit is fsynced (WAL,
``synchronous=FULL``). Written in the reactor thread, each inquiry waited for its own fsync
(~0.6 ms of wall on this host's disk; 234 a conformance run), during which nothing else ran.
Here one writer thread commits the records: those that arrive while it commits go into its next
transaction together (one fsync for all of them), the reactor meanwhile builds and checks the
answer, and the answer leaves only once its record's transaction is committed
(:func:`journaled_inquiry` returns an SDK ``Held`` answer). A failed commit fails the inquiry
(PF-PROVIDER-INTERNAL, logged): no answer leaves without its record.
"""

from __future__ import annotations

import sqlite3
import threading

from lxml import etree
from twisted.internet.defer import Deferred

from adapters.sdk.provider import Held
from bus.core.header import PlatformHeader

from .service import inquiry_response, look_up
from .store import ACCESS_INSERT, RegistryStore, access_row


class AccessJournal:
    """The 照会記録 of the store at ``path``, appended by its own writer thread."""

    def __init__(self, path: str, reactor):
        self._conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self._conn.execute("PRAGMA synchronous = FULL")  # the guarantee, whatever the default
        self._reactor = reactor
        self._pending: list[tuple[tuple, Deferred]] = []
        self._wake = threading.Condition()
        self._closing = False
        self._closed: Deferred = Deferred()
        self._thread = threading.Thread(target=self._write, name="access-journal", daemon=True)
        self.commits = 0  # transactions committed (each one fsync): tests, diagnostics

    def start(self) -> None:
        self._thread.start()
        self._reactor.addSystemEventTrigger("before", "shutdown", self.stop)

    def append(self, **access: str | None) -> Deferred:
        """Queue a record (``store.access_row``'s arguments, stamped now); the Deferred fires
        in the reactor once it is committed, or fails with the commit's error."""
        done: Deferred = Deferred()
        with self._wake:
            if self._closing:
                raise RuntimeError("the 照会記録 journal is closed")
            self._pending.append((access_row(**access), done))
            self._wake.notify()
        return done

    def stop(self) -> Deferred:
        """Commit what is queued, then end the writer; fires once it has."""
        with self._wake:
            self._closing = True
            self._wake.notify()
        return self._closed

    def _write(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closing:
                    self._wake.wait()
                batch, self._pending = self._pending, []
            if not batch:  # closing, nothing left
                self._conn.close()
                self._reactor.callFromThread(self._closed.callback, None)
                return
            error = None
            try:
                with self._conn:  # one transaction: one fsync for the whole batch
                    self._conn.executemany(ACCESS_INSERT, [row for row, _ in batch])
                self.commits += 1
            except sqlite3.Error as exc:
                error = exc
            self._reactor.callFromThread(_settle, [done for _, done in batch], error)


def _settle(waiting: list[Deferred], error: Exception | None) -> None:
    for done in waiting:
        if error is None:
            done.callback(None)
        else:
            done.errback(error)


def journaled_inquiry(store: RegistryStore, journal: AccessJournal,
                      header: PlatformHeader | None, request_el: etree._Element) -> Held:
    """service.resident_inquiry of a serving registry: the same answer, its 照会記録 committed
    by ``journal`` while the answer is built and checked, the answer held until it is."""
    inquiry = look_up(store, request_el)
    durable = journal.append(**inquiry.access(header))
    return Held(inquiry_response(store, inquiry), durable)
