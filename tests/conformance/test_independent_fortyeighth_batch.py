"""Each variant of the forty-eighth batch really takes effect (variants.py FORTYEIGHTH_BATCH,
declared in independent/fortyeighth.py), in the way of the forty-seventh batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included) or of the message a variant is written for, and the
variant's transcript must differ from the correct adapter's. Each variant also leaves an exchange
it does not target as the correct adapter answers it. The clock is pinned (an ordinary Wednesday
afternoon in JST), so that the transcripts do not depend on when the tests run; no variant of the
batch reads the hour or the date, so none is shown at New Year. Six variants take effect where a
transcript cannot show them and have tests of their own (OWN_TEST): two on the adapter as a
process — an HTTP/1.0 request asking keep-alive, a chunked body (its delay shortened in process,
the process itself in the slow tier) — one on a clock moved on between a snapshot and a page past
its end, and three that only take time (a transcript shows no time), each shown with its delay
shortened: an inquiry of a 外国人住民, a notice holding a 消除, a notice holding a change kept
out."""

from __future__ import annotations

import datetime as dt
import socket
import time
import unicodedata
from collections.abc import Callable
from io import BytesIO
from types import SimpleNamespace

import pytest
from lxml import etree

from tests.support.polling import wait_until

from .independent import fortyeighth_store
from .independent.adapter import JST, Adapter
from .independent.fortyeighth import (FORTYEIGHTH_DEFECTS, FORTYEIGHTH_MEASURED_MISSES,
                                      chunked_body, chunked_late,
                                      comment_before_dtd, numbers_alike, past_end,
                                      unframed_http10, utf16_bytes)
from .independent.fortyeighth_store import (ASYNC_DELAY, LATE, beyond_bmp, holds_comment,
                                            is_birth, kana_less, widened, with_notified_on)
from .independent.standard import CMN, JUKI, PFH, Answer
from .independent.variants import APART, FORTYEIGHTH_BATCH
from .variant_transcripts import NEUTRAL_IDS, PINNED, neutral_paged_scenario
from .variant_transcripts import as_soap12 as _soap12
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import fault_code as _code
from .variant_transcripts import observed as _observed
from .variant_transcripts import receipt_status as _receipt
from .variant_transcripts import replaced as _with
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, NOT_HELD, TEXT_XML,
                                  answer_text, assert_declared_apart, batch_cases, change,
                                  clock_from, extract, inquiry, missed_runs, notice,
                                  neutral_scenario_tests, transcript, variant_effect_tests)

DURABLE = {"notified-on-changes-applied-after-receipt",
           "notices-with-comments-applied-after-receipt",
           "name-changes-applied-after-receipt",
           "birth-registrations-applied-after-receipt"}
# the variants a transcript cannot show: tests of their own (below)
OWN_TEST: frozenset[str] = frozenset({"http10-keep-alive-answer-unframed",
                                      "chunked-requests-answered-late",
                                      "past-end-page-sent-at-of-snapshot",
                                      "foreigner-inquiry-answered-late",
                                      "removal-notice-answered-late",
                                      "kept-out-notice-answered-late"})
YOSHI = "\U00020bb7"  # 𠮷 U+20BB7 (MJ032129)
KAMI = "\ufa19"  # 神 U+FA19, a CJK compatibility ideograph (NFC: U+795E)
IN_OF_14 = "123456789018"  # the 個人番号 of 0000010014 (総務翔子)
IN_OF_219 = "890123456780"  # the 個人番号 of 0000010219 (神谷ﾏﾘｱ; its Katagaki ｶﾝﾀﾞﾊｲﾂ１０１号)
OF_19 = ("19", "000000000000019")  # 宛名番号 not held, 0000000019 (a held one) as numbers
DTD = '<!DOCTYPE soap:Envelope [<!ENTITY relay "hub">]>'


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, PINNED)


def _dtd_after_comment(raw: bytes) -> bytes:
    """``raw`` with a comment, then a document type declaration, after its XML declaration."""
    return _with(raw, "?><soap:Envelope", f"?><!-- relay -->\n{DTD}<soap:Envelope")


def _kana_less(raw: bytes) -> bytes:
    """``raw`` (a notice of one change, its reading ソウム / ショウコ) without cmn:Kana."""
    return _with(raw, "<c:Kana><c:Family>ソウム</c:Family><c:Given>ショウコ</c:Given></c:Kana>", "")


