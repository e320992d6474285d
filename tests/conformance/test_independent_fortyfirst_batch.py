"""Each variant of the forty-first batch really takes effect (variants.py FORTYFIRST_BATCH,
declared in independent/fortyfirst.py), in the way of the fortieth batch's test: the independent
adapter in process, a short scenario of standard-conformant exchanges (crashes and starts on the
same database included), and the variant's transcript must differ from the correct adapter's.
Each variant also leaves an exchange it does not target as the correct adapter answers it. The
clock is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not depend on
when the tests run; the variant that reads a date is shown to take effect at a second instant
too, 00:30 JST on the first day of a year. Four variants take effect where a transcript cannot
show them and have tests of their own (OWN_TEST): three on the adapter as a process — a chunked
request's RequestHash, SentAt on a kept-alive connection, a large answer's framing — and a fault
that is not UTF-8 (a transcript reads every answer as UTF-8)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.client
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from tests.support.polling import wait_until

from .independent.adapter import JST, Adapter
from .independent.fortyfirst import (FORTYFIRST_DEFECTS, FORTYFIRST_MEASURED_MISSES,
                                     HEADER_FAULTS, LARGE_ANSWER, RESUBMIT_WINDOW,
                                     as_standardized, content_type_parameters,
                                     document_prefix_map, hex_read_references,
                                     undecodable_bytes, zero_based_path)
from .independent.fortyfirst_store import (ASYNC_DELAY, MERGE_WINDOW, fixed_after_occurred,
                                           guid_bytes, read_back, with_original,
                                           without_postal_code)
from .independent.standard import CMN, PFF, PFH, SOAP11
from .independent.variants import APART, FORTYFIRST_BATCH
from .variant_transcripts import as_soap12 as _soap12
from .variant_transcripts import answer_on_store as _answer
from .variant_transcripts import fault_code as _code
from .variant_transcripts import receipt_status as _receipt
from .variant_transcripts import answer_tree as _tree
from .variant_transcripts import observed as _observed
from .variant_transcripts import replaced as _with
from .variant_transcripts import (BAD_CHECK_DIGIT, GOV, SOAP12, SOAP12_TYPE, TEXT_XML,
                                  answer_text, assert_declared_apart, batch_cases, change,
                                  clock_from, extract, inquiry, missed_runs,
                                  neutral_restart_scenario, neutral_scenario_tests, notice,
                                  variant_effect_tests)

# the variants that read a date: shown at NEW_YEAR too
DATED = {"address-fixed-after-occurred-refused"}
DURABLE = {"postal-code-completion-applied-after-receipt", "seen-ids-guid-byte-order-on-start",
           "original-names-applied-after-receipt"}
# the variants a transcript cannot show: tests of their own (below)
OWN_TEST: frozenset[str] = frozenset({"request-hash-over-chunked-framing",
                                      "sent-at-per-connection",
                                      "large-answers-chunked-with-content-length",
                                      "malformed-encoding-fault-echoes-bytes"})
TRACED_TYPE = "text/xml; charset=utf-8; x-trace=gw-1"
ACTION_ON_TEXT_XML = 'text/xml; charset=utf-8; action="urn:pfbus:service:juki.ResidentInquiry"'
POSTAL = "<c:PostalCode>1000013</c:PostalCode>"


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, dt.datetime(2026, 12, 9, 15, 20, tzinfo=JST))


def _to(raw: bytes, system_id: str) -> bytes:
    """``raw`` (an inquiry) addressed to another system of the same 団体 and 業務ユニット."""
    return _with(raw, "<pfh:SystemId>indie<", f"<pfh:SystemId>{system_id}<")


def _to_other_hub(raw: bytes) -> bytes:
    """``raw`` (a notice) addressed to another system than the 団体's hub."""
    return _with(raw, "<pfh:SystemId>hub<", "<pfh:SystemId>hub-2<")


def _rebound(raw: bytes) -> bytes:
    """``raw`` with its body element's namespace bound to the header's prefix, pfh, declared on
    the body element: one prefix, two namespaces, in two scopes."""
    head, body = raw.split(b"<soap:Body>", 1)
    body = body.replace(b"<j:", b"<pfh:").replace(b"</j:", b"</pfh:")
    return head + b"<soap:Body>" + body.replace(b"xmlns:j=", b"xmlns:pfh=", 1)


