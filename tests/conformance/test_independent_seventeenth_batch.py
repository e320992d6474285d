"""Each variant of the seventeenth batch really takes effect (variants.py SEVENTEENTH_BATCH,
declared in independent/seventeenth.py), in the way of the sixteenth batch's test: the independent
adapter in process, a short scenario of standard-conformant exchanges (crashes and starts on the
same database included), and the variant's transcript must differ from the correct adapter's.
Each variant also leaves an exchange it does not target as the correct adapter answers it. Dates
and SentAt values that a variant keys on are fixed, the rest computed from now, so nothing depends
on the day or the hour the tests run at."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from lxml import etree

from .independent.adapter import JST, Adapter
from .independent.seventeenth import (SEVENTEENTH_MEASURED_MISSES, era_year, mysql_latin1,
                                      week_based_year_day)
from .independent.seventeenth_store import bloom_bits, collation_key, fiscal_year
from .independent.standard import _schema
from .independent.variants import APART, SEVENTEENTH_BATCH
from .variant_transcripts import (neutral_scenario_tests, GOV, NOTICE_A, SOAP11, SOAP12,
                                  SOAP12_TYPE, TEXT_XML, adapter_answer, assert_declared_apart,
                                  assert_takes_effect, batch_cases, change, extract, inquiry,
                                  neutral_scenario, notice, request)

VENDOR_BLOCK = b'<v:Trace xmlns:v="urn:example:vendor:trace">hop-1</v:Trace>'
WSU = b"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
MINUTE = dt.datetime(2025, 4, 1, 10, 5, 7, tzinfo=JST)  # two requests of one system in it


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


def _block_first(raw: bytes) -> bytes:
    """A vendor header block before pfh:PlatformHeader."""
    return _with(raw, b"<soap:Header>", b"<soap:Header>" + VENDOR_BLOCK)


def _version(raw: bytes, version: bytes) -> bytes:
    return _with(raw, b"<pfh:Version>1</pfh:Version>", b"<pfh:Version>" + version + b"</pfh:Version>")


def extract_at(page: int, sent_at: dt.datetime, **kw) -> bytes:
    """extract() with a SentAt of its own."""
    raw = extract(page, **kw)
    start = raw.index(b"<pfh:SentAt>") + len(b"<pfh:SentAt>")
    end = raw.index(b"</pfh:SentAt>")
    return raw[:start] + sent_at.isoformat(timespec="seconds").encode() + raw[end:]


def _occurred(raw: bytes, day: bytes) -> bytes:
    return _with(raw, b"<c:OccurredOn>2025-04-01<", b"<c:OccurredOn>" + day + b"<")


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "extract-resident-in-common-namespace": [extract(1)],
        "request-hash-base64url": [inquiry("0000010014")],
        "chome-merged-into-town": [inquiry("0000010014")],
        "service-version-as-service-unknown": [inquiry("0000010014", version="2")],
        "soap11-answers-xsi-typed": [inquiry("0000010014")],
        "name-with-former-surname-bracketed": [inquiry("0000010057")],
        "header-block-taken-first": [_block_first(inquiry("0000010014"))],
        "envelope-attributes-refused": [_with(
            inquiry("0000010014"), f'<soap:Envelope xmlns:soap="{SOAP11}"'.encode(),
            f'<soap:Envelope xmlns:soap="{SOAP11}"'.encode() + b' xmlns:wsu="' + WSU +
            b'" wsu:Id="msg-1"')],
        "namespace-single-quoted-refused": [_with(
            inquiry("0000010014"), f'xmlns:soap="{SOAP11}"'.encode(),
            f"xmlns:soap='{SOAP11}'".encode())],
        "sender-own-unit-refused": [_with(
            inquiry("0000010014"), b"<pfh:Sender><pfh:LocalGovCode>131016</pfh:LocalGovCode>"
            b"<pfh:BusinessUnit>07<", b"<pfh:Sender><pfh:LocalGovCode>131016</pfh:LocalGovCode>"
            b"<pfh:BusinessUnit>01<")],
        "user-id-over-20-internal": [_with(inquiry("0000010014"), b"<pfh:UserId>batch<",
                                           b"<pfh:UserId>juki-window.clerk-0042@chiyoda<")],
        "kana-cleaned-to-a-n-range": [inquiry("0000010065")],  # ヴィオラ
        "answer-declared-shift-jis": [inquiry("0000010014")],
        "extract-double-encoded-latin1": [extract(1)],
        "as-of-week-based-year": [inquiry("9999999996", as_of="2024-12-30")],  # since 2025-03-01
        "request-id-keyed-by-sent-at-day": [
            extract_at(1, dt.datetime(2025, 3, 31, 23, 59, 30, tzinfo=JST), request_id="r1"),
            extract_at(1, dt.datetime(2025, 4, 1, 0, 1, 10, tzinfo=JST), request_id="r1")],
        "sent-at-era-year": [inquiry("0000010014")],
        "sent-at-offset-sign-inverted": [inquiry("0000010014")],
        "extract-id-from-sender-and-minute": [
            extract_at(1, MINUTE), extract_at(1, MINUTE + dt.timedelta(seconds=20),
                                              as_of="2020-01-01"), ("page", 2)],
        "request-id-reply-replayed": [extract(1, request_id="r1"), extract(1, request_id="r1")],
    }
    return steps[name]


def bloom_scenario(filled: int = 12) -> list:
    """``filled`` notices of known MessageIds, then a new notice whose MessageId the filter
    (rebuilt from the same IDs) takes for seen."""
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:seventeenth:seen:{i}")) for i in range(filled)]
    bits = {bit for mid in ids for bit in bloom_bits(mid)}
    for i in range(10**6):  # ~ (1 - e^(-36/1024))^3: one in 25,000 or so
        fresh = str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:seventeenth:new:{i}"))
        if set(bloom_bits(fresh)) <= bits:
            break
    else:
        raise AssertionError("no MessageId the filter takes for seen")
    return [notice(change(seq=i + 1), message_id=mid) for i, mid in enumerate(ids)] + \
        [notice(change(seq=filled + 1, name="総務花子"), message_id=fresh)]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object) -> list:
        return [*raws, ("observe", "0000010014")]

    steps: dict[str, list] = {
        "request-hash-base64url": [notice(change())],
        "service-version-as-service-unknown": [_version(notice(change()), b"2")],
        "duplicate-receipt-template-whitespace": [notice(change(), message_id=NOTICE_A),
                                                  notice(change(), message_id=NOTICE_A)],
        "soap11-receipt-two-headers": [notice(change())],
        "header-block-taken-first": stored(_block_first(notice(change()))),
        "comment-after-envelope-refused": stored(notice(change()) + b"<!-- via relay-2 -->"),
        "standard-version-pinned-refused": stored(_with(
            notice(change()), b"<pfh:StandardVersion>1.0<", b"<pfh:StandardVersion>1.1<")),
        "registration-of-held-resident-ignored": stored(
            notice(change(seq=1)), notice(change(seq=2, name="総務花子", reason="A01"))),
        "address-code-int32-internal": stored(_with(
            notice(change()), b"<c:Prefecture>",
            b"<c:AddressCode>131010001002003</c:AddressCode><c:Prefecture>")),
        "same-name-and-birth-refused": stored(
            notice(change(number="0000010022")), notice(change())),  # both 総務翔子, 1990-04-01
        "charset-value-case-sensitive": stored((notice(change()), "text/xml; charset=UTF-8")),
        "name-update-skipped-width-insensitive": stored(
            notice(change(seq=1, name="総務ｼｮｳｺ")), notice(change(seq=2, name="総務ショウコ"))),
        "stores-kana-when-kanji-unstorable": stored(notice(change(name="髙橋翔子"))),
        "sent-at-zone-abbreviation": [notice(change())],
        "sequence-per-fiscal-year": stored(
            notice(change(seq=2, name="総務花子")),
            _occurred(notice(change(seq=1, name="総務翔子")), b"2025-03-31")),
        "late-notification-refused": stored(_with(  # 届出 44 days after the 異動
            notice(change()), b"</c:OccurredOn>",
            b"</c:OccurredOn><c:NotifiedOn>2025-05-15</c:NotifiedOn>")),
        "seen-ids-bloom-filter-trusted": stored(*bloom_scenario()),
        "watermark-cached-before-rules": stored(
            notice(change(), change(number="0000010022", name="総務大輔", reason="Z99")),
            notice(change(), change(number="0000010022", name="総務大輔"))),  # corrected
        "resident-view-rebuilt-newest-first": stored(
            notice(change(seq=1)), notice(change(seq=2, name="総務花子")), ("crash",)),
        "soap12-endpoint-store-default-memory": stored(
            (notice(change(), soap=SOAP12), SOAP12_TYPE)),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
CASES = batch_cases(SEVENTEENTH_BATCH, APART)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(SEVENTEENTH_BATCH, APART, min_per_class=5)
    assert len(roles) == 40 and len(SEVENTEENTH_BATCH) == 37
    assert roles.count("subscriber") >= 18 and roles.count("provider") >= 18
    assert SEVENTEENTH_MEASURED_MISSES <= set(CASES)  # empty until the lead measures it


@pytest.mark.parametrize(("name", "role"), CASES)
def test_each_variant_takes_effect(tmp_path, name, role):
    assert_takes_effect(tmp_path, role, name, STEPS[role](name))


# --- what a variant does not target is left as the correct adapter answers it -----------------

NEUTRAL = neutral_scenario()
TARGETS_EVERY_EXCHANGE = {  # every reply's RequestHash or SentAt, every answer's declaration,
    "provider": {"request-hash-base64url", "sent-at-era-year", "sent-at-offset-sign-inverted",
                 "answer-declared-shift-jis"},
    # every SOAP 1.1 receipt
    "subscriber": {"request-hash-base64url", "sent-at-zone-abbreviation",
                   "soap11-receipt-two-headers"},
}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_EVERY_EXCHANGE, NEUTRAL.__getitem__)


# --- what some variants answer, beyond "it differs" -----------------------------------------------

@pytest.mark.parametrize(("role", "raw"), [("provider", inquiry("0000010014", version="2")),
                                           ("subscriber", _version(notice(change()), b"2"))])
def test_another_version_is_misrouted_and_the_variant_says_unknown(tmp_path, role, raw):
    correct = adapter_answer(role, None, raw, db=tmp_path / "c.sqlite3")
    variant = adapter_answer(role, "service-version-as-service-unknown", raw, db=tmp_path / "v.sqlite3")
    assert b"PF-PROVIDER-MISROUTED" in correct.body and b"service:version" in correct.body
    assert b"PF-SERVICE-UNKNOWN" in variant.body and b"PF-PROVIDER-MISROUTED" not in variant.body


def test_the_schema_refuses_what_the_answer_variants_write():
    schema = _schema()
    for defect in ("extract-resident-in-common-namespace", "soap11-answers-xsi-typed"):
        raw = extract(1) if defect.startswith("extract") else inquiry("0000010014")
        for name, ok in ((None, True), (defect, False)):
            body = etree.fromstring(adapter_answer("provider", name, raw).body).find(
                f"{{{SOAP11}}}Body")[0]
            assert schema.validate(body) is ok, (defect, name)


def test_the_helpers_the_variants_are_built_on():
    assert week_based_year_day("2024-12-30") == "2025-12-30"  # ISO week 2025-W01
    assert week_based_year_day("2021-01-01") == "2020-01-01"  # ISO week 2020-W53
    assert week_based_year_day("2024-12-27") == "2024-12-27"
    assert era_year(dt.date(2026, 12, 5)) == 8 and era_year(dt.date(2019, 5, 1)) == 1
    assert era_year(dt.date(2019, 4, 30)) == 31  # 平成31年
    assert mysql_latin1("ROSSI") == "ROSSI" and mysql_latin1("総務").startswith("ç")
    assert collation_key("神谷ﾏﾘｱ") == collation_key("神谷マリア") == collation_key("神谷まりあ")
    assert collation_key("ROSSI") == collation_key("Rossi") != collation_key("ROSSA")
    assert (fiscal_year("2025-03-31"), fiscal_year("2025-04-01")) == (2024, 2025)


def test_the_seen_table_is_still_asked_when_the_filter_says_new(tmp_path):
    """seen-ids-bloom-filter-trusted trusts only a positive: a redelivery is a duplicate."""
    raw = notice(change(), message_id=NOTICE_A)
    adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / "v.sqlite3",
                      defect="seen-ids-bloom-filter-trusted")
    assert b"applied" in adapter.handle(raw, TEXT_XML, '""').body
    assert b"duplicate" in adapter.handle(raw, TEXT_XML, '""').body


def test_requests_keep_what_the_transcripts_rely_on():
    # request() writes the namespaces in double quotes and ends with the envelope
    raw = request("<x/>", service="juki.ResidentInquiry")
    assert f'xmlns:soap="{SOAP11}"'.encode() in raw and raw.endswith(b"</soap:Envelope>")
