"""Each variant of the nineteenth batch really takes effect (variants.py NINETEENTH_BATCH, declared
in independent/nineteenth.py), in the way of the eighteenth batch's test: the independent adapter
in process, a short scenario of standard-conformant exchanges (crashes and starts on the same
database included), and the variant's transcript must differ from the correct adapter's. Each
variant also leaves an exchange it does not target as the correct adapter answers it. Dates that a
variant keys on are fixed (基準日, 異動年月日, dates of birth), the rest computed from now, so nothing
depends on the day or the hour the tests run at."""

from __future__ import annotations

import pytest
from lxml import etree

from .independent.nineteenth import (NINETEENTH_MEASURED_MISSES, four_digit_references,
                                     json_escaped)
from .independent.standard import CMN, JUKI
from .independent.variants import APART, NINETEENTH_BATCH
from .variant_transcripts import (neutral_scenario_tests, NOTICE_A, NOT_HELD, SOAP12, TEXT_XML,
                                  adapter_answer, assert_declared_apart, assert_takes_effect,
                                  batch_cases, change, extract, inquiry, neutral_scenario, notice)

UTF16 = "text/xml; charset=utf-16"
JUKI_DECLARED = b'xmlns:j="urn:pfbus:unit:juki:v1"'


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


def _utf16be(raw: bytes) -> tuple[bytes, str]:
    """The message in UTF-16, big-endian, with its byte order mark."""
    text = raw.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return b"\xfe\xff" + text.encode("utf-16-be"), UTF16


def _redeclared(raw: bytes, element: bytes) -> bytes:
    """``element`` (its start tag's name) re-declares the unit prefix j with the same URI."""
    return _with(raw, b"<" + element + b">", b"<" + element + b" " + JUKI_DECLARED + b">")


def _xml_prefix_declared(raw: bytes) -> bytes:
    return _with(raw, b"<soap:Envelope ",
                 b'<soap:Envelope xmlns:xml="http://www.w3.org/XML/1998/namespace" ')


def _soap12_declared(raw: bytes) -> bytes:
    """A SOAP 1.1 message that also declares SOAP 1.2's namespace, unused."""
    return _with(raw, b"<soap:Envelope ", f'<soap:Envelope xmlns:env="{SOAP12}" '.encode())


def _default_undeclared(raw: bytes, element: bytes) -> bytes:
    return _with(raw, b"<" + element + b" ", b"<" + element + b' xmlns="" ')


def _without_kana(raw: bytes) -> bytes:
    start, end = raw.index(b"<c:Kana>"), raw.index(b"</c:Kana>") + len(b"</c:Kana>")
    return raw[:start] + raw[end:]


