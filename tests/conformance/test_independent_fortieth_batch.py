"""Each variant of the fortieth batch really takes effect (variants.py FORTIETH_BATCH, declared in
independent/fortieth.py), in the way of the thirty-ninth batch's test: the independent adapter in
process, a short scenario of standard-conformant exchanges (crashes and starts on the same
database included), and the variant's transcript must differ from the correct adapter's. Each
variant also leaves an exchange it does not target as the correct adapter answers it. The clock
is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not depend on when
the tests run; the variant that reads a date is shown to take effect at a second instant too,
00:30 JST on the first day of a year. Six variants take effect where a transcript cannot show
them and have tests of their own (OWN_TEST): the HTTP front end's two (a Transfer-Encoding in
capitals, the Date field) on the adapter as a process; two notices at once; a snapshot minutes
old; a later page asked by another UserId (its ExtractId is the first answer's); reply
MessageIds across a restart of either role."""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import re
import threading
from collections.abc import Callable

import pytest

from tests.support.polling import wait_until

from .independent.adapter import JST, Adapter
from .independent.fortieth import (FORTIETH_DEFECTS, FORTIETH_MEASURED_MISSES, SNAPSHOT_TTL,
                                   UNICODE_CHARSETS, charset_label, http_date, nfc_copy,
                                   seeded_ids, sjis_half_width)
from .independent.fortieth_store import (ASYNC_DELAY, JUKI_ACT_IN_FORCE, inserted_twice,
                                         outside_jis_x_0213, reloaded)
from .independent.standard import PFF, PFH
from .independent.variants import APART, FORTIETH_BATCH
from .variant_transcripts import as_soap12 as _soap12
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import fault_code as _code
from .variant_transcripts import receipt_status as _receipt
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import observed as _observed
from .variant_transcripts import replaced as _with
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, SOAP12, TEXT_XML,
                                  answer_text, assert_declared_apart, batch_cases, change,
                                  clock_from, extract, inquiry, missed_runs,
                                  neutral_restart_scenario,
                                  neutral_scenario_tests, notice, variant_effect_tests)

# the variants that read a date or the clock: shown at NEW_YEAR too
DATED = {"became-resident-before-1967-refused"}
DURABLE = {"non-jis-names-applied-after-gaiji-registration",
           "apostrophe-names-lost-in-start-up-reload",
           "busy-store-notices-queued-after-receipt", "reply-ids-from-fixed-seed-prng"}
# the variants a transcript cannot show: tests of their own (below)
OWN_TEST: frozenset[str] = frozenset({"chunked-coding-name-case-sensitive",
                                      "http-date-local-time-labelled-gmt",
                                      "busy-store-notices-queued-after-receipt",
                                      "extract-snapshots-expire-after-5-minutes",
                                      "later-pages-scoped-to-first-user-id",
                                      "reply-ids-from-fixed-seed-prng"})
SJIS_TYPE = "text/xml; charset=Shift_JIS"
ASCII_TYPE = "text/xml; charset=us-ascii"
KAMIYA = "\ufa19谷ﾏﾘｱ"  # 神 U+FA19, a CJK compatibility ideograph NFC maps to U+795E
BEFORE_THE_ACT = "1960-04-01"  # a 住民となった年月日 under the 住民登録法


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, dt.datetime(2026, 12, 9, 15, 20, tzinfo=JST))


def _to(raw: bytes, system_id: str) -> bytes:
    """``raw`` addressed to another system of the same 団体 and 業務ユニット (the Receiver comes
    after the Sender)."""
    return _with(raw, "<pfh:SystemId>indie<", f"<pfh:SystemId>{system_id}<")


def _invalid_key(raw: bytes) -> bytes:
    """``raw`` (an inquiry) whose 宛名番号 breaks its pattern: a schema-invalid body."""
    return _with(raw, "<j:AddresseeNumber>0000010014<", "<j:AddresseeNumber>00000100X4<")


def _invalid_gender(raw: bytes) -> bytes:
    """``raw`` (a notice) whose 性別 breaks its pattern: a schema-invalid body."""
    return _with(raw, "<c:Gender>2<", "<c:Gender>x<")