def _notified_on(raw: bytes) -> bytes:
    return _with(raw, "</c:OccurredOn>", "</c:OccurredOn><c:NotifiedOn>2025-04-02</c:NotifiedOn>")


def _with_comment(raw: bytes) -> bytes:
    return _with(raw, "?><soap:Envelope", "?><!-- via relay-01 --><soap:Envelope")


def _utf16(raw: bytes) -> tuple[bytes, str]:
    """``raw`` as UTF-16 (a byte order mark, its declaration saying so)."""
    text = raw.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return text.encode("utf-16"), "text/xml; charset=utf-16"


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "dated-inquiry-number-compared-as-integer": [inquiry(OF_19[1], as_of="2025-06-01")],
        "soap12-individual-number-key-dropped": [_soap12(inquiry(IN_OF_14,
                                                                 by="IndividualNumber"))],
        "past-end-page-relates-to-of-first-request": [extract(1), ("page", 9)],
        "utf16-rules-unchecked": [("utf-16", inquiry(BAD_CHECK_DIGIT))],
        "request-addressed-to-hub-answered": [inquiry("0000010014", receiver=(GOV, "01", "hub"))],
        "dtd-after-prolog-comment-answered": [_dtd_after_comment(inquiry("0000010014"))],
        "member-addresses-nfkc": [inquiry("0000010219")],
        "later-pages-names-nfc": [extract(1, page_size=8), ("page", 2, 8)],
        "soap12-answers-half-width-kana-widened": [_soap12(inquiry("0000010219"))],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "soap12-notices-last-change-only": stored(
            _soap12(notice(change(number="0000010049", name="高橋健一"), change())),
            number="0000010049"),
        "utf16-rules-unchecked": stored(("utf-16", notice(change(reason="Z99")))),
        "dtd-after-prolog-comment-answered": stored(_dtd_after_comment(one)),
        "nonbmp-names-nfc": stored(notice(change(name=f"{YOSHI}田{KAMI}子"))),
        "kana-less-names-half-width-widened": stored(_kana_less(notice(change(name="神谷ﾏﾘｱ")))),
        "notified-on-changes-applied-after-receipt": stored(_notified_on(one), ("crash",)),
        "notices-with-comments-applied-after-receipt": stored(_with_comment(one), ("crash",)),
        "name-changes-applied-after-receipt": stored(one, notice(change(seq=2, name="総務花子")),
                                                     ("crash",)),
        "birth-registrations-applied-after-receipt": stored(notice(change(reason="A03")),
                                                            ("crash",)),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(FORTYEIGHTH_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(FORTYEIGHTH_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own
    assert len(FORTYEIGHTH_BATCH) == len(set(FORTYEIGHTH_BATCH))
    assert 18 <= len(FORTYEIGHTH_BATCH) <= 22 and len(roles) == 26
    assert DURABLE <= FORTYEIGHTH_BATCH and OWN_TEST <= FORTYEIGHTH_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)
    assert all(APART[name][1] == ("subscriber",) for name in DURABLE)
    assert abs(roles.count("provider") - roles.count("subscriber")) <= 2  # balanced
    assert set(FORTYEIGHTH_DEFECTS) == FORTYEIGHTH_BATCH


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(FORTYEIGHTH_MEASURED_MISSES, FORTYEIGHTH_BATCH, APART)
    assert len(FORTYEIGHTH_MEASURED_MISSES) == 5  # variants missed, 19/26 runs caught
    every_run = batch_cases(FORTYEIGHTH_BATCH, APART)
    assert len(missed) == 7 and set(missed) <= set(every_run) and len(set(missed)) == len(missed)
    assert len(every_run) == 26 and len(every_run) - len(missed) == 19 and len(CASES) == 18


(test_each_variant_takes_effect,
 _no_dated_variant) = variant_effect_tests(CASES, STEPS, set())


# --- what a variant does not target is left as the correct adapter answers it -----------------

# the neutral scenario's second 転居 renames its resident (高橋健一 → 高橋健二) and observes it at
# once: the 氏名変更 module has not written it yet
TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {
    "provider": set(), "subscriber": {"name-changes-applied-after-receipt"}}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral_paged_scenario)


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def _names(tree) -> list[str]:
    return [t.text for t in tree.iter(f"{{{CMN}}}Text", f"{{{CMN}}}Original")]


