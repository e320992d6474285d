"""Each variant of the thirteenth batch really takes effect (variants.py THIRTEENTH_BATCH, declared
in independent/thirteenth.py), in the way of the twelfth batch's test: the independent adapter in
process, a short scenario of standard-conformant exchanges (a crash and a start on the same
database included), and the variant's transcript must differ from the correct adapter's. The
variants that need time to pass (a SentAt cached for 60 s, a duplicate receipt's SentAt of the
first delivery, a RequestId map with a 60 s TTL) run against clocks moved forward instead of
waiting; the races (two deliveries at once) and the HTTP front end (Expect: 100-continue) have
tests of their own. Nothing depends on the hour the tests run at."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from .independent.adapter import JST, Adapter
from .independent.thirteenth import expect_100
from .independent.variants import APART, THIRTEENTH_BATCH
from .variant_transcripts import (assert_declared_apart, assert_takes_effect, batch_cases,
                                  BAD_CHECK_DIGIT, GOV, NOTICE_A, SOAP12, SOAP12_TYPE, TEXT_XML,
                                  change, extract, inquiry, notice)


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


def _sent_at_spaced(raw: bytes) -> bytes:
    """SentAt followed by white space: the same xs:dateTime (whiteSpace collapse)."""
    return _with(raw, b"</pfh:SentAt>", b"\n\t </pfh:SentAt>")


def _padded(raw: bytes) -> bytes:
    return _with(raw, b"<soap:Header>", b'<soap:Header><v:Pad xmlns:v="urn:example:vendor">'
                 + b"x" * 70_000 + b"</v:Pad>")


def _optional_block(raw: bytes) -> bytes:
    return _with(raw, b"<soap:Header>", b'<soap:Header><v:Trace xmlns:v="urn:example:vendor" '
                                        b'soap:mustUnderstand="0">t</v:Trace>')


def provider_steps(name: str) -> list:
    return {
        "soap12-schema-fault-receiver": [(inquiry("abc", soap=SOAP12), SOAP12_TYPE)],
        "former-surname-kana-from-current": [inquiry("0000010057")],
        "as-of-filtered-answered-found-empty": [inquiry("0000010014", as_of="2010-01-01")],
        "soap11-fault-content-type-soap12": [inquiry(BAD_CHECK_DIGIT)],
        "request-sent-at-parsed-strictly": [_sent_at_spaced(inquiry("0000010014"))],
        "page-number-lexical-refused": [_with(extract(1), b"<j:Page>1<", b"<j:Page>+1<")],
        "must-understand-false-refused": [_optional_block(inquiry("0000010014"))],
        "ms932-read-back-as-jis": [inquiry("9999999996")],
        "astral-stripped-by-sanitiser": [inquiry("0000010073")],
        "ivs-reattached-at-end": [inquiry("0000010057")],
        "as-of-wareki-era-dropped": [inquiry("0000010014", as_of="2021-04-01")],  # 平成27 ≤ 令和3
        "dates-smalldatetime-range": [inquiry("0000010014", as_of="2080-01-01")],
        "as-of-household-members-current": [inquiry("0000010014", as_of="2019-01-01")],
    }[name]


def subscriber_steps(name: str) -> list:
    def stored(raw: bytes) -> list:
        return [raw, ("observe", "0000010014")]

    return {
        "duplicate-receipt-parties-not-swapped": [notice(change(), message_id=NOTICE_A),
                                                  notice(change(), message_id=NOTICE_A)],
        "soap12-receipt-status-accepted": [(notice(change(), soap=SOAP12), SOAP12_TYPE)],
        "receipt-subscribers-element": [notice(change())],
        "header-invalid-as-schema-invalid": [
            _with(notice(change()), b"<pfh:UserId>batch<", b"<pfh:UserId>a batch<")],
        "soap11-fault-findings-dropped": [notice(change(number=BAD_CHECK_DIGIT))],
        "request-sent-at-parsed-strictly": stored(_sent_at_spaced(notice(change()))),
        "notice-name-first-text-node": stored(notice(change(name="総務<!-- -->翔子"))),
        "request-cut-at-64k": stored(_padded(notice(change()))),
        "notice-changes-beyond-50-dropped": stored(
            notice(*(change(seq=i) for i in range(1, 61)))),
        "xml-declaration-strict-regex": stored(_with(
            notice(change()), b'<?xml version="1.0" encoding="UTF-8"?>', b'<?xml version="1.0"?>')),
        "ms932-read-back-as-jis": stored(notice(change(name="～∥－花子"))),
        "name-cut-at-200-utf8-bytes": stored(notice(change(name="総務" * 40))),
        "ivs-reattached-at-end": stored(notice(change(name="葛\U000E0102西花子"))),
        "stores-ivs-e0100-dropped": stored(notice(change(name="俞\U000E0100花子"))),
        "dates-smalldatetime-range": stored(_with(notice(change()), b"<c:DateOfBirth>1990-04-01",
                                                  b"<c:DateOfBirth>1899-12-31")),
        "notice-date-with-offset-fault": stored(_with(
            notice(change()), b"<c:OccurredOn>2025-04-01<", b"<c:OccurredOn>2025-04-01+09:00<")),
        "seen-ids-reloaded-uppercase": [notice(change(), message_id=NOTICE_A), ("crash",),
                                        notice(change(), message_id=NOTICE_A),
                                        ("observe", "0000010014")],
        "crash-recovery-restores-start-copy": [notice(change()), ("crash",),
                                               ("observe", "0000010014")],
    }[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
OWN_TESTS = {"reply-message-id-per-second", "later-page-request-id-refused",
             "expect-100-continue-refused", "sent-at-cached-60s",
             "duplicate-receipt-sent-at-of-first", "seen-checked-before-transaction",
             "locked-writes-dropped-under-concurrency", "request-id-map-ttl-60s"}
CASES = batch_cases(THIRTEENTH_BATCH, APART, OWN_TESTS)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(THIRTEENTH_BATCH, APART, min_per_class=4)
    assert len(roles) == 40 and len(THIRTEENTH_BATCH) == 35


@pytest.mark.parametrize(("name", "role"), CASES)
def test_each_variant_takes_effect(tmp_path, name, role):
    assert_takes_effect(tmp_path, role, name, STEPS[role](name))


# --- what needs time to pass: clocks moved forward, never waited for ---------------------------

_REAL_DATETIME, _REAL_MONOTONIC = dt.datetime, time.monotonic


class _Clock:
    """Every clock of the exchange (dt.datetime.now, time.monotonic) ``ahead`` seconds ahead."""

    ahead = 0.0


class _Shifted(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return _REAL_DATETIME.now(tz) + dt.timedelta(seconds=_Clock.ahead)


@pytest.fixture
def clock(monkeypatch):
    _Clock.ahead = 0.0
    monkeypatch.setattr(dt, "datetime", _Shifted)
    monkeypatch.setattr(time, "monotonic", lambda: _REAL_MONOTONIC() + _Clock.ahead)
    return _Clock


def _adapter(tmp_path, role: str, defect: str | None) -> Adapter:
    """A fresh adapter on a database of its own (none is shared between tests)."""
    return Adapter(role, GOV, "01" if role == "provider" else "07", "indie",
                   db=tmp_path / f"{role}-{defect}.sqlite3", defect=defect)


def _handle(adapter: Adapter, raw: bytes, ctype: str = TEXT_XML) -> str:
    return adapter.handle(raw, ctype, '""').body.decode()


def _field(text: str, name: str) -> str:
    return text.split(f"{name}>", 1)[1].split("<", 1)[0]


def _lag(text: str) -> float:
    """How far the answer's SentAt lies behind the (moved) clock, in seconds."""
    return (dt.datetime.now(JST) - _REAL_DATETIME.fromisoformat(_field(text, "SentAt"))) \
        .total_seconds()


