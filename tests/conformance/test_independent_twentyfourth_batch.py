"""Each variant of the twenty-fourth batch really takes effect (variants.py TWENTYFOURTH_BATCH,
declared in independent/twentyfourth.py), in the way of the twenty-third batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. No variant of this batch keys on the clock; the clock is pinned all the same (a December
afternoon in JST), so that the transcripts do not depend on when the tests run."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from lxml import etree

from .independent.adapter import JST
from .independent.standard import CMN, PFH
from .independent.twentyfourth import (GETA, SYSTEM_ID_WIDTH, TWENTYFOURTH_MEASURED_MISSES,
                                       jis0208_or_geta, offset_with_seconds)
from .independent.twentyfourth_store import (HOUSEHOLD_DIGITS, IDEOGRAPHIC_ZERO, NAME_WIDTH,
                                             OLD_RELATIONSHIPS, PREFECTURE_WIDTH, SMALL_KE,
                                             cleansed)
from .independent.variants import APART, TWENTYFOURTH_BATCH
from .variant_transcripts import (neutral_scenario_tests, SOAP12, SOAP12_TYPE, TEXT_XML,
                                  adapter_answer, assert_declared_apart, assert_takes_effect,
                                  batch_cases, change, correct_and_variant, extract, inquiry,
                                  clock_from, notice, transcript)

OFFSET = "sent-at-offset-with-seconds"
NANOSECONDS = "request-sent-at-nanoseconds-refused"
EMPLOYEE = "user-id-employee-number-refused"
LONG_SYSTEM = b"juki-standby.registry.kasumigaseki-01"  # 37 characters, SystemIdType
YAMAZAKI = "山\u37e2花子"  # 㟢 U+37E2: CJK Unified Ideographs Extension A
MARIA = "神谷ﾏﾘｱ"  # half-width katakana, as registered
# a registered name of 64 characters (NameTextType: up to 100)
JUGEMU = ("寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処"
          "藪ら柑子の藪柑子パイポパイポパイポのシューリンガン")


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, dt.datetime(2026, 12, 7, 14, 0, tzinfo=JST))


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw, old
    return raw.replace(old, new, 1)


def _sender_system(raw: bytes, system_id: bytes) -> bytes:
    """The Sender's SystemId (the first SystemId of the header) replaced."""
    return _with(raw, b"<pfh:SystemId>tax<", b"<pfh:SystemId>" + system_id + b"<")


def _relationship(raw: bytes, code: bytes) -> bytes:
    return _with(raw, b"<c:Relationship>01<", b"<c:Relationship>" + code + b"<")


def _household(raw: bytes, number: bytes) -> bytes:
    return _with(raw, b"<c:HouseholdNumber>0000050016<", b"<c:HouseholdNumber>" + number + b"<")


def _nanoseconds(raw: bytes, fraction: bytes = b".123456789") -> bytes:
    """The request's SentAt with a fraction of its second."""
    sent_at = re.search(rb"<pfh:SentAt>([^<]+)\+09:00<", raw)
    assert sent_at is not None
    return _with(raw, sent_at[0], b"<pfh:SentAt>" + sent_at[1] + fraction + b"+09:00<")


def _postal(raw: bytes, code: bytes) -> bytes:
    return _with(raw, b"<c:Address><c:Prefecture>",
                 b"<c:Address><c:PostalCode>" + code + b"</c:PostalCode><c:Prefecture>")


def _user(raw: bytes, user_id: bytes) -> bytes:
    return _with(raw, b"<pfh:UserId>batch<", b"<pfh:UserId>" + user_id + b"<")


def _year_end(raw: bytes, notified: bytes = b"2026-01-05") -> bytes:
    """The change occurred on 28 December 2025 and was notified on ``notified``."""
    return _with(raw, b"<c:OccurredOn>2025-04-01</c:OccurredOn>",
                 b"<c:OccurredOn>2025-12-28</c:OccurredOn><c:NotifiedOn>" + notified +
                 b"</c:NotifiedOn>")