def _addresses(tree, where: str) -> list[str]:
    return [el.text for el in tree.iterfind(f".//{where}/{{{CMN}}}Address/*")]


def test_the_provider_keys_and_addressees(tmp_path):
    status = f".//{{{JUKI}}}Status"
    number = f".//{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber"
    name = "dated-inquiry-number-compared-as-integer"
    for key in OF_19:
        dated = inquiry(key, as_of="2025-06-01")
        assert _tree(None, dated).findtext(status) == "not-found"
        wrong = _tree(name, dated)
        assert wrong.findtext(status) == "found" and wrong.findtext(number) == "0000000019"
        assert _tree(name, inquiry(key)).findtext(status) == "not-found"  # undated: right
    for key, found in (("0000000019", "found"), (NOT_HELD, "not-found")):
        assert _tree(name, inquiry(key, as_of="2025-06-01")).findtext(status) == found
    name = "soap12-individual-number-key-dropped"
    by_number = inquiry(IN_OF_14, by="IndividualNumber")
    assert _tree(None, *_soap12(by_number)).findtext(status) == "found"
    assert _tree(name, *_soap12(by_number)).findtext(status) == "not-found"
    assert _tree(name, by_number).findtext(status) == "found"  # SOAP 1.1: right
    assert _tree(name, *_soap12(inquiry("0000010014"))).findtext(status) == "found"
    name = "request-addressed-to-hub-answered"
    for receiver, answered in (((GOV, "01", "hub"), True), ((GOV, "01", "indie"), True),
                               ((GOV, "01", "other"), False), ((GOV, "07", "hub"), False)):
        raw = inquiry("0000010014", receiver=receiver)
        assert (_code(_answer(None, raw)) is None) is (receiver[2] == "indie")
        assert (_code(_answer(name, raw)) is None) is answered, receiver


def test_the_provider_pages_past_the_end():
    name = "past-end-page-relates-to-of-first-request"
    extract_id, relates = f".//{{{JUKI}}}ExtractId", f".//{{{PFH}}}RelatesTo"
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)

        def answer(raw, adapter=adapter):
            return etree.fromstring(adapter.handle(raw, TEXT_XML, None).body)
        first_raw = extract(1)
        first = answer(first_raw)
        first_id = etree.fromstring(first_raw).findtext(f".//{{{PFH}}}MessageId")
        assert first.findtext(relates) == first_id
        for page, past in ((9, True), (2, False), (4, False), (5, True)):
            raw = extract(page, extract_id=first.findtext(extract_id))
            own = etree.fromstring(raw).findtext(f".//{{{PFH}}}MessageId")
            got = answer(raw)
            assert past_end(got.find(f".//{{{JUKI}}}ResidentFullExtractResponse")) is past
            assert got.findtext(relates) == (first_id if past and defect else own), (page, defect)
        past_first_raw = extract(9)  # a first request past the end: its own head, right
        past_first = answer(past_first_raw)
        assert past_first.findtext(relates) == etree.fromstring(past_first_raw).findtext(
            f".//{{{PFH}}}MessageId")


def test_the_rules_are_skipped_for_utf16_only(tmp_path):
    name = "utf16-rules-unchecked"
    for raw in (inquiry(BAD_CHECK_DIGIT), inquiry("123456789010", by="IndividualNumber")):
        assert _code(_answer(None, *_utf16(raw))) == "PF-RULE-VIOLATION"
        assert _tree(name, *_utf16(raw)).findtext(f".//{{{JUKI}}}Status") == "not-found"
        assert _code(_answer(name, raw)) == "PF-RULE-VIOLATION"  # UTF-8: right
    assert _tree(name, *_utf16(inquiry("0000010014"))).findtext(
        f".//{{{JUKI}}}Status") == "found"

    def answer(defect, raw, ctype=TEXT_XML):
        return _answer(defect, raw, ctype, role="subscriber", tmp_path=tmp_path)
    for bad in (notice(change(reason="Z99")), notice(change(number=BAD_CHECK_DIGIT))):
        assert _code(answer(None, *_utf16(bad))) == "PF-RULE-VIOLATION"
        assert _receipt(answer(name, *_utf16(bad))) == "applied"
        assert _code(answer(name, bad)) == "PF-RULE-VIOLATION"