@pytest.mark.parametrize("role", ["provider", "subscriber"])
@pytest.mark.parametrize("defect", [None, "sent-at-cached-60s"])
def test_sent_at_cached_60s_takes_effect(tmp_path, clock, role, defect):
    adapter = _adapter(tmp_path, role, defect)
    ask = (lambda: inquiry("0000010014")) if role == "provider" else \
        (lambda: notice(change(seq=1 + int(clock.ahead))))
    _handle(adapter, ask())
    clock.ahead = 45.0  # within the cache's 60 s
    lag = _lag(_handle(adapter, ask()))
    assert (lag > 40) == (defect is not None), lag


@pytest.mark.parametrize("defect", [None, "duplicate-receipt-sent-at-of-first"])
def test_duplicate_receipt_sent_at_of_first_takes_effect(tmp_path, clock, defect):
    adapter = _adapter(tmp_path, "subscriber", defect)
    _handle(adapter, notice(change(), message_id=NOTICE_A))
    clock.ahead = 90.0
    text = _handle(adapter, notice(change(), message_id=NOTICE_A))
    assert "duplicate" in text
    assert (_lag(text) > 80) == (defect is not None), _lag(text)


@pytest.mark.parametrize("defect", [None, "request-id-map-ttl-60s"])
def test_request_id_map_ttl_60s_takes_effect(tmp_path, clock, defect):
    adapter = _adapter(tmp_path, "provider", defect)
    first = _field(_handle(adapter, extract(1, request_id="transfer-13")), "ExtractId")
    # a retry at once is served from the map (its entry's age counted from this look-up on)
    assert _field(_handle(adapter, extract(1, request_id="transfer-13")), "ExtractId") == first
    clock.ahead = 61.0  # the next retry comes a minute later
    again = _field(_handle(adapter, extract(1, request_id="transfer-13")), "ExtractId")
    assert (again != first) == (defect is not None)


