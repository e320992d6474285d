"""Each variant of the forty-seventh batch really takes effect (variants.py FORTYSEVENTH_BATCH,
declared in independent/fortyseventh.py), in the way of the forty-sixth batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included) or of the message a variant is written for, and the
variant's transcript must differ from the correct adapter's. Each variant also leaves an exchange
it does not target as the correct adapter answers it. The clock is pinned (an ordinary Wednesday
afternoon in JST), so that the transcripts do not depend on when the tests run; no variant of the
batch reads the hour or the date, so none is shown at New Year. Six variants take effect where a
transcript cannot show them and have tests of their own (OWN_TEST): two on the adapter as a
process — a Host field without a port, a second request on a persistent connection — and four
that only take time (a transcript shows no time), each shown with its delay shortened: a message
in UTF-16, an inquiry by 個人番号 with a 基準日, a first 全件 request with a RequestId, a notice
delivered again."""

from __future__ import annotations

import datetime as dt
import socket
import time
import unicodedata
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from lxml import etree

from tests.support.polling import wait_until

from .independent import fortyseventh_store
from .independent.adapter import JST, Adapter
from .independent.fortyseventh import (FORTYSEVENTH_DEFECTS, FORTYSEVENTH_MEASURED_MISSES,
                                       FORTYSEVENTH_UNMEASURED,
                                       envelope_line, later_request_late, port_of, unpadded,
                                       utf16_message, widened)
from .independent.fortyseventh_store import (ASYNC_DELAY, LATE, shrink_mismatches, utf16_units,
                                             with_chome, with_recorded_on, with_resident_code,
                                             without_selectors)
from .independent.standard import CMN, JUKI, PFF, Answer
from .independent.variants import APART, FORTYSEVENTH_BATCH
from .variant_transcripts import NEUTRAL_IDS, neutral_paged_scenario
from .variant_transcripts import as_soap12 as _soap12
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import fault_code as _code
from .variant_transcripts import observed as _observed
from .variant_transcripts import receipt_status as _receipt
from .variant_transcripts import replaced as _with
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, TEXT_XML,
                                  answer_text, assert_declared_apart, batch_cases, change,
                                  clock_from, extract, inquiry, missed_runs,
                                  neutral_scenario_tests, notice, transcript,
                                  variant_effect_tests)

DURABLE = {"resident-code-changes-applied-after-receipt",
           "recorded-on-changes-applied-after-receipt",
           "chome-changes-applied-after-receipt"}
# the variants a transcript cannot show: tests of their own (below)
OWN_TEST: frozenset[str] = frozenset({"host-field-without-port-refused",
                                      "persistent-connection-later-requests-late",
                                      "utf16-messages-transcoded-late",
                                      "dated-individual-number-inquiry-late",
                                      "first-request-with-request-id-late",
                                      "duplicate-notice-answered-late"})
YOSHI = "\U00020bb7"  # 𠮷 U+20BB7 (MJ032129)
KAMI = "\ufa19"  # 神 U+FA19, a CJK compatibility ideograph (NFC: U+795E)
TRANSFER = "transfer-47"
IN_OF_14 = "123456789018"  # the 個人番号 of 0000010014 (総務翔子)
IN_OF_219 = "890123456780"  # the 個人番号 of 0000010219 (神谷ﾏﾘｱ, 旧氏 神田; 神 U+FA19)
REDELIVERED = "47000000-0000-4000-8000-000000000047"


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, dt.datetime(2026, 12, 9, 15, 20, tzinfo=JST))


def _multiline(raw: bytes) -> bytes:
    """``raw`` with its XML declaration on a line of its own (the Envelope on line 2)."""
    return _with(raw, "?><soap:Envelope", "?>\n<soap:Envelope")


def _utf16(raw: bytes) -> tuple[bytes, str]:
    """``raw`` as UTF-16 (a byte order mark, its declaration saying so)."""
    text = raw.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return text.encode("utf-16"), "text/xml; charset=utf-16"


def _own_unit(raw: bytes) -> bytes:
    """``raw`` (a notice) addressed to the hub of the subscriber's own 業務ユニット (07)."""
    return _with(raw, "<pfh:BusinessUnit>01</pfh:BusinessUnit><pfh:SystemId>hub<",
                 "<pfh:BusinessUnit>07</pfh:BusinessUnit><pfh:SystemId>hub<")