def provider_steps(name: str) -> list:
    key = inquiry("0000010014")
    steps: dict[str, list] = {
        "soap12-found-answer-relates-to-omitted": [(inquiry("0000010014", soap=SOAP12),
                                                    SOAP12_TYPE)],
        "sender-system-id-over-32-internal": [_sender_system(key, LONG_SYSTEM)],
        OFFSET: [key],
        "resident-code-from-number-column": [inquiry("0000000019")],
        "answers-non-jis0208-kanji-as-geta": [inquiry("0000010049")],  # 髙橋健一
        "request-id-under-8-characters-ignored": [extract(1, request_id="R1"),
                                                  extract(1, request_id="R1")],
        NANOSECONDS: [_nanoseconds(key)],
        EMPLOYEE: [_user(key, b"004512")],  # 住民票コード 00000000019
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "clerical-correction-applied-when-stale": stored(
            notice(change(seq=2, name="総務花子")), notice(change(seq=1, reason="C12"))),
        "death-removal-sequence-not-recorded": stored(
            notice(change(seq=2, name="総務花子", reason="B03")), notice(change(seq=1))),
        "relationship-table-ends-at-17-internal": stored(_relationship(one, b"19")),
        "household-number-ten-digits-only-refused": stored(_household(one, b"123456789012")),
        "sender-system-id-over-32-internal": stored(_sender_system(one, LONG_SYSTEM)),
        "name-cjk-extension-a-refused": stored(notice(change(name=YAMAZAKI))),
        "stores-name-small-ke-enlarged": stored(notice(change(name="一ノ瀬ヶ子"))),
        OFFSET: [one],
        "notified-on-next-year-refused": stored(_year_end(one)),
        NANOSECONDS: stored(_nanoseconds(one)),
        EMPLOYEE: stored(_user(one, b"004512")),
        "postal-code-leading-zero-refused": stored(_postal(one, b"0600001")),
        "sequence-written-behind-until-next-notice": stored(
            notice(change(seq=2, name="総務花子")), ("crash",), notice(change(seq=1))),
        "minor-correction-not-applied": stored(one, notice(change(seq=2, name="総務花子",
                                                                  reason="C10"))),
        "household-split-of-head-refused": stored(notice(change(reason="C02"))),
        "prefecture-over-3-characters-internal": stored(_with(
            one, "<c:Prefecture>東京都<".encode(), "<c:Prefecture>神奈川県<".encode())),
        "stores-ideographic-zero-as-white-circle": stored(notice(change(name="〇山太郎"))),
        "name-column-narrowed-to-50-on-start": stored(notice(change(name=JUGEMU)), ("crash",)),
        "names-cleansed-to-full-width-on-start": stored(notice(change(name=MARIA)), ("crash",)),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
CASES = batch_cases(TWENTYFOURTH_BATCH, APART)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(TWENTYFOURTH_BATCH, APART, min_per_class=3)
    assert len(roles) == len(CASES) and len(TWENTYFOURTH_BATCH) == len(set(TWENTYFOURTH_BATCH))
    assert len(TWENTYFOURTH_BATCH) >= 23 and len(roles) >= 27
    assert roles.count("subscriber") >= 19 and roles.count("provider") >= 8
    assert TWENTYFOURTH_MEASURED_MISSES <= set(CASES) and len(TWENTYFOURTH_MEASURED_MISSES) == 7


@pytest.mark.parametrize(("name", "role"), CASES)
def test_each_variant_takes_effect(tmp_path, name, role):
    assert_takes_effect(tmp_path, role, name, STEPS[role](name))


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.2 inquiry of a resident not held and a SOAP 1.1 found one (the usual Sender);
    two 転居 of one resident (JIS X 0208 names, 続柄 01, a 10-digit 世帯番号) over SOAP 1.2, one
    per notice, sent in order, a restart, observed."""
    from .variant_transcripts import NOT_HELD
    return {
        "provider": [(inquiry(NOT_HELD, soap=SOAP12), SOAP12_TYPE), inquiry("0000010049")],
        "subscriber": [(notice(change(number="0000010049", name="高橋健一"), soap=SOAP12),
                        SOAP12_TYPE),
                       (notice(change(seq=2, number="0000010049", name="高橋健二"),
                               soap=SOAP12), SOAP12_TYPE),
                       ("crash",), ("observe", "0000010049")],
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO = {  # every SentAt; 髙 of 髙橋健一
    "provider": {OFFSET, "answers-non-jis0208-kanji-as-geta"}, "subscriber": {OFFSET}}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def _tree(defect, raw, ctype=TEXT_XML):
    return etree.fromstring(adapter_answer("provider", defect, raw, ctype).body)


def _header(tree, path: str) -> str | None:
    return tree.findtext(f".//{{{PFH}}}PlatformHeader/{path}")


def test_the_reply_header_variants_write_what_they_say():
    relates = f"{{{PFH}}}RelatesTo"
    name = "soap12-found-answer-relates-to-omitted"
    raw, ctype = provider_steps(name)[0]
    assert _header(_tree(None, raw, ctype), relates)
    assert _header(_tree(name, raw, ctype), relates) is None
    assert _header(_tree(name, inquiry("0000010014")), relates)  # SOAP 1.1: right
    from .variant_transcripts import NOT_HELD
    assert _header(_tree(name, inquiry(NOT_HELD, soap=SOAP12), SOAP12_TYPE), relates)
    sent_at = f"{{{PFH}}}SentAt"
    correct = _header(_tree(None, inquiry("0000010014")), sent_at)
    wrong = _header(_tree(OFFSET, inquiry("0000010014")), sent_at)
    assert correct.endswith("+09:00") and wrong.endswith("+09:00:00")


def test_a_long_sender_system_id_is_an_internal_error():
    raw = provider_steps("sender-system-id-over-32-internal")[0]
    assert b"<juki:Status>found<" in adapter_answer("provider", None, raw).body
    assert b"PF-PROVIDER-INTERNAL" in adapter_answer(
        "provider", "sender-system-id-over-32-internal", raw).body
    at_width = _sender_system(inquiry("0000010014"), b"s" * SYSTEM_ID_WIDTH)  # 32: right
    assert b"<juki:Status>found<" in adapter_answer(
        "provider", "sender-system-id-over-32-internal", at_width).body


def test_a_resident_code_with_leading_zeros_is_answered_as_a_number(tmp_path):
    name = "resident-code-from-number-column"
    code = f".//{{{CMN}}}ResidentCode"
    raw = provider_steps(name)[0]
    assert _tree(None, raw).findtext(code) == "00000000019"
    assert _tree(name, raw).findtext(code) == "19"
    assert _tree(name, inquiry("0000010049")).findtext(code) == "10000000049"  # right
    steps = [extract(1, page_size=20)]  # the 全件 page holds it as well
    correct, wrong = correct_and_variant(tmp_path, "provider", name, steps)
    assert "ResidentCode>00000000019<" in correct[0] and "ResidentCode>19<" in wrong[0]


def test_kanji_outside_jis_x_0208_are_answered_as_geta():
    name, text = "answers-non-jis0208-kanji-as-geta", f".//{{{CMN}}}Name/{{{CMN}}}Text"
    assert _tree(None, inquiry("0000010049")).findtext(text) == "髙橋健一"
    assert _tree(name, inquiry("0000010049")).findtext(text) == "〓橋健一"
    assert _tree(name, inquiry("0000010316")).findtext(text) == \
        "渡邉\U000e011f〓\U000e0100子"  # 俞 is not JIS X 0208; its selector kept
    assert _tree(name, inquiry("0000010014")).findtext(text) == "総務翔子"  # right
    assert _tree(name, inquiry("0000010073")).findtext(text) == "𠮷田一郎"  # beyond the BMP


def test_an_employee_number_user_id_is_refused_by_the_provider_variant():
    raw = provider_steps(EMPLOYEE)[0]
    assert b"<juki:Status>found<" in adapter_answer("provider", None, raw).body
    assert b"PF-HEADER-INVALID" in adapter_answer("provider", EMPLOYEE, raw).body
    assert b"<juki:Status>found<" in adapter_answer(
        "provider", EMPLOYEE, _user(inquiry("0000010014"), b"u004512")).body


def test_a_short_request_id_is_no_key(tmp_path):
    name = "request-id-under-8-characters-ignored"
    extract_id = re.compile("ExtractId>([^<]+)<")
    correct, wrong = correct_and_variant(tmp_path, "provider", name, provider_steps(name))
    assert extract_id.search(correct[0])[1] == extract_id.search(correct[1])[1]
    assert extract_id.search(wrong[0])[1] != extract_id.search(wrong[1])[1]
    long_enough = [extract(1, request_id="R2026120"), extract(1, request_id="R2026120")]
    assert correct_and_variant(tmp_path / "long", "provider", name, long_enough)[1] == \
        transcript("provider", None, None, long_enough)


def test_a_request_sent_at_with_nanoseconds_is_refused_by_the_provider_variant():
    raw = provider_steps(NANOSECONDS)[0]
    assert b"<juki:Status>found<" in adapter_answer("provider", None, raw).body
    assert b"PF-HEADER-INVALID" in adapter_answer("provider", NANOSECONDS, raw).body
    assert b"<juki:Status>found<" in adapter_answer(
        "provider", NANOSECONDS, _nanoseconds(inquiry("0000010014"), b".5")).body


def _observed(tmp_path, defect, steps) -> list[str]:
    """The subscriber's transcript of ``steps`` on a store of its own (a fresh file each time:
    counting the directory's files would reuse a name once a store's -wal and -shm are gone)."""
    return transcript("subscriber", tmp_path / f"{defect}-{uuid.uuid4().hex}.sqlite3", defect,
                      steps)


def test_the_store_variants_store_what_they_say(tmp_path):
    for name, correct, wrong in (
            ("clerical-correction-applied-when-stale", "総務花子", "総務翔子"),
            ("death-removal-sequence-not-recorded", "総務花子", "総務翔子"),
            ("sequence-written-behind-until-next-notice", "総務花子", "総務翔子"),
            ("minor-correction-not-applied", "総務花子", "総務翔子"),
            ("stores-name-small-ke-enlarged", "一ノ瀬ヶ子", "一ノ瀬ケ子"),
            ("names-cleansed-to-full-width-on-start", MARIA, "神谷マリア"),
            ("stores-ideographic-zero-as-white-circle", "〇山太郎", "○山太郎"),
            ("name-column-narrowed-to-50-on-start", JUGEMU, JUGEMU[:NAME_WIDTH])):
        steps = subscriber_steps(name)
        assert f"'name': {correct!r}" in _observed(tmp_path, None, steps)[-1], name
        assert f"'name': {wrong!r}" in _observed(tmp_path, name, steps)[-1], name
    # the other reasons keep the 異動連番 rule
    for name, newer, older in (("clerical-correction-applied-when-stale", "C01", "C11"),
                               ("death-removal-sequence-not-recorded", "B01", "C01")):
        steps = [notice(change(seq=2, name="総務花子", reason=newer)),
                 notice(change(seq=1, reason=older)), ("observe", "0000010014")]
        assert "'name': '総務花子'" in _observed(tmp_path, name, steps)[-1], name
    # without a crash between them the 異動連番 is written before the next change is judged
    behind = [step for step in subscriber_steps("sequence-written-behind-until-next-notice")
              if step[0] != "crash"]
    assert _observed(tmp_path, None, behind) == _observed(
        tmp_path, "sequence-written-behind-until-next-notice", behind)
    # a C11 (職権修正) of the same shape is written
    c11 = [notice(change()), notice(change(seq=2, name="総務花子", reason="C11")),
           ("observe", "0000010014")]
    assert "'name': '総務花子'" in _observed(
        tmp_path, "minor-correction-not-applied", c11)[-1]
    # a fresh C12 of a later 異動連番 is applied by both
    fresh = [notice(change(seq=1)), notice(change(seq=2, name="総務花子", reason="C12")),
             ("observe", "0000010014")]
    assert _observed(tmp_path, None, fresh) == _observed(
        tmp_path, "clerical-correction-applied-when-stale", fresh)
    # without a restart the half-width name is kept
    for name, registered in (("names-cleansed-to-full-width-on-start", MARIA),
                             ("name-column-narrowed-to-50-on-start", JUGEMU)):
        kept = [notice(change(name=registered)), ("observe", "0000010014")]
        assert f"'name': {registered!r}" in _observed(tmp_path, name, kept)[-1], name


def test_the_refusing_store_variants_refuse(tmp_path):
    for name, code in (
            ("relationship-table-ends-at-17-internal", "PF-PROVIDER-INTERNAL"),
            ("household-number-ten-digits-only-refused", "VENDOR-HOUSEHOLD"),
            ("sender-system-id-over-32-internal", "PF-PROVIDER-INTERNAL"),
            ("name-cjk-extension-a-refused", "VENDOR-CHARACTER"),
            ("household-split-of-head-refused", "VENDOR-HOUSEHOLD"),
            ("prefecture-over-3-characters-internal", "PF-PROVIDER-INTERNAL"),
            ("notified-on-next-year-refused", "VENDOR-DATE"),
            (NANOSECONDS, "PF-HEADER-INVALID"),
            (EMPLOYEE, "PF-HEADER-INVALID"),
            ("postal-code-leading-zero-refused", "VENDOR-ADDRESS")):
        steps = subscriber_steps(name)
        assert "applied</pfr:Status>" in _observed(tmp_path, None, steps)[0], name
        assert code in _observed(tmp_path, name, steps)[0], name
    one = notice(change())
    for name, raw, refused in (
            ("relationship-table-ends-at-17-internal", _relationship(one, b"17"), False),
            ("relationship-table-ends-at-17-internal", _relationship(one, b"18"), True),
            ("household-number-ten-digits-only-refused", _household(one, b"16"), True),
            ("name-cjk-extension-a-refused", notice(change(name="山\ufa11花子")), False),
            ("household-split-of-head-refused", _relationship(
                notice(change(reason="C02")), b"06"), False),  # a 子 leaving: applied
            ("household-split-of-head-refused", notice(change(reason="C03")), False),
            ("notified-on-next-year-refused", _year_end(one, b"2025-12-30"), False),
            (NANOSECONDS, _nanoseconds(one, b".123456"), False),  # microseconds: right
            (NANOSECONDS, _nanoseconds(one, b".1234567"), True),
            (EMPLOYEE, _user(one, b"s004512"), False),  # a login name: right
            ("postal-code-leading-zero-refused", _postal(one, b"1000013"), False),
            ("prefecture-over-3-characters-internal", _with(
                one, "<c:Prefecture>東京都<".encode(), "<c:Prefecture>北海道<".encode()),
             False)):
        correct, wrong = (_observed(tmp_path, d, [raw])[0] for d in (None, name))
        assert "applied</pfr:Status>" in correct, name
        assert ("applied</pfr:Status>" in wrong) != refused, name


def test_the_helpers_the_variants_are_built_on():
    assert offset_with_seconds("2026-12-07T14:00:00+09:00") == "2026-12-07T14:00:00+09:00:00"
    assert offset_with_seconds("no offset") == "no offset"
    assert "ヶヵケ".translate(SMALL_KE) == "ケカケ"
    assert cleansed(MARIA) == "神谷マリア" and cleansed("ｶﾞｯｺｳ") == "ガッコウ"
    assert cleansed("髙橋健一") == "髙橋健一"
    assert "17" in OLD_RELATIONSHIPS and "18" not in OLD_RELATIONSHIPS
    assert HOUSEHOLD_DIGITS == 10 and len(LONG_SYSTEM) > SYSTEM_ID_WIDTH
    assert len(LONG_SYSTEM) <= 64
    assert "〇".translate(IDEOGRAPHIC_ZERO) == "○" and "０".translate(IDEOGRAPHIC_ZERO) == "０"
    assert jis0208_or_geta("髙山﨑ﾏﾘｱ𠮷") == f"{GETA}山{GETA}ﾏﾘｱ𠮷"
    assert NAME_WIDTH < len(JUGEMU) <= 100 and len("神奈川県") > PREFECTURE_WIDTH


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    assert b"<c:Relationship>01<" in one and b"<c:HouseholdNumber>0000050016<" in one
    assert one.index(b"<pfh:SystemId>tax<") < one.index(b"<pfh:Receiver>")
    assert b"<pfh:UserId>batch<" in one and b"<pfh:UserId>batch<" in inquiry("0000010014")
