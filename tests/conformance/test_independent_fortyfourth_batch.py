"""Each variant of the forty-fourth batch really takes effect (variants.py FORTYFOURTH_BATCH,
declared in independent/fortyfourth.py), in the way of the forty-third batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included) or of the message a variant is written for, and the
variant's transcript must differ from the correct adapter's. Each variant also leaves an exchange
it does not target as the correct adapter answers it. The clock is pinned (an ordinary Wednesday
afternoon in JST), so that the transcripts do not depend on when the tests run; one variant of the
batch reads today's date (the 年度 of a 基準日's window) and is shown at New Year too. Six variants
take effect where a transcript cannot show them and have tests of their own (OWN_TEST): three on
the adapter as a process — a trailer field after the last chunk, two requests pipelined on one
connection, a request asking the connection closed —, two that read the hour of the clock (the
夜間バッチ: SentAt, a spool), shown with the clock moved into the night, and one that only takes
time (a first 全件 request with a 基準日), shown with its delay shortened."""

from __future__ import annotations

import datetime as dt
import http.client
import itertools
import re
import socket
import time
from collections.abc import Callable

import pytest
from lxml import etree

from tests.support.polling import wait_until

from .independent import fortyfourth
from .independent.adapter import JST, Adapter
from .independent.fortyfourth import (FORTYFOURTH_DEFECTS, FORTYFOURTH_MEASURED_MISSES,
                                      JUTOGAI_SYSTEM, JUTOGAI_UNIT, batch_start,
                                      previous_fiscal_year_start, reading_cleansed,
                                      trailer_refused, without_byte_order_marks,
                                      without_comments)
from .independent.fortyfourth_store import (ASYNC_DELAY, FOREIGN, at_night,
                                            selectors_after_compatibility_dropped,
                                            with_katagaki)
from .independent.standard import CMN, JUKI, PFF, PFH, m11_ok
from .independent.variants import APART, FORTYFOURTH_BATCH
from .variant_transcripts import as_soap12 as _soap12
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import fault_code as _code
from .variant_transcripts import receipt_status as _receipt
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import observed as _observed
from .variant_transcripts import replaced as _with
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, NOT_HELD, SOAP12, TEXT_XML, answer_text,
                                  assert_declared_apart, batch_cases, change, clock_from, extract,
                                  inquiry, missed_runs, move_clock, neutral_restart_scenario,
                                  neutral_scenario_tests, notice, transcript, variant_effect_tests)

# the variants that read a date: the 年度 of today
DATED = {"as-of-beyond-two-fiscal-years-not-found"}
DURABLE = {"notices-spooled-during-night-batch", "katagaki-changes-applied-after-receipt",
           "test-range-residents-purged-on-start"}
# the variants a transcript cannot show: tests of their own (below)
OWN_TEST: frozenset[str] = frozenset({"chunked-trailer-refused", "pipelined-requests-dropped",
                                      "connection-close-ignored",
                                      "sent-at-frozen-during-night-batch",
                                      "notices-spooled-during-night-batch",
                                      "dated-extract-first-page-late"})
TEST_NUMBER = "9999999996"  # 都筑ﾕｷ～∥－ of the test data: a 宛名番号 of the 99999 range
MU_BLOCK = ('<v:Trace xmlns:v="urn:example:vendor:trace" soap:mustUnderstand="1">'
            'indie-44</v:Trace>')  # a header block for this node, to be understood
KATAGAKI = "<c:Katagaki>霞が関ハイツ101号</c:Katagaki>"
ZAKI = "\ufa11\U000e0102"  # 﨑 U+FA11 + U+E0102: MJ030196


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, dt.datetime(2026, 12, 9, 15, 20, tzinfo=JST))


def _commented(raw: bytes) -> bytes:
    """``raw`` with a comment at the start of its soap:Body."""
    return _with(raw, "<soap:Body>", "<soap:Body><!-- traced by indie-44 -->")


