"""Each variant of the fourth, fifth and sixth batches really takes effect (variants.py
FOURTH_BATCH, FIFTH_BATCH, SIXTH_BATCH).

A variant that behaves like the correct adapter on every input the standard allows would count
as a "miss" of the suite that is really the yardstick's own. Here the independent adapter runs
in-process (no suite, no hub): for each defect a short scenario of standard-conformant exchanges
— including a crash (the connection closed without commit) and a start on the same database —
and the transcript must differ from the correct adapter's (variant_transcripts.py: random parts
masked, so that only behaviour differs).
"""

from __future__ import annotations

import datetime as dt

import pytest

from .independent.adapter import JST
from .independent.variants import DEFECTS, FIFTH_BATCH, FOURTH_BATCH, SIXTH_BATCH
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, NOT_HELD, NOTICE_A, NOTICE_B, SOAP12,
                                  SOAP12_TYPE, change, extract, inquiry, move_clock, notice,
                                  transcript)

PROVIDER_STEPS = [
    inquiry("0000010022"),                                  # a member, not the 世帯主
    inquiry(NOT_HELD),                                      # not found
    (inquiry(BAD_CHECK_DIGIT, soap=SOAP12), SOAP12_TYPE),   # a SOAP 1.2 rule violation
    inquiry("890123456780", by="IndividualNumber"),         # check digit remainder 0
    inquiry("890123456780", by="IndividualNumber", as_of="2020-01-01"),  # not yet resident
    inquiry("0000010014", receiver=(GOV, "02", "indie")),   # another 業務ユニット
    inquiry("0000010065"), inquiry("0000010049"), inquiry("0000010073"), inquiry("0000010219"),
    inquiry("0000010014", sent_at=dt.datetime.now(JST) - dt.timedelta(minutes=30)),
    ("utf-16", inquiry("0000010014")),
    extract(1, request_id="R1"), extract(1, request_id="R1"), extract(1, as_of="2020-01-01"),
    ("page", 2), ("page", 9), extract(1, extract_id="unknown1"),
]
SUBSCRIBER_STEPS = [
    (notice(change(), soap=SOAP12), SOAP12_TYPE),
    (notice(change(number=BAD_CHECK_DIGIT), soap=SOAP12), SOAP12_TYPE),
    notice(change(reason="Z99")),                           # pattern-valid, not a 異動事由
    notice(change(number="0000010065", name="ROSSI VIOLA", given=None)),
    notice(change(seq=3, number="0000010022", name="総務大輔")),
    notice(change(seq=2, number="0000010022", name="総務大介")),  # older, arrives later
    ("observe", "0000010022"),
    notice(change(number="0000010073", name="𠮷田一郎")), ("observe", "0000010073"),
    ("utf-16", notice(change(number="0000010030", name="総務陽翔"))),
    notice(change(number="0000010057", name="髙橋美咲"),
           sent_at=dt.datetime.now(JST) - dt.timedelta(minutes=30)),
    notice(change(seq=5), message_id=NOTICE_A), notice(change(seq=5), message_id=NOTICE_A),
    notice(change(number="0000010049", name="髙橋健一"), message_id=NOTICE_B),
    ("crash",), ("observe", "0000010049"),   # killed right after the receipt, started again
    notice(change(number="0000010049", name="髙橋健一"), message_id=NOTICE_B),  # redelivered
]

STEPS = {"provider": PROVIDER_STEPS, "subscriber": SUBSCRIBER_STEPS}


# the fifth batch's scenario: each step is there for one or more of its variants
RESENT_11 = notice(change(seq=4, number="0000010014", name="総務翔子"), message_id=NOTICE_A)
RESENT_12 = notice(change(seq=1, number="0000010022", name="総務大輔"), soap=SOAP12,
                   message_id=NOTICE_B)
WITH_ORIGINAL = notice(change(number="0000010065", name="ROSSI VIOLA")).replace(
    b"</c:Text><c:Kana>", b"</c:Text><c:Original>ROSSI VIOLA</c:Original><c:Kana>")
