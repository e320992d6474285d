"""Each variant of the forty-second batch really takes effect (variants.py FORTYSECOND_BATCH,
declared in independent/fortysecond.py), in the way of the forty-first batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. The clock is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not
depend on when the tests run; the variant that reads a date is shown to take effect at a second
instant too, 00:30 JST on the first day of a year. Six variants take effect where a transcript
cannot show them and have tests of their own (OWN_TEST): five on the adapter as a process — a
Content-Length with a leading zero, a chunk boundary inside a character, a large answer's chunk
sizes, a kept-alive connection killed, a chunked notice killed — and a page asked again half a
minute later (the test moves the paging handler's clock)."""

from __future__ import annotations

import datetime as dt
import http.client
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from tests.support.polling import wait_until

from .independent.adapter import JST, Adapter
from .independent.fortysecond import (CHUNK_CHARACTERS, FORTYSECOND_DEFECTS,
                                      FORTYSECOND_MEASURED_MISSES, KATAGAKI_SEPARATOR,
                                      LARGE_ANSWER, REREAD_WINDOW, chunks_of_characters,
                                      content_length, decoded_per_chunk, merged_address,
                                      without_controls, without_leading_white)
from .independent.fortysecond_store import ASYNC_DELAY, ahead_of_today
from .independent.standard import CMN, JUKI, PFF, PFH
from .independent.variants import APART, FORTYSECOND_BATCH
from .variant_transcripts import as_soap12 as _soap12
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import fault_code as _code
from .variant_transcripts import receipt_status as _receipt
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import observed as _observed
from .variant_transcripts import replaced as _with
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, TEXT_XML,
                                  answer_text, assert_declared_apart, batch_cases, change,
                                  clock_from, extract, inquiry, missed_runs,
                                  neutral_restart_scenario, neutral_scenario_tests, notice,
                                  variant_effect_tests)

# the variants that read a date: shown at NEW_YEAR too
DATED = {"future-dated-changes-receipted-accepted"}
DURABLE = {"notices-committed-at-connection-close", "change-count-incremented-after-receipt",
           "chunked-notices-applied-after-receipt"}
# the variants a transcript cannot show: tests of their own (below)
OWN_TEST: frozenset[str] = frozenset({"content-length-leading-zeros-octal",
                                      "chunked-notice-decoded-per-chunk",
                                      "large-answers-chunk-sizes-in-characters",
                                      "page-reread-after-30s-refused",
                                      "notices-committed-at-connection-close",
                                      "chunked-notices-applied-after-receipt"})
OTHER_GOV = "141003"  # 横浜市: a Sender of another 団体 (its check digit holds)
FUTURE_DAY = "2099-04-01"  # a 異動年月日 after today, whenever the tests run
NEW_NAME = "総務花子"


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, dt.datetime(2026, 12, 9, 15, 20, tzinfo=JST))


def _from_other_gov(raw: bytes) -> bytes:
    """``raw`` sent by a system of another 団体 (the same 業務ユニット and SystemId)."""
    return _with(raw, "<pfh:Sender><pfh:LocalGovCode>131016<",
                 f"<pfh:Sender><pfh:LocalGovCode>{OTHER_GOV}<")


def _headerless(raw: bytes) -> bytes:
    """``raw`` without its soap:Header element: an Envelope holding only a Body."""
    out = re.sub(rb"<soap:Header>.*</soap:Header>", b"", raw, flags=re.S)
    assert out != raw and b"<soap:Body>" in out
    return out


def _white_first(raw: bytes) -> bytes:
    """``raw`` with a line break before its XML declaration: not well-formed."""
    assert raw.startswith(b"<?xml ")
    return b"\r\n" + raw


def _control(raw: bytes) -> bytes:
    """``raw`` whose UserId holds a reference to U+0007 (BEL), no XML character: not
    well-formed."""
    return _with(raw, "<pfh:UserId>batch<", "<pfh:UserId>bat&#x7;ch<")


