"""Each variant of the thirty-seventh batch really takes effect (variants.py THIRTYSEVENTH_BATCH,
declared in independent/thirtyseventh.py), in the way of the thirty-sixth batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. The clock is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not
depend on when the tests run; the variants that read a date are shown to take effect at a second
instant too, 00:30 JST on the first day of a year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from lxml import etree

from tests.support.polling import wait_until

from .independent.adapter import JST, Adapter
from .independent.standard import CMN, JUKI, PFF, PFH
from .independent.thirtyseventh import (CANONICAL_CHOME, THIRTYSEVENTH_DEFECTS,
                                        THIRTYSEVENTH_MEASURED_MISSES, declared,
                                        media_stripped_of_spaces, two_digit_year_read_back,
                                        widen_half_width_kana)
from .independent.thirtyseventh_store import (ASYNC_DELAY, as_json_double, household_key,
                                              retention_cutoff)
from .independent.variants import APART, THIRTYSEVENTH_BATCH
from .variant_transcripts import as_soap12 as _soap12
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import fault_code as _code
from .variant_transcripts import receipt_status as _receipt
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import observed as _observed
from .variant_transcripts import replaced as _with
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, NOT_HELD, PINNED, TEXT_XML,
                                  answer_text, assert_declared_apart, batch_cases, change, clock_from,
                                  extract, inquiry, missed_runs, neutral_restart_scenario,
                                  neutral_scenario_tests, notice, transcript, variant_effect_tests)

# the variants that read a date: shown at NEW_YEAR too
DATED = {"by-individual-number-sent-at-utc-clock", "not-found-sent-at-naive",
         "birth-two-digit-year-pivot-refused", "individual-number-before-numbering-refused",
         "residents-past-retention-purged-on-start"}
DURABLE = {"residents-past-retention-purged-on-start",
           "watermarks-cached-as-json-double-on-start",
           "former-surname-changes-applied-after-receipt"}
OWN_TEST: frozenset[str] = frozenset()  # every variant takes effect on a scenario of its own
BEYOND_2_53 = 2**53 + 1  # 9007199254740993: a double holds 9007199254740992.0
UTF16_TYPE = "text/xml; charset=utf-16"


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, PINNED)


def _utf16_undeclared(raw: bytes) -> tuple[bytes, str]:
    """``raw`` in UTF-16 with its byte order mark and no XML declaration."""
    text = raw.decode()
    assert text.startswith("<?xml")
    return text.split("?>", 1)[1].encode("utf-16"), UTF16_TYPE


def _utf16_declared(raw: bytes) -> tuple[bytes, str]:
    return raw.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"), \
        UTF16_TYPE


def _own_sender(raw: bytes) -> bytes:
    """``raw`` sent by another municipality's system named like the provider (Sender first)."""
    raw = _with(raw, "<pfh:SystemId>tax<", "<pfh:SystemId>indie<")
    return _with(raw, f"<pfh:LocalGovCode>{GOV}<", "<pfh:LocalGovCode>141003<")


def _former_surname(raw: bytes, text: str = "神田") -> bytes:
    """``raw`` whose (first) change's resident carries cmn:FormerSurname."""
    return _with(raw, "</c:Name>", f"</c:Name><c:FormerSurname><c:Text>{text}</c:Text>"
                                   "</c:FormerSurname>")


def _chome(raw: bytes, value: str) -> bytes:
    return _with(raw, "<c:Town>霞が関</c:Town>", f"<c:Town>霞が関</c:Town><c:Chome>{value}</c:Chome>")


def _household(raw: bytes, number: str = "0000050024") -> bytes:
    return _with(raw, "<c:HouseholdNumber>0000050016<", f"<c:HouseholdNumber>{number}<")


def _born(raw: bytes, day: str) -> bytes:
    return _with(raw, "<c:DateOfBirth>1990-04-01<", f"<c:DateOfBirth>{day}<")


