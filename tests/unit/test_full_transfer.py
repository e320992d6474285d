"""全件 as a resumable chunked transfer: pages applied and confirmed together, resumed from the
last confirmed page after a failure, never applied twice."""

from __future__ import annotations

import sqlite3
import threading
from types import SimpleNamespace

import pytest

from adapters.sdk.full_transfer import FullTransfer, TransferError
from adapters.vendor_a_registry import service as registry
from adapters.vendor_a_registry.store import RegistryStore, seed
from bus.core.header import Party

CMN = "{urn:pfbus:platform:common:v1}"
REGISTRY = Party("131016", "01", "vendor-a-juki")


class DirectClient:
    """Answers like the hub would, from vendor A's handler; can fail before a given call."""

    def __init__(self, store: RegistryStore, fail_on_call: int | None = None):
        self.store = store
        self.calls = []
        self.fail_on_call = fail_on_call

    def call(self, service_id, receiver, body, **options):
        self.calls.append((service_id, options["linkage_kind"], body))
        if len(self.calls) == self.fail_on_call:
            raise ConnectionError("hub down")
        return SimpleNamespace(body=registry.full_extract(self.store, None, body))


@pytest.fixture
def registry_store():
    store = RegistryStore.open()
    seed(store)
    yield store
    store.close()


def receiver_db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE residents (addressee TEXT PRIMARY KEY)")
    return conn


def apply_into(conn, residents, fail_after: list | None = None) -> None:
    for i, resident in enumerate(residents):
        if fail_after is not None and fail_after and i == fail_after[0]:
            fail_after.clear()
            raise RuntimeError("disk full")
        conn.execute("INSERT INTO residents VALUES (?)", (resident.findtext(f"{CMN}AddresseeNumber"),))


def stored(conn) -> list[str]:
    return [r[0] for r in conn.execute("SELECT addressee FROM residents ORDER BY addressee")]


