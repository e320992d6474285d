"""Each variant of the twenty-first batch really takes effect (variants.py TWENTYFIRST_BATCH,
declared in independent/twentyfirst.py), in the way of the twentieth batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. Dates that a variant keys on are fixed (基準日, 異動年月日), the rest computed from now — and
the scenarios are built when a test runs, not when the module is imported, so that a SentAt is
never older than the adapter's start by more than the test's own time."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from .independent.adapter import JST, Adapter
from .independent.standard import CMN, JUKI, PFH
from .independent.twentyfirst import (TWENTYFIRST_MEASURED_MISSES, age_on, audit_sent_at,
                                      wareki_text)
from .independent.twentyfirst_store import ASCII_QUOTES, SEEN_WARM_UP
from .independent.variants import APART, TWENTYFIRST_BATCH
from .variant_transcripts import (neutral_scenario_tests, NOT_HELD, SOAP12, SOAP12_TYPE, TEXT_XML,
                                  adapter_answer, assert_declared_apart, assert_takes_effect,
                                  batch_cases, change, extract, inquiry, notice, unheld_numbers)

CMN_DECLARATION = b' xmlns:c="urn:pfbus:platform:common:v1"'


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw, old
    return raw.replace(old, new, 1)


def _vendor_block(raw: bytes) -> bytes:
    """A vendor header block (no mustUnderstand) beside the platform header, with 𠮷 in it."""
    block = '<v:Trace xmlns:v="urn:example:vendor">照会者 𠮷田</v:Trace>'.encode()
    return _with(raw, b"<soap:Header>", b"<soap:Header>" + block)


def _commented(raw: bytes) -> bytes:
    """A comment in Japanese between the XML declaration and the envelope."""
    return _with(raw, b"?><soap:Envelope", "?><!-- 住民照会 --><soap:Envelope".encode())


def _seven_digits(raw: bytes) -> bytes:
    """SentAt with seven fractional digits (.NET's round-trip format)."""
    return _with(raw, b"+09:00</pfh:SentAt>", b".1234567+09:00</pfh:SentAt>")


def _per_element(raw: bytes) -> bytes:
    """The common namespace declared on each element of the notice that uses it, not on the
    notice element."""
    raw = _with(raw, CMN_DECLARATION, b"")
    for tag in (b"<j:Event>", b"<j:Resident>"):
        raw = raw.replace(tag, tag[:-1] + CMN_DECLARATION + b">")
    return raw


def provider_steps(name: str) -> list:
    key = inquiry("0000010014")
    steps: dict[str, list] = {
        "household-members-from-voters-view": [key],  # 総務陽翔 (2021) is a member
        "soap12-reply-service-version-from-standard-version": [
            (inquiry("0000010014", soap=SOAP12), SOAP12_TYPE)],
        "reply-receiver-unit-of-first-customer": [
            _with(key, b"<pfh:BusinessUnit>07<", b"<pfh:BusinessUnit>11<")],  # the Sender's
        "later-pages-resident-dates-omitted": [extract(1), ("page", 2)],
        "foreigner-by-individual-number-not-found": [inquiry("678901234562",
                                                             by="IndividualNumber")],
        "service-version-compared-as-number": [_with(key, b"<pfh:Version>1<",
                                                     b"<pfh:Version>1.0<")],
        "misaddressed-body-validated-first": [inquiry("00000100X4",
                                                      receiver=("131016", "01", "other"))],
        "later-page-as-of-starts-new-extract": [
            extract(1, as_of="2025-06-01"),
            extract(2, extract_id="0" * 32, as_of="2025-06-01")],  # an ExtractId not made
        "as-of-unknown-resident-internal": [inquiry(NOT_HELD, as_of="2025-06-01")],
        "foreign-header-block-non-bmp-internal": [_vendor_block(key)],
        "prolog-sniffed-as-ascii": [_commented(key)],
        "as-of-members-exclusive": [inquiry("0000010014", as_of="2021-06-15")],
        "as-of-wareki-letters-compared": [inquiry("0000010049", as_of="1988-12-31")],
        "sent-at-seven-fraction-digits-internal": [_seven_digits(key)],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    redelivered = notice(change(number=unheld_numbers(1, 300)[0]))
    steps: dict[str, list] = {
        "soap12-reply-service-version-from-standard-version": [
            (notice(change(), soap=SOAP12), SOAP12_TYPE)],
        "removed-resident-correction-not-applied": stored(
            notice(change(reason="B01")), notice(change(seq=2, name="総務花子", reason="C12"))),
        "members-keyed-by-relationship": stored(_with(
            notice(change(number="0000010030", name="総務陽翔")), b"<c:Relationship>01<",
            b"<c:Relationship>06<"), number="0000010030"),
        "birth-without-held-household-refused": stored(notice(change(reason="A03"))),
        "individual-number-mismatch-refused": stored(one, _with(
            notice(change(seq=2, reason="C06")), b"<c:IndividualNumber>890123456780<",
            b"<c:IndividualNumber>123456789018<")),
        "service-version-compared-as-number": stored(_with(one, b"<pfh:Version>1<",
                                                           b"<pfh:Version>1.0<")),
        "misaddressed-body-validated-first": [_with(notice(change(seq=0)),
                                                    b"<pfh:SystemId>hub<",
                                                    b"<pfh:SystemId>hub2<")],
        "notice-nsmap-from-notice-element": stored(_per_element(one)),
        "chome-two-digits-internal": stored(_with(one, b"</c:Town>",
                                                  b"</c:Town><c:Chome>20</c:Chome>")),
        "foreign-header-block-non-bmp-internal": stored(_vendor_block(one)),
        "prolog-sniffed-as-ascii": stored(_commented(one)),
        "request-hash-after-gaiji-filter": [notice(change(name="髙橋翔子"))],
        "stores-typographic-apostrophe-ascii": stored(notice(change(name="D’ANGELO MARIA"))),
        "notices-sent-before-start-skipped": stored(notice(
            change(), sent_at=dt.datetime.now(JST) - dt.timedelta(minutes=10))),
        "sent-at-seven-fraction-digits-internal": stored(_seven_digits(one)),
        "occurred-on-regression-refused": stored(one, _with(
            notice(change(seq=2, name="総務花子", reason="C12")), b"<c:OccurredOn>2025-04-01<",
            b"<c:OccurredOn>2025-03-01<")),
        "seed-load-replayed-on-start": stored(notice(change(name="総務花子")), ("crash",)),
        "namesake-merged-on-start": stored(
            notice(change(number="0000010022")), one, ("crash",), number="0000010022"),
        "name-column-converted-on-start": stored(
            notice(change(number="0000010073", name="𠮷田一郎")), ("crash",),
            number="0000010073"),
        "seen-cache-warmed-with-recent-only": [
            redelivered, *(notice(change(number=n))
                           for n in unheld_numbers(SEEN_WARM_UP, 400)),
            ("crash",), redelivered],
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
CASES = batch_cases(TWENTYFIRST_BATCH, APART)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(TWENTYFIRST_BATCH, APART, min_per_class=2)
    assert len(roles) == len(CASES) and len(TWENTYFIRST_BATCH) == len(set(TWENTYFIRST_BATCH))
    assert len(TWENTYFIRST_BATCH) >= 25 and len(roles) >= 30
    assert roles.count("subscriber") >= 10 and roles.count("provider") >= 10
    assert TWENTYFIRST_MEASURED_MISSES <= set(CASES) and len(TWENTYFIRST_MEASURED_MISSES) == 14


@pytest.mark.parametrize(("name", "role"), CASES)
def test_each_variant_takes_effect(tmp_path, name, role):
    assert_takes_effect(tmp_path, role, name, STEPS[role](name))


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.2 inquiry of a resident not held, a found one and a first 全件 page; two changes
    of one resident (JIS X 0208 names, 世帯主), one per notice, sent in order, observed."""
    return {
        "provider": [(inquiry(NOT_HELD, soap=SOAP12), SOAP12_TYPE), inquiry("0000010049"),
                     extract(1)],
        "subscriber": [notice(change(number="0000010049", name="高橋健一")),
                       notice(change(seq=2, number="0000010049", name="高橋健二")),
                       ("observe", "0000010049")],
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO = {  # every SOAP 1.2 reply's Service Version
    "provider": {"soap12-reply-service-version-from-standard-version"},
    "subscriber": set(),
}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def _tree(defect, raw, ctype=TEXT_XML):
    return etree.fromstring(adapter_answer("provider", defect, raw, ctype).body)


def test_the_inputs_the_refusing_variants_refuse_are_answered_normally():
    """The correct adapter answers what the class-2 to class-4 provider variants fail on: a
    vendor header block with 𠮷, a comment in Japanese before the envelope, SentAt with seven
    fractional digits, an unknown 宛名番号 with a 基準日 (not-found)."""
    for name, status in (("foreign-header-block-non-bmp-internal", b"found"),
                         ("prolog-sniffed-as-ascii", b"found"),
                         ("sent-at-seven-fraction-digits-internal", b"found"),
                         ("as-of-unknown-resident-internal", b"not-found")):
        raw = provider_steps(name)[0]
        body = adapter_answer("provider", None, raw).body
        assert b"<juki:Status>" + status + b"</juki:Status>" in body, (name, body[:300])
        assert b"PF-PROVIDER-INTERNAL" in adapter_answer("provider", name, raw).body, name


def test_the_answer_variants_break_what_they_say():
    raw = provider_steps("household-members-from-voters-view")[0]
    members = lambda tree: [m.findtext(f"{{{CMN}}}AddresseeNumber")  # noqa: E731
                            for m in tree.iter(f"{{{CMN}}}Member")]
    assert "0000010030" in members(_tree(None, raw))
    assert "0000010030" not in members(_tree("household-members-from-voters-view", raw))
    raw = provider_steps("as-of-members-exclusive")[0]
    assert "0000010030" in members(_tree(None, raw))
    assert "0000010030" not in members(_tree("as-of-members-exclusive", raw))
    raw = provider_steps("as-of-wareki-letters-compared")[0]
    assert _tree(None, raw).findtext(f".//{{{JUKI}}}Status") == "not-found"
    assert _tree("as-of-wareki-letters-compared", raw).findtext(
        f".//{{{JUKI}}}Status") == "found"
    raw = provider_steps("foreigner-by-individual-number-not-found")[0]
    assert _tree(None, raw).findtext(f".//{{{JUKI}}}Status") == "found"
    assert _tree("foreigner-by-individual-number-not-found", raw).findtext(
        f".//{{{JUKI}}}Status") == "not-found"
    raw, ctype = provider_steps("soap12-reply-service-version-from-standard-version")[0]
    version = f".//{{{PFH}}}Service/{{{PFH}}}Version"
    assert _tree(None, raw, ctype).findtext(version) == "1"
    assert _tree("soap12-reply-service-version-from-standard-version", raw,
                 ctype).findtext(version) == "1.0"
    raw = provider_steps("reply-receiver-unit-of-first-customer")[0]
    unit = f".//{{{PFH}}}Receiver/{{{PFH}}}BusinessUnit"
    assert _tree(None, raw).findtext(unit) == "11"
    assert _tree("reply-receiver-unit-of-first-customer", raw).findtext(unit) == "07"


def test_the_refusals_the_variants_change():
    raw = provider_steps("service-version-compared-as-number")[0]
    assert b"PF-PROVIDER-MISROUTED" in adapter_answer("provider", None, raw).body
    assert b"<juki:Status>found" in adapter_answer(
        "provider", "service-version-compared-as-number", raw).body
    raw = provider_steps("misaddressed-body-validated-first")[0]
    assert b"PF-PROVIDER-MISROUTED" in adapter_answer("provider", None, raw).body
    assert b"PF-SCHEMA-INVALID" in adapter_answer(
        "provider", "misaddressed-body-validated-first", raw).body


def _pages(defect, later: bytes | None = None) -> tuple[etree._Element, etree._Element]:
    """A first 全件 page and a later one (page 2, or ``later`` with the ExtractId made)."""
    adapter = Adapter("provider", "131016", "01", "indie", defect=defect)
    first = etree.fromstring(adapter.handle(extract(1, as_of="2025-06-01"), TEXT_XML, '""').body)
    made = first.findtext(f".//{{{JUKI}}}ExtractId")
    raw = later.replace(b"MADE", made.encode()) if later else extract(2, extract_id=made)
    return first, etree.fromstring(adapter.handle(raw, TEXT_XML, '""').body)


def test_later_pages_lose_the_dates_their_first_page_keeps():
    def dates(page):
        return [r.findtext(f"{{{CMN}}}BecameResidentOn") for r in page.iter(f"{{{JUKI}}}Resident")]

    for defect in (None, "later-pages-resident-dates-omitted"):
        first, later = _pages(defect)
        assert dates(first) and None not in dates(first)
        assert dates(later) and (None in dates(later)) == (defect is not None)


def test_a_later_page_repeating_its_as_of_gets_another_extract():
    def extract_ids(defect):
        first, later = _pages(defect, extract(2, extract_id="MADE", as_of="2025-06-01"))
        return first.findtext(f".//{{{JUKI}}}ExtractId"), later.findtext(f".//{{{JUKI}}}ExtractId")

    made, later = extract_ids(None)
    assert made == later
    made, later = extract_ids("later-page-as-of-starts-new-extract")
    assert made != later and later


def test_the_helpers_the_variants_are_built_on():
    assert wareki_text("1988-12-31") == "S63.12.31" and wareki_text("1998-03-10") == "H10.03.10"
    assert wareki_text("2019-05-01") == "R01.05.01" and wareki_text("1989-01-07") == "S64.01.07"
    assert wareki_text("1998-03-10") < wareki_text("1988-12-31")  # the defect
    assert age_on("2021-06-15", dt.date(2039, 6, 14)) == 17
    assert age_on("2021-06-15", dt.date(2039, 6, 15)) == 18
    assert audit_sent_at("2026-12-05T10:00:00.123456+09:00").microsecond == 123456
    with pytest.raises(ValueError):
        audit_sent_at("2026-12-05T10:00:00.1234567+09:00")
    assert "D’ANGELO “M”".translate(ASCII_QUOTES) == "D'ANGELO \"M\""


def test_requests_keep_what_the_transcripts_rely_on():
    raw = inquiry("0000010014")
    assert raw.index(b"<pfh:BusinessUnit>07<") < raw.index(b"<pfh:Receiver>")
    assert b"<pfh:Version>1<" in raw and b"+09:00</pfh:SentAt>" in raw
    one = notice(change())
    assert one.count(CMN_DECLARATION) == 1 and b"<c:Relationship>01<" in one
    assert b"<c:IndividualNumber>890123456780<" in one and b"</c:Town>" in one
    assert CMN_DECLARATION not in _per_element(one).split(b"<j:Change>")[0]
    assert etree.fromstring(_per_element(one)) is not None
