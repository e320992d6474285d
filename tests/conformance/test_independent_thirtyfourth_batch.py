"""Each variant of the thirty-fourth batch really takes effect (variants.py THIRTYFOURTH_BATCH,
declared in independent/thirtyfourth.py), in the way of the thirty-third batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. The clock is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not
depend on when the tests run; the variants that write the reply's SentAt are shown to take
effect at a second instant too, 00:30 JST on the first day of a year. The one variant that needs
a SOAPAction field (the transcripts send SOAPAction: "") has a test of its own."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import pytest
from lxml import etree

from tests.support.polling import wait_until

from .independent.adapter import Adapter
from .independent.standard import CMN, JST, JUKI, PFF, PFH, SOAP11
from .independent.thirtyfourth import (THIRTYFOURTH_MEASURED_MISSES, as_utf16,
                                       cp932_round_trip, media_before_semicolon_space,
                                       past_end_page, single_quoted_utf16)
from .independent.thirtyfourth_store import ASYNC_DELAY, day_of, strip_ivs
from .independent.variants import APART, THIRTYFOURTH_BATCH
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import observed as _observed
from .variant_transcripts import replaced as _with
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, NEW_YEAR, PINNED, SOAP12, SOAP12_TYPE,
                                  assert_declared_apart, batch_cases, change, clock_from,
                                  extract, inquiry, missed_runs, neutral_scenario_tests, notice,
                                  transcript, variant_effect_tests)

# the variants that read the clock (the reply's SentAt): shown at NEW_YEAR too
DATED = {"later-pages-sent-at-utc-clock", "kept-out-receipt-sent-at-echoes-notice"}
DURABLE = {"names-replaced-by-original-on-start", "full-linkage-notices-applied-after-receipt",
           "addressee-numbers-padded-to-ten-on-start", "names-nfc-normalised-on-start"}
OWN_TEST = frozenset({"soap12-soap-action-taken-for-soap11"})  # needs a SOAPAction value
NO_SPACE = "text/xml;charset=utf-8"
UTF16_TYPE = "text/xml; charset=utf-16"
RELATED = "3c0ffee0-1b2c-4d5e-8f90-123456789abc"
KAMI = "\ufa19"  # 神, a CJK compatibility ideograph (NFC: U+795E)


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, PINNED)


def _utf16_single(raw: bytes) -> bytes:
    """``raw`` declared UTF-16 in single quotes and encoded UTF-16 (with its byte order mark)."""
    text = raw.decode().replace('<?xml version="1.0" encoding="UTF-8"?>',
                                "<?xml version='1.0' encoding='UTF-16'?>")
    assert text.startswith("<?xml version='1.0' encoding='UTF-16'?>")
    return text.encode("utf-16")


def _full(raw: bytes) -> bytes:
    return _with(raw, "<pfh:LinkageKind>delta<", "<pfh:LinkageKind>full<")


def _relates(raw: bytes) -> bytes:
    """The notice names a request in RelatesTo (an asynchronous result)."""
    return _with(raw, "</pfh:MessageId>", f"</pfh:MessageId><pfh:RelatesTo>{RELATED}"
                                          "</pfh:RelatesTo>")


def _misaddressed(raw: bytes, system: str) -> bytes:
    """A notice addressed to the Receiver SystemId ``system`` instead of the hub."""
    return _with(raw, "<pfh:SystemId>hub<", f"<pfh:SystemId>{system}<")


def _occurred(raw: bytes, day: str) -> bytes:
    return _with(raw, "<c:OccurredOn>2025-04-01<", f"<c:OccurredOn>{day}<")


def _original(raw: bytes, original: str) -> bytes:
    """The change's name carries cmn:Original (a name relayed in 縮退)."""
    return _with(raw, "</c:Text>", f"</c:Text><c:Original>{original}</c:Original>")


