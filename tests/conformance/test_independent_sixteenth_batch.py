"""Each variant of the sixteenth batch really takes effect (variants.py SIXTEENTH_BATCH, declared
in independent/sixteenth.py), in the way of the fifteenth batch's test: the independent adapter
in process, a short scenario of standard-conformant exchanges (crashes and starts on the same
database included), and the variant's transcript must differ from the correct adapter's. The
SOAPAction variant has a test of its own (the transcripts send SOAPAction ""). Each variant also
leaves an exchange it does not target as the correct adapter answers it. Dates are fixed or
computed from now, so nothing depends on the day or the hour the tests run at."""

from __future__ import annotations

import datetime as dt

import pytest

from .independent.adapter import JST, Adapter
from .independent.sixteenth import (SIXTEENTH_MEASURED_MISSES, business_day, long_vowels,
                                    previous_business_day, vendor_local_gov_ok)
from .independent.sixteenth_store import sjis_5c_eaten
from .independent.variants import APART, SIXTEENTH_BATCH
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, NOT_HELD, NOTICE_A, SOAP11, SOAP12,
                                  SOAP12_TYPE, TEXT_XML, assert_declared_apart, assert_takes_effect,
                                  batch_cases, change, extract, inquiry, notice, transcript)

NAMESPACES = b' xmlns:j="urn:pfbus:unit:juki:v1" xmlns:c="urn:pfbus:platform:common:v1"'


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


def _pi(raw: bytes) -> bytes:
    """A gateway's processing instruction after the XML declaration."""
    return _with(raw, b"?>", b"?><?trace hop=1?>")


def _declared_on_envelope(raw: bytes) -> bytes:
    """The body's namespaces declared on soap:Envelope (in scope, not on the body element)."""
    raw = _with(raw, NAMESPACES, b"")
    return _with(raw, f'<soap:Envelope xmlns:soap="{SOAP11}"'.encode(),
                 f'<soap:Envelope xmlns:soap="{SOAP11}"'.encode() + NAMESPACES)