def _original(raw: bytes, original: str) -> bytes:
    """``raw`` (a notice of one change) whose name carries ``original`` as its cmn:Original."""
    return _with(raw, "</c:Text><c:Kana>", f"</c:Text><c:Original>{original}</c:Original>"
                                           "<c:Kana>")


def _resident_code(raw: bytes) -> bytes:
    return _with(raw, "</c:AddresseeNumber>",
                 "</c:AddresseeNumber><c:ResidentCode>12345678901</c:ResidentCode>")


def _recorded_on(raw: bytes) -> bytes:
    return _with(raw, "</c:OccurredOn>",
                 "</c:OccurredOn><c:RecordedOn>2025-04-02</c:RecordedOn>")


def _chome(raw: bytes) -> bytes:
    return _with(raw, "<c:Town>霞が関</c:Town>", "<c:Town>霞が関</c:Town><c:Chome>3</c:Chome>")


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "finding-line-counted-from-envelope": [_multiline(inquiry(BAD_CHECK_DIGIT))],
        "dated-inquiry-key-unchecked": [inquiry(BAD_CHECK_DIGIT, as_of="2025-06-01")],
        "by-individual-number-addressee-number-unpadded": [inquiry(IN_OF_14,
                                                                   by="IndividualNumber")],
        "first-request-past-end-snapshot-not-kept": [extract(5), ("page", 2)],
        "retried-first-request-names-ivs-stripped": [
            extract(1, request_id=TRANSFER, page_size=20),
            extract(1, request_id=TRANSFER, page_size=20)],
        "dated-answers-half-width-kana-widened": [inquiry("0000010219", as_of="2025-06-01")],
        "by-individual-number-names-nfc": [inquiry(IN_OF_219, by="IndividualNumber")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    again = _soap12(notice(change(), message_id=REDELIVERED))
    steps: dict[str, list] = {
        "finding-line-counted-from-envelope": stored(_multiline(notice(change(reason="Z99")))),
        "soap12-notices-stale-check-skipped": stored(notice(change(seq=2, name="総務花子")),
                                                     _soap12(notice(change(seq=1)))),
        "notice-addressed-to-own-unit-accepted": stored(_own_unit(one)),
        "shrunk-name-length-compared-in-utf16-units": stored(
            _original(notice(change(name="吉田花子")), f"{YOSHI}田花子")),
        "held-resident-updates-nfc": stored(one, notice(change(seq=2, name=f"{KAMI}田花子"))),
        "resident-code-changes-applied-after-receipt": stored(_resident_code(one), ("crash",)),
        "recorded-on-changes-applied-after-receipt": stored(_recorded_on(one), ("crash",)),
        "chome-changes-applied-after-receipt": stored(_chome(one), ("crash",)),
        "seen-ids-of-soap12-notices-in-memory": stored(again, ("crash",), again),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(FORTYSEVENTH_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(FORTYSEVENTH_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own
    assert len(FORTYSEVENTH_BATCH) == len(set(FORTYSEVENTH_BATCH))
    assert 18 <= len(FORTYSEVENTH_BATCH) <= 22 and len(roles) == 25
    assert DURABLE <= FORTYSEVENTH_BATCH and OWN_TEST <= FORTYSEVENTH_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)
    assert all(APART[name][1] == ("subscriber",) for name in DURABLE)
    assert abs(roles.count("provider") - roles.count("subscriber")) <= 2  # balanced
    assert set(FORTYSEVENTH_DEFECTS) == FORTYSEVENTH_BATCH


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(FORTYSEVENTH_MEASURED_MISSES, FORTYSEVENTH_BATCH, APART)
    unmeasured = missed_runs(FORTYSEVENTH_UNMEASURED, FORTYSEVENTH_BATCH, APART)
    assert len(FORTYSEVENTH_MEASURED_MISSES) == 1  # variants missed, 18/19 measured runs
    every_run = batch_cases(FORTYSEVENTH_BATCH, APART)
    assert len(missed) == 1 and set(missed) <= set(every_run) and len(set(missed)) == len(missed)
    assert len(unmeasured) == 6 and not set(unmeasured) & set(missed)
    assert set(unmeasured) <= set(every_run)
    assert len(every_run) - len(unmeasured) == 19  # the runs the measurement reported
    assert len(every_run) == 25 and len(CASES) == 16


(test_each_variant_takes_effect,
 _no_dated_variant) = variant_effect_tests(CASES, STEPS, set())


# --- what a variant does not target is left as the correct adapter answers it -----------------

TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {"provider": set(), "subscriber": set()}
(test_each_variant_leaves_what_it_does_not_target,
 _no_variant_targets_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral_paged_scenario)


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def _names(tree) -> list[str]:
    return [t.text for t in tree.iter(f"{{{CMN}}}Text", f"{{{CMN}}}Original")]


def test_the_rule_findings_lines_of_both_roles(tmp_path):
    name = "finding-line-counted-from-envelope"
    for role, bad in (("provider", inquiry(BAD_CHECK_DIGIT)),
                      ("subscriber", notice(change(reason="Z99")))):
        def answer(defect, raw, role=role):
            return _answer(defect, raw, TEXT_XML, role=role, tmp_path=tmp_path)
        for raw, line in ((bad, "1"), (_multiline(bad), "1"),
                          (_with(bad, "?><soap:Envelope", "?>\n<!-- a -->\n<soap:Envelope"),
                           "1")):
            right, wrong = answer(None, raw), answer(name, raw)
            assert _code(right) == _code(wrong) == "PF-RULE-VIOLATION"
            assert answer_text(right, f"{{{PFF}}}Line") is None
            finding = etree.fromstring(wrong.body).find(f".//{{{PFF}}}Finding")
            assert [c.tag.split("}")[1] for c in finding] == ["Rule", "Line", "Message"]
            assert finding.findtext(f"{{{PFF}}}Line") == line, role
        plain = inquiry("0000010014") if role == "provider" else notice(change())
        assert answer(name, _with(plain, "?><soap:Envelope", "?>\n<soap:Envelope")).status == 200
    element = etree.fromstring(_multiline(inquiry(BAD_CHECK_DIGIT))).find(
        f".//{{{JUKI}}}AddresseeNumber")
    assert element.sourceline == 2 and envelope_line(element) == 1  # one too few


def test_the_provider_variants_answer_what_they_say():
    status, extract_id = f".//{{{JUKI}}}Status", f".//{{{JUKI}}}ExtractId"
    name = "dated-inquiry-key-unchecked"
    for raw in (inquiry(BAD_CHECK_DIGIT, as_of="2025-06-01"),
                inquiry("123456789010", by="IndividualNumber", as_of="2025-06-01")):
        assert _code(_answer(None, raw)) == "PF-RULE-VIOLATION"
        assert _tree(name, raw).findtext(status) == "not-found"
    assert _code(_answer(name, inquiry(BAD_CHECK_DIGIT))) == "PF-RULE-VIOLATION"  # undated
    name = "by-individual-number-addressee-number-unpadded"
    wrong = _tree(name, inquiry(IN_OF_14, by="IndividualNumber"))
    assert wrong.findtext(f".//{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") == "10014"
    assert "0000010014" in [m.findtext(f"{{{CMN}}}AddresseeNumber")
                            for m in wrong.iter(f"{{{CMN}}}Member")]  # members: right
    assert _tree(name, inquiry("0000010014")).findtext(
        f".//{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber") == "0000010014"
    name = "by-individual-number-names-nfc"
    right = _names(_tree(None, inquiry(IN_OF_219, by="IndividualNumber")))
    wrong = _names(_tree(name, inquiry(IN_OF_219, by="IndividualNumber")))
    assert any(KAMI in t for t in right) and not any(KAMI in t for t in wrong)
    assert wrong == [unicodedata.normalize("NFC", t) for t in right]
    assert _names(_tree(name, inquiry("0000010219"))) == _names(_tree(None, inquiry("0000010219")))
    name = "dated-answers-half-width-kana-widened"
    dated = inquiry("0000010219", as_of="2025-06-01")
    assert "神谷ﾏﾘｱ".replace("神", KAMI) in _names(_tree(None, dated))
    assert "神谷マリア".replace("神", KAMI) in _names(_tree(name, dated))
    assert _names(_tree(name, inquiry("0000010219"))) == _names(_tree(None, inquiry("0000010219")))
    name = "first-request-past-end-snapshot-not-kept"
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        past = etree.fromstring(adapter.handle(extract(5, request_id=TRANSFER), TEXT_XML,
                                               None).body)
        assert past.findtext(f".//{{{JUKI}}}TotalPages") == "4" and \
            past.find(f".//{{{JUKI}}}Resident") is None
        named = past.findtext(extract_id)
        later = adapter.handle(extract(2, extract_id=named), TEXT_XML, None)
        assert (_code(later) == "PF-EXTRACT-UNKNOWN") is (defect == name), defect
        retried = etree.fromstring(adapter.handle(extract(5, request_id=TRANSFER), TEXT_XML,
                                                  None).body)
        assert (retried.findtext(extract_id) == named) is (defect is None)
        within = etree.fromstring(adapter.handle(extract(4), TEXT_XML, None).body)
        assert _code(adapter.handle(extract(1, extract_id=within.findtext(extract_id)),
                                    TEXT_XML, None)) is None  # within the extract: right
    name = "retried-first-request-names-ivs-stripped"
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)

        def page(raw, adapter=adapter):
            return etree.fromstring(adapter.handle(raw, TEXT_XML, None).body)
        first = page(extract(1, request_id=TRANSFER, page_size=20))
        again = page(extract(1, request_id=TRANSFER, page_size=20))
        assert again.findtext(extract_id) == first.findtext(extract_id)
        assert "渡邉\U000e011f俞\U000e0100子" in _names(first)
        assert (_names(again) == [without_selectors(t) for t in _names(first)]) is \
            (defect == name) and (_names(again) == _names(first)) is (defect is None)
        later = page(extract(2, extract_id=first.findtext(extract_id), page_size=5))
        assert "渡邉\U000e011f俞\U000e0100子" in _names(later) or \
            "葛\U000e0102西" in _names(later)  # later pages: right


def test_the_subscriber_variants_answer_what_they_say(tmp_path):
    def answer(defect, raw, ctype=TEXT_XML):
        return _answer(defect, raw, ctype, role="subscriber", tmp_path=tmp_path)
    name = "notice-addressed-to-own-unit-accepted"
    own = _own_unit(notice(change()))
    assert _code(answer(None, own)) == "PF-PROVIDER-MISROUTED"
    assert _receipt(answer(name, own)) == "applied"
    other = _with(notice(change()), "<pfh:BusinessUnit>01</pfh:BusinessUnit><pfh:SystemId>hub<",
                  "<pfh:BusinessUnit>03</pfh:BusinessUnit><pfh:SystemId>hub<")
    assert _code(answer(name, other)) == "PF-PROVIDER-MISROUTED"  # another unit: right
    name = "shrunk-name-length-compared-in-utf16-units"
    for text, original in (("吉田花子", f"{YOSHI}田花子"), ("吉", YOSHI)):
        raw = _original(notice(change(name=text)), original)
        assert _receipt(answer(None, raw)) == "applied"
        wrong = answer(name, raw)
        assert _code(wrong) == "VENDOR-NAME" and \
            answer_text(wrong, f"{{{PFF}}}Party") == "client"
    for text, original in (("高橋美咲", "髙橋美咲"), ("葛西花子", "葛\U000e0102西花子"),
                           (f"{YOSHI}田", f"{YOSHI}田")):
        raw = _original(notice(change(name=text)), original)
        assert _receipt(answer(name, raw)) == "applied", original
    name = "held-resident-updates-nfc"
    steps = [notice(change(name=f"{KAMI}谷一郎")), notice(change(seq=2, name=f"{KAMI}田花子")),
             ("observe", "0000010014")]
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert right[-1] == f"{{'name': '{KAMI}田花子', 'changes_applied': 2}}"
    assert wrong[-1] == "{'name': '\u795e田花子', 'changes_applied': 2}"
    first = [notice(change(name=f"{KAMI}谷一郎")), ("observe", "0000010014")]  # INSERT: right
    assert _observed(tmp_path, name, first) == _observed(tmp_path, None, first)
    name = "soap12-notices-stale-check-skipped"
    newer = notice(change(seq=5, name="総務花子"))
    for older, stale in ((_soap12(notice(change(seq=3))), True),
                         (notice(change(seq=3)), False)):
        steps = [newer, older, ("observe", "0000010014")]
        right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
        assert right[-1] == "{'name': '総務花子', 'changes_applied': 1}"
        assert (wrong != right) is stale
    assert wrong == right
    name = "seen-ids-of-soap12-notices-in-memory"
    for ctype_of, lost in ((_soap12, True), (lambda raw: (raw, TEXT_XML), False)):
        again = ctype_of(notice(change(), message_id=REDELIVERED))
        steps = [again, again, ("crash",), again, ("observe", "0000010014")]
        right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
        assert "duplicate</pfr:Status>" in right[1] and "duplicate</pfr:Status>" in wrong[1]
        assert "duplicate</pfr:Status>" in right[2]
        assert ("applied</pfr:Status>" in wrong[2]) is lost
        assert wrong[-1] == right[-1]  # its change kept out again by its 異動連番


def test_the_durable_variants_lose_what_they_say(tmp_path):
    one = notice(change())
    for name, raw in (("resident-code-changes-applied-after-receipt", _resident_code(one)),
                      ("recorded-on-changes-applied-after-receipt", _recorded_on(one)),
                      ("chome-changes-applied-after-receipt", _chome(one))):
        crashed = [raw, ("crash",), ("observe", "0000010014")]
        right, wrong = _observed(tmp_path, None, crashed), _observed(tmp_path, name, crashed)
        assert "applied</pfr:Status>" in right[0] and "applied</pfr:Status>" in wrong[0]
        assert "'changes_applied': 1" in right[-1] and wrong[-1] == "None", name
        plain = [one, ("crash",), ("observe", "0000010014")]  # stored before the receipt: right
        assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain)
        adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / f"{name}.sqlite3",
                          defect=name)
        answer = adapter.handle(raw, TEXT_XML, None)
        assert b"applied</pfr:Status>" in answer.body and adapter.observe("0000010014") is None
        wait_until(lambda adapter=adapter: adapter.observe("0000010014") is not None,
                   ASYNC_DELAY + 10, "the worker to write the change")