def _with_dtd(raw: bytes) -> bytes:
    """``raw`` with a document type declaration after its XML declaration."""
    return _with(raw, "?>", '?><!DOCTYPE soap:Envelope [<!ENTITY e "x">]>')


def _with_block(raw: bytes) -> bytes:
    """``raw`` with a header block this node must understand and does not (beside the
    platform header)."""
    return _with(raw, "<soap:Header>", f"<soap:Header>{MU_BLOCK}")


def _service(raw: bytes, served: str, named: str) -> bytes:
    return _with(raw, f"<pfh:ServiceId>{served}<", f"<pfh:ServiceId>{named}<")


def _stray_bom(raw: bytes) -> bytes:
    """``raw`` with a UTF-8 byte order mark after its XML declaration: not well-formed."""
    return _with(raw, "?>", "?>\ufeff")


def _reading(raw: bytes, family: str) -> bytes:
    """``raw`` (a notice whose reading's family name is ソウム) with it written ``family``."""
    return _with(raw, "<c:Family>ソウム<", f"<c:Family>{family}<")


def _kind(raw: bytes, kind: str) -> bytes:
    return _with(raw, "<c:ResidentKind>1<", f"<c:ResidentKind>{kind}<")


def _katagaki(raw: bytes) -> bytes:
    """``raw`` (a notice) whose address carries a 方書."""
    return _with(raw, "<c:Town>霞が関</c:Town>", f"<c:Town>霞が関</c:Town>{KATAGAKI}")


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "request-hash-after-comments-removed": [_commented(inquiry("0000010014"))],
        "dtd-fault-as-server": [_with_dtd(inquiry("0000010014"))],
        "must-understand-checked-after-body": [_with_block(inquiry(BAD_CHECK_DIGIT))],
        "not-found-sender-of-jutogai-module": [inquiry(NOT_HELD)],
        "service-id-matched-by-prefix": [
            _service(inquiry("0000010014"), "juki.ResidentInquiry", "juki.ResidentInquiryV2")],
        "stray-byte-order-marks-stripped": [_stray_bom(inquiry("0000010014"))],
        "as-of-beyond-two-fiscal-years-not-found": [inquiry("0000010014", as_of="2020-01-01")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "request-hash-after-comments-removed": stored(_commented(one)),
        "dtd-fault-as-server": stored(_with_dtd(one)),
        "must-understand-checked-after-body": stored(_with_block(notice(change(reason="Z99")))),
        "resident-keyed-with-resident-kind": stored(
            _kind(one, "2"), notice(change(seq=2, name="総務花子"))),
        "service-id-matched-by-prefix": stored(
            _service(one, "juki.ResidentChangeNotice", "juki.ResidentChangeNotices")),
        "stray-byte-order-marks-stripped": stored(_stray_bom(one)),
        "readings-normalised-before-validation": stored(_reading(one, "ｿｳﾑ")),
        "ivs-after-compatibility-ideograph-dropped": stored(
            notice(change(name=f"山{ZAKI}翔子"))),
        "katagaki-changes-applied-after-receipt": stored(_katagaki(one), ("crash",)),
        "test-range-residents-purged-on-start": stored(
            notice(change(number=TEST_NUMBER, name="都筑ﾕｷ")), ("crash",), number=TEST_NUMBER),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(FORTYFOURTH_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(FORTYFOURTH_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own
    assert len(FORTYFOURTH_BATCH) == len(set(FORTYFOURTH_BATCH))
    assert 18 <= len(FORTYFOURTH_BATCH) <= 20 and 24 <= len(roles) <= 26
    assert DATED <= FORTYFOURTH_BATCH and DURABLE <= FORTYFOURTH_BATCH
    assert OWN_TEST <= FORTYFOURTH_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)
    assert abs(roles.count("provider") - roles.count("subscriber")) <= 2  # balanced
    assert set(FORTYFOURTH_DEFECTS) == FORTYFOURTH_BATCH


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(FORTYFOURTH_MEASURED_MISSES, FORTYFOURTH_BATCH, APART)
    assert len(FORTYFOURTH_MEASURED_MISSES) == 4  # variants missed, 20/25 runs on a3e5d82
    every_run = batch_cases(FORTYFOURTH_BATCH, APART)
    assert len(missed) == 5 and set(missed) <= set(every_run) and len(set(missed)) == len(missed)
    assert len(every_run) == 25 and len(CASES) == 17


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.1 inquiry of a resident of a household of three by 宛名番号 and one of another of
    that household over SOAP 1.2; a first 全件 request for page 2 (two residents a page); an
    inquiry with a 基準日 of this 年度's June. A 転入 (A01) of a resident not held, then two 転居
    (C01), one per notice (the second over SOAP 1.2), observed; a restart; a third, newer,
    observed."""
    return {
        "provider": [inquiry("0000010014"), _soap12(inquiry("0000010022")),
                     extract(2, page_size=2), inquiry("0000010022", as_of="2025-06-01")],
        "subscriber": neutral_restart_scenario(),
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {"provider": set(), "subscriber": set()}
(test_each_variant_leaves_what_it_does_not_target,
 _no_variant_targets_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------



def _fault_code(answer) -> str | None:
    """The SOAP fault code (1.1 faultcode, 1.2 Code/Value), its prefix dropped."""
    tree = etree.fromstring(answer.body)
    text = tree.findtext(".//faultcode") or tree.findtext(f".//{{{SOAP12}}}Code/{{{SOAP12}}}Value")
    return text.split(":")[-1] if text else None


def test_the_variants_of_both_roles_answer_what_they_say(tmp_path):
    for role, plain, served in (("provider", inquiry("0000010014"), "juki.ResidentInquiry"),
                                ("subscriber", notice(change()), "juki.ResidentChangeNotice")):
        def answer(defect, raw, ctype=TEXT_XML, role=role):
            return _answer(defect, raw, ctype, role=role, tmp_path=tmp_path)
        name = "request-hash-after-comments-removed"
        hashed = f"{{{PFH}}}RequestHash"
        for raw in (_commented(plain), _with(plain, "<soap:Envelope", "<!-- relay --><soap:Envelope")):
            assert answer_text(answer(name, raw), hashed) != answer_text(answer(None, raw), hashed)
            assert answer(name, raw).status == 200, role
        fresh = plain if role == "provider" else notice(change())  # no comment: right
        assert answer_text(answer(name, fresh), hashed) == answer_text(answer(None, fresh), hashed)
        name = "dtd-fault-as-server"
        for raw, ctype, status in ((_with_dtd(plain), TEXT_XML, 500),
                                   (*_soap12(_with_dtd(plain)), 500)):
            right, wrong = answer(None, raw, ctype), answer(name, raw, ctype)
            assert _code(right) == _code(wrong) == "PF-XML-DTD", role
            assert answer_text(right, f"{{{PFF}}}Party") == "client"
            assert answer_text(wrong, f"{{{PFF}}}Party") == "provider", role
            assert _fault_code(right) in ("Client", "Sender")
            assert _fault_code(wrong) in ("Server", "Receiver"), role
            assert wrong.status == status
        soap12_dtd = answer(None, *_soap12(_with_dtd(plain)))
        assert soap12_dtd.status == 400  # a client fault over SOAP 1.2
        bad = inquiry(BAD_CHECK_DIGIT) if role == "provider" else notice(change(reason="Z99"))
        assert _code(answer(name, bad)) == "PF-RULE-VIOLATION"  # other client faults: right
        assert answer_text(answer(name, bad), f"{{{PFF}}}Party") == "client"
        name = "must-understand-checked-after-body"
        for other, code in ((bad, "PF-RULE-VIOLATION"),
                            (_with(plain, "<pfh:SystemId>indie<", "<pfh:SystemId>other<") if
                             role == "provider" else
                             _with(notice(change()), "<pfh:SystemId>hub<", "<pfh:SystemId>other<"),
                             "PF-PROVIDER-MISROUTED")):
            assert _code(answer(None, _with_block(other))) == "PF-MUST-UNDERSTAND"
            assert _code(answer(name, _with_block(other))) == code, role
        alone = _with_block(plain if role == "provider" else notice(change()))
        assert _code(answer(name, alone)) == "PF-MUST-UNDERSTAND"  # nothing else broken: right
        name = "service-id-matched-by-prefix"
        for named in (f"{served}V2", f"{served}s", f"{served}_"):
            raw = _service(plain if role == "provider" else notice(change()), served, named)
            assert _code(answer(None, raw)) in ("PF-SERVICE-UNKNOWN", "PF-PROVIDER-MISROUTED")
            assert answer(name, raw).status == 200, (role, named)
        shorter = _service(plain, served, served[:-1])  # a character removed: refused still
        assert _code(answer(name, shorter)) == _code(answer(None, shorter))
        name = "stray-byte-order-marks-stripped"
        raw = _stray_bom(plain if role == "provider" else notice(change()))
        assert _code(answer(None, raw)) == "PF-SOAP-ENVELOPE"
        assert answer(name, raw).status == 200, role
        leading = b"\xef\xbb\xbf" + (plain if role == "provider" else notice(change()))
        assert answer(name, leading).status == answer(None, leading).status == 200


def test_the_provider_variants_answer_what_they_say():
    status, sender = f".//{{{JUKI}}}Status", f".//{{{PFH}}}Sender"
    name = "not-found-sender-of-jutogai-module"
    wrong = _tree(name, inquiry(NOT_HELD)).find(sender)
    assert wrong.findtext(f"{{{PFH}}}BusinessUnit") == JUTOGAI_UNIT
    assert wrong.findtext(f"{{{PFH}}}SystemId") == JUTOGAI_SYSTEM
    right = _tree(None, inquiry(NOT_HELD)).find(sender)
    assert right.findtext(f"{{{PFH}}}BusinessUnit") == "01"
    assert right.findtext(f"{{{PFH}}}SystemId") == "indie"
    for raw in (inquiry("0000010014"), extract(1, page_size=2)):  # found, a page: right
        assert etree.tostring(_tree(name, raw).find(sender)) == \
            etree.tostring(_tree(None, raw).find(sender))
    name = "as-of-beyond-two-fiscal-years-not-found"
    for day, found in (("2025-03-31", False), ("2025-04-01", True), ("2016-01-01", False)):
        raw = inquiry("0000010014", as_of=day)  # recorded 2015-04-01
        assert _tree(None, raw).findtext(status) == "found"
        assert (_tree(name, raw).findtext(status) == "found") is found, day
    dated = extract(1, as_of="2020-01-01", page_size=20)
    count = f".//{{{JUKI}}}TotalCount"
    assert int(_tree(None, dated).findtext(count)) > 0 and _tree(name, dated).findtext(count) == "0"
    undated = inquiry("0000010014")  # no 基準日: right
    assert _tree(name, undated).findtext(status) == "found"


def test_the_subscriber_variants_answer_what_they_say(tmp_path):
    def answer(defect, raw, ctype=TEXT_XML):
        return _answer(defect, raw, ctype, role="subscriber", tmp_path=tmp_path)
    one = notice(change())
    name = "readings-normalised-before-validation"
    for family in ("ｿｳﾑ", "そうむ", "ｿｰﾑ"):
        raw = _reading(one, family)
        assert _code(answer(None, raw)) == "PF-SCHEMA-INVALID", family
        assert _receipt(answer(name, raw)) == "applied", family
    for family in ("ソウム", "ヴォーン", "SOUMU"):  # a reading, or no reading in any form: right
        raw = _reading(one, family)
        assert _code(answer(name, raw)) == _code(answer(None, raw)), family
    name = "ivs-after-compatibility-ideograph-dropped"
    steps = subscriber_steps(name)
    assert _observed(tmp_path, None, steps)[-1] == f"{{'name': '山{ZAKI}翔子', 'changes_applied': 1}}"
    assert _observed(tmp_path, name, steps)[-1] == "{'name': '山\ufa11翔子', 'changes_applied': 1}"
    unified = [notice(change(name="葛\U000e0102西翔子")), ("observe", "0000010014")]  # right
    assert _observed(tmp_path, None, unified) == _observed(tmp_path, name, unified)
    name = "resident-keyed-with-resident-kind"
    steps = subscriber_steps(name)  # a 外国人住民, then a change to 日本人住民
    assert _observed(tmp_path, None, steps)[-1] == "{'name': '総務花子', 'changes_applied': 2}"
    assert _observed(tmp_path, name, steps)[-1] == "{'name': '総務花子', 'changes_applied': 1}"
    older = [_kind(notice(change(seq=5)), "2"), notice(change(seq=3, name="総務花子")),
             ("observe", "0000010014")]  # an older change after the 帰化's newer one
    assert _observed(tmp_path, None, older)[-1] == "{'name': '総務翔子', 'changes_applied': 1}"
    assert _observed(tmp_path, name, older)[-1] == "{'name': '総務花子', 'changes_applied': 1}"
    kept = [_kind(one, "2"), _kind(notice(change(seq=2, name="総務花子")), "2"),
            ("observe", "0000010014")]  # the 住民種別 kept: right
    assert _observed(tmp_path, None, kept) == _observed(tmp_path, name, kept)
    adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / "kind.sqlite3", defect=name)
    adapter.handle(_kind(one, "2"), TEXT_XML, None)
    assert adapter.conn.execute("SELECT number FROM resident").fetchall() == \
        [(FOREIGN + "0000010014",)]


def test_the_durable_variants_lose_what_they_say(tmp_path):
    one = notice(change())
    name = "katagaki-changes-applied-after-receipt"
    crashed = [_katagaki(one), ("crash",), ("observe", "0000010014")]
    right, wrong = _observed(tmp_path, None, crashed), _observed(tmp_path, name, crashed)
    assert "applied</pfr:Status>" in right[0] and "applied</pfr:Status>" in wrong[0]
    assert "'changes_applied': 1" in right[-1] and wrong[-1] == "None"
    plain = [one, ("crash",), ("observe", "0000010014")]  # no 方書: right
    assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain)
    adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / "kata.sqlite3",
                      defect=name)
    answer = adapter.handle(_katagaki(one), TEXT_XML, None)
    assert b"applied</pfr:Status>" in answer.body and adapter.observe("0000010014") is None
    wait_until(lambda: adapter.observe("0000010014") is not None, ASYNC_DELAY + 10,
               "the matcher to write the change")
    name = "test-range-residents-purged-on-start"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert right[-1] == "{'name': '都筑ﾕｷ', 'changes_applied': 1}" and wrong[-1] == "None"
    before = steps[:2]  # until a restart: right
    assert _observed(tmp_path, None, before) == _observed(tmp_path, name, before)
    older = [*steps[:-1], notice(change(seq=1, number=TEST_NUMBER, name="都井ｲ")),
             ("observe", TEST_NUMBER)]  # its 異動連番 1 again, after the restart
    assert _observed(tmp_path, None, older)[-1] == "{'name': '都筑ﾕｷ', 'changes_applied': 1}"
    assert _observed(tmp_path, name, older)[-1] == "{'name': '都井ｲ', 'changes_applied': 1}"
    for number in ("9999899991", "99999000009", "0099999004"):  # other numbers: right
        other = [notice(change(number=number)), ("crash",), ("observe", number)]
        assert _observed(tmp_path, None, other) == _observed(tmp_path, name, other), number


def test_the_night_variants_do_what_they_say(monkeypatch, tmp_path):
    stores = itertools.count()

    def sent_at(defect, role):
        db = None if role == "provider" else tmp_path / f"{role}-{defect}-{next(stores)}.db"
        raw = inquiry("0000010014") if role == "provider" else notice(change())
        return answer_text(Adapter(role, GOV, "01", "indie", db=db, defect=defect).handle(
            raw, TEXT_XML, None), f"{{{PFH}}}SentAt")

    def at(instant):
        start = dt.datetime.now(JST)
        move_clock(monkeypatch, lambda now: instant + (now - start) / 100)  # a slow clock
    name = "sent-at-frozen-during-night-batch"
    for instant, frozen in ((dt.datetime(2026, 12, 10, 2, 5, 7, tzinfo=JST),
                             "2026-12-09T22:00:00+09:00"),
                            (dt.datetime(2026, 12, 9, 23, 30, 1, tzinfo=JST),
                             "2026-12-09T22:00:00+09:00"),
                            (dt.datetime(2026, 12, 10, 5, 59, 58, tzinfo=JST),
                             "2026-12-09T22:00:00+09:00")):
        at(instant)
        for role in ("provider", "subscriber"):
            assert sent_at(name, role) == frozen, (role, instant)
            assert sent_at(None, role) == instant.isoformat(timespec="seconds"), (role, instant)
    for instant in (dt.datetime(2026, 12, 10, 6, 0, 1, tzinfo=JST),
                    dt.datetime(2026, 12, 9, 21, 59, 58, tzinfo=JST)):  # by day: right
        at(instant)
        for role in ("provider", "subscriber"):
            assert sent_at(name, role) == sent_at(None, role), (role, instant)
    name = "notices-spooled-during-night-batch"
    crashed = [notice(change()), ("crash",), ("observe", "0000010014")]
    at(dt.datetime(2026, 12, 10, 2, 5, tzinfo=JST))
    right, wrong = _observed(tmp_path, None, crashed), _observed(tmp_path, name, crashed)
    assert "applied</pfr:Status>" in right[0] and "applied</pfr:Status>" in wrong[0]
    assert "'changes_applied': 1" in right[-1] and wrong[-1] == "None"
    adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / "night.sqlite3",
                      defect=name)
    answer = adapter.handle(notice(change()), TEXT_XML, None)
    assert b"applied</pfr:Status>" in answer.body and adapter.observe("0000010014") is None
    wait_until(lambda: adapter.observe("0000010014") is not None, ASYNC_DELAY + 10,
               "the spool's worker to write the notice")
    at(dt.datetime(2026, 12, 10, 7, 0, tzinfo=JST))  # by day: right
    assert _observed(tmp_path, None, crashed) == _observed(tmp_path, name, crashed)


def test_a_first_dated_extract_is_answered_late(monkeypatch, tmp_path):
    name = "dated-extract-first-page-late"
    assert fortyfourth.LATE > 10.0  # the variant's own delay: past the hub's 10 s
    monkeypatch.setattr(fortyfourth, "LATE", 1.5)
    for raw, late in ((extract(1, as_of="2020-01-01", page_size=2), True),
                      (extract(1, page_size=2), False)):  # undated: right
        answers = {}
        for defect in (None, name):
            adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
            began = time.monotonic()
            answers[defect] = adapter.handle(raw, TEXT_XML, None)
            took = time.monotonic() - began
            assert (took >= 1.5) is (late and defect == name), (defect, took)
            if defect:
                extract_id = answer_text(answers[defect], f"{{{JUKI}}}ExtractId")
                began = time.monotonic()  # a later page of it: right
                adapter.handle(extract(2, extract_id=extract_id, page_size=2), TEXT_XML, None)
                assert time.monotonic() - began < 1.5
        body = f".//{{{JUKI}}}ResidentFullExtractResponse/{{{JUKI}}}TotalCount"
        assert etree.fromstring(answers[None].body).findtext(body) == \
            etree.fromstring(answers[name].body).findtext(body)  # the same answer, only late
    adapter = Adapter("provider", GOV, "01", "indie", defect=name)
    first = extract(1, as_of="2020-01-01", request_id="transfer-44", page_size=2)
    adapter.handle(first, TEXT_XML, None)
    began = time.monotonic()  # the first request retried (its RequestId): the snapshot made
    adapter.handle(extract(1, as_of="2020-01-01", request_id="transfer-44", page_size=2),
                   TEXT_XML, None)
    assert time.monotonic() - began < 1.5


def test_the_helpers_the_variants_are_built_on():
    assert without_comments(b"<a><!-- x\n y --><b>1<!---->0</b></a>") == b"<a><b>10</b></a>"
    assert without_byte_order_marks(b"\xef\xbb\xbf<?xml?>\xef\xbb\xbf<a/>") == b"<?xml?><a/>"
    assert reading_cleansed("ｿｳﾑ") == "ソウム" and reading_cleansed("そうむ") == "ソウム"
    assert reading_cleansed("ｼﾞｭﾝ") == "ジュン" and reading_cleansed("ヴォーン") == "ヴォーン"
    assert reading_cleansed("ソウム\u3000ショウコ") == "ソウム\u3000ショウコ"  # U+3000 kept
    assert reading_cleansed(None) is None
    assert selectors_after_compatibility_dropped(f"山{ZAKI}") == "山\ufa11"
    assert selectors_after_compatibility_dropped("葛\U000e0102西") == "葛\U000e0102西"
    assert selectors_after_compatibility_dropped("\U0002f800\U000e0100") == "\U0002f800"
    assert trailer_refused(b"X-Checksum: 1\r\n", "chunked-trailer-refused")
    assert not trailer_refused(b"\r\n", "chunked-trailer-refused")
    assert not trailer_refused(b"X-Checksum: 1\r\n", None)
    night = dt.datetime(2026, 12, 10, 2, 0, tzinfo=JST)
    assert at_night(night) and at_night(night.replace(hour=22)) and \
        not at_night(night.replace(hour=6)) and not at_night(night.replace(hour=21, minute=59))
    assert batch_start(night) == dt.datetime(2026, 12, 9, 22, 0, tzinfo=JST)
    assert batch_start(night.replace(hour=23)) == dt.datetime(2026, 12, 10, 22, 0, tzinfo=JST)
    assert at_night(dt.datetime(2026, 12, 9, 13, 0, tzinfo=dt.timezone.utc))  # 22:00 JST
    assert previous_fiscal_year_start(dt.date(2026, 12, 9)) == dt.date(2025, 4, 1)
    assert previous_fiscal_year_start(dt.date(2027, 1, 1)) == dt.date(2025, 4, 1)
    assert previous_fiscal_year_start(dt.date(2027, 4, 1)) == dt.date(2026, 4, 1)
    assert m11_ok(TEST_NUMBER) and m11_ok("9999899991") and m11_ok("99999000009") and \
        m11_ok("0099999004")
    one = etree.fromstring(notice(change()))
    assert not with_katagaki(next(one.iter(f"{{{JUKI}}}Change")))
    two = etree.fromstring(_katagaki(notice(change())))
    assert with_katagaki(next(two.iter(f"{{{JUKI}}}Change")))
    assert next(two.iter(f"{{{CMN}}}Katagaki")).text == "霞が関ハイツ101号"


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("<soap:Body>", "<soap:Header>", "<soap:Envelope", "?>", "<c:Family>ソウム<",
                 "<c:ResidentKind>1<", "<c:Town>霞が関</c:Town>", "<pfh:SystemId>hub<",
                 "<pfh:ServiceId>juki.ResidentChangeNotice<"):
        assert part.encode() in one, part
    for part in ("<soap:Body>", "<soap:Header>", "<soap:Envelope", "?>", "<pfh:SystemId>indie<",
                 "<pfh:ServiceId>juki.ResidentInquiry<"):
        assert part.encode() in inquiry("0000010014"), part
    assert not m11_ok(BAD_CHECK_DIGIT) and m11_ok(NOT_HELD)


def test_the_transcripts_show_the_batch_on_the_pinned_clock(tmp_path):
    """The night variants change nothing by day (the pinned afternoon), the late one nothing
    but its time: the reason they have tests of their own."""
    for name, role, steps in (
            ("sent-at-frozen-during-night-batch", "provider", [inquiry("0000010014")]),
            ("notices-spooled-during-night-batch", "subscriber",
             [notice(change()), ("crash",), ("observe", "0000010014")])):
        assert transcript(role, tmp_path / f"{name}-a.db", None, steps) == \
            transcript(role, tmp_path / f"{name}-b.db", name, steps), name


# --- the HTTP front end, on the adapter as a process --------------------------------------------

def _request(body: bytes, *, chunks: list[bytes] | None = None, trailer: str | None = None,
             close: bool = True) -> bytes:
    framing = f"Content-Length: {len(body)}" if chunks is None else "Transfer-Encoding: chunked"
    head = (f"POST /soap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {TEXT_XML}\r\n"
            f"{framing}\r\n{'Connection: close' if close else 'Connection: keep-alive'}\r\n\r\n")
    payload = body if chunks is None else b"".join(
        f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in chunks) + b"0\r\n" + \
        (f"{trailer}\r\n".encode() if trailer else b"") + b"\r\n"
    return head.encode() + payload


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _exchange(process, data: bytes, wait: float) -> tuple[bytes, bool]:
    """``data`` sent on a connection of its own; what came back within ``wait`` seconds, and
    whether the product closed the connection by then."""
    with socket.create_connection((process.host, process.port), timeout=wait) as sock:
        sock.sendall(data)
        out, deadline = b"", time.monotonic() + wait
        while time.monotonic() < deadline:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                return out, True
            out += chunk
    return out, False


def test_a_chunked_request_with_a_trailer_field_is_refused(indie_process):
    name = "chunked-trailer-refused"
    for role in ("provider", "subscriber"):
        for defect in (None, name):
            p = indie_process(role, defect)
            raw = inquiry("0000010014") if role == "provider" else notice(change())
            answer = p.post_raw(_request(raw, chunks=[raw[:100], raw[100:]],
                                         trailer="X-Checksum: 44"))
            assert (_status(answer) == 200) is (defect is None), (role, defect)
            if defect:
                assert _status(answer) == 400 and b"text/plain" in answer, role
            again = raw if role == "provider" else notice(change(seq=2))
            assert _status(p.post_raw(_request(again, chunks=[again[:100], again[100:]]))) == \
                200, (role, defect)  # no trailer field: right


def test_a_pipelined_request_is_dropped(indie_process):
    name = "pipelined-requests-dropped"
    first, second = inquiry("0000010014"), inquiry("0000010049")  # another household
    for defect in (None, name):
        p = indie_process("provider", defect)
        got, closed = _exchange(p, _request(first, close=False) + _request(second), 3.0)
        answers = re.findall(rb"HTTP/1\.[01] (\d{3})", got)
        assert answers == ([b"200", b"200"] if defect is None else [b"200"]), (defect, answers)
        assert closed is (defect is None), defect  # the variant waits for a request it had
        assert (b"0000010049" in got) is (defect is None)
        for raw in (first, second):  # one after the other's answer: right
            assert _status(p.post_raw(_request(raw))) == 200, defect


def test_a_connection_asked_closed_is_kept_open(indie_process):
    name = "connection-close-ignored"
    for defect in (None, name):
        p = indie_process("provider", defect)
        got, closed = _exchange(p, _request(inquiry("0000010014")), 2.0)
        assert _status(got) == 200 and b"</soap:Envelope>" in got, defect
        assert closed is (defect is None), defect
        conn = http.client.HTTPConnection(p.host, p.port, timeout=10)  # kept alive: right
        for key in ("0000010014", "0000010022"):
            conn.request("POST", "/soap", inquiry(key), {"Content-Type": TEXT_XML})
            response = conn.getresponse()
            assert response.status == 200 and key.encode() in response.read(), defect
        conn.close()