def test_a_dtd_after_a_comment_is_not_seen(tmp_path):
    name = "dtd-after-prolog-comment-answered"
    for role, raw in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        def answer(defect, raw, role=role):
            return _answer(defect, raw, TEXT_XML, role=role, tmp_path=tmp_path)
        after = _dtd_after_comment(raw)
        assert _code(answer(None, after)) == "PF-XML-DTD"
        assert answer(name, after).status == 200 and _code(answer(name, after)) is None
        first = _with(raw, "?><soap:Envelope", f"?>{DTD}<soap:Envelope")
        assert _code(answer(name, first)) == "PF-XML-DTD"  # a DTD first: right
        comment = _with_comment(raw)
        assert _code(answer(None, comment)) is None and _code(answer(name, comment)) is None


def test_the_provider_characters():
    member, resident = f"{{{CMN}}}Member", f"{{{JUKI}}}Resident"
    name = "member-addresses-nfkc"
    right, wrong = _tree(None, inquiry("0000010219")), _tree(name, inquiry("0000010219"))
    assert "ｶﾝﾀﾞﾊｲﾂ１０１号" in _addresses(right, member)
    assert "カンダハイツ101号" in _addresses(wrong, member) and "12番地−3" in _addresses(wrong, member)
    assert _addresses(wrong, resident) == _addresses(right, resident)  # the resident's: right
    assert _names(wrong) == _names(right)
    name = "later-pages-names-nfc"
    pages = {}
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        first = etree.fromstring(adapter.handle(extract(1, page_size=8), TEXT_XML, None).body)
        later = etree.fromstring(adapter.handle(extract(
            2, extract_id=first.findtext(f".//{{{JUKI}}}ExtractId"), page_size=8), TEXT_XML,
            None).body)
        assert any("\ufa1b" in t for t in _names(first))  # 﨓 on page 1: right
        pages[defect] = _names(later)
    assert any(KAMI in t for t in pages[None]) and any("\ufa26" in t for t in pages[None])
    assert pages[name] == [unicodedata.normalize("NFC", t) for t in pages[None]] != pages[None]
    name = "soap12-answers-half-width-kana-widened"
    wrong = _tree(name, *_soap12(inquiry("0000010219")))
    assert f"{KAMI}谷マリア" in _names(wrong) and "カンダハイツ１０１号" in _addresses(wrong, resident)
    assert _names(_tree(name, inquiry("0000010219"))) == _names(_tree(None, inquiry("0000010219")))
    page = _tree(name, *_soap12(extract(1, page_size=20)))
    assert "\ufa1b田ハナ〜‖−¢£¬―" in _names(page)  # 全件 pages over SOAP 1.2 too


def test_the_subscriber_characters_and_changes(tmp_path):
    def stored(defect, *raws):
        return _observed(tmp_path, defect, [*raws, ("observe", "0000010014")])[-1]
    name = "nonbmp-names-nfc"
    for text, folded in ((f"{YOSHI}田{KAMI}子", True), (f"葛\U000e0102西{KAMI}子", True),
                         (f"{KAMI}田花子", False), (f"{YOSHI}田花子", False)):
        raw = notice(change(name=text))
        assert stored(None, raw) == f"{{'name': '{text}', 'changes_applied': 1}}"
        kept = unicodedata.normalize("NFC", text) if folded else text
        assert stored(name, raw) == f"{{'name': '{kept}', 'changes_applied': 1}}", text
    name = "kana-less-names-half-width-widened"
    raw = notice(change(name="神谷ﾏﾘｱ"))
    assert stored(name, _kana_less(raw)) == "{'name': '神谷マリア', 'changes_applied': 1}"
    assert stored(None, _kana_less(raw)) == "{'name': '神谷ﾏﾘｱ', 'changes_applied': 1}"
    assert stored(name, raw) == "{'name': '神谷ﾏﾘｱ', 'changes_applied': 1}"  # with Kana: right
    name = "soap12-notices-last-change-only"
    two = notice(change(number="0000010049", name="高橋健一"), change())
    for sent, lost in ((_soap12(two), True), ((two, TEXT_XML), False)):
        steps = [sent, ("observe", "0000010049"), ("observe", "0000010014")]
        right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
        assert "applied</pfr:Status>" in wrong[0]
        assert (wrong[1] == "None") is lost and wrong[2] == right[2]