def test_the_helpers_the_variants_are_built_on():
    assert port_of("127.0.0.1:8080") == 8080 and port_of("indie.example") is None
    assert port_of("[::1]:8080") is None and port_of(None) is None
    assert utf16_message(*_utf16(inquiry("0000010014")))
    assert utf16_message(b"<?xml", "text/xml; charset=UTF-16")
    assert not utf16_message(inquiry("0000010014"), TEXT_XML)
    assert widened("神谷ﾏﾘｱ") == "神谷マリア" and widened("ﾊﾞﾅﾅ") == "バナナ"
    assert widened(f"{KAMI}田") == f"{KAMI}田"  # compatibility ideographs kept
    assert unpadded("0000010014") == "10014"
    assert utf16_units(f"{YOSHI}田") == 3 and utf16_units("葛\U000e0102") == 3
    assert without_selectors("葛\U000e0102西") == "葛西"
    tree = etree.fromstring(_original(notice(change(name="吉田")), f"{YOSHI}田"))
    assert shrink_mismatches(tree) == [("吉田", f"{YOSHI}田")]
    assert shrink_mismatches(etree.fromstring(notice(change()))) == []
    changed = etree.fromstring(_chome(_recorded_on(_resident_code(notice(change())))))
    first = changed.find(f".//{{{JUKI}}}Change")
    assert with_chome(first) and with_recorded_on(first) and with_resident_code(first)
    plain = etree.fromstring(notice(change())).find(f".//{{{JUKI}}}Change")
    assert not (with_chome(plain) or with_recorded_on(plain) or with_resident_code(plain))
    assert LATE > 10.0


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("?><soap:Envelope", "</c:Text><c:Kana>", "</c:AddresseeNumber>",
                 "</c:OccurredOn>", "<c:Town>霞が関</c:Town>",
                 "<pfh:BusinessUnit>01</pfh:BusinessUnit><pfh:SystemId>hub<", 'encoding="UTF-8"'):
        assert part.encode() in one, part
    assert b"?><soap:Envelope" in inquiry("0000010014")
    assert sorted(NEUTRAL_IDS) == list(NEUTRAL_IDS)


