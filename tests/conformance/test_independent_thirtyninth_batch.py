"""Each variant of the thirty-ninth batch really takes effect (variants.py THIRTYNINTH_BATCH,
declared in independent/thirtyninth.py), in the way of the thirty-eighth batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. The clock is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not
depend on when the tests run; the variants that read a date are shown to take effect at a second
instant too, 00:30 JST on the first day of a year. Two variants that read the clock to the second
take effect on exchanges a transcript cannot write (a request stamped before the answer it
follows, the last half second of a minute) and have tests of their own (OWN_TEST)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
import re
from collections.abc import Callable

import pytest

from tests.support.polling import wait_until

from .independent.adapter import JST, Adapter
from .independent.standard import PFF, PFH
from .independent.thirtyninth import (SUMMER_TIME_GAPS, THIRTYNINTH_DEFECTS,
                                      THIRTYNINTH_MEASURED_MISSES, detached_path, gaiji_out,
                                      not_jis, resolved_references, rounded_without_carry)
from .independent.thirtyninth_store import ASYNC_DELAY, loaded_at_start
from .independent.variants import APART, THIRTYNINTH_BATCH
from .variant_transcripts import as_soap12 as _soap12
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import fault_code as _code
from .variant_transcripts import receipt_status as _receipt
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import observed as _observed
from .variant_transcripts import replaced as _with
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, TEXT_XML,
                                  answer_text, assert_declared_apart, batch_cases, change,
                                  clock_from, extract, inquiry, move_clock,
                                  missed_runs, neutral_restart_scenario,
                                  neutral_scenario_tests, notice, transcript,
                                  variant_effect_tests)

# the variants that read a date or the clock: shown at NEW_YEAR too
DATED = {"dates-in-summer-time-gap-internal"}
DURABLE = {"standby-publisher-seen-ids-not-loaded-on-start",
           "us-ascii-notices-applied-after-receipt",
           "notices-with-other-header-blocks-applied-after-receipt"}
# the variants that read the clock to the second: tests of their own (below)
OWN_TEST: frozenset[str] = frozenset({"later-page-stamped-before-snapshot-refused",
                                      "sent-at-seconds-rounded-to-60"})
ASCII_TYPE = "text/xml; charset=us-ascii"
STANDBY = "tax-dr"
REDELIVERED = "f1c2a3e0-1b2c-4d5e-8f90-123456789abc"
GAP_DAY = "1950-05-07"  # summer time began at 24:00 of Saturday 1950-05-06


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, dt.datetime(2026, 12, 9, 15, 20, tzinfo=JST))


def _bad_header(raw: bytes) -> bytes:
    """``raw`` whose pfh:UserId breaks UserIdType (a letter or digit first)."""
    return _with(raw, "<pfh:UserId>batch<", "<pfh:UserId>-batch<")


def _headerless(raw: bytes) -> bytes:
    """``raw`` whose soap:Header holds no pfh:PlatformHeader (an empty Header)."""
    return re.sub(rb"<soap:Header>.*</soap:Header>", b"<soap:Header/>", raw, flags=re.S)


def _empty_body(raw: bytes) -> bytes:
    """``raw`` whose soap:Body holds no element."""
    return re.sub(rb"<soap:Body>.*</soap:Body>", b"<soap:Body>\n</soap:Body>", raw, flags=re.S)


def _block(raw: bytes, must_understand: bool = False) -> bytes:
    """``raw`` with a vendor's trace block before the platform header."""
    mu = ' soap:mustUnderstand="1"' if must_understand else ""
    return _with(raw, "<soap:Header>",
                 f'<soap:Header><v:Trace xmlns:v="urn:example:vendor"{mu}>t-1</v:Trace>')


def _from(raw: bytes, system_id: str) -> bytes:
    """``raw`` sent by another system of the same 団体 and 業務ユニット (the Sender comes
    first)."""
    return _with(raw, "<pfh:SystemId>tax<", f"<pfh:SystemId>{system_id}<")


def _ascii(raw: bytes) -> bytes:
    """``raw`` in US-ASCII, declared so, every other character a character reference."""
    text = _with(raw, 'encoding="UTF-8"', 'encoding="US-ASCII"').decode()
    return text.encode("ascii", "xmlcharrefreplace")


