"""Each variant of the twenty-sixth batch really takes effect (variants.py TWENTYSIXTH_BATCH,
declared in independent/twentysixth.py), in the way of the twenty-fifth batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. The clock is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not
depend on when the tests run; no variant of the batch reads the clock, and those whose trigger
is a date in the message are shown to take effect at a second instant too, 00:30 JST on the
first day of a year."""

from __future__ import annotations

import uuid

import pytest
from lxml import etree

from .independent.standard import CMN, JUKI
from .independent.twentysixth import TWENTYSIXTH_MEASURED_MISSES
from .independent.twentysixth_store import month_end, narrowed_signs
from .independent.variants import APART, TWENTYSIXTH_BATCH
from .variant_transcripts import replaced as _with
from .variant_transcripts import (PINNED, clock_from, neutral_scenario_tests, variant_effect_tests,
                                  BAD_CHECK_DIGIT, NOT_HELD, NOTICE_A, SOAP12, SOAP12_TYPE,
                                  TEXT_XML, adapter_answer, assert_declared_apart, batch_cases,
                                  change, extract, inquiry, notice, transcript)

# the variants whose trigger is a date of the message: shown at NEW_YEAR too
DATED = {"birth-leap-day-answered-feb-28", "birth-month-end-internal",
         "occurred-on-leap-day-refused"}
FRAMING = {"receipt-content-length-without-declaration",
           "soap12-fault-content-length-before-detail"}
SIGNS = "full-width-signs-narrowed"
TSUZUKI = "\ufa26筑ﾕｷ\uff5e\u2225\uff0d"  # as registered: 都 U+FA26, ～, ∥ U+2225, －
NARROWED = "\ufa26筑ﾕｷ~\u2225-"


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, PINNED)


def _unit_26(raw: bytes) -> bytes:
    """The Sender (the first party of the header) of the 業務ユニット 26 (戸籍)."""
    return _with(raw, "<pfh:BusinessUnit>07<", "<pfh:BusinessUnit>26<")


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "member-inquiry-resident-code-of-head": [inquiry("0000010022")],  # 総務大輔, 02 夫
        # 福田ﾊﾅ (a 方書), then 総務翔子 and 総務大輔 (none) on the first page of three
        "extract-katagaki-carried-to-next-resident": [extract(1)],
        "soap12-fault-content-length-before-detail": [
            (inquiry(BAD_CHECK_DIGIT, soap=SOAP12), SOAP12_TYPE)],
        "sender-unit-last-code-refused": [_unit_26(inquiry("0000010014"))],
        SIGNS: [inquiry("9999999996")],  # 都筑ﾕｷ～∥－
        "birth-leap-day-answered-feb-28": [inquiry("0000000019")],  # born 2000-02-29
        "birth-month-end-internal": [inquiry("0000010049")],  # born 1975-02-28
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "head-change-counted-twice": stored(notice(change(reason="C05"))),
        "recreation-resets-change-count": stored(one, notice(change(seq=2, reason="A06"))),
        "ex-officio-removal-not-counted": stored(one, notice(change(seq=2, reason="B04"))),
        "receipt-content-length-without-declaration": [one],
        "soap12-fault-content-length-before-detail": [
            (notice(change(number=BAD_CHECK_DIGIT), soap=SOAP12), SOAP12_TYPE)],
        "unregistered-spouse-relationship-refused": stored(
            _with(one, "<c:Relationship>01<", "<c:Relationship>05<")),
        "one-character-name-refused": stored(notice(change(name="林"))),
        "sender-unit-last-code-refused": stored(_unit_26(one)),
        "kana-small-ka-ke-refused": stored(notice(change(name="総務ヶ子", given="ヶコ"))),
        "address-part-nonbmp-internal": stored(
            _with(one, "<c:Town>霞が関</c:Town>", "<c:Town>𠮷野町</c:Town>")),
        SIGNS: stored(notice(change(name=TSUZUKI))),
        "birth-month-end-internal": stored(
            _with(one, "<c:DateOfBirth>1990-04-01<", "<c:DateOfBirth>1990-04-30<")),
        "occurred-on-leap-day-refused": stored(
            _with(one, "<c:OccurredOn>2025-04-01<", "<c:OccurredOn>2024-02-29<")),
        "watermarks-reloaded-as-text-on-start": stored(
            notice(change(seq=9)), ("crash",), notice(change(seq=10, name="総務花子"))),
        "cancellation-left-uncommitted": stored(notice(change(reason="A07")), ("crash",)),
        "change-counts-kept-in-memory": stored(
            one, notice(change(seq=2, name="総務花子")), ("crash",),
            notice(change(seq=3, name="総務次子"))),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