def test_the_later_request_hook_counts_a_connection(monkeypatch):
    monkeypatch.setattr(fortyseventh_store, "LATE", 0.3)
    for defect, late in ((None, False), ("persistent-connection-later-requests-late", True)):
        handler = SimpleNamespace()
        began = time.monotonic()
        later_request_late(handler, defect)
        assert time.monotonic() - began < 0.3
        later_request_late(handler, defect)
        assert (time.monotonic() - began >= 0.3) is late
        assert handler.fortyseventh_requests == 2


def test_the_transcripts_do_not_show_the_timed_variants(tmp_path, monkeypatch):
    """A transcript shows no time: the reason the variants that only take time have tests of
    their own (their delays shortened here)."""
    monkeypatch.setattr(fortyseventh_store, "LATE", 0.2)
    for name, role, steps in (
            ("utf16-messages-transcoded-late", "provider", [("utf-16", inquiry("0000010014"))]),
            ("utf16-messages-transcoded-late", "subscriber", [("utf-16", notice(change()))]),
            ("dated-individual-number-inquiry-late", "provider",
             [inquiry(IN_OF_14, by="IndividualNumber", as_of="2025-06-01")]),
            ("first-request-with-request-id-late", "provider",
             [extract(1, request_id=TRANSFER)]),
            ("duplicate-notice-answered-late", "subscriber",
             [notice(change(), message_id=REDELIVERED), notice(change(), message_id=REDELIVERED),
              ("observe", "0000010014")])):
        assert transcript(role, tmp_path / f"{name}-{role}-a.db", None, steps) == \
            transcript(role, tmp_path / f"{name}-{role}-b.db", name, steps), name