def test_the_durable_variants_lose_what_they_say(tmp_path):
    one = notice(change())
    renamed = notice(change(seq=2, name="総務花子"))
    for name, raws in (("notified-on-changes-applied-after-receipt", [_notified_on(one)]),
                       ("notices-with-comments-applied-after-receipt", [_with_comment(one)]),
                       ("name-changes-applied-after-receipt", [one, renamed]),
                       ("birth-registrations-applied-after-receipt",
                        [notice(change(reason="A03"))])):
        crashed = [*raws, ("crash",), ("observe", "0000010014")]
        right, wrong = _observed(tmp_path, None, crashed), _observed(tmp_path, name, crashed)
        assert "applied</pfr:Status>" in right[-2] and "applied</pfr:Status>" in wrong[-2]
        assert right[-1] != wrong[-1], name
        plain = [one, notice(change(seq=2)), ("crash",), ("observe", "0000010014")]
        assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain), name
        adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / f"{name}.sqlite3",
                          defect=name)
        for raw in raws[:-1]:
            adapter.handle(raw, TEXT_XML, None)
        held = adapter.observe("0000010014")
        answer = adapter.handle(raws[-1], TEXT_XML, None)
        assert b"applied</pfr:Status>" in answer.body and adapter.observe("0000010014") == held
        def written(adapter=adapter, held=held) -> bool:
            return adapter.observe("0000010014") != held
        wait_until(written, ASYNC_DELAY + 10, "the worker to write the change")


def test_the_helpers_the_variants_are_built_on():
    assert utf16_bytes(_utf16(inquiry("0000010014"))[0])
    assert utf16_bytes(inquiry("0000010014").decode().encode("utf-16-be"))
    assert not utf16_bytes(inquiry("0000010014"))
    assert comment_before_dtd(_dtd_after_comment(inquiry("0000010014")))
    assert not comment_before_dtd(_with_comment(inquiry("0000010014")))
    assert not comment_before_dtd(_with(inquiry("0000010014"), "?><soap:Envelope",
                                        f"?>{DTD}<!-- a --><soap:Envelope"))
    held = {"0000000019": None, "0000010014": None}
    assert numbers_alike("19", held) == numbers_alike("000000000000019", held) == "0000000019"
    assert numbers_alike("0000100005", held) is None
    assert widened("神谷ﾏﾘｱ") == "神谷マリア" and widened("ｶﾝﾀﾞﾊｲﾂ１０１号") == "カンダハイツ１０１号"
    assert beyond_bmp(f"{YOSHI}田") and beyond_bmp("葛\U000e0102") and not beyond_bmp(f"{KAMI}田")
    assert holds_comment(_with_comment(inquiry("0000010014")))
    assert holds_comment(_with(inquiry("0000010014"), "0000010014<", "00000<!-- -->10014<"))
    assert not holds_comment(inquiry("0000010014")) and not holds_comment(b"<a")
    first = etree.fromstring(_notified_on(_kana_less(notice(change(reason="A03"))))).find(
        f".//{{{JUKI}}}Change")
    assert with_notified_on(first) and is_birth(first) and kana_less(first)
    plain = etree.fromstring(notice(change())).find(f".//{{{JUKI}}}Change")
    assert not (with_notified_on(plain) or is_birth(plain) or kana_less(plain))
    for coding, chunked in (("chunked", True), ("Chunked", True), ("gzip, chunked", True),
                            (None, False)):
        handler = SimpleNamespace(headers={} if coding is None else
                                  {"Transfer-Encoding": coding})
        assert chunked_body(handler) is chunked
    assert LATE > 10.0


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("?><soap:Envelope", "</c:OccurredOn>",
                 "<c:Kana><c:Family>ソウム</c:Family><c:Given>ショウコ</c:Given></c:Kana>",
                 'encoding="UTF-8"'):
        assert part.encode() in one, part
    assert b"?><soap:Envelope" in inquiry("0000010014")
    assert sorted(NEUTRAL_IDS) == list(NEUTRAL_IDS)


# --- time: the slow paths, SentAt -----------------------------------------------------------------