# addressed to the hub, as every notice of variant_transcripts.notice is (docs/notices.md)
TO_THE_HUB = notice(change(number="0000010073", name="𠮷田一郎"))
FIFTH_PROVIDER_STEPS = [
    inquiry("0000010014"), inquiry("0000010030"),   # found; check digit remainder 0
    inquiry("0000010057"), inquiry("0000010065"),   # 旧氏 with an IVS; 外国人 with 方書
    inquiry("0000010073"), inquiry("0000010219"),   # 𠮷; half-width kana, full-width digits
    inquiry("0000010022"),                          # voiced readings
    inquiry("0000010022", as_of="2018-06-01"),      # a resident since that very day
    inquiry("0000010014", receiver=("011002", "01", "indie")),  # another 団体
    ("nested", inquiry("0000010014")), ("utf-16", inquiry("0000010014")),
    extract(1), ("page", 2), ("page", 3), extract(1, page_size=11),  # 11 residents: 1 page exactly
]
FIFTH_SUBSCRIBER_STEPS = [
    ("utf-16", notice(change(seq=1))),
    (RESENT_12, SOAP12_TYPE), (RESENT_12, SOAP12_TYPE),
    notice(change(seq=2, number="0000010030", name="総務陽翔")) + b"\n",
    notice(change(seq=9, number="0000010049", name="髙橋健一")),
    notice(change(seq=10, number="0000010049", name="髙橋健")),
    notice(change(seq=10, number="0000010049", name="髙橋健")),  # the same 異動, a new ID
    ("observe", "0000010049"),
    notice(change(seq=1, number="0000010057", name="髙橋美咲")), ("observe", "0000010057"),
    WITH_ORIGINAL, TO_THE_HUB,
    notice(change(seq=3, number="0000010219", name="神谷マリア")),
    notice(change(seq=2, number="0000010219", name="神谷ﾏﾘｱ")), ("observe", "0000010219"),
    notice(change(seq=1, number="0000010111", name="総務花子"),
           sent_at=dt.datetime.now(JST) - dt.timedelta(hours=2)),  # an outbox's late resend
    RESENT_11, RESENT_11, ("sleep", 1.2), RESENT_11,
    ("crash",), ("observe", "0000010014"), ("observe", "0000010049"),
]

CASES = sorted((name, role) for name in FOURTH_BATCH for role in DEFECTS[name][1])
FIFTH_CASES = sorted((name, role) for name in FIFTH_BATCH for role in DEFECTS[name][1])


@pytest.mark.parametrize(("defect", "role"), CASES)
def test_each_fourth_batch_variant_behaves_differently(tmp_path, defect, role):
    correct = transcript(role, tmp_path / "correct.sqlite3", None, STEPS[role])
    variant = transcript(role, tmp_path / "variant.sqlite3", defect, STEPS[role])
    assert variant != correct, f"{defect} ({role}): {DEFECTS[defect][2]} — no effect"


def test_the_scenarios_are_served_without_faults_where_none_is_due(tmp_path):
    """The yardstick's own check: the correct adapter answers the conformant steps, and two
    runs of it give the same transcript (the masking leaves only behaviour)."""
    assert transcript("provider", tmp_path / "p1.sqlite3", None, PROVIDER_STEPS) == \
        transcript("provider", tmp_path / "p2.sqlite3", None, PROVIDER_STEPS)
    provider = transcript("provider", tmp_path / "p.sqlite3", None, PROVIDER_STEPS)
    subscriber = transcript("subscriber", tmp_path / "s.sqlite3", None, SUBSCRIBER_STEPS)
    faults = [i for i, t in enumerate(provider) if "Fault>" in t]
    assert faults == [2, 5, 17], faults  # rule violation, other 業務ユニット, unknown extract
    assert [i for i, t in enumerate(subscriber) if "Fault>" in t] == [1, 2]
    assert "'name': '総務大輔'" in subscriber[6] and "𠮷田一郎" in subscriber[8]


