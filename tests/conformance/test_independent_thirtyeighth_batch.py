"""Each variant of the thirty-eighth batch really takes effect (variants.py THIRTYEIGHTH_BATCH,
declared in independent/thirtyeighth.py), in the way of the thirty-seventh batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. The clock is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not
depend on when the tests run; the variants that read a date are shown to take effect at a second
instant too, 00:30 JST on the first day of a year."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest

from tests.support.polling import wait_until

from .independent.adapter import JST, Adapter
from .independent.standard import CMN, JUKI, PFF, PFH
from .independent.thirtyeighth import (THIRTYEIGHTH_DEFECTS, THIRTYEIGHTH_MEASURED_MISSES,
                                       dated_as_request, declared_encoding, has_parameter,
                                       is_ward, quoted_pair_in_value)
from .independent.thirtyeighth_store import (ASYNC_DELAY, canonically_equal, loaded_at_start,
                                             seconds_ahead)
from .independent.variants import APART, THIRTYEIGHTH_BATCH
from .variant_transcripts import as_soap12 as _soap12
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import fault_code as _code
from .variant_transcripts import receipt_status as _receipt
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import observed as _observed
from .variant_transcripts import replaced as _with
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, NOT_HELD, PINNED, SOAP12, SOAP12_TYPE,
                                  TEXT_XML, answer_text, assert_declared_apart, batch_cases, change,
                                  clock_from, extract, inquiry, missed_runs,
                                  neutral_restart_scenario, neutral_scenario_tests, notice,
                                  transcript, variant_effect_tests)

# the variants that read a date or the clock: shown at NEW_YEAR too
DATED = {"reply-sent-at-date-of-request", "extract-request-sent-at-ahead-refused",
         "foreigner-change-before-2012-refused", "notices-stamped-ahead-applied-at-their-sent-at"}
DURABLE = {"notices-with-action-parameter-applied-after-receipt",
           "seen-ids-last-shard-not-loaded-on-start",
           "notices-stamped-ahead-applied-at-their-sent-at"}
OWN_TEST: frozenset[str] = frozenset()  # every variant takes effect on a scenario of its own
UTF16_TYPE = "text/xml; charset=utf-16"
QUOTED_PAIR_TYPE = 'text/xml; x="a\\"b"; charset=utf-8'
ACTION_TYPE = 'application/soap+xml; charset=utf-8; action="urn:pfbus:juki.ResidentChangeNotice"'
F_NOTICE = "f1c2a3e0-1b2c-4d5e-8f90-123456789abc"  # a MessageId whose first hex digit is f
WARD = "141011"  # 横浜市鶴見区 (JIS X 0402 14101, check digit 1)


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, PINNED)


def _utf16_lower(raw: bytes) -> tuple[bytes, str]:
    """``raw`` in UTF-16 with its byte order mark, declared encoding="utf-16"."""
    return _with(raw, 'encoding="UTF-8"', 'encoding="utf-16"').decode().encode("utf-16"), \
        UTF16_TYPE


def _utf16_upper(raw: bytes) -> tuple[bytes, str]:
    return _with(raw, 'encoding="UTF-8"', 'encoding="UTF-16"').decode().encode("utf-16"), \
        UTF16_TYPE


def _undeclared(raw: bytes) -> bytes:
    """``raw`` without its XML declaration (UTF-8 then)."""
    text = raw.decode()
    assert text.startswith("<?xml")
    return text.split("?>", 1)[1].encode()


def _bad_header(raw: bytes) -> bytes:
    """``raw`` whose pfh:UserId breaks UserIdType (a letter or digit first)."""
    return _with(raw, "<pfh:UserId>batch<", "<pfh:UserId>-batch<")


def _from_ward(raw: bytes) -> bytes:
    """``raw`` sent by a system of 横浜市鶴見区 (the Sender comes first)."""
    return _with(raw, f"<pfh:LocalGovCode>{GOV}<", f"<pfh:LocalGovCode>{WARD}<")


def _sent(raw: bytes, seconds: float) -> bytes:
    """``raw`` stamped ``seconds`` from now (JST)."""
    stamped = (dt.datetime.now(JST) + dt.timedelta(seconds=seconds)).isoformat(timespec="seconds")
    return re.sub(rb"<pfh:SentAt>[^<]+<", f"<pfh:SentAt>{stamped}<".encode(), raw, count=1)


def _yesterday(raw: bytes) -> bytes:
    return _sent(raw, -86400)


def _foreigner(raw: bytes) -> bytes:
    """``raw`` whose (first) change's resident is a 外国人住民 (ResidentKind 2)."""
    return _with(raw, "<c:ResidentKind>1<", "<c:ResidentKind>2<")


