"""Each variant of the forty-sixth batch really takes effect (variants.py FORTYSIXTH_BATCH,
declared in independent/fortysixth.py), in the way of the forty-fifth batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included) or of the message a variant is written for, and the
variant's transcript must differ from the correct adapter's. Each variant also leaves an exchange
it does not target as the correct adapter answers it. The clock is pinned (an ordinary Wednesday
afternoon in JST), so that the transcripts do not depend on when the tests run; no variant of the
batch reads the hour or the date, so none is shown at New Year. Six variants take effect where a
transcript cannot show them and have tests of their own (OWN_TEST): two on the adapter as a
process — an answer labelled from the Accept field, a header section that is not ASCII — and four
that only take time (a transcript shows no time), each shown with its delay shortened: a
not-found inquiry, a large PageSize, two changes of one resident in a notice, a vendor header
block."""

from __future__ import annotations

import datetime as dt
import gzip
import time
from collections.abc import Callable

import pytest
from lxml import etree

from tests.support.polling import wait_until

from .independent import fortysixth, fortysixth_store
from .independent.adapter import JST, Adapter
from .independent.fortysixth import (FORTYSIXTH_DEFECTS, FORTYSIXTH_MEASURED_MISSES, LATE,
                                     ONLINE_PAGE_SIZE, accept_labelled, fiscal_year_day,
                                     foreign_blocks, negotiated, node_path, non_ascii_field)
from .independent.fortysixth_store import (ASYNC_DELAY, ROW_LOCK_TIMEOUT, SHADOWED,
                                           addressee_numbers, foreigner, from_abroad,
                                           initial_beyond_bmp, number_less, resident_twice,
                                           shadowed_sequences, with_address_code)
from .independent.standard import CMN, JUKI, PFF, SCHEMAS, Answer
from .independent.variants import APART, FORTYSIXTH_BATCH
from .variant_transcripts import NEUTRAL_IDS, neutral_paged_scenario
from .variant_transcripts import as_soap12 as _soap12
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import fault_code as _code
from .variant_transcripts import receipt_status as _receipt
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import observed as _observed
from .variant_transcripts import replaced as _with
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, NOT_HELD, SOAP11, SOAP12, TEXT_XML,
                                  answer_text, assert_declared_apart, batch_cases, change,
                                  clock_from, extract, inquiry, missed_runs,
                                  neutral_scenario_tests, notice, transcript, variant_effect_tests)

DURABLE = {"address-code-changes-applied-after-receipt",
           "arrival-from-abroad-applied-after-receipt",
           "number-less-changes-applied-after-receipt"}
# the variants a transcript cannot show: tests of their own (below)
OWN_TEST: frozenset[str] = frozenset({"answer-media-type-from-accept",
                                      "header-section-decoded-as-ascii",
                                      "not-found-inquiry-answered-late",
                                      "large-page-size-answered-late",
                                      "same-resident-changes-wait-for-own-row-lock",
                                      "foreign-header-block-schema-fetch-late"})
YOSHI = "\U00020bb7"  # 𠮷 U+20BB7 (MJ032129)
HIROSHI = "\u535a\U000e010a"  # 博 U+535A + U+E010A: MJ059399, registered twice
TRANSFER = "transfer-46"
IN_OF_30 = "345678901234"  # the 個人番号 of 0000010030 (総務陽翔, born 2021-06-15)
DTD = '<!DOCTYPE soap:Envelope [<!ELEMENT soap:Envelope ANY>]>'
VENDOR_BLOCK = '<v:Trace xmlns:v="urn:example:vendor:trace">indie-46</v:Trace>'


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, dt.datetime(2026, 12, 9, 15, 20, tzinfo=JST))


def _dtd(raw: bytes) -> bytes:
    """``raw`` with an internal DTD subset after its XML declaration."""
    return _with(raw, "?><soap:Envelope", f"?>{DTD}<soap:Envelope")


