"""Each variant of the ninth batch really takes effect (variants.py NINTH_BATCH, declared in
independent/ninth.py), in the way of test_independent_eighth_batch.py: the independent adapter
in-process, a short scenario of exchanges (a crash and a start on the same database included), and
the variant's transcript must differ from the correct adapter's. Two variants show only under
conditions a transcript cannot hold — concurrent requests, the hours of the day, HTTP framing —
and are shown by their own tests below."""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
import uuid

import pytest

from .independent import ninth
from .independent.adapter import Adapter
from .independent.process import IndependentAdapter
from .independent.variants import DEFECTS, NINTH_BATCH
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, SOAP12, SOAP12_TYPE, TEXT_XML, change,
                                  extract, inquiry, notice, transcript)

RESENT = "aaaaaaaa-2222-4222-8222-222222222222"
TAKEN = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
LONG_NAME = "\U00020bb7" * 30 + "田" * 45  # 75 characters, 105 UTF-16 code units


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


def _must_understand(raw: bytes) -> bytes:
    """The request's platform header marked soap:mustUnderstand (header-v1.xsd allows it)."""
    return _with(raw, b"<pfh:PlatformHeader ", b'<pfh:PlatformHeader soap:mustUnderstand="1" ')


def _sender(raw: bytes) -> bytes:
    """Sent by a system whose SystemId has capitals and a dot."""
    return _with(raw, b"<pfh:SystemId>tax<", b"<pfh:SystemId>Tax.Batch<")


def _user(raw: bytes) -> bytes:
    return _with(raw, b"<pfh:UserId>batch<", b"<pfh:UserId>clerk@tax.example<")


PROVIDER_STEPS = [
    inquiry("0000010014"),                                   # 世帯主 younger than her husband
    inquiry("0000010073"),                                   # 転出者, alone in the household
    inquiry("0000010014", as_of="2015-04-01+14:00"),         # resident since 2015-04-01
    inquiry("0000010057"),                                   # 旧氏 葛 with U+E0102
    b"\xef\xbb\xbf" + inquiry("0000010014"),                 # a UTF-8 byte order mark
    inquiry("0000010014", receiver=(GOV, "01", "other")),    # misrouted
    _must_understand(inquiry("0000010022")),
    inquiry(BAD_CHECK_DIGIT), (inquiry(BAD_CHECK_DIGIT, soap=SOAP12), SOAP12_TYPE),
    _sender(inquiry("0000010030")),
    inquiry("0000010030", message_id=str(uuid.uuid1())),     # a version 1 UUID
    _user(inquiry("0000010030")),
    extract(1, request_id="R9"), ("page", 2), extract(1, request_id="R9"),  # retried first
    ("page", 1),                                             # page 1 asked by its ExtractId
    ("page", 2 ** 31),
    extract(1, extract_id="unknown9"),
    extract(1, request_id="A" * 32 + "1"), extract(1, request_id="A" * 32 + "2"),
]


def subscriber_steps() -> list:
    return [
        notice(change(seq=1)),
        _with(notice(change(seq=2)), b">0000050016<", b">0000050010<"),  # 世帯番号, no M11
        notice(change(seq=1, number="0000010065", name=LONG_NAME)), ("observe", "0000010065"),
        notice(change(seq=1, number="0000010219", name="O'BRIEN EMMA")),
        ("observe", "0000010219"),
        notice(change(seq=3, reason="Z99"), change(seq=4, reason="Z98")),  # two bad codes
        notice(change(seq=5, number="0000010014", name="総務翔子"),
               change(seq=5, number="0000010022", name="総務大輔")), ("observe", "0000010022"),
        _with(notice(change(seq=6)), b"<j:Sequence>6<", b"<j:Sequence>+0006<"),
        _with(notice(change(seq=7)), b"2025-04-01<", b"2025-04-01+09:00<"),
        notice(change(seq=8, reason="Z99"), message_id=TAKEN),           # refused …
        notice(change(seq=8), message_id=TAKEN),                         # … sent again, right
        notice(change(seq=9), message_id="aaaaaaaa-1111-4111-8111-111111111111"),
        notice(change(seq=10), message_id=RESENT), notice(change(seq=10), message_id=RESENT),
        _with(notice(change(seq=11)), b"?>", b"?><!DOCTYPE soap:Envelope>"),
        _must_understand(notice(change(seq=11))),
        (notice(change(seq=12, number=BAD_CHECK_DIGIT), soap=SOAP12), SOAP12_TYPE),
        _sender(notice(change(seq=13))),
        notice(change(seq=14), message_id=str(uuid.uuid1())),
        notice(change(seq=5, number="0000010049", name="髙橋健一")),     # first held
        ("crash",),
        notice(change(seq=3, number="0000010049", name="葛西健一")),     # older: not applied
        ("observe", "0000010049"),
    ]


