"""Each variant of the eleventh batch really takes effect (variants.py ELEVENTH_BATCH, declared in
independent/eleventh.py), in the way of test_independent_tenth_batch.py: the independent adapter
in-process, a short scenario of standard-conformant exchanges (a crash and a start on the same
database included), and the variant's transcript must differ from the correct adapter's. The
one race of the batch (two deliveries of one notice at once) has a test of its own."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from .independent.adapter import JST, Adapter
from .independent.variants import APART, ELEVENTH_BATCH
from .variant_transcripts import (GOV, NOT_HELD, SOAP12, SOAP12_TYPE, TEXT_XML, change, extract,
                                  inquiry, notice, request, transcript, unheld_numbers)

REPEATED = "eeeeeeee-6666-4666-8666-666666666666"
REUSED = "ffffffff-7777-4777-8777-777777777777"
OLD = "abababab-8888-4888-8888-888888888888"
THRICE = "cdcdcdcd-9999-4999-9999-999999999999"
XSI = (b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
       b'xsi:schemaLocation="urn:pfbus:unit:juki:v1 juki-v1.xsd"')


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


def _block(raw: bytes, must_understand: str) -> bytes:
    """A vendor header block for the ultimate receiver before the platform header."""
    return _with(raw, b"<soap:Header>", f'<soap:Header><v:Trace xmlns:v="urn:example:vendor" '
                                        f'soap:mustUnderstand="{must_understand}">t</v:Trace>'
                                        .encode())


def _undeclared(raw: bytes) -> bytes:
    assert raw.startswith(b"<?xml")
    return raw.split(b"?>", 1)[1]


def _xsi(raw: bytes, element: bytes) -> bytes:
    """xsi:schemaLocation on the body element (the first tag naming ``element``)."""
    return _with(raw, element, element + XSI)




def provider_steps(tmp_path) -> list:
    included = tmp_path / "key.txt"
    included.write_text("0000010014", encoding="ascii")
    xinclude = request(
        '<j:ResidentInquiryRequest xmlns:j="urn:pfbus:unit:juki:v1" '
        'xmlns:xi="http://www.w3.org/2001/XInclude"><j:AddresseeNumber>'
        f'<xi:include href="{included.as_uri()}" parse="text"/></j:AddresseeNumber>'
        "</j:ResidentInquiryRequest>", service="juki.ResidentInquiry")
    return [
        (inquiry("0000010014", soap=SOAP12), SOAP12_TYPE),              # 0 SOAP 1.2 answer
        _block(inquiry("0000010022"), "1"),                             # 1 MustUnderstand (1.1)
        inquiry(NOT_HELD), inquiry(NOT_HELD),                           # 2, 3 not found twice
        extract(1), ("page", 4), ("page", 4), ("page", 9),              # 4–7 last page twice, past
        inquiry("0000010057"),                                          # 8 旧氏 葛󠄂西 カサイ
        inquiry("0000010065"),                                          # 9 外国人 ロッシ ヴィオラ
        extract(1, request_id="R11"), extract(1, request_id="R11"),     # 10–12 one RequestId
        extract(1, request_id="R11"),
        extract(1, as_of="2030-01-01", request_id="RA"),                # 13, 14 with a 基準日
        extract(1, as_of="2030-01-01", request_id="RA"),
        extract(1, request_id="RK"),                                    # 15, 16 two systems
        _with(extract(1, request_id="RK"), b"<pfh:BusinessUnit>07<", b"<pfh:BusinessUnit>11<"),
        extract(1, request_id="2026-11-initial"),                       # 17, 18 two transfers
        extract(1, request_id="2026-12-initial"),
        inquiry("234567890121", by="IndividualNumber"),                 # 19 a member (夫)
        xinclude,                                                       # 20 schema-invalid
        _with(extract(1), b"<j:PageSize>3<", b"<j:PageSize>03<"),       # 21 leading zero
        _xsi(inquiry("0000010022"), b"<j:ResidentInquiryRequest"),      # 22 xsi:schemaLocation
        _undeclared(inquiry("0000010022")),                             # 23 no declaration
        inquiry("0000000019"),                                          # 24 texts ending ―
        inquiry("0000010014", as_of="2015-04-01"),                      # 25 the day she came
        inquiry("0000010014", as_of="2016-01-01Z"),                     # 26 UTC
        inquiry("0000010014", as_of="2016-01-01-05:00"),                # 27 a negative offset
    ]


def subscriber_steps() -> list:
    n = unheld_numbers(18, 100011000)
    two_days_ago = dt.datetime.now(JST) - dt.timedelta(days=2)
    return [
        (notice(change(seq=1), soap=SOAP12), SOAP12_TYPE),                          # 0
        _block(notice(change(seq=2)), "1"),                                         # 1 refused
        (notice(change(seq=1, number=n[0]), soap=SOAP12, message_id=REPEATED), SOAP12_TYPE),
        (notice(change(seq=1, number=n[0]), soap=SOAP12, message_id=REPEATED), SOAP12_TYPE),
        notice(change(seq=1, number=n[1], name="甲"), message_id=REUSED),            # 4
        notice(change(seq=2, number=n[1], name="乙"), message_id=REUSED),            # 5 same ID
        notice(change(seq=1, number=n[2], name="一")),                               # 6
        notice(change(seq=5, number=n[2], name="五")),
        notice(change(seq=3, number=n[2], name="三")), ("observe", n[2]),            # 8, 9
        notice(change(seq=5, number=n[3], name="五")),                               # 10
        notice(change(seq=3, number=n[3], name="三"), change(seq=1, number=n[4], name="壱")),
        ("observe", n[4]),                                                          # 12
        notice(change(seq=1, number=n[5], name="長" * 60)), ("observe", n[5]),       # 13, 14
        _with(notice(change(seq=1, number=n[6])), b"<j:Sequence>1<", b"<j:Sequence>+1<"),
        _xsi(notice(change(seq=1, number=n[7])), b"<j:ResidentChangeNotice"),        # 16
        _undeclared(notice(change(seq=1, number=n[8]))),                            # 17
        notice(change(seq=1, number=n[9], name="A&amp;B")), ("observe", n[9]),       # 18, 19
        notice(change(seq=1, number=n[10], name="𠮷田")), ("observe", n[10]),
        notice(change(seq=1, number=n[11], name="か\u309aこ")), ("observe", n[11]),
        notice(change(seq=1, number=n[12], name="葛\U000e0102飾渡邊\U000e010e")),      # 24
        ("observe", n[12]),
        _with(notice(change(seq=1, number=n[13])), b"<c:OccurredOn>2025-04-01<",     # 26
              b"<c:OccurredOn>2025-04-01+09:00<"),
        _with(notice(change(seq=1, number=n[14])), b"1990-04-01", b"1989-01-05"),  # 昭和64年
        _with(notice(change(seq=1, number=n[15])), b"1990-04-01", b"1950-01-01"),  # 28
        notice(change(seq=1, number=n[16]), message_id=OLD, sent_at=two_days_ago),  # 29, 30
        notice(change(seq=1, number=n[16]), message_id=OLD, sent_at=two_days_ago),
        notice(change(seq=1, number=n[17]), message_id=THRICE),                     # 31–33
        notice(change(seq=1, number=n[17]), message_id=THRICE),
        notice(change(seq=1, number=n[17]), message_id=THRICE),
        notice(change(seq=2, number=n[0], name="甲"), change(seq=3, number=n[0], name="乙")),
        ("crash",), ("observe", n[0]),                                              # 34–36
        notice(*(change(seq=i, number=n[1], name=f"名{i}") for i in range(3, 15))),  # 37
        ("observe", n[1]),
    ]


RACE = "check-then-act-race"  # its own test: two deliveries at once
CASES = sorted((name, role) for name in ELEVENTH_BATCH for role in APART[name][1]
               if name != RACE)


@pytest.mark.parametrize(("defect", "role"), CASES)
def test_each_eleventh_batch_variant_behaves_differently(tmp_path, defect, role):
    steps = provider_steps(tmp_path) if role == "provider" else subscriber_steps()
    correct = transcript(role, tmp_path / "correct.sqlite3", None, steps)
    variant = transcript(role, tmp_path / "variant.sqlite3", defect, steps)
    assert variant != correct, f"{defect} ({role}): {APART[defect][2]} — no effect"


def _twice_at_once(tmp_path, defect):
    adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / f"{defect}.sqlite3",
                      defect=defect)
    raw = notice(change(seq=1, number="0000010014", name="総務翔子"))
    answers: list = []
    threads = [threading.Thread(target=lambda: answers.append(adapter.handle(raw, TEXT_XML)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(a.body.decode().split("<pfr:Status>")[1].split("<")[0] for a in answers)
    return statuses, adapter.observe("0000010014")


def test_two_deliveries_at_once_race_in_the_check_then_act_variant(tmp_path):
    assert _twice_at_once(tmp_path, None) == (
        ["applied", "duplicate"], {"name": "総務翔子", "changes_applied": 1})
    assert _twice_at_once(tmp_path, RACE) == (
        ["applied", "applied"], {"name": "総務翔子", "changes_applied": 2})


def test_the_eleventh_scenarios_are_served_as_the_standard_says(tmp_path):
    """The yardstick's own check: the correct adapter faults only the not-understood and the
    schema-invalid exchanges, and holds what each notice's state says."""
    provider = transcript("provider", tmp_path / "p.sqlite3", None, provider_steps(tmp_path))
    subscriber = transcript("subscriber", tmp_path / "s.sqlite3", None, subscriber_steps())
    assert [i for i, t in enumerate(provider) if "Fault>" in t] == [1, 20]
    assert "soap:MustUnderstand" in provider[1] and "PF-SCHEMA-INVALID" in provider[20]
    assert "application/soap+xml" in provider[0] and "encodingStyle" not in provider[0]
    assert "<juki:TotalPages>4<" in provider[7] and "<juki:TotalCount>11<" in provider[7]
    assert "<juki:Resident>" not in provider[7] and provider[6].count("<juki:Resident>") == 2
    assert "カサイ" in provider[8] and "葛\U000e0102西" in provider[8]
    assert "<cmn:Given>ヴィオラ<" in provider[9]
    extract_ids = [t.split("ExtractId>")[1].split("<")[0] for t in provider[10:19]]
    assert len(set(extract_ids[:3])) == 1 and extract_ids[3] == extract_ids[4]
    assert len({extract_ids[5], extract_ids[6], extract_ids[7], extract_ids[8]}) == 4
    assert "<cmn:Text>総務大輔<" in provider[19].split("<juki:Household>")[0]
    assert "<juki:ResidentFullExtractResponse" in provider[21]
    assert all("<juki:Status>found<" in provider[i] for i in (22, 23, 25, 26, 27))
    assert "¬―</cmn:Town>" in provider[24] and "¬―</cmn:Katagaki>" in provider[24]
    assert provider[2].split("RelatesTo")[1] != provider[3].split("RelatesTo")[1]
    assert [i for i, t in enumerate(subscriber) if "Fault>" in t] == [1]
    assert "soap:MustUnderstand" in subscriber[1]
    assert "application/soap+xml" in subscriber[3] and "<pfr:Status>duplicate<" in subscriber[3]
    assert "<pfr:Status>duplicate<" in subscriber[5]
    assert "<pfh:ServiceId>juki.ResidentChangeNotice<" in subscriber[4]
    assert all("<pfr:Status>duplicate<" in subscriber[i] for i in (30, 32, 33))
    observed = [t for t in subscriber if t.startswith(("{", "None"))]
    assert observed == [
        "{'name': '五', 'changes_applied': 2}", "{'name': '壱', 'changes_applied': 1}",
        "{'name': '" + "長" * 60 + "', 'changes_applied': 1}",
        "{'name': 'A&B', 'changes_applied': 1}", "{'name': '𠮷田', 'changes_applied': 1}",
        "{'name': 'か\u309aこ', 'changes_applied': 1}",
        "{'name': '葛\U000e0102飾渡邊\U000e010e', 'changes_applied': 1}",
        "{'name': '乙', 'changes_applied': 3}", "{'name': '名14', 'changes_applied': 13}"]
