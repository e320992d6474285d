"""Each variant of the seventh batch really takes effect (variants.py SEVENTH_BATCH), in the way
of test_independent_variants_take_effect.py: the independent adapter in-process, a short scenario
of exchanges (a crash and a start on the same database included), and the variant's transcript
must differ from the correct adapter's."""

from __future__ import annotations

import datetime as dt

import pytest

from .independent.adapter import JST
from .independent.variants import DEFECTS, SEVENTH_BATCH
from .variant_transcripts import (BAD_CHECK_DIGIT, SOAP12, SOAP12_TYPE, change, extract, inquiry,
                                  notice, transcript)

NOTICE_E = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def _other_sender(raw: bytes) -> bytes:
    return raw.replace(b"<pfh:SystemId>tax</pfh:SystemId>", b"<pfh:SystemId>tax2</pfh:SystemId>",
                       1)


PROVIDER_STEPS = [
    inquiry("0000010049"),               # 髙, a member with 旧氏 葛+IVS, 続柄 01/03, no 方書
    inquiry("0000010030"),               # born in 令和3年
    inquiry(BAD_CHECK_DIGIT), (inquiry(BAD_CHECK_DIGIT, soap=SOAP12), SOAP12_TYPE),
    inquiry("890123456780", by="IndividualNumber"),
    extract(1, request_id="R7"),         # 11 residents, one 転出者, 3 a page
    ("page", 2), ("page", 3),            # by reading, pages 3 and 4 differ from by 宛名番号
    _other_sender(extract(1, request_id="R7")),  # another system's transfer, same RequestId
    extract(1, page_size=8),
    extract(1, as_of="1990-01-01"),      # nobody was resident yet: an empty extract
]


def subscriber_steps() -> list:
    """Built when a test runs (a 異動年月日 ahead of today, one SentAt for two notices)."""
    now = dt.datetime.now(JST)
    ahead = (now + dt.timedelta(days=30)).date().isoformat().encode()
    return [
        notice(change(seq=1)),
        (notice(change(seq=2), soap=SOAP12), SOAP12_TYPE),
        notice(change(number=BAD_CHECK_DIGIT)),
        (notice(change(number=BAD_CHECK_DIGIT), soap=SOAP12), SOAP12_TYPE),
        notice(change(number="0000010219", name="神谷マリア")), ("observe", "0000010219"),
        notice(change(number="0000010030", name="総務陽翔", reason="B01")).replace(
            b"<c:OccurredOn>2025-04-01<", b"<c:OccurredOn>" + ahead + b"<"),  # 転出予定
        ("observe", "0000010030"),
        notice(change(number="0000010049", name="髙橋健一"), sent_at=now),
        notice(change(number="0000010057", name="髙橋美咲"), sent_at=now),  # the same second
        ("observe", "0000010049"), ("observe", "0000010057"),
        notice(change(number="0000010065", name="ROSSI VIOLA ", given=None)),
        ("observe", "0000010065"),
        notice(change(seq=3, number="0000010022", name="総務大輔"), message_id=NOTICE_E),
        (notice(change(seq=3), soap=SOAP12), SOAP12_TYPE),
        ("crash",), ("observe", "0000010014"),  # killed right after the receipt
        notice(change(seq=3, number="0000010022", name="総務大輔"), message_id=NOTICE_E),
    ]


CASES = sorted((name, role) for name in SEVENTH_BATCH for role in DEFECTS[name][1])


@pytest.mark.parametrize(("defect", "role"), CASES)
def test_each_seventh_batch_variant_behaves_differently(tmp_path, defect, role):
    steps = PROVIDER_STEPS if role == "provider" else subscriber_steps()
    correct = transcript(role, tmp_path / "correct.sqlite3", None, steps)
    variant = transcript(role, tmp_path / "variant.sqlite3", defect, steps)
    assert variant != correct, f"{defect} ({role}): {DEFECTS[defect][2]} — no effect"


def test_the_seventh_scenarios_are_served_as_the_standard_says(tmp_path):
    """The yardstick's own check: the correct adapter faults only the wrong check digits, keeps
    every resident it was told of, and answers the redelivery after the crash 'duplicate'."""
    provider = transcript("provider", tmp_path / "p.sqlite3", None, PROVIDER_STEPS)
    subscriber = transcript("subscriber", tmp_path / "s.sqlite3", None, subscriber_steps())
    assert [i for i, t in enumerate(provider) if "Fault>" in t] == [2, 3]
    assert "<juki:TotalCount>11<" in provider[5] and "<juki:TotalPages>4<" in provider[5]
    assert "<juki:TotalPages>0<" in provider[-1]
    assert [i for i, t in enumerate(subscriber) if "Fault>" in t] == [2, 3]
    assert [subscriber[i] for i in (5, 7, 10, 11, 13, 16)] == [
        "{'name': '神谷マリア', 'changes_applied': 1}", "{'name': '総務陽翔', 'changes_applied': 1}",
        "{'name': '髙橋健一', 'changes_applied': 1}", "{'name': '髙橋美咲', 'changes_applied': 1}",
        "{'name': 'ROSSI VIOLA ', 'changes_applied': 1}",
        "{'name': '総務翔子', 'changes_applied': 3}"]
    assert subscriber[-1].count("duplicate") == 1
