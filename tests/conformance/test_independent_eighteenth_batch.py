"""Each variant of the eighteenth batch really takes effect (variants.py EIGHTEENTH_BATCH, declared
in independent/eighteenth.py), in the way of the seventeenth batch's test: the independent adapter
in process, a short scenario of standard-conformant exchanges (crashes and starts on the same
database included), and the variant's transcript must differ from the correct adapter's. Each
variant also leaves an exchange it does not target as the correct adapter answers it. Dates that a
variant keys on are fixed (基準日, 異動年月日, dates of birth), the rest computed from now, so nothing
depends on the day or the hour the tests run at."""

from __future__ import annotations

import pytest
from lxml import etree

from .independent.eighteenth import (EIGHTEENTH_MEASURED_MISSES, character_references,
                                     html4_escaped, ordinal_round_trip)
from .independent.eighteenth_store import outside_jisx0213
from .independent.standard import CMN, JUKI, PFF
from .independent.variants import APART, EIGHTEENTH_BATCH
from .variant_transcripts import (neutral_scenario_tests, NOTICE_A, SOAP11, SOAP12, SOAP12_TYPE,
                                  adapter_answer, assert_declared_apart, assert_takes_effect,
                                  batch_cases, change, extract, inquiry, neutral_scenario, notice,
                                  request)

XSI = "http://www.w3.org/2001/XMLSchema-instance"
NAME = "総務翔子".encode()


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


def typed_inquiry(number: str) -> bytes:
    """An inquiry whose key carries xsi:type naming its declared type."""
    return request(f'<j:ResidentInquiryRequest xmlns:j="{JUKI}" xmlns:c="{CMN}" '
                   f'xmlns:xsi="{XSI}"><j:AddresseeNumber xsi:type="c:AddresseeNumberType">'
                   f"{number}</j:AddresseeNumber></j:ResidentInquiryRequest>",
                   service="juki.ResidentInquiry")


def _over_soap12(raw: bytes) -> tuple[bytes, str]:
    return _with(raw, SOAP11.encode(), SOAP12.encode()), SOAP12_TYPE