def _former_surname(raw: bytes, text: str = "神田") -> bytes:
    return _with(raw, "</c:Name>", f"</c:Name><c:FormerSurname><c:Text>{text}</c:Text>"
                                   "</c:FormerSurname>")


def _resident_code(raw: bytes, code: str = "12345678901") -> bytes:
    return _with(raw, "<c:IndividualNumber>", f"<c:ResidentCode>{code}</c:ResidentCode>"
                                              "<c:IndividualNumber>")


def _dated(raw: bytes, day: str) -> bytes:
    return _with(raw, "<c:OccurredOn>2025-04-01<", f"<c:OccurredOn>{day}<")


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "past-end-page-request-hash-omitted": [extract(1), ("page", 5)],
        "header-invalid-fault-as-server": [_bad_header(inquiry("0000010014"))],
        "address-fixed-on-omitted-when-same-day": [inquiry("0000010014")],
        "content-type-quoted-pair-ends-string": [(inquiry("0000010014"), QUOTED_PAIR_TYPE)],
        "extract-snapshots-per-soap-endpoint": [_soap12(extract(1)), ("page", 2)],
        "sender-ward-code-refused": [_from_ward(inquiry("0000010014"))],
        "utf16-declaration-lowercase-read-as-utf8": [_utf16_lower(inquiry("0000010014"))],
        "undeclared-request-answered-in-windows-31j": [_undeclared(inquiry("0000010073"))],
        "no-charset-request-answered-in-latin1": [(inquiry("0000010014"), "text/xml")],
        "reply-sent-at-date-of-request": [_yesterday(inquiry("0000010014"))],
        "extract-request-sent-at-ahead-refused": [_sent(extract(1), 120)],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "header-invalid-fault-as-server": stored(_bad_header(one)),
        "resident-code-change-without-code-internal": stored(notice(change(reason="C07"))),
        "content-type-quoted-pair-ends-string": stored((one, QUOTED_PAIR_TYPE)),
        "foreigner-former-surname-refused": stored(_former_surname(_foreigner(one))),
        "sender-ward-code-refused": stored(_from_ward(one)),
        "glyph-correction-skipped-canonically-equal": stored(
            notice(change(name="神谷花子")), notice(change(seq=2, name="\ufa19谷花子",
                                                             reason="C12"))),
        "utf16-declaration-lowercase-read-as-utf8": stored(_utf16_lower(one)),
        "no-charset-request-answered-in-latin1": stored((one, "text/xml")),
        "reply-sent-at-date-of-request": stored(_yesterday(one)),
        "foreigner-change-before-2012-refused": stored(
            _dated(_foreigner(notice(change(reason="C12"))), "2010-05-01")),
        "notices-with-action-parameter-applied-after-receipt": stored(
            (notice(change(), soap=SOAP12), ACTION_TYPE), ("crash",)),
        "seen-ids-last-shard-not-loaded-on-start": stored(
            notice(change(), message_id=F_NOTICE), ("crash",),
            notice(change(), message_id=F_NOTICE)),
        "notices-stamped-ahead-applied-at-their-sent-at": stored(_sent(one, 120)),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(THIRTYEIGHTH_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(THIRTYEIGHTH_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own
    assert len(THIRTYEIGHTH_BATCH) == len(set(THIRTYEIGHTH_BATCH))
    assert 18 <= len(THIRTYEIGHTH_BATCH) <= 20 and len(roles) >= 22
    assert DATED <= THIRTYEIGHTH_BATCH and DURABLE <= THIRTYEIGHTH_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)
    assert abs(roles.count("provider") - roles.count("subscriber")) <= 2  # balanced
    assert set(THIRTYEIGHTH_DEFECTS) == THIRTYEIGHTH_BATCH


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(THIRTYEIGHTH_MEASURED_MISSES, THIRTYEIGHTH_BATCH, APART)
    assert len(THIRTYEIGHTH_MEASURED_MISSES) == 3  # variants missed, 20/24 runs on 53bfd4d
    assert len(missed) == 4 and set(missed) <= set(CASES)
    assert len(CASES) == 24


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.1 inquiry of a resident held by 宛名番号 and one of another over SOAP 1.2 (JIS X
    0208 names); a first 全件 request for page 2 and page 3 (two residents a page). A 転入 (A01)
    of a resident not held, then two 転居 (C01), one per notice (the second over SOAP 1.2),
    observed; a restart; a third, newer, observed."""
    return {
        "provider": [inquiry("0000010014"), _soap12(inquiry("0000010022")),
                     extract(2, page_size=2), ("page", 3, 2)],
        "subscriber": neutral_restart_scenario(),
    }[role]


# every resident of the test data became a resident the day its address was fixed: each found
# answer loses cmn:AddressFixedOn (test_the_answer_variants_write_what_they_say: not when apart)
TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {
    "provider": {"address-fixed-on-omitted-when-same-day"}, "subscriber": set()}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------


def _status(answer) -> str | None:
    return answer_text(answer, f"{{{JUKI}}}Status")



def _sent_at(answer) -> str | None:
    return answer_text(answer, f"{{{PFH}}}SentAt")


def test_the_fault_variants_write_what_they_say(tmp_path):
    name = "header-invalid-fault-as-server"
    for role, raw in (("provider", _bad_header(inquiry("0000010014"))),
                      ("subscriber", _bad_header(notice(change())))):
        right = _tree(None, raw, role=role, tmp_path=tmp_path)
        wrong = _tree(name, raw, role=role, tmp_path=tmp_path)
        assert right.findtext(f".//{{{PFF}}}Code") == wrong.findtext(f".//{{{PFF}}}Code") == \
            "PF-HEADER-INVALID"
        assert right.findtext(".//faultcode") == "soap:Client"
        assert wrong.findtext(".//faultcode") == "soap:Server"
        assert wrong.findtext(f".//{{{PFF}}}Party") == "provider"
    over_12 = _answer(name, *_soap12(_bad_header(inquiry("0000010014"))))
    assert over_12.status == 500 and b"soap:Receiver" in over_12.body
    rule = _tree(name, inquiry(BAD_CHECK_DIGIT))  # another client fault: right
    assert rule.findtext(".//faultcode") == "soap:Client"
    assert rule.findtext(f".//{{{PFF}}}Party") == "client"


def test_the_front_end_variants_refuse_what_they_say(tmp_path):
    name = "content-type-quoted-pair-ends-string"
    raw = inquiry("0000010014")
    for ctype, refused in ((QUOTED_PAIR_TYPE, True), ('text/xml; x="a;b"; charset=utf-8', False),
                           ('text/xml; charset="utf-8"', False), (TEXT_XML, False)):
        assert _status(_answer(None, raw, ctype)) == "found"
        assert (_code(_answer(name, raw, ctype)) == "PF-CONTENT-TYPE") is refused, ctype
    name = "utf16-declaration-lowercase-read-as-utf8"
    for role, plain in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        lower, upper = _utf16_lower(plain), _utf16_upper(plain)
        right = _answer(None, *lower, role=role, tmp_path=tmp_path)
        assert right.status == 200 and _code(right) is None, role
        assert _code(_answer(name, *lower, role=role, tmp_path=tmp_path)) == "PF-SOAP-ENVELOPE"
        assert _answer(name, *upper, role=role, tmp_path=tmp_path).status == 200
        lower_8 = _with(plain, 'encoding="UTF-8"', 'encoding="utf-8"')  # UTF-8: right
        assert _answer(name, lower_8, role=role, tmp_path=tmp_path).status == 200
    name = "sender-ward-code-refused"
    for role, plain in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        assert _answer(None, _from_ward(plain), role=role, tmp_path=tmp_path).status == 200
        assert _code(_answer(name, _from_ward(plain), role=role, tmp_path=tmp_path)) == \
            "PF-HEADER-INVALID"
    for code in ("141003", "011002", "271004", "130001"):  # 横浜市, 札幌市, 大阪市, 東京都: right
        sent = _with(raw, f"<pfh:LocalGovCode>{GOV}<", f"<pfh:LocalGovCode>{code}<")
        assert _status(_answer(name, sent)) == "found", code


def test_the_answer_variants_write_what_they_say():
    name = "past-end-page-request-hash-omitted"
    steps = [extract(1), ("page", 4), ("page", 5)]
    right = transcript("provider", None, None, steps)
    wrong = transcript("provider", None, name, steps)
    assert all("RequestHash" in answer for answer in right)
    assert wrong[:2] == right[:2] and "RequestHash" not in wrong[2]  # the last page: right
    name = "address-fixed-on-omitted-when-same-day"
    fixed = f".//{{{CMN}}}AddressFixedOn"
    assert len(_tree(None, inquiry("0000010014")).findall(fixed)) == 4  # the resident, 3 members
    assert _tree(name, inquiry("0000010014")).findall(fixed) == []
    assert _tree(name, inquiry("0000010014")).find(f".//{{{CMN}}}BecameResidentOn") is not None
    name = "undeclared-request-answered-in-windows-31j"
    undeclared = _undeclared(inquiry("0000010073"))
    right_answer = _answer(None, undeclared)
    assert "\U00020bb7田一郎".encode() in right_answer.body
    wrong_answer = _answer(name, undeclared)
    assert wrong_answer.content_type.endswith("charset=windows-31j")
    assert "?田一郎".encode("cp932") in wrong_answer.body
    declared = _answer(name, inquiry("0000010073"))  # a request with a declaration: right
    assert declared.content_type == TEXT_XML and "\U00020bb7田一郎".encode() in declared.body
    name = "no-charset-request-answered-in-latin1"
    wrong_answer = _answer(name, inquiry("0000010014"), "text/xml")
    assert wrong_answer.content_type == "text/xml; charset=iso-8859-1"
    assert b"????" in wrong_answer.body and b"encoding='iso-8859-1'" in wrong_answer.body
    assert _answer(name, inquiry("0000010014")).content_type == TEXT_XML  # a charset: right
    name = "extract-snapshots-per-soap-endpoint"
    steps = [_soap12(extract(1)), ("page", 2)]
    assert "PF-EXTRACT-UNKNOWN" in transcript("provider", None, name, steps)[1]
    assert "PF-EXTRACT-UNKNOWN" not in transcript("provider", None, None, steps)[1]
    same = [extract(1), ("page", 2)]  # the same binding: right
    assert transcript("provider", None, name, same)[1].startswith("200 ")


def test_the_clock_variants_write_what_they_say(tmp_path):
    def behind(answer) -> float:
        sent = dt.datetime.fromisoformat(_sent_at(answer))
        return (dt.datetime.now(JST) - sent).total_seconds()
    name = "reply-sent-at-date-of-request"
    for role, plain in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        assert abs(behind(_answer(None, _yesterday(plain), role=role, tmp_path=tmp_path))) < 60
        wrong = _answer(name, _yesterday(plain), role=role, tmp_path=tmp_path)
        assert abs(behind(wrong) - 86400) < 60, role
        assert abs(behind(_answer(name, plain, role=role, tmp_path=tmp_path))) < 60  # today
    name = "extract-request-sent-at-ahead-refused"
    assert _answer(None, _sent(extract(1), 120)).status == 200
    assert _code(_answer(name, _sent(extract(1), 120))) == "PF-MESSAGE-STALE"
    assert _answer(name, extract(1)).status == 200  # stamped now: right
    assert _status(_answer(name, _sent(inquiry("0000010014"), 120))) == "found"  # an inquiry


def test_the_notice_variants_refuse_what_they_say(tmp_path):
    def answer(defect, raw):
        return _answer(defect, raw, role="subscriber", tmp_path=tmp_path)
    name = "resident-code-change-without-code-internal"
    c07 = notice(change(reason="C07"))
    assert _receipt(answer(None, c07)) == "applied"
    assert _code(answer(name, c07)) == "PF-PROVIDER-INTERNAL"
    for right in (_resident_code(c07), notice(change())):
        assert _receipt(answer(name, right)) == "applied"
    name = "foreigner-former-surname-refused"
    both = _former_surname(_foreigner(notice(change())))
    assert _receipt(answer(None, both)) == "applied"
    assert _code(answer(name, both)) == "VENDOR-FORMER-SURNAME"
    for right in (_former_surname(notice(change())), _foreigner(notice(change()))):
        assert _receipt(answer(name, right)) == "applied"
    name = "foreigner-change-before-2012-refused"
    for day, refused in (("2010-05-01", True), ("2012-07-08", True), ("2012-07-09", False)):
        raw = _dated(_foreigner(notice(change(reason="C12"))), day)
        assert _receipt(answer(None, raw)) == "applied"
        assert (_code(answer(name, raw)) == "VENDOR-DATE") is refused, day
    assert _receipt(answer(name, _dated(notice(change()), "2010-05-01"))) == "applied"  # 日本人


def test_the_store_variants_hold_what_they_say(tmp_path):
    name = "glyph-correction-skipped-canonically-equal"
    steps = subscriber_steps(name)
    assert "'name': '\ufa19谷花子', 'changes_applied': 2" in _observed(tmp_path, None, steps)[-1]
    assert "'name': '神谷花子', 'changes_applied': 2" in _observed(tmp_path, name, steps)[-1]
    other = [notice(change(name="神谷花子")), notice(change(seq=2, name="神田花子")),
             ("observe", "0000010014")]  # another name: right
    assert _observed(tmp_path, None, other) == _observed(tmp_path, name, other)


def test_the_durable_variants_lose_what_they_say(tmp_path):
    name = "notices-with-action-parameter-applied-after-receipt"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "applied</pfr:Status>" in right[0] and "applied</pfr:Status>" in wrong[0]
    assert "'changes_applied': 1" in right[-1] and wrong[-1] == "None"
    plain = [(notice(change(), soap=SOAP12), SOAP12_TYPE), ("crash",), ("observe", "0000010014")]
    assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain)
    adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / "late.sqlite3",
                      defect=name)
    answer = adapter.handle(notice(change(), soap=SOAP12), ACTION_TYPE, None)
    assert b"applied</pfr:Status>" in answer.body and adapter.observe("0000010014") is None
    wait_until(lambda: adapter.observe("0000010014") is not None, ASYNC_DELAY + 10,
               "the pipeline to apply the notice")
    name = "seen-ids-last-shard-not-loaded-on-start"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "duplicate</pfr:Status>" in right[1] and "applied</pfr:Status>" in wrong[1]
    assert right[-1] == wrong[-1]  # received anew (applied), its change kept out by 異動連番
    other = "0d6e1f2a-3b4c-4d5e-9f01-23456789abcd"  # another first digit: right
    again = [notice(change(), message_id=other), ("crash",), notice(change(), message_id=other),
             ("observe", "0000010014")]
    assert _observed(tmp_path, None, again) == _observed(tmp_path, name, again)
    name = "notices-stamped-ahead-applied-at-their-sent-at"
    crashed = [_sent(notice(change()), 120), ("crash",), ("observe", "0000010014")]
    assert "'changes_applied': 1" in _observed(tmp_path, None, crashed)[-1]
    assert _observed(tmp_path, name, crashed)[-1] == "None"
    adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / "ahead.sqlite3",
                      defect=name)
    answer = adapter.handle(_sent(notice(change()), 2), TEXT_XML, None)
    assert b"applied</pfr:Status>" in answer.body and adapter.observe("0000010014") is None
    wait_until(lambda: adapter.observe("0000010014") is not None, 15,
               "the scheduler to apply the notice at its SentAt")


def test_the_helpers_the_variants_are_built_on():
    assert declared_encoding(b'<?xml version="1.0" encoding="utf-16"?><a/>') == "utf-16"
    assert declared_encoding('<?xml version="1.0" encoding="utf-16"?><a/>'.encode("utf-16")) \
        == "utf-16"
    assert declared_encoding(b"<a/>") is None and declared_encoding(b"<?xml version='1.0'?><a/>") \
        == ""
    assert quoted_pair_in_value(QUOTED_PAIR_TYPE) and not quoted_pair_in_value(TEXT_XML)
    assert has_parameter(ACTION_TYPE, "action") and not has_parameter(SOAP12_TYPE, "action")
    assert has_parameter("text/xml;Charset=UTF-8", "charset") and \
        not has_parameter("text/xml", "charset")
    assert is_ward("141011") and is_ward("011011") and is_ward("271021")
    assert not any(is_ward(code) for code in ("131016", "141003", "011002", "130001", "282014"))
    assert dated_as_request("2026-12-09T15:20:00+09:00", "2026-12-08T23:59:00+09:00") == \
        "2026-12-08T15:20:00+09:00"
    assert dated_as_request("2026-12-09T15:20:00+09:00", None) == "2026-12-09T15:20:00+09:00"
    assert loaded_at_start([F_NOTICE, NOT_HELD, "0abc"]) == {NOT_HELD, "0abc"}
    assert canonically_equal("神", "\ufa19") and not canonically_equal("神", "\ufa10")
    now = dt.datetime.now(JST)
    assert seconds_ahead((now + dt.timedelta(seconds=30)).isoformat(), now) == 30
    assert seconds_ahead(now.isoformat(), now) == 0 and seconds_ahead("junk", now) == 0


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("<c:OccurredOn>2025-04-01<", "</c:Name>", "<c:ResidentKind>1<",
                 "<pfh:UserId>batch<", "<c:IndividualNumber>",
                 '<?xml version="1.0" encoding="UTF-8"?>'):
        assert part.encode() in one, part
    assert f"<pfh:LocalGovCode>{GOV}<".encode() in inquiry("0000010014")
    assert b"<pfh:SentAt>" in extract(1)
    assert transcript("provider", None, None, [extract(1)])[0].startswith("200 ")