OWN_TESTS = {"relates-to-shared-field", "sent-at-utc-date-jst-time",
             "large-answers-chunked-unterminated", "fault-without-content-length"}
CASES = sorted((name, role) for name in NINTH_BATCH - OWN_TESTS for role in DEFECTS[name][1])


@pytest.mark.parametrize(("defect", "role"), CASES)
def test_each_ninth_batch_variant_behaves_differently(tmp_path, defect, role):
    steps = PROVIDER_STEPS if role == "provider" else subscriber_steps()
    correct = transcript(role, tmp_path / "correct.sqlite3", None, steps)
    variant = transcript(role, tmp_path / "variant.sqlite3", defect, steps)
    assert variant != correct, f"{defect} ({role}): {DEFECTS[defect][2]} — no effect"


def test_the_ninth_scenarios_are_served_as_the_standard_says(tmp_path):
    """The yardstick's own check: the correct adapter faults only the bad and misrouted
    exchanges, keeps one snapshot per (Sender, RequestId) and what it was told across the
    crash."""
    provider = transcript("provider", tmp_path / "p.sqlite3", None, PROVIDER_STEPS)
    subscriber = transcript("subscriber", tmp_path / "s.sqlite3", None, subscriber_steps())
    assert [i for i, t in enumerate(provider) if "Fault>" in t] == [5, 7, 8, 17]
    assert "HeadName><cmn:Text>総務翔子<" in provider[0]
    assert "<cmn:Member>" in provider[1] and "<juki:Status>found<" in provider[2]
    assert "葛\U000e0102西" in provider[3] and "hash-of-the-request" in provider[4]
    assert "<pfh:SystemId>Tax.Batch<" in provider[9]
    first = re.search(r"ExtractId>([^<]+)<", provider[12])[1]
    assert [re.search(r"ExtractId>([^<]+)<", provider[i])[1] for i in (13, 14, 15, 16)] == \
        [first] * 4
    assert "<juki:Page>2147483648<" in provider[16]
    assert re.search(r"ExtractId>([^<]+)<", provider[18])[1] != \
        re.search(r"ExtractId>([^<]+)<", provider[19])[1]
    assert [i for i, t in enumerate(subscriber) if "Fault>" in t] == [6, 11, 16, 18]
    assert subscriber[6].count("<pff:Finding>") == 2 and "codelist:change_reason" in subscriber[6]
    assert "PF-XML-DTD" in subscriber[16]
    observed = [t for t in subscriber if t.startswith("{")]
    assert observed == [
        f"{{'name': '{LONG_NAME}', 'changes_applied': 1}}",
        "{'name': \"O'BRIEN EMMA\", 'changes_applied': 1}",
        "{'name': '総務大輔', 'changes_applied': 1}", "{'name': '髙橋健一', 'changes_applied': 1}"]
    assert [i for i, t in enumerate(subscriber) if "<pfr:Status>duplicate<" in t] == [15]


def _relates_to(answer) -> str:
    return re.search(rb"RelatesTo>([^<]+)<", answer.body)[1].decode()


