"""Each variant of the fifteenth batch really takes effect (variants.py FIFTEENTH_BATCH, declared
in independent/fifteenth.py), in the way of the fourteenth batch's test: the independent adapter
in process, a short scenario of standard-conformant exchanges (a crash and a start on the same
database included), and the variant's transcript must differ from the correct adapter's. The
HTTP front end's defect (a chunk extension) has a test of its own. Dates are fixed or computed
from today, so nothing depends on the day or the hour the tests run at."""

from __future__ import annotations

import datetime as dt
import email.message
import io

import pytest

from .independent.__main__ import read_body
from .independent.adapter import JST
from .independent.fifteenth import (FIFTEENTH_MEASURED_MISSES, BadChunk, answer_bad_chunk,
                                    kanji_numeral, last_sax_chunk)
from .independent.standard import m11_ok
from .independent.variants import APART, FIFTEENTH_BATCH
from .variant_transcripts import (BAD_CHECK_DIGIT, NOTICE_A, SOAP12, SOAP12_TYPE,
                                  assert_declared_apart, assert_takes_effect, batch_cases, change,
                                  extract, inquiry, notice)


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw
    return raw.replace(old, new, 1)


def _block(raw: bytes, attributes: bytes) -> bytes:
    """A vendor header block beside the platform header, with SOAP attributes."""
    return _with(raw, b"<soap:Header>", b'<soap:Header><v:Trace xmlns:v="urn:example:vendor" '
                 + attributes + b">t</v:Trace>")


def _long_number(digits: int) -> str:
    """A 宛名番号 of ``digits`` digits with its modulus-11 check digit (not held)."""
    first = 10 ** (digits - 2)
    return next(f"{base}{d}" for base in range(first, first + 100) for d in range(10)
                if m11_ok(f"{base}{d}"))


def _action(soap_raw: bytes, service: str) -> tuple[bytes, str]:
    return soap_raw, f'application/soap+xml; charset=utf-8; action="urn:pfbus:{service}"'