def _ascii(raw: bytes) -> bytes:
    """``raw`` in US-ASCII, declared so, every other character a character reference."""
    text = _with(raw, 'encoding="UTF-8"', 'encoding="US-ASCII"').decode()
    return text.encode("ascii", "xmlcharrefreplace")


def _became(raw: bytes, day: str) -> bytes:
    """``raw`` (a notice) whose resident carries 住民となった年月日 ``day``."""
    return _with(raw, "</c:Address></j:Resident>",
                 f"</c:Address><c:BecameResidentOn>{day}</c:BecameResidentOn></j:Resident>")


def _user(raw: bytes, user_id: str) -> bytes:
    return _with(raw, "<pfh:UserId>batch<", f"<pfh:UserId>{user_id}<")


def _new_twice() -> bytes:
    """A notice of a resident not held: its 転入 (A01) and a 転居 (C01) after it."""
    return notice(change(seq=1, reason="A01"), change(seq=2, reason="C01"))


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "soap12-rule-fault-subcode-prefix-unbound": [_soap12(inquiry(BAD_CHECK_DIGIT))],
        "dated-household-members-union-all": [inquiry("0000010014", as_of="2024-01-01")],
        "later-page-receiver-unchecked": [_to(extract(2, extract_id="e-1", page_size=2),
                                              "other")],
        "schema-fault-message-id-omitted": [_invalid_key(inquiry("0000010014"))],
        "us-ascii-request-answered-with-question-marks": [_ascii(inquiry("0000010014"))],
        "half-width-kana-written-as-sjis-bytes": [inquiry("0000010219")],
        "legacy-charset-label-server-fault": [(inquiry("0000010014"), SJIS_TYPE)],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "soap12-rule-fault-subcode-prefix-unbound": stored(_soap12(notice(change(
            reason="Z99")))),
        "schema-fault-message-id-omitted": stored(_invalid_gender(one)),
        "new-resident-twice-in-notice-internal": stored(_new_twice()),
        "request-hash-over-nfc-audit-copy": stored(notice(change(name=KAMIYA))),
        "legacy-charset-label-server-fault": stored((one, SJIS_TYPE)),
        "became-resident-before-1967-refused": stored(_became(one, BEFORE_THE_ACT)),
        "non-jis-names-applied-after-gaiji-registration": stored(
            notice(change(name="髙橋健一")), ("crash",)),
        "apostrophe-names-lost-in-start-up-reload": stored(
            notice(change(name="O'BRIEN MARY")), ("crash",)),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(FORTIETH_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(FORTIETH_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own
    assert len(FORTIETH_BATCH) == len(set(FORTIETH_BATCH))
    assert 18 <= len(FORTIETH_BATCH) <= 20 and len(roles) >= 22
    assert DATED <= FORTIETH_BATCH and DURABLE <= FORTIETH_BATCH
    assert OWN_TEST <= FORTIETH_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)
    assert abs(roles.count("provider") - roles.count("subscriber")) <= 2  # balanced
    assert set(FORTIETH_DEFECTS) == FORTIETH_BATCH


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(FORTIETH_MEASURED_MISSES, FORTIETH_BATCH, APART)
    assert len(FORTIETH_MEASURED_MISSES) == 7  # variants missed, 13/24 runs on 0b2f325
    every_run = batch_cases(FORTIETH_BATCH, APART)
    assert len(missed) == 11 and set(missed) <= set(every_run)
    assert len(every_run) == 24 and len(CASES) == 15


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


# no variant of the batch's transcripts targets the neutral scenario (its exchanges are UTF-8, by
# 宛名番号 without a 基準日, addressed right, of JIS X 0208 names), so the second test, which
# would show each listed one does, has nothing to run and is not collected
TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {"provider": set(), "subscriber": set()}
(test_each_variant_leaves_what_it_does_not_target,
 _no_variant_targets_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------



def test_the_fault_variants_write_what_they_say(tmp_path):
    for role, plain, bad, invalid in (
            ("provider", inquiry("0000010014"), inquiry(BAD_CHECK_DIGIT),
             _invalid_key(inquiry("0000010014"))),
            ("subscriber", notice(change()), notice(change(reason="Z99")),
             _invalid_gender(notice(change())))):
        def tree(defect, raw, ctype=TEXT_XML, role=role):
            return _tree(defect, raw, ctype, role=role, tmp_path=tmp_path)
        name = "soap12-rule-fault-subcode-prefix-unbound"
        value = f".//{{{SOAP12}}}Subcode/{{{SOAP12}}}Value"
        assert tree(None, *_soap12(bad)).find(value) is None
        wrong = tree(name, *_soap12(bad))
        assert wrong.findtext(value) == "pff:PF-RULE-VIOLATION"
        subcode = wrong.find(f".//{{{SOAP12}}}Subcode")
        assert "pff" not in subcode.nsmap  # no declaration of the prefix in scope
        assert tree(name, bad).find(".//{*}Subcode") is None  # SOAP 1.1: right
        assert tree(name, *_soap12(invalid)).find(value) is None  # another fault: right
        name = "schema-fault-message-id-omitted"
        assert tree(None, invalid).findtext(f".//{{{PFF}}}MessageId")
        wrong = tree(name, invalid)
        assert wrong.findtext(f".//{{{PFF}}}Code") == "PF-SCHEMA-INVALID"
        assert wrong.find(f".//{{{PFF}}}MessageId") is None
        assert tree(name, bad).findtext(f".//{{{PFF}}}MessageId")  # a rule fault: right
        name = "legacy-charset-label-server-fault"
        for label in ("Shift_JIS", "EUC-JP", "ISO-8859-1", "utf8"):
            ctype = f"text/xml; charset={label}"
            assert _answer(None, plain, ctype, role=role, tmp_path=tmp_path).status == 200
            wrong = _answer(name, plain, ctype, role=role, tmp_path=tmp_path)
            assert wrong.status == 500 and _code(wrong) == "PF-PROVIDER-INTERNAL", label
            assert b"<faultcode>soap:Server</faultcode>" in wrong.body
        for ctype in (TEXT_XML, 'text/xml; charset="UTF-16"', "text/xml", ASCII_TYPE):
            raw = _ascii(plain) if ctype == ASCII_TYPE else plain
            assert _answer(name, raw, ctype, role=role, tmp_path=tmp_path).status == 200


def test_the_provider_variants_answer_what_they_say():
    name = "dated-household-members-union-all"
    member = "{urn:pfbus:platform:common:v1}Member"
    number = f".//{member}/{{urn:pfbus:platform:common:v1}}AddresseeNumber"
    dated = inquiry("0000010014", as_of="2024-01-01")
    right = [el.text for el in _tree(None, dated).findall(number)]
    assert right == ["0000010014", "0000010022", "0000010030"]
    assert [el.text for el in _tree(name, dated).findall(number)] == right + right
    early = inquiry("0000010014", as_of="2016-01-01")  # the household then: its head alone
    assert [el.text for el in _tree(name, early).findall(number)] == ["0000010014"] + right
    assert [el.text for el in _tree(name, inquiry("0000010014")).findall(number)] == right
    name = "later-page-receiver-unchecked"
    elsewhere = _to(extract(2, extract_id="e-1", page_size=2), "other")
    assert _code(_answer(None, elsewhere)) == "PF-PROVIDER-MISROUTED"
    assert _code(_answer(name, elsewhere)) == "PF-EXTRACT-UNKNOWN"
    first = _to(extract(1, page_size=2), "other")  # a first request: right
    assert _code(_answer(name, first)) == "PF-PROVIDER-MISROUTED"
    assert _code(_answer(name, _to(inquiry("0000010014"), "other"))) == "PF-PROVIDER-MISROUTED"
    adapter = Adapter("provider", GOV, "01", "indie", defect=name)
    extract_id = answer_text(adapter.handle(extract(1, page_size=2), TEXT_XML, '""'),
                             "{urn:pfbus:unit:juki:v1}ExtractId")
    page = adapter.handle(_to(extract(2, extract_id=extract_id, page_size=2), "other"),
                          TEXT_XML, '""')
    assert page.status == 200 and b"<juki:Resident>" in page.body  # a page for another system
    name = "us-ascii-request-answered-with-question-marks"
    wrong = _answer(name, _ascii(inquiry("0000010014")))
    assert wrong.body.startswith(b"<?xml version='1.0' encoding='US-ASCII'?>")
    assert b"<cmn:Text>????</cmn:Text>" in wrong.body and wrong.content_type.endswith("US-ASCII")
    right = _answer(None, _ascii(inquiry("0000010014")))
    assert "総務翔子".encode() in right.body
    labelled = _answer(name, inquiry("0000010014"), ASCII_TYPE)  # the label alone: the same
    assert b"????" in labelled.body
    assert "総務翔子".encode() in _answer(name, inquiry("0000010014")).body  # UTF-8: right
    name = "half-width-kana-written-as-sjis-bytes"
    wrong = _answer(name, inquiry("0000010219")).body
    assert b"\xcf\xd8\xb1</cmn:Text>" in wrong  # ﾏﾘｱ in Shift_JIS
    with pytest.raises(UnicodeDecodeError):
        wrong.decode("utf-8")
    assert KAMIYA.encode() in _answer(None, inquiry("0000010219")).body
    assert "総務翔子" in _answer(name, inquiry("0000010014")).body.decode("utf-8")  # right


def test_the_subscriber_variants_answer_what_they_say(tmp_path):
    def answer(defect, raw, ctype=TEXT_XML):
        return _answer(defect, raw, ctype, role="subscriber", tmp_path=tmp_path)
    name = "new-resident-twice-in-notice-internal"
    assert _receipt(answer(None, _new_twice())) == "applied"
    wrong = answer(name, _new_twice())
    assert _code(wrong) == "PF-PROVIDER-INTERNAL" and wrong.status == 500
    steps = [notice(change()), notice(change(seq=2, reason="C01"), change(seq=3, reason="C01")),
             ("observe", "0000010014")]  # two changes of a held resident: right
    assert _observed(tmp_path, None, steps) == _observed(tmp_path, name, steps)
    other = notice(change(seq=1, reason="A01"), change(number="0000010049", name="髙橋健一"))
    assert _receipt(answer(name, other)) == "applied"  # two residents, one change each: right
    name = "request-hash-over-nfc-audit-copy"
    steps = subscriber_steps(name)
    assert "hash-of-the-request" in _observed(tmp_path, None, steps)[0]
    assert "hash-of-the-request" not in _observed(tmp_path, name, steps)[0]
    plain = [notice(change(name="神谷ﾏﾘｱ")), ("observe", "0000010014")]  # 神 U+795E: right
    assert "hash-of-the-request" in _observed(tmp_path, name, plain)[0]
    assert "'name': '\ufa19谷ﾏﾘｱ'" in _observed(tmp_path, name, steps)[-1]  # stored as sent
    name = "became-resident-before-1967-refused"
    for day, refused in ((BEFORE_THE_ACT, True), ("1967-11-09", True),
                         (JUKI_ACT_IN_FORCE, False), ("2015-04-01", False)):
        raw = _became(notice(change()), day)
        assert _receipt(answer(None, raw)) == "applied", day
        assert (_code(answer(name, raw)) == "VENDOR-DATE") is refused, day
    assert _receipt(answer(name, notice(change()))) == "applied"  # no such date: right


def test_the_durable_variants_lose_what_they_say(tmp_path):
    name = "non-jis-names-applied-after-gaiji-registration"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "applied</pfr:Status>" in right[0] and "applied</pfr:Status>" in wrong[0]
    assert "'changes_applied': 1" in right[-1] and wrong[-1] == "None"
    for text in ("総務翔子", "神谷ﾏﾘｱ", KAMIYA, "福田ﾊﾅ〜‖−¢£¬―"):  # JIS X 0213: right
        plain = [notice(change(name=text)), ("crash",), ("observe", "0000010014")]
        assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain), text
    adapter = Adapter("subscriber", GOV, "07", "indie", db=tmp_path / "gaiji.sqlite3",
                      defect=name)
    answer = adapter.handle(notice(change(name="渡邉\U000e011f俞\U000e0100子")), TEXT_XML, None)
    assert b"applied</pfr:Status>" in answer.body and adapter.observe("0000010014") is None
    wait_until(lambda: adapter.observe("0000010014") is not None, ASYNC_DELAY + 10,
               "the registration job to write the change")
    name = "apostrophe-names-lost-in-start-up-reload"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "O'BRIEN MARY" in right[-1] and wrong[-1] == "None"
    plain = [notice(change(name="D’ANGELO MARIA")), ("crash",), ("observe", "0000010014")]
    assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain)  # ’: right
    again = [notice(change(name="O'BRIEN MARY")), ("crash",), notice(change(seq=2,
             name="O'BRIEN MARY")), ("observe", "0000010014")]
    assert "'changes_applied': 1" in _observed(tmp_path, name, again)[-1]  # held anew
    assert "'changes_applied': 2" in _observed(tmp_path, None, again)[-1]


