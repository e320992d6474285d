"""Each variant of the forty-third batch really takes effect (variants.py FORTYTHIRD_BATCH,
declared in independent/fortythird.py), in the way of the forty-second batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included) or of the message a variant is written for, and the
variant's transcript must differ from the correct adapter's. Each variant also leaves an exchange
it does not target as the correct adapter answers it. The clock is pinned (an ordinary Wednesday
afternoon in JST), so that the transcripts do not depend on when the tests run; no variant of the
batch reads a date. Four variants take effect where a transcript cannot show them and have tests
of their own (OWN_TEST): two on the adapter as a process — two SOAP versions on one kept-alive
connection, a request carrying both Transfer-Encoding and Content-Length — and two that read the
clock to the second (the first second of a minute, a float of the Unix time), shown with the
clock moved."""

from __future__ import annotations

import datetime as dt
import http.client
import re
from collections.abc import Callable
import itertools

import pytest
from lxml import etree

from tests.support.polling import wait_until

from .independent.adapter import JST, Adapter
from .independent.fortythird import (FORTYTHIRD_DEFECTS, FORTYTHIRD_MEASURED_MISSES,
                                     float32_seconds, has_charset, int_bound,
                                     joined_surrogate_references, latin1_reencoded,
                                     lenient_date, open_element_path, soap_of)
from .independent.fortythird_store import (ASYNC_DELAY, LONG_NUMBER, long_number,
                                           without_reading)
from .independent.standard import CMN, JUKI, PFF, PFH, SOAP11, m11_ok
from .independent.variants import APART, FORTYTHIRD_BATCH
from .variant_transcripts import as_soap12 as _soap12
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import fault_code as _code
from .variant_transcripts import receipt_status as _receipt
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import observed as _observed
from .variant_transcripts import replaced as _with
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, SOAP12, SOAP12_TYPE, TEXT_XML,
                                  answer_text, assert_declared_apart, batch_cases, change,
                                  clock_from, extract, inquiry, missed_runs, move_clock,
                                  neutral_restart_scenario, neutral_scenario_tests, notice,
                                  variant_effect_tests)

# the variants that read a date: none in this batch
DATED: set[str] = set()
DURABLE = {"kana-less-names-applied-after-receipt",
           "residents-merged-by-individual-number-on-start",
           "long-addressee-numbers-applied-after-receipt"}
# the variants a transcript cannot show: tests of their own (below)
OWN_TEST: frozenset[str] = frozenset({"soap-version-fixed-per-connection",
                                      "content-length-over-chunked",
                                      "sent-at-seconds-omitted-on-the-minute",
                                      "sent-at-through-float32"})
SPOUSE = "0000010022"  # 総務大輔: the builder's notices put him in 世帯 0000050016 too
HOUSEHOLD = "0000050016"  # a held 世帯番号 (its check digit holds as a 宛名番号's would)
LONG = "100000000010011"  # a 宛名番号 of 15 digits, its check digit right
NO_CHARSET = "text/xml"


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, dt.datetime(2026, 12, 9, 15, 20, tzinfo=JST))


def _malformed(raw: bytes, end_tag: str) -> bytes:
    """``raw`` without one end tag: not well-formed."""
    return _with(raw, end_tag, "")


def _two_bodies(raw: bytes) -> bytes:
    """``raw`` with a second soap:Body (an inquiry of another resident) after its own."""
    second = ('<soap:Body><j:ResidentInquiryRequest xmlns:j="urn:pfbus:unit:juki:v1">'
              f'<j:AddresseeNumber>{SPOUSE}</j:AddresseeNumber></j:ResidentInquiryRequest>'
              '</soap:Body>')
    return _with(raw, "</soap:Body>", f"</soap:Body>{second}")


def _header_after_body(raw: bytes) -> bytes:
    """``raw`` with its soap:Header moved after its soap:Body."""
    header = re.search(rb"<soap:Header>.*</soap:Header>", raw, re.S)[0]
    out = raw.replace(header, b"").replace(b"</soap:Body>", b"</soap:Body>" + header)
    assert out != raw
    return out


def _page(raw: bytes, text: str) -> bytes:
    """``raw`` (a first 全件 request for page 1) with Page written ``text``."""
    return _with(raw, "<j:Page>1<", f"<j:Page>{text}<")


def _sequence(raw: bytes, text: str) -> bytes:
    """``raw`` (a notice whose first 異動連番 is 1) with it written ``text``."""
    return _with(raw, "<j:Sequence>1<", f"<j:Sequence>{text}<")


