"""Each variant of the forty-fifth batch really takes effect (variants.py FORTYFIFTH_BATCH,
declared in independent/fortyfifth.py), in the way of the forty-fourth batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included) or of the message a variant is written for, and the
variant's transcript must differ from the correct adapter's. Each variant also leaves an exchange
it does not target as the correct adapter answers it. The clock is pinned (an ordinary Wednesday
afternoon in JST), so that the transcripts do not depend on when the tests run; no variant of the
batch reads the hour or the date, so none is shown at New Year. Four variants take effect where a
transcript cannot show them and have tests of their own (OWN_TEST): one on the adapter as a
process — a chunk-size written in capitals —, and three that only take time or move SentAt by
seconds (a transcript shows SentAt in minutes): a page past the end answered late (shown with its
delay shortened), answers in a burst stamped apart, and a message stamped ahead held until its
SentAt."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable

import pytest
from lxml import etree

from tests.support.polling import wait_until

from .independent import fortyfifth
from .independent.adapter import JST, Adapter
from .independent.fifteenth import BadChunk
from .independent.fortyfifth import (FORTYFIFTH_DEFECTS, FORTYFIFTH_MEASURED_MISSES, HOLD_CAP,
                                     INT32, LATE, MYNUMBER_UNITS, bumped, capital_x_references,
                                     path_with_positions, rule_elements, seconds_ahead,
                                     size_line_read, wrapped_offset)
from .independent.fortyfifth_store import (ASYNC_DELAY, beyond_bmp, correction_of_removed,
                                           household_member, kana_less_beyond_bmp, outside_cp932,
                                           registration_without_became_resident_on)
from .independent.standard import CMN, JUKI, PFF, PFH, m11_ok
from .independent.variants import APART, FORTYFIFTH_BATCH
from .variant_transcripts import as_soap12 as _soap12
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import fault_code as _code
from .variant_transcripts import receipt_status as _receipt
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import observed as _observed
from .variant_transcripts import replaced as _with
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, NOT_HELD, NOTICE_A, NOTICE_B, SOAP11,
                                  SOAP12, SOAP12_TYPE, TEXT_XML, answer_text,
                                  assert_declared_apart, batch_cases, change, clock_from, extract,
                                  inquiry, missed_runs, neutral_scenario_tests, notice, transcript,
                                  variant_effect_tests)

DURABLE = {"removed-resident-corrections-applied-after-receipt",
           "household-member-changes-applied-after-receipt",
           "seen-ids-restored-as-high-water-mark"}
# the variants a transcript cannot show: tests of their own (below)
OWN_TEST: frozenset[str] = frozenset({"chunk-size-lowercase-hex-only",
                                      "past-end-page-answered-late",
                                      "sent-at-bumped-to-stay-unique",
                                      "answers-held-until-request-sent-at"})
DRAFT = "http://www.w3.org/2001/12/soap-envelope"  # a SOAP 1.2 working draft's envelope
KATSURA = "葛\U000e0102西"  # 葛 U+845B + U+E0102 (MJ022335) 西
YOSHI = "\U00020bb7"  # 𠮷 U+20BB7 (MJ032129)
BECAME = "<c:BecameResidentOn>2025-04-01</c:BecameResidentOn>"
TRANSFER = "transfer-45"
FAR_PAGE = 1_000_000_000  # × PageSize 3: an offset past 2³¹
IN_OF_14 = "123456789018"  # the 個人番号 of 0000010014 in the test data


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, dt.datetime(2026, 12, 9, 15, 20, tzinfo=JST))


def _malformed(raw: bytes) -> bytes:
    """``raw`` without its Envelope's end tag: not well-formed."""
    return _with(raw, "</soap:Envelope>", "")


def _draft(raw: bytes) -> tuple[bytes, str]:
    """``raw`` sent as application/soap+xml with a root of a SOAP 1.2 draft's namespace."""
    return raw.replace(SOAP11.encode(), DRAFT.encode()), SOAP12_TYPE


def _sender_unit(raw: bytes, unit: str) -> bytes:
    """``raw`` whose Sender (業務ユニット 07, written first) is of another 業務ユニット."""
    return _with(raw, "<pfh:BusinessUnit>07<", f"<pfh:BusinessUnit>{unit}<")