def test_the_transcripts_do_not_show_the_timed_variants(tmp_path, monkeypatch):
    """A transcript shows no time: the reason the variants that only take time have tests of
    their own (their delays shortened here)."""
    monkeypatch.setattr(fortyeighth_store, "LATE", 0.2)
    for name, role, steps in (
            ("foreigner-inquiry-answered-late", "provider", [inquiry("0000010065")]),
            ("removal-notice-answered-late", "subscriber",
             [notice(change(reason="B01")), ("observe", "0000010014")]),
            ("kept-out-notice-answered-late", "subscriber",
             [notice(change(seq=2)), notice(change(seq=1)), ("observe", "0000010014")]),
            ("past-end-page-sent-at-of-snapshot", "provider", [extract(1), ("page", 9)])):
        assert transcript(role, tmp_path / f"{name}-{role}-a.db", None, steps) == \
            transcript(role, tmp_path / f"{name}-{role}-b.db", name, steps), name


def _took(adapter, raw: bytes, ctype: str = TEXT_XML) -> tuple[float, Answer]:
    began = time.monotonic()
    answer = adapter.handle(raw, ctype, None)
    return time.monotonic() - began, answer


def test_an_inquiry_of_a_foreign_resident_is_answered_late(monkeypatch):
    name = "foreigner-inquiry-answered-late"
    monkeypatch.setattr(fortyeighth_store, "LATE", 1.5)
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        for raw, late in ((inquiry("0000010065"), True),
                          (inquiry("678901234562", by="IndividualNumber"), True),
                          (inquiry("0000010014"), False), (inquiry(NOT_HELD), False),
                          (extract(1, page_size=20), False)):
            took, answer = _took(adapter, raw)
            assert answer.status == 200
            assert (took >= 1.5) is (late and defect == name), (defect, took)


def test_notices_of_removals_and_kept_out_changes_are_answered_late(tmp_path, monkeypatch):
    monkeypatch.setattr(fortyeighth_store, "LATE", 1.5)
    for name, steps in (
            ("removal-notice-answered-late",
             [(notice(change(reason="B01"), message_id=NEUTRAL_IDS[0]), "applied", True),
              (notice(change(reason="B01"), message_id=NEUTRAL_IDS[0]), "duplicate", False),
              (notice(change(seq=2)), "applied", False)]),
            ("kept-out-notice-answered-late",
             [(notice(change(seq=2)), "applied", False), (notice(change()), "applied", True),
              (notice(change(seq=3)), "applied", False),
              (notice(change(number="0000010049", seq=1), change(seq=3)), "applied", True)])):
        for defect in (None, name):
            adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / f"{name}-{defect}.db",
                              defect=defect)
            for raw, status, late in steps:
                took, answer = _took(adapter, raw)
                assert _receipt(answer) == status
                assert (took >= 1.5) is (late and defect == name), (name, defect, took)


def _sent_at_behind(answer) -> float:
    sent = dt.datetime.fromisoformat(answer_text(answer, f"{{{PFH}}}SentAt") or "")
    return (dt.datetime.now(JST) - sent).total_seconds()


def test_a_page_past_the_end_is_stamped_when_its_snapshot_was_made(monkeypatch):
    name = "past-end-page-sent-at-of-snapshot"
    for defect in (None, name):
        clock_from(monkeypatch, PINNED)
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        first = adapter.handle(extract(1), TEXT_XML, None)
        named = answer_text(first, f"{{{JUKI}}}ExtractId")
        assert abs(_sent_at_behind(first)) < 5
        clock_from(monkeypatch, PINNED + dt.timedelta(minutes=5))  # five minutes on
        past = adapter.handle(extract(9, extract_id=named), TEXT_XML, None)
        behind = _sent_at_behind(past)
        assert (295 < behind < 305) if defect else abs(behind) < 5, (defect, behind)
        within = adapter.handle(extract(2, extract_id=named), TEXT_XML, None)
        assert abs(_sent_at_behind(within)) < 5  # a page within the extract: right
        assert abs(_sent_at_behind(adapter.handle(extract(9), TEXT_XML, None))) < 5  # its own


# --- the HTTP front end ---------------------------------------------------------------------------

