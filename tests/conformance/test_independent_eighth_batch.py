"""Each variant of the eighth batch really takes effect (variants.py EIGHTH_BATCH), in the way of
test_independent_seventh_batch.py: the independent adapter in-process, a short scenario of
exchanges (a crash and a start on the same database included), and the variant's transcript must
differ from the correct adapter's."""

from __future__ import annotations

import re

import pytest

from .independent.variants import DEFECTS, EIGHTH_BATCH
from .variant_transcripts import (BAD_CHECK_DIGIT, SOAP12, SOAP12_TYPE, change, extract, inquiry,
                                  notice, transcript)

NOTICE_E = "7b2c3d4e-5f60-4a7b-9c8d-0e1f2a3b4c5d"
NOTICE_M = "8c3d4e5f-6a70-4b8c-8d9e-1f2a3b4c5d6e"
BAD_INDIVIDUAL_NUMBER = "123456789019"  # 123456789018 is valid


def _fraction(raw: bytes) -> bytes:
    """SentAt with milliseconds (xs:dateTime allows any fraction)."""
    return re.sub(rb"(<pfh:SentAt>[^<+]+)\+09:00", rb"\1.250+09:00", raw, count=1)


def _version(raw: bytes) -> bytes:
    return raw.replace(b"<pfh:StandardVersion>1.0<", b"<pfh:StandardVersion>1.1<", 1)


def _header_block(raw: bytes) -> bytes:
    """A vendor's header block beside the platform header (no mustUnderstand)."""
    return raw.replace(b"<soap:Header>", b'<soap:Header><v:Trace xmlns:v="urn:example:vendor">'
                       b"t-1</v:Trace>", 1)


def _crlf(raw: bytes) -> bytes:
    return raw.replace(b"<soap:Body>", b"\r\n<soap:Body>", 1)


def _elsewhere(raw: bytes) -> bytes:
    """Addressed to another municipality (横浜市)."""
    return raw.replace(b"<pfh:Receiver><pfh:LocalGovCode>131016<",
                       b"<pfh:Receiver><pfh:LocalGovCode>141003<", 1)


def _to_hub(raw: bytes) -> bytes:
    """A notice as the hub delivers it: addressed to the hub (notices.md)."""
    return raw.replace(b"<pfh:BusinessUnit>07</pfh:BusinessUnit><pfh:SystemId>indie<",
                       b"<pfh:BusinessUnit>01</pfh:BusinessUnit><pfh:SystemId>hub<", 1)


QUOTED = 'text/xml; charset="utf-8"'


def _both_role_steps(good, bad: bytes, bad12: bytes) -> list:
    """The variations every role is given: good exchanges (each a new message made by ``good``)
    written differently, bad ones faulted."""
    return [
        bad, (bad12, SOAP12_TYPE), _elsewhere(good()), (_elsewhere(good()), QUOTED),
        _header_block(good()), (good(), QUOTED), _crlf(good()), _fraction(good()),
        _version(good()),
    ]


PROVIDER_STEPS = [
    inquiry("0000010049"),                # 髙橋, a household of two
    inquiry("0000010065"),                # ROSSI VIOLA: 外国人, a space, 麹町, 5番地1
    inquiry("9999999996"),                # 都筑: ～∥－, ﾂﾂﾞｷ, born 2020-02-29 (令和2年)
    inquiry("0000000019"),                # 福田: 〜‖−¢£¬―, born 2000-02-29 (平成12年)
    inquiry("0000010014"),                # 霞が関 1番2号
    inquiry("00000010014"),               # another 宛名番号 (11 digits): not held
    inquiry("0000010014").replace(b">0000010014<", b"><![CDATA[0000010014]]><", 1),
    inquiry("0000010014", as_of="2024-02-29"),
    *_both_role_steps(lambda: inquiry("0000010030"),
                      inquiry(BAD_INDIVIDUAL_NUMBER, by="IndividualNumber"),
                      inquiry(BAD_INDIVIDUAL_NUMBER, by="IndividualNumber", soap=SOAP12)),
    extract(1, request_id="R8"),          # 11 residents, 3 a page: 4 pages
    ("page", 2), ("page", 9),             # a later page, a page past the end
    ("page", 2, 4),                       # the receiver asks 4 a page now
    extract(1, request_id="r8"),          # another RequestId
]


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


