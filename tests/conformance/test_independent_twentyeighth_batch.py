"""Each variant of the twenty-eighth batch really takes effect (variants.py TWENTYEIGHTH_BATCH,
declared in independent/twentyeighth.py), in the way of the twenty-seventh batch's test: the
independent adapter in process, a short scenario of standard-conformant exchanges (crashes and
starts on the same database included), and the variant's transcript must differ from the correct
adapter's. Each variant also leaves an exchange it does not target as the correct adapter answers
it. The clock is pinned (an ordinary Wednesday afternoon in JST), so that the transcripts do not
depend on when the tests run; the variants that read the clock or a date (the reply's SentAt,
a 基準日 after today, a 記録年月日 against SentAt) are shown to take effect at a second instant
too, 00:30 JST on the first day of a year."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from lxml import etree

from .independent.adapter import JST, Adapter
from .independent.standard import CMN, JUKI, PFH
from .independent.twentyeighth import TWENTYEIGHTH_MEASURED_MISSES, ucs2_replaced
from .independent.twentyeighth_store import (JIS78_SWAP, beyond_extension_b,
                                             selectors_after_astral_dropped)
from .independent.variants import APART, TWENTYEIGHTH_BATCH
from .variant_transcripts import replaced as _with
from .variant_transcripts import (NEW_YEAR, PINNED, clock_from, neutral_scenario_tests,
                                  variant_effect_tests, GOV, NOT_HELD, NOTICE_A, SOAP11, SOAP12,
                                  SOAP12_TYPE, TEXT_XML, adapter_answer, assert_declared_apart,
                                  batch_cases, change, extract, inquiry, notice, transcript)

# the variants that read the clock or a date: shown at NEW_YEAR too
DATED = {"sent-at-minus-nine-hours", "extract-future-as-of-empty",
         "recorded-on-other-day-than-sent-at-refused"}
DURABLE = {"duplicate-refresh-left-uncommitted", "soap11-seen-ids-in-process",
           "household-changes-second-connection-uncommitted"}
MJ007920 = "\U00022034\U000e0100"  # an IVS sequence whose base lies beyond the BMP
EXTENSION_D = "\U0002b74a"  # 𫝊, MJ007022


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    """Every clock reads the same December afternoon (JST), moving with real time from there."""
    clock_from(monkeypatch, PINNED)


def _headerless(raw: bytes) -> bytes:
    out = re.sub(rb"<pfh:PlatformHeader .*</pfh:PlatformHeader>", b"", raw, flags=re.S)
    assert out != raw and b"PlatformHeader" not in out
    return out


def _unit_03(raw: bytes) -> bytes:
    """The Sender (the first party of the header) of 業務ユニット 03 外国人."""
    return _with(raw, "<pfh:BusinessUnit>07<", "<pfh:BusinessUnit>03<")


def _must_understand(raw: bytes, value: str = "1") -> bytes:
    """A vendor header block for this node (no actor/role), mustUnderstand true."""
    return _with(raw, "<soap:Header>", '<soap:Header><v:Trace xmlns:v="urn:example:vendor" '
                                       f'soap:mustUnderstand="{value}">t</v:Trace>')


def _recorded(raw: bytes, day: str = "2025-04-01") -> bytes:
    return _with(raw, "</c:OccurredOn></j:Event>",
                 f"</c:OccurredOn><c:RecordedOn>{day}</c:RecordedOn></j:Event>")


def _became(raw: bytes, day: str = "1990-04-01") -> bytes:
    return _with(raw, "</c:Address></j:Resident>",
                 f"</c:Address><c:BecameResidentOn>{day}</c:BecameResidentOn></j:Resident>")


def _former(raw: bytes, kana: bool = False) -> bytes:
    reading = "<c:Kana><c:Family>カンダ</c:Family></c:Kana>" if kana else ""
    return _with(raw, "</c:Name>", f"</c:Name><c:FormerSurname><c:Text>神田</c:Text>{reading}"
                                   "</c:FormerSurname>")


def _original(raw: bytes) -> bytes:
    return _with(raw, "<c:Text>高橋翔子</c:Text>",
                 "<c:Text>高橋翔子</c:Text><c:Original>髙橋翔子</c:Original>")


def _reason(raw: bytes, reason: str) -> bytes:
    return _with(raw, "<c:Reason>C01<", f"<c:Reason>{reason}<")


def _future() -> str:
    return (dt.datetime.now(JST).date() + dt.timedelta(days=1)).isoformat()


def provider_steps(name: str) -> list:
    steps: dict[str, list] = {
        "address-katagaki-before-banchi": [inquiry("0000010065")],  # 5番地1, 麹町ハイツ301号
        "head-name-former-surname": [inquiry("0000010219")],  # 神谷ﾏﾘｱ, 旧氏 神田
        "header-missing-as-header-invalid": [_headerless(inquiry("0000010014"))],
        "request-id-leading-hyphen-ignored": [extract(1, request_id="-r1"),
                                              extract(1, request_id="-r1")],
        "sender-unit-03-obsolete-refused": [_unit_03(inquiry("0000010014"))],
        "removed-resident-nonbmp-as-replacement": [inquiry("0000010073")],  # 𠮷田一郎, 転出者
        "extract-future-as-of-empty": [extract(1, as_of=_future())],
        "sent-at-minus-nine-hours": [inquiry("0000010014")],
    }
    return steps[name]


def subscriber_steps(name: str) -> list:
    def stored(*raws: object, number: str = "0000010014") -> list:
        return [*raws, ("observe", number)]

    one = notice(change())
    again = notice(change(), message_id=NOTICE_A)
    steps: dict[str, list] = {
        "name-original-stored-as-name": stored(_original(notice(change(name="高橋翔子")))),
        "soap11-notice-must-understand-ignored": stored(_must_understand(one)),
        "header-missing-as-header-invalid": stored(_headerless(one)),
        "former-surname-kana-absent-internal": stored(_former(one)),
        "kana-over-50-internal": stored(notice(change(given="ア" * 51))),
        "sender-unit-03-obsolete-refused": stored(_unit_03(one)),
        "ivs-after-nonbmp-base-dropped": stored(notice(change(name=f"{MJ007920}田花子"))),
        "name-beyond-extension-b-refused": stored(notice(change(name=f"{EXTENSION_D}田花子"))),
        "stores-jis78-pairs-swapped": stored(notice(change(name="桧山涛子"))),
        "recorded-on-other-day-than-sent-at-refused": stored(_recorded(one)),
        "became-resident-on-birth-day-refused": stored(_became(one)),
        "sent-at-minus-nine-hours": [one],
        "duplicate-refresh-left-uncommitted": stored(again, again, ("crash",), again),
        "soap11-seen-ids-in-process": stored(again, ("crash",), again),
        "household-changes-second-connection-uncommitted": stored(_reason(one, "C04"),
                                                                   ("crash",)),
    }
    return steps[name]


STEPS = {"provider": provider_steps, "subscriber": subscriber_steps}
CASES = batch_cases(TWENTYEIGHTH_BATCH, APART)


def test_the_batch_is_declared_apart_and_sized():
    roles = assert_declared_apart(TWENTYEIGHTH_BATCH, APART, min_per_class=3)
    assert len(roles) == len(CASES) and len(TWENTYEIGHTH_BATCH) == len(set(TWENTYEIGHTH_BATCH))
    assert len(TWENTYEIGHTH_BATCH) >= 18 and len(roles) >= 22
    assert roles.count("subscriber") >= 14 and roles.count("provider") >= 8
    assert DATED <= TWENTYEIGHTH_BATCH and DURABLE <= TWENTYEIGHTH_BATCH


def test_the_measured_misses_are_of_the_batch():
    assert set(TWENTYEIGHTH_MEASURED_MISSES) <= TWENTYEIGHTH_BATCH
    assert len(TWENTYEIGHTH_MEASURED_MISSES) == 0  # 23/23 on 08332c6


(test_each_variant_takes_effect,
 test_the_dated_variants_take_effect_at_new_year_too) = variant_effect_tests(CASES, STEPS, DATED)


# --- what a variant does not target is left as the correct adapter answers it -----------------

def neutral(role: str) -> list:
    """A SOAP 1.2 inquiry of a resident not held and a SOAP 1.1 found one (渡邉󠄟俞󠄀子, alone in
    her household, no 旧氏, no 方書); a first 全件 page as of 1999-01-01 (髙橋健一 alone, in pages
    of 1). Two 転居 of one resident (JIS X 0208 names and readings, no residence dates, no 旧氏)
    over SOAP 1.2, one per notice, sent in order, observed; a restart; the second delivered
    again (duplicate)."""
    second = (notice(change(seq=2, number="0000010049", name="高橋健二"), soap=SOAP12,
                     message_id=NOTICE_A), SOAP12_TYPE)
    return {
        "provider": [(inquiry(NOT_HELD, soap=SOAP12), SOAP12_TYPE), inquiry("0000010316"),
                     extract(1, page_size=1, as_of="1999-01-01")],
        "subscriber": [(notice(change(number="0000010049", name="高橋健一"), soap=SOAP12),
                        SOAP12_TYPE), second, ("observe", "0000010049"), ("crash",), second],
    }[role]


TARGETS_THE_NEUTRAL_SCENARIO = {  # every reply's SentAt
    "provider": {"sent-at-minus-nine-hours"},
    "subscriber": {"sent-at-minus-nine-hours"}}
(test_each_variant_leaves_what_it_does_not_target,
 test_the_variants_left_out_of_it_do_target_the_neutral_scenario) = neutral_scenario_tests(
    CASES, TARGETS_THE_NEUTRAL_SCENARIO, neutral)


# --- what some variants answer, beyond "it differs" -----------------------------------------------

def _tree(defect, raw, ctype=TEXT_XML, role="provider", db=None):
    return etree.fromstring(adapter_answer(role, defect, raw, ctype, db=db).body)


def _observed(tmp_path, defect, steps) -> list[str]:
    """The subscriber's transcript of ``steps`` on a store of its own (a fresh file each time)."""
    return transcript("subscriber", tmp_path / f"{defect}-{uuid.uuid4().hex}.sqlite3", defect,
                      steps)