CASES = batch_cases(TWENTYSIXTH_BATCH, APART)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(TWENTYSIXTH_BATCH, APART, min_per_class=3)
    assert len(roles) == len(CASES) and len(TWENTYSIXTH_BATCH) == len(set(TWENTYSIXTH_BATCH))
    assert len(TWENTYSIXTH_BATCH) >= 19 and len(roles) >= 23
    assert roles.count("subscriber") >= 16 and roles.count("provider") >= 7
    assert TWENTYSIXTH_MEASURED_MISSES <= TWENTYSIXTH_BATCH and len(TWENTYSIXTH_MEASURED_MISSES) == 1
    assert DATED <= TWENTYSIXTH_BATCH and FRAMING <= TWENTYSIXTH_BATCH


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.2 inquiry of a resident not held and a SOAP 1.1 found one (the head of his
    household, born 1975-02-28: the last day of a month; no full-width sign in the household);
    a first 全件 page as of 1999-01-01 (髙橋健一 alone, in pages of 1). Two 転居 of one
    resident (JIS X 0208 names, relationship 01, a BMP address, 2025-04-01) over SOAP 1.2, one
    per notice, sent in order, observed; a restart; the second delivered again (duplicate)."""
    second = (notice(change(seq=2, number="0000010049", name="高橋健二"), soap=SOAP12,
                     message_id=NOTICE_A), SOAP12_TYPE)
    return {
        "provider": [(inquiry(NOT_HELD, soap=SOAP12), SOAP12_TYPE), inquiry("0000010049"),
                     extract(1, page_size=1, as_of="1999-01-01")],
        "subscriber": [(notice(change(number="0000010049", name="高橋健一"), soap=SOAP12),
                        SOAP12_TYPE), second, ("observe", "0000010049"), ("crash",), second],
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO = {  # 髙橋健一 born on the last day of February; every receipt
    "provider": {"birth-month-end-internal"},
    "subscriber": {"receipt-content-length-without-declaration"}}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def _tree(defect, raw, ctype=TEXT_XML, role="provider"):
    return etree.fromstring(adapter_answer(role, defect, raw, ctype).body)


def _observed(tmp_path, defect, steps) -> list[str]:
    """The subscriber's transcript of ``steps`` on a store of its own (a fresh file each time)."""
    return transcript("subscriber", tmp_path / f"{defect}-{uuid.uuid4().hex}.sqlite3", defect,
                      steps)


def test_the_answer_variants_write_what_they_say():
    resident = f".//{{{JUKI}}}Resident"
    code = f"{resident}/{{{CMN}}}ResidentCode"
    name = "member-inquiry-resident-code-of-head"
    assert _tree(None, inquiry("0000010022")).findtext(code) == "10000000022"
    assert _tree(name, inquiry("0000010022")).findtext(code) == "10000000014"  # the head's
    assert _tree(name, inquiry("0000010014")).findtext(code) == "10000000014"  # a head: right
    born = f"{resident}/{{{CMN}}}DateOfBirth"
    name = "birth-leap-day-answered-feb-28"
    assert _tree(None, inquiry("0000000019")).findtext(born) == "2000-02-29"
    assert _tree(name, inquiry("0000000019")).findtext(born) == "2000-02-28"
    assert _tree(name, inquiry("0000010014")).findtext(born) == "1990-04-01"
    text = f"{resident}/{{{CMN}}}Name/{{{CMN}}}Text"
    assert _tree(None, inquiry("9999999996")).findtext(text) == TSUZUKI
    assert _tree(SIGNS, inquiry("9999999996")).findtext(text) == NARROWED
    assert _tree(SIGNS, inquiry("0000010219")).findtext(text) == "\ufa19谷ﾏﾘｱ"  # no sign: right
    name = "extract-katagaki-carried-to-next-resident"
    katagaki = f"{{{CMN}}}Address/{{{CMN}}}Katagaki"

    def page(defect, raw):
        return {r.findtext(f"{{{CMN}}}AddresseeNumber"): r.findtext(katagaki)
                for r in _tree(defect, raw).iter(f"{{{JUKI}}}Resident")}
    right, wrong = page(None, extract(1)), page(name, extract(1))
    assert list(right) == list(wrong) == ["0000000019", "0000010014", "0000010022"]
    assert right["0000010014"] is None and right["0000000019"] is not None
    assert wrong["0000010014"] == wrong["0000010022"] == right["0000000019"]
    for raw in (inquiry("0000010014"), extract(1, page_size=1, as_of="1999-01-01")):
        assert b"Katagaki" not in adapter_answer("provider", name, raw).body  # no 方書: right
    name = "birth-month-end-internal"
    assert b"PF-PROVIDER-INTERNAL" in adapter_answer("provider", name, inquiry("0000010049")).body
    assert b"<juki:Status>found<" in adapter_answer("provider", name, inquiry("0000010014")).body
    assert b"PF-PROVIDER-INTERNAL" in adapter_answer("provider", name, extract(1)).body
    name = "sender-unit-last-code-refused"
    raw = _unit_26(inquiry("0000010014"))
    assert b"<juki:Status>found<" in adapter_answer("provider", None, raw).body
    assert b"PF-HEADER-INVALID" in adapter_answer("provider", name, raw).body
    other = _with(inquiry("0000010014"), "<pfh:BusinessUnit>07<", "<pfh:BusinessUnit>25<")
    assert b"<juki:Status>found<" in adapter_answer("provider", name, other).body