def provider_steps(name: str) -> list:
    header = b'<pfh:PlatformHeader xmlns:pfh="urn:pfbus:platform:header:v1">'
    steps: dict[str, list] = {
        "last-page-drops-final-resident": [extract(1), ("page", 4)],
        "extract-chome-kanji-numerals": [extract(1)],
        "former-surname-kana-given-empty": [inquiry("0000010057")],
        "soap12-fault-detail-before-reason": [(inquiry(BAD_CHECK_DIGIT, soap=SOAP12),
                                               SOAP12_TYPE)],
        "addressee-number-long-internal": [inquiry(_long_number(13))],
        "must-understand-true-literal-only": [
            (_block(inquiry("0000010014", soap=SOAP12), b'soap:mustUnderstand="true"'),
             SOAP12_TYPE)],
        "soap12-action-parameter-refused": [
            _action(inquiry("0000010014", soap=SOAP12), "juki.ResidentInquiry")],
        "reply-receiver-system-id-truncated-32": [
            _with(inquiry("0000010014"), b"<pfh:SystemId>tax<",
                  b"<pfh:SystemId>" + b"tax-batch-" * 4 + b"<")],
        "platform-header-attributes-refused": [
            _with(inquiry("0000010014"), header, header[:-1] + b' soap:mustUnderstand="1">')],
        "addressee-numbers-9999-test-records": [inquiry("9999999996")],
        "text-last-sax-chunk": [inquiry("0000010&#48;14")],
        "head-name-half-width-widened": [inquiry("0000010219")],
        "town-half-width-kana-widened": [inquiry("0000000019")],
        "banchi-hyphen-notation": [inquiry("0000010014")],
        "as-of-date-time-accepted": [inquiry("0000010014", as_of="2025-04-01T09:00:00")],
        "as-of-before-meiji-internal": [inquiry("0000010014", as_of="1868-01-01")],
        "extract-snapshots-one-per-sender": [extract(1), extract(1, as_of="2020-01-01"),
                                             ("page", 2)],
        "later-pages-total-count-live": [extract(1, as_of="2020-01-01"), ("page", 2)],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object) -> list:
        return [*raws, ("observe", "0000010014")]

    old = dt.datetime.now(JST) - dt.timedelta(days=2)  # an outbox's resend after an outage
    steps: dict[str, list] = {
        "soap11-fault-detail-capitalised": [notice(change(reason="Z99"))],
        "foreigner-name-stored-kana": stored(_with(
            notice(change(name="ROSSI VIOLA")), b"<c:ResidentKind>1<", b"<c:ResidentKind>2<")),
        "must-understand-true-literal-only": stored(
            (_block(notice(change(), soap=SOAP12), b'soap:mustUnderstand="true"'),
             SOAP12_TYPE)),
        "soap12-action-parameter-refused": stored(
            _action(notice(change(), soap=SOAP12), "juki.ResidentChangeNotice")),
        "text-last-sax-chunk": stored(notice(change(name="&#x20BB7;田一郎"))),
        "user-id-at-sign-refused": stored(_with(notice(change()), b"<pfh:UserId>batch<",
                                                b"<pfh:UserId>tax-clerk@city<")),
        "sequence-lexical-form-refused": stored(notice(change(seq="+2"))),
        "relationship-chain-codes-refused": stored(_with(
            notice(change()), b"<c:Relationship>01<", b"<c:Relationship>19<")),
        "notice-body-prefixes-assumed": stored(notice(change())),
        "notice-more-than-50-changes-refused": stored(
            notice(*[change(seq=i) for i in range(1, 52)])),
        "stores-name-variant-folded": stored(notice(change(name="渡邉翔子"))),
        "stores-name-iteration-mark-dropped": stored(notice(change(name="佐々木翔子"))),
        "no-declaration-read-as-cp932": stored(notice(change()).split(b"?>", 1)[1]),
        "occurred-on-with-offset-internal": stored(_with(
            notice(change()), b"<c:OccurredOn>2025-04-01<", b"<c:OccurredOn>2025-04-01+09:00<")),
        "birth-on-occurred-day-refused": stored(_with(
            notice(change(reason="A03")), b"<c:OccurredOn>2025-04-01<",
            b"<c:OccurredOn>1990-04-01<")),
        "age-at-occurrence-leap-day-internal": stored(_with(
            notice(change()), b"<c:DateOfBirth>1990-04-01<", b"<c:DateOfBirth>2000-02-29<")),
        "seen-ids-pruned-by-sent-at": stored(
            notice(change(), message_id=NOTICE_A, sent_at=old),
            notice(change(), message_id=NOTICE_A, sent_at=old)),
        "seen-id-kept-per-resident-row": stored(
            notice(change(seq=1), message_id=NOTICE_A),
            notice(change(seq=2, name="総務花子")),
            notice(change(seq=1), message_id=NOTICE_A)),
        "seen-ids-read-back-uppercase": stored(
            notice(change(seq=1), message_id=NOTICE_A), ("crash",),
            notice(change(seq=1), message_id=NOTICE_A)),
        "seen-ids-purged-with-removed-resident": stored(
            notice(change(reason="B01"), message_id=NOTICE_A),
            notice(change(reason="B01"), message_id=NOTICE_A)),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
OWN_TESTS = {"chunk-extension-refused"}
CASES = batch_cases(FIFTEENTH_BATCH, APART, OWN_TESTS)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(FIFTEENTH_BATCH, APART, min_per_class=5)
    assert len(roles) == 40 and len(FIFTEENTH_BATCH) == 36
    assert roles.count("subscriber") >= 18 and roles.count("provider") >= 18
    assert FIFTEENTH_MEASURED_MISSES <= set(batch_cases(FIFTEENTH_BATCH, APART))  # its runs


@pytest.mark.parametrize(("name", "role"), CASES)
def test_each_variant_takes_effect(tmp_path, name, role):
    assert_takes_effect(tmp_path, role, name, STEPS[role](name))


# --- the helpers the variants are built on -----------------------------------------------------

def test_last_sax_chunk_splits_at_references_and_cdata():
    assert last_sax_chunk("0000010014") == "0000010014"  # one event: the whole text
    assert last_sax_chunk("0000010&#48;14") == "14"
    assert last_sax_chunk("&#x20BB7;田一郎") == "田一郎"
    assert last_sax_chunk("総務<![CDATA[翔子]]>") == "翔子"
    assert last_sax_chunk("10000<!-- -->00015") == "00015"


def test_kanji_numerals():
    assert [kanji_numeral(n) for n in (1, 2, 10, 12, 20, 35, 105)] == \
        ["一", "二", "十", "十二", "二十", "三十五", "一〇五"]


# --- the HTTP front end (what __main__.py's handler calls) -------------------------------------

class _Handler:
    """What read_body and answer_bad_chunk touch of BaseHTTPRequestHandler."""

    def __init__(self, body: bytes):
        self.headers = email.message.Message()
        self.headers["Transfer-Encoding"] = "chunked"
        self.rfile, self.wfile = io.BytesIO(body), io.BytesIO()
        self.status, self.sent, self.close_connection = None, [], False

    def send_response(self, status):
        self.status = status

    def send_header(self, name, value):
        self.sent.append((name, value))

    def end_headers(self):
        pass


@pytest.mark.parametrize("defect", [None, "chunk-extension-refused"])
def test_chunk_extension_refused_takes_effect(defect):
    body = b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    if defect is None:  # RFC 9112 7.1.1: the extension is ignored
        assert read_body(_Handler(body), defect) == b"hello world"
    else:
        with pytest.raises(BadChunk):
            read_body(_Handler(body), defect)
        handler = _Handler(b"")
        answer_bad_chunk(handler)
        assert handler.status == 400 and handler.close_connection
    plain = b"5\r\nhello\r\n0\r\n\r\n"  # without an extension: read either way
    assert read_body(_Handler(plain), defect) == b"hello"