def subscriber_steps() -> list:
    seq53 = 2 ** 53
    bad_number = _with(notice(change(seq=1)), b"890123456780", BAD_INDIVIDUAL_NUMBER.encode())
    bad12 = _with(notice(change(seq=1), soap=SOAP12), b"890123456780",
                  BAD_INDIVIDUAL_NUMBER.encode())
    return [
        _to_hub(notice(change(seq=2))),
        notice(change(seq=1)),                                        # older than the held one
        notice(change(seq=3, reason="Z99")),                          # no such 異動事由
        *_both_role_steps(lambda: notice(change(seq=4)), bad_number, bad12),
        notice(change(seq=5), change(seq=6), message_id=NOTICE_M),
        notice(change(seq=5), change(seq=6), message_id=NOTICE_M),    # redelivered
        notice(change(seq=seq53, number="0000010022", name="総務大輔")),
        notice(change(seq=seq53 + 1, number="0000010022", name="総務大介")),
        ("observe", "0000010022"),
        notice(change(seq=10 ** 17 + 1, number="0000010030", name="総務陽翔")),  # 18 digits
        ("observe", "0000010030"),
        _with(notice(change(number="0000010219", name="神谷マリア")), b"</c:Name>",
              "</c:Name><c:FormerSurname><c:Text>神田</c:Text></c:FormerSurname>".encode()),
        ("observe", "0000010219"),
        notice(change(number="0000010049", name="髙橋健一"), change(number=BAD_CHECK_DIGIT)),
        ("observe", "0000010049"),
        notice(change(seq=5, number="0000010057", name="髙橋美咲")),
        notice(change(seq=7, number="0000010057", name="髙橋美咲")),   # the same state
        notice(change(seq=6, number="0000010057", name="葛西美咲")),   # older: not applied
        ("observe", "0000010057"),
        notice(change(number="0000010065", name="ROSSI VIOLA", given="ヴィオラ・マリア")),
        ("observe", "0000010065"),
        notice(change(number="0000000019", name="福田ﾊﾅ〜‖−¢£¬―")), ("observe", "0000000019"),
        _with(notice(change(number="0000010073", name="𠮷田一郎")), b"1990-04-01",
              b"1950-07-07"), ("observe", "0000010073"),
        notice(change(seq=9, number="0000010014", name="総務翔子"), message_id=NOTICE_E),
        ("crash",), ("observe", "0000010014"),                       # killed after the receipt
        notice(change(seq=9, number="0000010014", name="総務翔子"), message_id=NOTICE_E),
    ]


CASES = sorted((name, role) for name in EIGHTH_BATCH for role in DEFECTS[name][1])


@pytest.mark.parametrize(("defect", "role"), CASES)
def test_each_eighth_batch_variant_behaves_differently(tmp_path, defect, role):
    steps = PROVIDER_STEPS if role == "provider" else subscriber_steps()
    correct = transcript(role, tmp_path / "correct.sqlite3", None, steps)
    variant = transcript(role, tmp_path / "variant.sqlite3", defect, steps)
    assert variant != correct, f"{defect} ({role}): {DEFECTS[defect][2]} — no effect"


def test_the_eighth_scenarios_are_served_as_the_standard_says(tmp_path):
    """The yardstick's own check: the correct adapter faults only the bad and misrouted
    exchanges, pages as notices.md says, and keeps what it was told across the crash."""
    provider = transcript("provider", tmp_path / "p.sqlite3", None, PROVIDER_STEPS)
    subscriber = transcript("subscriber", tmp_path / "s.sqlite3", None, subscriber_steps())
    assert [i for i, t in enumerate(provider) if "Fault>" in t] == [8, 9, 10, 11]
    assert "<juki:Status>not-found<" in provider[5] and "<juki:Status>found<" in provider[6]
    assert "1990-04-01" not in provider[2] and "2020-02-29" in provider[2]
    past_end = provider[19]
    assert "<juki:Page>9<" in past_end and "<juki:TotalPages>4<" in past_end
    assert "Resident>" not in past_end.split("TotalCount")[-1]
    assert "<juki:TotalPages>3<" in provider[20]
    assert "StandardVersion>1.1<" in provider[16]
    assert [i for i, t in enumerate(subscriber) if "Fault>" in t] == [2, 3, 4, 5, 6, 21]
    assert "<pfr:Status>applied<" in subscriber[1]
    assert "<pfr:Status>duplicate<" in subscriber[13]
    observed = [t for t in subscriber if t.startswith("{") or t == "None"]
    assert observed == [
        "{'name': '総務大介', 'changes_applied': 2}", "{'name': '総務陽翔', 'changes_applied': 1}",
        "{'name': '神谷マリア', 'changes_applied': 1}", "None",
        "{'name': '髙橋美咲', 'changes_applied': 2}",
        "{'name': 'ROSSI VIOLA', 'changes_applied': 1}",
        "{'name': '福田ﾊﾅ〜‖−¢£¬―', 'changes_applied': 1}",
        "{'name': '𠮷田一郎', 'changes_applied': 1}", "{'name': '総務翔子', 'changes_applied': 5}"]
    assert "<pfr:Status>duplicate<" in subscriber[-1]
