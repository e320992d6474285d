"""全件抽出 of a serving registry (vendor A's ExtractService) at municipal scale: 50,000
residents; the snapshot is built in batches in a worker thread while the reactor answers — the
first page as soon as it is built, an inquiry while the rest is copied — and a first request
retried with the same RequestId gets the same snapshot, never a second one.

The registry runs in this process on Twisted's reactor in a daemon thread, behind the SDK's hub
stub; the builder is held after its first batch (the test releases it), so "while it is being
built" is a fact the test controls, not a race.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from lxml import etree
from twisted.internet.threads import blockingCallFromThread

from adapters.sdk.characters import CharacterPolicy
from adapters.sdk.consumer import ConsumerClient
from adapters.sdk.provider import ProviderApp
from adapters.sdk.testing import HubStub, reactor_thread, serve
from adapters.vendor_a_registry import GAIJI_TABLE, snapshot
from adapters.vendor_a_registry.extracts import ExtractService
from adapters.vendor_a_registry.migration import populate
from adapters.vendor_a_registry.service import handlers
from adapters.vendor_a_registry.store import SEED_RESIDENTS, RegistryStore, UnknownExtract, seed
from bus.core.header import LINKAGE_FULL, Party

from tests.support.polling import wait_until

pytestmark = pytest.mark.integration

RESIDENTS = 50_000
BATCH = 1_000
JUKI = "{urn:pfbus:unit:juki:v1}"
REGISTRY = Party("131016", "01", "vendor-a-juki")
TAX = Party("131016", "07", "vendor-b-tax")


class HeldBuilder(snapshot.SnapshotBuilder):
    """Copies its first batch, then waits for ``release`` (set by the test) before the rest."""

    release = threading.Event()
    started = threading.Event()

    def copy(self, extract_id, on_progress):
        def progress(built):
            on_progress(built)
            HeldBuilder.started.set()
            assert HeldBuilder.release.wait(60), "the test never released the builder"
        return super().copy(extract_id, progress)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    path = tmp_path_factory.mktemp("registry") / "a.sqlite3"
    store = RegistryStore.open(path)
    seed(store)
    populate(store, RESIDENTS - len(store.residents()))
    reactor = reactor_thread()
    # ahead=None: the whole snapshot is copied at once (these tests wait for it to complete);
    # the copy that follows the pages asked for is tested in test_vendor_a_snapshots.py and
    # end to end (test_full_transfer_e2e.py: the registry's default)
    extracts = ExtractService(store, reactor, batch=BATCH, ahead=None)
    blockingCallFromThread(reactor, extracts.start)
    app = ProviderApp(REGISTRY, handlers(store, extracts.handle),
                      client_errors={UnknownExtract: "VENDOR-A-EXTRACT-UNKNOWN"},
                      characters=CharacterPolicy(str(GAIJI_TABLE)))  # its 外字 leave as MJ
    provider = serve(app.resource())
    hub = serve(HubStub(lambda sid: provider.url))
    yield store, ConsumerClient(hub.url, TAX, "tax-clerk-01", timeout=60), extracts
    blockingCallFromThread(reactor, extracts.stop)
    hub.close()
    provider.close()
    store.close()


def extract_request(page: int, size: int, *, extract_id: str | None = None,
                    request_id: str | None = None) -> etree._Element:
    request = etree.Element(f"{JUKI}ResidentFullExtractRequest")
    if extract_id is not None:
        etree.SubElement(request, f"{JUKI}ExtractId").text = extract_id
    etree.SubElement(request, f"{JUKI}Page").text = str(page)
    etree.SubElement(request, f"{JUKI}PageSize").text = str(size)
    if request_id is not None:
        etree.SubElement(request, f"{JUKI}RequestId").text = request_id
    return request


def fetch(client, page, size, **kw) -> etree._Element:
    return client.call("juki.ResidentFullExtract", REGISTRY, extract_request(page, size, **kw),
                       linkage_kind=LINKAGE_FULL).body


def head_of(store, extract_id) -> snapshot.Head:
    with store.lock:
        return snapshot.head(store.conn, extract_id)


def addressees(page: etree._Element) -> list[str]:
    return [r.findtext("{urn:pfbus:platform:common:v1}AddresseeNumber")
            for r in page.findall(f"{JUKI}Resident")]


def test_pages_and_an_inquiry_are_answered_while_a_50k_snapshot_is_being_built(
        registry, monkeypatch):
    store, client, _ = registry
    monkeypatch.setattr(snapshot, "SnapshotBuilder", HeldBuilder)
    HeldBuilder.release.clear(), HeldBuilder.started.clear()
    try:
        first = fetch(client, 1, 500, request_id="load-1")  # answered with 1,000 of 50,000 built
        extract_id = first.findtext(f"{JUKI}ExtractId")
        assert int(first.findtext(f"{JUKI}TotalCount")) == RESIDENTS
        assert len(first.findall(f"{JUKI}Resident")) == 500
        assert head_of(store, extract_id).built == BATCH  # still being built, held
        inquiry = etree.Element(f"{JUKI}ResidentInquiryRequest")
        etree.SubElement(inquiry, f"{JUKI}AddresseeNumber").text = SEED_RESIDENTS[0]["宛名番号"]
        answer = client.call("juki.ResidentInquiry", REGISTRY, inquiry).body
        assert answer.findtext(f"{JUKI}Status") == "found"
        assert head_of(store, extract_id).state == snapshot.BUILDING  # answered during the build
        with ThreadPoolExecutor(1) as pool:
            later = pool.submit(fetch, client, 40, 500, extract_id=extract_id)  # not built yet
            HeldBuilder.release.set()
            page_40 = later.result(timeout=60)
        assert len(page_40.findall(f"{JUKI}Resident")) == 500
        wait_until(lambda: head_of(store, extract_id).complete, 60, "the snapshot complete")
        everyone = [r["宛名番号"] for r in store.residents()]
        assert addressees(first) == everyone[:500]
        assert addressees(page_40) == everyone[39 * 500:40 * 500]
    finally:
        HeldBuilder.release.set()


def test_a_first_request_retried_with_the_same_request_id_gets_the_same_snapshot(registry):
    store, client, _ = registry
    with ThreadPoolExecutor(2) as pool:  # the same first request twice at once …
        twins = list(pool.map(lambda _: fetch(client, 1, 10, request_id="load-2"), range(2)))
    retried = fetch(client, 1, 10, request_id="load-2")  # … and once more later
    ids = {p.findtext(f"{JUKI}ExtractId") for p in (*twins, retried)}
    assert len(ids) == 1
    other = fetch(client, 1, 10, request_id="load-3").findtext(f"{JUKI}ExtractId")
    assert other not in ids  # another RequestId: another snapshot
    (extract_id,) = ids
    wait_until(lambda: head_of(store, extract_id).complete, 60, "the snapshot complete")
    with store.lock:
        heads = store.conn.execute('SELECT count(*) FROM "全件抽出管理" WHERE "要求ID" = ?',
                                   ("load-2",)).fetchone()[0]
        rows = store.conn.execute('SELECT count(*) FROM "全件抽出" WHERE "抽出ID" = ?',
                                  (extract_id,)).fetchone()[0]
    assert (heads, rows) == (1, RESIDENTS)
