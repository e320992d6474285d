"""Each variant of the fourth, fifth and sixth batches really takes effect (variants.py
FOURTH_BATCH, FIFTH_BATCH, SIXTH_BATCH).

A variant that behaves like the correct adapter on every input the standard allows would count
as a "miss" of the suite that is really the yardstick's own. Here the independent adapter runs
in-process (no suite, no hub): for each defect a short scenario of standard-conformant exchanges
— including a crash (the connection closed without commit) and a start on the same database —
and the transcript must differ from the correct adapter's. Random parts (IDs, SentAt) are
masked so that only behaviour differs: IDs become labels in order of first appearance, SentAt
its distance from now in minutes, its offset and its shape, the right RequestHash a placeholder.
A crash leaves the database files as a SIGKILL does: what was written, uncommitted work not.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import time
import uuid

import pytest

from .independent.adapter import JST, Adapter
from .independent.variants import DEFECTS, FIFTH_BATCH, FOURTH_BATCH, SIXTH_BATCH

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
GOV = "131016"
NOT_HELD = "0000100005"  # a valid 宛名番号 (modulus 11) that the test data does not hold
BAD_CHECK_DIGIT = "0000100006"


def request(body: str, *, service: str, soap: str = SOAP11, receiver=(GOV, "01", "indie"),
            sent_at: dt.datetime | None = None, message_id: str | None = None) -> bytes:
    sent = (sent_at or dt.datetime.now(JST)).isoformat(timespec="seconds")
    parties = "".join(
        f"<pfh:{role}><pfh:LocalGovCode>{g}</pfh:LocalGovCode><pfh:BusinessUnit>{u}"
        f"</pfh:BusinessUnit><pfh:SystemId>{s}</pfh:SystemId></pfh:{role}>"
        for role, (g, u, s) in (("Sender", (GOV, "07", "tax")), ("Receiver", receiver)))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{soap}">'
        f'<soap:Header><pfh:PlatformHeader xmlns:pfh="urn:pfbus:platform:header:v1">'
        f"<pfh:MessageId>{message_id or uuid.uuid4()}</pfh:MessageId>{parties}"
        f"<pfh:Service><pfh:ServiceId>{service}</pfh:ServiceId><pfh:Version>1.0</pfh:Version>"
        f"</pfh:Service><pfh:SentAt>{sent}</pfh:SentAt><pfh:UserId>batch</pfh:UserId>"
        f"<pfh:LinkageKind>delta</pfh:LinkageKind><pfh:StandardVersion>1.0"
        f"</pfh:StandardVersion></pfh:PlatformHeader></soap:Header>"
        f"<soap:Body>{body}</soap:Body></soap:Envelope>").encode()


def inquiry(key: str, *, by="AddresseeNumber", as_of=None, **kw) -> bytes:
    as_of_el = f"<j:AsOf>{as_of}</j:AsOf>" if as_of else ""
    return request(f'<j:ResidentInquiryRequest xmlns:j="urn:pfbus:unit:juki:v1"><j:{by}>{key}'
                   f"</j:{by}>{as_of_el}</j:ResidentInquiryRequest>",
                   service="juki.ResidentInquiry", **kw)


def extract(page: int, *, extract_id=None, as_of=None, request_id=None, page_size=3) -> bytes:
    parts = (f"<j:ExtractId>{extract_id}</j:ExtractId>" if extract_id else "") + \
        f"<j:Page>{page}</j:Page><j:PageSize>{page_size}</j:PageSize>" + \
        (f"<j:AsOf>{as_of}</j:AsOf>" if as_of else "") + \
        (f"<j:RequestId>{request_id}</j:RequestId>" if request_id else "")
    return request(f'<j:ResidentFullExtractRequest xmlns:j="urn:pfbus:unit:juki:v1">{parts}'
                   "</j:ResidentFullExtractRequest>", service="juki.ResidentFullExtract")


def notice(*changes, soap=SOAP11, message_id=None, sent_at=None) -> bytes:
    """changes: (sequence, 宛名番号, name, reason, kana given or None)."""
    body = "".join(
        f"<j:Change><j:Sequence>{seq}</j:Sequence><j:Event><c:Reason>{reason}</c:Reason>"
        f"<c:OccurredOn>2025-04-01</c:OccurredOn></j:Event><j:Resident>"
        f"<c:AddresseeNumber>{number}</c:AddresseeNumber>"
        f"<c:IndividualNumber>890123456780</c:IndividualNumber>"
        f"<c:HouseholdNumber>0000050016</c:HouseholdNumber><c:Name><c:Text>{name}</c:Text>"
        f"<c:Kana><c:Family>ソウム</c:Family>"
        + (f"<c:Given>{given}</c:Given>" if given else "") +
        "</c:Kana></c:Name><c:DateOfBirth>1990-04-01</c:DateOfBirth><c:Gender>2</c:Gender>"
        "<c:Relationship>01</c:Relationship><c:ResidentKind>1</c:ResidentKind>"
        "<c:ResidentStatus>1</c:ResidentStatus><c:Address><c:Prefecture>東京都</c:Prefecture>"
        "<c:City>千代田区</c:City><c:Town>霞が関</c:Town></c:Address></j:Resident></j:Change>"
        for seq, number, name, reason, given in changes)
    return request(f'<j:ResidentChangeNotice xmlns:j="urn:pfbus:unit:juki:v1" '
                   f'xmlns:c="urn:pfbus:platform:common:v1">{body}</j:ResidentChangeNotice>',
                   service="juki.ResidentChangeNotice", soap=soap, receiver=(GOV, "07", "indie"),
                   message_id=message_id, sent_at=sent_at)


def change(seq=1, number="0000010014", name="総務翔子", reason="C01", given="ショウコ"):
    return (seq, number, name, reason, given)


SOAP12_TYPE = "application/soap+xml; charset=utf-8"
TEXT_XML = "text/xml; charset=utf-8"
NOTICE_A = "6f1c2a3e-1b2c-4d5e-8f90-123456789abc"
NOTICE_B = "0d6e1f2a-3b4c-4d5e-9f01-23456789abcd"

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


def _mask(text: str, labels: dict) -> str:
    def sent_at(m):
        value = dt.datetime.fromisoformat(m[1])
        if value.tzinfo is None:
            return f"<SentAt naive {m[1][10:]}>"
        minutes = round((value - dt.datetime.now(JST)).total_seconds() / 60)
        return f"<SentAt {minutes:+d}min {value.utcoffset()} {re.sub(r'[0-9]', '9', m[1])}>"
    text = re.sub(r"SentAt>([^<]+)<", lambda m: sent_at(m) + "<", text)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}",
                  lambda m: labels.setdefault(m[0], f"ID{len(labels)}"), text)


def _crash(adapter, db) -> None:
    """SIGKILL: nothing runs after it; the files keep what was written (committed WAL frames
    not yet checkpointed included), uncommitted work is gone."""
    adapter.lock.acquire()
    files = [db.with_name(db.name + suffix) for suffix in ("", "-wal", "-shm")]
    on_disk = {f: f.read_bytes() for f in files[:2] if f.exists()}
    adapter.conn.close()  # rolls back; as the last connection it checkpoints: undone below
    for f in files:
        f.unlink(missing_ok=True)
    for f, data in on_disk.items():
        f.write_bytes(data)


def _nested(raw: bytes, depth: int = 60) -> bytes:
    """A vendor header block nested ``depth`` elements deep beside the platform header."""
    block = '<v:Trace xmlns:v="urn:example:vendor">' + "<v:n>" * depth + "</v:n>" * depth + \
        "</v:Trace>"
    return raw.replace(b"<soap:Header>", b"<soap:Header>" + block.encode(), 1)


def transcript(role: str, db, defect: str | None, steps=None) -> list[str]:
    make = lambda: Adapter(role, GOV, "01" if role == "provider" else "07", "indie",  # noqa: E731
                           db=db, defect=defect)
    adapter, labels, out, extract_id = make(), {}, [], None
    for step in steps or (PROVIDER_STEPS if role == "provider" else SUBSCRIBER_STEPS):
        if step[0] == "crash":
            _crash(adapter, db)
            adapter = make()
            continue
        if step[0] == "sleep":
            time.sleep(step[1])
            continue
        if step[0] == "observe":
            out.append(repr(adapter.observe(step[1])))
            continue
        if step[0] == "page":
            step = extract(step[1], extract_id=extract_id)
        if step[0] == "nested":
            step = _nested(step[1])
        if step[0] == "utf-16":
            raw = step[1].decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
            raw, ctype = raw.encode("utf-16"), "text/xml; charset=utf-16"
        else:
            raw, ctype = step if isinstance(step, tuple) else (step, TEXT_XML)
        _mask(raw.decode("utf-16" if ctype.endswith("16") else "utf-8"), labels)  # its IDs
        answer = adapter.handle(raw, ctype, '""')
        text = answer.body.decode("utf-8", "backslashreplace").replace(  # the right RequestHash
            base64.b64encode(hashlib.sha256(raw).digest()).decode(), "hash-of-the-request")
        if "FullExtractResponse" in text and extract_id is None:
            extract_id = re.search(r"ExtractId>([^<]+)<", text)[1]
        length = "" if answer.content_length is None else f" length {answer.content_length}"
        out.append(f"{answer.status} {answer.content_type}{length} {_mask(text, labels)}")
    return out


# the fifth batch's scenario: each step is there for one or more of its variants
RESENT_11 = notice(change(seq=4, number="0000010014", name="総務翔子"), message_id=NOTICE_A)
RESENT_12 = notice(change(seq=1, number="0000010022", name="総務大輔"), soap=SOAP12,
                   message_id=NOTICE_B)
WITH_ORIGINAL = notice(change(number="0000010065", name="ROSSI VIOLA")).replace(
    b"</c:Text><c:Kana>", b"</c:Text><c:Original>ROSSI VIOLA</c:Original><c:Kana>")
TO_THE_HUB = notice(change(number="0000010073", name="𠮷田一郎")).replace(
    b"<pfh:BusinessUnit>07</pfh:BusinessUnit><pfh:SystemId>indie</pfh:SystemId>",
    b"<pfh:BusinessUnit>01</pfh:BusinessUnit><pfh:SystemId>hub</pfh:SystemId>")
FIFTH_PROVIDER_STEPS = [
    inquiry("0000010014"), inquiry("0000010030"),   # found; check digit remainder 0
    inquiry("0000010057"), inquiry("0000010065"),   # 旧氏 with an IVS; 外国人 with 方書
    inquiry("0000010073"), inquiry("0000010219"),   # 𠮷; half-width kana, full-width digits
    inquiry("0000010022"),                          # voiced readings
    inquiry("0000010022", as_of="2018-06-01"),      # a resident since that very day
    inquiry("0000010014", receiver=("011002", "01", "indie")),  # another 団体
    ("nested", inquiry("0000010014")), ("utf-16", inquiry("0000010014")),
    extract(1), ("page", 2), ("page", 3), extract(1, page_size=5),  # 10 residents: 2 pages exactly
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
    correct = transcript(role, tmp_path / "correct.sqlite3", None)
    variant = transcript(role, tmp_path / "variant.sqlite3", defect)
    assert variant != correct, f"{defect} ({role}): {DEFECTS[defect][2]} — no effect"


def test_the_scenarios_are_served_without_faults_where_none_is_due(tmp_path):
    """The yardstick's own check: the correct adapter answers the conformant steps, and two
    runs of it give the same transcript (the masking leaves only behaviour)."""
    assert transcript("provider", tmp_path / "p1.sqlite3", None) == \
        transcript("provider", tmp_path / "p2.sqlite3", None)
    provider = transcript("provider", tmp_path / "p.sqlite3", None)
    subscriber = transcript("subscriber", tmp_path / "s.sqlite3", None)
    faults = [i for i, t in enumerate(provider) if "Fault>" in t]
    assert faults == [2, 5, 17], faults  # rule violation, other 業務ユニット, unknown extract
    assert [i for i, t in enumerate(subscriber) if "Fault>" in t] == [1, 2]
    assert "'name': '総務大輔'" in subscriber[6] and "𠮷田一郎" in subscriber[8]


@pytest.mark.parametrize(("defect", "role"), FIFTH_CASES)
def test_each_fifth_batch_variant_behaves_differently(tmp_path, defect, role):
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