def _v2(raw: bytes) -> bytes:
    """The same message in a v2 unit namespace."""
    return _with(raw, b'xmlns:j="urn:pfbus:unit:juki:v1"', b'xmlns:j="urn:pfbus:unit:juki:v2"')


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "soap12-reply-must-understand-yes": [(inquiry("0000010014", soap=SOAP12), SOAP12_TYPE)],
        "soap11-answer-body-trace-entry": [inquiry("0000010014")],
        "extract-pages-stylesheet-pi": [extract(1)],
        "head-name-original-copied": [inquiry("0000010014")],
        "later-pages-page-echoed-zero-based": [extract(1), ("page", 2)],
        "dated-extract-total-count-undated": [extract(1, as_of="2020-01-01")],
        "by-individual-number-key-as-addressee-number": [
            inquiry("123456789018", by="IndividualNumber")],
        "character-references-refused": [_with(inquiry("0000010014"), b">0000010014<",
                                               b">&#x30;000010014<")],
        "cdata-refused-as-dtd": [_with(inquiry("0000010014"), b">0000010014<",
                                       b"><![CDATA[0000010014]]><")],
        "xsi-type-in-request-refused": [typed_inquiry("0000010014")],
        "request-element-matched-by-local-name": [_v2(inquiry("0000010014"))],
        "cdata-wrapped-character-references": [inquiry("0000010014")],
        "text-escaped-with-html4-entities": [inquiry("0000000019")],  # 福田ﾊﾅ〜‖−¢£¬―
        "utf16-answer-without-bom": [("utf-16", inquiry("0000010014"))],
        "sent-at-http-date-format": [inquiry("0000010014")],
        "sent-at-from-monotonic-clock": [inquiry("0000010014")],
        # BecameResidentOn 2024-05-01, a leap year's 1 May
        "as-of-ordinal-month-table-without-leap": [inquiry("0000010219", as_of="2024-05-01")],
        # 9999999996 since 2025-03-01: in the extract as of 15 March, not as of 1 January
        "extract-as-of-snapped-to-assessment-date": [extract(1, as_of="2025-03-15")],
        # 0000010065 since 2023-01-10: not yet a resident on 5 January
        "as-of-compared-by-month": [inquiry("0000010065", as_of="2023-01-05")],
        "request-id-map-per-endpoint": [extract(1, request_id="r1"),
                                        _over_soap12(extract(1, request_id="r1"))],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object) -> list:
        return [*raws, ("observe", "0000010014")]

    bad_second = notice(change(), change(number="0000010022", name="総務大輔", reason="Z99"))
    steps: dict[str, list] = {
        "soap12-reply-must-understand-yes": [(notice(change(), soap=SOAP12), SOAP12_TYPE)],
        "finding-path-first-change": [bad_second],
        "household-reasons-name-not-written": stored(
            notice(change(seq=1)), notice(change(seq=2, name="総務花子", reason="C04"))),
        "removal-name-cleared": stored(notice(change(reason="B01"))),
        "character-references-refused": stored(_with(notice(change()), NAME,
                                                     "&#x7DCF;務翔子".encode())),
        "cdata-refused-as-dtd": stored(_with(notice(change()), NAME,
                                             b"<![CDATA[" + NAME + b"]]>")),
        "xsi-type-in-request-refused": stored(_with(
            notice(change()), b"<c:AddresseeNumber>",
            f'<c:AddresseeNumber xmlns:xsi="{XSI}" xsi:type="c:AddresseeNumberType">'.encode())),
        "request-element-matched-by-local-name": stored(_v2(notice(change()))),
        "stale-change-ends-notice": [
            notice(change(seq=5)), notice(change(seq=3), change(number="0000010022",
                                                                  name="総務大輔")),
            ("observe", "0000010022")],
        "notice-changes-deduplicated-by-sequence": [
            notice(change(), change(number="0000010022", name="総務大輔")),
            ("observe", "0000010022")],
        "utf16-answer-without-bom": [("utf-16", notice(change()))],
        "no-charset-read-as-latin1": stored((notice(change()), "text/xml")),
        "jisx0213-name-refused": stored(notice(change(name="髙橋翔子"))),
        "name-half-width-kana-refused": stored(notice(change(name="総務ｼｮｳｺ"))),
        "sent-at-http-date-format": [notice(change())],
        "minor-resident-not-held": stored(_with(notice(change()), b">1990-04-01<",
                                                b">2020-02-29<")),
        "receipt-sent-at-dated-occurred-on": [notice(change())],
        "occurred-before-became-resident-refused": stored(_with(  # a 修正 dated back
            notice(change()), b"</c:Address>",
            b"</c:Address><c:BecameResidentOn>2025-05-01</c:BecameResidentOn>")),
        "seen-key-process-salted-hash": stored(
            notice(change(), message_id=NOTICE_A), ("crash",),
            notice(change(), message_id=NOTICE_A)),
        "resident-table-unlogged": stored(notice(change()), ("crash",)),
        "seen-id-recorded-as-reply-id": stored(notice(change(), message_id=NOTICE_A),
                                               notice(change(), message_id=NOTICE_A)),
        "seen-cache-not-updated-on-insert": stored(notice(change(), message_id=NOTICE_A),
                                                   notice(change(), message_id=NOTICE_A)),
        "in-doubt-last-request-marked-seen-on-start": [
            notice(change(reason="Z99"), message_id=NOTICE_A), ("crash",),
            notice(change(reason="Z99"), message_id=NOTICE_A)],
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
CASES = batch_cases(EIGHTEENTH_BATCH, APART)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(EIGHTEENTH_BATCH, APART, min_per_class=4)
    assert len(roles) == 43 and len(EIGHTEENTH_BATCH) == 36
    assert roles.count("subscriber") >= 18 and roles.count("provider") >= 18
    assert EIGHTEENTH_MEASURED_MISSES <= set(CASES) and len(EIGHTEENTH_MEASURED_MISSES) == 6


@pytest.mark.parametrize(("name", "role"), CASES)
def test_each_variant_takes_effect(tmp_path, name, role):
    assert_takes_effect(tmp_path, role, name, STEPS[role](name))


# --- what a variant does not target is left as the correct adapter answers it -----------------

NEUTRAL = neutral_scenario()
TARGETS_EVERY_EXCHANGE = {  # every reply's SentAt
    "provider": {"sent-at-http-date-format", "sent-at-from-monotonic-clock",
                 "soap12-reply-must-understand-yes"},  # … and every SOAP 1.2 reply
    "subscriber": {"sent-at-http-date-format", "receipt-sent-at-dated-occurred-on"},
}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_EVERY_EXCHANGE, NEUTRAL.__getitem__)


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def test_the_inputs_the_refusing_variants_refuse_are_answered_normally():
    """The correct adapter reads what the class-2 variants refuse: a character reference, a
    CDATA section, an xsi:type naming the declared type (the body stays schema-valid)."""
    for raw in (provider_steps("character-references-refused")[0],
                provider_steps("cdata-refused-as-dtd")[0], typed_inquiry("0000010014")):
        body = adapter_answer("provider", None, raw).body
        assert b"<juki:Status>found</juki:Status>" in body and b"0000010014" in body


