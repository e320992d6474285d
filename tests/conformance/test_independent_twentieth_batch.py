"""Each variant of the twentieth batch really takes effect (variants.py TWENTIETH_BATCH, declared
in independent/twentieth.py), in the way of the nineteenth batch's test: the independent adapter
in process, a short scenario of standard-conformant exchanges (crashes and starts on the same
database included), and the variant's transcript must differ from the correct adapter's. Each
variant also leaves an exchange it does not target as the correct adapter answers it. Dates that a
variant keys on are fixed (基準日, 異動年月日), the rest computed from now, so nothing depends on
the day or the hour the tests run at."""

from __future__ import annotations

import pytest
from lxml import etree

from .independent.standard import CMN, JUKI, PFH
from .independent.twentieth import (TWENTIETH_MEASURED_MISSES, exclusive_day_bound,
                                    month_partition_bound)
from .independent.twentieth_store import NARROWED
from .independent.variants import APART, TWENTIETH_BATCH
from .variant_transcripts import (neutral_scenario_tests, BAD_CHECK_DIGIT, NOT_HELD, SOAP12,
                                  SOAP12_TYPE, TEXT_XML, adapter_answer, assert_declared_apart,
                                  assert_takes_effect, batch_cases, change, extract, inquiry,
                                  notice)

US_ASCII = "text/xml; charset=us-ascii"


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


def _us_ascii(raw: bytes) -> tuple[bytes, str]:
    """The message in US-ASCII, its other characters as character references."""
    text = raw.decode().replace('encoding="UTF-8"', 'encoding="US-ASCII"')
    return text.encode("ascii", "xmlcharrefreplace"), US_ASCII


def _hyphenated(raw: bytes, prefix: bytes) -> bytes:
    """The prefix ``prefix`` renamed juki-v1 (an NCName with a hyphen) everywhere."""
    out = raw.replace(b"xmlns:" + prefix + b"=", b"xmlns:juki-v1=")
    return out.replace(b"<" + prefix + b":", b"<juki-v1:").replace(b"</" + prefix + b":",
                                                                 b"</juki-v1:")


def _hoisted(raw: bytes) -> bytes:
    """The header's namespace declared on soap:Envelope instead of pfh:PlatformHeader."""
    raw = _with(raw, b'<pfh:PlatformHeader xmlns:pfh="urn:pfbus:platform:header:v1">',
                b"<pfh:PlatformHeader>")
    return _with(raw, b"<soap:Envelope ",
                 b'<soap:Envelope xmlns:pfh="urn:pfbus:platform:header:v1" ')


def _occurred(raw: bytes, day: bytes) -> bytes:
    return raw.replace(b"<c:OccurredOn>2025-04-01<", b"<c:OccurredOn>" + day + b"<")


