"""Each variant of the twenty-fifth batch really takes effect (variants.py TWENTYFIFTH_BATCH,
declared in independent/twentyfifth.py), in the way of the twenty-fourth batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. The clock is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not
depend on when the tests run; the variants whose trigger involves a date or a SentAt are shown
to take effect at a second instant too, 00:30 JST on the first day of a year."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from lxml import etree

from .independent.adapter import JST, Adapter
from .independent.standard import CMN, JUKI, PFF
from .independent.twentyfifth import (EPOCH_DAY, TWENTYFIFTH_MEASURED_MISSES,
                                      unpadded_date)
from .independent.twentyfifth_store import (CATCH_UP_AFTER, compatibility_as_svs,
                                            voiced_katakana_split)
from .independent.variants import APART, TWENTYFIFTH_BATCH
from .variant_transcripts import (neutral_scenario_tests, variant_effect_tests, BAD_CHECK_DIGIT,
                                  GOV, NOT_HELD, NOTICE_A, SOAP12, SOAP12_TYPE, TEXT_XML,
                                  adapter_answer, assert_declared_apart, batch_cases, change,
                                  extract, inquiry, notice, transcript, clock_from, PINNED)

SVS = "compatibility-ideographs-as-svs"
KATAKANA = "katakana-via-host-half-width"
REGRESSION = "sent-at-regression-refused"
FAULT_ORDER = "soap12-fault-message-id-after-findings"
PREFECTURE = "sender-prefecture-code-internal"
SERVICE_CASE = "service-id-compared-case-insensitively"
EXTRACT_CASE = "extract-id-looked-up-case-insensitively"
KAMIYA = "\ufa19谷ﾏﾘｱ"  # 神 U+FA19, a CJK compatibility ideograph, as registered
WATANABE = "渡邉\U000e011f花子"  # 邉 with its Moji_Joho selector U+E011F
# the variants whose trigger involves a date or a SentAt: shown at NEW_YEAR too
DATED = {"dates-written-unpadded", REGRESSION, "as-of-epoch-day-taken-as-absent",
         "catch-up-notices-applied-after-receipt", "notice-ahead-of-clock-deferred"}


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, PINNED)


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw, old
    return raw.replace(old, new, 1)


def _ago(minutes: float) -> dt.datetime:
    return dt.datetime.now(JST) - dt.timedelta(minutes=minutes)


def _prefecture_sender(raw: bytes) -> bytes:
    """The Sender (the first party of the header) of 東京都, 団体コード 130001."""
    return _with(raw, b"<pfh:LocalGovCode>131016<", b"<pfh:LocalGovCode>130001<")


def _service(raw: bytes, old: str) -> bytes:
    return _with(raw, f"<pfh:ServiceId>{old}<".encode(),
                 f"<pfh:ServiceId>{old.lower()}<".encode())


def _katagaki_without_banchi(raw: bytes) -> bytes:
    return _with(raw, "<c:Town>霞が関</c:Town>".encode(),
                 "<c:Town>霞が関</c:Town><c:Katagaki>霞が関ハイツ101号</c:Katagaki>".encode())


def _standby_sender(raw: bytes) -> bytes:
    return _with(raw, b"<pfh:SystemId>tax<", b"<pfh:SystemId>tax-standby<")


def provider_steps(name: str) -> list:
    key = inquiry("0000010014")
    steps: dict[str, list] = {
        FAULT_ORDER: [(inquiry(BAD_CHECK_DIGIT, soap=SOAP12), SOAP12_TYPE)],
        "former-surname-appended-last": [inquiry("0000010057")],  # 髙橋美咲, 旧氏 葛󠄂西
        "not-found-answer-reuses-last-found": [key, inquiry(NOT_HELD)],
        "total-count-rounded-up-to-pages": [extract(1)],  # 11 residents in pages of 3
        PREFECTURE: [_prefecture_sender(key)],
        SERVICE_CASE: [_service(key, "juki.ResidentInquiry")],
        SVS: [inquiry("0000010219")],  # 神谷ﾏﾘｱ
        KATAKANA: [inquiry("0000010065")],  # ロッシ ヴィオラ
        "dates-written-unpadded": [key],  # 1990-04-01
        REGRESSION: [key, inquiry("0000010014", sent_at=_ago(2))],
        "as-of-epoch-day-taken-as-absent": [inquiry("0000010014", as_of="1970-01-01")],
        "request-id-map-one-per-sender": [extract(1, request_id="R1"),
                                          extract(1, request_id="R2"),
                                          extract(1, request_id="R1")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    again = notice(change(), message_id=NOTICE_A)
    steps: dict[str, list] = {
        "returnee-from-abroad-refused": stored(notice(change(reason="A02"))),
        "alias-registration-without-former-surname-internal": stored(
            notice(change(reason="C08"))),
        "multi-change-watermark-of-first-change": stored(
            notice(change(seq=1), change(seq=3, name="総務花子")),
            notice(change(seq=2, name="総務次子"))),
        "kept-out-change-counted": stored(notice(change(seq=2, name="総務花子")),
                                          notice(change(seq=1))),
        FAULT_ORDER: [(notice(change(number=BAD_CHECK_DIGIT), soap=SOAP12), SOAP12_TYPE)],
        PREFECTURE: stored(_prefecture_sender(one)),
        SERVICE_CASE: stored(_service(one, "juki.ResidentChangeNotice")),
        "katagaki-without-banchi-internal": stored(_katagaki_without_banchi(one)),
        SVS: stored(notice(change(name=KAMIYA))),
        KATAKANA: stored(notice(change(name="総務ヴィオラ"))),
        "name-ivs-selector-refused": stored(notice(change(name=WATANABE))),
        REGRESSION: stored(one, notice(change(number="0000010049", name="高橋健一"),
                                       sent_at=_ago(2)), number="0000010049"),
        "changes-count-rebuilt-on-start": stored(one, notice(change(seq=2, name="総務花子")),
                                                 ("crash",)),
        "seen-key-with-sender-system": stored(again, _standby_sender(again)),
        "catch-up-notices-applied-after-receipt": stored(notice(change(), sent_at=_ago(15)),
                                                         ("crash",)),
        "notice-ahead-of-clock-deferred": stored(notice(change(), sent_at=_ago(-2))),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
ALL_CASES = batch_cases(TWENTYFIFTH_BATCH, APART)
CASES = batch_cases(TWENTYFIFTH_BATCH, APART, frozenset({EXTRACT_CASE}))


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(TWENTYFIFTH_BATCH, APART, min_per_class=3)
    assert len(roles) == len(ALL_CASES) and len(TWENTYFIFTH_BATCH) == len(set(TWENTYFIFTH_BATCH))
    assert len(TWENTYFIFTH_BATCH) >= 23 and len(roles) >= 29
    assert roles.count("subscriber") >= 16 and roles.count("provider") >= 13
    assert TWENTYFIFTH_MEASURED_MISSES <= set(ALL_CASES) and len(TWENTYFIFTH_MEASURED_MISSES) == 4
    assert {(EXTRACT_CASE, "provider")} == set(ALL_CASES) - set(CASES)
    assert DATED <= TWENTYFIFTH_BATCH


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


def _page_of(adapter: Adapter, raw: bytes) -> bytes:
    return adapter.handle(raw, TEXT_XML, '""').body


def test_an_extract_id_in_another_case_is_unknown_but_to_the_variant():
    for defect, known in ((None, False), (EXTRACT_CASE, True)):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        first = _page_of(adapter, extract(1))
        extract_id = re.search(rb"ExtractId>([^<]+)<", first)[1].decode()
        assert extract_id != extract_id.upper()
        right = _page_of(adapter, extract(2, extract_id=extract_id))
        other = _page_of(adapter, extract(2, extract_id=extract_id.upper()))
        assert b"<juki:Page>2<" in right
        assert (b"PF-EXTRACT-UNKNOWN" not in other) == known, defect
        assert (b"<juki:Page>2<" in other) == known, defect


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.2 inquiry of a resident not held and a SOAP 1.1 found one (no compatibility
    ideograph, no voiced katakana in its household, no 基準日); a first 全件 page as of
    1999-01-01 (髙橋健一 alone, in pages of 1: whole pages). Two 転居 of one resident (JIS X
    0208 names, no 方書) over SOAP 1.2, one per notice, sent in order, observed; a restart; the
    second delivered again (duplicate)."""
    second = (notice(change(seq=2, number="0000010049", name="高橋健二"), soap=SOAP12,
                     message_id=NOTICE_A), SOAP12_TYPE)
    return {
        "provider": [(inquiry(NOT_HELD, soap=SOAP12), SOAP12_TYPE), inquiry("0000010049"),
                     extract(1, page_size=1, as_of="1999-01-01")],
        "subscriber": [(notice(change(number="0000010049", name="高橋健一"), soap=SOAP12),
                        SOAP12_TYPE), second, ("observe", "0000010049"), ("crash",), second],
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO = {  # 1975-02-28 of 髙橋健一; the 旧氏 of 髙橋美咲, his household's
    "provider": {"dates-written-unpadded", "former-surname-appended-last"}, "subscriber": set()}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    ALL_CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


def test_the_neutral_extract_is_of_whole_pages():
    answer = adapter_answer("provider", None, neutral("provider")[2]).body
    assert b"<juki:TotalPages>1<" in answer and b"<juki:TotalCount>1<" in answer
    assert "髙橋健一".encode() in answer


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def _tree(defect, raw, ctype=TEXT_XML, role="provider"):
    return etree.fromstring(adapter_answer(role, defect, raw, ctype).body)


def test_the_answer_variants_write_what_they_say():
    resident = f".//{{{JUKI}}}Resident"
    kids = [c.tag.split("}")[1] for c in _tree("former-surname-appended-last",
                                                inquiry("0000010057")).find(resident)]
    assert kids[-1] == "FormerSurname" and kids.index("Name") == 4
    right = [c.tag.split("}")[1] for c in _tree(None, inquiry("0000010057")).find(resident)]
    assert right[right.index("Name") + 1] == "FormerSurname"
    # residents (and households) without a 旧氏 are answered as before
    plain = [inquiry("0000010014")]
    assert correct_and_variant_fresh("provider", "former-surname-appended-last", plain)[1] == \
        transcript("provider", None, None, plain)
    dates = _tree("dates-written-unpadded", inquiry("0000010014"))
    assert dates.findtext(f"{resident}/{{{CMN}}}DateOfBirth") == "1990-4-1"
    assert _tree("dates-written-unpadded", inquiry("0000010065")).findtext(
        f"{resident}/{{{CMN}}}DateOfBirth") == "1995-12-24"  # two digits each: right
    text = f"{resident}/{{{CMN}}}Name/{{{CMN}}}Text"
    assert _tree(SVS, inquiry("0000010219")).findtext(text) == "\u795e\ufe00谷ﾏﾘｱ"
    assert _tree(None, inquiry("0000010219")).findtext(text) == KAMIYA
    assert _tree(SVS, inquiry("0000010014")).findtext(text) == "総務翔子"
    given = f"{resident}/{{{CMN}}}Name/{{{CMN}}}Kana/{{{CMN}}}Given"
    assert _tree(KATAKANA, inquiry("0000010065")).findtext(given) == "ウ\u309bィオラ"
    assert _tree(KATAKANA, inquiry("0000010014")).findtext(given) == "ショウコ"


def test_a_not_found_answer_after_a_found_one_carries_its_record():
    name = "not-found-answer-reuses-last-found"
    adapter = Adapter("provider", GOV, "01", "indie", defect=name)
    first = _page_of(adapter, inquiry(NOT_HELD))  # before any found: right
    assert b"<juki:Status>not-found<" in first and b"<juki:Resident>" not in first
    assert "総務翔子".encode() in _page_of(adapter, inquiry("0000010014"))
    wrong = _page_of(adapter, inquiry(NOT_HELD))
    assert b"<juki:Status>not-found<" in wrong and "総務翔子".encode() in wrong
    assert b"<juki:Household>" in wrong
    assert "髙橋健一".encode() in _page_of(adapter, inquiry("0000010049"))  # found: right


def test_the_totals_variant_counts_pages():
    name = "total-count-rounded-up-to-pages"
    wrong = adapter_answer("provider", name, extract(1)).body
    assert b"<juki:TotalPages>4<" in wrong and b"<juki:TotalCount>12<" in wrong
    assert b"<juki:TotalCount>11<" in adapter_answer("provider", None, extract(1)).body


def test_the_epoch_day_is_no_base_date_for_the_variant():
    name = "as-of-epoch-day-taken-as-absent"
    for as_of in EPOCH_DAY[:2]:
        raw = inquiry("0000010014", as_of=as_of)
        assert b"not-found" in adapter_answer("provider", None, raw).body
        assert b"<juki:Status>found<" in adapter_answer("provider", name, raw).body
    raw = inquiry("0000010014", as_of="1970-01-02")  # the next day: right
    assert b"not-found" in adapter_answer("provider", name, raw).body
    steps = [extract(1, as_of="1970-01-01")]  # the 全件 path reads it alike
    correct, wrong = correct_and_variant_fresh("provider", name, steps)
    assert "TotalCount>0<" in correct[0] and "TotalCount>11<" in wrong[0]


def correct_and_variant_fresh(role, name, steps):
    return transcript(role, None, None, steps), transcript(role, None, name, steps)


def test_a_second_transfer_replaces_the_first_request_id_for_the_variant():
    name = "request-id-map-one-per-sender"
    extract_id = re.compile("ExtractId>([^<]+)<")
    correct, wrong = correct_and_variant_fresh("provider", name, provider_steps(name))
    assert extract_id.search(correct[0])[1] == extract_id.search(correct[2])[1]
    assert extract_id.search(wrong[0])[1] != extract_id.search(wrong[2])[1]
    alone = [extract(1, request_id="R1"), extract(1, request_id="R1")]  # one transfer: right
    assert correct_and_variant_fresh("provider", name, alone)[1] == \
        transcript("provider", None, None, alone)


def test_the_header_variants_refuse_or_serve_what_they_say():
    key = inquiry("0000010014")
    for name, raw, code in ((PREFECTURE, _prefecture_sender(key), b"PF-PROVIDER-INTERNAL"),
                            (SERVICE_CASE, _service(key, "juki.ResidentInquiry"), None)):
        assert (b"<juki:Status>found<" in adapter_answer("provider", None, raw).body) == \
            (code is not None), name
        answered = adapter_answer("provider", name, raw).body
        assert (code in answered) if code else (b"<juki:Status>found<" in answered), name
    assert b"PF-SERVICE-UNKNOWN" in adapter_answer("provider", None,
                                                   _service(key, "juki.ResidentInquiry")).body
    other = _with(key, b"<pfh:LocalGovCode>131016<", b"<pfh:LocalGovCode>141003<")
    assert b"<juki:Status>found<" in adapter_answer("provider", PREFECTURE, other).body


def test_the_regression_guard_refuses_an_earlier_sent_at_only(tmp_path):
    steps = provider_steps(REGRESSION)
    correct, wrong = correct_and_variant_fresh("provider", REGRESSION, steps)
    assert "found" in correct[1] and "PF-MESSAGE-STALE" in wrong[1]
    later = [inquiry("0000010014", sent_at=_ago(2)), inquiry("0000010014")]  # in order: right
    assert correct_and_variant_fresh("provider", REGRESSION, later)[1] == \
        transcript("provider", None, None, later)


def test_the_soap12_fault_detail_puts_the_message_id_last():
    def order(defect, raw, ctype):
        detail = _tree(defect, raw, ctype).find(f".//{{{PFF}}}FaultDetail")
        return [c.tag.split("}")[1] for c in detail]
    raw, ctype = provider_steps(FAULT_ORDER)[0]
    assert order(None, raw, ctype) == ["Code", "Party", "MessageId", "Finding"]
    assert order(FAULT_ORDER, raw, ctype) == ["Code", "Party", "Finding", "MessageId"]
    soap11 = inquiry(BAD_CHECK_DIGIT)  # SOAP 1.1: right
    assert order(FAULT_ORDER, soap11, TEXT_XML) == order(None, soap11, TEXT_XML)


def _observed(tmp_path, defect, steps) -> list[str]:
    """The subscriber's transcript of ``steps`` on a store of its own (a fresh file each time)."""
    return transcript("subscriber", tmp_path / f"{defect}-{uuid.uuid4().hex}.sqlite3", defect,
                      steps)


def test_the_store_variants_store_what_they_say(tmp_path):
    for name, correct, wrong in (
            ("multi-change-watermark-of-first-change", "総務花子", "総務次子"),
            (SVS, KAMIYA, "\u795e\ufe00谷ﾏﾘｱ"),
            (KATAKANA, "総務ヴィオラ", "総務ウ\u309bィオラ")):
        steps = subscriber_steps(name)
        assert f"'name': {correct!r}" in _observed(tmp_path, None, steps)[-1], name
        assert f"'name': {wrong!r}" in _observed(tmp_path, name, steps)[-1], name
    for name, correct, wrong in (("kept-out-change-counted", 1, 2),
                                 ("changes-count-rebuilt-on-start", 2, 1)):
        steps = subscriber_steps(name)
        assert f"'changes_applied': {correct}" in _observed(tmp_path, None, steps)[-1], name
        assert f"'changes_applied': {wrong}" in _observed(tmp_path, name, steps)[-1], name
    # one change per notice: the 異動連番 rule holds
    single = [notice(change(seq=1)), notice(change(seq=3, name="総務花子")),
              notice(change(seq=2, name="総務次子")), ("observe", "0000010014")]
    assert _observed(tmp_path, None, single) == _observed(
        tmp_path, "multi-change-watermark-of-first-change", single)
    # without a restart the count is kept
    kept = [step for step in subscriber_steps("changes-count-rebuilt-on-start")
            if step[0] != "crash"]
    assert _observed(tmp_path, None, kept) == _observed(
        tmp_path, "changes-count-rebuilt-on-start", kept)
    # a standby's resend: duplicate for the correct adapter, applied for the variant
    steps = subscriber_steps("seen-key-with-sender-system")
    assert "duplicate</pfr:Status>" in _observed(tmp_path, None, steps)[1]
    assert "applied</pfr:Status>" in _observed(tmp_path, "seen-key-with-sender-system", steps)[1]
    # a notice sent 15 minutes ago is lost by a crash right after its receipt
    steps = subscriber_steps("catch-up-notices-applied-after-receipt")
    assert "'name': '総務翔子'" in _observed(tmp_path, None, steps)[-1]
    lost = _observed(tmp_path, "catch-up-notices-applied-after-receipt", steps)
    assert "applied</pfr:Status>" in lost[0] and lost[-1] == "None"
    # a notice stamped 2 minutes ahead is not applied yet, and lost by a crash
    name = "notice-ahead-of-clock-deferred"
    steps = [notice(change(), sent_at=_ago(-2)), ("observe", "0000010014"), ("crash",),
             ("observe", "0000010014")]
    assert "'name': '総務翔子'" in _observed(tmp_path, None, steps)[-1]
    deferred = _observed(tmp_path, name, steps)
    assert "applied</pfr:Status>" in deferred[0] and deferred[1] == deferred[-1] == "None"
    on_time = [notice(change()), ("crash",), ("observe", "0000010014")]  # not ahead: right
    assert _observed(tmp_path, None, on_time) == _observed(tmp_path, name, on_time)
    fresh = [notice(change(), sent_at=_ago(CATCH_UP_AFTER.total_seconds() / 60 - 1)),
             ("crash",), ("observe", "0000010014")]  # within 10 minutes: right
    assert _observed(tmp_path, None, fresh) == _observed(
        tmp_path, "catch-up-notices-applied-after-receipt", fresh)


def test_the_refusing_store_variants_refuse(tmp_path):
    for name, code in (
            ("returnee-from-abroad-refused", "VENDOR-KIND"),
            ("alias-registration-without-former-surname-internal", "PF-PROVIDER-INTERNAL"),
            (PREFECTURE, "PF-PROVIDER-INTERNAL"),
            ("katagaki-without-banchi-internal", "PF-PROVIDER-INTERNAL"),
            ("name-ivs-selector-refused", "VENDOR-CHARACTER")):
        steps = subscriber_steps(name)
        assert "applied</pfr:Status>" in _observed(tmp_path, None, steps)[0], name
        assert code in _observed(tmp_path, name, steps)[0], name
    steps = subscriber_steps(REGRESSION)
    assert "applied</pfr:Status>" in _observed(tmp_path, None, steps)[1]
    assert "PF-MESSAGE-STALE" in _observed(tmp_path, REGRESSION, steps)[1]
    steps = subscriber_steps(SERVICE_CASE)
    assert "PF-SERVICE-UNKNOWN" in _observed(tmp_path, None, steps)[0]
    assert "applied</pfr:Status>" in _observed(tmp_path, SERVICE_CASE, steps)[0]
    one = notice(change())
    foreign = _with(notice(change(reason="A02")), b"<c:ResidentKind>1<", b"<c:ResidentKind>2<")
    with_banchi = _with(_katagaki_without_banchi(one), "<c:Katagaki>".encode(),
                        "<c:Banchi>1番2号</c:Banchi><c:Katagaki>".encode())
    for name, raw in (("returnee-from-abroad-refused", foreign),  # a 外国人's A02: right
                      ("returnee-from-abroad-refused", notice(change(reason="A01"))),
                      ("alias-registration-without-former-surname-internal",
                       notice(change(reason="C09"))),
                      ("katagaki-without-banchi-internal", with_banchi),
                      ("name-ivs-selector-refused", notice(change(name="髙橋𠮷子")))):
        correct, wrong = (_observed(tmp_path, d, [raw])[0] for d in (None, name))
        assert "applied</pfr:Status>" in correct and "applied</pfr:Status>" in wrong, name


def test_the_helpers_the_variants_are_built_on():
    assert unpadded_date("2015-04-01") == "2015-4-1" and unpadded_date("1995-12-24") == \
        "1995-12-24"
    assert unpadded_date("2015-04-01+09:00") == "2015-4-1+09:00"
    assert voiced_katakana_split("ガパヴぱ") == "カ\u309bハ\u309cウ\u309bぱ"
    assert voiced_katakana_split("ショウコ ﾀﾞ") == "ショウコ ﾀﾞ"
    assert compatibility_as_svs("\ufa19\ufa11\u795e") == "\u795e\ufe00\ufa11\u795e"
    assert "1970-01-01" in EPOCH_DAY and CATCH_UP_AFTER == dt.timedelta(minutes=10)


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    assert b"<pfh:LocalGovCode>131016<" in one and b"<pfh:SystemId>tax<" in one
    assert one.index(b"<pfh:SystemId>tax<") < one.index(b"<pfh:Receiver>")
    assert "<c:Town>霞が関</c:Town>".encode() in one and b"<c:Banchi>" not in one
    assert b"<c:ResidentKind>1<" in one