def provider_steps(name: str) -> list:
    key = inquiry("0000010014")
    steps: dict[str, list] = {
        "other-version-fault-rule-service-endpoint": [inquiry("0000010014", version="2")],
        "fields-read-by-position": [extract(1), ("page", 2)],  # Page 2 read as PageSize 2
        "not-found-status-unqualified": [inquiry(NOT_HELD)],
        "former-surname-written-as-second-name": [inquiry("0000010219")],  # 旧氏 recorded
        "later-pages-total-count-omitted": [extract(1), ("page", 2)],
        "extract-relates-to-request-id": [extract(1, request_id="r1")],
        "namespace-redeclared-refused": [_redeclared(key, b"j:AddresseeNumber")],
        "xml-prefix-declared-refused": [_xml_prefix_declared(key)],
        "default-namespace-undeclaration-refused": [
            _default_undeclared(key, b"j:ResidentInquiryRequest")],
        "unused-soap12-declaration-taken-for-version": [_soap12_declared(key)],
        "extract-id-over-36-internal": [extract(2, extract_id="a" * 40)],
        "utf16be-request-read-as-le": [_utf16be(key)],
        "names-json-unicode-escaped": [key],
        "sent-at-two-digit-year": [key],
        "extract-dates-basic-format": [extract(1)],
        # 0000010014 since 2015-04-01: a resident on 1 June of that year
        "as-of-compared-with-slashed-dates": [inquiry("0000010014", as_of="2015-06-01")],
        # 0000010014 since 2015, 0000010022 since 2018, 0000010030 since 2021: all by 2025
        "household-as-of-resident-registration-day": [inquiry("0000010014",
                                                              as_of="2025-01-01")],
        "request-id-recorded-on-completion": [extract(1, request_id="r1"),
                                              extract(1, request_id="r1")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object) -> list:
        return [*raws, ("observe", "0000010014")]

    one = notice(change())
    renamed = notice(change(seq=2, name="総務花子"))
    steps: dict[str, list] = {
        "other-version-fault-rule-service-endpoint": [_with(one, b"<pfh:Version>1<",
                                                            b"<pfh:Version>2<")],
        "record-cancellation-deletes-resident": stored(notice(change(reason="A07"))),
        "namespace-redeclared-refused": stored(_redeclared(one, b"j:Change")),
        "xml-prefix-declared-refused": stored(_xml_prefix_declared(one)),
        "default-namespace-undeclaration-refused": stored(
            _default_undeclared(one, b"j:ResidentChangeNotice")),
        "unused-soap12-declaration-taken-for-version": stored(_soap12_declared(one)),
        "kana-less-change-name-not-written": stored(one, _without_kana(renamed)),
        "fields-read-by-position": stored(_with(
            one, b"</c:AddresseeNumber>",
            b"</c:AddresseeNumber><c:ResidentCode>10000000014</c:ResidentCode>")),
        "utf16be-request-read-as-le": stored(_utf16be(one)),
        "stores-name-cut-at-space": stored(notice(change(name="総務　翔子"))),
        "utf16-notice-read-as-ucs2": stored(("utf-16", notice(change(name="𠮷田翔子")))),
        "nonbmp-character-reference-read-four-digits": stored(_with(
            notice(change(name="𠮷田翔子")), "𠮷".encode(), b"&#x20BB7;")),
        "sent-at-two-digit-year": [one],
        "change-history-keyed-by-occurred-on": stored(one, renamed),  # both on 2025-04-01
        "stale-changes-parked-and-replayed-on-start": stored(
            notice(change(seq=5)), notice(change(seq=3, name="総務花子")), ("crash",)),
        "commit-failure-swallowed-for-new-household": stored(one),
        "seen-ids-group-committed-by-ten": [
            notice(change(), message_id=NOTICE_A), ("crash",),
            notice(change(), message_id=NOTICE_A)],
        "own-undo-log-replayed-on-start": stored(one, renamed, ("crash",)),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
CASES = batch_cases(NINETEENTH_BATCH, APART)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(NINETEENTH_BATCH, APART, min_per_class=4)
    assert len(roles) == 36 and len(NINETEENTH_BATCH) == 28
    assert roles.count("subscriber") >= 18 and roles.count("provider") >= 18
    assert NINETEENTH_MEASURED_MISSES <= set(CASES) and len(NINETEENTH_MEASURED_MISSES) == 10


@pytest.mark.parametrize(("name", "role"), CASES)
def test_each_variant_takes_effect(tmp_path, name, role):
    assert_takes_effect(tmp_path, role, name, STEPS[role](name))


# --- what a variant does not target is left as the correct adapter answers it -----------------

NEUTRAL = neutral_scenario()
TARGETS_THE_NEUTRAL_SCENARIO = {  # every reply's SentAt, every not-found answer …
    "provider": {"sent-at-two-digit-year", "not-found-status-unqualified"},
    # … two changes of one resident on one day, a first change of a household not loaded
    "subscriber": {"sent-at-two-digit-year", "change-history-keyed-by-occurred-on",
                   "commit-failure-swallowed-for-new-household"},
}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, NEUTRAL.__getitem__)


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def test_the_inputs_the_refusing_variants_refuse_are_answered_normally():
    """The correct adapter reads what the class-2 and class-3 variants refuse: a prefix declared
    twice, the xml prefix declared, the default namespace undeclared, UTF-16 big-endian, an
    unused declaration of SOAP 1.2's namespace in a SOAP 1.1 message."""
    for step in (provider_steps(name)[0] for name in (
            "namespace-redeclared-refused", "xml-prefix-declared-refused",
            "default-namespace-undeclaration-refused", "utf16be-request-read-as-le",
            "unused-soap12-declaration-taken-for-version")):
        raw, ctype = step if isinstance(step, tuple) else (step, TEXT_XML)
        body = adapter_answer("provider", None, raw, ctype).body
        assert b"<juki:Status>found</juki:Status>" in body and b"0000010014" in body, body[:300]


def test_a_long_unknown_extract_id_is_the_clients_error_and_the_variants_internal():
    raw = provider_steps("extract-id-over-36-internal")[0]
    assert b"PF-EXTRACT-UNKNOWN" in adapter_answer("provider", None, raw).body
    assert b"PF-PROVIDER-INTERNAL" in adapter_answer("provider", "extract-id-over-36-internal",
                                              raw).body


def test_the_answer_variants_break_what_they_say(tmp_path):
    escaped = adapter_answer("provider", "names-json-unicode-escaped", inquiry("0000010073")).body
    assert etree.fromstring(escaped).findtext(f".//{{{CMN}}}Text") == \
        "\\ud842\\udfb7\\u7530\\u4e00\\u90ce"  # 𠮷田一郎
    dates = adapter_answer("provider", "extract-dates-basic-format", extract(1)).body
    assert etree.fromstring(dates).findtext(f".//{{{JUKI}}}Resident/{{{CMN}}}DateOfBirth") \
        .isdigit()


def test_the_helpers_the_variants_are_built_on():
    assert four_digit_references(b"&#x20BB7;&#x7DCF;&#x30;") == "\u20bb7;総&#x30;".encode()
    assert json_escaped("ROSSI VIOLA") == "ROSSI VIOLA" and json_escaped("総") == "\\u7dcf"


def test_requests_keep_what_the_transcripts_rely_on():
    raw = inquiry("0000010014")
    assert JUKI_DECLARED in raw and b"<j:AddresseeNumber>" in raw and b"<soap:Envelope " in raw
    assert b"<j:ResidentInquiryRequest " in raw
    assert b"<j:Change>" in notice(change()) and b"<j:ResidentChangeNotice " in notice(change())
    assert b"<c:Kana>" in notice(change()) and b"<c:ResidentKind>1<" in notice(change())
