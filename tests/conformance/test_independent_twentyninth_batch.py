"""Each variant of the twenty-ninth batch really takes effect (variants.py TWENTYNINTH_BATCH,
declared in independent/twentyninth.py), in the way of the twenty-seventh batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. The clock is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not
depend on when the tests run; the variants that read the clock (the reply's SentAt, how long a
MessageId stays online) are shown to take effect at a second instant too, 00:30 JST on the first
day of a year."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from lxml import etree

from .independent.adapter import JST
from .independent.standard import CMN, JUKI, PFF, PFH
from .independent.twentyninth import TWENTYNINTH_MEASURED_MISSES, double_escaped, pretty_line
from .independent.twentyninth_store import after_uro_1_1, keep_until
from .independent.variants import APART, TWENTYNINTH_BATCH
from .variant_transcripts import replaced as _with
from .variant_transcripts import (NEW_YEAR, PINNED, clock_from, neutral_scenario_tests,
                                  variant_effect_tests, BAD_CHECK_DIGIT, NOT_HELD, NOTICE_A, SOAP11,
                                  SOAP12, SOAP12_TYPE, TEXT_XML, adapter_answer,
                                  assert_declared_apart, batch_cases, change, extract, inquiry,
                                  notice, transcript)

# the variants that read the clock: shown at NEW_YEAR too
DATED = {"sent-at-epoch-seconds-directive", "seen-ids-expire-two-years-after-occurred-on"}
DURABLE = {"seen-ids-rebuilt-from-receive-log-on-start", "seen-ids-migration-rerun-keeps-uuid4",
           "first-notice-after-start-in-initial-load-mode"}
NOTICE_V7 = "0192f3a4-5b6c-7d8e-9f01-23456789abcd"  # a MessageId of UUID version 7
DRAFT = "http://www.w3.org/2001/12/soap-envelope"  # a SOAP 1.2 working draft's namespace


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, PINNED)


def _unit_03(raw: bytes) -> bytes:
    """The Sender (the first party of the header) of 業務ユニット 03 外国人."""
    return _with(raw, "<pfh:BusinessUnit>07<", "<pfh:BusinessUnit>03<")


def _draft(raw: bytes) -> bytes:
    """The envelope in a SOAP 1.2 working draft's namespace: a version error."""
    return _with(raw, SOAP11, DRAFT)


def _geta(raw: bytes) -> bytes:
    return _with(raw, "<c:Text>〓橋美咲</c:Text>",
                 "<c:Text>〓橋美咲</c:Text><c:Original>髙橋美咲</c:Original>")