def _unprefixed_inquiry(raw: bytes) -> bytes:
    """``raw`` (an inquiry) whose unit namespace is the default namespace."""
    out = _with(raw, '<j:ResidentInquiryRequest xmlns:j="urn:pfbus:unit:juki:v1">',
                '<ResidentInquiryRequest xmlns="urn:pfbus:unit:juki:v1">')
    return out.replace(b"<j:", b"<").replace(b"</j:", b"</")


def _unprefixed_common(raw: bytes) -> bytes:
    """``raw`` (a notice) whose common namespace is the default namespace."""
    out = _with(raw, 'xmlns:c="urn:pfbus:platform:common:v1"',
                'xmlns="urn:pfbus:platform:common:v1"')
    return out.replace(b"<c:", b"<").replace(b"</c:", b"</")


def _kind(raw: bytes, kind: str) -> bytes:
    return _with(raw, "<c:ResidentKind>1<", f"<c:ResidentKind>{kind}<")


def _address_code(raw: bytes) -> bytes:
    """``raw`` (a notice of one change) whose address carries a 住所コード."""
    return _with(raw, "<c:Address><c:Prefecture>",
                 "<c:Address><c:AddressCode>13101001002</c:AddressCode><c:Prefecture>")


def _number_less(raw: bytes) -> bytes:
    """``raw`` (a notice of one change) whose resident carries no 個人番号."""
    return _with(raw, "<c:IndividualNumber>890123456780</c:IndividualNumber>", "")