def _while_the_store_is_held(adapter: Adapter, raw: bytes):
    """``raw`` delivered while another notice holds the store (released once it waits)."""
    answers: dict[str, object] = {}

    def deliver() -> None:
        answers["receipt"] = adapter.handle(raw, TEXT_XML, None)
    adapter.lock.acquire()  # another notice holds the store
    try:
        delivery = threading.Thread(target=deliver)
        delivery.start()
        delivery.join(0.2)  # it waits for the store: still running after the deadline
        assert delivery.is_alive()
    finally:
        adapter.lock.release()
    delivery.join(10)
    return answers["receipt"]


def test_two_notices_at_once_are_receipted_before_the_second_is_stored(tmp_path):
    name = "busy-store-notices-queued-after-receipt"
    for defect in (None, name):
        adapter = Adapter("subscriber", GOV, "07", "indie",
                          db=tmp_path / f"busy-{defect}.sqlite3", defect=defect)
        assert _receipt(_while_the_store_is_held(adapter, notice(change()))) == "applied"
        held = adapter.observe("0000010014")
        assert (held is None) is (defect == name), defect  # receipted before it was stored
        wait_until(lambda a=adapter: a.observe("0000010014") is not None,  # type: ignore[misc]
                   ASYNC_DELAY + 10, "the queue to be applied")
        alone = adapter.handle(notice(change(seq=2, number="0000010049", name="髙橋健一")),
                               TEXT_XML, None)  # a notice that finds the store free: right
        assert _receipt(alone) == "applied" and adapter.observe("0000010049") is not None