def _answer(adapter, message_id: str, answers: dict) -> None:
    answers["a"] = adapter.handle(inquiry("0000010014", message_id=message_id), TEXT_XML)


@pytest.mark.parametrize("defect", [None, "relates-to-shared-field"])
def test_relates_to_from_a_shared_field_names_another_request_under_concurrency(defect):
    """Request A is being answered when request B arrives: the variant's answer to A names B."""
    adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
    for _ in range(5):  # B must arrive within A's lookup (0.2 s): tried again if it did not
        a_id, b_id = str(uuid.uuid4()), str(uuid.uuid4())
        answers: dict = {}
        worker = threading.Thread(target=_answer, args=(adapter, a_id, answers))
        worker.start()
        while adapter.ninth.get("current") != a_id and worker.is_alive():
            threading.Event().wait(0.001)
        b = adapter.handle(inquiry("0000010022", message_id=b_id), TEXT_XML)
        worker.join()
        assert _relates_to(b) == b_id
        if defect is None:
            assert _relates_to(answers["a"]) == a_id
            return
        if _relates_to(answers["a"]) == b_id:
            return
    pytest.fail("the answer to A never named B")


@pytest.mark.parametrize("role", ["provider", "subscriber"])
def test_sent_at_with_the_utc_date_is_a_day_behind_before_nine_in_the_morning(
        tmp_path, monkeypatch, role):
    night = dt.datetime(2026, 12, 3, 17, 45, 10, tzinfo=dt.timezone.utc)  # 02:45 JST, the 4th
    monkeypatch.setattr(ninth, "utc_now", lambda: night)
    adapter = Adapter(role, GOV, "01" if role == "provider" else "07", "indie",
                      db=tmp_path / "s.sqlite3", defect="sent-at-utc-date-jst-time")
    raw = inquiry("0000010014") if role == "provider" else notice(change())
    answer = adapter.handle(raw, TEXT_XML)
    assert b"<pfh:SentAt>2026-12-03T02:45:10+09:00<" in answer.body  # JST: 2026-12-04
    noon = dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.timezone.utc)
    assert ninth.utc_date_jst_time(noon) == "2026-12-03T12:00:00+09:00"  # right after 09:00


def _over_http(url: str, raw: bytes) -> tuple[bytes, bytes]:
    """One POST on a kept-alive connection whose sending side is then shut: the server closes
    after its answer, so everything it wrote is read (head, body) without waiting on a clock."""
    host, port = url.split("/")[2].split(":")
    with socket.create_connection((host, int(port)), timeout=60) as s:
        s.sendall(b"POST /soap HTTP/1.1\r\nHost: indie\r\nContent-Type: text/xml; charset=utf-8"
                  b'\r\nSOAPAction: ""\r\nContent-Length: %d\r\n\r\n' % len(raw) + raw)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.lower(), body


@pytest.mark.parametrize(("role", "defect", "raw"), [
    ("provider", "large-answers-chunked-unterminated", extract(1, page_size=10)),
    ("subscriber", "fault-without-content-length", notice(change(number=BAD_CHECK_DIGIT)))])
def test_http_framing_variants_leave_the_end_of_an_answer_unknown(tmp_path, role, defect, raw):
    correct = IndependentAdapter(role, tmp_path, system_id="indie")
    variant = IndependentAdapter(role, tmp_path, system_id="indie", defect=defect)
    try:
        head, body = _over_http(correct.url, raw)
        assert b"content-length: %d" % len(body) in head and b"transfer-encoding" not in head
        head, body = _over_http(variant.url, raw)
    finally:
        correct.close()
        variant.close()
    assert b"content-length" not in head and b"connection: close" not in head
    if defect == "large-answers-chunked-unterminated":
        assert b"transfer-encoding: chunked" in head and len(body) > 8192
        assert not body.endswith(b"0\r\n\r\n")  # no last chunk: the answer never ends
    else:
        assert b"transfer-encoding" not in head and b"Fault>" in body