def _minutes_ago(minutes: int) -> dt.datetime:
    return dt.datetime.now(JST) - dt.timedelta(minutes=minutes)


def provider_steps(name: str) -> list:
    found = inquiry("0000010014")
    steps: dict[str, list] = {
        "soap12-misrouted-fault-http-500": [
            (inquiry("0000010014", soap=SOAP12, receiver=(GOV, "01", "other")), SOAP12_TYPE)],
        "past-end-page-linkage-kind-delta": [_full(extract(1, as_of="1900-01-01"))],
        "later-pages-request-hash-sha1": [extract(1), ("page", 2)],
        "utf16-faults-labelled-utf8": [("utf-16", inquiry(BAD_CHECK_DIGIT))],
        "content-type-split-on-semicolon-space": [(found, NO_SPACE)],
        "utf16-declaration-single-quoted-read-as-utf8": [(_utf16_single(found), UTF16_TYPE)],
        "dated-answers-names-via-cp932": [inquiry("0000010073", as_of="2026-01-01")],
        "later-pages-sent-at-utc-clock": [extract(1), ("page", 2)],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "soap12-misrouted-fault-http-500": [
            (_misaddressed(notice(change(), soap=SOAP12), "hub2"), SOAP12_TYPE)],
        "refused-notice-fault-message-id-from-relates-to": [
            _relates(notice(change(reason="Z99")))],
        "utf16-faults-labelled-utf8": [("utf-16", notice(change(reason="Z99")))],
        "content-type-split-on-semicolon-space": stored((one, NO_SPACE)),
        "utf16-declaration-single-quoted-read-as-utf8": stored((_utf16_single(one), UTF16_TYPE)),
        "soap12-notice-names-nfc": stored(
            (notice(change(name=f"{KAMI}谷翔子"), soap=SOAP12), SOAP12_TYPE)),
        "multi-change-notices-ivs-stripped": stored(
            notice(change(name="渡邉\U000e011f子"), change(number="0000010049", name="高橋健一"))),
        "equal-sequence-later-occurred-on-applied": stored(
            notice(change(seq=3)), _occurred(notice(change(seq=3, name="総務花子")), "2025-04-02")),
        "kept-out-receipt-sent-at-echoes-notice": [
            notice(change(seq=3)), notice(change(seq=2), sent_at=_minutes_ago(4))],
        "names-replaced-by-original-on-start": stored(
            _original(notice(change(number="0000010057", name="高橋美咲")), "髙橋美咲"),
            ("crash",), number="0000010057"),
        "full-linkage-notices-applied-after-receipt": stored(_full(one), ("crash",)),
        "addressee-numbers-padded-to-ten-on-start": stored(
            notice(change(number="19")), ("crash",), number="19"),
        "names-nfc-normalised-on-start": stored(notice(change(name=f"{KAMI}谷翔子")), ("crash",)),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(THIRTYFOURTH_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(THIRTYFOURTH_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own and len(THIRTYFOURTH_BATCH) == len(set(THIRTYFOURTH_BATCH))
    assert 18 <= len(THIRTYFOURTH_BATCH) <= 20 and len(roles) >= 22
    assert DATED <= THIRTYFOURTH_BATCH and DURABLE <= THIRTYFOURTH_BATCH
    assert OWN_TEST <= THIRTYFOURTH_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(THIRTYFOURTH_MEASURED_MISSES, THIRTYFOURTH_BATCH, APART)
    assert len(THIRTYFOURTH_MEASURED_MISSES) == 5  # variants missed, 18/23 runs on 7a47612
    assert len(missed) == 5 and set(missed) <= set(CASES) and len(CASES) + 2 == 23


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.1 inquiry of a resident held by 宛名番号 and one by 個人番号 over SOAP 1.2; a first
    全件 page. Two 転居 (C01) of one resident (JIS X 0208 names), one per notice, sent in order
    (the second over SOAP 1.2), observed; a restart; a third, newer, observed."""
    return {
        "provider": [inquiry("0000010014"),
                     (inquiry("678901234562", by="IndividualNumber", soap=SOAP12), SOAP12_TYPE),
                     extract(1)],
        "subscriber": [notice(change(number="0000010049", name="高橋健一")),
                       (notice(change(seq=2, number="0000010049", name="高橋健二"), soap=SOAP12),
                        SOAP12_TYPE),
                       ("observe", "0000010049"), ("crash",),
                       notice(change(seq=3, number="0000010049", name="高橋健三")),
                       ("observe", "0000010049")],
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {"provider": set(), "subscriber": set()}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


def test_the_own_test_variant_leaves_the_neutral_scenario(tmp_path):
    name = "soap12-soap-action-taken-for-soap11"
    for role in APART[name][1]:
        db = tmp_path / f"{role}.sqlite3"
        assert transcript(role, tmp_path / f"right-{role}.sqlite3", None, neutral(role)) == \
            transcript(role, db, name, neutral(role))


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def _handle(defect, role, raw, ctype, soap_action, tmp_path):
    db = None if role == "provider" else tmp_path / f"{uuid.uuid4().hex}.sqlite3"
    unit = "01" if role == "provider" else "07"
    return Adapter(role, GOV, unit, "indie", db=db, defect=defect).handle(raw, ctype, soap_action)


def test_the_soap_action_variant_takes_effect(tmp_path):
    name = "soap12-soap-action-taken-for-soap11"
    for role, raw in (("provider", inquiry("0000010014", soap=SOAP12)),
                      ("subscriber", notice(change(), soap=SOAP12))):
        action = '"urn:pfbus:service:x"'
        right = _handle(None, role, raw, SOAP12_TYPE, action, tmp_path)
        wrong = _handle(name, role, raw, SOAP12_TYPE, action, tmp_path)
        assert right.status == 200 and right.content_type.startswith("application/soap+xml")
        assert wrong.status == 500 and wrong.content_type.startswith("text/xml")
        fault = etree.fromstring(wrong.body)
        assert fault.tag == f"{{{SOAP11}}}Envelope"
        assert fault.findtext(".//faultcode").endswith(":VersionMismatch")
        for empty in ('""', None):  # a SOAPAction without a value, or none: right
            assert _handle(name, role, raw, SOAP12_TYPE, empty, tmp_path).status == 200
        soap11 = inquiry("0000010014") if role == "provider" else notice(change())
        assert _handle(name, role, soap11, "text/xml; charset=utf-8", action,
                       tmp_path).status == 200


def test_the_shape_variants_write_what_they_say(tmp_path):
    name = "soap12-misrouted-fault-http-500"
    for role, raw in (
            ("provider", inquiry("0000010014", soap=SOAP12, receiver=(GOV, "01", "other"))),
            ("subscriber", _misaddressed(notice(change(), soap=SOAP12), "hub2"))):
        right = _answer(None, raw, SOAP12_TYPE, role, tmp_path)
        wrong = _answer(name, raw, SOAP12_TYPE, role, tmp_path)
        assert b"PF-PROVIDER-MISROUTED" in right.body and right.status == 400
        assert wrong.status == 500 and wrong.body == right.body
        soap11 = raw.replace(SOAP12.encode(), SOAP11.encode())  # SOAP 1.1: 500 both, right
        assert _answer(name, soap11, role=role, tmp_path=tmp_path).status == 500
    bad = _answer(name, inquiry(BAD_CHECK_DIGIT, soap=SOAP12), SOAP12_TYPE)  # other faults
    assert bad.status == 400
    name = "past-end-page-linkage-kind-delta"
    raw = _full(extract(1, as_of="1900-01-01"))
    assert _tree(None, raw).findtext(f".//{{{PFH}}}LinkageKind") == "full"
    assert _tree(name, raw).findtext(f".//{{{PFH}}}LinkageKind") == "delta"
    assert _tree(name, _full(extract(1))).findtext(f".//{{{PFH}}}LinkageKind") == "full"
    name = "refused-notice-fault-message-id-from-relates-to"
    raw = _relates(notice(change(reason="Z99")))
    right = _tree(None, raw, role="subscriber", tmp_path=tmp_path)
    wrong = _tree(name, raw, role="subscriber", tmp_path=tmp_path)
    assert right.findtext(f".//{{{PFF}}}Code") == wrong.findtext(f".//{{{PFF}}}Code") == \
        "PF-RULE-VIOLATION"
    assert wrong.findtext(f".//{{{PFF}}}MessageId") == RELATED != \
        right.findtext(f".//{{{PFF}}}MessageId")
    plain = notice(change(reason="Z99"))  # without RelatesTo: right
    assert _tree(name, plain, role="subscriber", tmp_path=tmp_path).findtext(
        f".//{{{PFF}}}MessageId") == _tree(None, plain, role="subscriber",
                                           tmp_path=tmp_path).findtext(f".//{{{PFF}}}MessageId")
    name = "utf16-faults-labelled-utf8"
    utf16 = inquiry(BAD_CHECK_DIGIT).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    wrong = _answer(name, utf16.encode("utf-16"), UTF16_TYPE)
    assert wrong.body[:2] == b"\xff\xfe" and wrong.content_type.endswith("charset=utf-8")
    found = inquiry("0000010014").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    answer = _answer(name, found.encode("utf-16"), UTF16_TYPE)  # an answer: UTF-16, labelled so
    assert answer.body[:2] == b"\xff\xfe" and answer.content_type.endswith("charset=utf-16")
    assert "総務翔子" in answer.body.decode("utf-16")


def test_the_page_variants_write_what_they_say(tmp_path):
    import base64
    import hashlib
    for name in ("later-pages-request-hash-sha1", "later-pages-sent-at-utc-clock"):
        adapter = Adapter("provider", GOV, "01", "indie", defect=name)
        first = etree.fromstring(adapter.handle(extract(1), "text/xml; charset=utf-8", '""').body)
        extract_id = first.findtext(f".//{{{JUKI}}}ExtractId")
        second_raw = extract(2, extract_id=extract_id)
        second = etree.fromstring(adapter.handle(second_raw, "text/xml; charset=utf-8",
                                                 '""').body)
        assert second.findtext(f".//{{{JUKI}}}Page") == "2"
        if name == "later-pages-request-hash-sha1":
            assert second.findtext(f".//{{{PFH}}}RequestHash") == base64.b64encode(
                hashlib.sha1(second_raw).digest()).decode()
        else:
            sent = dt.datetime.fromisoformat(second.findtext(f".//{{{PFH}}}SentAt"))
            behind = dt.datetime.now(JST) - sent
            assert dt.timedelta(hours=8, minutes=59) < behind < dt.timedelta(hours=9, minutes=1)
            sent = dt.datetime.fromisoformat(first.findtext(f".//{{{PFH}}}SentAt"))
            assert abs(dt.datetime.now(JST) - sent) < dt.timedelta(minutes=1)


def test_the_input_variants_answer_what_they_say(tmp_path):
    name = "content-type-split-on-semicolon-space"
    wrong = _answer(name, inquiry("0000010014"), NO_SPACE)
    assert wrong.status == 415 and b"PF-CONTENT-TYPE" in wrong.body
    assert b"<juki:Status>found<" in _answer(None, inquiry("0000010014"), NO_SPACE).body
    for ctype in ("text/xml; charset=utf-8", "text/xml ; charset=utf-8", "TEXT/XML",
                  'application/soap+xml; action="a;b"; charset=utf-8'):
        soap = SOAP12 if ctype.startswith("application") else SOAP11
        assert _answer(name, inquiry("0000010014", soap=soap), ctype).status == 200, ctype
    name = "utf16-declaration-single-quoted-read-as-utf8"
    raw = _utf16_single(inquiry("0000010014"))
    assert b"<juki:Status>found<" in _answer(None, raw, UTF16_TYPE).body
    assert b"PF-SOAP-ENVELOPE" in _answer(name, raw, UTF16_TYPE).body
    double = inquiry("0000010014").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert _answer(name, double.encode("utf-16"), UTF16_TYPE).status == 200  # double: right
    single8 = inquiry("0000010014").replace(b'encoding="UTF-8"', b"encoding='UTF-8'")
    assert _answer(name, single8).status == 200  # single quotes in UTF-8: right


def test_the_character_variants_write_what_they_say(tmp_path):
    name = "dated-answers-names-via-cp932"
    raw = inquiry("0000010073", as_of="2026-01-01")
    right = [el.text for el in _tree(None, raw).iter(f"{{{CMN}}}Text")]
    wrong = [el.text for el in _tree(name, raw).iter(f"{{{CMN}}}Text")]
    assert right[0] == "\U00020bb7田一郎" and wrong[0] == "?田一郎"
    assert wrong == [cp932_round_trip(t) for t in right]
    plain = [inquiry("0000010073")]  # without AsOf: right
    assert transcript("provider", None, None, plain) == transcript("provider", None, name, plain)
    name = "soap12-notice-names-nfc"
    steps = subscriber_steps(name)
    assert f"'name': '{KAMI}谷翔子'" in _observed(tmp_path, None, steps)[-1]
    assert "'name': '\u795e谷翔子'" in _observed(tmp_path, name, steps)[-1]
    soap11 = [notice(change(name=f"{KAMI}谷翔子")), ("observe", "0000010014")]  # 1.1: right
    assert _observed(tmp_path, None, soap11) == _observed(tmp_path, name, soap11)
    name = "multi-change-notices-ivs-stripped"
    steps = subscriber_steps(name)
    assert "'name': '渡邉\U000e011f子'" in _observed(tmp_path, None, steps)[-1]
    assert "'name': '渡邉子'" in _observed(tmp_path, name, steps)[-1]
    single = [notice(change(name="渡邉\U000e011f子")), ("observe", "0000010014")]  # one: right
    assert _observed(tmp_path, None, single) == _observed(tmp_path, name, single)


def test_the_time_variants_write_what_they_say(tmp_path):
    name = "equal-sequence-later-occurred-on-applied"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "'name': '総務翔子', 'changes_applied': 1" in right[-1]
    assert "'name': '総務花子', 'changes_applied': 2" in wrong[-1]
    same_day = [notice(change(seq=3)), notice(change(seq=3, name="総務花子")),
                ("observe", "0000010014")]  # the same OccurredOn: kept out, right
    assert _observed(tmp_path, None, same_day) == _observed(tmp_path, name, same_day)
    name = "kept-out-receipt-sent-at-echoes-notice"
    late = _minutes_ago(4)
    steps = [notice(change(seq=3)), notice(change(seq=2), sent_at=late)]
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert right[0] == wrong[0] and "<SentAt +0min" in right[1] and "<SentAt -4min" in wrong[1]
    applied = [notice(change(seq=1), sent_at=late)]  # applied: its own SentAt, right
    assert _observed(tmp_path, None, applied) == _observed(tmp_path, name, applied)


def test_the_durable_variants_lose_what_they_say(tmp_path):
    for name, right_state, wrong_state in (
            ("names-replaced-by-original-on-start", "'name': '高橋美咲'", "'name': '髙橋美咲'"),
            ("full-linkage-notices-applied-after-receipt", "'name': '総務翔子'", "None"),
            ("addressee-numbers-padded-to-ten-on-start", "'name': '総務翔子'", "None"),
            ("names-nfc-normalised-on-start", f"'name': '{KAMI}谷翔子'", "'name': '\u795e谷翔子'")):
        steps = subscriber_steps(name)
        right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
        assert right_state in right[-1] and wrong_state in wrong[-1], (name, right, wrong)
        if name == "full-linkage-notices-applied-after-receipt":
            continue  # without a restart it is stored a moment after the receipt
        kept = [s for s in steps if s[0] != "crash"]  # without a restart: right
        assert _observed(tmp_path, None, kept) == _observed(tmp_path, name, kept), name
    name = "full-linkage-notices-applied-after-receipt"
    adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / "late.sqlite3",
                      defect=name)
    answer = adapter.handle(_full(notice(change())), "text/xml; charset=utf-8", '""')
    assert b"applied</pfr:Status>" in answer.body and adapter.observe("0000010014") is None
    held = {"name": "総務翔子", "changes_applied": 1}
    wait_until(lambda: adapter.observe("0000010014") == held, ASYNC_DELAY + 10,
               "the bulk loader to apply the full notice")
    delta = [notice(change()), ("crash",), ("observe", "0000010014")]  # delta: right
    assert _observed(tmp_path, None, delta) == _observed(tmp_path, name, delta)


def test_the_sent_at_variants_at_new_year(monkeypatch):
    clock_from(monkeypatch, NEW_YEAR)
    adapter = Adapter("provider", GOV, "01", "indie", defect="later-pages-sent-at-utc-clock")
    first = etree.fromstring(adapter.handle(extract(1), "text/xml; charset=utf-8", '""').body)
    second = etree.fromstring(adapter.handle(
        extract(2, extract_id=first.findtext(f".//{{{JUKI}}}ExtractId")),
        "text/xml; charset=utf-8", '""').body)
    assert second.findtext(f".//{{{PFH}}}SentAt").startswith("2026-12-31T15:3")


def test_the_helpers_the_variants_are_built_on():
    assert media_before_semicolon_space("text/xml;charset=utf-8") == "text/xml;charset=utf-8"
    assert media_before_semicolon_space("Text/XML; charset=utf-8") == "text/xml"
    assert single_quoted_utf16("<?xml version='1.0' encoding='UTF-16'?><a/>".encode("utf-16"))
    assert not single_quoted_utf16('<?xml version="1.0" encoding="UTF-16"?><a/>'.encode("utf-16"))
    assert not single_quoted_utf16("<?xml version='1.0'?><a/>".encode("utf-16"))
    assert not single_quoted_utf16(b"<?xml version='1.0' encoding='UTF-8'?><a/>")
    assert cp932_round_trip("𠮷田髙橋〜") == "?田髙橋\uff5e"
    assert strip_ivs("渡邉\U000e011f葛\U000e0102") == "渡邉葛"
    assert day_of(" 2025-04-02+09:00 ") == "2025-04-02" and day_of(None) == ""
    assert as_utf16(b"<?xml version='1.0' encoding='UTF-8'?>\n<a>\xe7\xb7\x8f</a>")[:2] == \
        b"\xff\xfe"
    page = etree.fromstring(f'<j:ResidentFullExtractResponse xmlns:j="{JUKI}"><j:ExtractId>x'
                            "</j:ExtractId><j:Page>2</j:Page><j:TotalPages>1</j:TotalPages>"
                            "<j:TotalCount>3</j:TotalCount></j:ResidentFullExtractResponse>")
    assert past_end_page(page)


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("<pfh:LinkageKind>delta<", '<?xml version="1.0" encoding="UTF-8"?>',
                 "</pfh:MessageId>", "</c:Text>", "<c:OccurredOn>2025-04-01<"):
        assert part.encode() in one, part
    assert b"<pfh:SystemId>hub<" in one and b"<pfh:SystemId>hub2<" in _misaddressed(one, "hub2")
    assert b"<pfh:SystemId>tax<" in _misaddressed(one, "hub2")