def test_a_body_of_another_namespace_is_refused_and_the_variant_answers_it():
    raw = provider_steps("request-element-matched-by-local-name")[0]
    assert b"PF-SCHEMA-INVALID" in adapter_answer("provider", None, raw).body
    assert b"found" in adapter_answer("provider", "request-element-matched-by-local-name", raw).body


def test_the_path_template_is_right_for_the_first_change_only(tmp_path):
    """finding-path-first-change: a bad code in the first change is placed right."""
    first = notice(change(reason="Z99"), change(number="0000010022", name="総務大輔"))
    for raw, index in ((first, 1), (subscriber_steps("finding-path-first-change")[0], 2)):
        body = adapter_answer("subscriber", "finding-path-first-change", raw,
                       db=tmp_path / f"v{index}.sqlite3").body
        path = etree.fromstring(body).findtext(f".//{{{PFF}}}Path")
        assert path == "/soap:Envelope/soap:Body/j:ResidentChangeNotice/j:Change[1]/j:Event/" \
                       "c:Reason", path
        assert (path == "/soap:Envelope/soap:Body/j:ResidentChangeNotice/"
                        f"j:Change[{index}]/j:Event/c:Reason") is (index == 1)


def test_the_answer_variants_write_what_xml_reads_otherwise(tmp_path):
    html = adapter_answer("provider", "text-escaped-with-html4-entities", inquiry("0000000019")).body
    assert b"&minus;" in html and b"&cent;" in html
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(html)
    cdata = adapter_answer("provider", "cdata-wrapped-character-references", inquiry("0000010014"))
    assert etree.fromstring(cdata.body).findtext(f".//{{{CMN}}}Text") == \
        character_references("総務翔子")
    for role, step in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        raw = step.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
        answer = adapter_answer(role, "utf16-answer-without-bom", raw, "text/xml; charset=utf-16",
                         db=tmp_path / f"{role}.sqlite3")
        assert answer.body.startswith("<?xml".encode("utf-16-le")), answer.body[:20]
        assert answer.content_type.endswith("charset=utf-16")


def test_the_helpers_the_variants_are_built_on():
    assert ordinal_round_trip("2024-05-01") == "2024-04-30"
    assert ordinal_round_trip("2024-02-28") == "2024-02-28"
    assert ordinal_round_trip("2025-05-01") == "2025-05-01"  # a common year is read right
    assert html4_escaped("福田−¢") == "福田&minus;&cent;" and html4_escaped("ROSSI") == "ROSSI"
    assert character_references("総a") == "&#x7DCF;a"
    assert outside_jisx0213("総務翔子") is None and outside_jisx0213("神谷ﾏﾘｱ") is None
    assert outside_jisx0213("髙橋") == (1, "髙") and outside_jisx0213("葛\U000e0102西") == \
        (2, "\U000e0102")


def test_requests_keep_what_the_transcripts_rely_on():
    # request() declares the unit namespace with the prefix j in double quotes
    raw = inquiry("0000010014")
    assert b'xmlns:j="urn:pfbus:unit:juki:v1"' in raw and b">0000010014<" in raw
    assert f'xmlns:soap="{SOAP11}"'.encode() in raw and NAME in notice(change())
