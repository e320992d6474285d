"""全件 (full extract) as a resumable chunked transfer, on the receiving system's side.

A full extract is pulled page by page through the hub with the provider's paged service
(``juki.ResidentFullExtract``, LinkageKind ``full``). The provider freezes one consistent snapshot
(its ExtractId) and numbers the pages; every answer carries the totals (TotalPages, TotalCount).
Here each page is applied to the receiver's own store AND recorded as confirmed in one
transaction, so after any failure — hub or provider down, this process killed — ``run`` resumes
from the last confirmed page of the same snapshot: no page is applied twice or skipped. The
transfer completes when every page is confirmed and the residents received equal TotalCount.

The first request carries the transfer's RequestId (kept with it): retried after a lost answer
or a crash, it gets the same snapshot from the provider, never a second one. With ``window`` N > 1
up to N pages are fetched at once (worker threads: the consumer client is synchronous) and still
applied strictly in page order, each as it becomes the next one: a later page that arrives
first waits (at most N pages in memory); a failed page stops the run after the pages before it
are applied, so resuming stays exact.

Why a pull and not notices: a full extract is the receiver's initial load or re-sync; pulling at
its own pace bounds the work in flight on both sides, and the snapshot keeps pages consistent.
差分 (changes) travel as notices (異動通知).
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from lxml import etree

from bus.core.header import LINKAGE_FULL, Party

from .consumer import ConsumerClient

JUKI = "urn:pfbus:unit:juki:v1"
FULL_EXTRACT = "juki.ResidentFullExtract"

_SCHEMA = """CREATE TABLE IF NOT EXISTS pfbus_full_transfers (
    transfer_id TEXT PRIMARY KEY, service_id TEXT NOT NULL, extract_id TEXT,
    page_size INTEGER NOT NULL, total_pages INTEGER, total_count INTEGER,
    confirmed_pages INTEGER NOT NULL DEFAULT 0, received INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'running', request_id TEXT)"""

# apply(conn, residents) writes one page's cmn:Resident elements in the caller's layout, on the
# transfer's connection, inside the transaction that confirms the page.
ApplyPage = Callable[[sqlite3.Connection, list[etree._Element]], None]


class TransferError(Exception):
    """The transfer cannot go on as it is (e.g. the snapshot's totals changed under it)."""


@dataclass(frozen=True)
class TransferState:
    transfer_id: str
    extract_id: str | None
    page_size: int
    total_pages: int | None
    total_count: int | None
    confirmed_pages: int  # pages applied and confirmed, 1..confirmed_pages
    received: int  # residents applied
    state: str  # running | complete
    request_id: str | None  # the RequestId of the first request (the provider's idempotency key)

    @property
    def complete(self) -> bool:
        return self.state == "complete"


class FullTransfer:
    """One full transfer into the store behind ``conn`` (the receiver's own SQLite).

    ``transfer_id`` names it across restarts: run the same ID again to resume.
    """

    def __init__(self, conn: sqlite3.Connection, client: ConsumerClient, provider: Party,
                 apply: ApplyPage, *, transfer_id: str | None = None, page_size: int = 500,
                 lock: threading.RLock | None = None, window: int = 1):
        if window < 1:
            raise ValueError("window must be at least 1 page")
        self.conn = conn
        self.client = client
        self.provider = provider
        self.apply = apply
        self.window = window
        self.lock = lock or threading.RLock()
        with self.lock, conn:
            conn.execute(_SCHEMA)
            if "request_id" not in {r[1] for r in conn.execute(
                    "PRAGMA table_info(pfbus_full_transfers)")}:  # a table of an older SDK
                conn.execute("ALTER TABLE pfbus_full_transfers ADD COLUMN request_id TEXT")
            self.transfer_id = transfer_id or str(uuid.uuid4())
            conn.execute("INSERT OR IGNORE INTO pfbus_full_transfers (transfer_id, service_id, "
                         "page_size) VALUES (?, ?, ?)", (self.transfer_id, FULL_EXTRACT, page_size))
            conn.execute("UPDATE pfbus_full_transfers SET request_id = ? WHERE transfer_id = ? "
                         "AND request_id IS NULL", (uuid.uuid4().hex, self.transfer_id))

    def state(self) -> TransferState:
        with self.lock:
            row = self.conn.execute(
                "SELECT transfer_id, extract_id, page_size, total_pages, total_count, "
                "confirmed_pages, received, state, request_id FROM pfbus_full_transfers "
                "WHERE transfer_id = ?", (self.transfer_id,)).fetchone()
        return TransferState(*row)

    def run(self, max_pages: int | None = None) -> TransferState:
        """Fetch and apply pages from the last confirmed one on, until complete (or
        ``max_pages`` pages this call). Errors of the exchange propagate: call again to resume."""
        state = self.state()
        budget = -1 if max_pages is None else max_pages
        if not state.complete and budget != 0 and state.extract_id is None:
            # The first page alone: it names the snapshot and its totals.
            state = self._confirm(state, 1, self._fetch(state, 1))
            budget -= 1
        if state.complete or budget == 0:
            return state
        assert state.total_pages is not None
        last = state.total_pages if budget < 0 else \
            min(state.total_pages, state.confirmed_pages + budget)
        if self.window == 1:
            while state.confirmed_pages < last:
                page = state.confirmed_pages + 1
                state = self._confirm(state, page, self._fetch(state, page))
            return state
        return self._run_windowed(state, last)

    def _run_windowed(self, state: TransferState, last: int) -> TransferState:
        """Pages up to ``last`` with up to ``window`` in flight, applied in page order."""
        in_flight: dict[int, Future] = {}
        with ThreadPoolExecutor(self.window, thread_name_prefix="full-transfer") as pool:
            try:
                following = state.confirmed_pages + 1
                while state.confirmed_pages < last:
                    while following <= last and len(in_flight) < self.window:
                        in_flight[following] = pool.submit(self._fetch, state, following)
                        following += 1
                    page = state.confirmed_pages + 1
                    state = self._confirm(state, page, in_flight.pop(page).result())
            finally:
                for future in in_flight.values():  # after a failure: what was not sent, isn't
                    future.cancel()
        return state

    def _fetch(self, state: TransferState, page: int) -> etree._Element:
        reply = self.client.call(FULL_EXTRACT, self.provider,
                                 self._request(state, page), linkage_kind=LINKAGE_FULL)
        return reply.body

    def _request(self, state: TransferState, page: int) -> etree._Element:
        request = etree.Element(f"{{{JUKI}}}ResidentFullExtractRequest", nsmap={"juki": JUKI})
        if state.extract_id is not None:
            etree.SubElement(request, f"{{{JUKI}}}ExtractId").text = state.extract_id
        etree.SubElement(request, f"{{{JUKI}}}Page").text = str(page)
        etree.SubElement(request, f"{{{JUKI}}}PageSize").text = str(state.page_size)
        if state.extract_id is None and state.request_id is not None:
            etree.SubElement(request, f"{{{JUKI}}}RequestId").text = state.request_id
        return request

    def _confirm(self, state: TransferState, page: int, body: etree._Element) -> TransferState:
        extract_id = body.findtext(f"{{{JUKI}}}ExtractId")
        total_pages = int(body.findtext(f"{{{JUKI}}}TotalPages"))
        total_count = int(body.findtext(f"{{{JUKI}}}TotalCount"))
        if int(body.findtext(f"{{{JUKI}}}Page")) != page:
            raise TransferError(f"asked for page {page}, got {body.findtext(f'{{{JUKI}}}Page')}")
        if state.extract_id not in (None, extract_id) or \
                state.total_count not in (None, total_count):
            raise TransferError("the provider's snapshot changed during the transfer")
        residents = body.findall(f"{{{JUKI}}}Resident")
        received = state.received + len(residents)
        complete = page >= total_pages
        if complete and received != total_count:
            raise TransferError(f"received {received} residents, the snapshot has {total_count}")
        with self.lock, self.conn:  # the page and its confirmation commit together, or neither
            self.apply(self.conn, residents)
            updated = self.conn.execute(
                "UPDATE pfbus_full_transfers SET extract_id = ?, total_pages = ?, "
                "total_count = ?, confirmed_pages = ?, received = ?, state = ? "
                "WHERE transfer_id = ? AND confirmed_pages = ?",
                (extract_id, total_pages, total_count, page, received,
                 "complete" if complete else "running", self.transfer_id, page - 1)).rowcount
            if updated != 1:  # another run of this transfer confirmed it first: undo ours
                raise TransferError(f"page {page} of {self.transfer_id} was confirmed elsewhere")
        return self.state()