def test_the_framing_variants_count_short(tmp_path):
    def _db():
        return tmp_path / f"{uuid.uuid4().hex}.sqlite3"

    for role, raw, ctype in (("provider", inquiry(BAD_CHECK_DIGIT, soap=SOAP12), SOAP12_TYPE),
                             ("subscriber", notice(change(number=BAD_CHECK_DIGIT), soap=SOAP12),
                              SOAP12_TYPE)):
        right = adapter_answer(role, None, raw, ctype, db=None if role == "provider" else
                               _db())
        wrong = adapter_answer(role, "soap12-fault-content-length-before-detail", raw, ctype,
                               db=None if role == "provider" else _db())
        assert right.content_length is None and wrong.body == right.body
        assert b"pff:FaultDetail" in wrong.body and wrong.content_length < len(wrong.body)
        soap11 = adapter_answer(role, "soap12-fault-content-length-before-detail",
                                inquiry(BAD_CHECK_DIGIT) if role == "provider"
                                else notice(change(number=BAD_CHECK_DIGIT)), TEXT_XML,
                                db=None if role == "provider" else _db())
        assert soap11.content_length is None  # SOAP 1.1 faults: right
    name = "receipt-content-length-without-declaration"
    receipt = adapter_answer("subscriber", name, notice(change()), db=_db())
    assert b"applied</pfr:Status>" in receipt.body
    assert receipt.content_length == len(receipt.body) - len(b"<?xml version='1.0' "
                                                             b"encoding='UTF-8'?>")
    fault = adapter_answer("subscriber", name, notice(change(number=BAD_CHECK_DIGIT)), db=_db())
    assert fault.content_length is None  # a fault: right


def test_the_store_variants_store_what_they_say(tmp_path):
    for name, correct, wrong in (("head-change-counted-twice", 1, 2),
                                 ("recreation-resets-change-count", 2, 1),
                                 ("ex-officio-removal-not-counted", 2, 1),
                                 ("change-counts-kept-in-memory", 3, 1)):
        steps = subscriber_steps(name)
        assert f"'changes_applied': {correct}" in _observed(tmp_path, None, steps)[-1], name
        assert f"'changes_applied': {wrong}" in _observed(tmp_path, name, steps)[-1], name
    for reason in ("C01", "C04", "A05", "B01", "B03"):  # other reasons: right
        steps = [notice(change()), notice(change(seq=2, reason=reason)), ("observe", "0000010014")]
        for name in ("head-change-counted-twice", "recreation-resets-change-count",
                     "ex-officio-removal-not-counted"):
            assert _observed(tmp_path, None, steps) == _observed(tmp_path, name, steps), name
    kept = [s for s in subscriber_steps("change-counts-kept-in-memory") if s[0] != "crash"]
    assert _observed(tmp_path, None, kept) == _observed(  # without a restart: right
        tmp_path, "change-counts-kept-in-memory", kept)
    steps = subscriber_steps(SIGNS)
    assert f"'name': {TSUZUKI!r}" in _observed(tmp_path, None, steps)[-1]
    assert f"'name': {NARROWED!r}" in _observed(tmp_path, SIGNS, steps)[-1]
    name = "watermarks-reloaded-as-text-on-start"
    steps = subscriber_steps(name)
    assert "'name': '総務花子'" in _observed(tmp_path, None, steps)[-1]
    assert "'name': '総務翔子'" in _observed(tmp_path, name, steps)[-1]  # 10 kept out
    for kept in ([s for s in steps if s[0] != "crash"],  # without a restart: right
                 [notice(change(seq=8)), ("crash",), notice(change(seq=9, name="総務花子")),
                  ("observe", "0000010014")]):  # one digit each: right
        assert _observed(tmp_path, None, kept) == _observed(tmp_path, name, kept)
    name = "cancellation-left-uncommitted"
    steps = subscriber_steps(name)
    lost = _observed(tmp_path, name, steps)
    assert "applied</pfr:Status>" in lost[0] and lost[-1] == "None"
    assert "'name': '総務翔子'" in _observed(tmp_path, None, steps)[-1]
    committed = [notice(change(reason="A07")), notice(change(seq=2, number="0000010049",
                                                            name="高橋健一")),
                 ("crash",), ("observe", "0000010014")]  # the next notice commits it
    assert _observed(tmp_path, None, committed) == _observed(tmp_path, name, committed)
    other = [notice(change(reason="A01")), ("crash",), ("observe", "0000010014")]
    assert _observed(tmp_path, None, other) == _observed(tmp_path, name, other)


