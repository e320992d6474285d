"""Each variant of the thirty-fifth batch really takes effect (variants.py THIRTYFIFTH_BATCH,
declared in independent/thirtyfifth.py), in the way of the thirty-fourth batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. The clock is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not
depend on when the tests run; the variants that read a date or the clock are shown to take effect
at a second instant too, 00:30 JST on the first day of a year. The one variant that needs the
clock to move between two requests has a test of its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from lxml import etree

from tests.support.polling import wait_until

from .independent.adapter import Adapter
from .independent.standard import CMN, JST, JUKI, PFH, SOAP11
from .independent.thirtyfifth import (ODORIJI, THIRTYFIFTH_MEASURED_MISSES, first_text_node,
                                      processed_blocks_removed, request_hash, strip_ivs)
from .independent.thirtyfifth_store import (ASYNC_DELAY, cp932_round_trip, day_of,
                                            last_wins_by_sequence, sent_at_instant,
                                            sorted_by_occurred_on)
from .independent.variants import APART, THIRTYFIFTH_BATCH
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import fault_code as _code
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import observed as _observed
from .variant_transcripts import replaced as _with
from .variant_transcripts import (GOV, NEW_YEAR, NOTICE_A, PINNED, SOAP12, SOAP12_TYPE, TEXT_XML,
                                  assert_declared_apart, batch_cases, change, clock_from, extract, inquiry,
                                  missed_runs, neutral_restart_scenario, neutral_scenario_tests, notice,
                                  transcript, variant_effect_tests)

# the variants that read a date or the clock: shown at NEW_YEAR too
DATED = {"notice-changes-sorted-by-occurred-on", "seen-key-with-sent-at",
         "future-dated-seen-ids-dropped-on-start"}
DURABLE = {"re-registration-applied-after-receipt",
           "watermark-rebuilt-from-notice-first-change-on-start",
           "future-dated-seen-ids-dropped-on-start"}
OWN_TEST = frozenset({"request-id-retry-sent-at-of-first"})  # the clock moves between requests
SPLIT_ID = "6f1c2a3e-1b2c<!-- relay -->-4d5e-8f90-123456789abc"  # NOTICE_A with a comment
TRACE = '<v:Trace xmlns:v="urn:example:vendor">indie-relay</v:Trace>'
MUST = '<v:Audit xmlns:v="urn:example:vendor" soap:mustUnderstand="true">on</v:Audit>'
DTD = '<!DOCTYPE soap:Envelope [<!ENTITY e "x">]>'


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, PINNED)


def _dtd(raw: bytes) -> bytes:
    """``raw`` with an internal DTD subset after its XML declaration."""
    return _with(raw, '<?xml version="1.0" encoding="UTF-8"?>',
                 f'<?xml version="1.0" encoding="UTF-8"?>{DTD}')


def _block(raw: bytes, block: str) -> bytes:
    """``raw`` with a header block of the sender's before pfh:PlatformHeader."""
    return _with(raw, "<soap:Header>", f"<soap:Header>{block}")


def _split(raw: bytes) -> bytes:
    """``raw`` (MessageId NOTICE_A) with a comment inside its pfh:MessageId."""
    return _with(raw, f"<pfh:MessageId>{NOTICE_A}<", f"<pfh:MessageId>{SPLIT_ID}<")


def _foreigner(raw: bytes) -> bytes:
    return _with(raw, "<c:ResidentKind>1<", "<c:ResidentKind>2<")


def _last_dated(raw: bytes, day: str) -> bytes:
    """``raw`` with its last change's OccurredOn ``day`` (the others 2025-04-01)."""
    head, _, tail = raw.rpartition(b"<c:OccurredOn>2025-04-01<")
    assert head, "no OccurredOn"
    return head + f"<c:OccurredOn>{day}<".encode() + tail


def _minutes_from_now(minutes: int) -> dt.datetime:
    return dt.datetime.now(JST) + dt.timedelta(minutes=minutes)