def _locals(el) -> list[str]:
    return [etree.QName(c).localname for c in el]


def test_the_provider_variants_answer_what_they_say():
    address = f".//{{{JUKI}}}Resident/{{{CMN}}}Address"
    name = "address-katagaki-before-banchi"
    assert _locals(_tree(None, inquiry("0000010065")).find(address))[-2:] == \
        ["Banchi", "Katagaki"]
    assert _locals(_tree(name, inquiry("0000010065")).find(address))[-2:] == \
        ["Katagaki", "Banchi"]
    page = _tree(name, extract(1, page_size=1000))
    assert sum(_locals(a)[-2:] == ["Katagaki", "Banchi"]
               for a in page.iter(f"{{{CMN}}}Address")) == 4  # every one holding both
    assert _locals(_tree(name, inquiry("0000010014")).find(address))[-1] == "Banchi"
    name = "head-name-former-surname"
    head = f".//{{{CMN}}}HeadName/{{{CMN}}}Text"
    assert _tree(None, inquiry("0000010219")).findtext(head) == "\ufa19谷ﾏﾘｱ"  # 神 U+FA19
    assert _tree(name, inquiry("0000010219")).findtext(head) == "\ufa19田"  # 神田, 神 U+FA19
    assert _tree(name, inquiry("0000010014")).findtext(head) == "総務翔子"  # no 旧氏: right
    name = "removed-resident-nonbmp-as-replacement"
    text = f".//{{{JUKI}}}Resident/{{{CMN}}}Name/{{{CMN}}}Text"
    assert _tree(None, inquiry("0000010073")).findtext(text) == "𠮷田一郎"
    assert _tree(name, inquiry("0000010073")).findtext(text) == "\ufffd\ufffd田一郎"
    assert _tree(name, inquiry("0000010316")).findtext(text) == "渡邉󠄟俞󠄀子"  # 住民: right
    name = "request-id-leading-hyphen-ignored"
    ids = f".//{{{JUKI}}}ExtractId"
    for request_id, same in (("-r1", False), ("r-1", True), ("r1", True)):
        adapter = Adapter("provider", GOV, "01", "indie", defect=name)
        first, second = (etree.fromstring(adapter.handle(extract(1, request_id=request_id),
                                                         TEXT_XML, '""').body)
                         for _ in range(2))
        assert (first.findtext(ids) == second.findtext(ids)) is same, request_id
    name = "extract-future-as-of-empty"
    count = f".//{{{JUKI}}}TotalCount"
    assert _tree(None, extract(1, as_of=_future())).findtext(count) == "11"
    assert _tree(name, extract(1, as_of=_future())).findtext(count) == "0"
    today = dt.datetime.now(JST).date().isoformat()
    assert _tree(name, extract(1, as_of=today)).findtext(count) == "11"
    for name, raw, code in (
            ("header-missing-as-header-invalid", _headerless(inquiry("0000010014")),
             "PF-HEADER-INVALID"),
            ("sender-unit-03-obsolete-refused", _unit_03(inquiry("0000010014")),
             "PF-HEADER-INVALID")):
        assert code.encode() in adapter_answer("provider", name, raw).body
        assert code.encode() not in adapter_answer("provider", None, raw).body
    assert b"PF-HEADER-MISSING" in adapter_answer("provider", None, _headerless(
        inquiry("0000010014"))).body
    bad = _with(inquiry("0000010014"), "<pfh:UserId>batch<", "<pfh:UserId>-batch<")
    assert adapter_answer("provider", "header-missing-as-header-invalid", bad).body.count(
        b"PF-HEADER-INVALID") == 1  # a schema-invalid header: right
    assert b"<juki:Status>found<" in adapter_answer(
        "provider", "sender-unit-03-obsolete-refused",
        _with(inquiry("0000010014"), "<pfh:BusinessUnit>07<", "<pfh:BusinessUnit>26<")).body