def _unprefixed_envelope(raw: bytes) -> bytes:
    """The SOAP envelope in the default namespace: <Envelope xmlns="…">."""
    raw = raw.replace(b"<soap:", b"<").replace(b"</soap:", b"</")
    return _with(raw, b"xmlns:soap=", b"xmlns=")


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "soap11-fault-http-200": [inquiry(BAD_CHECK_DIGIT)],
        "not-found-status-underscore": [inquiry(NOT_HELD)],
        "member-katagaki-dropped": [inquiry("0000010219")],
        "inquiry-postal-code-hyphenated": [inquiry("0000010014")],
        "later-pages-extract-id-uppercase": [extract(1), ("page", 2)],
        "page-past-end-http-204": [extract(1), ("page", 9)],
        "request-id-numeric-normalised": [extract(1, request_id="0042"),
                                          extract(1, request_id="42", as_of="2020-01-01")],
        "first-request-page-taken-as-1": [extract(1, request_id="r1"),
                                          extract(2, request_id="r1")],
        "processing-instruction-refused": [(_pi(inquiry("0000010014", soap=SOAP12)),
                                            SOAP12_TYPE),
                                           inquiry("0000010<?x?>014")],
        "local-gov-check-digit-m11-convention": [
            _with(inquiry("0000010014"), b"<pfh:Sender><pfh:LocalGovCode>131016<",
                  b"<pfh:Sender><pfh:LocalGovCode>131041<")],
        "dash-like-unified-to-choon": [inquiry("0000010219")],
        "kana-yotsugana-folded": [inquiry("9999999996")],
        "kana-long-vowel-normalised": [inquiry("0000010014")],
        "as-of-after-2038-internal": [inquiry("0000010014", as_of="2040-04-01")],
        "as-of-previous-business-day": [inquiry("0000000019", as_of="2024-09-01")],  # a Sunday
        "snapshot-lease-utc-vs-local": [extract(1), ("page", 2)],
        "sent-at-from-database-text": [inquiry("0000010014")],
        "extract-page-served-before-copied": [extract(1), ("page", 2)],
        "snapshot-list-filtered-in-place": [extract(1), extract(1, as_of="2020-01-01"),
                                            ("page", 2)],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object) -> list:
        return [*raws, ("observe", "0000010014")]

    earlier = dt.datetime.now(JST) - dt.timedelta(minutes=2)
    steps: dict[str, list] = {
        "soap11-fault-http-200": [notice(change(reason="Z99"))],
        "multi-change-receipt-per-change": stored(
            notice(change(seq=1), change(seq=1, number="0000010022", name="総務大輔"))),
        "new-resident-receipted-accepted": stored(notice(change())),
        "processing-instruction-refused": stored((_pi(notice(change(), soap=SOAP12)),
                                                  SOAP12_TYPE)),
        "content-type-ows-refused": stored((notice(change()), "text/xml ; charset=utf-8")),
        "notice-resident-code-refused": stored(_with(
            notice(change()), b"</c:AddresseeNumber>",
            b"</c:AddresseeNumber><c:ResidentCode>10000000014</c:ResidentCode>")),
        "body-sliced-as-text": stored(_declared_on_envelope(notice(change()))),
        "envelope-unprefixed-refused": stored(_unprefixed_envelope(notice(change()))),
        "dash-like-unified-to-choon": stored(notice(change(name="福田ﾊﾅ−―"))),
        "sjis-5c-escape-eaten": stored(notice(change(name="十河翔子"))),
        "stores-name-whitespace-collapsed": stored(notice(change(name="ROSSI  VIOLA"))),
        "stores-latin-upper-cased": stored(notice(change(name="McDonald Rose"))),
        "notified-on-holiday-refused": stored(_with(  # 2025-04-05: a Saturday
            notice(change()), b"</c:OccurredOn>",
            b"</c:OccurredOn><c:NotifiedOn>2025-04-05</c:NotifiedOn>")),
        "changes-ordered-by-sent-at": stored(
            notice(change(seq=1)), notice(change(seq=2, name="総務花子"), sent_at=earlier)),
        "birth-before-showa-refused": stored(_with(
            notice(change()), b"<c:DateOfBirth>1990-04-01<", b"<c:DateOfBirth>1920-05-05<")),
        "sent-at-from-database-text": [notice(change())],
        "seen-ids-read-from-start-snapshot": stored(
            notice(change(), message_id=NOTICE_A), notice(change(), message_id=NOTICE_A)),
        "watermark-restored-from-log-tail": stored(
            notice(change(seq=3, name="総務三子")), notice(change(seq=1, name="総務一子")),
            ("crash",), notice(change(seq=2, name="総務二子"))),
        "seen-ids-journal-rotated-on-start": stored(
            notice(change(), message_id=NOTICE_A), ("crash",), ("crash",),
            notice(change(), message_id=NOTICE_A)),
        "long-name-overflow-written-after-receipt": stored(
            notice(change(name="総務" + "翔" * 28)), ("observe", "0000010014"), ("crash",)),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
OWN_TESTS = {"soap-action-quoted-refused"}
CASES = batch_cases(SIXTEENTH_BATCH, APART, OWN_TESTS)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(SIXTEENTH_BATCH, APART, min_per_class=5)
    assert len(roles) == 40 and len(SIXTEENTH_BATCH) == 36
    assert roles.count("subscriber") >= 18 and roles.count("provider") >= 18
    assert SIXTEENTH_MEASURED_MISSES <= set(batch_cases(SIXTEENTH_BATCH, APART))  # its runs


@pytest.mark.parametrize(("name", "role"), CASES)
def test_each_variant_takes_effect(tmp_path, name, role):
    assert_takes_effect(tmp_path, role, name, STEPS[role](name))


# --- what a variant does not target is left as the correct adapter answers it -----------------

NEUTRAL = {  # an inquiry of a member household without 方書, dashes, ヂ/ヅ or a long vowel …
    "provider": [inquiry("0000010049")],
    # … and two changes of one resident, each notice with one change, sent in order
    "subscriber": [notice(change(number="0000010049", name="髙橋健一")),
                   notice(change(seq=2, number="0000010049", name="髙橋健二")),
                   ("observe", "0000010049")],
}
TARGETS_EVERY_EXCHANGE = {  # SentAt of every reply; every inquiry; a resident not held before
    "provider": {"sent-at-from-database-text", "inquiry-postal-code-hyphenated"},
    "subscriber": {"sent-at-from-database-text", "new-resident-receipted-accepted"},
}


NEUTRAL_CASES = [(name, role) for name, role in batch_cases(SIXTEENTH_BATCH, APART)
                 if name not in TARGETS_EVERY_EXCHANGE[role]]
TARGETED_CASES = [(name, role) for role, names in TARGETS_EVERY_EXCHANGE.items()
                  for name in sorted(names)]


def _neutral(tmp_path, role: str, name: str) -> tuple[list[str], list[str]]:
    return (transcript(role, tmp_path / "correct.sqlite3", None, NEUTRAL[role]),
            transcript(role, tmp_path / "variant.sqlite3", name, NEUTRAL[role]))


@pytest.mark.parametrize(("name", "role"), NEUTRAL_CASES)
def test_each_variant_leaves_what_it_does_not_target(tmp_path, name, role):
    correct, variant = _neutral(tmp_path, role, name)
    assert variant == correct


@pytest.mark.parametrize(("name", "role"), TARGETED_CASES)
def test_the_variants_left_out_of_it_do_target_the_neutral_scenario(tmp_path, name, role):
    assert (name, role) in batch_cases(SIXTEENTH_BATCH, APART)
    correct, variant = _neutral(tmp_path, role, name)
    assert variant != correct


# --- the SOAPAction variant (the transcripts always send SOAPAction "") ------------------------

@pytest.mark.parametrize(("action", "refused"), [
    ('"urn:pfbus:service:juki.ResidentInquiry"', True),  # quoted, as SOAP 1.1 writes it
    ("urn:pfbus:service:juki.ResidentInquiry", False),
    ('""', False),
    (None, False),
])
def test_soap_action_quoted_refused_takes_effect(action, refused):
    raw = inquiry("0000010014")
    correct = Adapter("provider", GOV, "01", "indie").handle(raw, TEXT_XML, action)
    variant = Adapter("provider", GOV, "01", "indie", defect="soap-action-quoted-refused") \
        .handle(raw, TEXT_XML, action)
    assert correct.status == 200 and b"<juki:Status>found<" in correct.body
    if refused:
        assert variant.status == 500 and b"PF-HEADER-INVALID" in variant.body \
            and b"soap:action" in variant.body
    else:
        assert variant.status == 200 and b"<juki:Status>found<" in variant.body


# --- the helpers the variants are built on -----------------------------------------------------

def test_the_vendors_business_calendar():
    assert previous_business_day("2024-09-01") == "2024-08-30"  # Sunday → Friday
    assert previous_business_day("2024-09-02") == "2024-09-02"  # a Monday stays
    assert previous_business_day("2025-01-02") == "2024-12-27"  # 年末年始 → the Friday before
    assert not business_day(dt.date(2025, 4, 5)) and business_day(dt.date(2025, 4, 4))


def test_local_gov_check_digit_with_the_addressee_number_convention():
    # platform.md's examples: the vendor's routine agrees with all but remainder 0
    assert all(vendor_local_gov_ok(c) for c in ("011002", "130001", "131016", "141003",
                                                "271004"))
    assert not vendor_local_gov_ok("131041")  # 新宿区: 6+15+4+0+8 = 33, remainder 0 → 1


def test_long_vowels_and_the_5c_bytes():
    assert [long_vowels(k) for k in ("ショウコ", "ユウコ", "イチロウ", "ケンイチ", "ソウム")] == \
        ["ショーコ", "ユーコ", "イチロー", "ケンイチ", "ソーム"]
    assert sjis_5c_eaten("総務翔子") == "総務翔子"  # no 0x5C byte: unchanged
    assert sjis_5c_eaten("十河翔子") != "十河翔子"
    assert sjis_5c_eaten("𠮷田ソ") == "𠮷田ソ"  # a final 0x5C escapes nothing; 𠮷 passes by