def _dated(raw: bytes, day: str) -> bytes:
    return _with(raw, "<c:OccurredOn>2025-04-01<", f"<c:OccurredOn>{day}<")


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "rule-fault-soap11-faultcode-server": [inquiry(BAD_CHECK_DIGIT)],
        "by-individual-number-former-surname-dropped": [
            inquiry("567890123457", by="IndividualNumber")],
        "unknown-extract-fault-message-id-omitted": [extract(2, extract_id="no-such-extract")],
        "content-type-tab-before-semicolon-refused": [
            (inquiry("0000010014"), "text/xml\t; charset=utf-8")],
        "sender-own-system-id-refused": [_own_sender(inquiry("0000010014"))],
        "utf16-without-declaration-read-as-utf8": [_utf16_undeclared(inquiry("0000010014"))],
        "former-surname-half-width-widened": [inquiry("0000000019")],
        "soap12-answers-nonbmp-surrogate-references": [_soap12(inquiry("0000010073"))],
        "by-individual-number-sent-at-utc-clock": [
            inquiry("123456789018", by="IndividualNumber")],
        "not-found-sent-at-naive": [inquiry(NOT_HELD)],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "rule-fault-soap11-faultcode-server": [notice(change(reason="Z99"))],
        "former-surname-deletion-with-former-surname-refused": stored(
            _former_surname(notice(change(reason="C09")))),
        "chome-leading-zero-internal": stored(_chome(one, "02")),
        "resident-keyed-with-household-number": stored(
            one, _household(notice(change(seq=2, name="総務花子", reason="C04")))),
        "utf16-without-declaration-read-as-utf8": stored(_utf16_undeclared(one)),
        "removal-notice-names-via-cp932": stored(notice(change(name="𠮷田花子", reason="B01"))),
        "first-change-names-nfkc": stored(notice(change(name="神谷ﾏﾘｱ", reason="A01"))),
        "birth-two-digit-year-pivot-refused": stored(_born(one, "1945-08-15")),
        "individual-number-before-numbering-refused": stored(
            _dated(notice(change(reason="C12")), "2010-05-01")),
        "residents-past-retention-purged-on-start": stored(
            _dated(one, "2019-06-01"), ("crash",)),
        "watermarks-cached-as-json-double-on-start": stored(
            notice(change(seq=BEYOND_2_53)), ("crash",),
            notice(change(seq=BEYOND_2_53, name="総務花子"))),
        "former-surname-changes-applied-after-receipt": stored(
            notice(change(reason="C08")), ("crash",)),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(THIRTYSEVENTH_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(THIRTYSEVENTH_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own
    assert len(THIRTYSEVENTH_BATCH) == len(set(THIRTYSEVENTH_BATCH))
    assert 18 <= len(THIRTYSEVENTH_BATCH) <= 20 and len(roles) >= 22
    assert DATED <= THIRTYSEVENTH_BATCH and DURABLE <= THIRTYSEVENTH_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)
    assert abs(roles.count("provider") - roles.count("subscriber")) <= 2  # balanced
    assert set(THIRTYSEVENTH_DEFECTS) == THIRTYSEVENTH_BATCH


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(THIRTYSEVENTH_MEASURED_MISSES, THIRTYSEVENTH_BATCH, APART)
    assert len(THIRTYSEVENTH_MEASURED_MISSES) == 4  # variants missed, 18/22 runs on 1b58238
    assert len(missed) == 4 and set(missed) <= set(CASES)
    assert len(CASES) == 22


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.1 inquiry of a resident held by 宛名番号 (no 旧氏) and one of another over SOAP 1.2
    (JIS X 0208 names); a first 全件 request for page 2 and page 3 (two residents a page). A 転入
    (A01) of a resident not held, then two 転居 (C01), one per notice (the second over SOAP 1.2),
    observed; a restart; a third, newer, observed."""
    return {
        "provider": [inquiry("0000010014"), _soap12(inquiry("0000010022")),
                     extract(2, page_size=2), ("page", 3, 2)],
        "subscriber": neutral_restart_scenario(),
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {"provider": set(), "subscriber": set()}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------


def _status(answer) -> str | None:
    return answer_text(answer, f"{{{JUKI}}}Status")



def _sent_at(answer) -> str | None:
    return answer_text(answer, f"{{{PFH}}}SentAt")


def test_the_fault_variants_write_what_they_say(tmp_path):
    name = "rule-fault-soap11-faultcode-server"
    for role, raw in (("provider", inquiry(BAD_CHECK_DIGIT)),
                      ("subscriber", notice(change(reason="Z99")))):
        right = _tree(None, raw, role=role, tmp_path=tmp_path)
        wrong = _tree(name, raw, role=role, tmp_path=tmp_path)
        assert right.findtext(".//faultcode") == "soap:Client"
        assert wrong.findtext(".//faultcode") == "soap:Server"
        assert wrong.findtext(f".//{{{PFF}}}Party") == "client"
        assert wrong.findtext(f".//{{{PFF}}}Code") == "PF-RULE-VIOLATION"
    over_12 = _answer(name, *_soap12(inquiry(BAD_CHECK_DIGIT)))  # SOAP 1.2: right
    assert over_12.status == 400 and b"soap:Sender" in over_12.body
    misrouted = inquiry("0000010014", receiver=(GOV, "01", "other"))  # another fault: right
    assert _tree(name, misrouted).findtext(".//faultcode") == "soap:Client"
    name = "unknown-extract-fault-message-id-omitted"
    raw = extract(2, extract_id="no-such-extract")
    mid = etree.fromstring(raw).findtext(f".//{{{PFH}}}MessageId")
    assert _tree(None, raw).findtext(f".//{{{PFF}}}MessageId") == mid
    wrong = _tree(name, raw)
    assert wrong.findtext(f".//{{{PFF}}}Code") == "PF-EXTRACT-UNKNOWN"
    assert wrong.find(f".//{{{PFF}}}MessageId") is None
    rule = inquiry(BAD_CHECK_DIGIT)  # another fault: its MessageId kept
    assert _tree(name, rule).findtext(f".//{{{PFF}}}MessageId") == \
        etree.fromstring(rule).findtext(f".//{{{PFH}}}MessageId")


def test_the_front_end_variants_refuse_what_they_say(tmp_path):
    name = "content-type-tab-before-semicolon-refused"
    raw = inquiry("0000010014")
    for ctype, refused in (("text/xml\t; charset=utf-8", True), ("text/xml\t;charset=utf-8", True),
                           ("text/xml ; charset=utf-8", False), ("text/xml;\tcharset=utf-8", False),
                           (TEXT_XML, False)):
        assert _status(_answer(None, raw, ctype)) == "found"
        assert (_code(_answer(name, raw, ctype)) == "PF-CONTENT-TYPE") is refused, repr(ctype)
    name = "utf16-without-declaration-read-as-utf8"
    for role, plain in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        bare, declared_16 = _utf16_undeclared(plain), _utf16_declared(plain)
        right = _answer(None, *bare, role=role, tmp_path=tmp_path)
        assert right.status == 200 and _code(right) is None, role
        assert _code(_answer(name, *bare, role=role, tmp_path=tmp_path)) == "PF-SOAP-ENVELOPE"
        assert _answer(name, *declared_16, role=role, tmp_path=tmp_path).status == 200
        undeclared_8 = plain.decode().split("?>", 1)[1].encode()  # UTF-8 without one: right
        assert _answer(name, undeclared_8, role=role, tmp_path=tmp_path).status == 200
    name = "sender-own-system-id-refused"
    assert _status(_answer(None, _own_sender(inquiry("0000010014")))) == "found"
    assert _code(_answer(name, _own_sender(inquiry("0000010014")))) == "PF-PROVIDER-MISROUTED"
    assert _status(_answer(name, inquiry("0000010014"))) == "found"


def test_the_answer_variants_write_what_they_say():
    name = "by-individual-number-former-surname-dropped"
    former = f"{{{JUKI}}}Resident/{{{CMN}}}FormerSurname/{{{CMN}}}Text"
    by_number = inquiry("567890123457", by="IndividualNumber")
    assert _tree(None, by_number).findtext(f".//{former}") == "葛\U000e0102西"
    assert _tree(name, by_number).find(f".//{former}") is None
    assert _tree(name, inquiry("0000010057")).findtext(f".//{former}") == "葛\U000e0102西"
    name = "former-surname-half-width-widened"
    texts = f".//{{{CMN}}}FormerSurname/{{{CMN}}}Text"
    right = _tree(None, inquiry("0000000019")).findtext(texts)
    assert right.endswith("井ｲ〜‖−¢£¬―")  # 福 U+FA1B, a compatibility ideograph, kept too
    assert _tree(name, inquiry("0000000019")).findtext(texts) == right.replace("ｲ", "イ")
    name_text = f".//{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text"
    assert _tree(name, inquiry("0000010219")).findtext(name_text) == \
        _tree(None, inquiry("0000010219")).findtext(name_text)  # the name (神谷ﾏﾘｱ): right
    name = "soap12-answers-nonbmp-surrogate-references"
    raw, ctype = _soap12(inquiry("0000010073"))
    assert "\U00020bb7田一郎".encode() in _answer(None, raw, ctype).body
    wrong = _answer(name, raw, ctype).body
    assert b"&#xD842;&#xDFB7;" in wrong and "\U00020bb7".encode() not in wrong
    assert "\U00020bb7田一郎".encode() in _answer(name, inquiry("0000010073")).body  # SOAP 1.1


def test_the_clock_variants_write_what_they_say():
    def behind(answer) -> float:
        sent = dt.datetime.fromisoformat(_sent_at(answer))
        return (dt.datetime.now(JST) - sent).total_seconds()
    name = "by-individual-number-sent-at-utc-clock"
    by_number = inquiry("123456789018", by="IndividualNumber")
    assert abs(behind(_answer(None, by_number))) < 60
    assert abs(behind(_answer(name, by_number)) - 9 * 3600) < 60
    assert abs(behind(_answer(name, inquiry("0000010014")))) < 60  # by 宛名番号: right
    name = "not-found-sent-at-naive"
    assert _sent_at(_answer(None, inquiry(NOT_HELD))).endswith("+09:00")
    assert not _sent_at(_answer(name, inquiry(NOT_HELD))).endswith("+09:00")
    assert dt.datetime.fromisoformat(_sent_at(_answer(name, inquiry(NOT_HELD)))).tzinfo is None
    assert _sent_at(_answer(name, inquiry("0000010014"))).endswith("+09:00")  # found: right


def test_the_notice_variants_refuse_what_they_say(tmp_path):
    def answer(defect, raw):
        return _answer(defect, raw, role="subscriber", tmp_path=tmp_path)
    name = "former-surname-deletion-with-former-surname-refused"
    c09 = _former_surname(notice(change(reason="C09")))
    assert _receipt(answer(None, c09)) == "applied" and _code(answer(name, c09)) == \
        "VENDOR-INCONSISTENT"
    for right in (notice(change(reason="C09")), _former_surname(notice(change(reason="C08"))),
                  _former_surname(notice(change()))):
        assert _receipt(answer(name, right)) == "applied"
    name = "chome-leading-zero-internal"
    for value, refused in (("02", True), ("010", True), ("+3", True), (" 3 ", True),
                           ("2", False), ("9999", False)):
        raw = _chome(notice(change()), value)
        assert _receipt(answer(None, raw)) == "applied", value
        assert (_code(answer(name, raw)) == "PF-PROVIDER-INTERNAL") is refused, value
    assert CANONICAL_CHOME.fullmatch("10") and not CANONICAL_CHOME.fullmatch("010")
    name = "birth-two-digit-year-pivot-refused"
    for born, refused in (("1945-08-15", True), ("1926-12-25", True), ("1950-01-01", False),
                          ("1990-04-01", False), ("2021-06-15", False)):
        raw = _born(notice(change()), born)
        assert _receipt(answer(None, raw)) == "applied"
        assert (_code(answer(name, raw)) == "VENDOR-DATE") is refused, born
    name = "individual-number-before-numbering-refused"
    for day, refused in (("2010-05-01", True), ("2015-10-04", True), ("2015-10-05", False)):
        raw = _dated(notice(change(reason="C12")), day)
        assert _receipt(answer(None, raw)) == "applied"
        assert (_code(answer(name, raw)) == "VENDOR-DATE") is refused, day
    without = _with(_dated(notice(change()), "2010-05-01"),
                    "<c:IndividualNumber>890123456780</c:IndividualNumber>", "")
    assert _receipt(answer(name, without)) == "applied"  # no 個人番号: right


def test_the_store_variants_hold_what_they_say(tmp_path):
    name = "resident-keyed-with-household-number"
    steps = subscriber_steps(name)
    assert "'name': '総務花子', 'changes_applied': 2" in _observed(tmp_path, None, steps)[-1]
    assert "'name': '総務翔子', 'changes_applied': 1" in _observed(tmp_path, name, steps)[-1]
    same = [notice(change()), notice(change(seq=2, name="総務花子")), ("observe", "0000010014")]
    assert _observed(tmp_path, None, same) == _observed(tmp_path, name, same)
    name = "removal-notice-names-via-cp932"
    assert "'name': '?田花子'" in _observed(tmp_path, name, subscriber_steps(name))[-1]
    moved = [notice(change(name="𠮷田花子")), ("observe", "0000010014")]  # a 転居: right
    assert _observed(tmp_path, None, moved) == _observed(tmp_path, name, moved)
    name = "first-change-names-nfkc"
    assert "'name': '神谷マリア'" in _observed(tmp_path, name, subscriber_steps(name))[-1]
    assert "'name': '神谷ﾏﾘｱ'" in _observed(tmp_path, None, subscriber_steps(name))[-1]
    held = [notice(change(name="総務翔子")), notice(change(seq=2, name="神谷ﾏﾘｱ")),
            ("observe", "0000010014")]  # a resident held: stored as sent
    assert "'name': '神谷ﾏﾘｱ'" in _observed(tmp_path, name, held)[-1]


def test_the_durable_variants_lose_what_they_say(tmp_path):
    name = "residents-past-retention-purged-on-start"
    steps = subscriber_steps(name)
    assert "'changes_applied': 1" in _observed(tmp_path, None, steps)[-1]
    assert _observed(tmp_path, name, steps)[-1] == "None"
    recent = [_dated(notice(change()), "2024-06-01"), ("crash",), ("observe", "0000010014")]
    assert _observed(tmp_path, None, recent) == _observed(tmp_path, name, recent)
    assert retention_cutoff(PINNED.date()) == "2021-12-09"
    assert retention_cutoff(dt.date(2028, 2, 29)) == "2023-02-28"
    name = "watermarks-cached-as-json-double-on-start"
    steps = subscriber_steps(name)
    assert "'name': '総務翔子', 'changes_applied': 1" in _observed(tmp_path, None, steps)[-1]
    assert "'name': '総務花子', 'changes_applied': 2" in _observed(tmp_path, name, steps)[-1]
    assert as_json_double(BEYOND_2_53) == BEYOND_2_53 - 1
    small = [notice(change(seq=5)), ("crash",), notice(change(seq=5, name="総務花子")),
             ("observe", "0000010014")]  # below 2⁵³: right
    assert _observed(tmp_path, None, small) == _observed(tmp_path, name, small)
    name = "former-surname-changes-applied-after-receipt"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "applied</pfr:Status>" in right[0] and "applied</pfr:Status>" in wrong[0]
    assert "'changes_applied': 1" in right[-1] and wrong[-1] == "None"
    adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / "late.sqlite3",
                      defect=name)
    answer = adapter.handle(notice(change(reason="C09")), TEXT_XML, '""')
    assert b"applied</pfr:Status>" in answer.body and adapter.observe("0000010014") is None
    wait_until(lambda: adapter.observe("0000010014") is not None, ASYNC_DELAY + 10,
               "the 旧氏 module to apply the notice")
    plain = [notice(change()), ("crash",), ("observe", "0000010014")]  # C01: right
    assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain)


def test_the_helpers_the_variants_are_built_on():
    assert widen_half_width_kana("福井ｲ〜") == "福井イ〜" and widen_half_width_kana("ﾂﾂﾞｷ") == "ツヅキ"
    assert widen_half_width_kana("総務　翔子") == "総務　翔子"
    assert two_digit_year_read_back("1945-08-15") == "2045-08-15"
    assert two_digit_year_read_back("1990-04-01") == "1990-04-01"
    assert two_digit_year_read_back("2021-06-15") == "2021-06-15"
    assert media_stripped_of_spaces("Text/XML\t; charset=utf-8") == "text/xml\t"
    assert media_stripped_of_spaces("text/xml ; charset=utf-8") == "text/xml"
    assert not declared(_utf16_undeclared(inquiry("0000010014"))[0])
    assert declared(_utf16_declared(inquiry("0000010014"))[0])
    assert household_key("0000010014", "0000050024") == "0000010014/0000050024"


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("<c:HouseholdNumber>0000050016<", "<c:DateOfBirth>1990-04-01<",
                 "<c:OccurredOn>2025-04-01<", "</c:Name>", "<c:Town>霞が関</c:Town>",
                 "<pfh:SystemId>tax<", '<?xml version="1.0" encoding="UTF-8"?>'):
        assert part.encode() in one, part
    assert f"<pfh:LocalGovCode>{GOV}<".encode() in inquiry("0000010014")
    assert transcript("provider", None, None, [extract(1)])[0].startswith("200 ")