def test_a_snapshot_expires_five_minutes_after_it_was_made():
    name = "extract-snapshots-expire-after-5-minutes"
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        first = adapter.handle(extract(1, page_size=2, request_id="transfer-1"), TEXT_XML, '""')
        extract_id = answer_text(first, "{urn:pfbus:unit:juki:v1}ExtractId")
        page = extract(2, extract_id=extract_id, page_size=2)
        assert adapter.handle(page, TEXT_XML, '""').status == 200  # at once: right
        for made in adapter.fortieth.get("made", {}):  # the cache's clock, 5 minutes on
            adapter.fortieth["made"][made] -= SNAPSHOT_TTL + 1
        later = adapter.handle(page, TEXT_XML, '""')
        assert (_code(later) == "PF-EXTRACT-UNKNOWN") is (defect == name), defect
        retried = adapter.handle(extract(1, page_size=2, request_id="transfer-1"), TEXT_XML,
                                 '""')
        assert (_code(retried) == "PF-EXTRACT-UNKNOWN") is (defect == name), defect


def test_a_later_page_asked_by_another_user_id_is_unknown():
    name = "later-pages-scoped-to-first-user-id"
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        first = adapter.handle(extract(1, page_size=2), TEXT_XML, '""')
        extract_id = answer_text(first, "{urn:pfbus:unit:juki:v1}ExtractId")
        page = extract(2, extract_id=extract_id, page_size=2)
        assert adapter.handle(page, TEXT_XML, '""').status == 200  # the same UserId: right
        other = adapter.handle(_user(page, "night-op"), TEXT_XML, '""')
        assert (_code(other) == "PF-EXTRACT-UNKNOWN") is (defect == name), defect


