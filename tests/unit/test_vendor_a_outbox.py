"""Vendor A's outbox and publisher without sockets: a fake hub session answers (or not)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import requests
from lxml import etree

from adapters.sdk.consumer import ConsumerClient, Prepared, TransportError
from adapters.sdk.receiver import notice_receipt
from adapters.sdk.seed import with_m11_check
from adapters.vendor_a_registry.outbox import PENDING, SENT, OutboxError, status_after
from adapters.vendor_a_registry.publisher import OutboxPublisher, hub_party
from adapters.vendor_a_registry.store import RegistryStore, seed
from bus.core.catalog import Catalog
from bus.core.header import HEADER_TAG, JST, Party, PlatformHeader
from schemas import BUILTIN_CATALOG

SERVICES = Catalog.load([BUILTIN_CATALOG]).services
VENDOR_A = Party("131016", "01", "vendor-a-juki")
SHOKO, DAISUKE = with_m11_check(1001), with_m11_check(1002)


class FakeHub(requests.Session):
    """Answers notices like the hub: accepted once per message ID, then duplicate. ``script``
    holds what to do with the next POSTs: "ok", "down" (connection refused), "lose" (stored,
    but the answer is lost), "503", "wrong-id"."""

    def __init__(self):
        super().__init__()
        self.script: list[str] = []
        self.posts: list[tuple[str, bytes]] = []  # (message id, bytes) of every POST
        self.stored: list[str] = []

    def post(self, url, data=None, headers=None, timeout=None, **kw):
        root = etree.fromstring(data)
        soap = etree.QName(root).namespace
        header = PlatformHeader.from_element(root.find(f"{{{soap}}}Header/{HEADER_TAG}"))
        assert header.receiver == hub_party("131016") and header.sender == VENDOR_A
        self.posts.append((header.message_id, data))
        action = self.script.pop(0) if self.script else "ok"
        if action == "down":
            raise requests.ConnectionError("connection refused")
        response = requests.Response()
        if action == "503":
            response.status_code, response._content = 503, b"busy"
            return response
        status = "duplicate" if header.message_id in self.stored else "accepted"
        if status == "accepted":
            self.stored.append(header.message_id)
        if action == "lose":
            raise requests.ReadTimeout("the receipt never arrived")
        receipt_id = ("00000000-0000-4000-8000-000000000000" if action == "wrong-id"
                      else header.message_id)
        env = etree.Element(f"{{{soap}}}Envelope", nsmap={"soap": soap})
        reply = header.reply(data, sender=header.receiver)
        etree.SubElement(env, f"{{{soap}}}Header").append(reply.to_element())
        etree.SubElement(env, f"{{{soap}}}Body").append(notice_receipt(receipt_id, status, 2))
        response.status_code = 200
        response._content = etree.tostring(env, xml_declaration=True, encoding="UTF-8")
        return response


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def store():
    s = RegistryStore.open()
    seed(s)
    yield s
    s.close()


def publisher(store, hub: FakeHub, clock: Clock, events: list) -> OutboxPublisher:
    client = ConsumerClient("http://hub.invalid", VENDOR_A, "juki-batch", session=hub,
                            wsdl_url=lambda sid: SERVICES[sid].wsdl.as_uri())
    return OutboxPublisher(store.outbox(), client, retry_base=1.0, retry_max=8.0,
                           on_event=events.append, clock=clock)


def move(store, number: str, town: str, reason: str = "C01") -> dict:
    row = {**store.resident_by_addressee_number(number), "住所1": town}
    row["住民状態"] = status_after(reason, row["住民状態"])
    return store.record_change(row, reason, "2024-05-01", user_id="clerk-7")


def test_a_change_and_its_notice_commit_together(store):
    first, second = move(store, SHOKO, "永田町"), move(store, SHOKO, "麹町")
    other = move(store, DAISUKE, "永田町")
    assert (first["異動連番"], second["異動連番"], other["異動連番"]) == (1, 2, 1)
    assert store.resident_by_addressee_number(SHOKO)["住所1"] == "麹町"
    notice = etree.fromstring(second["通知本文"])
    ns = {"j": "urn:pfbus:unit:juki:v1", "c": "urn:pfbus:platform:common:v1"}
    assert notice.xpath("string(j:Change/j:Sequence)", namespaces=ns) == "2"
    assert notice.xpath("string(j:Change/j:Resident/c:Address/c:Town)", namespaces=ns) == "麹町"
    assert [e["状態"] for e in store.outbox().entries()] == [PENDING] * 3


def test_an_invalid_change_writes_neither_the_row_nor_the_notice(store):
    before = store.resident_by_addressee_number(SHOKO)
    with pytest.raises(OutboxError, match="change_reason"):
        store.record_change({**before, "住所1": "永田町"}, "Z99", "2024-05-01")
    with pytest.raises(OutboxError, match="cannot be built"):  # 住所2 must be arabic
        store.record_change({**before, "住所2": "二"}, "C01", "2024-05-01")
    assert store.resident_by_addressee_number(SHOKO) == before
    assert store.outbox().entries() == []


def test_vendor_a_gaiji_leave_as_mj_characters_in_the_notice(store):
    from adapters.sdk.characters import CharacterPolicy
    from adapters.vendor_a_registry import GAIJI_TABLE

    row = {**store.resident_by_addressee_number(SHOKO), "氏名3": "\ue001橋翔子"}  # vendor 外字 髙
    with pytest.raises(OutboxError):  # a private-use code is not standard text
        store.record_change(row, "C11", "2024-05-01")
    entry = store.record_change(row, "C11", "2024-05-01",
                                characters=CharacterPolicy(GAIJI_TABLE))
    assert "髙橋翔子" in entry["通知本文"] and "\ue001" not in entry["通知本文"]
    assert store.resident_by_addressee_number(SHOKO)["氏名3"] == "\ue001橋翔子"  # its own code


def test_status_after_a_change():
    assert [status_after(r, "住民") for r in ("B01", "B03", "B04", "A01", "C01")] == \
        ["転出者", "死亡者", "その他消除者", "住民", "住民"]


def test_publishes_in_order_and_marks_sent_only_on_a_receipt(store):
    hub, clock, events = FakeHub(), Clock(), []
    entries = [move(store, SHOKO, "永田町"), move(store, DAISUKE, "麹町"),
               move(store, SHOKO, "麹町")]
    pub = publisher(store, hub, clock, events)
    assert pub.publish_once().sent == 2  # the oldest of each resident: SHOKO 1, DAISUKE 1
    assert pub.publish_once().sent == 1  # SHOKO 2, only after 1 got its receipt
    assert [m for m, _ in hub.posts] == [entries[0]["メッセージID"], entries[1]["メッセージID"],
                                        entries[2]["メッセージID"]]
    assert [e["状態"] for e in store.outbox().entries()] == [SENT] * 3
    assert [e["status"] for e in events] == ["accepted"] * 3
    sent = Prepared.from_bytes(hub.posts[0][1])
    assert sent.header.user_id == "clerk-7"  # the clerk who made the change, for audit
    assert sent.header.service_id == "juki.ResidentChangeNotice"


def test_no_receipt_means_the_same_bytes_again_and_the_next_waits(store):
    hub, clock, events = FakeHub(), Clock(), []
    first, second = move(store, SHOKO, "永田町"), move(store, SHOKO, "麹町")
    other = move(store, DAISUKE, "麹町")
    pub = publisher(store, hub, clock, events)
    hub.script = ["503"]
    assert dataclasses.astuple(pub.publish_once()) == (0, 1)  # the hub is in trouble: round ends
    assert pub.publish_once().sent == 1  # DAISUKE goes; SHOKO 1 backs off, SHOKO 2 waits for it
    assert pub.publish_once().sent == 0
    clock.now += 10
    hub.script = ["down"]
    assert dataclasses.astuple(pub.publish_once()) == (0, 1)
    clock.now += 10
    hub.script = ["lose"]  # the hub stored it, the receipt was lost
    assert pub.publish_once().failed == 1
    clock.now += 20
    assert pub.publish_once().sent == 1  # resent: the hub says duplicate
    assert pub.publish_once().sent == 1  # and only now SHOKO 2
    shoko_posts = [(m, b) for m, b in hub.posts if m != other["メッセージID"]]
    ids = [m for m, _ in shoko_posts]
    assert ids == [first["メッセージID"]] * 4 + [second["メッセージID"]]
    assert len({b for m, b in shoko_posts if m == first["メッセージID"]}) == 1  # same bytes
    assert hub.stored.count(first["メッセージID"]) == 1
    entry = store.outbox().entries(SHOKO)[0]
    assert (entry["状態"], entry["受領結果"], entry["試行回数"]) == (SENT, "duplicate", 4)
    retries = [e for e in events if e["event"] == "outbox.retry"]
    assert [e["attempts"] for e in retries] == [1, 2, 3]
    assert "TransportError" in retries[0]["error"]


def test_backoff_doubles_and_is_bounded(store):
    hub, clock, events = FakeHub(), Clock(), []
    move(store, SHOKO, "永田町")
    pub = publisher(store, hub, clock, events)
    for _ in range(6):
        hub.script = ["503"]
        pub.publish_once()
        clock.now = store.outbox().next_due()
    delays = [e["retry_in"] for e in events]
    assert all(0.5 * min(8.0, 2 ** n) <= d <= min(8.0, 2 ** n) for n, d in enumerate(delays))
    assert store.outbox().entries()[0]["最終エラー"].startswith("TransportError")


def test_a_receipt_for_another_message_is_not_a_receipt(store):
    hub, clock, events = FakeHub(), Clock(), []
    move(store, SHOKO, "永田町")
    pub = publisher(store, hub, clock, events)
    hub.script = ["wrong-id"]
    assert pub.publish_once().failed == 1
    assert "ReplyMismatch" in store.outbox().entries()[0]["最終エラー"]
    clock.now += 10
    assert pub.publish_once().sent == 1


def test_the_envelope_survives_a_restart(store):
    """The bytes are kept in the row before the first POST: a new publisher resends them."""
    hub, clock = FakeHub(), Clock()
    move(store, SHOKO, "永田町")
    hub.script = ["down"]
    publisher(store, hub, clock, []).publish_once()
    clock.now += 10
    publisher(store, hub, clock, []).publish_once()  # e.g. after the process restarted
    assert len(hub.posts) == 2 and hub.posts[0] == hub.posts[1]


def test_consumer_resends_a_prepared_request_byte_for_byte():
    hub = FakeHub()
    client = ConsumerClient("http://hub.invalid", VENDOR_A, "juki-batch", session=hub,
                            wsdl_url=lambda sid: SERVICES[sid].wsdl.as_uri())
    from adapters.sdk.testing import sample_request
    prepared = client.prepare("juki.ResidentChangeNotice", hub_party("131016"),
                              sample_request("juki.ResidentChangeNotice"), soap_version=12,
                              message_id="0f8fad5b-d9cb-469f-a165-70867728950e")
    assert prepared.header.message_id == "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert Prepared.from_bytes(prepared.sent) == prepared
    first, second = client.send(prepared), client.send(prepared)
    assert first.sent == second.sent == prepared.sent
    assert [etree.QName(r.body).localname for r in (first, second)] == ["NoticeReceipt"] * 2
    assert [r.body.findtext("{urn:pfbus:platform:receipt:v1}Status") for r in (first, second)] \
        == ["accepted", "duplicate"]
    reply = client.call("juki.ResidentChangeNotice", hub_party("131016"),
                        sample_request("juki.ResidentChangeNotice"),
                        message_id="1f8fad5b-d9cb-469f-a165-70867728950e")
    assert reply.request_header.message_id == "1f8fad5b-d9cb-469f-a165-70867728950e"
    hub.script = ["down"]
    with pytest.raises(TransportError):
        client.send(prepared)


def test_a_change_without_its_date_is_dated_today_in_japan(tmp_path, monkeypatch, capsys):
    """From 00:00 to 08:59 JST a host on UTC is still on the day before: the default 異動年月日
    is Japan's day (RecordedOn's), not the host's."""
    from adapters.vendor_a_registry import __main__ as cli

    db = tmp_path / "registry.sqlite3"
    s = RegistryStore.open(db, local_gov_code="131016")
    seed(s)
    s.close()
    japan_new_year = dt.datetime(2027, 1, 1, 0, 20, tzinfo=JST)  # 2026-12-31 15:20 UTC

    class NewYear(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return japan_new_year.astimezone(tz)

    recorded: list = []
    real_record = RegistryStore.record_change
    monkeypatch.setattr(dt, "datetime", NewYear)
    monkeypatch.setattr(RegistryStore, "record_change", lambda self, row, reason, occurred_on, **kw:
                        recorded.append(occurred_on) or real_record(self, row, reason, occurred_on,
                                                                    **kw))
    assert cli.change(["--db", str(db), "--addressee", SHOKO, "--reason", "C01",
                       "--set", "住所1=永田町"]) == 0, capsys.readouterr().err
    assert recorded == [dt.date(2027, 1, 1)]