def _vendor_block(raw: bytes, attributes: str = "") -> bytes:
    """``raw`` with a vendor header block before the platform header."""
    block = VENDOR_BLOCK.replace("<v:Trace ", f"<v:Trace {attributes} ") if attributes \
        else VENDOR_BLOCK
    return _with(raw, "<soap:Header>", f"<soap:Header>{block}")


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "dtd-fault-soap12-status-500": [_soap12(_dtd(inquiry("0000010014")))],
        "finding-path-default-namespace-wildcards": [_unprefixed_inquiry(inquiry(BAD_CHECK_DIGIT))],
        "later-pages-of-dated-extract-undated": [extract(1, as_of="2020-01-01", page_size=2),
                                                 ("page", 2, 2)],
        "retried-first-request-answers-request-id-as-extract-id": [
            extract(1, request_id=TRANSFER), extract(1, request_id=TRANSFER)],
        "other-media-types-read-as-soap11": [(inquiry("0000010014"),
                                              "application/xml; charset=utf-8")],
        "as-of-january-to-march-read-in-fiscal-year": [inquiry("9999999996",
                                                               as_of="2025-03-01")],
        "as-of-before-birth-internal": [inquiry("0000010030", as_of="2021-06-14")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "dtd-fault-soap12-status-500": [_soap12(_dtd(one))],
        "finding-path-default-namespace-wildcards": stored(
            _unprefixed_common(notice(change(reason="Z99")))),
        "other-media-types-read-as-soap11": stored((one, "text/plain; charset=utf-8")),
        "name-initial-index-lone-surrogate-internal": stored(
            notice(change(name=f"{YOSHI}田一郎"))),
        "foreigner-names-nfkc": stored(_kind(notice(change(name="ＲＯＳＳＩ　ＶＩＯＬＡ")), "2")),
        "mj-duplicate-ivs-sequences-refused": stored(notice(change(name=f"{HIROSHI}田花子"))),
        "address-code-changes-applied-after-receipt": stored(_address_code(one), ("crash",)),
        "arrival-from-abroad-applied-after-receipt": stored(notice(change(reason="A02")),
                                                            ("crash",)),
        "number-less-changes-applied-after-receipt": stored(_number_less(one), ("crash",)),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(FORTYSIXTH_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(FORTYSIXTH_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own
    assert len(FORTYSIXTH_BATCH) == len(set(FORTYSIXTH_BATCH))
    assert 18 <= len(FORTYSIXTH_BATCH) <= 20 and 24 <= len(roles) <= 26
    assert DURABLE <= FORTYSIXTH_BATCH and OWN_TEST <= FORTYSIXTH_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)
    assert all(APART[name][1] == ("subscriber",) for name in DURABLE)
    assert abs(roles.count("provider") - roles.count("subscriber")) <= 2  # balanced
    assert set(FORTYSIXTH_DEFECTS) == FORTYSIXTH_BATCH


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(FORTYSIXTH_MEASURED_MISSES, FORTYSIXTH_BATCH, APART)
    assert len(FORTYSIXTH_MEASURED_MISSES) == 4  # variants missed, 18/25 runs on 4cb25e3
    every_run = batch_cases(FORTYSIXTH_BATCH, APART)
    assert len(missed) == 7 and set(missed) <= set(every_run) and len(set(missed)) == len(missed)
    assert len(every_run) == 25 and len(CASES) == 16


(test_each_variant_takes_effect,
 _no_dated_variant) = variant_effect_tests(CASES, STEPS, set())


# --- what a variant does not target is left as the correct adapter answers it -----------------

TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {"provider": set(), "subscriber": set()}
(test_each_variant_leaves_what_it_does_not_target,
 _no_variant_targets_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral_paged_scenario)


# --- what some variants answer, beyond "it differs" -----------------------------------------------



def _fault_code(answer) -> str | None:
    """The SOAP fault code (1.1 faultcode, 1.2 Code/Value), its prefix dropped."""
    tree = etree.fromstring(answer.body)
    text = tree.findtext(".//faultcode") or tree.findtext(f".//{{{SOAP12}}}Code/{{{SOAP12}}}Value")
    return text.split(":")[-1] if text else None


def test_the_variants_of_both_roles_answer_what_they_say(tmp_path):
    for role, plain, bad, unprefixed in (
            ("provider", inquiry("0000010014"), inquiry(BAD_CHECK_DIGIT),
             _unprefixed_inquiry(inquiry(BAD_CHECK_DIGIT))),
            ("subscriber", notice(change()), notice(change(reason="Z99")),
             _unprefixed_common(notice(change(reason="Z99"))))):
        def answer(defect, raw, ctype=TEXT_XML, role=role):
            return _answer(defect, raw, ctype, role=role, tmp_path=tmp_path)
        name = "dtd-fault-soap12-status-500"
        raw, ctype = _soap12(_dtd(plain))
        right, wrong = answer(None, raw, ctype), answer(name, raw, ctype)
        assert right.status == 400 and wrong.status == 500, role
        assert _code(right) == _code(wrong) == "PF-XML-DTD"
        assert _fault_code(right) == _fault_code(wrong) == "Sender"
        assert answer_text(wrong, f"{{{PFF}}}Party") == "client"
        assert answer(name, _dtd(plain)).status == answer(None, _dtd(plain)).status == 500
        assert answer(name, *_soap12(bad)).status == answer(None, *_soap12(bad)).status == 400
        name = "finding-path-default-namespace-wildcards"
        finding = etree.fromstring(answer(name, unprefixed).body).find(f".//{{{PFF}}}Finding")
        path = finding.findtext(f"{{{PFF}}}Path")
        assert path == ("/soap:Envelope/soap:Body/*/*" if role == "provider"
                        else "/soap:Envelope/soap:Body/j:ResidentChangeNotice/j:Change/j:Event/*[1]")
        assert finding.findtext(f"{{{PFF}}}Line") == "1"
        assert [c.tag.split("}")[1] for c in finding] == ["Rule", "Path", "Line", "Message"]
        prefixed = etree.fromstring(answer(name, bad).body).findtext(f".//{{{PFF}}}Path")
        assert prefixed == ("/soap:Envelope/soap:Body/j:ResidentInquiryRequest/j:AddresseeNumber"
                            if role == "provider" else
                            "/soap:Envelope/soap:Body/j:ResidentChangeNotice/j:Change/j:Event/"
                            "c:Reason"), prefixed  # every element prefixed: right
        assert etree.fromstring(answer(None, unprefixed).body).find(f".//{{{PFF}}}Path") is None
        name = "other-media-types-read-as-soap11"
        for media in ("application/xml", "text/plain; charset=utf-8", "application/json", ""):
            assert answer(None, plain, media).status == 415 or \
                _code(answer(None, plain, media)) == "PF-CONTENT-TYPE", media
            taken = answer(name, plain, media)
            assert taken.status == 200 and taken.content_type.startswith("text/xml"), media
            assert _code(taken) is None
        assert answer(name, *_soap12(plain)).content_type.startswith("application/soap+xml")


def test_the_provider_variants_answer_what_they_say():
    status, extract_id = f".//{{{JUKI}}}Status", f".//{{{JUKI}}}ExtractId"
    name = "later-pages-of-dated-extract-undated"
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)

        def page(raw, adapter=adapter):
            tree = etree.fromstring(adapter.handle(raw, TEXT_XML, None).body)
            return tree, [r.findtext(f"{{{CMN}}}AddresseeNumber")
                          for r in tree.iter(f"{{{JUKI}}}Resident")]
        first, listed = page(extract(1, as_of="2020-01-01", page_size=2))
        assert first.findtext(f".//{{{JUKI}}}TotalCount") == "5" and \
            listed == ["0000010014", "0000010022"]
        named = first.findtext(extract_id)
        second, listed = page(extract(2, extract_id=named, page_size=2))
        assert second.findtext(f".//{{{JUKI}}}TotalCount") == "5"
        assert listed == (["0000010022", "0000010030"] if defect else
                          ["0000010049", "0000010057"]), defect
        undated = page(extract(1, page_size=2))[0].findtext(extract_id)  # no 基準日: right
        assert page(extract(2, extract_id=undated, page_size=2))[1] == ["0000010022",
                                                                        "0000010030"]
    name = "retried-first-request-answers-request-id-as-extract-id"
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        first = etree.fromstring(adapter.handle(extract(1, request_id=TRANSFER), TEXT_XML,
                                                None).body)
        again = etree.fromstring(adapter.handle(extract(1, request_id=TRANSFER), TEXT_XML,
                                                None).body)
        assert first.findtext(extract_id) != TRANSFER
        assert again.findtext(extract_id) == (TRANSFER if defect else first.findtext(extract_id))
        later = adapter.handle(extract(2, extract_id=again.findtext(extract_id)), TEXT_XML, None)
        assert (_code(later) == "PF-EXTRACT-UNKNOWN") is (defect == name)
        assert [r.findtext(f"{{{CMN}}}AddresseeNumber") for r in again.iter(
            f"{{{JUKI}}}Resident")] == [r.findtext(f"{{{CMN}}}AddresseeNumber")
                                        for r in first.iter(f"{{{JUKI}}}Resident")]
    name = "as-of-january-to-march-read-in-fiscal-year"
    for key, as_of, found in (("9999999996", "2025-03-01", "found"),
                              ("9999999996", "2026-02-10", "found"),
                              ("0000010049", "1998-03-10", "found"),
                              ("9999999996", "2025-04-01", "found"),
                              ("9999999996", "2025-02-28", "not-found")):
        assert _tree(None, inquiry(key, as_of=as_of)).findtext(status) == found, as_of
        wrong = _tree(name, inquiry(key, as_of=as_of)).findtext(status)
        assert wrong == (found if as_of[5:7] >= "04" else "not-found"), as_of
    dated = _tree(name, extract(1, as_of="2025-03-01", page_size=20))  # a dated 全件 too
    assert dated.findtext(f".//{{{JUKI}}}TotalCount") == "8" and \
        _tree(None, extract(1, as_of="2025-03-01", page_size=20)).findtext(
            f".//{{{JUKI}}}TotalCount") == "11"
    name = "as-of-before-birth-internal"
    for raw in (inquiry("0000010030", as_of="2021-06-14"),
                inquiry(IN_OF_30, by="IndividualNumber", as_of="2020-01-01")):
        assert _tree(None, raw).findtext(status) == "not-found"
        assert _code(_answer(name, raw)) == "PF-PROVIDER-INTERNAL"
        assert answer_text(_answer(name, raw), f"{{{PFF}}}Party") == "provider"
    for raw in (inquiry("0000010030", as_of="2021-06-15"), inquiry(NOT_HELD, as_of="1900-01-01"),
                inquiry("0000010014", as_of="2015-03-31")):  # on or after the birth: right
        assert _tree(name, raw).findtext(status) == _tree(None, raw).findtext(status)


def test_the_subscriber_variants_answer_what_they_say(tmp_path):
    def answer(defect, raw, ctype=TEXT_XML):
        return _answer(defect, raw, ctype, role="subscriber", tmp_path=tmp_path)
    name = "name-initial-index-lone-surrogate-internal"
    for text in (f"{YOSHI}田一郎", "\U00029e3d田", f"{YOSHI}"):
        raw = notice(change(name=text))
        assert _receipt(answer(None, raw)) == "applied", text
        assert _code(answer(name, raw)) == "PF-PROVIDER-INTERNAL", text
        assert answer_text(answer(name, raw), f"{{{PFF}}}Party") == "provider"
    for text in (f"総務{YOSHI}子", "葛\U000e0102西花子", "総務翔子"):  # the first in the BMP
        assert _receipt(answer(name, notice(change(name=text)))) == "applied", text
    name = "foreigner-names-nfkc"
    for text, folded in (("ＲＯＳＳＩ　ＶＩＯＬＡ", "ROSSI VIOLA"), ("神谷ﾏﾘｱ", "神谷マリア"),
                         ("\ufa19田", "\u795e田")):
        steps = [_kind(notice(change(name=text)), "2"), ("observe", "0000010014")]
        assert _observed(tmp_path, None, steps)[-1] == \
            f"{{'name': {text!r}, 'changes_applied': 1}}"
        assert _observed(tmp_path, name, steps)[-1] == \
            f"{{'name': {folded!r}, 'changes_applied': 1}}", text
        japanese = [notice(change(name=text)), ("observe", "0000010014")]  # 日本人: right
        assert _observed(tmp_path, name, japanese) == _observed(tmp_path, None, japanese)
    latin = [_kind(notice(change(name="ROSSI VIOLA")), "2"), ("observe", "0000010014")]
    assert _observed(tmp_path, name, latin) == _observed(tmp_path, None, latin)
    name = "mj-duplicate-ivs-sequences-refused"
    for text in (f"{HIROSHI}田花子", "\u535a\U000e010b", f"総務{HIROSHI}"):
        raw = notice(change(name=text))
        assert _receipt(answer(None, raw)) == "applied", text
        wrong = etree.fromstring(answer(name, raw).body)
        assert wrong.findtext(f".//{{{PFF}}}Code") == "PF-RULE-VIOLATION"
        assert wrong.findtext(f".//{{{PFF}}}Rule") == "mj_characters"
        assert wrong.findtext(f".//{{{PFF}}}Party") == "client"
    former = _with(notice(change()), "</c:Name><c:DateOfBirth>",
                   f"</c:Name><c:FormerSurname><c:Text>{HIROSHI}田</c:Text></c:FormerSurname>"
                   "<c:DateOfBirth>")
    assert _code(answer(name, former)) == "PF-RULE-VIOLATION"  # a 旧氏 too
    for text in ("\U0002b9e4\U000e0100田", "\u535a\U000e0100田", "葛\U000e0102西", "博田"):
        assert _receipt(answer(name, notice(change(name=text)))) == "applied", text


def test_the_durable_variants_lose_what_they_say(tmp_path):
    one = notice(change())
    for name, raw in (("address-code-changes-applied-after-receipt", _address_code(one)),
                      ("arrival-from-abroad-applied-after-receipt",
                       notice(change(reason="A02"))),
                      ("number-less-changes-applied-after-receipt", _number_less(one))):
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
    name = "arrival-from-abroad-applied-after-receipt"
    other = [notice(change(reason="A01")), ("crash",), ("observe", "0000010014")]
    assert _observed(tmp_path, None, other) == _observed(tmp_path, name, other)  # A01: right


def test_the_helpers_the_variants_are_built_on():
    assert fiscal_year_day("2025-03-01") == "2024-03-01"
    assert fiscal_year_day("2025-01-31") == "2024-01-31"
    assert fiscal_year_day("2025-04-01") == "2025-04-01"
    assert fiscal_year_day("2025-12-31") == "2025-12-31" and fiscal_year_day("x") == "x"
    assert negotiated(None) is None and negotiated("*/*") is None
    assert negotiated("application/soap+xml, text/xml") == "application/soap+xml"
    assert negotiated("text/html;q=0.9, Application/XML") == "application/xml"
    assert negotiated("application/soap+xml;q=0, text/xml") == "text/xml"
    labelled = Answer(200, b"", "text/xml; charset=utf-8")
    accept_labelled("application/soap+xml", labelled, "answer-media-type-from-accept")
    assert labelled.content_type == "application/soap+xml; charset=utf-8"
    accept_labelled("application/xml", labelled, None)
    assert labelled.content_type == "application/soap+xml; charset=utf-8"
    assert non_ascii_field({"X-Operator": "総務".encode().decode("iso-8859-1")})
    assert not non_ascii_field({"Content-Type": TEXT_XML, "Accept": "*/*"})
    root = etree.fromstring(_vendor_block(inquiry("0000010014")))
    assert [b.tag for b in foreign_blocks(root, SOAP11)] == ["{urn:example:vendor:trace}Trace"]
    assert foreign_blocks(etree.fromstring(inquiry("0000010014")), SOAP11) == []
    key = etree.fromstring(inquiry(BAD_CHECK_DIGIT)).find(f".//{{{JUKI}}}AddresseeNumber")
    assert node_path(key) == "/soap:Envelope/soap:Body/j:ResidentInquiryRequest/j:AddresseeNumber"
    assert LATE > 10.0 and ROW_LOCK_TIMEOUT > 10.0 and ONLINE_PAGE_SIZE == 100
    with gzip.open(SCHEMAS / "characters" / "mj.tsv.gz", "rt", encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
    for sequence, mj in SHADOWED.items():  # registered twice: the row read first is shadowed
        mine = [r[1] for r in rows if f"MJ{int(r[0]):06d}" == mj]
        assert len(mine) == 2 and mine[0] == sequence, mj
    two = etree.fromstring(notice(change(), change(seq=2, name="総務花子")))
    changes = two.findall(f".//{{{JUKI}}}Change")
    assert resident_twice(changes) and addressee_numbers(changes) == ["0000010014"] * 2
    assert not resident_twice(etree.fromstring(notice(change(), change(
        number="0000010022"))).findall(f".//{{{JUKI}}}Change"))
    first = etree.fromstring(notice(change(name=f"{YOSHI}田"))).find(f".//{{{JUKI}}}Change")
    assert initial_beyond_bmp(first) and not foreigner(first) and not from_abroad(first)
    assert not number_less(first) and not with_address_code(first)
    assert shadowed_sequences(etree.fromstring(notice(change(name=f"{HIROSHI}")))) == [HIROSHI]
    assert with_address_code(etree.fromstring(_address_code(notice(change()))).find(
        f".//{{{JUKI}}}Change"))
    assert number_less(etree.fromstring(_number_less(notice(change()))).find(
        f".//{{{JUKI}}}Change"))
    assert foreigner(etree.fromstring(_kind(notice(change()), "2")).find(f".//{{{JUKI}}}Change"))


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("?><soap:Envelope", "<c:ResidentKind>1<", "<c:Address><c:Prefecture>",
                 "<c:IndividualNumber>890123456780</c:IndividualNumber>", "<soap:Header>",
                 'xmlns:c="urn:pfbus:platform:common:v1"'):
        assert part.encode() in one, part
    for part in ("?><soap:Envelope", "<soap:Header>",
                 '<j:ResidentInquiryRequest xmlns:j="urn:pfbus:unit:juki:v1">'):
        assert part.encode() in inquiry("0000010014"), part
    assert sorted(NEUTRAL_IDS) == list(NEUTRAL_IDS)


def test_the_transcripts_do_not_show_the_timed_variants(tmp_path, monkeypatch):
    """A transcript shows no time: the reason the variants that only take time have tests of
    their own (their delays shortened here)."""
    monkeypatch.setattr(fortysixth, "LATE", 0.2)
    monkeypatch.setattr(fortysixth_store, "ROW_LOCK_TIMEOUT", 0.2)
    for name, role, steps in (
            ("not-found-inquiry-answered-late", "provider", [inquiry(NOT_HELD)]),
            ("large-page-size-answered-late", "provider", [extract(1, page_size=500)]),
            ("foreign-header-block-schema-fetch-late", "provider",
             [_vendor_block(inquiry("0000010014"))]),
            ("foreign-header-block-schema-fetch-late", "subscriber",
             [_vendor_block(notice(change()))]),
            ("same-resident-changes-wait-for-own-row-lock", "subscriber",
             [notice(change(), change(seq=2, name="総務花子")), ("observe", "0000010014")])):
        assert transcript(role, tmp_path / f"{name}-{role}-a.db", None, steps) == \
            transcript(role, tmp_path / f"{name}-{role}-b.db", name, steps), name


# --- time: the slow paths -------------------------------------------------------------------------

def _took(adapter, raw: bytes, ctype: str = TEXT_XML) -> tuple[float, Answer]:
    began = time.monotonic()
    answer = adapter.handle(raw, ctype, None)
    return time.monotonic() - began, answer


def test_a_not_found_inquiry_is_answered_late(monkeypatch):
    name = "not-found-inquiry-answered-late"
    monkeypatch.setattr(fortysixth, "LATE", 1.5)
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        for raw, late in ((inquiry(NOT_HELD), True),
                          (inquiry("0000010014", as_of="2015-03-31"), True),
                          (inquiry("999999999996", by="IndividualNumber"), False),
                          (inquiry("0000010014"), False)):
            took, answer = _took(adapter, raw)
            assert answer.status == 200
            assert (took >= 1.5) is (late and defect == name), (defect, took)


def test_a_large_page_size_is_answered_late(monkeypatch):
    name = "large-page-size-answered-late"
    monkeypatch.setattr(fortysixth, "LATE", 1.5)
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        for size, late in ((ONLINE_PAGE_SIZE + 1, True), (1000, True), (ONLINE_PAGE_SIZE, False),
                           (3, False)):
            took, answer = _took(adapter, extract(1, page_size=size))
            assert answer.status == 200 and answer_text(answer, f"{{{JUKI}}}TotalCount") == "11"
            assert (took >= 1.5) is (late and defect == name), (defect, size, took)
        named = answer_text(adapter.handle(extract(1, page_size=1000), TEXT_XML, None),
                            f"{{{JUKI}}}ExtractId")
        took, answer = _took(adapter, extract(2, extract_id=named, page_size=1000))  # past the end
        assert answer.status == 200 and (took >= 1.5) is (defect == name)


def test_two_changes_of_one_resident_wait_for_their_own_lock(tmp_path, monkeypatch):
    name = "same-resident-changes-wait-for-own-row-lock"
    monkeypatch.setattr(fortysixth_store, "ROW_LOCK_TIMEOUT", 1.5)
    for defect in (None, name):
        adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / f"{defect}.db",
                          defect=defect)
        first = notice(change(), change(seq=2, name="総務花子"))
        for raw, late in ((first, True),
                          (notice(change(seq=3, number="0000010022"),
                                  change(seq=4, name="総務葉子")), False),
                          (notice(change(seq=5, name="総務桜子")), False)):
            took, answer = _took(adapter, raw)
            assert _receipt(answer) == "applied"
            assert (took >= 1.5) is (late and defect == name), (defect, took)
        assert adapter.observe("0000010014") == {"name": "総務桜子", "changes_applied": 4}
        took, answer = _took(adapter, first)  # delivered again: a duplicate, nothing applied
        assert _receipt(answer) == "duplicate" and took < 1.5, (defect, took)


def test_a_vendor_header_block_is_answered_late(tmp_path, monkeypatch):
    name = "foreign-header-block-schema-fetch-late"
    monkeypatch.setattr(fortysixth, "LATE", 1.5)
    for role in ("provider", "subscriber"):
        for defect in (None, name):
            adapter = Adapter(role, GOV, "01", "indie", defect=defect,
                              db=None if role == "provider" else tmp_path / f"{role}-{defect}.db")
            plain = inquiry("0000010014") if role == "provider" else notice(change())
            again = inquiry("0000010022") if role == "provider" else notice(change(seq=2))
            for raw, late in ((_vendor_block(plain), True),
                              (_vendor_block(again, 'soap:mustUnderstand="1"'), False),
                              (plain, False)):
                took, answer = _took(adapter, raw)
                assert (took >= 1.5) is (late and defect == name), (role, defect, took)
                if 'mustUnderstand="1"' in raw.decode():
                    assert _code(answer) == "PF-MUST-UNDERSTAND"
                else:
                    assert answer.status == 200, (role, defect)


# --- the HTTP front end, on the adapter as a process --------------------------------------------

def _post(body: bytes, *fields: str) -> bytes:
    head = (f"POST /soap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {TEXT_XML}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n").encode()
    return head + b"".join(f.encode() + b"\r\n" for f in fields) + b"\r\n" + body


def _status_and_type(answer: bytes) -> tuple[int, str]:
    head = answer.split(b"\r\n\r\n", 1)[0].decode("iso-8859-1")
    ctype = next((line.split(":", 1)[1].strip() for line in head.split("\r\n")
                  if line.lower().startswith("content-type:")), "")
    return int(head.split(" ", 2)[1]), ctype


def test_the_answer_is_labelled_from_the_accept_field(indie_process):
    name = "answer-media-type-from-accept"
    for role in ("provider", "subscriber"):
        for defect in (None, name):
            p = indie_process(role, defect)
            raws = iter([inquiry("0000010014"), inquiry("0000010022"), inquiry(NOT_HELD)]
                        if role == "provider" else
                        [notice(change(seq=i + 1)) for i in range(3)])
            status, ctype = _status_and_type(p.post_raw(_post(
                next(raws), "Accept: application/soap+xml, text/xml")))
            assert status == 200, (role, defect)
            assert ctype.startswith("application/soap+xml" if defect else "text/xml"), ctype
            for accept in ("Accept: */*", "Accept: text/xml"):  # its own type: right
                assert _status_and_type(p.post_raw(_post(next(raws), accept)))[1] \
                    .startswith("text/xml"), (role, defect, accept)


def test_a_header_field_with_non_ascii_octets_is_refused(indie_process):
    name = "header-section-decoded-as-ascii"
    for role in ("provider", "subscriber"):
        for defect in (None, name):
            p = indie_process(role, defect)
            raw = inquiry("0000010014") if role == "provider" else notice(change())
            answer = p.post_raw(_post(raw, "X-Operator: PLACE").replace(
                b"PLACE", "総務".encode()))
            status, ctype = _status_and_type(answer)
            assert (status == 200) is (defect is None), (role, defect)
            if defect:
                assert status == 400 and ctype == "text/plain", role
            again = inquiry("0000010022") if role == "provider" else notice(change(seq=2))
            assert _status_and_type(p.post_raw(_post(again, "X-Operator: soumu")))[0] == 200
