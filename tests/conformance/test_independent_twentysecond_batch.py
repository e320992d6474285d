"""Each variant of the twenty-second batch really takes effect (variants.py TWENTYSECOND_BATCH,
declared in independent/twentysecond.py), in the way of the twenty-first batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. Dates that a variant keys on are fixed (基準日, 異動年月日), the rest computed from now — and
the scenarios are built when a test runs, not when the module is imported."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from lxml import etree

from .independent.adapter import JST
from .independent.standard import CMN, JUKI, m11_ok
from .independent.twentysecond import (CUSTOMER_UNITS, NBSP, TWENTYSECOND_MEASURED_MISSES, as_of_upper_bound,
                                       audit_sent_at)
from .independent.twentysecond_store import (DEFAULT_IVS, KEY_WIDTH, MIDDLE_DOTS,
                                             with_default_ivs)
from .independent.variants import APART, TWENTYSECOND_BATCH
from .variant_transcripts import (neutral_scenario_tests, NOT_HELD, SOAP12, SOAP12_TYPE,
                                  adapter_answer, assert_declared_apart, assert_takes_effect,
                                  batch_cases, change, extract, inquiry, notice, observed)

LAST = "ffffffff-ffff-4fff-bfff-ffffffffffff"  # the MessageId that sorts last
FIRST = "00000000-0000-4000-8000-000000000000"  # the MessageId that sorts first


def _with(raw: bytes, old: bytes, new: bytes) -> bytes:
    assert old in raw, old
    return raw.replace(old, new, 1)


def _hour_24(raw: bytes) -> bytes:
    """SentAt written as XML Schema's end of yesterday (24:00:00): today's midnight, JST."""
    yesterday = (dt.datetime.now(JST) - dt.timedelta(days=1)).date().isoformat()
    start = raw.index(b"<pfh:SentAt>") + len(b"<pfh:SentAt>")
    end = raw.index(b"</pfh:SentAt>")
    return raw[:start] + f"{yesterday}T24:00:00+09:00".encode() + raw[end:]


def _relayed(raw: bytes) -> bytes:
    """A vendor header block for the next node, to be relayed, not mustUnderstand (SOAP 1.2)."""
    block = (f'<v:Trace xmlns:v="urn:example:vendor" soap:role="{SOAP12}/role/next" '
             'soap:relay="true">trace-1</v:Trace>').encode()
    return _with(raw, b"<soap:Header>", b"<soap:Header>" + block)


def _status(raw: bytes, status: bytes) -> bytes:
    return _with(raw, b"<c:ResidentStatus>1<", b"<c:ResidentStatus>" + status + b"<")


def _occurred(raw: bytes, day: str) -> bytes:
    return _with(raw, b"<c:OccurredOn>2025-04-01<", f"<c:OccurredOn>{day}<".encode())


def provider_steps(name: str) -> list:
    key = inquiry("0000010014")
    steps: dict[str, list] = {
        "removed-resident-code-omitted": [inquiry("0000010073")],  # 𠮷田一郎, 住民状態 2
        "extract-foreigner-kind-written-as-1": [extract(1, page_size=20)],  # ROSSI VIOLA
        "as-of-padded-taken-as-absent": [inquiry("0000010049", as_of=" 1990-01-01 ")],
        "empty-extract-refused": [extract(1, as_of="1900-01-01")],
        "latin-name-space-as-nbsp": [inquiry("0000010065")],
        "sent-at-hour-24-internal": [_hour_24(key)],
        "as-of-max-date-internal": [inquiry("0000010014", as_of="9999-12-31")],
        "sender-unit-outside-customer-map-internal": [_with(  # the Sender's unit: 介護保険
            key, b"<pfh:BusinessUnit>07<", b"<pfh:BusinessUnit>13<")],
        "soap12-as-of-dropped": [(inquiry("0000010049", as_of="1990-01-01", soap=SOAP12),
                                  SOAP12_TYPE)],  # 髙橋健一 came in 1998: not-found
        "ivs-added-to-mj-characters": [inquiry("0000010049")],  # 髙橋健一
        "soap12-relay-block-refused": [(_relayed(inquiry("0000010014", soap=SOAP12)),
                                        SOAP12_TYPE)],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    stale = notice(change(seq=1, name="総務花子"))
    last_month = notice(change(), sent_at=dt.datetime.now(JST) - dt.timedelta(days=40))
    steps: dict[str, list] = {
        "death-of-head-refused": stored(notice(change(reason="B03"))),
        "former-surname-deletion-name-cleared": stored(notice(change(reason="C09"))),
        "short-addressee-number-left-padded": stored(
            one, notice(change(seq=2, number="10014", name="別府太郎"))),
        "resident-status-4-internal": stored(_status(notice(change(reason="B04")), b"4")),
        "stores-name-middle-dot-replaced": stored(notice(change(name="ロッシ・ヴィオラ"))),
        "name-cut-at-comma-by-csv-loader": stored(notice(change(name="SMITH, JOHN"))),
        "sent-at-hour-24-internal": stored(_hour_24(one)),
        "removal-on-assessment-day-not-applied": stored(
            _occurred(notice(change(reason="B01")), "2026-01-01")),
        "residents-rebuilt-by-message-id-on-start": stored(
            notice(change(name="総務花子"), message_id=LAST),
            notice(change(seq=2), message_id=FIRST), ("crash",)),
        "seen-ids-of-stale-notices-pruned-on-start": [
            notice(change(seq=2)), stale, ("crash",), stale, ("observe", "0000010014")],
        "soap12-relay-block-refused": stored((_relayed(notice(change(), soap=SOAP12)),
                                              SOAP12_TYPE)),
        "remaking-changes-ignored": stored(one, notice(change(seq=2, name="総務花子",
                                                              reason="A05"))),
        "history-keyed-by-notice-and-resident-internal": stored(notice(
            change(), change(seq=2, name="総務花子"))),
        "ivs-added-to-mj-characters": stored(notice(change(number="0000010049",
                                                           name="髙橋健一")),
                                             number="0000010049"),
        "seen-ids-looked-up-in-current-month-partition": stored(last_month, last_month),
        "cohabitant-changes-not-held": stored(_with(
            notice(change(number="0000010022", name="総務大輔")), b"<c:Relationship>01<",
            b"<c:Relationship>19<"), number="0000010022"),
        "removed-watermarks-cleared-on-start": stored(
            notice(change(seq=2, reason="B01")), ("crash",), stale),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
CASES = batch_cases(TWENTYSECOND_BATCH, APART)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(TWENTYSECOND_BATCH, APART, min_per_class=2)
    assert len(roles) == len(CASES) and len(TWENTYSECOND_BATCH) == len(set(TWENTYSECOND_BATCH))
    assert len(TWENTYSECOND_BATCH) >= 25 and len(roles) >= 28
    assert roles.count("subscriber") >= 10 and roles.count("provider") >= 10
    assert TWENTYSECOND_MEASURED_MISSES <= set(CASES) and len(TWENTYSECOND_MEASURED_MISSES) == 5


@pytest.mark.parametrize(("name", "role"), CASES)
def test_each_variant_takes_effect(tmp_path, name, role):
    assert_takes_effect(tmp_path, role, name, STEPS[role](name))


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.2 inquiry of a resident not held, a found one without a 基準日 (住民, a
    household of JIS X 0208 names but 髙) and a first 全件 page (日本人住民 of JIS X 0208
    names); two 転居 of one resident (JIS X 0208 names, 世帯主), one per notice, sent in order,
    observed."""
    return {
        "provider": [(inquiry(NOT_HELD, soap=SOAP12), SOAP12_TYPE), inquiry("0000010049"),
                     extract(1)],
        "subscriber": [notice(change(number="0000010049", name="高橋健一")),
                       notice(change(seq=2, number="0000010049", name="高橋健二")),
                       ("observe", "0000010049")],
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO = {  # 髙橋 of the found inquiry
    "provider": {"ivs-added-to-mj-characters"},
    "subscriber": set(),
}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def _tree(defect, raw):
    return etree.fromstring(adapter_answer("provider", defect, raw).body)


def _status_of(tree) -> str | None:
    return tree.findtext(f".//{{{JUKI}}}Status")


def test_the_inputs_the_refusing_variants_refuse_are_answered_normally():
    """The correct adapter answers what the refusing provider variants fail on: SentAt at
    24:00:00, AsOf 9999-12-31 (found), an extract as of 1900 (empty, TotalPages 0)."""
    raw, ctype = provider_steps("soap12-relay-block-refused")[0]
    assert b"<juki:Status>found<" in adapter_answer("provider", None, raw, ctype).body
    assert b"PF-SOAP-ENVELOPE" in adapter_answer("provider", "soap12-relay-block-refused", raw,
                                                  ctype).body
    for name, expected in (("sent-at-hour-24-internal", b"<juki:Status>found<"),
                           ("as-of-max-date-internal", b"<juki:Status>found<"),
                           ("sender-unit-outside-customer-map-internal", b"<juki:Status>found<"),
                           ("empty-extract-refused", b"<juki:TotalPages>0<")):
        raw = provider_steps(name)[0]
        assert expected in adapter_answer("provider", None, raw).body, name
        assert b"Fault" in adapter_answer("provider", name, raw).body, name


def test_the_answer_variants_break_what_they_say():
    raw = provider_steps("removed-resident-code-omitted")[0]
    code = f".//{{{JUKI}}}Resident/{{{CMN}}}ResidentCode"
    assert _tree(None, raw).findtext(code) == "10000000073"
    assert _tree("removed-resident-code-omitted", raw).findtext(code) is None
    assert _tree("removed-resident-code-omitted", inquiry("0000010014")).findtext(code)
    raw = provider_steps("extract-foreigner-kind-written-as-1")[0]
    kinds = lambda tree: [r.findtext(f"{{{CMN}}}ResidentKind")  # noqa: E731
                          for r in tree.iter(f"{{{JUKI}}}Resident")]
    assert "2" in kinds(_tree(None, raw))
    assert set(kinds(_tree("extract-foreigner-kind-written-as-1", raw))) == {"1"}
    raw = provider_steps("as-of-padded-taken-as-absent")[0]
    assert _status_of(_tree(None, raw)) == "not-found"
    assert _status_of(_tree("as-of-padded-taken-as-absent", raw)) == "found"
    raw = provider_steps("latin-name-space-as-nbsp")[0]
    name = f".//{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text"
    assert _tree(None, raw).findtext(name) == "ROSSI VIOLA"
    assert _tree("latin-name-space-as-nbsp", raw).findtext(name) == f"ROSSI{NBSP}VIOLA"
    raw = provider_steps("ivs-added-to-mj-characters")[0]
    assert _tree(None, raw).findtext(name) == "髙橋健一"
    assert _tree("ivs-added-to-mj-characters", raw).findtext(name) == f"髙{DEFAULT_IVS}橋健一"
    raw, ctype = provider_steps("soap12-as-of-dropped")[0]
    for defect, status in ((None, b"not-found"), ("soap12-as-of-dropped", b"found")):
        body = adapter_answer("provider", defect, raw, ctype).body
        assert b"<juki:Status>" + status + b"<" in body, defect
    assert b"<juki:Status>not-found<" in adapter_answer(  # over SOAP 1.1: the 基準日 kept
        "provider", "soap12-as-of-dropped", inquiry("0000010049", as_of="1990-01-01")).body


def test_the_store_variants_store_what_they_say(tmp_path):
    for name, correct, wrong in (
            ("former-surname-deletion-name-cleared", "総務翔子", None),
            ("stores-name-middle-dot-replaced", "ロッシ・ヴィオラ", "ロッシ\u3000ヴィオラ"),
            ("name-cut-at-comma-by-csv-loader", "SMITH, JOHN", "SMITH"),
            ("short-addressee-number-left-padded", "総務翔子", "別府太郎"),
            ("residents-rebuilt-by-message-id-on-start", "総務翔子", "総務花子"),
            ("removed-watermarks-cleared-on-start", "総務翔子", "総務花子"),
            ("remaking-changes-ignored", "総務花子", "総務翔子"),
            ("ivs-added-to-mj-characters", "髙橋健一", "髙\U000e0100橋健一")):
        steps = subscriber_steps(name)
        assert f"'name': {correct!r}" in observed(tmp_path, None, steps)[-1], name
        assert f"'name': {wrong!r}" in observed(tmp_path, name, steps)[-1], name
    for name in ("removal-on-assessment-day-not-applied", "cohabitant-changes-not-held"):
        steps = subscriber_steps(name)
        assert observed(tmp_path, None, steps)[-1] != "None", name
        assert observed(tmp_path, name, steps)[-1] == "None", name


def test_a_stale_notice_redelivered_after_a_restart(tmp_path):
    steps = subscriber_steps("seen-ids-of-stale-notices-pruned-on-start")
    correct = observed(tmp_path, None, steps)
    wrong = observed(tmp_path, "seen-ids-of-stale-notices-pruned-on-start", steps)
    assert "duplicate</pfr:Status>" in correct[2] and "applied</pfr:Status>" in wrong[2]
    assert correct[-1] == wrong[-1]  # the stale change is kept out either way


def test_a_notice_of_last_month_redelivered(tmp_path):
    steps = subscriber_steps("seen-ids-looked-up-in-current-month-partition")
    correct = observed(tmp_path, None, steps)
    wrong = observed(tmp_path, "seen-ids-looked-up-in-current-month-partition", steps)
    assert "duplicate</pfr:Status>" in correct[1] and "applied</pfr:Status>" in wrong[1]
    this_month = notice(change())
    steps = [this_month, this_month]  # sent this month: found in this month's partition
    assert observed(tmp_path, None, steps) == observed(
        tmp_path, "seen-ids-looked-up-in-current-month-partition", steps)


def test_the_refusing_store_variants_refuse(tmp_path):
    for name, code in (("death-of-head-refused", "VENDOR-HOUSEHOLD"),
                       ("history-keyed-by-notice-and-resident-internal", "PF-PROVIDER-INTERNAL"),
                       ("resident-status-4-internal", "PF-PROVIDER-INTERNAL"),
                       ("sent-at-hour-24-internal", "PF-PROVIDER-INTERNAL")):
        steps = subscriber_steps(name)
        assert "applied</pfr:Status>" in observed(tmp_path, None, steps)[0], name
        assert code in observed(tmp_path, name, steps)[0], name


def test_the_helpers_the_variants_are_built_on():
    assert as_of_upper_bound(" 2025-06-01 ") == dt.date(2025, 6, 2)
    with pytest.raises(OverflowError):
        as_of_upper_bound("9999-12-31")
    assert audit_sent_at("2026-12-05T23:59:59+09:00").hour == 23
    with pytest.raises(ValueError):
        audit_sent_at("2026-12-05T24:00:00+09:00")
    assert "ロッシ・ヴィオラ".translate(MIDDLE_DOTS) == "ロッシ\u3000ヴィオラ"
    assert m11_ok("10014") and "10014".zfill(KEY_WIDTH) == "0000010014"
    assert FIRST < LAST
    assert with_default_ivs("𠮷田 葛\U000e0102西") == "𠮷\U000e0100田 葛\U000e0102西"
    assert with_default_ivs("髙\U000e0101橋") == "髙\U000e0101橋"  # a selector kept as it is


def test_requests_keep_what_the_transcripts_rely_on():
    raw = inquiry("0000010014")
    assert raw.index(b"<pfh:BusinessUnit>07<") < raw.index(b"<pfh:Receiver>")  # the Sender's
    assert "07" in CUSTOMER_UNITS and "13" not in CUSTOMER_UNITS
    one = notice(change())
    assert b"<c:ResidentStatus>1<" in one and b"<c:OccurredOn>2025-04-01<" in one
    assert b"<c:Relationship>01<" in one
    assert b"T24:00:00+09:00</pfh:SentAt>" in _hour_24(one)
    with sqlite3.connect(":memory:") as conn:  # the rebuild's order: the MessageId's text
        conn.execute("CREATE TABLE t (k TEXT)")
        conn.executemany("INSERT INTO t VALUES (?)", [(LAST,), (FIRST,)])
        assert [r[0] for r in conn.execute("SELECT k FROM t ORDER BY k")] == [FIRST, LAST]
