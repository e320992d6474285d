"""Each variant of the tenth batch really takes effect (variants.py TENTH_BATCH, declared in
independent/tenth.py), in the way of test_independent_ninth_batch.py: the independent adapter
in-process, a short scenario of standard-conformant exchanges (a crash and a start on the same
database included), and the variant's transcript must differ from the correct adapter's."""

from __future__ import annotations

import pytest

from .independent.variants import APART, TENTH_BATCH
from .variant_transcripts import (GOV, NOT_HELD, SOAP12, SOAP12_TYPE, change, extract, inquiry,
                                  notice, request, transcript, unheld_numbers)

RESENT = "bbbbbbbb-3333-4333-8333-333333333333"
REDELIVERED = "cccccccc-4444-4444-8444-444444444444"
NEXT = "http://www.w3.org/2003/05/soap-envelope/role/next"


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


def _block(raw: bytes, must_understand: str, role: str | None = None) -> bytes:
    """A vendor header block before the platform header ('soap' is the envelope's prefix)."""
    attrs = f' soap:mustUnderstand="{must_understand}"' + (f' soap:role="{role}"' if role else "")
    return _with(raw, b"<soap:Header>", f'<soap:Header><v:Trace xmlns:v="urn:example:vendor"'
                                        f'{attrs}>t</v:Trace>'.encode())


def _bad_header(raw: bytes) -> bytes:
    """A UserId with a space: header-v1.xsd UserIdType does not allow it."""
    return _with(raw, b"<pfh:UserId>batch<", b"<pfh:UserId>bad user<")


def _indented(raw: bytes) -> bytes:
    return _with(raw, b"<soap:Body>", b"\n  <soap:Body>\n    ")




DEFAULT_NAMESPACE = request(
    '<ResidentInquiryRequest xmlns="urn:pfbus:unit:juki:v1"><AddresseeNumber>0000010022'
    "</AddresseeNumber></ResidentInquiryRequest>", service="juki.ResidentInquiry")

PROVIDER_STEPS = [
    (inquiry("0000010014", soap=SOAP12), SOAP12_TYPE),      # 霞が関; SOAP 1.2 reply header
    _bad_header(inquiry("0000010014")),
    inquiry("0000010014", receiver=(GOV, "01", "other")),   # misrouted
    extract(1, request_id="R10"), ("page", 9),              # readings; a page past the end
    (inquiry(NOT_HELD, soap=SOAP12), SOAP12_TYPE),
    inquiry("123456789018", by="IndividualNumber"),         # 世帯主 of a household of three
    inquiry("12345678901234567"),                           # 17 digits: schema-invalid
    _indented(inquiry("0000010022")),
    DEFAULT_NAMESPACE,
    _block(inquiry("0000010022"), "0"),                     # optional: answered
    (_block(inquiry("0000010022", soap=SOAP12), "true", NEXT), SOAP12_TYPE),  # refused
    extract(1, page_size=1),
    inquiry("000000000000", by="IndividualNumber"),         # check digit holds: not found
    inquiry("0000010049"),                                  # 髙橋健一
    inquiry("0000000019"),                                  # born 2000-02-29
    inquiry("0000010014", as_of="1899-12-31"),              # not yet resident: not found
]