def test_the_chunked_hook_waits_for_chunked_bodies_only(monkeypatch):
    monkeypatch.setattr(fortyeighth_store, "LATE", 0.3)
    for defect in (None, "chunked-requests-answered-late"):
        for headers, late in (({"Transfer-Encoding": "chunked"}, True),
                              ({"Content-Length": "10"}, False)):
            began = time.monotonic()
            chunked_late(SimpleNamespace(headers=headers), defect)
            assert (time.monotonic() - began >= 0.3) is (late and defect is not None)


def test_the_http10_hook_writes_no_length():
    answer = Answer(200, b"<soap:Envelope/>", TEXT_XML)
    for version, written in (("HTTP/1.0", True), ("HTTP/1.1", False)):
        handler = SimpleNamespace(request_version=version, wfile=BytesIO(), ended=False)
        handler.end_headers = lambda handler=handler: setattr(handler, "ended", True)
        assert unframed_http10(handler, "http10-keep-alive-answer-unframed", answer) is written
        assert handler.wfile.getvalue() == (answer.body if written else b"")
        assert unframed_http10(handler, None, answer) is False


def _post(body: bytes, host: str, *fields: str, version: str = "HTTP/1.1") -> bytes:
    head = (f"POST /soap {version}\r\nHost: {host}\r\nContent-Type: {TEXT_XML}\r\n").encode()
    return head + b"".join(f.encode() + b"\r\n" for f in fields) + b"\r\n" + body


def _chunked(body: bytes) -> bytes:
    return b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n"
                    for part in (body[:200], body[200:])) + b"0\r\n\r\n"


def _read_until_close(sock, wait: float) -> tuple[bytes, bool]:
    """What the connection brings within ``wait`` s of silence, and whether it was closed."""
    sock.settimeout(wait)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return data, False
        if not chunk:
            return data, True
        data += chunk


def _head_and_body(answer: bytes) -> tuple[str, bytes]:
    head, body = answer.split(b"\r\n\r\n", 1)
    return head.decode("iso-8859-1").lower(), body


def _messages(role: str, count: int) -> list[bytes]:
    return [inquiry("0000010014") if role == "provider" else notice(change(seq=i + 1))
            for i in range(count)]


def test_an_http10_answer_on_a_kept_alive_connection_has_no_end(indie_process):
    name = "http10-keep-alive-answer-unframed"
    for role in ("provider", "subscriber"):
        for defect in (None, name):
            p = indie_process(role, defect)
            raws, host = iter(_messages(role, 3)), f"{p.host}:{p.port}"
            for keep_alive in (True, False):
                raw = next(raws)
                fields = [f"Content-Length: {len(raw)}"] + \
                    (["Connection: keep-alive"] if keep_alive else [])
                with socket.create_connection((p.host, p.port), timeout=10) as sock:
                    sock.sendall(_post(raw, host, *fields, version="HTTP/1.0"))
                    answer, closed = _read_until_close(sock, 2.0)
                head, body = _head_and_body(answer)
                assert head.split(" ", 2)[1] == "200" and etree.fromstring(body) is not None
                framed = "content-length:" in head
                assert framed is (defect is None), (role, defect, keep_alive)
                assert closed is not keep_alive, (role, defect, keep_alive)  # as asked
            raw = next(raws)  # HTTP/1.1: right
            answer = p.post_raw(_post(raw, host, f"Content-Length: {len(raw)}",
                                      "Connection: close"))
            assert "content-length:" in _head_and_body(answer)[0]


@pytest.mark.slow
def test_a_chunked_request_is_answered_late(indie_process):
    name = "chunked-requests-answered-late"
    for role in ("provider", "subscriber"):
        for defect in (None, name):
            p = indie_process(role, defect)
            host = f"{p.host}:{p.port}"
            chunked, plain = _messages(role, 2)
            for raw, fields, late in (
                    (_chunked(chunked), ["Transfer-Encoding: chunked"], True),
                    (plain, [f"Content-Length: {len(plain)}"], False)):
                began = time.monotonic()
                with socket.create_connection((p.host, p.port), timeout=10) as sock:
                    sock.sendall(_post(raw, host, *fields, "Connection: close"))
                    answer, closed = _read_until_close(sock, 30.0)
                took = time.monotonic() - began
                assert closed, (role, defect)
                assert _head_and_body(answer)[0].split(" ", 2)[1] == "200", (role, defect)
                assert (took >= LATE) is (late and defect == name), (role, defect, took)