def _referenced(raw: bytes) -> bytes:
    """``raw`` whose 宛名番号's first digit is written as a character reference."""
    return _with(raw, "<j:AddresseeNumber>0", "<j:AddresseeNumber>&#x30;")


def _born(raw: bytes, day: str) -> bytes:
    return _with(raw, "<c:DateOfBirth>1990-04-01<", f"<c:DateOfBirth>{day}<")


def _second_household(raw: bytes, household: str = "0000050024") -> bytes:
    """``raw`` (a notice of two changes) whose last change is of another 世帯."""
    head, sep, tail = raw.rpartition(b"<c:HouseholdNumber>0000050016<")
    assert sep, "a second change"
    return head + f"<c:HouseholdNumber>{household}<".encode() + tail


def _sent(raw: bytes, seconds: float) -> bytes:
    """``raw`` stamped ``seconds`` from now (JST)."""
    stamped = (dt.datetime.now(JST) + dt.timedelta(seconds=seconds)).isoformat(timespec="seconds")
    return re.sub(rb"<pfh:SentAt>[^<]+<", f"<pfh:SentAt>{stamped}<".encode(), raw, count=1)


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "header-finding-path-from-detached-header": [_bad_header(inquiry("0000010014"))],
        "header-missing-soap12-http-500": [_soap12(_headerless(inquiry("0000010014")))],
        "empty-body-fault-as-server": [_empty_body(inquiry("0000010014"))],
        "soap12-found-answer-elements-alphabetical": [_soap12(inquiry("0000010014"))],
        "must-understand-fault-message-id-omitted": [_block(inquiry("0000010014"), True)],
        "request-id-sender-case-folded": [extract(1, request_id="transfer-1"),
                                          _from(extract(1, request_id="transfer-1"), "TAX")],
        "charset-label-and-declaration-compared-by-name": [(inquiry("0000010014"), ASCII_TYPE)],
        "request-hash-after-references-resolved": [_referenced(inquiry("0000010014"))],
        "former-surname-gaiji-left-private": [inquiry("0000010057")],
        "us-ascii-request-answer-declared-us-ascii": [_ascii(inquiry("0000010014"))],
        "dates-in-summer-time-gap-internal": [inquiry("0000010014", as_of=GAP_DAY)],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "header-finding-path-from-detached-header": stored(_bad_header(one)),
        "header-missing-soap12-http-500": stored(_soap12(_headerless(one))),
        "empty-body-fault-as-server": stored(_empty_body(one)),
        "must-understand-fault-message-id-omitted": stored(_block(one, True)),
        "charset-label-and-declaration-compared-by-name": stored(_ascii(one)),
        "multi-household-notice-refused": stored(_second_household(
            notice(change(), change(number="0000010049", name="髙橋健一")))),
        "refused-notice-with-non-jis-name-html-500": stored(
            notice(change(name="\U00020bb7田花子", reason="Z99"))),
        "request-hash-after-references-resolved": stored((_ascii(one), ASCII_TYPE)),
        "dates-in-summer-time-gap-internal": stored(_born(one, GAP_DAY)),
        "standby-publisher-seen-ids-not-loaded-on-start": stored(
            one, _from(notice(change(seq=2), message_id=REDELIVERED), STANDBY), ("crash",),
            _from(notice(change(seq=2), message_id=REDELIVERED), STANDBY)),
        "us-ascii-notices-applied-after-receipt": stored((_ascii(one), ASCII_TYPE), ("crash",)),
        "notices-with-other-header-blocks-applied-after-receipt": stored(_block(one),
                                                                         ("crash",)),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(THIRTYNINTH_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(THIRTYNINTH_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own
    assert len(THIRTYNINTH_BATCH) == len(set(THIRTYNINTH_BATCH))
    assert 18 <= len(THIRTYNINTH_BATCH) <= 20 and len(roles) >= 22
    assert DATED <= THIRTYNINTH_BATCH and DURABLE <= THIRTYNINTH_BATCH
    assert OWN_TEST <= THIRTYNINTH_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)
    assert abs(roles.count("provider") - roles.count("subscriber")) <= 2  # balanced
    assert set(THIRTYNINTH_DEFECTS) == THIRTYNINTH_BATCH


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(THIRTYNINTH_MEASURED_MISSES, THIRTYNINTH_BATCH, APART)
    assert len(THIRTYNINTH_MEASURED_MISSES) == 7  # variants missed, 16/26 runs on dcad26e
    every_run = batch_cases(THIRTYNINTH_BATCH, APART)
    assert len(missed) == 10 and set(missed) <= set(every_run)
    assert len(every_run) == 26 and len(CASES) == 23


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.1 inquiry of a resident held by 宛名番号 and one of another over SOAP 1.2 (JIS X
    0208 names); a first 全件 request for page 2 and page 3 (two residents a page). A 転入 (A01)
    of a resident not held, then two 転居 (C01), one per notice (the second over SOAP 1.2),
    observed; a restart; a third, newer, observed."""
    return {
        "provider": [inquiry("0000010014"), _soap12(inquiry("0000010022")),
                     extract(2, page_size=2), ("page", 3, 2)],
        "subscriber": neutral_restart_scenario(),
    }[role]


# the neutral scenario's SOAP 1.2 inquiry finds its resident: its answer is written in
# alphabetical order (test_the_answer_variants_write_what_they_say: not over SOAP 1.1); its page
# 3 holds 髙橋美咲, whose 旧氏 is 葛 U+E0102 西 (the same test: a 旧氏 without 外字 is left)
TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {
    "provider": {"soap12-found-answer-elements-alphabetical", "former-surname-gaiji-left-private"},
    "subscriber": set()}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------



def test_the_fault_variants_write_what_they_say(tmp_path):
    for role, plain in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        def tree(defect, raw, ctype=TEXT_XML, role=role):
            return _tree(defect, raw, ctype, role=role, tmp_path=tmp_path)
        name = "header-finding-path-from-detached-header"
        assert tree(None, _bad_header(plain)).find(f".//{{{PFF}}}Path") is None
        wrong = tree(name, _bad_header(plain))
        assert wrong.findtext(f".//{{{PFF}}}Code") == "PF-HEADER-INVALID"
        assert wrong.findtext(f".//{{{PFF}}}Path") == "/pfh:PlatformHeader/pfh:UserId"
        name = "header-missing-soap12-http-500"
        right = _answer(None, *_soap12(_headerless(plain)), role=role, tmp_path=tmp_path)
        wrong = _answer(name, *_soap12(_headerless(plain)), role=role, tmp_path=tmp_path)
        assert right.status == 400 and wrong.status == 500 and _code(wrong) == "PF-HEADER-MISSING"
        assert b"soap:Sender" in wrong.body
        over_11 = _answer(name, _headerless(plain), role=role, tmp_path=tmp_path)
        assert over_11.status == 500 and b"soap:Client" in over_11.body  # SOAP 1.1: right
        assert _answer(name, *_soap12(_bad_header(plain)), role=role,
                       tmp_path=tmp_path).status == 400  # another client fault: right
        name = "empty-body-fault-as-server"
        assert tree(None, _empty_body(plain)).findtext(f".//{{{PFF}}}Code") == "PF-SOAP-ENVELOPE"
        wrong = tree(name, _empty_body(plain))
        assert wrong.findtext(f".//{{{PFF}}}Code") == "PF-PROVIDER-INTERNAL"
        assert wrong.findtext(".//faultcode") == "soap:Server"
        two = _with(plain, "</soap:Body>", '<x:Other xmlns:x="urn:x"/></soap:Body>')
        assert tree(name, two).findtext(f".//{{{PFF}}}Code") == "PF-SOAP-ENVELOPE"
        name = "must-understand-fault-message-id-omitted"
        assert tree(None, _block(plain, True)).findtext(f".//{{{PFF}}}MessageId")
        wrong = tree(name, _block(plain, True))
        assert wrong.findtext(f".//{{{PFF}}}Code") == "PF-MUST-UNDERSTAND"
        assert wrong.find(f".//{{{PFF}}}MessageId") is None
        assert tree(name, _bad_header(plain)).findtext(f".//{{{PFF}}}MessageId")  # others: right


def test_the_front_end_variants_refuse_what_they_say(tmp_path):
    name = "charset-label-and-declaration-compared-by-name"
    for role, plain in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        def answer(defect, raw, ctype, role=role):
            return _answer(defect, raw, ctype, role=role, tmp_path=tmp_path)
        for raw, ctype, refused in ((_ascii(plain), TEXT_XML, True),
                                    (_ascii(plain), ASCII_TYPE, False),
                                    (_ascii(plain), "text/xml", False),
                                    (plain, TEXT_XML, False)):
            assert answer(None, raw, ctype).status == 200, (role, ctype)
            assert (_code(answer(name, raw, ctype)) == "PF-CONTENT-TYPE") is refused, (role, ctype)
    assert _code(_answer(name, inquiry("0000010014"), ASCII_TYPE)) == "PF-CONTENT-TYPE"


def test_the_answer_variants_write_what_they_say():
    name = "soap12-found-answer-elements-alphabetical"
    wrong = _tree(name, *_soap12(inquiry("0000010014")))
    response = wrong.find(".//{urn:pfbus:unit:juki:v1}ResidentInquiryResponse")
    assert [el.tag.split("}")[1] for el in response] == ["Household", "Resident", "Status"]
    right = _tree(None, *_soap12(inquiry("0000010014")))
    response = right.find(".//{urn:pfbus:unit:juki:v1}ResidentInquiryResponse")
    assert [el.tag.split("}")[1] for el in response] == ["Status", "Resident", "Household"]
    assert _tree(name, inquiry("0000010014")).find(  # SOAP 1.1: right
        ".//{urn:pfbus:unit:juki:v1}ResidentInquiryResponse")[0].tag.endswith("Status")
    name = "former-surname-gaiji-left-private"
    former = ".//{urn:pfbus:platform:common:v1}FormerSurname/{urn:pfbus:platform:common:v1}Text"
    assert _tree(None, inquiry("0000010057")).findtext(former) == "葛\U000e0102西"
    assert _tree(name, inquiry("0000010057")).findtext(former) == "\ue002西"
    assert "\ue002西".encode() in _answer(name, inquiry("0000010049")).body  # a member's 旧氏
    assert _tree(name, inquiry("0000010219")).findtext(former) == "\ufa19田"  # no 外字: left
    assert "\ue002" in transcript("provider", None, name, [extract(1, page_size=20)])[0]
    name = "us-ascii-request-answer-declared-us-ascii"
    wrong = _answer(name, _ascii(inquiry("0000010014")))
    assert wrong.body.startswith(b"<?xml version='1.0' encoding='US-ASCII'?>")
    assert "総務翔子".encode() in wrong.body and wrong.content_type == TEXT_XML
    right = _answer(None, _ascii(inquiry("0000010014")))
    assert right.body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert _answer(name, inquiry("0000010014")).body.startswith(  # a UTF-8 request: right
        b"<?xml version='1.0' encoding='UTF-8'?>")
    name = "request-hash-after-references-resolved"
    steps = provider_steps(name)
    assert "hash-of-the-request" in transcript("provider", None, None, steps)[0]
    assert "hash-of-the-request" not in transcript("provider", None, name, steps)[0]
    plain = [inquiry("0000010014")]  # no character reference: right
    assert "hash-of-the-request" in transcript("provider", None, name, plain)[0]
    name = "request-id-sender-case-folded"
    steps = provider_steps(name)
    ids = [re.search(r"ExtractId>([^<]+)<", t)[1] for t in transcript("provider", None, name,
                                                                      steps)]
    assert ids[0] == ids[1]
    right = [re.search(r"ExtractId>([^<]+)<", t)[1] for t in transcript("provider", None, None,
                                                                        steps)]
    assert right[0] != right[1]
    again = [extract(1, request_id="transfer-1"), extract(1, request_id="transfer-1")]
    ids = [re.search(r"ExtractId>([^<]+)<", t)[1] for t in transcript("provider", None, name,
                                                                      again)]
    assert ids[0] == ids[1]  # the same Sender: the same snapshot, as it must be


def test_the_date_variants_refuse_what_they_say(tmp_path):
    name = "dates-in-summer-time-gap-internal"
    for day in sorted(SUMMER_TIME_GAPS):
        assert _code(_answer(name, inquiry("0000010014", as_of=day))) == "PF-PROVIDER-INTERNAL"
        assert _code(_answer(name, extract(1, as_of=day))) == "PF-PROVIDER-INTERNAL"
        assert _receipt(_answer(None, _born(notice(change()), day), role="subscriber",
                                tmp_path=tmp_path)) == "applied"
        assert _code(_answer(name, _born(notice(change()), day), role="subscriber",
                             tmp_path=tmp_path)) == "PF-PROVIDER-INTERNAL"
    for day in ("1950-05-06", "1950-05-08", "2026-05-07"):  # the days around: right
        assert _code(_answer(name, inquiry("0000010014", as_of=day))) is None
        assert _receipt(_answer(name, _born(notice(change()), day), role="subscriber",
                                tmp_path=tmp_path)) == "applied"


def test_the_gaps_are_the_days_asia_tokyo_skipped_midnight():
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")  # tzdata is on every machine CI runs on
    skipped = set()
    day = dt.date(1945, 1, 1)
    while day.year < 1960:
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=tokyo)
        back = midnight.astimezone(dt.timezone.utc).astimezone(tokyo)
        if back.replace(tzinfo=None) != midnight.replace(tzinfo=None):
            skipped.add(day.isoformat())
        day += dt.timedelta(days=1)
    assert skipped == SUMMER_TIME_GAPS


def test_the_notice_variants_refuse_what_they_say(tmp_path):
    def answer(defect, raw, ctype=TEXT_XML):
        return _answer(defect, raw, ctype, role="subscriber", tmp_path=tmp_path)
    name = "multi-household-notice-refused"
    two = _second_household(notice(change(), change(number="0000010049", name="髙橋健一")))
    assert _receipt(answer(None, two)) == "applied"
    assert _code(answer(name, two)) == "VENDOR-HOUSEHOLD"
    same = notice(change(), change(number="0000010049", name="髙橋健一"))  # one 世帯: right
    assert _receipt(answer(name, same)) == "applied"
    name = "refused-notice-with-non-jis-name-html-500"
    bad = notice(change(name="\U00020bb7田花子", reason="Z99"))
    assert _code(answer(None, bad)) == "PF-RULE-VIOLATION"
    wrong = answer(name, bad)
    assert wrong.status == 500 and wrong.content_type.startswith("text/html")
    assert _code(answer(name, notice(change(reason="Z99")))) == "PF-RULE-VIOLATION"  # JIS: right
    assert _receipt(answer(name, notice(change(name="\U00020bb7田花子")))) == "applied"
    misrouted = _with(bad, "<pfh:SystemId>hub<", "<pfh:SystemId>other<")
    assert answer(name, misrouted).status == 500
    name = "request-hash-after-references-resolved"
    steps = subscriber_steps(name)
    assert "hash-of-the-request" in _observed(tmp_path, None, steps)[0]
    assert "hash-of-the-request" not in _observed(tmp_path, name, steps)[0]


def test_the_clock_variants_write_what_they_say(monkeypatch, tmp_path):
    name = "sent-at-seconds-rounded-to-60"
    at = dt.datetime(2026, 12, 9, 15, 19, 59, 700000, tzinfo=JST)
    assert rounded_without_carry(at) == "2026-12-09T15:19:60+09:00"
    assert rounded_without_carry(at.replace(microsecond=200000)) == "2026-12-09T15:19:59+09:00"
    start = dt.datetime.now(JST)
    move_clock(monkeypatch, lambda now: at + (now - start) / 100)  # a slow clock: stays in it
    for role, raw in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        def answer(defect, role=role, raw=raw):
            db = None if role == "provider" else tmp_path / f"{role}-{defect}.sqlite3"
            return Adapter(role, GOV, "01", "indie", db=db, defect=defect).handle(
                raw, TEXT_XML, '""')
        wrong, right = answer(name), answer(None)
        assert answer_text(wrong, f"{{{PFH}}}SentAt").endswith(":19:60+09:00"), role
        assert answer_text(right, f"{{{PFH}}}SentAt").endswith(":19:59+09:00"), role
    move_clock(monkeypatch, lambda now: at.replace(second=30) + (now - start) / 100)
    fine = Adapter("provider", GOV, "01", "indie", defect=name).handle(
        inquiry("0000010014"), TEXT_XML, '""')
    assert answer_text(fine, f"{{{PFH}}}SentAt").endswith(":19:31+09:00")  # rounded: a moment


def test_the_page_variant_refuses_what_it_says():
    name = "later-page-stamped-before-snapshot-refused"
    for defect, refused in ((None, False), (name, True)):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        first = adapter.handle(extract(1, page_size=2), TEXT_XML, '""')
        extract_id = answer_text(first, "{urn:pfbus:unit:juki:v1}ExtractId")
        behind = _sent(extract(2, extract_id=extract_id, page_size=2), -60)
        answer = adapter.handle(behind, TEXT_XML, '""')
        assert (_code(answer) == "PF-MESSAGE-STALE") is refused, defect
        now = adapter.handle(extract(3, extract_id=extract_id, page_size=2), TEXT_XML, '""')
        assert now.status == 200  # stamped now: right
    first = Adapter("provider", GOV, "01", "indie", defect=name).handle(
        _sent(extract(1), -60), TEXT_XML, '""')
    assert first.status == 200  # a first request stamped behind: right


def test_the_durable_variants_lose_what_they_say(tmp_path):
    name = "standby-publisher-seen-ids-not-loaded-on-start"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "duplicate</pfr:Status>" in right[2] and "applied</pfr:Status>" in wrong[2]
    primary = [notice(change()), notice(change(seq=2), message_id=REDELIVERED), ("crash",),
               notice(change(seq=2), message_id=REDELIVERED), ("observe", "0000010014")]
    assert _observed(tmp_path, None, primary) == _observed(tmp_path, name, primary)
    for name, raw, ctype in (("us-ascii-notices-applied-after-receipt", _ascii(notice(change())),
                              ASCII_TYPE),
                             ("notices-with-other-header-blocks-applied-after-receipt",
                              _block(notice(change())), TEXT_XML)):
        crashed = [(raw, ctype), ("crash",), ("observe", "0000010014")]
        right, wrong = _observed(tmp_path, None, crashed), _observed(tmp_path, name, crashed)
        assert "applied</pfr:Status>" in right[0] and "applied</pfr:Status>" in wrong[0]
        assert "'changes_applied': 1" in right[-1] and wrong[-1] == "None", name
        plain = [notice(change()), ("crash",), ("observe", "0000010014")]
        assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain)
        adapter = Adapter("subscriber", GOV, "07", "indie",
                          db=tmp_path / f"{name}.sqlite3", defect=name)
        answer = adapter.handle(raw, ctype, None)
        assert b"applied</pfr:Status>" in answer.body and adapter.observe("0000010014") is None
        wait_until(lambda a=adapter: a.observe("0000010014") is not None, ASYNC_DELAY + 10,
                   "the pipeline to apply the notice")


def test_the_helpers_the_variants_are_built_on():
    assert resolved_references(b"<a>&#x7DCF;&#21209;&#x30;</a>") == "<a>総務0</a>".encode()
    assert not_jis("\U00020bb7田") and not_jis("葛\U000e0102西")
    assert not not_jis("総務翔子") and not not_jis("髙橋")  # 髙: an IBM extension of cp932
    assert gaiji_out("渡邊\U000e010e太郎") == "渡\ue000太郎" and gaiji_out("神田") == "神田"
    assert detached_path("/pfh:PlatformHeader/pfh:UserId") == "/pfh:PlatformHeader/pfh:UserId"
    assert detached_path("/soap:Envelope/soap:Header/h:PlatformHeader/h:SentAt") == \
        "/h:PlatformHeader/h:SentAt"
    assert detached_path(None) is None
    assert loaded_at_start([("a", "tax"), ("b", STANDBY)], "tax") == {"a"}


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("<c:DateOfBirth>1990-04-01<", "<pfh:UserId>batch<", "<pfh:SystemId>tax<",
                 "<c:HouseholdNumber>0000050016<", "<soap:Header>",
                 '<?xml version="1.0" encoding="UTF-8"?>'):
        assert part.encode() in one, part
    assert b"<j:AddresseeNumber>0" in inquiry("0000010014")
    assert BAD_CHECK_DIGIT != "0000010014"