def provider_steps(name: str) -> list:
    key = inquiry("0000010014")
    steps: dict[str, list] = {
        "foreigner-address-fixed-on-omitted": [inquiry("0000010065")],  # ResidentKind 2
        "by-individual-number-resident-code-omitted": [inquiry("123456789018",
                                                               by="IndividualNumber")],
        "extract-last-page-relates-to-omitted": [extract(1, page_size=20)],  # one page
        "inquiry-as-of-former-surname-dropped": [inquiry("0000010219", as_of="2025-06-01")],
        "later-pages-standard-version-omitted": [extract(1), ("page", 2)],
        "soap12-request-hash-dsig-more-uri": [(inquiry("0000010014", soap=SOAP12), SOAP12_TYPE)],
        "hoisted-namespace-declarations-refused": [_hoisted(key)],
        "trailing-newline-refused": [key + b"\r\n"],
        "hyphenated-prefix-refused": [_hyphenated(key, b"j")],
        "individual-number-with-as-of-refused": [inquiry("123456789018", by="IndividualNumber",
                                                         as_of="2025-06-01")],
        "sender-system-id-punctuation-refused": [_with(key, b"<pfh:SystemId>tax<",
                                                       b"<pfh:SystemId>tax.batch-01<")],
        "us-ascii-request-refused": [_us_ascii(key)],
        "as-of-month-end-internal": [inquiry("0000010014", as_of="2025-01-31")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object) -> list:
        return [*raws, ("observe", "0000010014")]

    one = notice(change())
    late = notice(change(seq=3, name="総務花子"))
    steps: dict[str, list] = {
        "multi-change-receipt-relates-to-omitted": [notice(change(), change(seq=2))],
        "soap12-request-hash-dsig-more-uri": [(notice(change(), soap=SOAP12), SOAP12_TYPE)],
        "notice-former-surname-refused": stored(_with(
            one, b"</c:Name><c:DateOfBirth>",
            "</c:Name><c:FormerSurname><c:Text>神田</c:Text></c:FormerSurname>"
            "<c:DateOfBirth>".encode())),
        "individual-number-change-name-not-written": stored(
            one, notice(change(seq=2, name="総務花子", reason="C06"))),
        "trailing-newline-refused": stored(one + b"\n"),
        "hoisted-namespace-declarations-refused": stored(_hoisted(one)),
        "refused-notices-retried-on-start": [
            notice(change(number=BAD_CHECK_DIGIT)), ("crash",), ("observe", BAD_CHECK_DIGIT)],
        "hyphenated-prefix-refused": stored(_hyphenated(one, b"j")),
        "notice-event-notified-on-refused": stored(_with(
            one, b"</c:OccurredOn>", b"</c:OccurredOn><c:NotifiedOn>2025-04-02</c:NotifiedOn>")),
        "notice-address-code-refused": stored(_with(
            one, b"<c:Prefecture>", b"<c:AddressCode>131010001</c:AddressCode><c:Prefecture>")),
        "us-ascii-request-refused": stored(_us_ascii(one)),
        "stores-full-width-latin-narrowed": stored(notice(change(name="ＲＯＳＳＩ　ＶＩＯＬＡ"))),
        "occurred-on-december-internal": stored(_occurred(one, b"2024-12-10")),
        "occurred-on-showa-refused": stored(_occurred(one, b"1988-12-01")),
        "watermark-rebuilt-from-change-count-on-start": stored(
            notice(change(seq=5)), ("crash",), late),
        "removed-residents-purged-on-start": stored(
            notice(change(seq=5, reason="B01")), ("crash",), late),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
CASES = batch_cases(TWENTIETH_BATCH, APART)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(TWENTIETH_BATCH, APART, min_per_class=2)
    assert len(roles) == len(CASES) and len(TWENTIETH_BATCH) == len(set(TWENTIETH_BATCH))
    assert roles.count("subscriber") >= 10 and roles.count("provider") >= 10
    assert TWENTIETH_MEASURED_MISSES <= set(CASES) and len(TWENTIETH_MEASURED_MISSES) == 5


@pytest.mark.parametrize(("name", "role"), CASES)
def test_each_variant_takes_effect(tmp_path, name, role):
    assert_takes_effect(tmp_path, role, name, STEPS[role](name))


# --- what a variant does not target is left as the correct adapter answers it -----------------

NEUTRAL = {  # a SOAP 1.2 inquiry of a resident not held, a found one, a first 全件 page …
    "provider": [(inquiry(NOT_HELD, soap=SOAP12), SOAP12_TYPE), inquiry("0000010049"),
                 extract(1)],
    # … and two changes of one resident (JIS X 0208 names), one per notice, sent in order
    "subscriber": [notice(change(number="0000010049", name="高橋健一")),
                   notice(change(seq=2, number="0000010049", name="高橋健二")),
                   ("observe", "0000010049")],
}
TARGETS_THE_NEUTRAL_SCENARIO = {  # every SOAP 1.2 reply's RequestHash
    "provider": {"soap12-request-hash-dsig-more-uri"},
    "subscriber": set(),
}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, NEUTRAL.__getitem__)


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def test_the_inputs_the_refusing_variants_refuse_are_answered_normally():
    """The correct adapter reads what the class-2 to class-4 provider variants refuse: white
    space after the envelope, a hyphenated prefix, 個人番号 with a 基準日, a SystemId with
    punctuation, US-ASCII, a 基準日 on a month's last day."""
    for name in ("trailing-newline-refused", "hyphenated-prefix-refused",
                 "hoisted-namespace-declarations-refused",
                 "individual-number-with-as-of-refused", "sender-system-id-punctuation-refused",
                 "us-ascii-request-refused", "as-of-month-end-internal"):
        step = provider_steps(name)[0]
        raw, ctype = step if isinstance(step, tuple) else (step, TEXT_XML)
        body = adapter_answer("provider", None, raw, ctype).body
        assert b"<juki:Status>found</juki:Status>" in body and b"0000010014" in body, \
            (name, body[:300])
        assert b"Fault" in adapter_answer("provider", name, raw, ctype).body, name


def test_the_answer_variants_break_what_they_say():
    def resident(defect, raw):
        return etree.fromstring(adapter_answer("provider", defect, raw).body).find(
            f".//{{{JUKI}}}Resident")

    raw = provider_steps("foreigner-address-fixed-on-omitted")[0]
    assert resident(None, raw).find(f"{{{CMN}}}AddressFixedOn") is not None
    assert resident("foreigner-address-fixed-on-omitted", raw).find(
        f"{{{CMN}}}AddressFixedOn") is None
    raw = provider_steps("inquiry-as-of-former-surname-dropped")[0]
    assert resident(None, raw).find(f"{{{CMN}}}FormerSurname") is not None
    assert resident("inquiry-as-of-former-surname-dropped", raw).find(
        f"{{{CMN}}}FormerSurname") is None
    page = etree.fromstring(adapter_answer("provider", "extract-last-page-relates-to-omitted",
                                    extract(1, page_size=20)).body)
    assert page.find(f".//{{{PFH}}}RelatesTo") is None


def test_the_helpers_the_variants_are_built_on():
    assert exclusive_day_bound("2025-01-30").isoformat() == "2025-01-31"
    with pytest.raises(ValueError):
        exclusive_day_bound("2025-01-31")
    assert month_partition_bound("2025-11-30").isoformat() == "2025-12-01"
    with pytest.raises(ValueError):
        month_partition_bound("2024-12-10")
    assert "ＲＯＳＳＩ　ＶＩＯＬＡ".translate(NARROWED) == "ROSSI VIOLA"


def test_requests_keep_what_the_transcripts_rely_on():
    raw = inquiry("0000010014")
    assert b'xmlns:j="urn:pfbus:unit:juki:v1"' in raw and b"<pfh:SystemId>tax<" in raw
    assert raw.endswith(b">") and b'encoding="UTF-8"' in raw
    assert b"<c:OccurredOn>2025-04-01<" in notice(change())