def _both_keys(raw: bytes) -> bytes:
    """``raw`` (an inquiry by 宛名番号) also carrying a 個人番号: the XSD's choice broken."""
    return _with(raw, "</j:AddresseeNumber>",
                 "</j:AddresseeNumber><j:IndividualNumber>123456789018</j:IndividualNumber>")


def _version(raw: bytes, version: str) -> bytes:
    return _with(raw, "<pfh:Version>1<", f"<pfh:Version>{version}<")


def _bad_sequence(raw: bytes) -> bytes:
    """``raw`` (a notice) whose first 異動連番 is no positive integer: schema-invalid."""
    return _with(raw, "<j:Sequence>1<", "<j:Sequence>0<")


def _on(raw: bytes, day: str) -> bytes:
    """``raw`` (a notice of changes dated 2025-04-01) dated ``day``."""
    return _with(raw, "<c:OccurredOn>2025-04-01<", f"<c:OccurredOn>{day}<")


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "katagaki-merged-into-banchi": [inquiry("0000010065")],
        "extract-version-unchecked": [_version(extract(1, page_size=2), "2")],
        "schema-finding-line-zero-based": [inquiry("00000100x4")],
        "reply-receiver-local-gov-own": [_from_other_gov(inquiry("0000010014"))],
        "header-element-absent-internal": [_headerless(inquiry("0000010014"))],
        "whitespace-before-declaration-accepted": [_white_first(inquiry("0000010014"))],
        "inquiry-with-both-keys-answered": [_both_keys(inquiry("0000010014"))],
        "control-characters-stripped-before-parse": [_control(inquiry("0000010014"))],
        "dated-answers-became-resident-on-as-of": [inquiry("0000010014", as_of="2020-01-01")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "removal-cancellation-undoes-last-change": stored(
            one, notice(change(seq=2, name=NEW_NAME)), notice(change(seq=3, reason="B07",
                                                                     name=NEW_NAME))),
        "rule-findings-merged-by-rule": stored(notice(change(reason="Z99"),
                                                      change(seq=2, reason="Z98"))),
        "schema-finding-line-zero-based": stored(_bad_sequence(one)),
        "reply-receiver-local-gov-own": stored(_from_other_gov(one)),
        "header-element-absent-internal": stored(_headerless(one)),
        "whitespace-before-declaration-accepted": stored(_white_first(one)),
        "control-characters-stripped-before-parse": stored(_control(one)),
        "future-dated-changes-receipted-accepted": stored(_on(one, FUTURE_DAY)),
        "change-count-incremented-after-receipt": stored(one, ("crash",)),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(FORTYSECOND_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(FORTYSECOND_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own
    assert len(FORTYSECOND_BATCH) == len(set(FORTYSECOND_BATCH))
    assert 18 <= len(FORTYSECOND_BATCH) <= 20 and len(roles) >= 22
    assert DATED <= FORTYSECOND_BATCH and DURABLE <= FORTYSECOND_BATCH
    assert OWN_TEST <= FORTYSECOND_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)
    assert abs(roles.count("provider") - roles.count("subscriber")) <= 2  # balanced
    assert set(FORTYSECOND_DEFECTS) == FORTYSECOND_BATCH


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(FORTYSECOND_MEASURED_MISSES, FORTYSECOND_BATCH, APART)
    assert len(FORTYSECOND_MEASURED_MISSES) == 8  # variants missed, 13/25 runs on 8a094c2
    every_run = batch_cases(FORTYSECOND_BATCH, APART)
    assert len(missed) == 12 and set(missed) <= set(every_run)
    assert len(every_run) == 25 and len(CASES) == 18


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.1 inquiry of a resident of a household of three by 宛名番号 and one of another of
    that household over SOAP 1.2 (addresses without 方書); a first 全件 request for page 2 (two
    residents a page). A 転入 (A01) of a resident not held, then two 転居 (C01), one per notice
    (the second over SOAP 1.2), observed; a restart; a third, newer, observed."""
    return {
        "provider": [inquiry("0000010014"), _soap12(inquiry("0000010022")),
                     extract(2, page_size=2)],
        "subscriber": neutral_restart_scenario(),
    }[role]


# the count right after each receipt (the neutral scenario observes at once)
TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {
    "provider": set(),
    "subscriber": {"change-count-incremented-after-receipt"}}
(test_each_variant_leaves_what_it_does_not_target,
 _no_variant_targets_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------



def _adapter(role: str, defect: str | None, tmp_path: Path, db: str = "store") -> Adapter:
    return Adapter(role, GOV, "01" if role == "provider" else "07", "indie",
                   db=tmp_path / f"{db}-{defect}.sqlite3" if role == "subscriber" else None,
                   defect=defect)


def test_the_variants_of_both_roles_answer_what_they_say(tmp_path):
    for role, plain, bad in (("provider", inquiry("0000010014"), inquiry("00000100x4")),
                             ("subscriber", notice(change()), _bad_sequence(notice(change())))):
        def answer(defect, raw, ctype=TEXT_XML, role=role):
            return _answer(defect, raw, ctype, role=role, tmp_path=tmp_path)

        def tree(defect, raw, ctype=TEXT_XML, role=role):
            return _tree(defect, raw, ctype, role=role, tmp_path=tmp_path)
        name = "schema-finding-line-zero-based"
        line = f".//{{{PFF}}}Finding/{{{PFF}}}Line"
        assert tree(None, bad).find(line) is None  # the correct adapter names no line
        assert tree(name, bad).findtext(line) == "0"  # a message on one line: line 1
        spread = bad.replace(b"><", b">\n<")  # one element a line
        wrong = tree(name, spread)
        offender = "AddresseeNumber>00000100x4<" if role == "provider" else "Sequence>0<"
        element_line = spread.decode().split("\n").index(
            next(x for x in spread.decode().split("\n") if offender in x)) + 1
        assert wrong.findtext(line) == str(element_line - 1)  # the line before the element's
        rule = (inquiry(BAD_CHECK_DIGIT) if role == "provider"
                else notice(change(reason="Z99")))
        assert tree(name, rule).find(line) is None  # a rule fault: right
        name = "reply-receiver-local-gov-own"
        receiver = f".//{{{PFH}}}PlatformHeader/{{{PFH}}}Receiver/{{{PFH}}}LocalGovCode"
        assert tree(None, _from_other_gov(plain)).findtext(receiver) == OTHER_GOV
        assert tree(name, _from_other_gov(plain)).findtext(receiver) == GOV
        assert tree(name, plain).findtext(receiver) == GOV  # a Sender of its own 団体: right
        name = "header-element-absent-internal"
        assert _code(answer(None, _headerless(plain))) == "PF-HEADER-MISSING"
        wrong = answer(name, _headerless(plain))
        assert _code(wrong) == "PF-PROVIDER-INTERNAL" and b"soap:Server" in wrong.body
        empty = _with(plain, re.search(rb"<soap:Header>.*</soap:Header>", plain,
                                       re.S)[0].decode(), "<soap:Header/>")
        assert _code(answer(name, empty)) == "PF-HEADER-MISSING"  # a Header without it: right
        for name, malformed in (("whitespace-before-declaration-accepted", _white_first(plain)),
                                ("control-characters-stripped-before-parse", _control(plain))):
            assert _code(answer(None, malformed)) == "PF-SOAP-ENVELOPE", name
            assert answer(name, malformed).status == 200, name  # answered as the plain one
        raw_control = _with(plain, "<pfh:UserId>batch<", "<pfh:UserId>bat\x1bch<")
        assert answer("control-characters-stripped-before-parse", raw_control).status == 200
        assert answer("whitespace-before-declaration-accepted",
                      b"\n" + plain.split(b"?>", 1)[1]).status == 200  # no declaration: right
        assert answer(None, b"\n" + plain.split(b"?>", 1)[1]).status == 200


def test_the_provider_variants_answer_what_they_say():
    name = "katagaki-merged-into-banchi"
    address = f".//{{{JUKI}}}Resident/{{{CMN}}}Address"
    right, wrong = _tree(None, inquiry("0000010065")), _tree(name, inquiry("0000010065"))
    assert right.findtext(f"{address}/{{{CMN}}}Katagaki") == "麹町ハイツ301号"
    assert wrong.find(f"{address}/{{{CMN}}}Katagaki") is None
    assert wrong.findtext(f"{address}/{{{CMN}}}Banchi") == \
        f"5番地1{KATAGAKI_SEPARATOR}麹町ハイツ301号"
    assert wrong.find(f".//{{{CMN}}}Member/{{{CMN}}}Address/{{{CMN}}}Katagaki") is None
    page = _tree(name, extract(1, page_size=100))
    assert not page.findall(f".//{{{CMN}}}Katagaki")  # 全件 pages too
    assert _tree(name, inquiry("0000010014")).findtext(f"{address}/{{{CMN}}}Banchi") == \
        "1番2号"  # no 方書: right
    name = "extract-version-unchecked"
    for version in ("2", "1.0"):
        other = _version(extract(1, page_size=2), version)
        assert _code(_answer(None, other)) == "PF-PROVIDER-MISROUTED", version
        assert _answer(name, other).status == 200, version
        assert _code(_answer(name, _version(inquiry("0000010014"), version))) == \
            "PF-PROVIDER-MISROUTED"  # an inquiry: right
    name = "inquiry-with-both-keys-answered"
    assert _code(_answer(None, _both_keys(inquiry("0000010014")))) == "PF-SCHEMA-INVALID"
    assert answer_text(_answer(name, _both_keys(inquiry("0000010014"))),
                       f"{{{JUKI}}}Status") == "found"
    name = "dated-answers-became-resident-on-as-of"
    became = f".//{{{CMN}}}BecameResidentOn"
    dated = inquiry("0000010014", as_of="2020-01-01")
    assert [el.text for el in _tree(None, dated).iter(f"{{{CMN}}}BecameResidentOn")] == \
        ["2015-04-01", "2015-04-01", "2018-06-01"]  # the resident, two members then
    assert {el.text for el in _tree(name, dated).iter(f"{{{CMN}}}BecameResidentOn")} == \
        {"2020-01-01"}
    assert _tree(name, inquiry("0000010014")).findtext(became) == "2015-04-01"  # undated


def test_the_subscriber_variants_answer_what_they_say(tmp_path):
    def answer(defect, raw, ctype=TEXT_XML):
        return _answer(defect, raw, ctype, role="subscriber", tmp_path=tmp_path)
    one = notice(change())
    name = "removal-cancellation-undoes-last-change"
    steps = subscriber_steps(name)
    assert _observed(tmp_path, None, steps)[-1] == \
        f"{{'name': '{NEW_NAME}', 'changes_applied': 3}}"
    assert _observed(tmp_path, name, steps)[-1] == \
        "{'name': '総務翔子', 'changes_applied': 1}"  # 総務花子's 転居 undone, B07 not counted
    removal = [one, notice(change(seq=2, reason="B01", name=NEW_NAME)),
               ("observe", "0000010014")]  # another 消除: right
    assert _observed(tmp_path, None, removal) == _observed(tmp_path, name, removal)
    unheld = [notice(change(reason="B07")), ("observe", "0000010014")]  # not held: right
    assert _observed(tmp_path, None, unheld) == _observed(tmp_path, name, unheld)
    name = "rule-findings-merged-by-rule"
    findings = f".//{{{PFF}}}Finding/{{{PFF}}}Message"
    two = notice(change(reason="Z99"), change(seq=2, reason="Z98"))
    assert [el.text for el in _tree(None, two, role="subscriber",
                                    tmp_path=tmp_path).iterfind(findings)] == \
        ["Z99 is not a code", "Z98 is not a code"]
    assert [el.text for el in _tree(name, two, role="subscriber",
                                    tmp_path=tmp_path).iterfind(findings)] == \
        ["Z99 is not a code"]
    rules = _with(notice(change(reason="Z99")), "<c:Gender>2<", "<c:Gender>9<")  # two rules
    assert len(_tree(name, rules, role="subscriber", tmp_path=tmp_path).findall(findings)) == \
        len(_tree(None, rules, role="subscriber", tmp_path=tmp_path).findall(findings)) == 2
    name = "future-dated-changes-receipted-accepted"
    assert _receipt(answer(None, _on(one, FUTURE_DAY))) == "applied"
    assert _receipt(answer(name, _on(one, FUTURE_DAY))) == "accepted"
    steps = [_on(one, FUTURE_DAY), ("observe", "0000010014")]
    assert _observed(tmp_path, None, steps)[-1] == _observed(tmp_path, name, steps)[-1]
    assert _receipt(answer(name, one)) == "applied"  # dated back: right
    again = [_on(one, FUTURE_DAY), _on(one, FUTURE_DAY)]
    assert "duplicate</pfr:Status>" in _observed(tmp_path, name, again)[-1]
    name = "change-count-incremented-after-receipt"
    adapter = _adapter("subscriber", name, tmp_path, "count")
    assert _receipt(adapter.handle(one, TEXT_XML, None)) == "applied"
    assert adapter.observe("0000010014") == {"name": "総務翔子", "changes_applied": 0}
    wait_until(lambda: adapter.observe("0000010014") == {"name": "総務翔子",
                                                          "changes_applied": 1},
               ASYNC_DELAY + 10, "the statistics job to count the change")
    steps = subscriber_steps(name)
    assert "'changes_applied': 1" in _observed(tmp_path, None, steps)[-1]
    assert "'changes_applied': 0" in _observed(tmp_path, name, steps)[-1]  # the kill came first


def test_a_page_asked_again_half_a_minute_later_is_refused():
    name = "page-reread-after-30s-refused"
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        first = adapter.handle(extract(1, page_size=2, request_id="transfer-9"), TEXT_XML, None)
        extract_id = answer_text(first, f"{{{JUKI}}}ExtractId")
        page = extract(2, page_size=2, extract_id=extract_id)
        assert adapter.handle(page, TEXT_XML, None).status == 200
        assert adapter.handle(extract(2, page_size=2, extract_id=extract_id), TEXT_XML,
                              None).status == 200  # again at once: a retry, right
        for key in adapter.fortysecond.get("served", {}):  # the handler's clock, 30 s on
            adapter.fortysecond["served"][key] -= REREAD_WINDOW + 1
        again = adapter.handle(extract(2, page_size=2, extract_id=extract_id), TEXT_XML, None)
        assert (_code(again) == "VENDOR-PAGE-CONFIRMED") is (defect == name), defect
        assert adapter.handle(extract(3, page_size=2, extract_id=extract_id), TEXT_XML,
                              None).status == 200  # a page not asked before: right
        retried = adapter.handle(extract(1, page_size=2, request_id="transfer-9"), TEXT_XML,
                                 None)  # the first request retried (no ExtractId): right
        assert answer_text(retried, f"{{{JUKI}}}ExtractId") == extract_id


def test_the_helpers_the_variants_are_built_on():
    assert content_length("0412", "content-length-leading-zeros-octal") == 0o412 == 266
    assert content_length("0789", "content-length-leading-zeros-octal") == 7  # strtoul stops
    assert content_length("412", "content-length-leading-zeros-octal") == 412
    assert content_length("0", "content-length-leading-zeros-octal") == 0
    assert content_length("0412", None) == 412 and content_length(None, None) == 0
    assert decoded_per_chunk(["𠮷".encode()[:2], "𠮷".encode()[2:]]) == \
        "\ufffd\ufffd\ufffd".encode()
    assert decoded_per_chunk([b"ab", "総".encode()]) == "ab総".encode()
    assert without_controls(b"<a>x&#x7;&#7;&#x1F;\x1b&#x9;&#10;&#x10000;</a>") == \
        b"<a>x&#x9;&#10;&#x10000;</a>"
    assert without_controls("\ufeff<a/>".encode("utf-16")) == "\ufeff<a/>".encode("utf-16")
    assert without_leading_white(b"\r\n <?xml version='1.0'?><a/>") == \
        b"<?xml version='1.0'?><a/>"
    assert without_leading_white(b"\n<a/>") == b"\n<a/>"  # no declaration: left as it is
    text = "ab" * CHUNK_CHARACTERS
    assert [len(part) for part in chunks_of_characters(text)] == [CHUNK_CHARACTERS] * 2
    address = etree.fromstring(f'<c:Address xmlns:c="{CMN}"><c:Town>麹町</c:Town>'
                               '<c:Banchi>5番地1</c:Banchi><c:Katagaki>ハイツ</c:Katagaki>'
                               '</c:Address>')
    assert merged_address(address) and address.findtext(f"{{{CMN}}}Banchi") == "5番地1\u3000ハイツ"
    assert not merged_address(address)  # no 方書 left
    ahead = etree.fromstring(_on(notice(change()), FUTURE_DAY))
    assert ahead_of_today(next(ahead.iter(f"{{{JUKI}}}Change")))
    past = etree.fromstring(notice(change()))
    assert not ahead_of_today(next(past.iter(f"{{{JUKI}}}Change")))
    assert LARGE_ANSWER == 8192


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("<pfh:UserId>batch<", "<pfh:Version>1<", "<j:Sequence>1<",
                 "<c:OccurredOn>2025-04-01<", "<pfh:Sender><pfh:LocalGovCode>131016<",
                 '<?xml version="1.0" encoding="UTF-8"?>'):
        assert part.encode() in one, part
    for part in ("</j:AddresseeNumber>", "<soap:Header>", "<pfh:UserId>batch<"):
        assert part.encode() in inquiry("0000010014"), part


# --- the HTTP front end, on the adapter as a process --------------------------------------------

def _request(body: bytes, *, length: str | None = None, chunks: list[bytes] | None = None,
             close: bool = True) -> bytes:
    framing = (f"Content-Length: {length if length is not None else len(body)}"
               if chunks is None else "Transfer-Encoding: chunked")
    head = (f"POST /soap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {TEXT_XML}\r\n"
            f"{framing}\r\n{'Connection: close' if close else 'Connection: keep-alive'}\r\n\r\n")
    payload = body if chunks is None else b"".join(
        f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in chunks) + b"0\r\n\r\n"
    return head.encode() + payload


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _observe(process, number: str = "0000010014") -> str | None:
    code, out = process.observe({"addressee_number": number})
    return out if code == 0 else None


def test_a_content_length_with_a_leading_zero_is_read_as_octal(indie_process):
    name = "content-length-leading-zeros-octal"
    for role, raw in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        for defect in (None, name):
            p = indie_process(role, defect)
            conn = http.client.HTTPConnection(p.host, p.port, timeout=10)
            conn.request("POST", "/soap", raw, {"Content-Type": TEXT_XML,
                                                "Content-Length": f"0{len(raw)}"})
            response = conn.getresponse()
            body = response.read()
            conn.close()
            assert (response.status == 200) is (defect is None), (role, defect)
            if defect:  # the body cut where the octal number ends: not well-formed
                assert b"PF-SOAP-ENVELOPE" in body, role
            assert _status(p.post_raw(_request(raw))) == 200, (role, defect)  # no 0: right


def test_a_chunk_boundary_inside_a_character_is_decoded_as_two(indie_process):
    name = "chunked-notice-decoded-per-chunk"
    raw = notice(change(name="𠮷田花子"))
    cut = raw.index("𠮷".encode()) + 2  # inside the character's four bytes
    for defect in (None, name):
        p = indie_process("subscriber", defect)
        answer = p.post_raw(_request(raw, chunks=[raw[:cut], raw[cut:]]))
        assert _status(answer) == 200 and b"applied</pfr:Status>" in answer, defect
        held = _observe(p)
        assert ("\ufffd" in held) is (defect == name), (defect, held)
        assert ("𠮷田花子" in held) is (defect is None), (defect, held)
        other = notice(change(seq=2, name="𠮷田一郎"))
        p.post_raw(_request(other))  # a Content-Length body: right
        assert "𠮷田一郎" in _observe(p), defect
        split = notice(change(seq=3))
        at = split.index("ソウム".encode()) + 1  # inside the reading's first character
        answer = p.post_raw(_request(split, chunks=[split[:at], split[at:]]))
        assert (b"PF-SCHEMA-INVALID" in answer) is (defect == name), defect


def _dechunk_by_octets(body: bytes) -> bytes | None:
    """The chunked body read as RFC 9112 §7.1 says (None: its framing does not hold)."""
    out = b""
    while True:
        line, sep, body = body.partition(b"\r\n")
        if not sep:
            return None
        try:
            size = int(line.split(b";")[0], 16)
        except ValueError:
            return None
        if size == 0:
            return out
        if body[size:size + 2] != b"\r\n":
            return None
        out, body = out + body[:size], body[size + 2:]


def test_a_large_answer_counts_its_chunks_in_characters(indie_process):
    name = "large-answers-chunk-sizes-in-characters"
    page = extract(1, page_size=100)  # every resident: 12 kB, Japanese text among it
    small = inquiry("0000010014")  # 5 kB
    for defect in (None, name):
        p = indie_process("provider", defect)
        head, _, body = p.post_raw(_request(page)).partition(b"\r\n\r\n")
        chunked = b"transfer-encoding: chunked" in head.lower()
        assert chunked is (defect == name), defect
        if chunked:
            assert b"content-length" not in head.lower()
            assert _dechunk_by_octets(body) is None  # the framing breaks at the first chunk
            size, _, rest = body.partition(b"\r\n")
            assert int(size, 16) == CHUNK_CHARACTERS  # characters, not octets
            assert len(rest[:int(size, 16)].decode("utf-8", "ignore")) < CHUNK_CHARACTERS
        else:
            assert etree.fromstring(body) is not None
        head = p.post_raw(_request(small)).partition(b"\r\n\r\n")[0].lower()
        assert b"content-length:" in head and b"transfer-encoding" not in head, defect


def test_notices_on_a_kept_alive_connection_are_lost_with_it(indie_process):
    name = "notices-committed-at-connection-close"
    for defect in (None, name):
        p = indie_process("subscriber", defect)
        conn = http.client.HTTPConnection(p.host, p.port, timeout=10)
        conn.request("POST", "/soap", notice(change()), {"Content-Type": TEXT_XML})
        response = conn.getresponse()
        assert b"applied</pfr:Status>" in response.read(), defect
        assert "総務翔子" in (_observe(p) or ""), defect  # its own view: held
        p.restart()  # killed, the connection still open
        conn.close()
        assert (_observe(p) is None) is (defect == name), defect
        # a notice on a connection the client closes: committed at the close — right
        answer = p.post_raw(_request(notice(change(number="0000010049", name="髙橋健一"))))
        assert b"applied</pfr:Status>" in answer, defect
        p.restart()
        assert "髙橋健一" in (_observe(p, "0000010049") or ""), defect


def test_a_chunked_notice_is_applied_after_its_receipt(indie_process):
    name = "chunked-notices-applied-after-receipt"
    for defect in (None, name):
        p = indie_process("subscriber", defect)
        raw = notice(change())
        answer = p.post_raw(_request(raw, chunks=[raw[:100], raw[100:]]))
        assert b"applied</pfr:Status>" in answer, defect
        p.restart()  # at once: before the completion job
        assert (_observe(p) is None) is (defect == name), defect
        answer = p.post_raw(_request(notice(change(number="0000010049", name="髙橋健一"))))
        assert b"applied</pfr:Status>" in answer, defect
        p.restart()  # a Content-Length body: stored before its receipt, right
        assert "髙橋健一" in (_observe(p, "0000010049") or ""), defect