def test_the_reply_header_variant_writes_what_it_says(tmp_path, monkeypatch):
    sent = f".//{{{PFH}}}SentAt"
    wrong = _tree("sent-at-minus-nine-hours", inquiry("0000010014")).findtext(sent)
    assert wrong.startswith("2026-12-08T21:") and wrong.endswith("+09:00")
    assert _tree(None, inquiry("0000010014")).findtext(sent).startswith("2026-12-09T15:")
    receipt = _tree("sent-at-minus-nine-hours", notice(change()), role="subscriber",
                    db=tmp_path / "a.sqlite3").findtext(sent)
    assert receipt.startswith("2026-12-08T21:")
    clock_from(monkeypatch, NEW_YEAR)
    wrong = _tree("sent-at-minus-nine-hours", inquiry("0000010014")).findtext(sent)
    assert wrong.startswith("2026-12-31T06:")


def test_the_refusing_store_variants_refuse(tmp_path):
    one = notice(change())
    for name, code in (("soap11-notice-must-understand-ignored", None),
                       ("header-missing-as-header-invalid", "PF-HEADER-INVALID"),
                       ("former-surname-kana-absent-internal", "PF-PROVIDER-INTERNAL"),
                       ("kana-over-50-internal", "PF-PROVIDER-INTERNAL"),
                       ("sender-unit-03-obsolete-refused", "PF-HEADER-INVALID"),
                       ("name-beyond-extension-b-refused", "VENDOR-CHARACTER"),
                       ("recorded-on-other-day-than-sent-at-refused", "VENDOR-DATE"),
                       ("became-resident-on-birth-day-refused", "VENDOR-DATE")):
        steps = subscriber_steps(name)
        correct, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
        if code is None:  # the other way round: the correct one refuses, the variant applies
            assert "PF-MUST-UNDERSTAND" in correct[0] and correct[-1] == "None"
            assert "applied</pfr:Status>" in wrong[0] and "'name'" in wrong[-1]
            continue
        assert code in wrong[0] and wrong[-1] == "None", name
        if name != "header-missing-as-header-invalid":
            assert "applied</pfr:Status>" in correct[0] and "'name'" in correct[-1], name
        else:
            assert "PF-HEADER-MISSING" in correct[0] and correct[-1] == "None"
    today = dt.datetime.now(JST).date().isoformat()
    for name, raw in (("soap11-notice-must-understand-ignored",  # SOAP 1.2: right
                       _must_understand(notice(change(), soap=SOAP12), "true")),
                      ("former-surname-kana-absent-internal", _former(one, kana=True)),
                      ("kana-over-50-internal", notice(change(given="ア" * 50))),
                      ("sender-unit-03-obsolete-refused",
                       _with(one, "<pfh:BusinessUnit>07<", "<pfh:BusinessUnit>04<")),
                      ("name-beyond-extension-b-refused", notice(change(name="𠮷田花子"))),
                      ("recorded-on-other-day-than-sent-at-refused", _recorded(one, today)),
                      ("became-resident-on-birth-day-refused", _became(one, "1990-04-02"))):
        ctype = SOAP12_TYPE if SOAP12 in raw.decode() else TEXT_XML
        correct, wrong = (_observed(tmp_path, d, [(raw, ctype)])[0] for d in (None, name))
        assert correct == wrong, name
    assert "PF-MUST-UNDERSTAND" in _observed(tmp_path, None, [(_must_understand(
        notice(change(), soap=SOAP12), "true"), SOAP12_TYPE)])[0]


