"""Each variant of the twelfth batch really takes effect (variants.py TWELFTH_BATCH, declared in
independent/twelfth.py), in the way of the tenth and eleventh batches' tests: the independent
adapter in process, a short scenario of standard-conformant exchanges (a crash and a start on the
same database included), and the variant's transcript must differ from the correct adapter's.
The race of the batch (one RequestId twice at once) and the 12-hour clock (invisible from 01:00 to
12:59 JST, so its test reads an evening clock) have tests of their own."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from .independent.adapter import JST, Adapter
from .independent.twelfth import era_lenient, twelve_hour
from .independent.variants import APART, TWELFTH_BATCH
from .variant_transcripts import (assert_declared_apart, assert_takes_effect, batch_cases, GOV,
                                  NOTICE_A, NOTICE_B, SOAP12, SOAP12_TYPE, change, extract, inquiry,
                                  move_clock, notice, request, transcript)

RELATED = "12121212-3434-4567-8989-abababababab"
TRACE = b'<v:Trace xmlns:v="urn:example:vendor"><v:MessageId>trace-0001</v:MessageId></v:Trace>'


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


def _must_understand(raw: bytes) -> bytes:
    return _with(raw, b"<soap:Header>", b'<soap:Header><v:Trace xmlns:v="urn:example:vendor" '
                                        b'soap:mustUnderstand="1">t</v:Trace>')


def _padded(raw: bytes) -> bytes:
    """A vendor header block of 70 kB beside the platform header: a valid message over 64 KiB."""
    return _with(raw, b"<soap:Header>", b'<soap:Header><v:Pad xmlns:v="urn:example:vendor">'
                 + b"x" * 70_000 + b"</v:Pad>")


def _traced(raw: bytes) -> bytes:
    return _with(raw, b"<soap:Header>", b"<soap:Header>" + TRACE)


def _other_gov(raw: bytes) -> bytes:
    """The receiver's 団体コード changed to 横浜市's (141003): addressed to another system."""
    return _with(raw, b"<pfh:Receiver><pfh:LocalGovCode>131016",
                 b"<pfh:Receiver><pfh:LocalGovCode>141003")


DEFAULT_NS = request('<ResidentInquiryRequest xmlns="urn:pfbus:unit:juki:v1"><AddresseeNumber>'
                     "0000010014</AddresseeNumber></ResidentInquiryRequest>",
                     service="juki.ResidentInquiry")


def provider_steps(name: str) -> list:
    return {
        "mustunderstand-soap11-faultcode-client": [_must_understand(inquiry("0000010014"))],
        "misrouted-fault-message-id-omitted": [inquiry("0000010014",
                                                       receiver=(GOV, "01", "other"))],
        "request-cut-at-64-kib": [_padded(inquiry("0000010014"))],
        "relates-to-read-by-regex": [_traced(inquiry("0000010014"))],
        "inquiry-cache-ignores-as-of": [inquiry("0000010014"),
                                        inquiry("0000010014", as_of="2010-01-01")],
        "extract-later-pages-cached-by-page-number": [extract(1), ("page", 2),
                                                      extract(2, extract_id="unknown1")],
        "last-page-filled-from-first": [extract(1), ("page", 4)],
        "page-lexical-forms-refused": [_with(extract(1), b"<j:Page>1<", b"<j:Page>+1<")],
        "default-namespace-key-not-found": [DEFAULT_NS],
        "horizontal-bar-as-em-dash": [inquiry("0000000019")],
        "cp932-signs-to-jis": [inquiry("9999999996")],
        "latin-name-space-widened": [inquiry("0000010065")],
        "reiwa-leap-day-via-era-year": [inquiry("9999999996")],
        "as-of-leap-rule-without-400": [inquiry("0000010014", as_of="2000-02-29")],
        "as-of-before-epoch-refused": [inquiry("0000010014", as_of="1969-12-31")],
        "extract-snapshots-kept-two": [extract(1), extract(1), extract(1), ("page", 2)],
    }[name]


def _related(raw: bytes) -> bytes:
    return _with(raw, b"</pfh:MessageId>", f"</pfh:MessageId><pfh:RelatesTo>{RELATED}"
                                          f"</pfh:RelatesTo>".encode())


def subscriber_steps(name: str) -> list:
    now = dt.datetime.now(JST)
    return {
        "mustunderstand-soap11-faultcode-client": [_must_understand(notice(change()))],
        "misrouted-fault-message-id-omitted": [_other_gov(notice(change()))],
        "request-cut-at-64-kib": [_padded(notice(change())), ("observe", "0000010014")],
        "relates-to-read-by-regex": [_traced(notice(change()))],
        "duplicate-receipt-soap12-as-text-xml": [
            (notice(change(), soap=SOAP12, message_id=NOTICE_A), SOAP12_TYPE),
            (notice(change(), soap=SOAP12, message_id=NOTICE_A), SOAP12_TYPE)],
        "rules-checked-on-first-change-only": [
            notice(change(1), change(2, name="総務花子", reason="Z99")),
            ("observe", "0000010014")],
        "receipt-relates-to-notice-relates-to": [_related(notice(change()))],
        "stores-addressee-number-as-integer": [
            notice(change(1, "0000010014", "総務翔子")),
            notice(change(1, "00000010014", "総務花子")),
            ("observe", "0000010014"), ("observe", "00000010014")],
        "stores-combining-marks-stripped": [notice(change(name="か\u309aやま太郎")),
                                            ("observe", "0000010014")],
        "stores-iteration-mark-expanded": [notice(change(name="佐々木花子")),
                                           ("observe", "0000010014")],
        "stores-name-utf8-100-bytes": [notice(change(name="総務" * 20)),
                                       ("observe", "0000010014")],
        "notice-dates-smalldatetime-range": [
            _with(notice(change()), b"<c:DateOfBirth>1990-04-01", b"<c:DateOfBirth>1899-12-31"),
            ("observe", "0000010014")],
        "seen-ids-by-sent-at-24h": [
            notice(change(), message_id=NOTICE_A, sent_at=now - dt.timedelta(hours=25)),
            notice(change(), message_id=NOTICE_A, sent_at=now - dt.timedelta(hours=25))],
        "removal-applied-after-receipt": [notice(change(1)), notice(change(2, reason="B01")),
                                          ("crash",), ("observe", "0000010014")],
        "new-resident-applied-after-receipt": [notice(change(1)), ("crash",),
                                               ("observe", "0000010014")],
        "seen-id-only-last-per-resident": [notice(change(1), message_id=NOTICE_A),
                                           notice(change(2), message_id=NOTICE_B),
                                           notice(change(1), message_id=NOTICE_A)],
        "stale-notice-id-not-recorded": [notice(change(2)),
                                         notice(change(1), message_id=NOTICE_B),
                                         notice(change(1), message_id=NOTICE_B)],
    }[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
OWN_TESTS = {"extract-request-id-race", "sent-at-12-hour-clock"}
CASES = batch_cases(TWELFTH_BATCH, APART, OWN_TESTS)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(TWELFTH_BATCH, APART, min_per_class=5)
    assert 30 <= len(roles) <= 36


@pytest.mark.parametrize(("name", "role"), CASES)
def test_each_variant_takes_effect(tmp_path, name, role):
    assert_takes_effect(tmp_path, role, name, STEPS[role](name))


@pytest.mark.parametrize("role", ["provider", "subscriber"])
def test_sent_at_12_hour_clock_takes_effect(tmp_path, monkeypatch, role):
    afternoon = dt.datetime(2026, 12, 4, 22, 30, 5, tzinfo=JST)
    assert twelve_hour(afternoon) == "2026-12-04T10:30:05+09:00"
    # every clock of the exchange (the requests' SentAt, both adapters, the transcript's "distance
    # from now") reads the evening, so the test does not depend on the hour it runs at
    move_clock(monkeypatch, lambda now: now.replace(hour=22, minute=30))  # 10 on a 12-hour clock
    steps = [inquiry("0000010014")] if role == "provider" else [notice(change())]
    correct = transcript(role, tmp_path / "correct.sqlite3", None, steps)
    variant = transcript(role, tmp_path / "variant.sqlite3", "sent-at-12-hour-clock", steps)
    assert variant != correct
    assert any("SentAt -720min" in line for line in variant), variant
    assert not any("SentAt -720min" in line for line in correct), correct


def test_era_lenient_keeps_heisei_leap_days_and_rolls_reiwa_2():
    assert era_lenient("2000-02-29") == "2000-02-29"  # 平成12: a leap year as year 12
    assert era_lenient("2020-02-29") == "2020-03-01"  # 令和2: year 2 is not
    assert era_lenient("1990-04-01") == "1990-04-01"


def _first_requests_at_once(defect: str | None) -> set[str]:
    adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
    raws = [extract(1, request_id="transfer-2026-12") for _ in range(2)]
    answers: list = [None, None]
    barrier = threading.Barrier(2)

    def send(i: int) -> None:
        barrier.wait()
        answers[i] = adapter.handle(raws[i], "text/xml; charset=utf-8", '""')

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    ids = set()
    for answer in answers:
        text = answer.body.decode()
        ids.add(text.split("ExtractId>", 1)[1].split("<", 1)[0])
    return ids


def test_extract_request_id_race_takes_effect():
    assert len(_first_requests_at_once(None)) == 1
    assert len(_first_requests_at_once("extract-request-id-race")) == 2