def test_pages_in_order_with_totals_until_complete(registry_store):
    conn = receiver_db()
    client = DirectClient(registry_store)
    state = FullTransfer(conn, client, REGISTRY, apply_into, transfer_id="t1", page_size=2).run()
    everyone = sorted(r["宛名番号"] for r in registry_store.residents())
    assert state.complete and state.received == state.total_count == len(everyone)
    assert state.confirmed_pages == state.total_pages == -(-len(everyone) // 2)
    assert stored(conn) == everyone
    assert all(kind == "full" for _, kind, _ in client.calls)  # LinkageKind 全件
    extract_ids = {b.findtext("{urn:pfbus:unit:juki:v1}ExtractId") for _, _, b in client.calls[1:]}
    assert len(extract_ids) == 1 and None not in extract_ids  # one snapshot for every page


def test_resumes_after_the_hub_failed_from_the_last_confirmed_page(registry_store):
    conn = receiver_db()
    failing = DirectClient(registry_store, fail_on_call=3)
    with pytest.raises(ConnectionError):
        FullTransfer(conn, failing, REGISTRY, apply_into, transfer_id="t2", page_size=2).run()
    state = FullTransfer(conn, failing, REGISTRY, apply_into, transfer_id="t2").state()
    assert (state.confirmed_pages, state.received, state.complete) == (2, 4, False)
    resumed = DirectClient(registry_store)
    state = FullTransfer(conn, resumed, REGISTRY, apply_into, transfer_id="t2").run()
    pages = [int(b.findtext("{urn:pfbus:unit:juki:v1}Page")) for _, _, b in resumed.calls]
    assert pages[0] == 3  # from the last confirmed page on, same snapshot
    assert state.complete and stored(conn) == sorted(r["宛名番号"] for r in registry_store.residents())


def test_a_page_that_fails_midway_leaves_nothing_and_is_applied_once_on_resume(registry_store):
    conn = receiver_db()
    fail = [1]  # the 2nd resident of the first page fails once
    transfer = FullTransfer(conn, DirectClient(registry_store), REGISTRY,
                            lambda c, rs: apply_into(c, rs, fail), transfer_id="t3", page_size=3)
    with pytest.raises(RuntimeError):
        transfer.run()
    assert stored(conn) == [] and transfer.state().confirmed_pages == 0
    assert transfer.run().complete
    assert len(stored(conn)) == len(set(stored(conn))) == len(registry_store.residents())


def test_a_changed_snapshot_is_refused(registry_store):
    conn = receiver_db()
    transfer = FullTransfer(conn, DirectClient(registry_store), REGISTRY, apply_into,
                            transfer_id="t4", page_size=2)
    transfer.run(max_pages=1)
    conn.execute("UPDATE pfbus_full_transfers SET total_count = 99")  # as if another snapshot
    conn.commit()
    with pytest.raises(TransferError):
        transfer.run()


class OutOfOrderClient(DirectClient):
    """Answers page 2 only after pages 3 and 4 were answered (threads of a window), and counts
    the calls in flight at once."""

    def __init__(self, store: RegistryStore, fail_page: int | None = None):
        super().__init__(store)
        self.later_done = threading.Event()
        self.answered: list[int] = []
        self.in_flight = self.most_in_flight = 0
        self.fail_page = fail_page
        self.lock = threading.Lock()

    def call(self, service_id, receiver, body, **options):
        page = int(body.findtext("{urn:pfbus:unit:juki:v1}Page"))
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if page == 2:
                assert self.later_done.wait(10), "pages 3 and 4 were never asked at once with 2"
            if page == self.fail_page:
                raise ConnectionError("hub down")
            with self.lock:  # the registry's in-memory store: one call at a time
                reply = super().call(service_id, receiver, body, **options)
            self.answered.append(page)
            if {3, 4} <= set(self.answered):
                self.later_done.set()
            return reply
        finally:
            with self.lock:
                self.in_flight -= 1


def test_a_window_fetches_pages_at_once_and_applies_them_in_page_order(registry_store):
    conn = receiver_db()
    client = OutOfOrderClient(registry_store)
    confirmed: list[int] = []

    def apply(c, residents):
        confirmed.append(c.execute("SELECT confirmed_pages FROM pfbus_full_transfers"
                                   ).fetchone()[0])
        apply_into(c, residents)

    state = FullTransfer(conn, client, REGISTRY, apply, transfer_id="w1", page_size=1,
                         window=3).run()
    everyone = sorted(r["宛名番号"] for r in registry_store.residents())
    assert state.complete and stored(conn) == everyone
    assert client.answered.index(3) < client.answered.index(2)  # 3 arrived before 2 …
    # … and each page was applied after its predecessor was confirmed
    assert confirmed == list(range(len(everyone)))
    # the window: while page 2 waits, pages 3 and 4 are in flight, page 5 is not asked yet
    assert client.answered.index(5) > client.answered.index(2)
    assert 2 <= client.most_in_flight <= 3


def test_a_window_stops_at_a_failed_page_after_applying_those_before_it_and_resumes(
        registry_store):
    conn = receiver_db()
    failing = OutOfOrderClient(registry_store, fail_page=5)
    with pytest.raises(ConnectionError):
        FullTransfer(conn, failing, REGISTRY, apply_into, transfer_id="w2", page_size=1,
                     window=3).run()
    state = FullTransfer(conn, failing, REGISTRY, apply_into, transfer_id="w2").state()
    assert state.confirmed_pages == 4 and len(stored(conn)) == 4  # 1-4 applied, none after
    resumed = DirectClient(registry_store)
    state = FullTransfer(conn, resumed, REGISTRY, apply_into, transfer_id="w2",
                         window=3).run()
    assert state.complete
    assert stored(conn) == sorted(r["宛名番号"] for r in registry_store.residents())
    pages = sorted(int(b.findtext("{urn:pfbus:unit:juki:v1}Page")) for _, _, b in resumed.calls)
    assert pages[0] == 5


def test_a_retried_first_request_carries_the_same_request_id_and_gets_the_same_snapshot(
        registry_store):
    conn = receiver_db()
    lost = DirectClient(registry_store, fail_on_call=1)  # the first answer is lost …
    original = lost.call

    def answer_then_lose(service_id, receiver, body, **options):
        if len(lost.calls) == 0:  # … after the provider made the snapshot
            registry.full_extract(registry_store, None, body)
        return original(service_id, receiver, body, **options)

    lost.call = answer_then_lose
    with pytest.raises(ConnectionError):
        FullTransfer(conn, lost, REGISTRY, apply_into, transfer_id="r1", page_size=2).run()
    retried = DirectClient(registry_store)
    state = FullTransfer(conn, retried, REGISTRY, apply_into, transfer_id="r1").run()
    assert state.complete
    ids = {b.findtext("{urn:pfbus:unit:juki:v1}RequestId")
           for _, _, b in lost.calls + retried.calls[:1]}
    assert len(ids) == 1 and None not in ids  # the first request, both times, same RequestId
    snapshots = registry_store.conn.execute('SELECT count(*) FROM "全件抽出管理"').fetchone()[0]
    assert snapshots == 1  # the retry found the snapshot of the lost answer