@pytest.mark.parametrize(("defect", "role"), FIFTH_CASES)
def test_each_fifth_batch_variant_behaves_differently(tmp_path, monkeypatch, defect, role):
    if defect == "extract-sent-at-snapshot-date":  # today's midnight JST: -0 min at 00:00:20
        move_clock(monkeypatch, lambda now: now.replace(hour=9, minute=10))
    steps = FIFTH_PROVIDER_STEPS if role == "provider" else FIFTH_SUBSCRIBER_STEPS
    correct = transcript(role, tmp_path / "correct.sqlite3", None, steps)
    variant = transcript(role, tmp_path / "variant.sqlite3", defect, steps)
    assert variant != correct, f"{defect} ({role}): {DEFECTS[defect][2]} — no effect"


def test_the_fifth_scenarios_are_served_without_faults_where_none_is_due(tmp_path):
    provider = transcript("provider", tmp_path / "p.sqlite3", None, FIFTH_PROVIDER_STEPS)
    subscriber = transcript("subscriber", tmp_path / "s.sqlite3", None, FIFTH_SUBSCRIBER_STEPS)
    assert [i for i, t in enumerate(provider) if "Fault>" in t] == [8]  # another 団体
    assert not [t for t in subscriber if "Fault>" in t]
    assert "'changes_applied': 2" in subscriber[7]  # seq 9, then 10 once
    assert "'name': '神谷マリア'" in subscriber[14]  # the older 異動 stayed unapplied
    assert [t.count("duplicate") for t in subscriber[16:19]] == [0, 1, 1]  # across the second
    assert subscriber[-2:] == ["{'name': '総務翔子', 'changes_applied': 2}",
                               "{'name': '髙橋健', 'changes_applied': 2}"]  # the crash


# the sixth batch's scenario: standard-conformant inputs each of its variants answers otherwise
NOTICE_C = "3b9d2f10-6a4e-4c1b-8d2e-0f1a2b3c4d5e"
NOTICE_D = "7c0e3a21-5b6f-4d2c-9e3f-1a2b3c4d5e6f"
MIXED_CASE_12 = "Application/SOAP+XML; charset=utf-8"  # media types are case-insensitive


def _comment_in_body(raw: bytes) -> bytes:
    return raw.replace(b"<soap:Body>", b"<soap:Body><!-- vendor trace 42 -->", 1)


def _full(raw: bytes) -> bytes:
    return raw.replace(b"<pfh:LinkageKind>delta<", b"<pfh:LinkageKind>full<", 1)


def sixth_provider_steps() -> list:
    """Built when a test runs: SentAt relative to the clock then, not at collection."""
    now = dt.datetime.now(JST)
    return [
        inquiry("890123456780", by="IndividualNumber"),
        inquiry("0000010073"),                          # 住民状態 2 (転出者): held, found
        inquiry("0000010022", as_of="2017-01-01"),      # born 1987, resident since 2018: not found
        inquiry("1000004"),                             # a valid 7-digit 宛名番号, not held
        _comment_in_body(inquiry("0000010014")),
        (inquiry("0000010014", soap=SOAP12), MIXED_CASE_12),
        inquiry("0000010065"), inquiry("0000010014"),   # ヴィオラ, ロッシ, 方書 301号; ショウコ, 1番2号
        inquiry("0000010014", sent_at=now - dt.timedelta(minutes=10)),
        ("utf-16", inquiry("0000010014")),
        _full(extract(1, page_size=1000)),              # the largest page the XSD allows
    ]