def _shift_jis_comment(raw: bytes) -> bytes:
    """``raw`` with a comment in Shift_JIS bytes after its declaration (UTF-8): not UTF-8."""
    return raw.replace(b"?>", "?><!-- 住民照会 -->".encode("cp932"), 1)


def _ascii(raw: bytes) -> bytes:
    """``raw`` in US-ASCII, declared so, every other character a decimal character reference."""
    text = _with(raw, 'encoding="UTF-8"', 'encoding="US-ASCII"').decode()
    return text.encode("ascii", "xmlcharrefreplace")


def _hex_ascii(raw: bytes) -> bytes:
    """The same, the references hexadecimal."""
    return re.sub(rb"&#([0-9]+);", lambda m: b"&#x%X;" % int(m[1]), _ascii(raw))


def _fixed(raw: bytes, day: str) -> bytes:
    """``raw`` (a notice of one change, OccurredOn 2025-04-01) whose resident carries
    住所を定めた年月日 ``day``."""
    return _with(raw, "</c:Address></j:Resident>",
                 f"</c:Address><c:AddressFixedOn>{day}</c:AddressFixedOn></j:Resident>")


def _postal(raw: bytes) -> bytes:
    """``raw`` (a notice) whose address carries a 郵便番号."""
    return _with(raw, "<c:Prefecture>", f"{POSTAL}<c:Prefecture>")


def _original(raw: bytes) -> bytes:
    """``raw`` (a notice of 総務翔子) whose name is relayed in 縮退: Text and Original."""
    return _with(raw, "<c:Text>総務翔子</c:Text>",
                 "<c:Text>総務翔子</c:Text><c:Original>總務翔子</c:Original>")


def _retried() -> list:
    """A first 全件 request with a RequestId and the same request sent again at once."""
    return [extract(1, page_size=2, request_id="transfer-7"),
            extract(1, page_size=2, request_id="transfer-7")]


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "soap11-header-fault-detail-in-header-entry": [_to(inquiry("0000010014"), "other")],
        "resident-address-moved-into-member": [inquiry("0000010065")],
        "member-join-on-truncated-household-number": [inquiry("0000010014")],
        "content-type-parameter-allow-list": [(inquiry("0000010014"), TRACED_TYPE)],
        "prefix-rebinding-resolved-document-wide": [_rebound(inquiry("0000010014"))],
        "ivs-written-as-standardized-selectors": [inquiry("0000010057")],
        "answers-declared-utf8-alias": [inquiry("0000010014")],
        "request-id-retry-within-2s-refused": _retried(),
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    steps: dict[str, list] = {
        "soap11-header-fault-detail-in-header-entry": stored(_to_other_hub(one)),
        "finding-path-positions-zero-based": stored(notice(change(), change(seq=2,
                                                                           reason="Z99"))),
        "content-type-parameter-allow-list": stored((one, TRACED_TYPE)),
        "prefix-rebinding-resolved-document-wide": stored(_rebound(one)),
        "decimal-references-read-as-hex": stored(_ascii(one)),
        "resident-notices-within-2s-counted-once": stored(one, notice(change(seq=2))),
        "address-fixed-after-occurred-refused": stored(_fixed(one, "2025-04-02")),
        "postal-code-completion-applied-after-receipt": stored(one, ("crash",)),
        "seen-ids-guid-byte-order-on-start": stored(one, ("crash",), one),
        "original-names-applied-after-receipt": stored(_postal(_original(one)), ("crash",)),
    }
    return steps[name]


STEPS: dict[str, Callable[[str], list]] = {"provider": provider_steps,
                                           "subscriber": subscriber_steps}
CASES = batch_cases(FORTYFIRST_BATCH, APART, OWN_TEST)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(FORTYFIRST_BATCH, APART, min_per_class=3)
    own = sum(len(APART[name][1]) for name in OWN_TEST)
    assert len(roles) == len(CASES) + own
    assert len(FORTYFIRST_BATCH) == len(set(FORTYFIRST_BATCH))
    assert 18 <= len(FORTYFIRST_BATCH) <= 20 and len(roles) >= 22
    assert DATED <= FORTYFIRST_BATCH and DURABLE <= FORTYFIRST_BATCH
    assert OWN_TEST <= FORTYFIRST_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)
    assert abs(roles.count("provider") - roles.count("subscriber")) <= 2  # balanced
    assert set(FORTYFIRST_DEFECTS) == FORTYFIRST_BATCH