def provider_steps(name: str) -> list:
    found = inquiry("0000010014", message_id=NOTICE_A)
    steps: dict[str, list] = {
        "schema-fault-as-rule-violation": [inquiry("1")],
        "soap12-dtd-fault-soap11-envelope": [
            (_dtd(inquiry("0000010014", soap=SOAP12)), SOAP12_TYPE)],
        "soap12-must-understand-fault-without-detail": [
            (_block(inquiry("0000010014", soap=SOAP12), MUST), SOAP12_TYPE)],
        "empty-extract-id-unknown-on-later-requests": [extract(1, as_of="1900-01-01"),
                                                       ("page", 1)],
        "delta-extract-as-of-read-as-since": [extract(1, as_of="2020-01-01", page_size=20)],
        "request-id-keyed-with-as-of": [extract(1, request_id="r1", as_of="2024-01-01"),
                                        extract(1, request_id="r1", as_of="2024-01-02")],
        "header-values-first-text-node": [_split(found)],
        "request-hash-after-header-blocks-removed": [_block(inquiry("0000010014"), TRACE)],
        "head-name-ivs-stripped": [inquiry("0000010316")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    ahead = notice(change(), message_id=NOTICE_A, sent_at=_minutes_from_now(4))
    steps: dict[str, list] = {
        "schema-fault-as-rule-violation": [notice(change(given="しょうこ"))],
        "soap12-dtd-fault-soap11-envelope": [(_dtd(notice(change(), soap=SOAP12)), SOAP12_TYPE)],
        "soap12-must-understand-fault-without-detail": [
            (_block(notice(change(), soap=SOAP12), MUST), SOAP12_TYPE)],
        "unheld-correction-history-not-written": stored(one),
        "header-values-first-text-node": [_split(notice(change(), message_id=NOTICE_A))],
        "equal-sequence-in-notice-last-wins": stored(
            notice(change(seq=3), change(seq=3, name="総務花子"))),
        "request-hash-after-header-blocks-removed": [_block(one, TRACE)],
        "name-odoriji-refused": stored(notice(change(name="金子みすゞ"))),
        "foreigner-names-via-cp932": stored(_foreigner(notice(change(name="MÜLLER JOSÉ")))),
        "notice-changes-sorted-by-occurred-on": stored(_last_dated(
            notice(change(seq=2, name="総務花子"), change(seq=3)), "2025-03-01")),
        "seen-key-with-sent-at": stored(
            notice(change(), message_id=NOTICE_A),
            notice(change(), message_id=NOTICE_A, sent_at=_minutes_from_now(-1))),
        "re-registration-applied-after-receipt": stored(
            notice(change(seq=1, reason="B01")),
            notice(change(seq=2, reason="A01", name="総務花子")), ("crash",)),
        "watermark-rebuilt-from-notice-first-change-on-start": stored(
            notice(change(seq=2, name="総務花子"), change(seq=4)), ("crash",),
            notice(change(seq=3, name="総務春子"))),
        "future-dated-seen-ids-dropped-on-start": stored(ahead, ("crash",), ahead),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(THIRTYFIFTH_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(THIRTYFIFTH_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own and len(THIRTYFIFTH_BATCH) == len(set(THIRTYFIFTH_BATCH))
    assert 18 <= len(THIRTYFIFTH_BATCH) <= 20 and len(roles) >= 22
    assert DATED <= THIRTYFIFTH_BATCH and DURABLE <= THIRTYFIFTH_BATCH
    assert OWN_TEST <= THIRTYFIFTH_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(THIRTYFIFTH_MEASURED_MISSES, THIRTYFIFTH_BATCH, APART)
    own = [(name, role) for name in OWN_TEST for role in APART[name][1]]
    assert len(THIRTYFIFTH_MEASURED_MISSES) == 8  # variants missed, 16/24 runs on b54d918
    assert len(missed) == 8 and set(missed) <= set(CASES) | set(own)
    assert len(CASES) + len(own) == 24


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.1 inquiry of a resident held by 宛名番号 and one by 個人番号 over SOAP 1.2; a first
    全件 page and its page 2. A 転入 (A01) of a resident not held, then two 転居 (C01), one per
    notice (the second over SOAP 1.2), observed; a restart; a third, newer, observed."""
    return {
        "provider": [inquiry("0000010014"),
                     (inquiry("678901234562", by="IndividualNumber", soap=SOAP12), SOAP12_TYPE),
                     extract(1), ("page", 2)],
        "subscriber": neutral_restart_scenario(),
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {"provider": set(), "subscriber": set()}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


def test_the_own_test_variant_leaves_the_neutral_scenario(tmp_path):
    for name in OWN_TEST:
        for role in APART[name][1]:
            db = tmp_path / f"{role}.sqlite3"
            assert transcript(role, tmp_path / f"right-{role}.sqlite3", None, neutral(role)) == \
                transcript(role, db, name, neutral(role))


# --- the variant with a test of its own: the clock moves between a first request and its retry ----

def _sent_at(answer) -> dt.datetime:
    return dt.datetime.fromisoformat(etree.fromstring(answer.body).findtext(f".//{{{PFH}}}SentAt"))


@pytest.mark.parametrize("instant", [PINNED, NEW_YEAR])
def test_the_retry_sent_at_variant_takes_effect(monkeypatch, instant):
    name = "request-id-retry-sent-at-of-first"
    clock_from(monkeypatch, instant)
    behind: dict[str | None, dt.timedelta] = {}
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        first = adapter.handle(extract(1, request_id="r1"), TEXT_XML, '""')
        clock_from(monkeypatch, dt.datetime.now(JST) + dt.timedelta(minutes=10))
        retry = adapter.handle(extract(1, request_id="r1"), TEXT_XML, '""')
        ids = [etree.fromstring(a.body).findtext(f".//{{{JUKI}}}ExtractId") for a in (first, retry)]
        assert ids[0] == ids[1], defect  # the same snapshot either way
        behind[defect] = dt.datetime.now(JST) - _sent_at(retry)
        page = adapter.handle(extract(2, extract_id=ids[0]), TEXT_XML, '""')  # a page: right
        assert abs(dt.datetime.now(JST) - _sent_at(page)) < dt.timedelta(minutes=1)
        plain = adapter.handle(extract(1), TEXT_XML, '""')  # no RequestId: right
        assert abs(dt.datetime.now(JST) - _sent_at(plain)) < dt.timedelta(minutes=1)
        clock_from(monkeypatch, instant)
    assert abs(behind[None]) < dt.timedelta(minutes=1)
    assert dt.timedelta(minutes=9) < behind[name] < dt.timedelta(minutes=11)


# --- what some variants answer, beyond "it differs" -----------------------------------------------


def test_the_fault_variants_write_what_they_say(tmp_path):
    name = "schema-fault-as-rule-violation"
    for role, raw in (("provider", inquiry("1")),
                      ("subscriber", notice(change(given="しょうこ")))):
        right = _answer(None, raw, role=role, tmp_path=tmp_path)
        wrong = _answer(name, raw, role=role, tmp_path=tmp_path)
        assert _code(right) == "PF-SCHEMA-INVALID" and _code(wrong) == "PF-RULE-VIOLATION"
        assert right.status == wrong.status == 500
    bad = _answer(name, inquiry("0000100006"))  # a check digit: PF-RULE-VIOLATION, right
    assert _code(bad) == "PF-RULE-VIOLATION"
    other = _answer(name, notice(change()))  # the service:element refusal stays
    assert _code(other) == "PF-SCHEMA-INVALID"
    name = "soap12-dtd-fault-soap11-envelope"
    for role, raw in (("provider", inquiry("0000010014", soap=SOAP12)),
                      ("subscriber", notice(change(), soap=SOAP12))):
        right = _answer(None, _dtd(raw), SOAP12_TYPE, role, tmp_path)
        wrong = _answer(name, _dtd(raw), SOAP12_TYPE, role, tmp_path)
        assert right.status == 400 and right.content_type.startswith("application/soap+xml")
        assert wrong.status == 500 and wrong.content_type.startswith("text/xml")
        assert etree.fromstring(wrong.body).tag == f"{{{SOAP11}}}Envelope"
        assert _code(right) == _code(wrong) == "PF-XML-DTD"
        soap11 = _dtd(raw.replace(SOAP12.encode(), SOAP11.encode()))  # SOAP 1.1: right
        assert _answer(name, soap11, role=role, tmp_path=tmp_path).body == \
            _answer(None, soap11, role=role, tmp_path=tmp_path).body
    assert _answer(name, inquiry("0000100006", soap=SOAP12), SOAP12_TYPE).status == 400
    name = "soap12-must-understand-fault-without-detail"
    for role, raw in (("provider", inquiry("0000010014", soap=SOAP12)),
                      ("subscriber", notice(change(), soap=SOAP12))):
        right = _answer(None, _block(raw, MUST), SOAP12_TYPE, role, tmp_path)
        wrong = _answer(name, _block(raw, MUST), SOAP12_TYPE, role, tmp_path)
        assert right.status == wrong.status == 500
        assert _code(right) == "PF-MUST-UNDERSTAND" and _code(wrong) is None
        assert etree.fromstring(wrong.body).find(f".//{{{SOAP12}}}Detail") is None
        assert b"MustUnderstand" in wrong.body and b"NotUnderstood" in wrong.body
        soap11 = _block(raw.replace(SOAP12.encode(), SOAP11.encode()),
                        MUST.replace('"true"', '"1"'))  # SOAP 1.1: right
        assert _code(_answer(name, soap11, role=role, tmp_path=tmp_path)) == "PF-MUST-UNDERSTAND"
    assert _code(_answer(name, inquiry("0000100006", soap=SOAP12), SOAP12_TYPE)) == \
        "PF-RULE-VIOLATION"


def test_the_extract_variants_answer_what_they_say():
    name = "empty-extract-id-unknown-on-later-requests"
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        first = etree.fromstring(adapter.handle(extract(1, as_of="1900-01-01"), TEXT_XML,
                                                '""').body)
        assert first.findtext(f".//{{{JUKI}}}TotalPages") == "0"
        again = adapter.handle(extract(1, extract_id=first.findtext(f".//{{{JUKI}}}ExtractId")),
                               TEXT_XML, '""')
        assert _code(again) == ("PF-EXTRACT-UNKNOWN" if defect else None), defect
        full = etree.fromstring(adapter.handle(extract(1), TEXT_XML, '""').body)  # residents
        assert adapter.handle(extract(5, extract_id=full.findtext(f".//{{{JUKI}}}ExtractId")),
                              TEXT_XML, '""').status == 200
    name = "delta-extract-as-of-read-as-since"
    raw = extract(1, as_of="2020-01-01", page_size=20)
    right = [el.text for el in _tree(None, raw).iter(f"{{{CMN}}}AddresseeNumber")]
    wrong = [el.text for el in _tree(name, raw).iter(f"{{{CMN}}}AddresseeNumber")]
    assert right == ["0000010014", "0000010022", "0000010049", "0000010057", "0000010073"]
    assert wrong == ["0000000019", "0000010030", "0000010065", "0000010219", "0000010316",
                     "9999999996"]
    full = _with(raw, "<pfh:LinkageKind>delta<", "<pfh:LinkageKind>full<")  # full: right
    assert [el.text for el in _tree(name, full).iter(f"{{{CMN}}}AddresseeNumber")] == right
    name = "request-id-keyed-with-as-of"
    for defect, same in ((None, True), (name, False)):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        ids = [etree.fromstring(adapter.handle(extract(1, request_id="r1", as_of=day), TEXT_XML,
                                               '""').body).findtext(f".//{{{JUKI}}}ExtractId")
               for day in ("2024-01-01", "2024-01-02", "2024-01-02")]
        assert (ids[0] == ids[1]) is same and ids[1] == ids[2], defect


def test_the_header_variants_write_what_they_say(tmp_path):
    name = "header-values-first-text-node"
    for role, raw in (("provider", inquiry("0000010014", message_id=NOTICE_A)),
                      ("subscriber", notice(change(), message_id=NOTICE_A))):
        right = _tree(None, _split(raw), role=role, tmp_path=tmp_path)
        wrong = _tree(name, _split(raw), role=role, tmp_path=tmp_path)
        assert right.findtext(f".//{{{PFH}}}RelatesTo") == NOTICE_A
        assert wrong.findtext(f".//{{{PFH}}}RelatesTo") == "6f1c2a3e-1b2c"
        assert _tree(name, raw, role=role, tmp_path=tmp_path).findtext(  # no comment: right
            f".//{{{PFH}}}RelatesTo") == NOTICE_A
    split_sender = _with(inquiry("0000010014"), "<pfh:SystemId>tax<",
                         "<pfh:SystemId>t<?trace x?>ax<")
    receiver = f".//{{{PFH}}}Receiver/{{{PFH}}}SystemId"
    assert _tree(None, split_sender).findtext(receiver) == "tax"
    assert _tree(name, split_sender).findtext(receiver) == "t"
    name = "request-hash-after-header-blocks-removed"
    for role, raw in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        traced = _block(raw, TRACE)
        right = _tree(None, traced, role=role, tmp_path=tmp_path)
        wrong = _tree(name, traced, role=role, tmp_path=tmp_path)
        assert right.findtext(f".//{{{PFH}}}RequestHash") == request_hash(traced)
        removed = processed_blocks_removed(traced)
        assert removed is not None and b"indie-relay" not in removed
        assert wrong.findtext(f".//{{{PFH}}}RequestHash") == request_hash(removed)
        other = _block(raw, TRACE.replace('">', '" soap:actor="urn:example:audit">', 1))
        assert _tree(name, other, role=role, tmp_path=tmp_path).findtext(  # another node's
            f".//{{{PFH}}}RequestHash") == request_hash(other)


def test_the_character_variants_write_what_they_say(tmp_path):
    name = "head-name-ivs-stripped"
    raw = inquiry("0000010316")
    right, wrong = _tree(None, raw), _tree(name, raw)
    head = f".//{{{CMN}}}HeadName/{{{CMN}}}Text"
    own = f".//{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text"
    assert right.findtext(head) == "渡邉\U000e011f俞\U000e0100子" == wrong.findtext(own)
    assert wrong.findtext(head) == "渡邉俞子"
    name = "name-odoriji-refused"
    steps = subscriber_steps(name)
    assert "'name': '金子みすゞ'" in _observed(tmp_path, None, steps)[-1]
    wrong = _observed(tmp_path, name, steps)
    assert "VENDOR-CHARACTER" in wrong[0] and wrong[-1] == "None"
    kept = [notice(change(name="佐々木翔子")), ("observe", "0000010014")]  # 々: right
    assert _observed(tmp_path, None, kept) == _observed(tmp_path, name, kept)
    name = "foreigner-names-via-cp932"
    steps = subscriber_steps(name)
    assert "'name': 'MÜLLER JOSÉ'" in _observed(tmp_path, None, steps)[-1]
    assert "'name': 'M?LLER JOS?'" in _observed(tmp_path, name, steps)[-1]
    japanese = [notice(change(name="MÜLLER JOSÉ")), ("observe", "0000010014")]  # kind 1: right
    assert _observed(tmp_path, None, japanese) == _observed(tmp_path, name, japanese)


def test_the_notice_variants_apply_what_they_say(tmp_path):
    for name, right_state, wrong_state in (
            ("unheld-correction-history-not-written", "'changes_applied': 1",
             "'changes_applied': 0"),
            ("equal-sequence-in-notice-last-wins", "'name': '総務翔子', 'changes_applied': 1",
             "'name': '総務花子', 'changes_applied': 1"),
            ("notice-changes-sorted-by-occurred-on", "'name': '総務翔子', 'changes_applied': 2",
             "'name': '総務翔子', 'changes_applied': 1")):
        steps = subscriber_steps(name)
        right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
        assert right_state in right[-1] and wrong_state in wrong[-1], (name, right, wrong)
    registered = [notice(change(reason="A01")), notice(change(seq=2)), ("observe", "0000010014")]
    assert _observed(tmp_path, None, registered) == \
        _observed(tmp_path, "unheld-correction-history-not-written", registered)  # 記載: right
    same_day = [notice(change(seq=2, name="総務花子"), change(seq=3)), ("observe", "0000010014")]
    assert _observed(tmp_path, None, same_day) == \
        _observed(tmp_path, "notice-changes-sorted-by-occurred-on", same_day)  # one date: right
    name = "seen-key-with-sent-at"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "duplicate</pfr:Status>" in right[1] and "applied</pfr:Status>" in wrong[1]
    assert right[-1] == wrong[-1]  # the change itself kept out: 異動連番 1 is held
    resent = [notice(change(), message_id=NOTICE_A), notice(change(), message_id=NOTICE_A)]
    assert "duplicate</pfr:Status>" in _observed(tmp_path, name, resent)[-1]  # same bytes


def test_the_durable_variants_lose_what_they_say(tmp_path):
    for name, right_state, wrong_state in (
            ("re-registration-applied-after-receipt", "'name': '総務花子', 'changes_applied': 2",
             "'name': '総務翔子', 'changes_applied': 1"),
            ("watermark-rebuilt-from-notice-first-change-on-start",
             "'name': '総務翔子', 'changes_applied': 2", "'name': '総務春子', 'changes_applied': 3"),
            ("future-dated-seen-ids-dropped-on-start", "duplicate</pfr:Status>",
             "applied</pfr:Status>")):
        steps = subscriber_steps(name)
        right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
        at = -2 if name == "future-dated-seen-ids-dropped-on-start" else -1  # its receipt
        assert right_state in right[at] and wrong_state in wrong[at], (name, right, wrong)
        if name == "re-registration-applied-after-receipt":
            continue  # without a restart it is stored a moment after the receipt
        kept = [s for s in steps if s[0] != "crash"]  # without a restart: right
        assert _observed(tmp_path, None, kept) == _observed(tmp_path, name, kept), name
    name = "re-registration-applied-after-receipt"
    adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / "late.sqlite3",
                      defect=name)
    adapter.handle(notice(change(seq=1, reason="B01")), TEXT_XML, '""')
    answer = adapter.handle(notice(change(seq=2, reason="A01", name="総務花子")), TEXT_XML, '""')
    assert b"applied</pfr:Status>" in answer.body
    assert adapter.observe("0000010014") == {"name": "総務翔子", "changes_applied": 1}
    again = {"name": "総務花子", "changes_applied": 2}
    wait_until(lambda: adapter.observe("0000010014") == again, ASYNC_DELAY + 10,
               "the 除票回復 job to apply the 記載")
    moved = [notice(change(seq=1)), notice(change(seq=2, reason="A01", name="総務花子")),
             ("crash",), ("observe", "0000010014")]  # a 記載 of a resident not removed: right
    assert _observed(tmp_path, None, moved) == _observed(tmp_path, name, moved)
    name = "future-dated-seen-ids-dropped-on-start"
    now = notice(change(), message_id=NOTICE_A)  # stamped now: right
    steps = [now, ("crash",), now, ("observe", "0000010014")]
    assert _observed(tmp_path, None, steps) == _observed(tmp_path, name, steps)


def test_the_helpers_the_variants_are_built_on():
    el = etree.fromstring("<a>6f1c<!-- x -->-4d5e</a>")
    assert first_text_node(el) == "6f1c"
    assert first_text_node(etree.fromstring("<a><!-- x -->tail</a>")) == "tail"
    assert first_text_node(etree.fromstring("<a>whole</a>")) == "whole"
    assert strip_ivs("渡邉\U000e011f俞\U000e0100子") == "渡邉俞子"
    assert ODORIJI == frozenset("ゝゞヽヾ") and "々" not in ODORIJI
    assert cp932_round_trip("MÜLLER 𠮷田 髙橋") == "M?LLER ?田 髙橋"
    assert day_of(" 2025-04-02+09:00 ") == "2025-04-02" and day_of(None) == ""
    assert sent_at_instant("2026-12-09T15:20:00+09:00") is not None
    assert sent_at_instant("2026-12-09T24:00:00+09:00") is None  # kept by the housekeeping
    assert sent_at_instant("2026-12-09T15:20:00") is None
    raw = notice(change(seq=3), change(seq=3, name="総務花子"), change(seq=4, number="0000010049"))
    changes = etree.fromstring(raw).findall(f".//{{{JUKI}}}Change")
    assert [c.findtext(f".//{{{CMN}}}Text") for c in last_wins_by_sequence(changes)] == \
        ["総務花子", "総務翔子"]
    dated = etree.fromstring(_last_dated(notice(change(seq=2), change(seq=3)), "2025-03-01"))
    assert [c.findtext(f"{{{JUKI}}}Sequence") for c in sorted_by_occurred_on(
        dated.findall(f".//{{{JUKI}}}Change"))] == ["3", "2"]
    assert processed_blocks_removed(inquiry("0000010014")) is None
    removed = processed_blocks_removed(_block(inquiry("0000010014"), TRACE))
    assert removed is not None and b"Trace" not in removed


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change(), message_id=NOTICE_A)
    for part in ("<pfh:LinkageKind>delta<", '<?xml version="1.0" encoding="UTF-8"?>',
                 "<soap:Header>", f"<pfh:MessageId>{NOTICE_A}<", "<c:ResidentKind>1<",
                 "<c:OccurredOn>2025-04-01<"):
        assert part.encode() in one, part
    read = etree.fromstring(_split(one), etree.XMLParser(remove_comments=True))  # XML's value
    assert read.findtext(f".//{{{PFH}}}MessageId") == NOTICE_A
    assert b"<pfh:LinkageKind>delta<" in extract(1) and b"<pfh:SystemId>tax<" in inquiry("19")
