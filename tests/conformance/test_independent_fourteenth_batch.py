"""Each variant of the fourteenth batch really takes effect (variants.py FOURTEENTH_BATCH, declared
in independent/fourteenth.py), in the way of the thirteenth batch's test: the independent adapter
in process, a short scenario of standard-conformant exchanges (a crash and a start on the same
database included), and the variant's transcript must differ from the correct adapter's. The
HTTP front end's defects (an HTTP/1.0 request, an absolute-form target, a lower-case field name)
and a provider's restart have tests of their own. Dates are computed from today, so nothing
depends on the day or the hour the tests run at."""

from __future__ import annotations

import datetime as dt
import email.message
import io

import pytest

from .independent.adapter import JST, Adapter
from .independent.fourteenth import FOURTEENTH_MEASURED_MISSES, front_refused, write_chunked
from .independent.standard import Answer
from .independent.variants import APART, FOURTEENTH_BATCH
from .variant_transcripts import (GOV, NOTICE_A, SOAP12, SOAP12_TYPE, assert_declared_apart,
                                  assert_takes_effect, batch_cases, change, extract, inquiry,
                                  notice)


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


def _other_receiver_gov(raw: bytes) -> bytes:
    return _with(raw, b"<pfh:Receiver><pfh:LocalGovCode>131016",
                 b"<pfh:Receiver><pfh:LocalGovCode>141003")


def _block(raw: bytes, attributes: bytes) -> bytes:
    """A vendor header block beside the platform header, with SOAP attributes."""
    return _with(raw, b"<soap:Header>", b'<soap:Header><v:Trace xmlns:v="urn:example:vendor" '
                 + attributes + b">t</v:Trace>")


def _occurred(raw: bytes, day: dt.date) -> bytes:
    return _with(raw, b"<c:OccurredOn>2025-04-01<", f"<c:OccurredOn>{day}<".encode())