def test_reply_message_ids_repeat_after_a_restart(tmp_path):
    name = "reply-ids-from-fixed-seed-prng"
    for role, raws in (("provider", [inquiry("0000010014"), inquiry("0000010022")]),
                       ("subscriber", [notice(change()), notice(change(seq=2))])):
        for defect in (None, name):
            db = tmp_path / f"{role}-{defect}.sqlite3" if role == "subscriber" else None
            ids = []
            for _start in range(2):  # a start, then a restart on the same store
                adapter = Adapter(role, GOV, "01" if role == "provider" else "07", "indie",
                                  db=db, defect=defect)
                ids.append([answer_text(adapter.handle(raw, TEXT_XML, None),
                                        f"{{{PFH}}}MessageId") for raw in raws])
            assert len(set(ids[0])) == 2 and len(set(ids[1])) == 2  # unique until a restart
            assert (ids[0] == ids[1]) is (defect == name), (role, defect)
            if defect == name:  # the seeded generator's first draws, at every start
                drawn = seeded_ids()
                assert ids[0] == [next(drawn), next(drawn)]


# --- the HTTP front end, on the adapter as a process --------------------------------------------

def _chunked(body: bytes, coding: str) -> bytes:
    chunks = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n"
                      for part in (body[:100], body[100:]))
    return (f"POST /soap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {TEXT_XML}\r\n"
            f"Transfer-Encoding: {coding}\r\nConnection: close\r\n\r\n").encode() + \
        chunks + b"0\r\n\r\n"


