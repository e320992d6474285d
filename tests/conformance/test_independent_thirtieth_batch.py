"""Each variant of the thirtieth batch really takes effect (variants.py THIRTIETH_BATCH, declared
in independent/thirtieth.py), in the way of the twenty-ninth batch's test: the independent adapter
in process, a short scenario of standard-conformant exchanges (crashes and starts on the same
database included), and the variant's transcript must differ from the correct adapter's. Each
variant also leaves an exchange it does not target as the correct adapter answers it. The clock
is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not depend on when
the tests run; the variants that read the clock (the freshness of a SentAt, the reply's SentAt)
are shown to take effect at a second instant too, 00:30 JST on the first day of a year."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import tempfile
import uuid
from pathlib import Path

import pytest
from lxml import etree

from .independent.adapter import JST
from .independent.standard import PFH, SOAP12 as SOAP12_NS
from .independent.thirtieth import (THIRTIETH_MEASURED_MISSES, business_date_sent_at,
                                    strip_pis, wall_time_as_utc_ahead)
from .independent.thirtieth_store import bound_as_cp932, refused_by_han_script_check
from .independent.variants import APART, THIRTIETH_BATCH
from .variant_transcripts import replaced as _with
from .variant_transcripts import (NEW_YEAR, PINNED, clock_from, neutral_scenario_tests,
                                  variant_effect_tests, NOT_HELD, NOTICE_A, NOTICE_B, SOAP11,
                                  SOAP12, SOAP12_TYPE, adapter_answer, assert_declared_apart,
                                  batch_cases, change, extract, inquiry, notice, transcript)

# the variants that read the clock: shown at NEW_YEAR too
DATED = {"sent-at-read-as-utc-refused", "sent-at-skew-60s-refused",
         "dated-answers-sent-at-on-business-date"}
DURABLE = {"watermark-rebuilt-from-value-history-on-start",
           "notice-with-relates-to-applied-after-receipt", "resident-lock-flag-left-by-kill",
           "change-count-rebuilt-per-notice-on-start"}
DRAFT = "http://www.w3.org/2001/12/soap-envelope"  # a SOAP 1.2 working draft's namespace


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, PINNED)


def _full(raw: bytes) -> bytes:
    """The request sent with LinkageKind full."""
    return _with(raw, "<pfh:LinkageKind>delta<", "<pfh:LinkageKind>full<")


def _must_understand(raw: bytes) -> bytes:
    """A vendor block for the ultimate receiver, mustUnderstand true (SOAP 1.2)."""
    return _with(raw, "<soap:Header>", '<soap:Header><v:Trace xmlns:v="urn:example:vendor" '
                                       'soap:mustUnderstand="true">hop-1</v:Trace>')


def _draft12(raw: bytes) -> bytes:
    """A SOAP 1.2 request whose envelope is in a working draft's namespace: a version error."""
    return _with(raw, SOAP12, DRAFT)


def _traced_header(raw: bytes) -> bytes:
    """A gateway's trace block before pfh:PlatformHeader, holding a copy of an earlier header
    (another MessageId)."""
    text = raw.decode()
    copy = re.search(r"<pfh:PlatformHeader .*?</pfh:PlatformHeader>", text)[0]
    copy = re.sub(r"<pfh:MessageId>[^<]+<", f"<pfh:MessageId>{NOTICE_B}<", copy)
    return _with(raw, "<soap:Header>", '<soap:Header><v:Trace xmlns:v="urn:example:vendor">'
                                       f"{copy}</v:Trace>")


def _pi(raw: bytes) -> bytes:
    """A gateway's processing instruction at the start of the Body."""
    return _with(raw, "<soap:Body>", "<soap:Body><?trace hop-1?>")


def _relates(raw: bytes) -> bytes:
    """A notice carrying RelatesTo: the asynchronous result of an earlier request."""
    return _with(raw, "</pfh:MessageId>", f"</pfh:MessageId><pfh:RelatesTo>{NOTICE_B}"
                                          "</pfh:RelatesTo>")