def test_the_refusing_store_variants_refuse(tmp_path):
    for name, code in (("unregistered-spouse-relationship-refused", "VENDOR-RELATIONSHIP"),
                       ("one-character-name-refused", "VENDOR-NAME"),
                       ("sender-unit-last-code-refused", "PF-HEADER-INVALID"),
                       ("kana-small-ka-ke-refused", "VENDOR-CHARACTER"),
                       ("address-part-nonbmp-internal", "PF-PROVIDER-INTERNAL"),
                       ("birth-month-end-internal", "PF-PROVIDER-INTERNAL"),
                       ("occurred-on-leap-day-refused", "VENDOR-DATE")):
        steps = subscriber_steps(name)
        correct, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
        assert "applied</pfr:Status>" in correct[0] and "'name'" in correct[-1], name
        assert code in wrong[0] and wrong[-1] == "None", name
    one = notice(change())
    for name, raw in (("unregistered-spouse-relationship-refused",
                       _with(one, "<c:Relationship>01<", "<c:Relationship>03<")),
                      ("one-character-name-refused", notice(change(name="林一"))),
                      ("one-character-name-refused", notice(change(name="渡邉\U000e011f"))),
                      ("sender-unit-last-code-refused",
                       _with(one, "<pfh:BusinessUnit>07<", "<pfh:BusinessUnit>25<")),
                      ("kana-small-ka-ke-refused", notice(change(given="ヴァイオレット"))),
                      ("address-part-nonbmp-internal",
                       _with(one, "<c:Town>霞が関</c:Town>", "<c:Town>吉野町</c:Town>")),
                      ("birth-month-end-internal",
                       _with(one, "<c:DateOfBirth>1990-04-01<", "<c:DateOfBirth>1990-04-29<")),
                      ("occurred-on-leap-day-refused",
                       _with(one, "<c:OccurredOn>2025-04-01<", "<c:OccurredOn>2024-02-28<"))):
        correct, wrong = (_observed(tmp_path, d, [raw])[0] for d in (None, name))
        assert "applied</pfr:Status>" in correct and "applied</pfr:Status>" in wrong, name
    single = _observed(tmp_path, "one-character-name-refused", [notice(change(name="葛\U000e0102"))])
    assert "VENDOR-NAME" in single[0]  # a base and its selector are one character


def test_the_helpers_the_variants_are_built_on():
    assert narrowed_signs(TSUZUKI) == NARROWED and narrowed_signs("１２番地−3") == "１２番地−3"
    assert month_end("1975-02-28") and month_end("2000-02-29") and month_end("1990-12-31")
    assert not month_end("2000-02-28") and not month_end("1990-04-01")
    assert not month_end("not a date")


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    assert b"<pfh:BusinessUnit>07<" in one and one.index(b"<pfh:BusinessUnit>07<") < \
        one.index(b"<pfh:Receiver>")
    for part in ("<c:Relationship>01<", "<c:Town>霞が関</c:Town>", "<c:DateOfBirth>1990-04-01<",
                 "<c:OccurredOn>2025-04-01<"):
        assert part.encode() in one, part