def sixth_subscriber_steps() -> list:
    """Built when a test runs (a SentAt 100 s ahead must still be ahead then)."""
    now = dt.datetime.now(JST)
    return [
        ("utf-16", notice(change(seq=1))),
        _comment_in_body(notice(change(seq=2))),
        (notice(change(seq=3), soap=SOAP12), MIXED_CASE_12),
        notice(change(seq=1, number="0000010022", name="総務大輔"),
               change(seq=2, number="0000010022", name="総務大介")), ("observe", "0000010022"),
        notice(change(seq=5, number="0000010030", name="総務陽翔"),
               change(seq=4, number="0000010030", name="総務陽斗")), ("observe", "0000010030"),
        notice(change(number="0000010049", name="髙橋健一"), message_id=NOTICE_C),
        notice(change(number="0000010049", name="髙橋健一"), message_id=NOTICE_C),  # resent
        notice(change(seq=4)).replace(b"</pfh:MessageId>", b"</pfh:MessageId><pfh:RelatesTo>"
                                      + NOTICE_A.encode() + b"</pfh:RelatesTo>", 1),
        notice(change(seq=5)).replace(b"<c:IndividualNumber>890123456780</c:IndividualNumber>", b""),
        notice(change(seq=6)).replace(b"</c:OccurredOn>",  # a 転出予定届: notified before
                                      b"</c:OccurredOn><c:NotifiedOn>2025-03-20</c:NotifiedOn>"),
        notice(change(seq=2, number="0000010049", name="髙橋健一", reason="B01")),  # 国内転出
        ("observe", "0000010049"),
        notice(change(seq=2147483648, number="0000010057", name="髙橋美咲")),
        ("observe", "0000010057"),
        notice(change(number="0000010065", name="ROSSI VIOLA", given=None)), ("observe", "0000010065"),
        notice(change(seq=7, name="総務\u3000翔子")), ("observe", "0000010014"),
        notice(change(seq=8), sent_at=now + dt.timedelta(seconds=100)),  # within any clock skew
        notice(change(number="0000010219", name="神谷マリア"),
               change(number="0000010111", name="総務花子"), message_id=NOTICE_D),
        ("crash",), ("observe", "0000010111"),           # killed right after the receipt
        notice(change(number="0000010219", name="神谷マリア"),
               change(number="0000010111", name="総務花子"), message_id=NOTICE_D),  # redelivered
        ("observe", "0000010111"),
    ]


SIXTH_CASES = sorted((name, role) for name in SIXTH_BATCH for role in DEFECTS[name][1])


@pytest.mark.parametrize(("defect", "role"), SIXTH_CASES)
def test_each_sixth_batch_variant_behaves_differently(tmp_path, defect, role):
    steps = sixth_provider_steps() if role == "provider" else sixth_subscriber_steps()
    correct = transcript(role, tmp_path / "correct.sqlite3", None, steps)
    variant = transcript(role, tmp_path / "variant.sqlite3", defect, steps)
    assert variant != correct, f"{defect} ({role}): {DEFECTS[defect][2]} — no effect"


def test_the_sixth_scenarios_are_served_without_faults(tmp_path):
    provider = transcript("provider", tmp_path / "p.sqlite3", None, sixth_provider_steps())
    subscriber = transcript("subscriber", tmp_path / "s.sqlite3", None, sixth_subscriber_steps())
    assert not [t for t in provider + subscriber if "Fault>" in t]
    assert [t.count("found<") for t in provider[1:4]] == [1, 1, 1]  # found, not-found ×2
    assert "not-found" in provider[2] and "not-found" in provider[3]
    assert "<juki:TotalPages>1<" in provider[-1]
    assert subscriber[4] == "{'name': '総務大介', 'changes_applied': 2}"
    assert subscriber[6] == "{'name': '総務陽翔', 'changes_applied': 1}"  # seq 4 came later
    assert [t.count("duplicate") for t in subscriber[7:9]] == [0, 1]
    assert [subscriber[i] for i in (13, 15, 17, 19)] == [
        "{'name': '髙橋健一', 'changes_applied': 2}", "{'name': '髙橋美咲', 'changes_applied': 1}",
        "{'name': 'ROSSI VIOLA', 'changes_applied': 1}",
        "{'name': '総務\\u3000翔子', 'changes_applied': 7}"]  # repr() escapes U+3000
    assert [subscriber[-3], subscriber[-1]] == ["{'name': '総務花子', 'changes_applied': 1}"] * 2
    assert subscriber[-2].count("duplicate") == 1  # the redelivery after the restart