def test_a_chunked_body_is_read_whatever_the_case_of_its_coding(indie_process):
    name = "chunked-coding-name-case-sensitive"
    for role, raw in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        right, wrong = indie_process(role, None), indie_process(role, name)
        for coding in ("chunked", "Chunked", "CHUNKED"):
            answer = right.post_raw(_chunked(raw, coding))
            assert answer.startswith(b"HTTP/1.1 200 "), (role, coding)
            answer = wrong.post_raw(_chunked(raw, coding))
            if coding == "chunked":  # the exact name: right
                assert answer.startswith(b"HTTP/1.1 200 "), role
            else:
                assert answer.startswith(b"HTTP/1.1 500 ") and b"soap:Client" in answer, role
                assert b"xml:well-formed" in answer


def test_the_date_field_is_nine_hours_ahead(indie_process):
    name = "http-date-local-time-labelled-gmt"
    for role, raw in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        dates = {}
        for defect in (None, name):
            p = indie_process(role, defect)
            conn = http.client.HTTPConnection(p.host, p.port, timeout=10)
            conn.request("POST", "/soap", raw, {"Content-Type": TEXT_XML})
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            dates[defect] = email.utils.parsedate_to_datetime(response.getheader("Date") or "")
            conn.close()
        ahead = (dates[name] - dates[None]).total_seconds()
        assert 9 * 3600 - 60 < ahead < 9 * 3600 + 60, (role, ahead)
        assert re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT",
                            http_date(name) or "")
    assert http_date(None) is None


def test_the_helpers_the_variants_are_built_on():
    assert sjis_half_width("神谷ﾏﾘｱ｡ﾟ".encode()) == "神谷".encode() + b"\xcf\xd8\xb1\xa1\xdf"
    assert sjis_half_width("マリア".encode()) == "マリア".encode()  # full width: right
    assert nfc_copy(notice(change(name="神谷"))) is None
    copy = nfc_copy(notice(change(name=KAMIYA)))
    assert copy is not None and "神谷ﾏﾘｱ".encode() in copy and "\ufa19".encode() not in copy
    assert nfc_copy(_ascii(notice(change(name=KAMIYA)))) is None  # references: left as bytes
    assert charset_label('text/xml; action="a;b"; charset="Shift_JIS"') == "Shift_JIS"
    assert charset_label("text/xml") is None and "us-ascii" in UNICODE_CHARSETS
    assert outside_jis_x_0213("髙橋") and outside_jis_x_0213("\U00020bb7田")
    assert outside_jis_x_0213("葛\U000e0102西") and not outside_jis_x_0213("神谷ﾏﾘｱ〜∥－")
    assert not reloaded("O'BRIEN") and reloaded("D’ANGELO") and reloaded(None)
    assert inserted_twice(["1", "1", "2"], set()) == ["1"]
    assert inserted_twice(["1", "1", "2", "2"], {"1"}) == ["2"]
    first, second = seeded_ids(), seeded_ids()
    assert [next(first) for _ in range(3)] == [next(second) for _ in range(3)]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        next(seeded_ids()))


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("<c:Gender>2<", "<pfh:UserId>batch<", "</c:Address></j:Resident>",
                 '<?xml version="1.0" encoding="UTF-8"?>'):
        assert part.encode() in one, part
    assert b"<pfh:SystemId>indie<" in extract(2, extract_id="e-1", page_size=2)
    assert b"<j:AddresseeNumber>0000010014<" in inquiry("0000010014")
    assert BAD_CHECK_DIGIT != "0000010014"