def test_the_measured_misses_are_of_the_batch():
    missed = missed_runs(FORTYFIRST_MEASURED_MISSES, FORTYFIRST_BATCH, APART)
    assert len(FORTYFIRST_MEASURED_MISSES) == 3  # variants missed, 21/25 runs on 3ef9301
    every_run = batch_cases(FORTYFIRST_BATCH, APART)
    assert len(missed) == 4 and set(missed) <= set(every_run)
    assert len(every_run) == 25 and len(CASES) == 18


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.1 inquiry of a resident of a household of three by 宛名番号 and one of another of
    that household over SOAP 1.2 (JIS X 0208 names, no IVS); a first 全件 request for page 2
    (two residents a page). A 転入 (A01) of a resident not held, then two 転居 (C01), one per
    notice (the second over SOAP 1.2), observed; a restart; a third, newer, observed."""
    return {
        "provider": [inquiry("0000010014"), _soap12(inquiry("0000010022")),
                     extract(2, page_size=2)],
        "subscriber": neutral_restart_scenario(),
    }[role]


# every answer's declaration; the household of 0000010014, whose number begins as three others';
# notices without a 郵便番号 (the scenario's), two notices of one resident less than 2 s apart
TARGETS_THE_NEUTRAL_SCENARIO: dict[str, set[str]] = {
    "provider": {"answers-declared-utf8-alias", "member-join-on-truncated-household-number"},
    "subscriber": {"postal-code-completion-applied-after-receipt",
                   "resident-notices-within-2s-counted-once"}}
(test_each_variant_leaves_what_it_does_not_target,
 _no_variant_targets_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------



def _adapter(role: str, defect: str | None, tmp_path: Path, db: str = "store") -> Adapter:
    return Adapter(role, GOV, "01" if role == "provider" else "07", "indie",
                   db=tmp_path / f"{db}-{defect}.sqlite3" if role == "subscriber" else None,
                   defect=defect)


def test_the_fault_variants_write_what_they_say(tmp_path):
    for role, plain, elsewhere, bad in (
            ("provider", inquiry("0000010014"), _to(inquiry("0000010014"), "other"),
             inquiry(BAD_CHECK_DIGIT)),
            ("subscriber", notice(change()), _to_other_hub(notice(change())),
             notice(change(reason="Z99")))):
        def tree(defect, raw, ctype=TEXT_XML, role=role):
            return _tree(defect, raw, ctype, role=role, tmp_path=tmp_path)
        name = "soap11-header-fault-detail-in-header-entry"
        right = tree(None, elsewhere)
        assert right.find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault/detail/{{{PFF}}}FaultDetail") \
            is not None
        wrong = tree(name, elsewhere)
        fault = wrong.find(f"{{{SOAP11}}}Body/{{{SOAP11}}}Fault")
        assert [child.tag for child in fault] == ["faultcode", "faultstring"]  # no detail
        assert wrong.findtext(f"{{{SOAP11}}}Header/{{{PFF}}}FaultDetail/{{{PFF}}}Code") == \
            "PF-PROVIDER-MISROUTED"
        assert tree(name, bad).find(f".//detail/{{{PFF}}}FaultDetail") is not None  # a rule
        assert tree(name, *_soap12(elsewhere)).find(  # SOAP 1.2: right
            f".//{{{SOAP12}}}Detail/{{{PFF}}}FaultDetail") is not None
        name = "content-type-parameter-allow-list"
        for ctype, refused in ((TRACED_TYPE, True), (ACTION_ON_TEXT_XML, True),
                               ("text/xml; charset=utf-8", False), ("text/xml", False),
                               ('text/xml; charset="UTF-8";', False)):
            assert _answer(None, plain, ctype, role=role, tmp_path=tmp_path).status == 200
            answer = _answer(name, plain, ctype, role=role, tmp_path=tmp_path)
            assert (_code(answer) == "PF-CONTENT-TYPE") is refused, ctype
        action = SOAP12_TYPE + '; action="urn:pfbus:service:juki.X"'  # SOAP 1.2's own: right
        assert _answer(name, _soap12(plain)[0], action, role=role, tmp_path=tmp_path).status \
            == 200
        name = "prefix-rebinding-resolved-document-wide"
        assert _answer(None, _rebound(plain), role=role, tmp_path=tmp_path).status == 200
        assert _code(_answer(name, _rebound(plain), role=role, tmp_path=tmp_path)) == \
            "PF-HEADER-MISSING"
        assert _answer(name, plain, role=role, tmp_path=tmp_path).status == 200  # one binding


def test_a_rule_finding_names_the_change_counted_from_zero(tmp_path):
    name = "finding-path-positions-zero-based"
    path = f".//{{{PFF}}}Finding/{{{PFF}}}Path"
    two = notice(change(), change(seq=2, reason="Z99"))
    right = _tree(None, two, role="subscriber", tmp_path=tmp_path)
    assert right.findtext(f".//{{{PFF}}}Code") == "PF-RULE-VIOLATION"
    assert right.find(path) is None  # the correct adapter names no place
    wrong = _tree(name, two, role="subscriber", tmp_path=tmp_path)
    assert wrong.findtext(path) == \
        "/soap:Envelope/soap:Body/j:ResidentChangeNotice/j:Change[1]/j:Event/c:Reason"
    named = etree.fromstring(two).xpath(wrong.findtext(path), namespaces={
        "soap": SOAP11, "j": "urn:pfbus:unit:juki:v1", "c": CMN})
    assert [el.text for el in named] == ["C01"]  # the first change's, not Z99 of the second
    one = _tree(name, notice(change(reason="Z99")), role="subscriber", tmp_path=tmp_path)
    assert one.findtext(path) == \
        "/soap:Envelope/soap:Body/j:ResidentChangeNotice/j:Change/j:Event/c:Reason"  # right


def test_the_provider_variants_answer_what_they_say():
    member = f".//{{{CMN}}}Member/{{{CMN}}}AddresseeNumber"
    address = f"{{urn:pfbus:unit:juki:v1}}Resident/{{{CMN}}}Address"
    name = "resident-address-moved-into-member"
    alone = _tree(None, inquiry("0000010065"))
    assert alone.find(f".//{address}") is not None
    wrong = _tree(name, inquiry("0000010065"))  # a household of one
    assert wrong.find(f".//{address}") is None
    assert wrong.find(f".//{{{CMN}}}Member/{{{CMN}}}Address") is not None
    three = _tree(name, inquiry("0000010014"))  # a household of three: right
    assert three.find(f".//{address}") is not None
    name = "member-join-on-truncated-household-number"
    right = [el.text for el in _tree(None, inquiry("0000010065")).findall(member)]
    assert right == ["0000010065"]
    wrong_members = [el.text for el in _tree(name, inquiry("0000010065")).findall(member)]
    assert set(wrong_members) == {"0000010014", "0000010022", "0000010030", "0000010049",
                                  "0000010057", "0000010065", "0000010073"}
    assert _tree(name, inquiry("0000010065")).findtext(
        f".//{{{CMN}}}HeadName/{{{CMN}}}Text") == "総務翔子"
    dated = inquiry("0000010065", as_of="2024-01-01")  # the history view: right
    assert [el.text for el in _tree(name, dated).findall(member)] == ["0000010065"]
    assert [el.text for el in _tree(name, inquiry("0000010219")).findall(member)] == \
        ["0000010219"]  # 0000050210: no other household begins alike
    name = "ivs-written-as-standardized-selectors"
    text = f".//{{{CMN}}}FormerSurname/{{{CMN}}}Text"
    assert _tree(None, inquiry("0000010057")).findtext(text) == "葛\U000e0102西"
    assert _tree(name, inquiry("0000010057")).findtext(text) == "葛\ufe02西"
    watanabe = _tree(name, inquiry("0000010316")).findtext(f".//{{{CMN}}}Name/{{{CMN}}}Text")
    assert watanabe == "渡邉\U000e011f俞\ufe00子"  # VS17 written VS1, VS48 left
    assert _tree(name, inquiry("0000010014")).findtext(f".//{{{CMN}}}Name/{{{CMN}}}Text") == \
        "総務翔子"  # no selector: right
    name = "answers-declared-utf8-alias"
    assert _answer(None, inquiry("0000010014")).body.startswith(
        b"<?xml version='1.0' encoding='UTF-8'?>")
    assert _answer(name, inquiry("0000010014")).body.startswith(
        b"<?xml version='1.0' encoding='UTF8'?>")
    fault = _answer(name, inquiry(BAD_CHECK_DIGIT))  # the fault writer: right
    assert fault.body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_a_retried_first_request_is_refused_for_two_seconds():
    name = "request-id-retry-within-2s-refused"
    for defect in (None, name):
        adapter = Adapter("provider", GOV, "01", "indie", defect=defect)
        first, again = (adapter.handle(raw, TEXT_XML, '""') for raw in _retried())
        assert first.status == 200
        assert (_code(again) == "VENDOR-DUPLICATE-SUBMIT") is (defect == name), defect
        for submitted in adapter.fortyfirst.get("submitted", {}):  # the guard's clock, 2 s on
            adapter.fortyfirst["submitted"][submitted] -= RESUBMIT_WINDOW + 0.1
        later = adapter.handle(_retried()[0], TEXT_XML, '""')  # later: the same snapshot
        assert answer_text(later, "{urn:pfbus:unit:juki:v1}ExtractId") == \
            answer_text(first, "{urn:pfbus:unit:juki:v1}ExtractId"), defect
        other = adapter.handle(extract(1, page_size=2, request_id="transfer-8"), TEXT_XML, '""')
        assert other.status == 200  # another RequestId: right


def test_the_subscriber_variants_answer_what_they_say(tmp_path):
    def answer(defect, raw, ctype=TEXT_XML):
        return _answer(defect, raw, ctype, role="subscriber", tmp_path=tmp_path)
    name = "decimal-references-read-as-hex"
    one = notice(change())
    assert _receipt(answer(None, _ascii(one))) == "applied"
    assert _code(answer(name, _ascii(one))) == "PF-SCHEMA-INVALID"  # ソ read as U+12477 …
    steps = [_ascii(notice(change(name="ROSSI VIOLA"))), ("observe", "0000010014")]
    assert _observed(tmp_path, None, steps)[-1] != _observed(tmp_path, name, steps)[-1]
    for raw in (_hex_ascii(one), one):  # hexadecimal references, and none: right
        steps = [raw, ("observe", "0000010014")]
        assert _observed(tmp_path, None, steps) == _observed(tmp_path, name, steps)
    name = "address-fixed-after-occurred-refused"
    for day, refused in (("2025-04-02", True), ("2026-01-01", True), ("2025-04-01", False),
                         ("2015-04-01", False)):
        assert _receipt(answer(None, _fixed(one, day))) == "applied", day
        assert (_code(answer(name, _fixed(one, day))) == "VENDOR-DATE") is refused, day
    name = "resident-notices-within-2s-counted-once"
    steps = [one, notice(change(seq=2)), ("observe", "0000010014")]
    assert "'changes_applied': 2" in _observed(tmp_path, None, steps)[-1]
    assert "'changes_applied': 1" in _observed(tmp_path, name, steps)[-1]
    for steps in ([notice(change(), change(seq=2)), ("observe", "0000010014")],  # one notice
                  [one, notice(change(number="0000010049", name="髙橋健一")),
                   ("observe", "0000010014"), ("observe", "0000010049")]):  # two residents
        assert _observed(tmp_path, None, steps) == _observed(tmp_path, name, steps)
    adapter = _adapter("subscriber", name, tmp_path, "apart")
    adapter.handle(notice(change()), TEXT_XML, None)
    for number in adapter.fortyfirst["arrivals"]:  # the buffer's clock, 2 s on
        mid, at = adapter.fortyfirst["arrivals"][number]
        adapter.fortyfirst["arrivals"][number] = (mid, at - MERGE_WINDOW - 0.1)
    adapter.handle(notice(change(seq=2)), TEXT_XML, None)
    assert adapter.observe("0000010014") == {"name": "総務翔子", "changes_applied": 2}


def test_a_fault_to_undecodable_bytes_quotes_them(tmp_path):
    name = "malformed-encoding-fault-echoes-bytes"
    for role, raw in (("provider", inquiry("0000010014")), ("subscriber", notice(change()))):
        bad = _shift_jis_comment(raw)
        right = _answer(None, bad, role=role, tmp_path=tmp_path)
        assert _code(right) == "PF-SOAP-ENVELOPE"
        right.body.decode("utf-8")
        wrong = _answer(name, bad, role=role, tmp_path=tmp_path)
        assert wrong.status == right.status and wrong.content_type == right.content_type
        with pytest.raises(UnicodeDecodeError):
            wrong.body.decode("utf-8")
        assert "住民照会".encode("cp932") in wrong.body  # the request's own bytes, quoted
        cut = raw[:-20]  # not well-formed, but UTF-8: right
        assert _answer(name, cut, role=role, tmp_path=tmp_path).body == \
            _answer(None, cut, role=role, tmp_path=tmp_path).body


def test_the_durable_variants_lose_what_they_say(tmp_path):
    one = notice(change())
    name = "postal-code-completion-applied-after-receipt"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "applied</pfr:Status>" in right[0] and "applied</pfr:Status>" in wrong[0]
    assert "'changes_applied': 1" in right[-1] and wrong[-1] == "None"
    plain = [_postal(one), ("crash",), ("observe", "0000010014")]  # a 郵便番号: right
    assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain)
    adapter = _adapter("subscriber", name, tmp_path, "postal")
    assert _receipt(adapter.handle(one, TEXT_XML, None)) == "applied"
    assert adapter.observe("0000010014") is None  # receipted before it was stored
    wait_until(lambda: adapter.observe("0000010014") is not None, ASYNC_DELAY + 10,
               "the 住所補完 job to write the change")
    name = "original-names-applied-after-receipt"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "'changes_applied': 1" in right[-1] and wrong[-1] == "None"
    plain = [_postal(one), ("crash",), ("observe", "0000010014")]  # no Original: right
    assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain)
    name = "seen-ids-guid-byte-order-on-start"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "duplicate</pfr:Status>" in right[-2] and "'changes_applied': 1" in right[-1]
    assert "applied</pfr:Status>" in wrong[-2]  # taken for new (its change is kept out)
    assert "'changes_applied': 1" in wrong[-1]
    again = [one, one, ("observe", "0000010014")]  # without a restart: right
    assert _observed(tmp_path, None, again) == _observed(tmp_path, name, again)


def test_the_helpers_the_variants_are_built_on():
    assert content_type_parameters('Text/XML ; a="x;y=\\"z"; ;Charset=utf-8;') == \
        ("text/xml", ["a", "charset"])
    assert content_type_parameters("application/soap+xml") == ("application/soap+xml", [])
    rebound = etree.fromstring(_rebound(inquiry("0000010014")))
    assert (document_prefix_map(rebound) or {}).get("pfh") == "urn:pfbus:unit:juki:v1"
    assert document_prefix_map(etree.fromstring(inquiry("0000010014"))) is None
    tree = etree.fromstring(notice(change(), change(seq=2)))
    reasons = list(tree.iter(f"{{{CMN}}}Reason"))
    assert zero_based_path(reasons[0]).endswith("/j:Change[0]/j:Event/c:Reason")
    assert zero_based_path(tree) == "/soap:Envelope"
    assert hex_read_references(b'<?xml version="1.0" encoding="US-ASCII"?><a>&#x7DCF;&#38;'
                               b'&#32207;</a>') == \
        '<?xml version="1.0" encoding="UTF-8"?><a>総8\U00032207</a>'.encode()
    assert hex_read_references(b"<a>plain</a>") == b"<a>plain</a>"
    assert as_standardized("葛\U000e0102\U000e0110") == "葛\ufe02\U000e0110"
    assert undecodable_bytes("<a>住</a>".encode()) is None
    assert undecodable_bytes("<a>住</a>".encode("cp932")) == "<a>住</a>".encode("cp932")
    mid = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
    assert read_back(guid_bytes(mid)) == "3c2d1e0f-5a4b-6849-8776-a5b4c3d2e1f0" != mid
    day = etree.fromstring(_fixed(notice(change()), "2025-04-02"))
    assert fixed_after_occurred(next(day.iter("{urn:pfbus:unit:juki:v1}Change"))) == \
        ("2025-04-02", "2025-04-01")
    first = next(etree.fromstring(notice(change())).iter("{urn:pfbus:unit:juki:v1}Change"))
    assert without_postal_code(first) and not with_original(first)
    assert "PF-HEADER-INVALID" in HEADER_FAULTS and LARGE_ANSWER == 8192


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("</c:Address></j:Resident>", "<c:Prefecture>", "<c:Text>総務翔子</c:Text>",
                 "<pfh:SystemId>hub<", '<?xml version="1.0" encoding="UTF-8"?>'):
        assert part.encode() in one, part
    assert POSTAL.encode() not in one
    assert b"<j:ResidentInquiryRequest" in inquiry("0000010014")
    assert b"<pfh:SystemId>indie<" in inquiry("0000010014")


# --- the HTTP front end, on the adapter as a process --------------------------------------------

def _chunks(body: bytes) -> bytes:
    return b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n"
                    for part in (body[:100], body[100:])) + b"0\r\n\r\n"


def _request(body: bytes, chunked: bool) -> bytes:
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    return (f"POST /soap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {TEXT_XML}\r\n"
            f"{framing}\r\nConnection: close\r\n\r\n").encode() + \
        (_chunks(body) if chunked else body)


def _digest(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _request_hash(answer: bytes) -> str | None:
    head, _, body = answer.partition(b"\r\n\r\n")
    if b"Transfer-Encoding: chunked" in head:
        body = b"".join(re.findall(rb"[0-9a-f]+\r\n(.*?)\r\n", body, re.S))
    return etree.fromstring(body).findtext(f".//{{{PFH}}}RequestHash")


def test_a_chunked_request_is_hashed_with_its_framing(indie_process):
    name = "request-hash-over-chunked-framing"
    for role, fresh in (("provider", lambda: inquiry("0000010014")),
                        ("subscriber", lambda: notice(change()))):
        right, wrong = indie_process(role, None), indie_process(role, name)
        raw = fresh()
        assert _request_hash(right.post_raw(_request(raw, chunked=True))) == _digest(raw), role
        raw = fresh()
        assert _request_hash(wrong.post_raw(_request(raw, chunked=True))) == \
            _digest(_chunks(raw)), role  # the chunk framing hashed with the message
        raw = fresh()
        assert _request_hash(wrong.post_raw(_request(raw, chunked=False))) == _digest(raw), role


def test_sent_at_is_kept_per_connection(indie_process):
    name = "sent-at-per-connection"
    for role, fresh in (("provider", lambda: inquiry("0000010014")),
                        ("subscriber", lambda: notice(change()))):
        for defect in (None, name):
            p = indie_process(role, defect)
            conn = http.client.HTTPConnection(p.host, p.port, timeout=10)
            stamps = []
            for pause in (0, 1.2):  # two requests on one kept-alive connection
                time.sleep(pause)
                conn.request("POST", "/soap", fresh(), {"Content-Type": TEXT_XML})
                response = conn.getresponse()
                stamps.append(etree.fromstring(response.read()).findtext(f".//{{{PFH}}}SentAt"))
            conn.close()
            assert (stamps[0] == stamps[1]) is (defect == name), (role, defect, stamps)
            conn = http.client.HTTPConnection(p.host, p.port, timeout=10)  # a new connection
            conn.request("POST", "/soap", fresh(), {"Content-Type": TEXT_XML})
            stamp = etree.fromstring(conn.getresponse().read()).findtext(f".//{{{PFH}}}SentAt")
            conn.close()
            assert stamp >= stamps[1] and stamp != stamps[0], (role, defect)


def test_a_large_answer_carries_both_framings(indie_process):
    name = "large-answers-chunked-with-content-length"
    page = extract(1, page_size=100)  # every resident: 12 kB
    small = inquiry("0000010014")  # 5 kB
    for defect in (None, name):
        p = indie_process("provider", defect)
        head = p.post_raw(_request(page, chunked=False)).split(b"\r\n\r\n", 1)[0].lower()
        assert b"content-length:" in head
        assert (b"transfer-encoding: chunked" in head) is (defect == name), defect
        head = p.post_raw(_request(small, chunked=False)).split(b"\r\n\r\n", 1)[0].lower()
        assert b"content-length:" in head and b"transfer-encoding" not in head, defect
        conn = http.client.HTTPConnection(p.host, p.port, timeout=10)  # read as RFC 9112 says
        conn.request("POST", "/soap", extract(1, page_size=100), {"Content-Type": TEXT_XML})
        body = conn.getresponse().read()
        conn.close()
        assert len(body) >= LARGE_ANSWER and etree.fromstring(body) is not None
