"""Each variant of the twenty-seventh batch really takes effect (variants.py TWENTYSEVENTH_BATCH,
declared in independent/twentyseventh.py), in the way of the twenty-sixth batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. The clock is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not
depend on when the tests run; the variants that read the clock or a date (the reply's SentAt,
a 基準日 of today, an age) are shown to take effect at a second instant too, 00:30 JST on the
first day of a year."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from lxml import etree

from .independent.adapter import JST
from .independent.standard import CMN, JUKI, PFH
from .independent.twentyseventh import TWENTYSEVENTH_MEASURED_MISSES, shift_jis_replaced
from .independent.twentyseventh_store import ibm_extension, over_age
from .independent.variants import APART, TWENTYSEVENTH_BATCH
from .variant_transcripts import replaced as _with
from .variant_transcripts import (NEW_YEAR, PINNED, clock_from, neutral_scenario_tests,
                                  variant_effect_tests, BAD_CHECK_DIGIT, GOV, NOT_HELD, NOTICE_A,
                                  NOTICE_B, SOAP12, SOAP12_TYPE, TEXT_XML, adapter_answer,
                                  assert_declared_apart, batch_cases, change, extract, inquiry,
                                  notice, transcript)

# the variants that read the clock or a date: shown at NEW_YEAR too
DATED = {"sent-at-month-zero-based", "as-of-today-refused", "birth-over-120-years-refused"}
DURABLE = {"new-resident-notice-id-kept-in-memory", "change-count-rebuilt-from-sequence-on-start",
           "seen-id-of-kept-out-notice-uncommitted"}


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, PINNED)


def _full(raw: bytes) -> bytes:
    return _with(raw, "<pfh:LinkageKind>delta<", "<pfh:LinkageKind>full<")


def _one_character_sender(raw: bytes) -> bytes:
    """The Sender (the first party of the header) of the SystemId t."""
    return _with(raw, "<pfh:SystemId>tax<", "<pfh:SystemId>t<")


def _today() -> str:
    return dt.datetime.now(JST).date().isoformat()  # the moved clock's day


def _dated(raw: bytes, became: str = "2025-04-01", fixed: str = "2025-03-25") -> bytes:
    return _with(raw, "</c:Address>", f"</c:Address><c:BecameResidentOn>{became}"
                                      f"</c:BecameResidentOn><c:AddressFixedOn>{fixed}"
                                      "</c:AddressFixedOn>")


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "member-gender-of-head": [inquiry("0000010014")],  # 総務大輔 (1), 陽翔 (1); head 2
        "member-names-shift-jis-replaced": [inquiry("0000010049")],  # 髙橋健一, 髙橋美咲
        "later-pages-offset-one-based": [extract(1), ("page", 2)],
        "later-pages-http-206": [extract(1), ("page", 2)],
        "misrouted-finding-rule-routing": [inquiry("0000010014", receiver=(GOV, "01", "other"))],
        "linkage-kind-full-refused-off-extract": [_full(inquiry("0000010014"))],
        "sender-system-id-single-character-refused": [
            _one_character_sender(inquiry("0000010014"))],
        "sent-at-month-zero-based": [inquiry("0000010014")],
        "as-of-today-refused": [inquiry("0000010014", as_of=_today())],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    again = notice(change(), message_id=NOTICE_A)
    late = notice(change(seq=1, name="総務花子"), message_id=NOTICE_B)
    steps: dict[str, list] = {
        "misrouted-finding-rule-routing": stored(
            _with(one, "<pfh:SystemId>hub<", "<pfh:SystemId>hub2<")),
        "receipt-linkage-kind-full": [one],
        "linkage-kind-full-refused-off-extract": stored(_full(one)),
        "sender-system-id-single-character-refused": stored(_one_character_sender(one)),
        "address-fixed-before-became-resident-refused": stored(_dated(one)),
        "relationship-gender-cross-checked": stored(  # 02 夫, gender 2
            _with(one, "<c:Relationship>01<", "<c:Relationship>02<")),
        "kana-wi-we-refused": stored(notice(change(name="総務末", given="スヱ"))),
        "cp932-ibm-extension-kanji-refused": stored(notice(change(name="髙橋翔子"))),
        "sent-at-month-zero-based": [one],
        "birth-over-120-years-refused": stored(
            _with(one, "<c:DateOfBirth>1990-04-01<", "<c:DateOfBirth>1890-04-01<")),
        "new-resident-notice-id-kept-in-memory": stored(again, ("crash",), again),
        "change-count-rebuilt-from-sequence-on-start": stored(notice(change(seq=5)), ("crash",)),
        "seen-id-of-kept-out-notice-uncommitted": stored(
            notice(change(seq=2)), late, ("crash",), late),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
CASES = batch_cases(TWENTYSEVENTH_BATCH, APART)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(TWENTYSEVENTH_BATCH, APART, min_per_class=3)
    assert len(roles) == len(CASES) and len(TWENTYSEVENTH_BATCH) == len(set(TWENTYSEVENTH_BATCH))
    assert len(TWENTYSEVENTH_BATCH) >= 18 and len(roles) >= 22
    assert roles.count("subscriber") >= 13 and roles.count("provider") >= 9
    assert DATED <= TWENTYSEVENTH_BATCH and DURABLE <= TWENTYSEVENTH_BATCH


def test_the_measured_misses_are_of_the_batch():
    assert TWENTYSEVENTH_MEASURED_MISSES <= TWENTYSEVENTH_BATCH
    assert len(TWENTYSEVENTH_MEASURED_MISSES) == 1


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.2 inquiry of a resident not held and a SOAP 1.1 found one (ROSSI VIOLA, alone in
    her household); a first 全件 page as of 1999-01-01 (髙橋健一 alone, in pages of 1). Two 転居
    of one resident (JIS X 0208 names and readings, born 1990, no residence dates, LinkageKind
    delta) over SOAP 1.2, one per notice, sent in order, observed; a restart; the second
    delivered again (duplicate)."""
    second = (notice(change(seq=2, number="0000010049", name="高橋健二"), soap=SOAP12,
                     message_id=NOTICE_A), SOAP12_TYPE)
    return {
        "provider": [(inquiry(NOT_HELD, soap=SOAP12), SOAP12_TYPE), inquiry("0000010065"),
                     extract(1, page_size=1, as_of="1999-01-01")],
        "subscriber": [(notice(change(number="0000010049", name="高橋健一"), soap=SOAP12),
                        SOAP12_TYPE), second, ("observe", "0000010049"), ("crash",), second],
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO = {  # every reply's SentAt; every receipt's LinkageKind
    "provider": {"sent-at-month-zero-based"},
    "subscriber": {"sent-at-month-zero-based", "receipt-linkage-kind-full"}}
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


def test_the_provider_variants_answer_what_they_say(tmp_path):
    genders = f".//{{{JUKI}}}Household/{{{CMN}}}Member/{{{CMN}}}Gender"
    name = "member-gender-of-head"
    assert [g.text for g in _tree(None, inquiry("0000010022")).iterfind(genders)] == \
        ["2", "1", "1"]
    assert [g.text for g in _tree(name, inquiry("0000010022")).iterfind(genders)] == \
        ["2", "2", "2"]
    assert _tree(name, inquiry("0000010022")).findtext(  # the resident asked for: right
        f".//{{{JUKI}}}Resident/{{{CMN}}}Gender") == "1"
    name = "member-names-shift-jis-replaced"
    member = f".//{{{JUKI}}}Household/{{{CMN}}}Member/{{{CMN}}}Name/{{{CMN}}}Text"
    assert [t.text for t in _tree(None, inquiry("0000010049")).iterfind(member)] == \
        ["髙橋健一", "髙橋美咲"]
    answer = _tree(name, inquiry("0000010049"))
    assert [t.text for t in answer.iterfind(member)] == ["?橋健一", "?橋美咲"]
    assert answer.findtext(f".//{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text") == "髙橋健一"
    assert answer.findtext(f".//{{{CMN}}}HeadName/{{{CMN}}}Text") == "髙橋健一"
    assert [t.text for t in _tree(name, inquiry("0000010014")).iterfind(member)] == \
        ["総務翔子", "総務大輔", "総務陽翔"]
    steps = provider_steps("later-pages-offset-one-based")
    right = transcript("provider", None, None, steps)
    wrong = transcript("provider", None, "later-pages-offset-one-based", steps)
    assert len(_page(right[1])) == len(_page(wrong[1])) == 3
    assert right[0] == wrong[0] and _page(right[1])[1:] == _page(wrong[1])[:2]
    assert _page(right[1])[0] not in _page(wrong[0]) + _page(wrong[1])  # in no page
    steps = provider_steps("later-pages-http-206")
    statuses = [line.split(" ", 1)[0] for line in transcript("provider", None,
                                                             "later-pages-http-206", steps)]
    assert statuses == ["200", "206"]
    for raw in (inquiry("0000010014"), extract(1, page_size=1)):
        assert adapter_answer("provider", "later-pages-http-206", raw).status == 200
    name = "misrouted-finding-rule-routing"
    raw = provider_steps(name)[0]
    assert b"<pff:Rule>header:receiver<" in adapter_answer("provider", None, raw).body
    assert b"<pff:Rule>routing:receiver<" in adapter_answer("provider", name, raw).body
    other = inquiry("0000010014", version="2")  # another Version: its rule, right
    assert adapter_answer("provider", name, other).body.count(b"service:version") == \
        adapter_answer("provider", None, other).body.count(b"service:version") == 1
    name = "linkage-kind-full-refused-off-extract"
    assert b"PF-HEADER-INVALID" in adapter_answer("provider", name, _full(inquiry(
        "0000010014"))).body
    for raw in (inquiry("0000010014"), _full(extract(1)), extract(1)):
        assert b"PF-HEADER-INVALID" not in adapter_answer("provider", name, raw).body
    full = _tree(None, _full(inquiry("0000010014")))
    assert full.findtext(f".//{{{PFH}}}LinkageKind") == "full"  # answered, echoed
    name = "sender-system-id-single-character-refused"
    assert b"PF-HEADER-INVALID" in adapter_answer(
        "provider", name, _one_character_sender(inquiry("0000010014"))).body
    two = _with(inquiry("0000010014"), "<pfh:SystemId>tax<", "<pfh:SystemId>t2<")
    assert b"<juki:Status>found<" in adapter_answer("provider", name, two).body
    name = "as-of-today-refused"
    assert b"VENDOR-AS-OF" in adapter_answer("provider", name, inquiry("0000010014",
                                                                       as_of=_today())).body
    assert b"VENDOR-AS-OF" in adapter_answer("provider", name, extract(1, as_of=_today())).body
    yesterday = (dt.datetime.now(JST).date() - dt.timedelta(days=1)).isoformat()
    assert b"<juki:Status>found<" in adapter_answer(
        "provider", name, inquiry("0000010014", as_of=yesterday)).body
    assert b"<juki:Status>found<" in adapter_answer(
        "provider", None, inquiry("0000010014", as_of=_today())).body


def test_the_reply_header_variants_write_what_they_say(tmp_path):
    sent = f".//{{{PFH}}}SentAt"
    wrong = _tree("sent-at-month-zero-based", inquiry("0000010014")).findtext(sent)
    assert wrong.startswith("2026-11-09T15:") and wrong.endswith("+09:00")
    right = _tree(None, inquiry("0000010014")).findtext(sent)
    assert right.startswith("2026-12-09T15:")
    name = "receipt-linkage-kind-full"
    kind = f".//{{{PFH}}}LinkageKind"
    assert _tree(None, notice(change()), role="subscriber",
                 db=tmp_path / "a.sqlite3").findtext(kind) == "delta"
    assert _tree(name, notice(change()), role="subscriber",
                 db=tmp_path / "b.sqlite3").findtext(kind) == "full"
    fault = adapter_answer("subscriber", name, notice(change(number=BAD_CHECK_DIGIT)),
                           db=tmp_path / "c.sqlite3")
    assert b"PF-RULE-VIOLATION" in fault.body  # a fault: no header, right


def test_the_dated_variants_at_new_year(monkeypatch):
    clock_from(monkeypatch, NEW_YEAR)
    wrong = _tree("sent-at-month-zero-based", inquiry("0000010014")).findtext(f".//{{{PFH}}}SentAt")
    assert wrong.startswith("2027-00-01T00:")  # no month 00
    assert b"VENDOR-AS-OF" in adapter_answer("provider", "as-of-today-refused",
                                             inquiry("0000010014", as_of="2027-01-01")).body


def test_the_refusing_store_variants_refuse(tmp_path):
    for name, code in (("misrouted-finding-rule-routing", "routing:receiver"),
                       ("linkage-kind-full-refused-off-extract", "PF-HEADER-INVALID"),
                       ("sender-system-id-single-character-refused", "PF-HEADER-INVALID"),
                       ("address-fixed-before-became-resident-refused", "VENDOR-DATE"),
                       ("relationship-gender-cross-checked", "VENDOR-RELATIONSHIP"),
                       ("kana-wi-we-refused", "VENDOR-CHARACTER"),
                       ("cp932-ibm-extension-kanji-refused", "VENDOR-CHARACTER"),
                       ("birth-over-120-years-refused", "VENDOR-DATE")):
        steps = subscriber_steps(name)
        correct, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
        assert code in wrong[0] and wrong[-1] == "None", name
        if name != "misrouted-finding-rule-routing":
            assert "applied</pfr:Status>" in correct[0] and "'name'" in correct[-1], name
        else:
            assert "header:receiver" in correct[0] and correct[-1] == "None"
    one = notice(change())
    for name, raw in (("linkage-kind-full-refused-off-extract", one),
                      ("sender-system-id-single-character-refused",
                       _with(one, "<pfh:SystemId>tax<", "<pfh:SystemId>tx<")),
                      ("address-fixed-before-became-resident-refused",
                       _dated(one, fixed="2025-04-01")),
                      ("address-fixed-before-became-resident-refused",
                       _dated(one, fixed="2025-04-02")),
                      ("relationship-gender-cross-checked",
                       _with(one, "<c:Relationship>01<", "<c:Relationship>03<")),  # 妻, 2
                      ("relationship-gender-cross-checked",
                       _with(one, "<c:Relationship>01<", "<c:Relationship>19<")),  # 同居人
                      ("kana-wi-we-refused", notice(change(given="イエ"))),
                      ("cp932-ibm-extension-kanji-refused", notice(change(name="高橋翔子"))),
                      ("birth-over-120-years-refused",
                       _with(one, "<c:DateOfBirth>1990-04-01<", "<c:DateOfBirth>1907-04-01<"))):
        correct, wrong = (_observed(tmp_path, d, [raw])[0] for d in (None, name))
        assert "applied</pfr:Status>" in correct and "applied</pfr:Status>" in wrong, name


def test_the_durable_variants_lose_what_they_say(tmp_path):
    name = "new-resident-notice-id-kept-in-memory"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "duplicate</pfr:Status>" in right[1] and "applied</pfr:Status>" in wrong[1]
    assert "duplicate</pfr:Status>" in _observed(tmp_path, name, [  # without a restart: right
        notice(change(), message_id=NOTICE_A), notice(change(), message_id=NOTICE_A)])[1]
    held = [notice(change()), notice(change(seq=2), message_id=NOTICE_A), ("crash",),
            notice(change(seq=2), message_id=NOTICE_A)]  # a resident held: right
    assert _observed(tmp_path, None, held) == _observed(tmp_path, name, held)
    name = "change-count-rebuilt-from-sequence-on-start"
    steps = subscriber_steps(name)
    assert "'changes_applied': 1" in _observed(tmp_path, None, steps)[-1]
    assert "'changes_applied': 5" in _observed(tmp_path, name, steps)[-1]
    ones = [notice(change()), ("crash",), ("observe", "0000010014")]  # 連番 from 1: right
    assert _observed(tmp_path, None, ones) == _observed(tmp_path, name, ones)
    name = "seen-id-of-kept-out-notice-uncommitted"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "duplicate</pfr:Status>" in right[2] and "applied</pfr:Status>" in wrong[2]
    assert right[-1] == wrong[-1]  # the state is right: only the MessageId is lost
    kept = [s for s in steps if s[0] != "crash"]  # without a restart: right
    assert _observed(tmp_path, None, kept) == _observed(tmp_path, name, kept)


def test_the_helpers_the_variants_are_built_on():
    assert shift_jis_replaced("髙橋𠮷田ﾊﾅ総務") == "?橋?田ﾊﾅ総務"
    assert all(ibm_extension(c) for c in "髙﨑\ufa19\ufa26")
    assert not any(ibm_extension(c) for c in "高崎神都ヰ𠮷A")
    today = dt.date(2026, 12, 9)
    assert over_age("1906-12-08", today) and not over_age("1906-12-09", today)
    assert not over_age("1990-04-01", today) and not over_age("not a date", today)


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("<pfh:SystemId>tax<", "<c:Relationship>01<", "<c:Gender>2<",
                 "<pfh:SystemId>hub<", "<pfh:LinkageKind>delta<", "</c:Address>",
                 "<c:DateOfBirth>1990-04-01<"):
        assert part.encode() in one, part
    assert one.index(b"<pfh:SystemId>tax<") < one.index(b"<pfh:Receiver>")
    assert b"<pfh:SystemId>tax<" in inquiry("0000010014")
    assert b"BecameResidentOn" not in one and SOAP12 not in one.decode()