def _on(raw: bytes, day: str) -> bytes:
    """``raw`` (a notice of changes dated 2025-04-01) dated ``day``."""
    return _with(raw, "<c:OccurredOn>2025-04-01<", f"<c:OccurredOn>{day}<")


def _surrogates(raw: bytes) -> bytes:
    """``raw`` (a notice of 総務翔子) whose name is 𠮷田花子 with 𠮷 written as two references to
    its UTF-16 surrogates: not well-formed."""
    return _with(raw, "<c:Text>総務翔子<", "<c:Text>&#xD842;&#xDFB7;田花子<")


def _without_reading(raw: bytes) -> bytes:
    """``raw`` (a notice) whose names carry no cmn:Kana."""
    out = re.sub(rb"<c:Kana>.*?</c:Kana>", b"", raw)
    assert out != raw
    return out


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "dated-not-found-carries-current-resident": [inquiry("0000010014", as_of="2010-01-01")],
        "well-formed-finding-path-of-open-element": [
            _malformed(inquiry("0000010014"), "</j:AddresseeNumber>")],
        "fault-charset-given-twice": [inquiry("00000100x4")],
        "envelope-parts-found-by-name": [_two_bodies(inquiry("0000010014"))],
        "inquiry-key-matched-on-household-number": [inquiry(HOUSEHOLD)],
        "integers-bound-with-unicode-digits": [_page(extract(1, page_size=2), "１")],
        "dates-bound-by-lenient-calendar": [inquiry("0000010014", as_of="2023-02-29")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    spouse = notice(change(number=SPOUSE, name="総務大輔"))
    steps: dict[str, list] = {
        "household-change-counts-every-member": stored(
            one, spouse, notice(change(seq=2, reason="C04")), number=SPOUSE),
        "ex-officio-registration-as-correction": stored(notice(change(reason="A04"))),
        "well-formed-finding-path-of-open-element": stored(_malformed(one, "</c:Text>")),
        "envelope-parts-found-by-name": stored(_header_after_body(one)),
        "integers-bound-with-unicode-digits": stored(_sequence(one, "１")),
        "request-hash-over-latin1-when-no-charset": stored((one, NO_CHARSET)),
        "surrogate-pair-references-joined": stored(_surrogates(one)),
        "dates-bound-by-lenient-calendar": stored(_on(one, "2025-02-29")),
        "kana-less-names-applied-after-receipt": stored(_without_reading(one), ("crash",)),
        "residents-merged-by-individual-number-on-start": stored(one, spouse, ("crash",),
                                                                 number=SPOUSE),
        "long-addressee-numbers-applied-after-receipt": stored(
            notice(change(number=LONG)), ("crash",), number=LONG),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(FORTYTHIRD_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(FORTYTHIRD_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own
    assert len(FORTYTHIRD_BATCH) == len(set(FORTYTHIRD_BATCH))
    assert 18 <= len(FORTYTHIRD_BATCH) <= 20 and len(roles) >= 22
    assert DATED <= FORTYTHIRD_BATCH and DURABLE <= FORTYTHIRD_BATCH
    assert OWN_TEST <= FORTYTHIRD_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)
    assert abs(roles.count("provider") - roles.count("subscriber")) <= 2  # balanced
    assert set(FORTYTHIRD_DEFECTS) == FORTYTHIRD_BATCH


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(FORTYTHIRD_MEASURED_MISSES, FORTYTHIRD_BATCH, APART)
    assert len(FORTYTHIRD_MEASURED_MISSES) == 7  # variants missed, 14/24 runs on 259de56
    every_run = batch_cases(FORTYTHIRD_BATCH, APART)
    assert len(missed) == 10 and set(missed) <= set(every_run)
    assert len(every_run) == 24 and len(CASES) == 18


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.1 inquiry of a resident of a household of three by 宛名番号 and one of another of
    that household over SOAP 1.2 (addresses without 方書); a first 全件 request for page 2 (two
    residents a page). A 転入 (A01) of a resident not held, then two 転居 (C01), one per notice
    (the second over SOAP 1.2), observed; a restart; a third, newer, observed."""
    return {
        "provider": [inquiry("0000010014"), _soap12(inquiry("0000010022")),
                     extract(2, page_size=2)],
        "subscriber": neutral_restart_scenario(),
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {"provider": set(), "subscriber": set()}
(test_each_variant_leaves_what_it_does_not_target,
 _no_variant_targets_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------



def test_the_variants_of_both_roles_answer_what_they_say(tmp_path):
    for role, plain, end_tag in (("provider", inquiry("0000010014"), "</j:AddresseeNumber>"),
                                 ("subscriber", notice(change()), "</c:Text>")):
        def answer(defect, raw, ctype=TEXT_XML, role=role):
            return _answer(defect, raw, ctype, role=role, tmp_path=tmp_path)

        def tree(defect, raw, ctype=TEXT_XML, role=role):
            return _tree(defect, raw, ctype, role=role, tmp_path=tmp_path)
        name = "well-formed-finding-path-of-open-element"
        path = f".//{{{PFF}}}Finding/{{{PFF}}}Path"
        bad = _malformed(plain, end_tag)
        assert tree(None, bad).find(path) is None  # no element: no path
        wrong = tree(name, bad).findtext(path)
        assert wrong is not None and wrong.startswith("/soap:Envelope/soap:Body/"), role
        rule = (inquiry(BAD_CHECK_DIGIT) if role == "provider"
                else notice(change(reason="Z99")))
        assert tree(name, rule).find(path) is None  # a rule fault: right
        name = "envelope-parts-found-by-name"
        for shape in (_two_bodies(plain), _header_after_body(plain)):
            assert _code(answer(None, shape)) == "PF-SOAP-ENVELOPE"
            assert answer(name, shape).status == 200, role
        assert answer(name, plain).status == 200  # an ordinary envelope: right
        name = "integers-bound-with-unicode-digits"
        raws = ([_page(extract(1, page_size=2), text) for text in ("１", "1_1", "٣")]
                if role == "provider" else
                [_sequence(notice(change()), text) for text in ("１", "1_0", "٣")])
        for raw in raws:
            assert _code(answer(None, raw)) == "PF-SCHEMA-INVALID"
            assert answer(name, raw).status == 200, role
        lexical = (_page(extract(1, page_size=2), "+01") if role == "provider"
                   else _sequence(notice(change()), "+01"))  # valid: the same answer
        assert answer(name, lexical).status == answer(None, lexical).status == 200
        name = "dates-bound-by-lenient-calendar"
        raws = ([inquiry("0000010014", as_of=day) for day in ("2023-02-29", "2025-04-31")]
                if role == "provider" else
                [_on(notice(change()), day) for day in ("2025-02-29", "2025-13-01")])
        for raw in raws:
            assert _code(answer(None, raw)) == "PF-SCHEMA-INVALID"
            assert answer(name, raw).status == 200, role
        leap = (inquiry("0000010014", as_of="2024-02-29") if role == "provider"
                else _on(notice(change()), "2024-02-29"))  # a real date: right
        assert answer(name, leap).status == answer(None, leap).status == 200


def test_the_provider_variants_answer_what_they_say():
    name = "dated-not-found-carries-current-resident"
    status, resident = f"{{{JUKI}}}Status", f"{{{JUKI}}}Resident"
    early = inquiry("0000010014", as_of="2010-01-01")  # recorded 2015-04-01
    right, wrong = _tree(None, early), _tree(name, early)
    assert right.findtext(f".//{status}") == wrong.findtext(f".//{status}") == "not-found"
    assert right.find(f".//{resident}") is None
    assert wrong.findtext(f".//{resident}/{{{CMN}}}AddresseeNumber") == "0000010014"
    assert wrong.find(f".//{{{JUKI}}}Household") is not None
    later = inquiry("0000010014", as_of="2020-01-01")  # found: right
    assert etree.tostring(_tree(name, later).find(f".//{resident}")) == \
        etree.tostring(_tree(None, later).find(f".//{resident}"))
    unknown = inquiry("0000010081", as_of="2010-01-01")  # held by no one: right
    assert m11_ok("0000010081")
    assert _tree(name, unknown).find(f".//{resident}") is None
    name = "fault-charset-given-twice"
    fault = _answer(name, inquiry("00000100x4"))
    assert fault.content_type == "text/xml; charset=utf-8; charset=utf-8"
    assert _answer(None, inquiry("00000100x4")).content_type == "text/xml; charset=utf-8"
    soap12 = _answer(name, *_soap12(inquiry("00000100x4")))
    assert soap12.content_type == "application/soap+xml; charset=utf-8; charset=utf-8"
    assert _answer(name, inquiry("0000010014")).content_type == TEXT_XML  # an answer: right
    name = "inquiry-key-matched-on-household-number"
    assert answer_text(_answer(None, inquiry(HOUSEHOLD)), f"{{{JUKI}}}Status") == "not-found"
    wrong = _tree(name, inquiry(HOUSEHOLD))
    assert wrong.findtext(f".//{status}") == "found"
    assert wrong.findtext(f".//{resident}/{{{CMN}}}AddresseeNumber") == "0000010014"  # 世帯主
    body = f".//{{{JUKI}}}ResidentInquiryResponse"
    assert etree.tostring(_tree(name, inquiry("0000010022")).find(body)) == \
        etree.tostring(_tree(None, inquiry("0000010022")).find(body))  # a 宛名番号: right


def test_the_subscriber_variants_answer_what_they_say(tmp_path):
    def answer(defect, raw, ctype=TEXT_XML):
        return _answer(defect, raw, ctype, role="subscriber", tmp_path=tmp_path)
    one = notice(change())
    spouse = notice(change(number=SPOUSE, name="総務大輔"))
    name = "household-change-counts-every-member"
    for reason in ("C02", "C03", "C04", "C05"):
        steps = [one, spouse, notice(change(seq=2, reason=reason)), ("observe", SPOUSE),
                 ("observe", "0000010014")]
        right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
        assert right[-2] == "{'name': '総務大輔', 'changes_applied': 1}"
        assert wrong[-2] == "{'name': '総務大輔', 'changes_applied': 2}", reason
        assert right[-1] == wrong[-1] == "{'name': '総務翔子', 'changes_applied': 2}"
    moved = [one, spouse, notice(change(seq=2)), ("observe", SPOUSE)]  # a 転居: right
    assert _observed(tmp_path, None, moved) == _observed(tmp_path, name, moved)
    name = "ex-officio-registration-as-correction"
    steps = subscriber_steps(name)
    assert _observed(tmp_path, None, steps)[-1] == \
        "{'name': '総務翔子', 'changes_applied': 1}"
    wrong = _observed(tmp_path, name, steps)
    assert "applied</pfr:Status>" in wrong[0] and wrong[-1] == "None"
    held = [one, notice(change(seq=2, reason="A04", name="総務花子")), ("observe", "0000010014")]
    assert _observed(tmp_path, None, held) == _observed(tmp_path, name, held)  # held: right
    name = "request-hash-over-latin1-when-no-charset"
    steps = subscriber_steps(name)
    assert "hash-of-the-request" in _observed(tmp_path, None, steps)[0]
    assert "hash-of-the-request" not in _observed(tmp_path, name, steps)[0]
    labelled = [one, ("observe", "0000010014")]  # a charset parameter: right
    assert _observed(tmp_path, None, labelled) == _observed(tmp_path, name, labelled)
    name = "surrogate-pair-references-joined"
    assert _code(answer(None, _surrogates(one))) == "PF-SOAP-ENVELOPE"
    assert _receipt(answer(name, _surrogates(one))) == "applied"
    steps = subscriber_steps(name)
    assert _observed(tmp_path, name, steps)[-1] == \
        "{'name': '\U00020bb7田花子', 'changes_applied': 1}"
    referenced = _with(one, "<c:Text>総務翔子<", "<c:Text>&#x20BB7;田花子<")  # right
    assert _observed(tmp_path, None, [referenced, ("observe", "0000010014")]) == \
        _observed(tmp_path, name, [referenced, ("observe", "0000010014")])


def test_the_durable_variants_lose_what_they_say(tmp_path):
    one, spouse = notice(change()), notice(change(number=SPOUSE, name="総務大輔"))
    for name, raw, number in (
            ("kana-less-names-applied-after-receipt", _without_reading(one), "0000010014"),
            ("long-addressee-numbers-applied-after-receipt", notice(change(number=LONG)), LONG)):
        crashed = [raw, ("crash",), ("observe", number)]
        right, wrong = _observed(tmp_path, None, crashed), _observed(tmp_path, name, crashed)
        assert "applied</pfr:Status>" in right[0] and "applied</pfr:Status>" in wrong[0]
        assert "'changes_applied': 1" in right[-1] and wrong[-1] == "None", name
        plain = [one, ("crash",), ("observe", "0000010014")]  # a reading, ten digits: right
        assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain)
        adapter = Adapter("subscriber", GOV, "07", "indie",
                          db=tmp_path / f"{name}.sqlite3", defect=name)
        answer = adapter.handle(raw, TEXT_XML, None)
        assert b"applied</pfr:Status>" in answer.body and adapter.observe(number) is None
        wait_until(lambda a=adapter, n=number: a.observe(n) is not None, ASYNC_DELAY + 10,
                   "the job to apply the notice")
    name = "residents-merged-by-individual-number-on-start"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert right[-1] == "{'name': '総務大輔', 'changes_applied': 1}" and wrong[-1] == "None"
    kept = [one, spouse, ("crash",), ("observe", "0000010014")]  # the lower 宛名番号 kept
    assert _observed(tmp_path, name, kept)[-1] == "{'name': '総務翔子', 'changes_applied': 1}"
    other = _with(spouse, "<c:IndividualNumber>890123456780<",
                  "<c:IndividualNumber>234567890121<")  # a 個人番号 of its own: right
    apart = [one, other, ("crash",), ("observe", SPOUSE)]
    assert _observed(tmp_path, None, apart) == _observed(tmp_path, name, apart)
    before = [one, spouse, ("observe", SPOUSE)]  # until a restart: right
    assert _observed(tmp_path, None, before) == _observed(tmp_path, name, before)


def test_the_clock_variants_write_what_they_say(monkeypatch, tmp_path):
    stores = itertools.count()

    def sent_at(defect, role):
        db = None if role == "provider" else tmp_path / f"{role}-{defect}-{next(stores)}.db"
        raw = inquiry("0000010014") if role == "provider" else notice(change())
        return answer_text(Adapter(role, GOV, "01", "indie", db=db, defect=defect).handle(
            raw, TEXT_XML, None), f"{{{PFH}}}SentAt")
    name = "sent-at-seconds-omitted-on-the-minute"
    at = dt.datetime(2026, 12, 9, 15, 20, 0, 300000, tzinfo=JST)
    start = dt.datetime.now(JST)
    move_clock(monkeypatch, lambda now: at + (now - start) / 100)  # a slow clock: stays in it
    for role in ("provider", "subscriber"):
        assert sent_at(name, role) == "2026-12-09T15:20+09:00", role
        assert sent_at(None, role) == "2026-12-09T15:20:00+09:00", role
    move_clock(monkeypatch, lambda now: at.replace(second=1) + (now - start) / 100)
    assert sent_at(name, "provider") == "2026-12-09T15:20:01+09:00"  # any other second: right
    name = "sent-at-through-float32"
    move_clock(monkeypatch, lambda now: at + (now - start) / 100)
    assert sent_at(None, "provider") == "2026-12-09T15:20:00+09:00"
    wrong = dt.datetime.fromisoformat(sent_at(name, "provider"))
    assert wrong != at.replace(microsecond=0) and abs((wrong - at).total_seconds()) <= 64
    assert wrong.utcoffset() == dt.timedelta(hours=9)
    later = at + dt.timedelta(seconds=40)
    move_clock(monkeypatch, lambda now: later + (now - start) / 100)
    assert dt.datetime.fromisoformat(sent_at(name, "provider")) == wrong  # it stood still
    assert sent_at(name, "subscriber") == sent_at(None, "subscriber")  # a subscriber: right


def test_the_helpers_the_variants_are_built_on():
    assert int_bound("１２") == "12" and int_bound("1_0") == "10" and int_bound("٣") == "3"
    assert int_bound("+01") == "+01" and int_bound(" 2 ") == " 2 "  # ASCII: left as it is
    assert int_bound("x１") == "x１"  # no number: left for the XSD to refuse
    assert lenient_date("2023-02-29") == "2023-03-01"
    assert lenient_date("2025-04-31+09:00") == "2025-05-01+09:00"
    assert lenient_date("2025-13-01") == "2026-01-01" and lenient_date("2025-00-10") == \
        "2024-12-10"
    assert lenient_date(" 2024-02-29 ") == " 2024-02-29 " and lenient_date("x") == "x"
    assert joined_surrogate_references(b"&#xD842;&#xDFB7;&#55362;&#57271;&#x7DCF;") == \
        b"&#x20BB7;&#x20BB7;&#x7DCF;"
    assert joined_surrogate_references(b"&#x7DCF;&#x52D9;") == b"&#x7DCF;&#x52D9;"
    assert latin1_reencoded("総".encode()) == "ç·\x8f".encode()
    assert latin1_reencoded(b"<a>ROSSI</a>") == b"<a>ROSSI</a>"  # ASCII: the same bytes
    assert not has_charset("text/xml") and has_charset("text/xml; Charset=UTF-8")
    assert soap_of(SOAP12_TYPE) == SOAP12 and soap_of(TEXT_XML) == SOAP11
    at = dt.datetime(2026, 12, 9, 15, 20, tzinfo=JST)
    assert float32_seconds(at) == at - dt.timedelta(seconds=16)  # a multiple of 128 s
    assert open_element_path(b"<a:x xmlns:a='u'><a:y/><a:z><b>") == "/a:x/a:z/b"
    assert open_element_path(b"") is None
    assert m11_ok(LONG) and len(LONG) > LONG_NUMBER and m11_ok(HOUSEHOLD)
    one = etree.fromstring(notice(change()))
    assert not without_reading(next(one.iter(f"{{{JUKI}}}Change")))
    assert not long_number(next(one.iter(f"{{{JUKI}}}Change")))
    bare = etree.fromstring(_without_reading(notice(change(number=LONG))))
    assert without_reading(next(bare.iter(f"{{{JUKI}}}Change")))
    assert long_number(next(bare.iter(f"{{{JUKI}}}Change")))


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("<j:Sequence>1<", "<c:OccurredOn>2025-04-01<", "<c:Text>総務翔子<",
                 "<c:IndividualNumber>890123456780<", f"<c:HouseholdNumber>{HOUSEHOLD}<",
                 "</c:Text>", "<c:Kana>", "<soap:Header>", "</soap:Body>"):
        assert part.encode() in one, part
    spouse = notice(change(number=SPOUSE, name="総務大輔"))
    assert b"<c:IndividualNumber>890123456780<" in spouse
    assert f"<c:HouseholdNumber>{HOUSEHOLD}<".encode() in spouse
    for part in ("</j:AddresseeNumber>", "<soap:Header>", "</soap:Body>"):
        assert part.encode() in inquiry("0000010014"), part
    assert b"<j:Page>1<" in extract(1, page_size=2)


# --- the HTTP front end, on the adapter as a process --------------------------------------------

def _request(body: bytes, *, chunks: list[bytes] | None = None,
             length: bool = True) -> bytes:
    framing = "Transfer-Encoding: chunked" if chunks is not None else ""
    if length:
        framing += ("\r\n" if framing else "") + f"Content-Length: {len(body)}"
    head = (f"POST /soap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {TEXT_XML}\r\n"
            f"{framing}\r\nConnection: close\r\n\r\n")
    payload = body if chunks is None else b"".join(
        f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in chunks) + b"0\r\n\r\n"
    return head.encode() + payload


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_both_soap_versions_on_one_connection_get_the_first_ones(indie_process):
    name = "soap-version-fixed-per-connection"
    first, second = (inquiry("0000010014"), TEXT_XML), _soap12(inquiry("0000010022"))
    for defect in (None, name):
        p = indie_process("provider", defect)
        for order in ((first, second), (second, first)):
            conn = http.client.HTTPConnection(p.host, p.port, timeout=10)
            got = []
            for raw, ctype in order:
                conn.request("POST", "/soap", raw, {"Content-Type": ctype})
                response = conn.getresponse()
                body = response.read()
                got.append((response.getheader("Content-Type"), soap_of(ctype).encode() in body))
            conn.close()
            assert got[0] == (order[0][1], True), defect  # the first: right
            assert (got[1] == (order[1][1], True)) is (defect is None), (defect, got)
            if defect:  # answered in the first request's version
                assert got[1][0] == order[0][1] and not got[1][1]
        for raw, ctype in (second, first):  # a connection each: right
            conn = http.client.HTTPConnection(p.host, p.port, timeout=10)
            conn.request("POST", "/soap", raw, {"Content-Type": ctype})
            assert conn.getresponse().getheader("Content-Type") == ctype, defect
            conn.close()


def test_a_chunked_request_with_a_content_length_is_read_by_its_length(indie_process):
    name = "content-length-over-chunked"
    for role, raw in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        for defect in (None, name):
            p = indie_process(role, defect)
            both = p.post_raw(_request(raw, chunks=[raw[:100], raw[100:]]))
            assert (_status(both) == 200) is (defect is None), (role, defect)
            if defect:  # the chunk framing read as the message: not well-formed
                assert b"PF-SOAP-ENVELOPE" in both and b"xml:well-formed" in both, role
            again = raw if role == "provider" else notice(change(seq=2))
            assert _status(p.post_raw(_request(again, chunks=[again[:100], again[100:]],
                                               length=False))) == 200, (role, defect)
            third = raw if role == "provider" else notice(change(seq=3))
            assert _status(p.post_raw(_request(third))) == 200, (role, defect)  # a length: right