# --- time: the slow paths -------------------------------------------------------------------------

def _took(adapter, raw: bytes, ctype: str = TEXT_XML) -> tuple[float, Answer]:
    began = time.monotonic()
    answer = adapter.handle(raw, ctype, None)
    return time.monotonic() - began, answer


def test_utf16_messages_are_answered_late(tmp_path, monkeypatch):
    name = "utf16-messages-transcoded-late"
    monkeypatch.setattr(fortyseventh_store, "LATE", 1.5)
    for role in ("provider", "subscriber"):
        for defect in (None, name):
            adapter = Adapter(role, GOV, "01" if role == "provider" else "07", "indie",
                              defect=defect,
                              db=None if role == "provider" else tmp_path / f"{role}-{defect}.db")
            plain = inquiry("0000010014") if role == "provider" else notice(change())
            again = inquiry("0000010022") if role == "provider" else notice(change(seq=2))
            for (raw, ctype), late in ((_utf16(plain), True), ((again, TEXT_XML), False)):
                took, answer = _took(adapter, raw, ctype)
                assert answer.status == 200, (role, defect)
                assert (took >= 1.5) is (late and defect == name), (role, defect, took)


def test_a_dated_inquiry_by_individual_number_is_answered_late(monkeypatch):
    name = "dated-individual-number-inquiry-late"
    monkeypatch.setattr(fortyseventh_store, "LATE", 1.5)
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        for raw, late in ((inquiry(IN_OF_14, by="IndividualNumber", as_of="2025-06-01"), True),
                          (inquiry(IN_OF_14, by="IndividualNumber", as_of="2010-06-01"), True),
                          (inquiry(IN_OF_14, by="IndividualNumber"), False),
                          (inquiry("0000010014", as_of="2025-06-01"), False)):
            took, answer = _took(adapter, raw)
            assert answer.status == 200
            assert (took >= 1.5) is (late and defect == name), (defect, took)


