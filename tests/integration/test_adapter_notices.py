"""異動通知 between the reference adapters, over real sockets and processes, without the hub's
asynchronous side: notices are POSTed to the subscribers' endpoints as the hub delivers them (the
exact bytes the publisher sent, addressed to the hub), and vendor A's outbox publisher talks to a
stand-in that answers receipts — or fails first.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
from lxml import etree

from adapters.sdk.consumer import ConsumerClient, PlatformFault, Prepared
from adapters.sdk.receiver import receipt_fields
from adapters.sdk.seed import with_m11_check
from adapters.sdk.testing import HubStub, NoticeSink, sample_request, serve
from adapters.vendor_a_registry.outbox import SENT, build_notice, status_after
from adapters.vendor_a_registry.store import SEED_RESIDENTS, RegistryStore
from adapters.vendor_b_tax.store import TaxStore
from adapters.vendor_c_kokuho.store import KokuhoStore
from bus.core.catalog import Catalog
from bus.core.header import Party
from schemas import BUILTIN_CATALOG

from tests.support.polling import wait_until

from .processes import REPO, python

pytestmark = pytest.mark.integration

SERVICES = Catalog.load([BUILTIN_CATALOG]).services
NOTICE = "juki.ResidentChangeNotice"
VENDOR_A = Party("131016", "01", "vendor-a-juki")
HUB = Party("131016", "01", "hub")
SHOKO, DAISUKE, KENICHI = with_m11_check(1001), with_m11_check(1002), with_m11_check(1004)


def resident(number: str, **changes) -> dict:
    return {**next(r for r in SEED_RESIDENTS if r["宛名番号"] == number), **changes}


def notice(row: dict, sequence: int, reason: str, day: str) -> etree._Element:
    row = {**row, "住民状態": status_after(reason, row["住民状態"])}
    return build_notice(row, sequence, reason, dt.date.fromisoformat(day))


def as_hub(url: str) -> ConsumerClient:
    """Vendor A's notice, POSTed straight to a subscriber's endpoint, as the hub delivers it."""
    return ConsumerClient(url, VENDOR_A, "juki-batch",
                          wsdl_url=lambda sid: SERVICES[sid].wsdl.as_uri(),
                          endpoint_url=lambda sid: url)


@pytest.fixture(scope="module")
def subscribers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("subscribers")
    tax = python("-m", "adapters.vendor_b_tax", "serve", "--db", str(tmp / "b.sqlite3"), "--seed")
    kokuho = python("-m", "adapters.vendor_c_kokuho", "serve", "--db", str(tmp / "c.sqlite3"),
                    "--seed", "--port", "0")
    ready = lambda d: d.get("event") == "adapter.listening"  # noqa: E731
    urls = {"b": tax.wait_json(ready)["url"], "c": kokuho.wait_json(ready)["url"]}
    yield {"urls": urls, "b": tmp / "b.sqlite3", "c": tmp / "c.sqlite3"}
    for p in (tax, kokuho):
        p.stop()


@pytest.mark.parametrize("soap_version", [11, 12])
def test_vendor_b_applies_a_redelivered_notice_once(subscribers, soap_version):
    client = as_hub(subscribers["urls"]["b"])
    seq = soap_version // 11  # 1, then 2
    prepared = client.prepare(NOTICE, HUB, notice(resident(SHOKO, 住所1="永田町", 住所2="3"),
                                                  seq, "C01", "2024-05-01"),
                              soap_version=soap_version)
    first, second = client.send(prepared), client.send(prepared)  # the ack was "lost"
    mid = prepared.header.message_id
    assert receipt_fields(first.body) == (mid, "applied")
    assert receipt_fields(second.body) == (mid, "duplicate")
    assert first.header.sender == Party("131016", "07", "vendor-b-tax")
    store = TaxStore.open(subscribers["b"])
    try:
        row = store.addressee(SHOKO)
        assert (row["名前1"], row["名前2"], row["名前(漢字)"], row["町名"], row["丁"]) == \
            ("ソウム", "ショウコ", "総務翔子", "永田町", "三")
        assert [c["メッセージID"] for c in store.applied_changes(SHOKO)].count(mid) == 1
    finally:
        store.close()


def test_vendor_b_still_answers_its_inquiry_at_the_same_endpoint(subscribers):
    url = subscribers["urls"]["b"]
    client = ConsumerClient(url, Party("131016", "01", "vendor-a-juki"), "clerk",
                            wsdl_url=lambda sid: SERVICES[sid].wsdl.as_uri(),
                            endpoint_url=lambda sid: url)
    request = sample_request("kojinjuminzei.TaxationStatusInquiry")
    request[0].text = SHOKO
    reply = client.call("kojinjuminzei.TaxationStatusInquiry",
                        Party("131016", "07", "vendor-b-tax"), request)
    assert reply.body.findtext("{urn:pfbus:unit:kojin-juminzei:v1}Status") == "found"


def test_a_notice_vendor_b_cannot_apply_is_a_fault_and_changes_nothing(subscribers):
    client = as_hub(subscribers["urls"]["b"])
    haruto = with_m11_check(1003)
    prepared = client.prepare(NOTICE, HUB, notice(resident(haruto, 住所2="10000"), 1, "C01",
                                                  "2024-05-01"))
    for _ in range(2):  # the hub retries: the same fault, nothing half-applied
        with pytest.raises(PlatformFault) as fault:
            client.send(prepared)
        assert fault.value.detail.code == "VENDOR-B-DATA-ERROR"
    store = TaxStore.open(subscribers["b"])
    try:
        assert store.addressee(haruto) is None and store.applied_changes(haruto) == []
    finally:
        store.close()


def test_a_notice_of_another_municipality_is_misrouted(subscribers):
    client = as_hub(subscribers["urls"]["b"])
    with pytest.raises(PlatformFault) as fault:
        client.call(NOTICE, Party("141003", "01", "hub"),
                    notice(resident(SHOKO), 9, "C10", "2024-05-01"))
    assert fault.value.detail.code == "PF-PROVIDER-MISROUTED"


def test_vendor_c_loses_the_qualification_once_and_answers_its_inquiry(subscribers):
    url = subscribers["urls"]["c"]
    client = as_hub(url)
    prepared = client.prepare(NOTICE, HUB, notice(resident(KENICHI), 1, "B01", "2024-09-30"))
    statuses = [receipt_fields(client.send(prepared).body)[1] for _ in range(3)]
    assert statuses == ["applied", "duplicate", "duplicate"]
    kokuho = "urn:pfbus:unit:kokuho:v1"
    request = etree.Element(f"{{{kokuho}}}QualificationInquiryRequest")
    etree.SubElement(request, f"{{{kokuho}}}AddresseeNumber").text = KENICHI
    etree.SubElement(request, f"{{{kokuho}}}AsOf").text = "2024-10-01"
    tax = ConsumerClient(url, Party("131016", "07", "vendor-b-tax"), "clerk",
                         wsdl_url=lambda sid: SERVICES[sid].wsdl.as_uri(),
                         endpoint_url=lambda sid: url)
    reply = tax.call("kokuho.QualificationInquiry", Party("131016", "11", "vendor-c-kokuho"),
                     request, soap_version=12)
    q = reply.body.find(f"{{{kokuho}}}Qualification")
    assert [q.findtext(f"{{{kokuho}}}{n}") for n in ("QualificationStatus", "LostOn")] == \
        ["lost", "2024-10-01"]
    store = KokuhoStore.open(subscribers["c"])
    try:
        assert [c["処理結果"] for c in store.processed_changes(KENICHI)] == ["資格喪失"]
    finally:
        store.close()


# --- vendor A publishing its outbox ---------------------------------------------------------------

def change(db, addressee: str, reason: str, *sets: str) -> dict:
    args = [sys.executable, "-m", "adapters.vendor_a_registry", "change", "--db", str(db),
            "--addressee", addressee, "--reason", reason, "--occurred-on", "2024-05-01"]
    for s in sets:
        args += ["--set", s]
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def outbox(db) -> list[dict]:
    store = RegistryStore.open(db)
    try:
        return store.outbox().entries()
    finally:
        store.close()


def test_the_outbox_publisher_resends_the_same_message_until_a_receipt_in_order(
        tmp_path, subscribers):
    sink = NoticeSink(subscribers=2)
    sink.script = ["503", "503", "lose"]  # refused twice, then stored with its receipt lost
    sink_server = serve(sink)
    hub = serve(HubStub(lambda sid: sink_server.url))
    db = tmp_path / "a.sqlite3"
    registry = python("-m", "adapters.vendor_a_registry", "--db", str(db), "--seed", "--hub",
                      hub.url, "--publish-interval", "0.05", "--retry-base", "0.05",
                      "--retry-max", "0.2")
    try:
        registry.wait_json(lambda d: d.get("event") == "adapter.listening")
        made = [change(db, SHOKO, "C01", "住所1=永田町", "住所2=1"),
                change(db, DAISUKE, "C01", "住所1=永田町", "住所2=1"),
                change(db, SHOKO, "C10", "方書=永田町ハイツ101")]
        assert [m["異動連番"] for m in made] == [1, 1, 2]
        wait_until(lambda: all(e["状態"] == SENT for e in outbox(db)), 30,
                   "every outbox entry sent")
    finally:
        registry.stop()
        hub.close()
        sink_server.close()
    ids = [m["メッセージID"] for m in made]
    assert sorted(m for m, _ in sink.accepted) == sorted(ids)  # each stored once
    for mid in ids:  # every resend was the same bytes
        assert len({raw for m, raw, _ in sink.posts if m == mid}) == 1
    # SHOKO's 2nd notice was first POSTed only after her 1st had a receipt
    order = [(m, answer) for m, _, answer in sink.posts]
    first_receipt = next(i for i, (m, a) in enumerate(order)
                         if m == ids[0] and a in ("accepted", "duplicate"))
    assert min(i for i, (m, _) in enumerate(order) if m == ids[2]) > first_receipt
    assert [a for m, a in order if m in (ids[0], ids[1])].count("lose") == 1
    entries = {e["メッセージID"]: e for e in outbox(db)}
    assert sum(entries[m]["試行回数"] for m in ids) == len(sink.posts)
    # what the hub would now deliver: the exact bytes, to vendor B, in acceptance order
    for _mid, raw in sorted(sink.accepted, key=lambda a: ids.index(a[0])):
        vendor_b = as_hub(subscribers["urls"]["b"])
        assert receipt_fields(vendor_b.send(Prepared.from_bytes(raw)).body)[1] == "applied"
    store = TaxStore.open(subscribers["b"])
    try:
        row = store.addressee(SHOKO)
        assert (row["町名"], row["丁"], row["方書"]) == ("永田町", "一", "永田町ハイツ101")
        assert [c["異動連番"] for c in store.applied_changes(DAISUKE)] == [1]
    finally:
        store.close()