def _ahead() -> dt.datetime:
    return dt.datetime.now(JST) + dt.timedelta(minutes=4)  # within the hub's 5 min skew


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "inquiry-resident-status-defaulted": [inquiry("0000010073")],
        "member-relationship-of-requested": [inquiry("0000010022")],
        "foreigner-katagaki-dropped": [inquiry("0000010065")],
        "soap12-must-understand-http-400": [
            (_block(inquiry("0000010014", soap=SOAP12), b'soap:mustUnderstand="true"'),
             SOAP12_TYPE)],
        "content-type-without-charset-refused": [(inquiry("0000010014"), "text/xml")],
        "trailing-content-accepted": [inquiry("0000010014") + b"<soap:Envelope/>"],
        "reply-receiver-system-id-split-on-dot": [
            _with(inquiry("0000010014"), b"<pfh:SystemId>tax<", b"<pfh:SystemId>tax.batch-1<")],
        "fault-template-unescaped": [inquiry("1&amp;2")],
        "receiver-compared-case-insensitively": [
            inquiry("0000010014", receiver=(GOV, "01", "INDIE"))],
        "sender-local-gov-pinned": [_with(inquiry("0000010014"), b"<pfh:LocalGovCode>131016",
                                          b"<pfh:LocalGovCode>141003")],
        "request-id-keyed-with-page-size": [extract(1, request_id="transfer-14", page_size=3),
                                            extract(1, request_id="transfer-14", page_size=5)],
        "first-record-name-bom-kept": [inquiry("0000010014")],
        "as-of-day-month-swapped": [inquiry("0000010014", as_of="2015-04-03")],
        "as-of-two-digit-year-pivot": [inquiry("0000010014", as_of="2050-01-01")],
        "reply-sent-at-not-before-request": [inquiry("0000010014", sent_at=_ahead())],
        "extract-pages-from-server-cursor": [extract(1), ("page", 1)],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object) -> list:
        return [*raws, ("observe", "0000010014")]

    today = dt.datetime.now(JST).date()
    steps: dict[str, list] = {
        "notice-codelist-fault-as-internal": [notice(change(reason="Z99"))],
        "foreigner-name-order-swapped": stored(_with(
            notice(change(name="ROSSI VIOLA")), b"<c:ResidentKind>1<", b"<c:ResidentKind>2<")),
        "removal-receipted-duplicate": [notice(change(reason="B01"))],
        "notice-misrouted-as-header-invalid": [_other_receiver_gov(notice(change()))],
        "soap12-must-understand-http-400": [
            (_block(notice(change(), soap=SOAP12), b'soap:mustUnderstand="true"'), SOAP12_TYPE)],
        "content-type-without-charset-refused": stored((notice(change()), "text/xml")),
        "trailing-content-accepted": stored(notice(change()) + b"<soap:Envelope/>"),
        "reply-receiver-system-id-split-on-dot": [
            _with(notice(change()), b"<pfh:SystemId>tax<", b"<pfh:SystemId>tax.batch-1<")],
        "foreign-role-must-understand-refused": stored(_block(
            notice(change()), b'soap:actor="http://example.org/other" soap:mustUnderstand="1"')),
        "rare-reason-codes-refused": stored(notice(change(reason="A07"))),
        "stores-name-cut-at-first-astral": stored(notice(change(name="総務\U00020BB7子"))),
        "stores-latin-accents-folded": stored(notice(change(name="MÜLLER JOSÉ"))),
        "stores-name-hiragana-to-katakana": stored(notice(change(name="山田はな"))),
        "future-changes-deferred": stored(
            _occurred(notice(change(name="総務花子")), today + dt.timedelta(days=30))),
        "old-occurred-on-ignored": stored(
            _occurred(notice(change(name="総務花子")), today - dt.timedelta(days=7 * 365))),
        "reply-sent-at-not-before-request": [notice(change(), sent_at=_ahead())],
        "duplicate-refreshes-resident-row": stored(
            notice(change(seq=1, name="総務翔子"), message_id=NOTICE_A),
            notice(change(seq=2, name="総務花子")),
            notice(change(seq=1, name="総務翔子"), message_id=NOTICE_A)),
        "stale-lock-file-after-crash": stored(notice(change(seq=1)), ("crash",),
                                              notice(change(seq=2, name="総務花子"))),
        "gap-changes-buffered-in-memory": stored(notice(change(seq=1)),
                                                 notice(change(seq=3, name="総務花子"))),
        "sequence-keyed-by-sender": stored(
            notice(change(seq=5, name="総務花子")),
            _with(notice(change(seq=3, name="総務翔子")), b"<pfh:SystemId>tax<",
                  b"<pfh:SystemId>juki-standby<")),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
OWN_TESTS = {"http10-request-answered-chunked", "absolute-form-target-404",
             "header-names-case-sensitive", "request-id-map-outlives-snapshots"}
CASES = batch_cases(FOURTEENTH_BATCH, APART, OWN_TESTS)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(FOURTEENTH_BATCH, APART, min_per_class=4)
    assert len(roles) == 40 and len(FOURTEENTH_BATCH) == 35
    assert roles.count("subscriber") >= 18
    assert FOURTEENTH_MEASURED_MISSES <= set(batch_cases(FOURTEENTH_BATCH, APART))  # its runs


@pytest.mark.parametrize(("name", "role"), CASES)
def test_each_variant_takes_effect(tmp_path, name, role):
    assert_takes_effect(tmp_path, role, name, STEPS[role](name))


# --- a provider started again on its database ------------------------------------------------

def _provider(tmp_path, defect: str | None) -> Adapter:
    return Adapter("provider", GOV, "01", "indie", db=tmp_path / f"provider-{defect}.sqlite3",
                   defect=defect)


@pytest.mark.parametrize("defect", [None, "request-id-map-outlives-snapshots"])
def test_request_id_map_outlives_snapshots_takes_effect(tmp_path, defect):
    _provider(tmp_path, defect).handle(extract(1, request_id="transfer-14"), "text/xml", '""')
    again = _provider(tmp_path, defect).handle(  # the provider restarted, the request retried
        extract(1, request_id="transfer-14"), "text/xml", '""').body.decode()
    assert ("PF-EXTRACT-UNKNOWN" in again) == (defect is not None), again
    assert ("ResidentFullExtractResponse" in again) == (defect is None)


# --- the HTTP front end (what __main__.py's handler calls) -------------------------------------

class _Handler:
    """What front_refused and write_chunked touch of BaseHTTPRequestHandler."""

    def __init__(self, path="/soap", fields=(("Content-Type", "text/xml; charset=utf-8"),),
                 version="HTTP/1.1"):
        self.path, self.request_version = path, version
        self.headers = email.message.Message()
        for name, value in fields:
            self.headers[name] = value
        self.wfile, self.close_connection = io.BytesIO(), False
        self.status, self.sent = None, []

    def send_response(self, status):
        self.status = status

    def send_header(self, name, value):
        self.sent.append((name, value))

    def end_headers(self):
        pass


@pytest.mark.parametrize("defect", [None, "absolute-form-target-404"])
def test_absolute_form_target_404_takes_effect(defect):
    handler = _Handler(path="http://127.0.0.1:8080/soap")
    assert front_refused(handler, defect) == (defect is not None)
    assert handler.status == (404 if defect else None)
    assert front_refused(_Handler(), defect) is False  # origin form: served either way


@pytest.mark.parametrize("defect", [None, "header-names-case-sensitive"])
def test_header_names_case_sensitive_takes_effect(defect):
    handler = _Handler(fields=(("content-type", "text/xml; charset=utf-8"),))
    assert handler.headers.get("Content-Type")  # the field is there, by any case
    assert front_refused(handler, defect) == (defect is not None)
    assert handler.status == (415 if defect else None)
    assert front_refused(_Handler(), defect) is False


@pytest.mark.parametrize("defect", [None, "http10-request-answered-chunked"])
def test_http10_request_answered_chunked_takes_effect(defect):
    handler = _Handler(version="HTTP/1.0")
    answer = Answer(200, b"<soap:Envelope/>", "text/xml; charset=utf-8")
    assert write_chunked(handler, defect, answer) == (defect is not None)
    if defect:  # an HTTP/1.0 client reads to the close: the chunk framing is in its body
        assert ("Transfer-Encoding", "chunked") in handler.sent
        assert handler.wfile.getvalue() == b"10\r\n<soap:Envelope/>\r\n0\r\n\r\n"
    else:
        assert handler.wfile.getvalue() == b""  # do_POST writes the body itself