def _old(raw: bytes) -> bytes:
    """A change of an event of 2020 (more than two years before the pinned days)."""
    return _with(raw, "<c:OccurredOn>2025-04-01<", "<c:OccurredOn>2020-04-01<")


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "rule-finding-line-of-pretty-copy": [inquiry(BAD_CHECK_DIGIT)],
        "extract-pages-labelled-application-xml": [extract(1)],
        "household-number-of-requested-key": [inquiry("0000010014")],
        "version-mismatch-fault-as-client": [_draft(inquiry("0000010014"))],
        "sender-unit-03-merged-refused": [_unit_03(inquiry("0000010014"))],
        "last-page-limit-remainder": [extract(1, page_size=1, as_of="1999-01-01")],
        "extract-nonbmp-double-escaped": [extract(1, page_size=20)],
        "sent-at-epoch-seconds-directive": [inquiry("0000010014")],
        "dated-members-dates-as-timestamps": [inquiry("0000010014", as_of="2025-01-01")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    first = notice(change(), message_id=NOTICE_A)
    later = dt.datetime.now(JST) - dt.timedelta(minutes=3)
    c11 = notice(change(reason="C11"), message_id=NOTICE_A)
    old = _old(notice(change(), message_id=NOTICE_A))
    bad = notice(change(number=BAD_CHECK_DIGIT), message_id=NOTICE_A)
    v7 = notice(change(), message_id=NOTICE_V7)
    steps: dict[str, list] = {
        "duplicate-receipt-request-hash-of-first": [  # the same MessageId, another SentAt
            first, notice(change(), message_id=NOTICE_A, sent_at=later)],
        "rule-finding-line-of-pretty-copy": [notice(change(number=BAD_CHECK_DIGIT))],
        "ex-officio-correction-id-not-recorded": stored(c11, c11),
        "version-mismatch-fault-as-client": [_draft(one)],
        "reason-two-character-column-internal": stored(notice(change(reason="C12"))),
        "sender-unit-03-merged-refused": stored(_unit_03(one)),
        "removal-reason-status-cross-checked": stored(notice(change(reason="B05"))),
        "name-uro-unicode-1-1-range-refused": stored(notice(change(name="総務鿃子"))),
        "stores-original-when-text-has-geta": stored(_geta(notice(change(name="〓橋美咲")))),
        "sent-at-epoch-seconds-directive": [one],
        "seen-ids-expire-two-years-after-occurred-on": stored(old, old),
        "seen-ids-rebuilt-from-receive-log-on-start": [bad, ("crash",), bad],
        "seen-ids-migration-rerun-keeps-uuid4": stored(v7, ("crash",), v7),
        "first-notice-after-start-in-initial-load-mode": stored(
            notice(change(seq=2)), ("crash",), notice(change(seq=1, name="総務花子"))),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
CASES = batch_cases(TWENTYNINTH_BATCH, APART)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(TWENTYNINTH_BATCH, APART, min_per_class=3)
    assert len(roles) == len(CASES) and len(TWENTYNINTH_BATCH) == len(set(TWENTYNINTH_BATCH))
    assert len(TWENTYNINTH_BATCH) >= 18 and len(roles) >= 22
    assert roles.count("subscriber") >= 13 and roles.count("provider") >= 9
    assert DATED <= TWENTYNINTH_BATCH and DURABLE <= TWENTYNINTH_BATCH


def test_the_measured_misses_are_of_the_batch():
    assert set(TWENTYNINTH_MEASURED_MISSES) <= TWENTYNINTH_BATCH
    assert len(TWENTYNINTH_MEASURED_MISSES) == 2  # 21/23 on the suite of 08332c6


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.2 inquiry of a resident not held and a SOAP 1.1 one by 個人番号 (ROSSI VIOLA,
    alone in her household, no 基準日); a first 全件 page as of 1999-01-01 (髙橋健一 alone, in
    pages of 3). Two 転居 (C01) of one resident (JIS X 0208 names and readings, born 1990, an
    event of 2025, 住民状態 1, Sender 業務ユニット 07, UUID 4 MessageIds) over SOAP 1.2, one per
    notice, sent in order, observed; a restart; the second delivered again (duplicate)."""
    second = (notice(change(seq=2, number="0000010049", name="高橋健二"), soap=SOAP12,
                     message_id=NOTICE_A), SOAP12_TYPE)
    return {
        "provider": [(inquiry(NOT_HELD, soap=SOAP12), SOAP12_TYPE),
                     inquiry("678901234562", by="IndividualNumber"),
                     extract(1, page_size=3, as_of="1999-01-01")],
        "subscriber": [(notice(change(number="0000010049", name="高橋健一"), soap=SOAP12),
                        SOAP12_TYPE), second, ("observe", "0000010049"), ("crash",), second],
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO = {  # every reply's SentAt; every 全件 page's Content-Type
    "provider": {"sent-at-epoch-seconds-directive", "extract-pages-labelled-application-xml"},
    "subscriber": {"sent-at-epoch-seconds-directive"}}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def _tree(defect, raw, ctype=TEXT_XML, role="provider", db=None):
    return etree.fromstring(adapter_answer(role, defect, raw, ctype, db=db).body)


def _observed(tmp_path, defect, steps) -> list[str]:
    """The subscriber's transcript of ``steps`` on a store of its own (a fresh file each time)."""
    return transcript("subscriber", tmp_path / f"{defect}-{uuid.uuid4().hex}.sqlite3", defect,
                      steps)


def _page(transcript_line: str) -> list[str]:
    """The 宛名番号 of a 全件 page's residents, in order (a transcript's line: masked text)."""
    return re.findall(r"<juki:Resident><cmn:AddresseeNumber>([0-9]+)<", transcript_line)


def test_the_provider_variants_answer_what_they_say():
    name = "household-number-of-requested-key"
    number = f".//{{{JUKI}}}Household/{{{CMN}}}HouseholdNumber"
    assert _tree(None, inquiry("0000010014")).findtext(number) == "0000050016"
    wrong = _tree(name, inquiry("0000010014"))
    assert wrong.findtext(number) == "0000010014"
    assert wrong.findtext(f".//{{{JUKI}}}Resident/{{{CMN}}}HouseholdNumber") == "0000050016"
    assert _tree(name, inquiry("123456789018", by="IndividualNumber")).findtext(number) == \
        "0000050016"  # by 個人番号: right
    name = "dated-members-dates-as-timestamps"
    born = f".//{{{JUKI}}}Household/{{{CMN}}}Member/{{{CMN}}}DateOfBirth"
    assert [d.text for d in _tree(name, inquiry("0000010014", as_of="2025-01-01")).iterfind(
        born)] == ["1990-04-01 00:00:00", "1987-11-23 00:00:00", "2021-06-15 00:00:00"]
    assert _tree(name, inquiry("0000010014")).findtext(born) == "1990-04-01"  # no AsOf: right
    name = "extract-pages-labelled-application-xml"
    assert adapter_answer("provider", name, extract(1)).content_type.startswith("application/xml")
    assert adapter_answer("provider", name, inquiry("0000010014")).content_type.startswith(
        "text/xml")
    unknown = extract(2, extract_id="not-an-extract")
    assert adapter_answer("provider", name, unknown).content_type.startswith("text/xml")
    name = "last-page-limit-remainder"
    assert _page(transcript("provider", None, name, [extract(1, page_size=1,
                                                             as_of="1999-01-01")])[0]) == []
    assert _page(transcript("provider", None, None, [extract(1, page_size=1,
                                                             as_of="1999-01-01")])[0]) == \
        ["0000010049"]
    steps = [extract(1), ("page", 4)]  # 11 residents in pages of 3: the last holds 2, right
    assert transcript("provider", None, name, steps) == transcript("provider", None, None, steps)
    name = "extract-nonbmp-double-escaped"
    page = adapter_answer("provider", name, extract(1, page_size=20)).body.decode()
    assert "&amp;#x20BB7;田一郎" in page and "𠮷" not in page
    assert "𠮷田一郎" in adapter_answer("provider", name, inquiry("0000010073")).body.decode()


def test_the_fault_variants_fault_as_they_say(tmp_path):
    name = "version-mismatch-fault-as-client"
    for soap, ctype in ((SOAP11, TEXT_XML), (SOAP12, SOAP12_TYPE)):
        raw = _with(inquiry("0000010014", soap=soap), soap, DRAFT)
        right, wrong = (adapter_answer("provider", d, raw, ctype) for d in (None, name))
        assert b"VersionMismatch" in right.body and b"VersionMismatch" not in wrong.body
        assert b"PF-SOAP-ENVELOPE" in wrong.body and right.status == 500
        assert wrong.status == (400 if soap == SOAP12 else 500)
    name = "rule-finding-line-of-pretty-copy"
    lines = f".//{{{PFF}}}Finding/{{{PFF}}}Line"
    wrong = _tree(name, inquiry(BAD_CHECK_DIGIT))
    assert [int(x.text) > 1 for x in wrong.iterfind(lines)] == [True]
    assert [c.tag.split("}")[1] for c in wrong.find(f".//{{{PFF}}}Finding")] == \
        ["Rule", "Line", "Message"]
    assert _tree(None, inquiry(BAD_CHECK_DIGIT)).find(lines) is None
    other = _tree(name, inquiry("0000010014", receiver=("131016", "01", "other")))
    assert other.find(lines) is None  # another fault: no Line, as before
    name = "sender-unit-03-merged-refused"
    assert b"PF-HEADER-INVALID" in adapter_answer("provider", name,
                                                  _unit_03(inquiry("0000010014"))).body
    for unit in ("02", "04", "26"):
        raw = _with(inquiry("0000010014"), "<pfh:BusinessUnit>07<",
                    f"<pfh:BusinessUnit>{unit}<")
        assert b"<juki:Status>found<" in adapter_answer("provider", name, raw).body


def test_the_reply_header_variants_write_what_they_say(tmp_path):
    sent = f".//{{{PFH}}}SentAt"
    wrong = _tree("sent-at-epoch-seconds-directive", inquiry("0000010014")).findtext(sent)
    assert re.fullmatch(r"2026-12-09T15:2[0-9]:17967[0-9]{5}\+09:00", wrong)
    name = "duplicate-receipt-request-hash-of-first"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "hash-of-the-request" in right[1] and "hash-of-the-request" not in wrong[1]
    assert right[0] == wrong[0] and "duplicate</pfr:Status>" in wrong[1]
    same = [notice(change(), message_id=NOTICE_A)] * 2  # the same bytes again: right
    assert _observed(tmp_path, None, same) == _observed(tmp_path, name, same)


def test_the_dated_variants_at_new_year(tmp_path, monkeypatch):
    clock_from(monkeypatch, NEW_YEAR)
    wrong = _tree("sent-at-epoch-seconds-directive", inquiry("0000010014")).findtext(
        f".//{{{PFH}}}SentAt")
    assert wrong.startswith("2027-01-01T00:3") and ":17987" in wrong
    name = "seen-ids-expire-two-years-after-occurred-on"
    steps = subscriber_steps(name)
    assert "applied</pfr:Status>" in _observed(tmp_path, name, steps)[1]


def test_the_refusing_store_variants_refuse(tmp_path):
    for name, code in (("reason-two-character-column-internal", "PF-PROVIDER-INTERNAL"),
                       ("sender-unit-03-merged-refused", "PF-HEADER-INVALID"),
                       ("removal-reason-status-cross-checked", "VENDOR-STATUS"),
                       ("name-uro-unicode-1-1-range-refused", "VENDOR-CHARACTER")):
        steps = subscriber_steps(name)
        correct, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
        assert code in wrong[0] and wrong[-1] == "None", name
        assert "applied</pfr:Status>" in correct[0] and "'name'" in correct[-1], name
    for name, raw in (("reason-two-character-column-internal", notice(change(reason="C09"))),
                      ("reason-two-character-column-internal", notice(change(reason="A07"))),
                      ("removal-reason-status-cross-checked",
                       _with(notice(change(reason="B01")), "<c:ResidentStatus>1<",
                             "<c:ResidentStatus>2<")),
                      ("removal-reason-status-cross-checked", notice(change(reason="C12"))),
                      ("name-uro-unicode-1-1-range-refused", notice(change(name="龥子"))),
                      ("sender-unit-03-merged-refused", notice(change()))):
        correct, wrong = (_observed(tmp_path, d, [raw])[0] for d in (None, name))
        assert "applied</pfr:Status>" in correct and "applied</pfr:Status>" in wrong, name


def test_the_store_variants_hold_what_they_say(tmp_path):
    name = "stores-original-when-text-has-geta"
    steps = subscriber_steps(name)
    assert "'name': '〓橋美咲'" in _observed(tmp_path, None, steps)[-1]
    assert "'name': '髙橋美咲'" in _observed(tmp_path, name, steps)[-1]
    plain = [notice(change(name="〓橋美咲")), ("observe", "0000010014")]  # no Original: right
    assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain)
    name = "ex-officio-correction-id-not-recorded"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "duplicate</pfr:Status>" in right[1] and "applied</pfr:Status>" in wrong[1]
    assert right[-1] == wrong[-1]  # the state is right: only the MessageId is lost
    c12 = [notice(change(reason="C12"), message_id=NOTICE_A)] * 2
    assert _observed(tmp_path, None, c12) == _observed(tmp_path, name, c12)
    name = "seen-ids-expire-two-years-after-occurred-on"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "duplicate</pfr:Status>" in right[1] and "applied</pfr:Status>" in wrong[1]
    recent = [notice(change(), message_id=NOTICE_A)] * 2  # an event of 2025: right
    assert _observed(tmp_path, None, recent) == _observed(tmp_path, name, recent)


def test_the_durable_variants_lose_what_they_say(tmp_path):
    name = "seen-ids-rebuilt-from-receive-log-on-start"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "PF-RULE-VIOLATION" in right[1] and "duplicate</pfr:Status>" in wrong[1]
    kept = [s for s in steps if s[0] != "crash"]  # without a restart: right
    assert _observed(tmp_path, None, kept) == _observed(tmp_path, name, kept)
    name = "seen-ids-migration-rerun-keeps-uuid4"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "duplicate</pfr:Status>" in right[1] and "applied</pfr:Status>" in wrong[1]
    v4 = [notice(change(), message_id=NOTICE_A), ("crash",),
          notice(change(), message_id=NOTICE_A)]  # a UUID 4: right
    assert _observed(tmp_path, None, v4) == _observed(tmp_path, name, v4)
    name = "first-notice-after-start-in-initial-load-mode"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "'name': '総務翔子', 'changes_applied': 1" in right[-1]
    assert "'name': '総務花子', 'changes_applied': 2" in wrong[-1]
    kept = [s for s in steps if s[0] != "crash"]  # without a restart: right
    assert _observed(tmp_path, None, kept) == _observed(tmp_path, name, kept)


def test_the_helpers_the_variants_are_built_on():
    assert double_escaped("𠮷田葛\U000e0102西") == "&#x20BB7;田葛&#xE0102;西"
    assert double_escaped("髙橋ﾊﾅ") == "髙橋ﾊﾅ"
    assert after_uro_1_1("\u9fc3") and after_uro_1_1("\u9fb4") and not after_uro_1_1("龥")
    assert not any(after_uro_1_1(c) for c in "髙橋𠮷\u3400\ufa19")
    assert keep_until("2020-04-01") == "2022-04-01" and keep_until("2024-02-29") == "2026-02-28"
    assert keep_until("2025-04-01") > NEW_YEAR.date().isoformat()  # the neutral event: online
    root = etree.fromstring(inquiry(BAD_CHECK_DIGIT))
    assert (pretty_line(root, "addressee_number") or 0) > 1
    assert pretty_line(root, "xsd:pattern") is None and pretty_line(None, "addressee_number") \
        is None


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("<pfh:BusinessUnit>07<", "<c:OccurredOn>2025-04-01<", "<c:ResidentStatus>1<",
                 SOAP11):
        assert part.encode() in one, part
    assert one.index(b"<pfh:BusinessUnit>07<") < one.index(b"<pfh:Receiver>")
    assert one.count(b"<pfh:BusinessUnit>07<") == 1
    assert inquiry("0000010014").count(b"<pfh:BusinessUnit>07<") == 1
    assert b"<c:Original>" not in one and SOAP12 not in one.decode()
