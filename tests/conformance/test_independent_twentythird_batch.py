"""Each variant of the twenty-third batch really takes effect (variants.py TWENTYTHIRD_BATCH,
declared in independent/twentythird.py), in the way of the twenty-second batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. Dates that a variant keys on are fixed (基準日), the rest computed from now — and the
scenarios are built when a test runs, not when the module is imported.

sent-at-day-of-year-pattern writes the day of the year where the day of the month belongs: in
January the two are the same, so every test here runs on a clock moved out of January
(``_outside_january``; its formatter is checked on fixed dates below as well). A measurement of the
batch in January cannot catch it: it changes nothing then."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest
from lxml import etree

from .independent.adapter import JST
from .independent.standard import CMN, JUKI, PFH, m11_ok
from .independent.twentythird import (TWENTYTHIRD_MEASURED_MISSES, content_type_parameters,
                                      day_of_year_format, half_width_katakana,
                                      snapshot_partition)
from .independent.twentythird_store import (ARCHAIC_KANA, GETA, INT32_MAX, KEY_DIGITS,
                                            TOWN_WIDTH, has_key, pua_filtered,
                                            without_late_selectors)
from .independent.variants import APART, TWENTYTHIRD_BATCH
from .variant_transcripts import (neutral_scenario_tests, NOT_HELD, SOAP12, SOAP12_TYPE, TEXT_XML,
                                  adapter_answer, assert_declared_apart, assert_takes_effect,
                                  batch_cases, change, correct_and_variant, extract, inquiry,
                                  move_clock, notice, observed, transcript)

DAY_OF_YEAR = "sent-at-day-of-year-pattern"
# two 15-digit 宛名番号 (modulus 11) that share their first 12 digits
LONG_A, LONG_B = "131016000000107", "131016000000115"
KYOTO_TOWN = "寺町通御池上る上本能寺前町"  # 京都市役所's 町名: 13 characters
LAST_ID = "ffffffff-ffff-4fff-bfff-ffffffffffff"  # a MessageId of its own
WATANABE = "渡邉\U000e011f俞\U000e0100子"  # 邉 with VS48 (U+E011F), 俞 with VS17 (U+E0100)


@pytest.fixture(autouse=True)
def _outside_january(monkeypatch):
    """In January (JST) every clock reads 31 days back: a December day at the same hour."""
    move_clock(monkeypatch, lambda now: now - dt.timedelta(days=31) if now.month == 1 else now)


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw, old
    return raw.replace(old, new, 1)


def _sender_system(raw: bytes, system_id: bytes) -> bytes:
    """The Sender's SystemId (the first SystemId of the header) replaced."""
    return _with(raw, b"<pfh:SystemId>tax<", b"<pfh:SystemId>" + system_id + b"<")


def _standard_version(raw: bytes, version: bytes) -> bytes:
    return _with(raw, b"<pfh:StandardVersion>1.0<", b"<pfh:StandardVersion>" + version + b"<")


def _resident_code(raw: bytes, code: bytes = b"10000000014") -> bytes:
    return _with(raw, b"</c:AddresseeNumber>",
                 b"</c:AddresseeNumber><c:ResidentCode>" + code + b"</c:ResidentCode>")


def _notified(raw: bytes, day: bytes = b"2025-03-20") -> bytes:
    return _with(raw, b"</c:OccurredOn>", b"</c:OccurredOn><c:NotifiedOn>" + day +
                 b"</c:NotifiedOn>")