class _Frozen(dt.datetime):
    """One instant: every answer is given in the same second."""

    @classmethod
    def now(cls, tz=None):
        at = _REAL_DATETIME(2026, 12, 4, 10, 30, 5, tzinfo=JST)
        return at.astimezone(tz) if tz else at.astimezone().replace(tzinfo=None)


@pytest.mark.parametrize("defect", [None, "reply-message-id-per-second"])
def test_reply_message_id_per_second_takes_effect(tmp_path, monkeypatch, defect):
    monkeypatch.setattr(dt, "datetime", _Frozen)
    adapter = _adapter(tmp_path, "provider", defect)
    sent = _Frozen.now(JST)
    ids = {_field(_handle(adapter, inquiry("0000010014", sent_at=sent)), "pfh:MessageId")
           for _ in range(2)}
    assert len(ids) == (1 if defect else 2)


# --- a later page keeping its RequestId; the HTTP front end --------------------------------------

@pytest.mark.parametrize("defect", [None, "later-page-request-id-refused"])
def test_later_page_request_id_refused_takes_effect(tmp_path, defect):
    adapter = _adapter(tmp_path, "provider", defect)
    extract_id = _field(_handle(adapter, extract(1, request_id="transfer-13")), "ExtractId")
    page = _handle(adapter, extract(2, extract_id=extract_id, request_id="transfer-13"))
    assert ("VENDOR-EXTRACT" in page) == (defect is not None), page


class _Handler:
    """What expect_100 touches of BaseHTTPRequestHandler."""

    def __init__(self):
        self.status, self.close_connection = None, False

    def send_response(self, status):
        self.status = status

    def send_header(self, name, value):
        pass

    def end_headers(self):
        pass


def test_expect_100_continue_refused_takes_effect():
    correct, variant = _Handler(), _Handler()
    assert expect_100(correct, None) is None and correct.status is None  # 100 Continue, as usual
    assert expect_100(variant, "expect-100-continue-refused") is False
    assert variant.status == 417 and variant.close_connection


# --- races: two deliveries at once ---------------------------------------------------------------

def _at_once(adapter: Adapter, raws: list[bytes]) -> list[str]:
    answers: list = [None] * len(raws)
    barrier = threading.Barrier(len(raws))

    def send(i: int) -> None:
        barrier.wait()
        answers[i] = _handle(adapter, raws[i])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(raws))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return answers


@pytest.mark.parametrize("defect", [None, "seen-checked-before-transaction"])
def test_seen_checked_before_transaction_takes_effect(tmp_path, defect):
    adapter = _adapter(tmp_path, "subscriber", defect)
    answers = _at_once(adapter, [notice(change(), message_id=NOTICE_A)] * 2)
    statuses = sorted(_field(a, "Status") for a in answers)
    assert statuses == (["applied", "applied"] if defect else ["applied", "duplicate"])


@pytest.mark.parametrize("defect", [None, "locked-writes-dropped-under-concurrency"])
def test_locked_writes_dropped_under_concurrency_takes_effect(tmp_path, defect):
    adapter = _adapter(tmp_path, "subscriber", defect)
    answers = _at_once(adapter, [notice(change(number="0000010014")),
                                 notice(change(number="0000010022"))])
    assert all(_field(a, "Status") == "applied" for a in answers)  # receipted either way
    applied = sorted((adapter.observe(n) or {}).get("changes_applied", 0)
                     for n in ("0000010014", "0000010022"))
    assert applied == ([1, 1] if defect is None else [0, 1]), applied  # one notice's lost