def _ahead(minutes: float) -> dt.datetime:
    return dt.datetime.now(JST) + dt.timedelta(minutes=minutes)


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "soap12-not-understood-qname-prefix-undeclared": [
            (_must_understand(inquiry("0000010014", soap=SOAP12)), SOAP12_TYPE)],
        "version-mismatch-upgrade-lists-one-envelope": [
            (_draft12(inquiry("0000010014", soap=SOAP12)), SOAP12_TYPE)],
        "later-pages-sender-system-of-export-host": [extract(1), ("page", 2)],
        "reply-linkage-kind-from-catalog": [_full(inquiry("0000010014"))],
        "platform-header-found-by-descendant-search": [_traced_header(inquiry("0000010014"))],
        "receiver-system-id-prefix-match": [
            inquiry("0000010014", receiver=("131016", "01", "indie-old"))],
        "request-hash-after-pi-stripped": [_pi(inquiry("0000010014"))],
        "sent-at-read-as-utc-refused": [inquiry("0000010014")],
        "sent-at-skew-60s-refused": [inquiry("0000010014", sent_at=_ahead(2))],
        "dated-answers-sent-at-on-business-date": [inquiry("0000010014", as_of="2025-01-01")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    twelve = notice(change(), soap=SOAP12)
    steps: dict[str, list] = {
        "soap12-not-understood-qname-prefix-undeclared": [(_must_understand(twelve),
                                                           SOAP12_TYPE)],
        "version-mismatch-upgrade-lists-one-envelope": [(_draft12(twelve), SOAP12_TYPE)],
        "reply-linkage-kind-from-catalog": [_full(one)],
        "platform-header-found-by-descendant-search": stored(_traced_header(one)),
        "receiver-system-id-prefix-match": stored(
            _with(one, "<pfh:SystemId>hub<", "<pfh:SystemId>hub-standby<")),
        "request-hash-after-pi-stripped": [_pi(one)],
        "full-linkage-notice-stale-check-skipped": stored(
            notice(change(seq=2)), _full(notice(change(seq=1, name="総務花子")))),
        "stores-name-va-row-rewritten": stored(notice(change(name="ヷーグナー"))),
        "name-shime-refused-by-han-script-check": stored(notice(change(name="〆木翔子"))),
        "name-update-bound-as-cp932": stored(one, notice(change(seq=2, name="𠮷田翔子"))),
        "sent-at-read-as-utc-refused": stored(one),
        "sent-at-skew-60s-refused": stored(notice(change(), sent_at=_ahead(2))),
        "watermark-rebuilt-from-value-history-on-start": stored(
            notice(change(seq=1)), notice(change(seq=3)), ("crash",),
            notice(change(seq=2, name="総務花子"))),
        "notice-with-relates-to-applied-after-receipt": stored(_relates(one), ("crash",)),
        "resident-lock-flag-left-by-kill": stored(one, ("crash",),
                                                  notice(change(seq=2, name="総務花子"))),
        "change-count-rebuilt-per-notice-on-start": stored(
            notice(change(), change(seq=2, name="総務花子")), ("crash",)),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
CASES = batch_cases(THIRTIETH_BATCH, APART)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(THIRTIETH_BATCH, APART, min_per_class=3)
    assert len(roles) == len(CASES) and len(THIRTIETH_BATCH) == len(set(THIRTIETH_BATCH))
    assert 18 <= len(THIRTIETH_BATCH) <= 20 and len(roles) >= 22
    assert DATED <= THIRTIETH_BATCH and DURABLE <= THIRTIETH_BATCH
    assert all(APART[name][0] == 5 for name in DURABLE)


def test_the_measured_misses_are_of_the_batch():
    assert set(THIRTIETH_MEASURED_MISSES) <= THIRTIETH_BATCH
    assert len(THIRTIETH_MEASURED_MISSES) == 6  # variants missed, 17/26 runs on f0c4be6
    missed = [(name, role) for name, roles in THIRTIETH_MEASURED_MISSES.items()
              for role in roles.split(", ")]
    assert len(missed) == 9 and set(missed) <= set(CASES)


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.2 inquiry of a resident not held and a SOAP 1.1 one by 個人番号 (no 基準日); a first
    全件 page sent as full (its catalog's kind). Two 転居 (C01) of one resident (JIS X 0208
    names), one per notice, sent in order (the second over SOAP 1.2), observed; a restart; the
    second delivered again (duplicate)."""
    second = (notice(change(seq=2, number="0000010049", name="高橋健二"), soap=SOAP12,
                     message_id=NOTICE_A), SOAP12_TYPE)
    return {
        "provider": [(inquiry(NOT_HELD, soap=SOAP12), SOAP12_TYPE),
                     inquiry("678901234562", by="IndividualNumber"), _full(extract(1))],
        "subscriber": [notice(change(number="0000010049", name="高橋健一")), second,
                       ("observe", "0000010049"), ("crash",), second,
                       ("observe", "0000010049")],
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO = {  # every message: its SentAt read as UTC is 9 h ahead
    "provider": {"sent-at-read-as-utc-refused"},
    "subscriber": {"sent-at-read-as-utc-refused"}}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def _tree(defect, raw, ctype="text/xml; charset=utf-8", role="provider"):
    db = None
    if role == "subscriber":
        db = Path(tempfile.mkdtemp()) / "s.sqlite3"
    return etree.fromstring(adapter_answer(role, defect, raw, ctype, db=db).body)


def _observed(tmp_path, defect, steps) -> list[str]:
    return transcript("subscriber", tmp_path / f"{defect}-{uuid.uuid4().hex}.sqlite3", defect,
                      steps)


def test_the_fault_variants_fault_as_they_say():
    env = f"{{{SOAP12_NS}}}"
    for role, raw in (("provider", inquiry("0000010014", soap=SOAP12)),
                      ("subscriber", notice(change(), soap=SOAP12))):
        name = "soap12-not-understood-qname-prefix-undeclared"
        right = _tree(None, _must_understand(raw), SOAP12_TYPE, role)
        wrong = _tree(name, _must_understand(raw), SOAP12_TYPE, role)
        for tree in (right, wrong):
            assert tree.find(f"{env}Body/{env}Fault/{env}Code/{env}Value").text.endswith(
                "MustUnderstand")
        nu = wrong.find(f"{env}Header/{env}NotUnderstood")
        assert nu.get("qname") == "v:Trace" and "v" not in nu.nsmap
        good = right.find(f"{env}Header/{env}NotUnderstood")
        prefix, local = good.get("qname").split(":")
        assert good.nsmap[prefix] == "urn:example:vendor" and local == "Trace"
        name = "version-mismatch-upgrade-lists-one-envelope"
        right = _tree(None, _draft12(raw), SOAP12_TYPE, role)
        wrong = _tree(name, _draft12(raw), SOAP12_TYPE, role)
        supported = f"{env}Header/{env}Upgrade/{env}SupportedEnvelope"
        assert len(right.findall(supported)) == 2 and len(wrong.findall(supported)) == 1
    steps = [_with(inquiry("0000010014"), "<soap:Header>",  # SOAP 1.1: no NotUnderstood
                   '<soap:Header><v:Trace xmlns:v="urn:example:vendor" '
                   'soap:mustUnderstand="1">hop-1</v:Trace>')]
    right = transcript("provider", None, None, steps)
    assert "MustUnderstand" in right[0]
    assert right == transcript("provider", None, "soap12-not-understood-qname-prefix-undeclared",
                               steps)


def test_the_reply_header_variants_write_what_they_say(tmp_path):
    kind = f".//{{{PFH}}}LinkageKind"
    name = "reply-linkage-kind-from-catalog"
    assert _tree(None, _full(inquiry("0000010014"))).findtext(kind) == "full"
    assert _tree(name, _full(inquiry("0000010014"))).findtext(kind) == "delta"
    assert _tree(name, extract(1)).findtext(kind) == "full"  # a 全件 sent as delta
    assert _tree(name, inquiry("0000010014")).findtext(kind) == "delta"  # as sent: right
    name = "later-pages-sender-system-of-export-host"
    steps = [extract(1), ("page", 2)]
    right, wrong = (transcript("provider", None, d, steps) for d in (None, name))
    assert right[0] == wrong[0] and "indie-export" in wrong[1] and "indie-export" not in right[1]
    name = "dated-answers-sent-at-on-business-date"
    sent = _tree(name, inquiry("0000010014", as_of="2025-01-01")).findtext(f".//{{{PFH}}}SentAt")
    assert sent.startswith("2025-01-01T15:2") and sent.endswith("+09:00")
    assert _tree(name, inquiry("0000010014")).findtext(f".//{{{PFH}}}SentAt").startswith(
        "2026-12-09T15:2")  # no AsOf: right
    name = "request-hash-after-pi-stripped"
    raw = _pi(inquiry("0000010014"))
    digest = base64.b64encode(hashlib.sha256(raw).digest()).decode()
    assert _tree(None, raw).findtext(f".//{{{PFH}}}RequestHash") == digest
    assert _tree(name, raw).findtext(f".//{{{PFH}}}RequestHash") == base64.b64encode(
        hashlib.sha256(strip_pis(raw)).digest()).decode()
    plain = inquiry("0000010014")  # no PI: right
    assert _tree(name, plain).findtext(f".//{{{PFH}}}RequestHash") == base64.b64encode(
        hashlib.sha256(plain).digest()).decode()
    name = "platform-header-found-by-descendant-search"
    raw = _traced_header(inquiry("0000010014"))
    assert _tree(name, raw).findtext(f".//{{{PFH}}}RelatesTo") == NOTICE_B
    assert _tree(None, raw).findtext(f".//{{{PFH}}}RelatesTo") != NOTICE_B


def test_the_checking_variants_refuse_what_they_say(tmp_path):
    name = "receiver-system-id-prefix-match"
    other = inquiry("0000010014", receiver=("131016", "01", "indie-old"))
    assert b"PF-PROVIDER-MISROUTED" in adapter_answer("provider", None, other).body
    assert b"<juki:Status>found<" in adapter_answer("provider", name, other).body
    apart = inquiry("0000010014", receiver=("131016", "01", "xindie"))  # no prefix: right
    assert b"PF-PROVIDER-MISROUTED" in adapter_answer("provider", name, apart).body
    for name in ("sent-at-read-as-utc-refused", "sent-at-skew-60s-refused"):
        raw = inquiry("0000010014", sent_at=_ahead(2))
        assert b"<juki:Status>found<" in adapter_answer("provider", None, raw).body
        assert b"PF-MESSAGE-STALE" in adapter_answer("provider", name, raw).body
    near = inquiry("0000010014", sent_at=_ahead(0.5))  # 30 s ahead: right
    assert b"<juki:Status>found<" in adapter_answer("provider", "sent-at-skew-60s-refused",
                                                    near).body
    name = "name-shime-refused-by-han-script-check"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "applied</pfr:Status>" in right[0] and "VENDOR-CHARACTER" in wrong[0]
    kept = [notice(change(name="佐々木〇子〻")), ("observe", "0000010014")]  # Han: right
    assert _observed(tmp_path, None, kept) == _observed(tmp_path, name, kept)


def test_the_store_variants_hold_what_they_say(tmp_path):
    for name, right_name, wrong_name in (
            ("stores-name-va-row-rewritten", "ヷーグナー", "ヴァーグナー"),
            ("name-update-bound-as-cp932", "𠮷田翔子", "?田翔子"),
            ("full-linkage-notice-stale-check-skipped", "総務翔子", "総務花子")):
        steps = subscriber_steps(name)
        assert f"'name': '{right_name}'" in _observed(tmp_path, None, steps)[-1], name
        assert f"'name': '{wrong_name}'" in _observed(tmp_path, name, steps)[-1], name
    first = [notice(change(name="𠮷田翔子")), ("observe", "0000010014")]  # an INSERT: right
    assert _observed(tmp_path, None, first) == _observed(tmp_path, "name-update-bound-as-cp932",
                                                         first)
    name = "receiver-system-id-prefix-match"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "PF-PROVIDER-MISROUTED" in right[0] and "applied</pfr:Status>" in wrong[0]
    name = "platform-header-found-by-descendant-search"
    wrong = _observed(tmp_path, name, subscriber_steps(name))
    assert re.search(rf"<pfr:MessageId>{NOTICE_B}<", transcript_raw(tmp_path, name)) is not None
    assert "applied</pfr:Status>" in wrong[0]


def transcript_raw(tmp_path, name) -> str:
    """The receipt of the traced-header notice, unmasked."""
    db = Path(tmp_path) / f"raw-{uuid.uuid4().hex}.sqlite3"
    answer = adapter_answer("subscriber", name, _traced_header(notice(change())), db=db)
    return answer.body.decode()


def test_the_durable_variants_lose_what_they_say(tmp_path):
    for name, right_state, wrong_state in (
            ("watermark-rebuilt-from-value-history-on-start",
             "'name': '総務翔子', 'changes_applied': 2", "'name': '総務花子', 'changes_applied': 3"),
            ("resident-lock-flag-left-by-kill",
             "'name': '総務花子', 'changes_applied': 2", "'name': '総務翔子', 'changes_applied': 1"),
            ("change-count-rebuilt-per-notice-on-start",
             "'name': '総務花子', 'changes_applied': 2", "'name': '総務花子', 'changes_applied': 1")):
        steps = subscriber_steps(name)
        right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
        assert right_state in right[-1] and wrong_state in wrong[-1], (name, right, wrong)
        kept = [s for s in steps if s[0] != "crash"]  # without a restart: right
        assert _observed(tmp_path, None, kept) == _observed(tmp_path, name, kept), name
    name = "resident-lock-flag-left-by-kill"
    wrong = _observed(tmp_path, name, subscriber_steps(name))
    assert "VENDOR-LOCKED" in wrong[1]
    name = "notice-with-relates-to-applied-after-receipt"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "applied</pfr:Status>" in wrong[0] and wrong[-1] == "None"
    assert "'changes_applied': 1" in right[-1]
    plain = [notice(change()), ("crash",), ("observe", "0000010014")]  # no RelatesTo: right
    assert _observed(tmp_path, None, plain) == _observed(tmp_path, name, plain)


def test_the_dated_variants_at_new_year(monkeypatch):
    clock_from(monkeypatch, NEW_YEAR)
    sent = _tree("dated-answers-sent-at-on-business-date",
                 inquiry("0000010014", as_of="2025-01-01")).findtext(f".//{{{PFH}}}SentAt")
    assert sent.startswith("2025-01-01T00:3")
    for name in ("sent-at-read-as-utc-refused", "sent-at-skew-60s-refused"):
        raw = inquiry("0000010014", sent_at=_ahead(2))
        assert b"PF-MESSAGE-STALE" in adapter_answer("provider", name, raw).body


def test_the_helpers_the_variants_are_built_on():
    assert business_date_sent_at(" 2025-01-01+09:00 ", PINNED) == "2025-01-01T15:20:00+09:00"
    assert wall_time_as_utc_ahead(PINNED.isoformat(), PINNED) == dt.timedelta(hours=9)
    assert strip_pis(b'<?xml version="1.0"?><a><?t x?>1</a>') == b'<?xml version="1.0"?><a>1</a>'
    assert strip_pis(b"<?xml-stylesheet href='a'?><a/>") == b"<a/>"
    assert refused_by_han_script_check("〆木") and not refused_by_han_script_check("佐々木\u3000〇〻")
    assert bound_as_cp932("髙橋") == "髙橋" and bound_as_cp932("𠮷田") == "?田"
    assert bound_as_cp932("葛\U000e0102西") == "葛?西"


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("<pfh:LinkageKind>delta<", "<pfh:SystemId>hub<", "</pfh:MessageId>",
                 "<soap:Body>", "<soap:Header>", SOAP11):
        assert part.encode() in one, part
    assert b"<pfh:RelatesTo>" not in one and b"<?trace" not in one
    assert _traced_header(one).count(b"<pfh:PlatformHeader") == 2
