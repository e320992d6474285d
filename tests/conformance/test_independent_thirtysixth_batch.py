"""Each variant of the thirty-sixth batch really takes effect (variants.py THIRTYSIXTH_BATCH,
declared in independent/thirtysixth.py), in the way of the thirty-fifth batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. The clock is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not
depend on when the tests run; the variants that read a date are shown to take effect at a second
instant too, 00:30 JST on the first day of a year."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from tests.support.polling import wait_until

from .independent.adapter import Adapter
from .independent.standard import CMN, JUKI, PFF, PFH, PFR
from .independent.thirtysixth import (NUMBERING_BEGAN, PLATFORM_CODES, THIRTYSIXTH_DEFECTS,
                                      THIRTYSIXTH_MEASURED_MISSES, from_version_convention,
                                      narrowed, request_element_path, same_operation)
from .independent.thirtysixth_store import ASYNC_DELAY, year_of
from .independent.variants import APART, THIRTYSIXTH_BATCH
from .variant_transcripts import as_soap12 as _soap12
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import fault_code as _code
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import observed as _observed
from .variant_transcripts import replaced as _with
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, NOTICE_A, NOTICE_B, PINNED, SOAP12, SOAP12_TYPE,
                                  TEXT_XML, answer_text, assert_declared_apart, batch_cases, change,
                                  clock_from, extract, inquiry, missed_runs, neutral_restart_scenario,
                                  neutral_scenario_tests, notice, transcript, variant_effect_tests)

# the variants that read a date: shown at NEW_YEAR too
DATED = {"individual-number-as-of-before-numbering-not-found",
         "dated-inquiry-removed-resident-not-found", "change-count-per-tax-year"}
DURABLE = {"utf16-notices-applied-after-receipt",
           "foreigner-changes-second-connection-uncommitted",
           "individual-number-change-applied-after-receipt"}
OWN_TEST: frozenset[str] = frozenset()  # every variant takes effect on a scenario of its own
STANDBY = "tax-standby"  # another publisher system of the same registry


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, PINNED)


def _service(raw: bytes, served: str, named: str) -> bytes:
    return _with(raw, f"<pfh:ServiceId>{served}<", f"<pfh:ServiceId>{named}<")


def _version(raw: bytes, version: str) -> bytes:
    return _with(raw, "<pfh:Version>1<", f"<pfh:Version>{version}<")


def _sender_gov(raw: bytes, code: str) -> bytes:
    """``raw`` sent by the same SystemId of another municipality (the Sender comes first)."""
    return _with(raw, f"<pfh:LocalGovCode>{GOV}<", f"<pfh:LocalGovCode>{code}<")


def _standby(raw: bytes) -> bytes:
    """``raw`` sent by another system of the publisher (the Sender's SystemId comes first)."""
    return _with(raw, "<pfh:SystemId>tax<", f"<pfh:SystemId>{STANDBY}<")


def _relates(raw: bytes, to: str = NOTICE_B) -> bytes:
    """``raw`` carrying pfh:RelatesTo (an asynchronous result of request ``to``)."""
    return _with(raw, "</pfh:MessageId>", f"</pfh:MessageId><pfh:RelatesTo>{to}</pfh:RelatesTo>")


def _foreigner(raw: bytes) -> bytes:
    return _with(raw, "<c:ResidentKind>1<", "<c:ResidentKind>2<")


def _last_dated(raw: bytes, day: str) -> bytes:
    """``raw`` with its last change's OccurredOn ``day`` (the others 2025-04-01)."""
    head, _, tail = raw.rpartition(b"<c:OccurredOn>2025-04-01<")
    assert head, "no OccurredOn"
    return head + f"<c:OccurredOn>{day}<".encode() + tail


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "rule-finding-path-of-request-element": [inquiry(BAD_CHECK_DIGIT)],
        "unknown-body-element-internal": [notice(change())],
        "own-client-fault-soap12-http-500": [_soap12(extract(2, extract_id="no-such-extract"))],
        "service-id-unit-prefix-ignored": [
            _service(inquiry("0000010014"), "juki.ResidentInquiry", "kokuho.ResidentInquiry")],
        "version-v-prefix-stripped": [inquiry("0000010014", version="V1")],
        "request-id-keyed-by-system-id": [extract(1, request_id="r1"),
                                          _sender_gov(extract(1, request_id="r1"), "141003")],
        "request-id-keyed-with-content-type": [
            extract(1, request_id="r1"), (extract(1, request_id="r1"), 'text/xml; charset="UTF-8"')],
        "header-ids-narrowed-before-validation": [
            _service(inquiry("0000010014"), "juki.ResidentInquiry", "juki.ＲesidentInquiry")],
        "later-pages-names-via-cp932": [extract(1), ("page", 3)],
        "individual-number-as-of-before-numbering-not-found": [
            inquiry("123456789018", by="IndividualNumber", as_of="2015-06-01")],
        "dated-inquiry-removed-resident-not-found": [inquiry("0000010073", as_of="2020-01-01")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "rule-finding-path-of-request-element": [notice(change(reason="Z99"))],
        "unknown-body-element-internal": [inquiry("0000010014", receiver=(GOV, "01", "hub"))],
        "receipt-message-id-from-relates-to": [_relates(notice(change(), message_id=NOTICE_A))],
        "service-id-unit-prefix-ignored": stored(
            _service(one, "juki.ResidentChangeNotice", "jukiv2.ResidentChangeNotice")),
        "version-v-prefix-stripped": stored(_version(one, "V1")),
        "receipt-receiver-pinned-to-first-publisher": [one, _standby(notice(change(seq=2)))],
        "header-ids-narrowed-before-validation": stored(
            _service(one, "juki.ResidentChangeNotice", "juki.ＲesidentChangeNotice")),
        "soap11-notice-names-via-cp932": stored(notice(change(name="𠮷田花子"))),
        "change-count-per-tax-year": stored(
            one, _last_dated(notice(change(seq=2, name="総務花子")), "2026-01-05")),
        "utf16-notices-applied-after-receipt": stored(("utf-16", one), ("crash",)),
        "foreigner-changes-second-connection-uncommitted": stored(_foreigner(one), ("crash",)),
        "individual-number-change-applied-after-receipt": stored(
            notice(change(reason="C06")), ("crash",)),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(THIRTYSIXTH_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(THIRTYSIXTH_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own and len(THIRTYSIXTH_BATCH) == len(set(THIRTYSIXTH_BATCH))
    assert 18 <= len(THIRTYSIXTH_BATCH) <= 20 and len(roles) >= 22
    assert DATED <= THIRTYSIXTH_BATCH and DURABLE <= THIRTYSIXTH_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)
    assert abs(roles.count("provider") - roles.count("subscriber")) <= 2  # balanced
    assert set(THIRTYSIXTH_DEFECTS) == THIRTYSIXTH_BATCH


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(THIRTYSIXTH_MEASURED_MISSES, THIRTYSIXTH_BATCH, APART)
    assert len(THIRTYSIXTH_MEASURED_MISSES) == 2  # variants missed, 21/23 runs on 95ca539
    assert len(missed) == 2 and set(missed) <= set(CASES)
    assert len(CASES) == 23


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.1 inquiry of a resident held by 宛名番号 and one by 個人番号 over SOAP 1.2; a first
    全件 page and its page 2 (two residents a page, JIS X 0208 texts). A 転入 (A01) of a resident
    not held, then two 転居 (C01), one per notice (the second over SOAP 1.2), observed; a
    restart; a third, newer, observed."""
    return {
        "provider": [inquiry("0000010014"),
                     (inquiry("678901234562", by="IndividualNumber", soap=SOAP12), SOAP12_TYPE),
                     extract(1), ("page", 2, 2)],
        "subscriber": neutral_restart_scenario(),
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {"provider": set(), "subscriber": set()}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------


def _status(answer) -> str | None:
    return answer_text(answer, f"{{{JUKI}}}Status")


def _extract_id(answer) -> str | None:
    return answer_text(answer, f"{{{JUKI}}}ExtractId")


def test_the_fault_variants_write_what_they_say(tmp_path):
    name = "rule-finding-path-of-request-element"
    for role, raw, element in (
            ("provider", inquiry(BAD_CHECK_DIGIT), "j:ResidentInquiryRequest"),
            ("subscriber", notice(change(reason="Z99")), "j:ResidentChangeNotice")):
        right = _tree(None, raw, role=role, tmp_path=tmp_path)
        wrong = _tree(name, raw, role=role, tmp_path=tmp_path)
        assert right.find(f".//{{{PFF}}}Path") is None
        finding = wrong.find(f".//{{{PFF}}}Finding")
        assert [etree.QName(el).localname for el in finding] == ["Rule", "Path", "Line", "Message"]
        assert finding.findtext(f"{{{PFF}}}Path") == f"/soap:Envelope/soap:Body/{element}"
        assert finding.findtext(f"{{{PFF}}}Line") == "1"
        schema = _tree(name, inquiry("1"), role="provider")  # an XSD finding: no Path
        assert schema.find(f".//{{{PFF}}}Path") is None
    name = "unknown-body-element-internal"
    for role, raw in (("provider", notice(change())),
                      ("subscriber", inquiry("0000010014", receiver=(GOV, "01", "hub")))):
        right = _answer(None, raw, role=role, tmp_path=tmp_path)
        wrong = _answer(name, raw, role=role, tmp_path=tmp_path)
        assert _code(right) == "PF-SCHEMA-INVALID" and _code(wrong) == "PF-PROVIDER-INTERNAL"
        assert b"soap:Server" in wrong.body and b"soap:Client" in right.body
    assert _code(_answer(name, inquiry(BAD_CHECK_DIGIT))) == "PF-RULE-VIOLATION"  # served: right
    name = "own-client-fault-soap12-http-500"
    raw, ctype = _soap12(extract(2, extract_id="no-such-extract"))
    right, wrong = _answer(None, raw, ctype), _answer(name, raw, ctype)
    assert _code(right) == _code(wrong) == "PF-EXTRACT-UNKNOWN"
    assert right.status == 400 and wrong.status == 500
    assert b"soap:Sender" in wrong.body  # still the caller's error
    soap11 = extract(2, extract_id="no-such-extract")
    assert _answer(name, soap11).status == _answer(None, soap11).status == 500
    assert _answer(name, *_soap12(inquiry(BAD_CHECK_DIGIT))).status == 400  # a platform code
    assert "PF-EXTRACT-UNKNOWN" not in PLATFORM_CODES and "PF-RULE-VIOLATION" in PLATFORM_CODES


def test_the_header_variants_serve_what_they_say(tmp_path):
    name = "service-id-unit-prefix-ignored"
    other = _service(inquiry("0000010014"), "juki.ResidentInquiry", "kokuho.ResidentInquiry")
    assert _code(_answer(None, other)) == "PF-SERVICE-UNKNOWN"
    assert _status(_answer(name, other)) == "found"
    known = _service(inquiry("0000010014"), "juki.ResidentInquiry", "juki.ResidentFullExtract")
    assert _code(_answer(name, known)) == "PF-PROVIDER-MISROUTED"  # another operation: right
    name = "version-v-prefix-stripped"
    for version, refused in (("V1", False), ("v1", False), ("1.0", True), ("01", True)):
        raw = inquiry("0000010014", version=version)
        assert _code(_answer(None, raw)) == "PF-PROVIDER-MISROUTED"
        assert (_code(_answer(name, raw)) == "PF-PROVIDER-MISROUTED") is refused, version
    name = "header-ids-narrowed-before-validation"
    wide = _service(inquiry("0000010014"), "juki.ResidentInquiry", "juki.ＲesidentInquiry")
    assert _code(_answer(None, wide)) == "PF-HEADER-INVALID"
    assert _status(_answer(name, wide)) == "found"
    wide_sender = _with(inquiry("0000010014"), "<pfh:SystemId>tax<", "<pfh:SystemId>ｔａｘ<")
    receiver = f".//{{{PFH}}}Receiver/{{{PFH}}}SystemId"
    assert _code(_answer(None, wide_sender)) == "PF-HEADER-INVALID"
    assert _tree(name, wide_sender).findtext(receiver) == "tax"  # the narrowed Sender


def test_the_extract_variants_answer_what_they_say():
    name = "request-id-keyed-by-system-id"
    first, other = extract(1, request_id="r1"), _sender_gov(extract(1, request_id="r1"), "141003")
    unit = _with(extract(1, request_id="r1"), "<pfh:BusinessUnit>07<", "<pfh:BusinessUnit>11<")
    for defect, same in ((None, False), (name, True)):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        ids = [_extract_id(adapter.handle(raw, TEXT_XML, '""')) for raw in (first, other, unit)]
        assert (ids[0] == ids[1] == ids[2]) is same, defect
        assert len(set(ids)) == (1 if same else 3), defect
    name = "request-id-keyed-with-content-type"
    for defect, same in ((None, True), (name, False)):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        ids = [_extract_id(adapter.handle(extract(1, request_id="r1"), ctype, '""'))
               for ctype in (TEXT_XML, 'text/xml; charset="UTF-8"', TEXT_XML)]
        assert (ids[0] == ids[1]) is same and ids[0] == ids[2], defect
    name = "later-pages-names-via-cp932"
    adapter = {d: Adapter("provider", GOV, "01", "indie", defect=d) for d in (None, name)}
    pages = {}
    for defect, a in adapter.items():
        extract_id = _extract_id(a.handle(extract(1), TEXT_XML, '""'))
        pages[defect] = [etree.fromstring(a.handle(extract(p, extract_id=extract_id), TEXT_XML,
                                                   '""').body) for p in (1, 3, 5)]
    text = f".//{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text"
    right = [el.text for el in pages[None][1].iterfind(text)]
    wrong = [el.text for el in pages[name][1].iterfind(text)]
    assert right[:2] == ["ROSSI VIOLA", "\U00020bb7田一郎"] and wrong[:2] == ["ROSSI VIOLA", "?田一郎"]
    assert right[2] == wrong[2] == "\ufa19谷\uff8f\uff98\uff71"  # 神 U+FA19, ﾏﾘｱ: in CP932
    def residents(page) -> list[bytes]:
        return [etree.tostring(el) for el in page.iter(f"{{{JUKI}}}Resident")]
    assert residents(pages[None][0]) == residents(pages[name][0]) != []  # page 1: right
    assert residents(pages[name][2]) == [] and pages[name][2].find(f".//{{{PFF}}}Code") is None


def test_the_dated_inquiry_variants_answer_what_they_say():
    name = "individual-number-as-of-before-numbering-not-found"
    for key, by, as_of, found in (("123456789018", "IndividualNumber", "2015-06-01", False),
                                  ("123456789018", "IndividualNumber", NUMBERING_BEGAN, True),
                                  ("0000010014", "AddresseeNumber", "2015-06-01", True)):
        raw = inquiry(key, by=by, as_of=as_of)
        assert _status(_answer(None, raw)) == "found"
        assert (_status(_answer(name, raw)) == "found") is found, (key, as_of)
    name = "dated-inquiry-removed-resident-not-found"
    dated, undated = inquiry("0000010073", as_of="2020-01-01"), inquiry("0000010073")
    assert _status(_answer(None, dated)) == _status(_answer(name, undated)) == "found"
    assert _status(_answer(name, dated)) == "not-found"
    held = inquiry("0000010014", as_of="2020-01-01")  # 住民状態 1: right
    assert _status(_answer(name, held)) == "found"


def test_the_receipt_variants_write_what_they_say(tmp_path):
    name = "receipt-message-id-from-relates-to"
    raw = _relates(notice(change(), message_id=NOTICE_A))
    own = f".//{{{PFR}}}MessageId"
    assert _tree(None, raw, role="subscriber", tmp_path=tmp_path).findtext(own) == NOTICE_A
    assert _tree(name, raw, role="subscriber", tmp_path=tmp_path).findtext(own) == NOTICE_B
    plain = notice(change(), message_id=NOTICE_A)  # no RelatesTo: right
    assert _tree(name, plain, role="subscriber", tmp_path=tmp_path).findtext(own) == NOTICE_A
    name = "receipt-receiver-pinned-to-first-publisher"
    receiver = f".//{{{PFH}}}Receiver/{{{PFH}}}SystemId"
    for defect, expected in ((None, STANDBY), (name, "tax")):
        adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / f"{defect}.sqlite3",
                          defect=defect)
        first = etree.fromstring(adapter.handle(notice(change()), TEXT_XML, '""').body)
        later = etree.fromstring(adapter.handle(_standby(notice(change(seq=2))), TEXT_XML,
                                                '""').body)
        assert first.findtext(receiver) == "tax"
        assert later.findtext(receiver) == expected, defect
        assert later.findtext(f".//{{{PFR}}}Status") == "applied"


def test_the_store_variants_hold_what_they_say(tmp_path):
    name = "soap11-notice-names-via-cp932"
    steps = subscriber_steps(name)
    assert "'name': '𠮷田花子'" in _observed(tmp_path, None, steps)[-1]
    assert "'name': '?田花子'" in _observed(tmp_path, name, steps)[-1]
    over_12 = [(notice(change(name="𠮷田花子"), soap=SOAP12), SOAP12_TYPE),
               ("observe", "0000010014")]  # SOAP 1.2: right
    assert _observed(tmp_path, None, over_12) == _observed(tmp_path, name, over_12)
    name = "change-count-per-tax-year"
    steps = subscriber_steps(name)
    assert "'changes_applied': 2" in _observed(tmp_path, None, steps)[-1]
    assert "'changes_applied': 1" in _observed(tmp_path, name, steps)[-1]
    same_year = [notice(change()), notice(change(seq=2)), notice(change(seq=3)),
                 ("crash",), ("observe", "0000010014")]  # one year: right, across a restart
    assert "'changes_applied': 3" in _observed(tmp_path, name, same_year)[-1]


def test_the_durable_variants_lose_what_they_say(tmp_path):
    for name in sorted(DURABLE):
        steps = subscriber_steps(name)
        right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
        assert "applied</pfr:Status>" in right[0] and "applied</pfr:Status>" in wrong[0], name
        assert "'changes_applied': 1" in right[-1] and wrong[-1] == "None", (name, wrong)
        kept = [s for s in steps if s[0] != "crash"]
        if name == "foreigner-changes-second-connection-uncommitted":  # seen by its own reads
            assert _observed(tmp_path, None, kept) == _observed(tmp_path, name, kept)
    name = "utf16-notices-applied-after-receipt"
    adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / "late.sqlite3",
                      defect=name)
    raw = notice(change()).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    answer = adapter.handle(raw.encode("utf-16"), "text/xml; charset=utf-16", '""')
    assert b"applied</pfr:Status>" in answer.body
    assert adapter.observe("0000010014") is None
    wait_until(lambda: adapter.observe("0000010014") is not None, ASYNC_DELAY + 10,
               "the transcoding worker to apply the notice")
    for name, raw in (("utf16-notices-applied-after-receipt", notice(change())),
                      ("foreigner-changes-second-connection-uncommitted", notice(change())),
                      ("individual-number-change-applied-after-receipt", notice(change()))):
        plain = [raw, ("crash",), ("observe", "0000010014")]  # UTF-8, 日本人, C01: right
        assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain), name


def test_the_helpers_the_variants_are_built_on():
    assert narrowed("juki.ＲesidentInquiry") == "juki.ResidentInquiry"
    assert narrowed("１３１０１６") == "131016" and narrowed("総務　翔子") == "総務　翔子"
    assert from_version_convention("V1") == from_version_convention("v1") == "1"
    assert from_version_convention("1.0") == "1.0" and from_version_convention(None) is None
    assert same_operation("kokuho.ResidentInquiry", "juki.ResidentInquiry")
    assert not same_operation("juki.ResidentInquiryV2", "juki.ResidentInquiry")
    assert not same_operation(None, "juki.ResidentInquiry")
    body = etree.fromstring(inquiry("0000010014")).find(f".//{{{JUKI}}}ResidentInquiryRequest")
    assert request_element_path(body) == "/soap:Envelope/soap:Body/j:ResidentInquiryRequest"
    occurred = etree.fromstring(_last_dated(notice(change()), "2026-01-05"))
    assert year_of(occurred.find(f".//{{{JUKI}}}Change")) == "2026"


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change(), message_id=NOTICE_A)
    for part in ("<pfh:ServiceId>juki.ResidentChangeNotice<", "<pfh:Version>1<",
                 "<pfh:SystemId>tax<", "</pfh:MessageId>", "<c:ResidentKind>1<",
                 "<c:OccurredOn>2025-04-01<", '<?xml version="1.0" encoding="UTF-8"?>'):
        assert part.encode() in one, part
    assert f"<pfh:LocalGovCode>{GOV}<".encode() in extract(1)
    assert b"<pfh:BusinessUnit>07<" in extract(1)
    assert transcript("provider", None, None, [extract(1)])[0].startswith("200 ")