def test_a_first_request_with_a_request_id_is_answered_late(monkeypatch):
    name = "first-request-with-request-id-late"
    monkeypatch.setattr(fortyseventh_store, "LATE", 1.5)
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        took, first = _took(adapter, extract(1, request_id=TRANSFER))
        assert first.status == 200 and (took >= 1.5) is (defect == name)
        took, again = _took(adapter, extract(1, request_id=TRANSFER))  # its retry too
        assert again.status == 200 and (took >= 1.5) is (defect == name)
        named = answer_text(first, f"{{{JUKI}}}ExtractId")
        assert answer_text(again, f"{{{JUKI}}}ExtractId") == named
        for raw in (extract(2, extract_id=named), extract(1)):  # a later page, no RequestId
            took, answer = _took(adapter, raw)
            assert answer.status == 200 and took < 1.5, (defect, took)


def test_a_redelivered_notice_is_answered_late(tmp_path, monkeypatch):
    name = "duplicate-notice-answered-late"
    monkeypatch.setattr(fortyseventh_store, "LATE", 1.5)
    for defect in (None, name):
        adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / f"{defect}.db",
                          defect=defect)
        raw = notice(change(), message_id=REDELIVERED)
        for status, late in (("applied", False), ("duplicate", True)):
            took, answer = _took(adapter, raw)
            assert _receipt(answer) == status
            assert (took >= 1.5) is (late and defect == name), (defect, took)
        took, answer = _took(adapter, notice(change(seq=2)))
        assert _receipt(answer) == "applied" and took < 1.5