def test_the_storing_variants_store_what_they_say(tmp_path):
    for name, raw, right, wrong in (
            ("name-original-stored-as-name", _original(notice(change(name="高橋翔子"))),
             "高橋翔子", "髙橋翔子"),
            ("ivs-after-nonbmp-base-dropped", notice(change(name=f"{MJ007920}田花子")),
             f"{MJ007920}田花子", "\U00022034田花子"),
            ("stores-jis78-pairs-swapped", notice(change(name="桧山涛子")), "桧山涛子",
             "檜山濤子")):
        steps = [raw, ("observe", "0000010014")]
        assert repr(right) in _observed(tmp_path, None, steps)[-1]
        assert repr(wrong) in _observed(tmp_path, name, steps)[-1], name
    for name, text in (("ivs-after-nonbmp-base-dropped", "葛\U000e0102西"),  # a BMP base
                       ("stores-jis78-pairs-swapped", "総務翔子"),
                       ("name-original-stored-as-name", "総務翔子")):
        steps = [notice(change(name=text)), ("observe", "0000010014")]
        assert _observed(tmp_path, None, steps) == _observed(tmp_path, name, steps), name


def test_the_durable_variants_lose_what_they_say(tmp_path):
    name = "duplicate-refresh-left-uncommitted"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "duplicate</pfr:Status>" in right[2] and "applied</pfr:Status>" in wrong[2]
    assert right[1] == wrong[1] and right[-1] == wrong[-1]  # the state: right
    kept = [s for s in steps if s[0] != "crash"]  # without a restart: right
    assert _observed(tmp_path, None, kept) == _observed(tmp_path, name, kept)
    name = "soap11-seen-ids-in-process"
    steps = subscriber_steps(name)
    right, wrong = _observed(tmp_path, None, steps), _observed(tmp_path, name, steps)
    assert "duplicate</pfr:Status>" in right[1] and "applied</pfr:Status>" in wrong[1]
    again12 = (notice(change(), soap=SOAP12, message_id=NOTICE_A), SOAP12_TYPE)
    over12 = [again12, ("crash",), again12]  # over SOAP 1.2: right
    assert _observed(tmp_path, None, over12) == _observed(tmp_path, name, over12)
    assert SOAP11 in notice(change()).decode()
    name = "household-changes-second-connection-uncommitted"
    steps = subscriber_steps(name)
    assert "'changes_applied': 1" in _observed(tmp_path, None, steps)[-1]
    assert _observed(tmp_path, name, steps)[-1] == "None"
    moved = [notice(change()), ("crash",), ("observe", "0000010014")]  # a 転居: right
    assert _observed(tmp_path, None, moved) == _observed(tmp_path, name, moved)
    both = [_reason(notice(change()), "C02"), notice(change(seq=2)), ("crash",),
            ("observe", "0000010014")]  # committed by the next notice: right
    assert _observed(tmp_path, None, both) == _observed(tmp_path, name, both)