def subscriber_steps() -> list:
    n = unheld_numbers(19, 100001000)
    same_body = notice(change(seq=1, number=n[18], name="同一"))
    return [
        (notice(change(seq=1), soap=SOAP12), SOAP12_TYPE),
        _bad_header(notice(change(seq=2))),
        _block(notice(change(seq=2)), "1"),                 # not understood: refused
        _block(notice(change(seq=2)), "0"),                 # optional: applied
        _indented(notice(change(seq=3))),
        notice(change(seq=4), message_id=RESENT), notice(change(seq=4), message_id=RESENT),
        notice(change(seq=5, reason="Z99"), change(seq=6, reason="Z98")),  # two findings
        notice(change(seq=1, number=n[0], name="一郎"),
               change(seq=2, number=n[0], name="二郎", reason="Z99")), ("observe", n[0]),
        notice(change(seq=20, number=n[1], name="甲"), change(seq=2, number=n[2], name="乙")),
        ("observe", n[2]),
        notice(*(change(seq=i, number=n[3], name=f"名{i}") for i in range(1, 12))),
        ("observe", n[3]),
        _with(notice(change(seq=30)), b"<pfh:SystemId>tax<", b"<pfh:SystemId>" + b"t" * 40 + b"<"),
        notice(change(seq=1, number=n[4], name="A&amp;B&#x9AD9;")), ("observe", n[4]),
        notice(change(seq=1, number=n[5], name="渡邊\U000e010e")), ("observe", n[5]),
        notice(change(seq=1, number=n[6], name="か\u309aこ")),
        notice(change(seq=1, number=n[7], name="ＪＯＨＮ")),
        notice(change(seq=1, number=n[8], name="ジョン", given="ジョン・ポール")),
        notice(change(seq=1, number=n[9], name="𠮷田")), ("observe", n[9]),
        _with(notice(change(seq=1, number=n[10])), b"1990-04-01", b"2000-02-29"),
        _with(notice(change(seq=1, number=n[11])), b"<c:OccurredOn>2025-04-01<",
              b"<c:OccurredOn>2019-05-01<"),
        _with(notice(change(seq=1, number=n[12])), b"<c:OccurredOn>2025-04-01<",
              b"<c:OccurredOn>1990-04-01<"),              # 出生: the day of birth
        notice(change(seq=5, number=n[13], name="新")), notice(change(seq=3, number=n[13],
                                                                     name="旧")),
        notice(change(seq=4, number=n[13], name="中")), ("observe", n[13]),
        notice(change(seq=5, number=n[14], name="除", reason="B01")),
        notice(change(seq=3, number=n[14], name="前", reason="A01")), ("observe", n[14]),
        notice(change(seq=100, number=n[15], name="百")),
        notice(change(seq=2, number=n[16], name="二")), ("observe", n[16]),
        notice(change(seq=1, number=n[17]), message_id=REDELIVERED), ("crash",),
        notice(change(seq=1, number=n[17]), message_id=REDELIVERED),
        same_body, _with(same_body, same_body[same_body.index(b"<pfh:MessageId>"):][:51],
                         b"<pfh:MessageId>dddddddd-5555-4555-8555-555555555555"),
    ]


CASES = sorted((name, role) for name in TENTH_BATCH for role in APART[name][1])


@pytest.mark.parametrize(("defect", "role"), CASES)
def test_each_tenth_batch_variant_behaves_differently(tmp_path, defect, role):
    steps = PROVIDER_STEPS if role == "provider" else subscriber_steps()
    correct = transcript(role, tmp_path / "correct.sqlite3", None, steps)
    variant = transcript(role, tmp_path / "variant.sqlite3", defect, steps)
    assert variant != correct, f"{defect} ({role}): {APART[defect][2]} — no effect"


def test_the_tenth_scenarios_are_served_as_the_standard_says(tmp_path):
    """The yardstick's own check: the correct adapter faults only the invalid, misrouted,
    not-understood and rule-breaking exchanges, and holds what each notice's state says."""
    provider = transcript("provider", tmp_path / "p.sqlite3", None, PROVIDER_STEPS)
    subscriber = transcript("subscriber", tmp_path / "s.sqlite3", None, subscriber_steps())
    assert [i for i, t in enumerate(provider) if "Fault>" in t] == [1, 2, 7, 11]
    assert "PF-HEADER-INVALID" in provider[1] and "PF-MUST-UNDERSTAND" in provider[11]
    assert "<juki:TotalPages>4<" in provider[4] and "<juki:Resident>" not in provider[4]
    assert "<juki:Status>not-found<" in provider[5] and provider[6].count("<cmn:Member>") == 3
    assert provider[12].count("<juki:Resident>") == 1 and "霞が関" in provider[0]
    assert "<juki:Status>not-found<" in provider[13] and "2000-02-29" in provider[15]
    assert "<cmn:Text>髙橋健一<" in provider[14] and "ソウム" in provider[3]
    assert "<juki:Status>not-found<" in provider[16]
    assert [i for i, t in enumerate(subscriber) if "Fault>" in t] == [1, 2, 7, 8]
    assert subscriber[7].count("<pff:Finding>") == 2
    assert "PF-MUST-UNDERSTAND" in subscriber[2] and "soap:MustUnderstand" in subscriber[2]
    observed = [t for t in subscriber if t.startswith(("{", "None"))]
    assert observed == [
        "None", "{'name': '乙', 'changes_applied': 1}", "{'name': '名11', 'changes_applied': 11}",
        "{'name': 'A&B髙', 'changes_applied': 1}",
        "{'name': '渡邊\U000e010e', 'changes_applied': 1}",
        "{'name': '𠮷田', 'changes_applied': 1}", "{'name': '新', 'changes_applied': 1}",
        "{'name': '除', 'changes_applied': 1}", "{'name': '二', 'changes_applied': 1}"]
    receipts = [t for t in subscriber if "<pfr:Status>" in t]
    assert sum("<pfr:Status>duplicate<" in t for t in receipts) == 2  # the resend, the redelivery
    assert "<pfr:Status>applied<" in subscriber[-1]  # a new MessageId, the same body
    assert "<pfh:SystemId>" + "t" * 40 + "<" in subscriber[14]