# --- the HTTP front end, on the adapter as a process --------------------------------------------

def _post(body: bytes, host: str, *fields: str, close: bool = True) -> bytes:
    head = (f"POST /soap HTTP/1.1\r\nHost: {host}\r\nContent-Type: {TEXT_XML}\r\n"
            f"Content-Length: {len(body)}\r\n" + ("Connection: close\r\n" if close else "")
            ).encode()
    return head + b"".join(f.encode() + b"\r\n" for f in fields) + b"\r\n" + body


def _status_and_type(answer: bytes) -> tuple[int, str]:
    head = answer.split(b"\r\n\r\n", 1)[0].decode("iso-8859-1")
    ctype = next((line.split(":", 1)[1].strip() for line in head.split("\r\n")
                  if line.lower().startswith("content-type:")), "")
    return int(head.split(" ", 2)[1]), ctype


def _read_answer(sock) -> bytes:
    """One HTTP answer framed by its Content-Length, read off a persistent connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, rest = data.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(rest) < length:
        rest += sock.recv(65536)
    return head + b"\r\n\r\n" + rest


def test_a_host_field_without_a_port_is_refused(indie_process):
    name = "host-field-without-port-refused"
    for role in ("provider", "subscriber"):
        for defect in (None, name):
            p = indie_process(role, defect)
            raws = iter([inquiry("0000010014"), inquiry("0000010022"), inquiry("0000010030")]
                        if role == "provider" else
                        [notice(change(seq=i + 1)) for i in range(3)])
            for host in ("indie.example", "[::1]"):
                status, ctype = _status_and_type(p.post_raw(_post(next(raws), host)))
                assert (status == 200) is (defect is None), (role, defect, host)
                if defect:
                    assert status == 400 and ctype == "text/plain", role
            with_port = f"{p.host}:{p.port}"  # a Host with its port: right
            assert _status_and_type(p.post_raw(_post(next(raws), with_port)))[0] == 200


def test_a_second_request_on_a_connection_is_answered_late(indie_process):
    name = "persistent-connection-later-requests-late"
    for role in ("provider", "subscriber"):
        for defect in (None, name):
            p = indie_process(role, defect)
            raws = [inquiry("0000010014"), inquiry("0000010022")] if role == "provider" else \
                [notice(change()), notice(change(seq=2))]
            host = f"{p.host}:{p.port}"
            with socket.create_connection((p.host, p.port), timeout=30) as sock:
                took = []
                for raw in raws:
                    began = time.monotonic()
                    sock.sendall(_post(raw, host, close=False))
                    assert _status_and_type(_read_answer(sock))[0] == 200, (role, defect)
                    took.append(time.monotonic() - began)
            assert took[0] < LATE, (role, defect, took)
            assert (took[1] >= LATE) is (defect == name), (role, defect, took)