def test_the_helpers_the_variants_are_built_on():
    assert ucs2_replaced("𠮷田一郎") == "\ufffd\ufffd田一郎"
    assert ucs2_replaced("葛\U000e0102西") == "葛\ufffd\ufffd西"
    assert beyond_extension_b(EXTENSION_D) and not beyond_extension_b("𠮷")
    assert not any(beyond_extension_b(c) for c in "㟢髙神\ufa19\U0002f800")
    assert beyond_extension_b("\U00030000")
    assert selectors_after_astral_dropped(f"{MJ007920}葛\U000e0102") == "\U00022034葛\U000e0102"
    assert len(JIS78_SWAP) == 44 and "鯵桧".translate(JIS78_SWAP) == "鰺檜"
    assert "鰺檜".translate(JIS78_SWAP) == "鯵桧"


def test_requests_keep_what_the_transcripts_rely_on():
    one = notice(change())
    for part in ("<pfh:BusinessUnit>07<", "<soap:Header>", "</c:OccurredOn></j:Event>",
                 "</c:Address></j:Resident>", "</c:Name>", "<c:Reason>C01<",
                 "<c:DateOfBirth>1990-04-01<"):
        assert part.encode() in one, part
    assert one.index(b"<pfh:BusinessUnit>07<") < one.index(b"<pfh:Receiver>")
    assert b"RecordedOn" not in one and b"FormerSurname" not in one