def _became(raw: bytes) -> bytes:
    """``raw`` (a notice of one change) whose resident carries its 住民となった年月日."""
    return _with(raw, "</c:Address></j:Resident>", f"</c:Address>{BECAME}</j:Resident>")


def _former(raw: bytes, text: str) -> bytes:
    """``raw`` (a notice of one change) whose resident carries the 旧氏 ``text``."""
    return _with(raw, "</c:Name><c:DateOfBirth>",
                 f"</c:Name><c:FormerSurname><c:Text>{text}</c:Text></c:FormerSurname>"
                 "<c:DateOfBirth>")


def _kana_less(raw: bytes) -> bytes:
    """``raw`` (a notice) whose names carry no cmn:Kana."""
    out = re.sub(rb"<c:Kana>.*?</c:Kana>", b"", raw)
    assert out != raw
    return out


def _status(raw: bytes, status: str) -> bytes:
    return _with(raw, "<c:ResidentStatus>1<", f"<c:ResidentStatus>{status}<")


def _relationship(raw: bytes, code: str) -> bytes:
    return _with(raw, "<c:Relationship>01<", f"<c:Relationship>{code}<")


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "malformed-soap12-fault-in-soap11-envelope": [_soap12(_malformed(inquiry("0000010014")))],
        "finding-path-positions-on-every-step": [inquiry(BAD_CHECK_DIGIT)],
        "version-mismatch-soap12-status-from-code-table": [_draft(inquiry("0000010014"))],
        "retried-first-request-totals-of-head-row": [extract(1, request_id=TRANSFER),
                                                     extract(1, request_id=TRANSFER)],
        "page-offset-int32-overflow": [extract(1), ("page", FAR_PAGE, 3)],
        "individual-number-inquiries-unit-allow-list": [
            _sender_unit(inquiry(IN_OF_14, by="IndividualNumber"), "22")],
        "request-id-resolved-as-extract-id": [extract(1, request_id=TRANSFER),
                                              extract(2, extract_id=TRANSFER)],
        "nonbmp-references-capital-x": [inquiry("0000010073")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "malformed-soap12-fault-in-soap11-envelope": [_soap12(_malformed(one))],
        "finding-path-positions-on-every-step": stored(notice(change(reason="Z99"))),
        "version-mismatch-soap12-status-from-code-table": [_draft(one)],
        "duplicate-receipt-in-first-delivery-soap-version": [
            notice(change(), message_id=NOTICE_A),
            _soap12(notice(change(), message_id=NOTICE_A))],
        "registration-without-became-resident-on-refused": stored(
            notice(change(reason="A01"))),
        "former-surname-non-cp932-internal": stored(_former(one, KATSURA)),
        "kana-less-nonbmp-names-internal": stored(
            _kana_less(notice(change(name=f"{YOSHI}田翔子", given=None)))),
        "removed-resident-corrections-applied-after-receipt": stored(
            _status(one, "2"), ("crash",)),
        "household-member-changes-applied-after-receipt": stored(
            _relationship(one, "02"), ("crash",)),
        "seen-ids-restored-as-high-water-mark": stored(
            notice(change(), message_id=NOTICE_A), ("crash",),
            notice(change(seq=2, name="総務花子"), message_id=NOTICE_B)),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(FORTYFIFTH_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(FORTYFIFTH_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own
    assert len(FORTYFIFTH_BATCH) == len(set(FORTYFIFTH_BATCH))
    assert 18 <= len(FORTYFIFTH_BATCH) <= 20 and 24 <= len(roles) <= 26
    assert DURABLE <= FORTYFIFTH_BATCH and OWN_TEST <= FORTYFIFTH_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)
    assert all(APART[name][1] == ("subscriber",) for name in DURABLE)
    assert abs(roles.count("provider") - roles.count("subscriber")) <= 2  # balanced
    assert set(FORTYFIFTH_DEFECTS) == FORTYFIFTH_BATCH


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(FORTYFIFTH_MEASURED_MISSES, FORTYFIFTH_BATCH, APART)
    assert len(FORTYFIFTH_MEASURED_MISSES) == 5  # variants missed, 19/25 runs on 756cac1
    every_run = batch_cases(FORTYFIFTH_BATCH, APART)
    assert len(missed) == 6 and set(missed) <= set(every_run) and len(set(missed)) == len(missed)
    assert len(every_run) == 25 and len(CASES) == 18


(test_each_variant_takes_effect,
 _no_dated_variant) = variant_effect_tests(CASES, STEPS, set())


# --- what a variant does not target is left as the correct adapter answers it -----------------

NEUTRAL_IDS = ("10000000-0000-4000-8000-000000000001", "20000000-0000-4000-8000-000000000002",
               "f0000000-0000-4000-8000-000000000003")  # ascending: a restart's mark below


def neutral(role: str) -> list:
    """A SOAP 1.1 inquiry of a resident of a household of three by 宛名番号 and one of another of
    that household over SOAP 1.2; a first 全件 request for page 2 (two residents a page); an
    inquiry with a 基準日. A 転入 (A01, with its 住民となった年月日) of a resident not held, then two
    転居 (C01), one per notice (the second over SOAP 1.2), observed; a restart; a third, newer,
    observed — their MessageIds ascending."""
    first, second, third = NEUTRAL_IDS
    return {
        "provider": [inquiry("0000010014"), _soap12(inquiry("0000010022")),
                     extract(2, page_size=2), inquiry("0000010022", as_of="2025-06-01")],
        "subscriber": [
            _became(notice(change(number="0000010049", name="高橋健一", reason="A01"),
                           message_id=first)),
            _soap12(notice(change(seq=2, number="0000010049", name="高橋健二"),
                           message_id=second)),
            ("observe", "0000010049"), ("crash",),
            notice(change(seq=3, number="0000010049", name="高橋健三"), message_id=third),
            ("observe", "0000010049")],
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {"provider": set(), "subscriber": set()}
(test_each_variant_leaves_what_it_does_not_target,
 _no_variant_targets_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------



def _envelope_ns(answer) -> str:
    return etree.QName(etree.fromstring(answer.body)).namespace


def _fault_code(answer) -> str | None:
    """The SOAP fault code (1.1 faultcode, 1.2 Code/Value), its prefix dropped."""
    tree = etree.fromstring(answer.body)
    text = tree.findtext(".//faultcode") or tree.findtext(f".//{{{SOAP12}}}Code/{{{SOAP12}}}Value")
    return text.split(":")[-1] if text else None


def test_the_variants_of_both_roles_answer_what_they_say(tmp_path):
    for role, plain, bad in (("provider", inquiry("0000010014"), inquiry(BAD_CHECK_DIGIT)),
                             ("subscriber", notice(change()), notice(change(reason="Z99")))):
        def answer(defect, raw, ctype=TEXT_XML, role=role):
            return _answer(defect, raw, ctype, role=role, tmp_path=tmp_path)
        name = "malformed-soap12-fault-in-soap11-envelope"
        raw, ctype = _soap12(_malformed(plain))
        right, wrong = answer(None, raw, ctype), answer(name, raw, ctype)
        assert _envelope_ns(right) == SOAP12 and right.status == 400
        assert right.content_type.startswith("application/soap+xml")
        assert _envelope_ns(wrong) == SOAP11 and wrong.status == 500, role
        assert wrong.content_type.startswith("text/xml") and _fault_code(wrong) == "Client"
        assert _code(wrong) == _code(right)
        for raw, ctype in (_soap12(bad), (_malformed(plain), TEXT_XML)):  # right
            assert _envelope_ns(answer(name, raw, ctype)) == _envelope_ns(answer(None, raw, ctype))
            assert answer(name, raw, ctype).status == answer(None, raw, ctype).status
        name = "finding-path-positions-on-every-step"
        tree = etree.fromstring(answer(name, bad).body)
        finding = tree.find(f".//{{{PFF}}}Finding")
        path = finding.findtext(f"{{{PFF}}}Path")
        assert path.startswith("/soap:Envelope[1]/soap:Body[1]/"), path
        assert path.endswith("j:AddresseeNumber[1]" if role == "provider" else "c:Reason[1]")
        assert finding.findtext(f"{{{PFF}}}Line") == "1"  # the request is one line
        assert [c.tag.split("}")[1] for c in finding] == ["Rule", "Path", "Line", "Message"]
        assert etree.fromstring(answer(None, bad).body).find(f".//{{{PFF}}}Path") is None
        misrouted = _with(plain, "<pfh:SystemId>indie<", "<pfh:SystemId>other<") \
            if role == "provider" else _with(plain, "<pfh:SystemId>hub<", "<pfh:SystemId>other<")
        assert etree.fromstring(answer(name, misrouted).body).find(f".//{{{PFF}}}Path") is None
        name = "version-mismatch-soap12-status-from-code-table"
        raw, ctype = _draft(plain)
        right, wrong = answer(None, raw, ctype), answer(name, raw, ctype)
        assert right.status == 500 and wrong.status == 400, role
        assert _fault_code(right) == _fault_code(wrong) == "VersionMismatch"
        assert _code(right) == _code(wrong) == "PF-SOAP-ENVELOPE"
        raw = plain.replace(SOAP11.encode(), DRAFT.encode())  # as text/xml: SOAP 1.1, 500 right
        assert answer(name, raw).status == answer(None, raw).status == 500
        assert answer(name, *_soap12(bad)).status == answer(None, *_soap12(bad)).status == 400


def test_the_provider_variants_answer_what_they_say():
    total_pages, total_count = f".//{{{JUKI}}}TotalPages", f".//{{{JUKI}}}TotalCount"
    resident = f".//{{{JUKI}}}Resident"
    name = "retried-first-request-totals-of-head-row"
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        first = etree.fromstring(adapter.handle(extract(1, request_id=TRANSFER), TEXT_XML,
                                                None).body)
        again = etree.fromstring(adapter.handle(extract(1, request_id=TRANSFER), TEXT_XML,
                                                None).body)
        assert first.findtext(total_count) == "11" and first.findtext(total_pages) == "4"
        assert len(again.findall(resident)) == 3  # the same snapshot's page
        assert (again.findtext(total_count), again.findtext(total_pages)) == \
            (("11", "4") if defect is None else ("0", "0")), defect
        page = adapter.handle(extract(2, extract_id=first.findtext(f".//{{{JUKI}}}ExtractId")),
                              TEXT_XML, None)  # a later page: right
        assert etree.fromstring(page.body).findtext(total_count) == "11"
    name = "page-offset-int32-overflow"
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        extract_id = etree.fromstring(adapter.handle(extract(1), TEXT_XML, None).body).findtext(
            f".//{{{JUKI}}}ExtractId")
        for page, size, wraps in ((FAR_PAGE, 3, True), (FAR_PAGE, 2, False), (5, 3, False)):
            first = etree.fromstring(adapter.handle(extract(1, extract_id=extract_id,
                                                            page_size=size), TEXT_XML, None).body)
            got = etree.fromstring(adapter.handle(extract(page, extract_id=extract_id,
                                                          page_size=size), TEXT_XML, None).body)
            residents = [r.findtext(f"{{{CMN}}}AddresseeNumber") for r in got.iter(
                f"{{{JUKI}}}Resident")]
            if defect and wraps:
                assert residents == [r.findtext(f"{{{CMN}}}AddresseeNumber") for r in
                                     first.iter(f"{{{JUKI}}}Resident")], (page, size)
            else:
                assert residents == [], (defect, page, size)
    name = "individual-number-inquiries-unit-allow-list"
    status = f".//{{{JUKI}}}Status"
    for unit in ("05", "16", "22", "26"):
        raw = _sender_unit(inquiry(IN_OF_14, by="IndividualNumber"), unit)
        assert _tree(None, raw).findtext(status) == "found"
        assert answer_text(_answer(name, raw), f"{{{PFF}}}Code") == "VENDOR-MYNUMBER-ACCESS"
        assert answer_text(_answer(name, raw), f"{{{PFF}}}Party") == "client"
        by_number = _sender_unit(inquiry("0000010014"), unit)  # by 宛名番号: right
        assert _tree(name, by_number).findtext(status) == "found", unit
    for unit in ("07", "11", "13"):  # units it lists: right
        raw = _sender_unit(inquiry(IN_OF_14, by="IndividualNumber"), unit)
        assert _tree(name, raw).findtext(status) == "found", unit
    name = "request-id-resolved-as-extract-id"
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        adapter.handle(extract(1, request_id=TRANSFER), TEXT_XML, None)
        answer = adapter.handle(extract(2, extract_id=TRANSFER), TEXT_XML, None)
        assert (_code(answer) is None) is (defect == name), defect
        unknown = adapter.handle(extract(2, extract_id="never-given"), TEXT_XML, None)
        assert _code(unknown) == "PF-EXTRACT-UNKNOWN" and \
            answer_text(unknown, f"{{{PFF}}}Party") == "client"
    name = "nonbmp-references-capital-x"
    wrong = _answer(name, inquiry("0000010073")).body
    assert b"&#X20BB7;" in wrong and "𠮷".encode() not in wrong
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(wrong)
    for key in ("0000010057", "0000010316"):  # IVS selectors: a 旧氏, a name
        assert re.search(rb"&#XE01[0-9A-F]{2};", _answer(name, inquiry(key)).body), key
    bmp = inquiry("0000010014")  # BMP text only: right
    assert _answer(name, bmp).status == 200 and etree.fromstring(_answer(name, bmp).body) \
        is not None


def test_the_subscriber_variants_answer_what_they_say(tmp_path):
    def answer(defect, raw, ctype=TEXT_XML):
        return _answer(defect, raw, ctype, role="subscriber", tmp_path=tmp_path)
    one = notice(change())
    name = "duplicate-receipt-in-first-delivery-soap-version"
    for first, again in ((TEXT_XML, SOAP12_TYPE), (SOAP12_TYPE, TEXT_XML)):
        for defect in (None, name):
            adapter = Adapter("subscriber", GOV, "07", "indie",
                              db=tmp_path / f"{defect}-{first[:4]}.db", defect=defect)
            raws = {TEXT_XML: notice(change(), message_id=NOTICE_A),
                    SOAP12_TYPE: _soap12(notice(change(), message_id=NOTICE_A))[0]}
            applied = adapter.handle(raws[first], first, None)
            duplicate = adapter.handle(raws[again], again, None)
            assert _receipt(applied) == "applied" and _receipt(duplicate) == "duplicate"
            version = SOAP12 if first == SOAP12_TYPE else SOAP11
            assert _envelope_ns(applied) == version
            expected = version if defect else (SOAP11 if again == TEXT_XML else SOAP12)
            assert _envelope_ns(duplicate) == expected, (defect, first)
            assert duplicate.content_type.split(";")[0] == \
                ("text/xml" if expected == SOAP11 else "application/soap+xml")
            same = adapter.handle(raws[first], first, None)  # the same binding: right
            assert _envelope_ns(same) == version
    name = "registration-without-became-resident-on-refused"
    for reason, refused in (("A01", True), ("A03", True), ("C01", False), ("B01", False)):
        raw = notice(change(reason=reason))
        assert _receipt(answer(None, raw)) == "applied"
        assert (_code(answer(name, raw)) == "VENDOR-DATE") is refused, reason
    assert _receipt(answer(name, _became(notice(change(reason="A01"))))) == "applied"
    steps = subscriber_steps(name)
    assert _observed(tmp_path, name, steps)[-1] == "None"
    name = "former-surname-non-cp932-internal"
    for text in (KATSURA, f"{YOSHI}田", "福井〜", "都井−"):
        raw = _former(one, text)
        assert _receipt(answer(None, raw)) == "applied", text
        assert _code(answer(name, raw)) == "PF-PROVIDER-INTERNAL", text
        assert answer_text(answer(name, raw), f"{{{PFF}}}Party") == "provider"
    for text in ("葛西", "神田", "福井ｲ"):  # within CP932: right
        assert _receipt(answer(name, _former(one, text))) == "applied", text
    assert _receipt(answer(name, notice(change(name=f"{YOSHI}田翔子")))) == "applied"
    name = "kana-less-nonbmp-names-internal"
    for text in (f"{YOSHI}田翔子", f"{KATSURA}翔子"):
        raw = _kana_less(notice(change(name=text, given=None)))
        assert _receipt(answer(None, raw)) == "applied", text
        assert _code(answer(name, raw)) == "PF-PROVIDER-INTERNAL", text
        assert _receipt(answer(name, notice(change(name=text)))) == "applied"  # a reading: right
    bmp = _kana_less(notice(change(name="総務翔子", given=None)))  # the BMP: right
    assert _receipt(answer(name, bmp)) == "applied"


def test_the_durable_variants_lose_what_they_say(tmp_path):
    one = notice(change())
    for name, raw in (("removed-resident-corrections-applied-after-receipt", _status(one, "2")),
                      ("household-member-changes-applied-after-receipt",
                       _relationship(one, "06"))):
        crashed = [raw, ("crash",), ("observe", "0000010014")]
        right, wrong = _observed(tmp_path, None, crashed), _observed(tmp_path, name, crashed)
        assert "applied</pfr:Status>" in right[0] and "applied</pfr:Status>" in wrong[0]
        assert "'changes_applied': 1" in right[-1] and wrong[-1] == "None", name
        plain = [one, ("crash",), ("observe", "0000010014")]  # 住民, 世帯主: right
        assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain)
        adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / f"{name}.sqlite3",
                          defect=name)
        answer = adapter.handle(raw, TEXT_XML, None)
        assert b"applied</pfr:Status>" in answer.body and adapter.observe("0000010014") is None
        wait_until(lambda adapter=adapter: adapter.observe("0000010014") is not None,
                   ASYNC_DELAY + 10, "the worker to write the change")
    name = "removed-resident-corrections-applied-after-receipt"
    removal = [notice(change(reason="B01")), ("crash",), ("observe", "0000010014")]
    assert _observed(tmp_path, None, _status_all(removal, "2")) == \
        _observed(tmp_path, name, _status_all(removal, "2"))  # a 消除: right
    name = "seen-ids-restored-as-high-water-mark"
    steps = subscriber_steps(name)  # NOTICE_B sorts below NOTICE_A
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "applied</pfr:Status>" in right[1] and "duplicate</pfr:Status>" in wrong[1]
    assert right[-1] == "{'name': '総務花子', 'changes_applied': 2}"
    assert wrong[-1] == "{'name': '総務翔子', 'changes_applied': 1}"
    above = [notice(change(), message_id=NOTICE_B), ("crash",),
             notice(change(seq=2, name="総務花子"), message_id=NOTICE_A),
             ("observe", "0000010014")]  # a new MessageId above the mark: right
    assert _observed(tmp_path, None, above) == _observed(tmp_path, name, above)
    before = [notice(change(), message_id=NOTICE_A),
              notice(change(seq=2, name="総務花子"), message_id=NOTICE_B),
              ("observe", "0000010014")]  # no restart: right
    assert _observed(tmp_path, None, before) == _observed(tmp_path, name, before)
    again = [notice(change(), message_id=NOTICE_A), ("crash",),
             notice(change(), message_id=NOTICE_A)]  # a real duplicate after it: right
    assert _observed(tmp_path, None, again) == _observed(tmp_path, name, again)


def _status_all(steps: list, status: str) -> list:
    return [_status(s, status) if isinstance(s, bytes) else s for s in steps]


def test_the_helpers_the_variants_are_built_on():
    assert capital_x_references("a𠮷b葛\U000e0102".encode()) == b"a&#X20BB7;b\xe8\x91\x9b&#XE0102;"
    assert capital_x_references("総務翔子".encode()) == "総務翔子".encode()
    assert wrapped_offset(0) == 0 and wrapped_offset(INT32 - 1) == INT32 - 1
    assert wrapped_offset(INT32) == 0 and wrapped_offset(2 * INT32 + 6) == 6
    assert wrapped_offset((FAR_PAGE - 1) * 3) == 0 and wrapped_offset((FAR_PAGE - 1) * 2) == \
        (FAR_PAGE - 1) * 2
    second = dt.datetime(2026, 12, 9, 15, 20, 0, tzinfo=JST)
    assert bumped(second.replace(microsecond=400), None) == second
    assert bumped(second.replace(microsecond=900), second) == second + dt.timedelta(seconds=1)
    assert bumped(second + dt.timedelta(seconds=5), second) == second + dt.timedelta(seconds=5)
    assert seconds_ahead((second + dt.timedelta(seconds=90)).isoformat(), second) == 90.0
    assert seconds_ahead(second.isoformat(), second) == 0.0
    assert seconds_ahead("2026-12-09T24:00:00+09:00", second) == 0.0
    assert seconds_ahead(None, second) == 0.0 and HOLD_CAP == 300.0
    assert size_line_read(b"1f4\r\n", "chunk-size-lowercase-hex-only") == b"1f4\r\n"
    assert size_line_read(b"1F4\r\n", None) == b"1F4\r\n"
    assert size_line_read(b"1f4;X=A\r\n", "chunk-size-lowercase-hex-only") == b"1f4;X=A\r\n"
    with pytest.raises(BadChunk):
        size_line_read(b"1F4\r\n", "chunk-size-lowercase-hex-only")
    assert {"05", "16", "22", "26"}.isdisjoint(MYNUMBER_UNITS) and "07" in MYNUMBER_UNITS
    body = etree.fromstring(inquiry(BAD_CHECK_DIGIT)).find(f".//{{{JUKI}}}ResidentInquiryRequest")
    [el] = rule_elements(body, Adapter("provider", GOV, "01", "indie").codes)
    assert path_with_positions(el) == \
        "/soap:Envelope[1]/soap:Body[1]/j:ResidentInquiryRequest[1]/j:AddresseeNumber[1]"
    two = etree.fromstring(notice(change(reason="Z99"), change(seq=2, reason="Z98")))
    found = rule_elements(two.find(f".//{{{JUKI}}}ResidentChangeNotice"),
                          Adapter("provider", GOV, "01", "indie").codes)
    assert [path_with_positions(el).split("/")[4] for el in found] == ["j:Change[1]", "j:Change[2]"]
    change_el = etree.fromstring(_status(notice(change(reason="C12")), "3")).find(
        f".//{{{JUKI}}}Change")
    assert correction_of_removed(change_el) and not household_member(change_el)
    assert not correction_of_removed(etree.fromstring(_status(notice(change(reason="B03")), "3"))
                                     .find(f".//{{{JUKI}}}Change"))
    assert household_member(etree.fromstring(_relationship(notice(change()), "19")).find(
        f".//{{{JUKI}}}Change"))
    assert registration_without_became_resident_on(etree.fromstring(notice(change(
        reason="A02"))).find(f".//{{{JUKI}}}Change"))
    assert not registration_without_became_resident_on(etree.fromstring(_became(notice(change(
        reason="A02")))).find(f".//{{{JUKI}}}Change"))
    assert outside_cp932(KATSURA) and outside_cp932("〜") and not outside_cp932("～ｲ髙")
    assert beyond_bmp(YOSHI) and not beyond_bmp("髙")
    assert kana_less_beyond_bmp(etree.fromstring(_kana_less(notice(change(
        name=f"{YOSHI}田", given=None)))).find(f".//{{{JUKI}}}Change"))
    assert m11_ok(NOT_HELD)


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("</soap:Envelope>", "</c:Address></j:Resident>", "</c:Name><c:DateOfBirth>",
                 "<c:ResidentStatus>1<", "<c:Relationship>01<", "<pfh:BusinessUnit>07<",
                 "<pfh:SystemId>hub<"):
        assert part.encode() in one, part
    assert one.count(b"<pfh:BusinessUnit>07<") == 1
    for part in ("</soap:Envelope>", "<pfh:BusinessUnit>07<", "<pfh:SystemId>indie<"):
        assert part.encode() in inquiry("0000010014"), part
    assert inquiry("0000010014").count(b"<pfh:BusinessUnit>07<") == 1
    assert NOTICE_B < NOTICE_A and sorted(NEUTRAL_IDS) == list(NEUTRAL_IDS)


def test_the_transcripts_do_not_show_the_own_test_variants(tmp_path):
    """A transcript shows SentAt in minutes and no time: the reason the variants that move it by
    seconds or only take time have tests of their own."""
    for name, role, steps in (
            ("sent-at-bumped-to-stay-unique", "provider",
             [inquiry("0000010014"), inquiry("0000010022")]),
            ("sent-at-bumped-to-stay-unique", "subscriber",
             [notice(change()), notice(change(seq=2))])):
        assert transcript(role, tmp_path / f"{name}-{role}-a.db", None, steps) == \
            transcript(role, tmp_path / f"{name}-{role}-b.db", name, steps), name


# --- time: a page past the end, a burst, a SentAt ahead -------------------------------------------

def test_a_page_past_the_end_is_answered_late(monkeypatch):
    name = "past-end-page-answered-late"
    assert fortyfifth.LATE == LATE > 10.0  # the variant's own delay: past the hub's 10 s
    monkeypatch.setattr(fortyfifth, "LATE", 1.5)
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        began = time.monotonic()
        first = adapter.handle(extract(1), TEXT_XML, None)
        assert time.monotonic() - began < 1.5  # a page with residents: right
        extract_id = answer_text(first, f"{{{JUKI}}}ExtractId")
        for page, late in ((4, False), (5, True), (40, True)):
            began = time.monotonic()
            answer = adapter.handle(extract(page, extract_id=extract_id), TEXT_XML, None)
            took = time.monotonic() - began
            assert (took >= 1.5) is (late and defect == name), (defect, page, took)
            assert answer.status == 200 and answer_text(answer, f"{{{JUKI}}}TotalPages") == "4"
        empty = adapter.handle(extract(1, as_of="1900-01-01"), TEXT_XML, None)
        assert answer_text(empty, f"{{{JUKI}}}TotalPages") == "0"


def test_answers_in_a_burst_are_stamped_apart(tmp_path):
    name = "sent-at-bumped-to-stay-unique"
    for role in ("provider", "subscriber"):
        def stamps(defect, count, pause=0.0, role=role):
            adapter = Adapter(role, GOV, "01", "indie", defect=defect,
                              db=None if role == "provider" else
                              tmp_path / f"{role}-{defect}-{count}-{pause}.sqlite3")
            out = []
            for i in range(count):
                raw = inquiry("0000010014") if role == "provider" else \
                    notice(change(seq=i + 1))
                out.append(dt.datetime.fromisoformat(answer_text(
                    adapter.handle(raw, TEXT_XML, None), f"{{{PFH}}}SentAt")))
                time.sleep(pause)
            return out
        right, wrong = stamps(None, 6), stamps(name, 6)
        assert (right[-1] - right[0]).total_seconds() <= 1.0, role
        assert [(b - a).total_seconds() for a, b in zip(wrong, wrong[1:], strict=False)] == \
            [1.0] * 5, role
        assert (wrong[-1] - dt.datetime.now(JST)).total_seconds() >= 3.0, role  # ahead
        slow = stamps(name, 2, pause=1.1)  # one answer a second or slower: right
        assert abs((slow[-1] - dt.datetime.now(JST)).total_seconds()) < 2.5, role


def test_a_message_stamped_ahead_is_held_until_its_sent_at(tmp_path):
    name = "answers-held-until-request-sent-at"
    for role in ("provider", "subscriber"):
        for defect in (None, name):
            adapter = Adapter(role, GOV, "01", "indie", defect=defect,
                              db=None if role == "provider" else tmp_path / f"{role}-{defect}.db")
            for ahead, held in ((2.6, True), (0.0, False), (-600.0, False)):  # whole seconds
                sent_at = dt.datetime.now(JST) + dt.timedelta(seconds=ahead)
                raw = inquiry("0000010014", sent_at=sent_at) if role == "provider" else \
                    notice(change(seq=int(ahead) + 700), sent_at=sent_at)
                began = time.monotonic()
                answer = adapter.handle(raw, TEXT_XML, None)
                took = time.monotonic() - began
                assert answer.status == 200, (role, defect, ahead)
                assert (took >= 1.2) is (held and defect == name), (role, defect, ahead, took)


# --- the HTTP front end, on the adapter as a process --------------------------------------------

def _chunked(body: bytes, sizes: str) -> bytes:
    """``body`` as an HTTP/1.1 chunked request, each chunk-size written in ``sizes`` case."""
    half = len(body) // 2
    head = (f"POST /soap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {TEXT_XML}\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    chunks = b"".join((f"{len(part):X}" if sizes == "upper" else f"{len(part):x}").encode() +
                      b"\r\n" + part + b"\r\n" for part in (body[:half], body[half:]))
    return head + chunks + b"0\r\n\r\n"


def _http_status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_a_chunk_size_in_capitals_is_refused(indie_process):
    name = "chunk-size-lowercase-hex-only"
    for role in ("provider", "subscriber"):
        for defect in (None, name):
            p = indie_process(role, defect)
            raw = inquiry("0000010014") if role == "provider" else notice(change())
            assert re.search(rb"[A-F]", f"{len(raw) // 2:X}".encode()), len(raw)
            answer = p.post_raw(_chunked(raw, "upper"))
            assert (_http_status(answer) == 200) is (defect is None), (role, defect)
            if defect:
                assert _http_status(answer) == 400 and b"text/plain" in answer, role
            again = raw if role == "provider" else notice(change(seq=2))
            assert _http_status(p.post_raw(_chunked(again, "lower"))) == 200, (role, defect)