def provider_steps(name: str) -> list:
    key = inquiry("0000010014")
    steps: dict[str, list] = {
        "as-of-answers-linkage-kind-full": [inquiry("0000010014", as_of="2020-01-01")],
        "unknown-extract-http-404": [extract(2, extract_id="unknown-1")],
        "content-type-split-on-semicolon": [(key, TEXT_XML + ";")],
        "reply-receiver-local-gov-as-integer": [_with(  # the Sender's: 札幌市
            key, b"<pfh:LocalGovCode>131016<", b"<pfh:LocalGovCode>011002<")],
        "sender-system-id-leading-digit-refused": [_sender_system(key, b"2nd-tax")],
        "standard-version-as-float-internal": [_standard_version(key, b"1.0.1")],
        "ivs-beyond-vs32-dropped": [inquiry("0000010316")],  # 渡邉󠄟俞󠄀子
        "katagaki-half-width-kana": [inquiry("0000010065")],  # 麹町ハイツ301号
        "pua-filter-range-overreach": [inquiry("0000010219")],  # 神谷ﾏﾘｱ (神 U+FA19)
        DAY_OF_YEAR: [key],
        "dated-extract-later-pages-unknown": [extract(1, as_of="2020-04-01"), ("page", 2)],
        "request-id-keyed-with-user-id": [extract(1, request_id="R23"), _with(
            extract(1, request_id="R23"), b"<pfh:UserId>batch<", b"<pfh:UserId>night-op<")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "abroad-removal-without-notified-on-refused": stored(notice(change(reason="B02"))),
        "resident-code-change-keyed-by-code": stored(one, _resident_code(notice(
            change(seq=2, name="総務花子", reason="C07")))),
        "soap11-receipt-status-capitalised": stored(one, one),
        "content-type-split-on-semicolon": stored(
            (notice(change(), soap=SOAP12), SOAP12_TYPE + ";;")),
        "addressee-number-cut-to-12": [
            notice(change(number=LONG_A)), notice(change(number=LONG_B, name="別府太郎")),
            ("observe", LONG_A), ("observe", LONG_B)],
        "sender-system-id-leading-digit-refused": stored(_sender_system(one, b"01juki")),
        "foreign-mononym-refused": stored(_with(
            notice(change(number="0000010065", name="SUKARNO", given=None)),
            b"<c:ResidentKind>1<", b"<c:ResidentKind>2<"), number="0000010065"),
        "town-over-12-characters-internal": stored(_with(
            one, "<c:Town>霞が関<".encode(), f"<c:Town>{KYOTO_TOWN}<".encode())),
        "household-number-int32-internal": stored(_with(
            one, b"<c:HouseholdNumber>0000050016<", b"<c:HouseholdNumber>3000000016<")),
        "notice-sender-system-pinned-refused": stored(
            one, _sender_system(notice(change(seq=2, name="総務花子")), b"tax-standby")),
        "standard-version-as-float-internal": stored(_standard_version(one, b"2026-R7")),
        "ivs-beyond-vs32-dropped": stored(notice(change(number="0000010316", name=WATANABE)),
                                          number="0000010316"),
        "stores-name-archaic-kana-modernised": stored(notice(change(name="山田すゑ"))),
        "pua-filter-range-overreach": stored(notice(change(name="山\ufa11花子"))),
        DAY_OF_YEAR: [one],
        "provisional-residents-reopened-on-start": stored(
            notice(change(seq=2, name="総務花子")), ("crash",),
            notice(change(seq=1, reason="A01"))),
        "resident-table-rebuilt-without-key-on-start": stored(
            one, ("crash",), notice(change(seq=2, name="総務花子"))),
        "unheld-correction-provisional-temp": stored(one, ("crash",)),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
CASES = batch_cases(TWENTYTHIRD_BATCH, APART)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(TWENTYTHIRD_BATCH, APART, min_per_class=2)
    assert len(roles) == len(CASES) and len(TWENTYTHIRD_BATCH) == len(set(TWENTYTHIRD_BATCH))
    assert len(TWENTYTHIRD_BATCH) >= 24 and len(roles) >= 30
    assert roles.count("subscriber") >= 10 and roles.count("provider") >= 10
    assert TWENTYTHIRD_MEASURED_MISSES <= set(CASES) and len(TWENTYTHIRD_MEASURED_MISSES) == 6


@pytest.mark.parametrize(("name", "role"), CASES)
def test_each_variant_takes_effect(tmp_path, name, role):
    assert_takes_effect(tmp_path, role, name, STEPS[role](name))


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.2 inquiry of a resident not held, a found one without a 基準日 (a household
    without 方書, IVS selectors below U+E0110 only) and a first 全件 page without a 基準日 (its
    方書 without full-width katakana, but 福 U+FA1B in 福田ﾊﾅ's texts);
    two 転居 of one resident (JIS X 0208 names) over SOAP 1.2 from one Sender, one per notice,
    sent in order, observed."""
    return {
        "provider": [(inquiry(NOT_HELD, soap=SOAP12), SOAP12_TYPE), inquiry("0000010049"),
                     extract(1)],
        "subscriber": [(notice(change(number="0000010049", name="高橋健一"), soap=SOAP12),
                        SOAP12_TYPE),
                       (notice(change(seq=2, number="0000010049", name="高橋健二"),
                               soap=SOAP12), SOAP12_TYPE),
                       ("observe", "0000010049")],
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO = {  # every reply's SentAt; 福 U+FA1B on the first 全件 page
    "provider": {"pua-filter-range-overreach", DAY_OF_YEAR},
    "subscriber": {DAY_OF_YEAR},
}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def _tree(defect, raw, ctype=TEXT_XML):
    return etree.fromstring(adapter_answer("provider", defect, raw, ctype).body)


def _header(tree, path: str) -> str | None:
    return tree.findtext(f".//{{{PFH}}}PlatformHeader/{path}")


def test_the_reply_header_variants_write_what_they_say():
    raw = provider_steps("as-of-answers-linkage-kind-full")[0]
    kind = f"{{{PFH}}}LinkageKind"
    assert _header(_tree(None, raw), kind) == "delta"
    assert _header(_tree("as-of-answers-linkage-kind-full", raw), kind) == "full"
    assert _header(_tree("as-of-answers-linkage-kind-full", inquiry("0000010014")),
                   kind) == "delta"  # without a 基準日: right
    raw = provider_steps("reply-receiver-local-gov-as-integer")[0]
    code = f"{{{PFH}}}Receiver/{{{PFH}}}LocalGovCode"
    assert _header(_tree(None, raw), code) == "011002"
    assert _header(_tree("reply-receiver-local-gov-as-integer", raw), code) == "11002"
    assert _header(_tree("reply-receiver-local-gov-as-integer", inquiry("0000010014")),
                   code) == "131016"


def test_the_refusing_provider_variants_refuse_what_the_correct_adapter_answers():
    for name, code in (("content-type-split-on-semicolon", b"PF-CONTENT-TYPE"),
                       ("sender-system-id-leading-digit-refused", b"PF-HEADER-INVALID"),
                       ("standard-version-as-float-internal", b"PF-PROVIDER-INTERNAL")):
        step = provider_steps(name)[0]
        raw, ctype = step if isinstance(step, tuple) else (step, TEXT_XML)
        assert b"<juki:Status>found<" in adapter_answer("provider", None, raw, ctype).body, name
        assert code in adapter_answer("provider", name, raw, ctype).body, name
        assert b"<juki:Status>found<" in adapter_answer(  # the usual forms: right
            "provider", name, inquiry("0000010014")).body, name
    for ctype in (TEXT_XML + ";", "text/xml;; charset=utf-8",
                  'application/soap+xml; action="urn:x;y"; charset=utf-8',
                  'application/soap+xml; action="urn:x?a=b"; charset=utf-8'):
        with pytest.raises(ValueError):
            content_type_parameters(ctype)
    assert content_type_parameters('text/xml; Charset="utf-8"') == {"charset": '"utf-8"'}


def test_an_unknown_extract_is_answered_404_and_other_faults_keep_their_status():
    raw = provider_steps("unknown-extract-http-404")[0]
    correct = adapter_answer("provider", None, raw)
    wrong = adapter_answer("provider", "unknown-extract-http-404", raw)
    assert b"PF-EXTRACT-UNKNOWN" in correct.body and b"PF-EXTRACT-UNKNOWN" in wrong.body
    assert (correct.status, wrong.status) == (500, 404)
    raw12 = extract(2, extract_id="unknown-1").replace(
        b"http://schemas.xmlsoap.org/soap/envelope/", SOAP12.encode())
    assert adapter_answer("provider", "unknown-extract-http-404", raw12, SOAP12_TYPE).status \
        == 404
    assert adapter_answer("provider", None, raw12, SOAP12_TYPE).status == 400
    bad = inquiry("0000010015")  # a wrong check digit: PF-RULE-VIOLATION, 500 over SOAP 1.1
    assert adapter_answer("provider", "unknown-extract-http-404", bad).status == 500


def test_the_character_answer_variants_write_what_they_say():
    name = f".//{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text"
    raw = provider_steps("ivs-beyond-vs32-dropped")[0]
    assert _tree(None, raw).findtext(name) == WATANABE
    assert _tree("ivs-beyond-vs32-dropped", raw).findtext(name) == "渡邉俞\U000e0100子"
    former = f".//{{{JUKI}}}Resident/{{{CMN}}}FormerSurname/{{{CMN}}}Text"
    assert _tree("ivs-beyond-vs32-dropped", inquiry("0000010057")).findtext(former) == \
        "葛\U000e0102西"  # VS19: kept
    raw = provider_steps("katagaki-half-width-kana")[0]
    katagaki = f".//{{{JUKI}}}Resident/{{{CMN}}}Address/{{{CMN}}}Katagaki"
    assert _tree(None, raw).findtext(katagaki) == "麹町ハイツ301号"
    assert _tree("katagaki-half-width-kana", raw).findtext(katagaki) == "麹町ﾊｲﾂ301号"
    raw = provider_steps("pua-filter-range-overreach")[0]
    town = f".//{{{JUKI}}}Resident/{{{CMN}}}Address/{{{CMN}}}Town"
    assert _tree(None, raw).findtext(name) == "\ufa19谷ﾏﾘｱ"
    assert _tree("pua-filter-range-overreach", raw).findtext(name) == f"{GETA}谷ﾏﾘｱ"
    assert _tree("pua-filter-range-overreach", raw).findtext(town) == f"{GETA}田小川町"
    assert _tree("pua-filter-range-overreach", inquiry("0000010049")).findtext(name) == \
        "髙橋健一"  # no compatibility ideograph: right


def test_a_dated_extract_loses_its_later_pages(tmp_path):
    steps = provider_steps("dated-extract-later-pages-unknown")
    correct, wrong = correct_and_variant(tmp_path, "provider",
                                         "dated-extract-later-pages-unknown", steps)
    assert correct[0] == wrong[0]  # the first page (its AsOf names its partition)
    assert "<juki:Page>2<" in correct[1] and "PF-EXTRACT-UNKNOWN" in wrong[1]
    undated = [extract(1), ("page", 2)]  # the current year's partition: found
    assert correct_and_variant(tmp_path / "undated", "provider",
                               "dated-extract-later-pages-unknown", undated)[1] == \
        transcript("provider", None, None, undated)


def test_a_retried_first_request_of_another_account_gets_a_second_snapshot(tmp_path):
    steps = provider_steps("request-id-keyed-with-user-id")
    correct, wrong = correct_and_variant(tmp_path, "provider", "request-id-keyed-with-user-id",
                                         steps)
    extract_id = re.compile("ExtractId>([^<]+)<")
    assert extract_id.search(correct[0])[1] == extract_id.search(correct[1])[1]
    assert extract_id.search(wrong[0])[1] != extract_id.search(wrong[1])[1]
    retried = [extract(1, request_id="R23"), extract(1, request_id="R23")]  # the same account
    correct, wrong = correct_and_variant(tmp_path, "provider", "request-id-keyed-with-user-id",
                                         retried)
    assert wrong == correct
    assert extract_id.search(wrong[0])[1] == extract_id.search(wrong[1])[1]


def test_the_store_variants_store_what_they_say(tmp_path):
    for name, correct, wrong in (
            ("resident-code-change-keyed-by-code", "総務花子", "総務翔子"),
            ("ivs-beyond-vs32-dropped", WATANABE, "渡邉俞\U000e0100子"),
            ("stores-name-archaic-kana-modernised", "山田すゑ", "山田すえ"),
            ("pua-filter-range-overreach", "山\ufa11花子", f"山{GETA}花子"),
            ("provisional-residents-reopened-on-start", "総務花子", "総務翔子")):
        steps = subscriber_steps(name)
        assert f"'name': {correct!r}" in observed(tmp_path, None, steps)[-1], name
        assert f"'name': {wrong!r}" in observed(tmp_path, name, steps)[-1], name
    steps = subscriber_steps("unheld-correction-provisional-temp")
    assert observed(tmp_path, None, steps)[-1] != "None"
    assert observed(tmp_path, "unheld-correction-provisional-temp", steps)[-1] == "None"
    confirmed = [notice(change(reason="A01")), ("crash",), ("observe", "0000010014")]
    assert observed(tmp_path, "unheld-correction-provisional-temp", confirmed)[-1] != "None"


def test_two_long_addressee_numbers_become_one_row(tmp_path):
    steps = subscriber_steps("addressee-number-cut-to-12")
    correct = observed(tmp_path, None, steps)
    wrong = observed(tmp_path, "addressee-number-cut-to-12", steps)
    assert "'name': '総務翔子'" in correct[2] and "'name': '別府太郎'" in correct[3]
    assert wrong[2:] == ["None", "None"]  # held under the first 12 digits only
    prefix = [*steps[:2], ("observe", LONG_A[:KEY_DIGITS])]
    assert "'name': '総務翔子'" in observed(tmp_path, "addressee-number-cut-to-12", prefix)[-1]


def test_the_refusing_store_variants_refuse(tmp_path):
    for name, at, code in (
            ("abroad-removal-without-notified-on-refused", 0, "VENDOR-DEPARTURE"),
            ("content-type-split-on-semicolon", 0, "PF-CONTENT-TYPE"),
            ("sender-system-id-leading-digit-refused", 0, "PF-HEADER-INVALID"),
            ("town-over-12-characters-internal", 0, "PF-PROVIDER-INTERNAL"),
            ("foreign-mononym-refused", 0, "VENDOR-NAME"),
            ("household-number-int32-internal", 0, "PF-PROVIDER-INTERNAL"),
            ("notice-sender-system-pinned-refused", 1, "VENDOR-PUBLISHER"),
            ("standard-version-as-float-internal", 0, "PF-PROVIDER-INTERNAL"),
            ("resident-table-rebuilt-without-key-on-start", 1, "PF-PROVIDER-INTERNAL")):
        steps = subscriber_steps(name)
        assert "applied</pfr:Status>" in observed(tmp_path, None, steps)[at], name
        assert code in observed(tmp_path, name, steps)[at], name
    departure = [_notified(notice(change(reason="B02")))]  # with its 届出年月日: applied
    assert "applied</pfr:Status>" in observed(
        tmp_path, "abroad-removal-without-notified-on-refused", departure)[0]
    foreign = [_with(notice(change(number="0000010065", name="ROSSI VIOLA", given=None)),
                     b"<c:ResidentKind>1<", b"<c:ResidentKind>2<"),  # 氏 and 名: applied
               notice(change(name="SUKARNO"))]  # a 日本人 name (ResidentKind 1): applied
    assert all("applied</pfr:Status>" in answer for answer in observed(
        tmp_path, "foreign-mononym-refused", foreign))
    same = [notice(change()), notice(change(seq=2, name="総務花子"))]  # one publisher: applied
    assert "applied</pfr:Status>" in observed(
        tmp_path, "notice-sender-system-pinned-refused", same)[1]


def test_the_key_is_lost_only_on_a_start_with_residents(tmp_path):
    db = tmp_path / "store.sqlite3"
    steps = subscriber_steps("resident-table-rebuilt-without-key-on-start")
    transcript("subscriber", db, "resident-table-rebuilt-without-key-on-start", steps)
    with sqlite3.connect(db) as conn:
        assert not has_key(conn)
        assert conn.execute("SELECT name FROM resident").fetchall() == [("総務翔子",)]
    fresh = tmp_path / "fresh.sqlite3"
    transcript("subscriber", fresh, "resident-table-rebuilt-without-key-on-start",
               [("crash",), notice(change())])
    with sqlite3.connect(fresh) as conn:
        assert has_key(conn)  # an empty table is left as it is
    redelivered = [notice(change(), message_id=LAST_ID), ("crash",),
                   notice(change(), message_id=LAST_ID)]
    assert "duplicate</pfr:Status>" in observed(
        tmp_path, "resident-table-rebuilt-without-key-on-start", redelivered)[1]


def test_receipts_over_soap11_are_capitalised_only_there(tmp_path):
    steps = subscriber_steps("soap11-receipt-status-capitalised")
    correct = observed(tmp_path, None, steps)
    wrong = observed(tmp_path, "soap11-receipt-status-capitalised", steps)
    assert "<pfr:Status>applied<" in correct[0] and "<pfr:Status>Applied<" in wrong[0]
    assert "<pfr:Status>duplicate<" in correct[1] and "<pfr:Status>Duplicate<" in wrong[1]
    soap12 = [(notice(change(), soap=SOAP12), SOAP12_TYPE)]
    assert observed(tmp_path, None, soap12) == observed(
        tmp_path, "soap11-receipt-status-capitalised", soap12)


def test_the_helpers_the_variants_are_built_on():
    when = dt.datetime(2026, 12, 5, 17, 20, tzinfo=JST)
    assert day_of_year_format(when) == "2026-12-339T17:20:00+09:00"
    assert day_of_year_format(when.replace(month=1, day=31)) == "2026-01-31T17:20:00+09:00"
    assert day_of_year_format(when.replace(month=2, day=1)) == "2026-02-32T17:20:00+09:00"
    assert snapshot_partition(" 2025-04-01 ") == "2025"
    assert snapshot_partition(None) == str(dt.datetime.now(JST).year)
    assert without_late_selectors(WATANABE) == "渡邉俞\U000e0100子"
    assert without_late_selectors("葛\U000e0102西") == "葛\U000e0102西"
    assert "ゐゑヰヱ".translate(ARCHAIC_KANA) == "いえイエ"
    assert pua_filtered("\ue000渡\ufa11\ufa19\uf8ff") == GETA + "渡" + GETA * 3
    assert pua_filtered("髙橋葛\U000e0102西") == "髙橋葛\U000e0102西"
    assert half_width_katakana("麹町ハイツ301号") == "麹町ﾊｲﾂ301号"
    assert half_width_katakana("ﾊｲﾂ\ufa1b１号ヴ") == "ﾊｲﾂ\ufa1b１号ｳﾞ"  # 福 U+FA1B kept
    assert m11_ok(LONG_A) and m11_ok(LONG_B) and LONG_A[:KEY_DIGITS] == LONG_B[:KEY_DIGITS]
    assert len(KYOTO_TOWN) > TOWN_WIDTH and 3000000016 > INT32_MAX


def test_requests_keep_what_the_transcripts_rely_on():
    raw = inquiry("0000010014")
    assert raw.index(b"<pfh:SystemId>tax<") < raw.index(b"<pfh:Receiver>")  # the Sender's
    assert raw.index(b"<pfh:LocalGovCode>131016<") < raw.index(b"<pfh:Receiver>")
    one = notice(change())
    assert b"<c:Town>\xe9\x9c\x9e\xe3\x81\x8c\xe9\x96\xa2<" in one  # 霞が関
    assert b"<c:HouseholdNumber>0000050016<" in one and b"NotifiedOn" not in one
    assert b"<pfh:StandardVersion>1.0<" in one
