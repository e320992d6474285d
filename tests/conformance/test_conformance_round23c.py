"""Round 23c's enumerations (conformance/identifier_changes.py, conformance/kana_rows.py, the
retry cases J-RETRY-01 and S-RETRY-01): what each sends, checked against its source — the XSD's
identifier fields and header fields, the change_reason code list, JIS X 0208 rows 4 and 5 — and
each faulty adapter of faulty_round23c.py failing exactly its targets."""

from __future__ import annotations

import csv
import random
import re
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from conformance import grid_notices, identifier_changes, kana_rows
from conformance.commands import CallableCommand
from conformance.model import Suite
from conformance.runner import RunOptions, run_profile

from .faulty import assert_fails_exactly_its_targets, faulty_runs, targeted_cases
from .faulty_round23c import ROUND23C_MODES, ROUND23C_NAMES, Round23cSubscriber
from .outcomes import not_passed
from .subscriber import SERVICE
from .tiers import subscriber_runs

ROOT = Path(__file__).resolve().parents[2]
XS = "{http://www.w3.org/2001/XMLSchema}"


def _xsd(name: str) -> etree._ElementTree:
    return etree.parse(str(ROOT / "schemas" / "platform" / name))


def _elements(xsd: etree._ElementTree, complex_type: str) -> list[tuple[str, str]]:
    ct = xsd.find(f"{XS}complexType[@name='{complex_type}']")
    return [(el.get("name"), el.get("type", "").partition(":")[2])
            for el in ct.iter(f"{XS}element")]


def _reasons() -> dict[str, str]:
    with open(ROOT / "schemas" / "codelists" / "change_reason.csv", encoding="utf-8") as f:
        return {row["code"]: row["group"] for row in csv.DictReader(f)}


# --- S-IDCHG-01 ------------------------------------------------------------------------------

def test_the_identifiers_are_the_resident_types_digit_strings_but_its_key():
    """Every element of cmn:ResidentType whose type is a string of ten digits or more (an
    identifier, not a code) but 宛名番号 (the key) is changed."""
    xsd = _xsd("common-v1.xsd")
    patterns = {t.get("name"): t.find(f"{XS}restriction/{XS}pattern").get("value")
                for t in xsd.iter(f"{XS}simpleType")
                if t.find(f"{XS}restriction/{XS}pattern") is not None}
    identifiers = [name for name, typ in _elements(xsd, "ResidentType")
                   if (m := re.fullmatch(r"\[0-9\]\{(?:\d+,)?(\d+)\}", patterns.get(typ, "")))
                   and int(m.group(1)) >= 10]
    assert identifiers[0] == "AddresseeNumber"
    assert [f for f, _ in identifier_changes.IDENTIFIERS] == identifiers[1:] == [
        "ResidentCode", "IndividualNumber", "HouseholdNumber"]


def test_every_reason_changes_every_identifier_in_turn():
    reasons = _reasons()
    [point] = identifier_changes.id_change_points(reasons, reasons, random.Random(7))
    first, *later = point.steps
    assert point.residents == len(reasons) == 26
    assert {c.reason for c in first.changes} == {"A01"}
    before = [dict(c.fields) for c in first.changes]
    *identifiers, kinds = later
    for (field, _), step in zip(identifier_changes.IDENTIFIERS, identifiers, strict=True):
        assert sorted(c.reason for c in step.changes) == sorted(reasons)  # every 異動事由
        for c in step.changes:
            now = dict(c.fields)
            assert {k for k in now if now[k] != before[c.who][k]} == {field}
            assert re.fullmatch(r"[0-9]{11}|[0-9]{12}|[0-9]{2,15}", now[field])
            before[c.who] = now
    assert {reasons[c.reason] for c in later[0].changes} == {"記載", "消除", "修正"}
    # round 44c: then the other 住民種別 under every 異動事由 (round 45c: with a 住民状態 in turn),
    # nothing else changed — in the notice as sent (the residents are of both kinds in turn)
    assert sorted(c.reason for c in kinds.changes) == sorted(reasons)
    for c in kinds.changes:
        held = grid_notices.notice_body([(replace(c, fields=before[c.who]), "1", "1", "n")])
        sent = grid_notices.notice_body([(c, "1", "1", "n")])
        kind = re.search(r"<cmn:ResidentKind>(\d)</", held)[1]
        assert {kind, re.search(r"<cmn:ResidentKind>(\d)</", sent)[1]} == {"1", "2"}
        status = c.fields["ResidentStatus"]
        assert sent.replace(f"ResidentKind>{'21'[int(kind) - 1]}<", f"ResidentKind>{kind}<") \
            .replace(f"ResidentStatus>{status}<", "ResidentStatus>1<") == held
    # the 個人番号 sent have every check digit (a check-digit slip is met whatever the rng)
    numbers = {c.fields["IndividualNumber"] for s in point.steps for c in s.changes}
    assert {n[-1] for n in numbers} == set("0123456789")


# --- S-KANA-01 -------------------------------------------------------------------------------

def test_rows_4_and_5_are_every_kana_of_jis_x_0208():
    assert kana_rows.ROW4 == "".join(map(chr, range(0x3041, 0x3094)))  # ぁ … ん: 83
    assert kana_rows.ROW5 == "".join(map(chr, range(0x30A1, 0x30F7)))  # ァ … ヶ: 86
    assert len(kana_rows.ROW4) == 83 and len(kana_rows.ROW5) == 86
    assert set("ゐゑゎぁっゃ") <= set(kana_rows.ROW4) and set("ヰヱヴヵヶヮァッ") <= set(kana_rows.ROW5)
    # each character encodes to row 4 or 5 of JIS X 0208 (EUC-JP 0xA4xx, 0xA5xx)
    assert {c.encode("euc_jp")[0] for c in kana_rows.ROW4} == {0xA4}
    assert {c.encode("euc_jp")[0] for c in kana_rows.ROW5} == {0xA5}


def test_every_kana_is_sent_in_a_name_and_row_5_in_the_reading():
    xsd = _xsd("common-v1.xsd")
    text = xsd.find(f"{XS}simpleType[@name='NameTextType']")
    maximum = int(text.find(f"{XS}restriction/{XS}maxLength").get("value"))
    kana = xsd.find(f"{XS}simpleType[@name='KanaTextType']")
    pattern = kana.find(f"{XS}restriction/{XS}pattern").get("value")
    [point] = kana_rows.kana_points()
    [send] = point.steps
    names = [c.name or "" for c in send.changes]
    assert set(kana_rows.ROW4 + kana_rows.ROW5) <= set("".join(names))
    assert all(len(n) <= maximum for n in names)
    readings = [v for c in send.changes for k, v in c.fields.items() if k.startswith("Kana")]
    assert set(kana_rows.ROW5) <= set("".join(readings))
    assert all(re.fullmatch(pattern, r) for r in readings)
    assert not any(re.fullmatch(pattern, c) for c in kana_rows.ROW4)  # no hiragana there


# --- J-RETRY-01, S-RETRY-01 ------------------------------------------------------------------

# every field of pfh:PlatformHeaderType: what a retry does with it (the cases' descriptions)
HEADER_FIELDS = {
    "MessageId": "new on every retry (J-FULL-03); the notice's key (S-RETRY-01 keeps it)",
    "RelatesTo": "a reply's",
    "Sender": "the 全件 key (J-FULL-07 varies it); a notice's standby publisher: S-RETRY-01",
    "Receiver": "the product's or the hub's address",
    "Service": "the service",
    "SentAt": "sent_at_age",
    "UserId": "user_id",
    "LinkageKind": "one value for each service",
    "StandardVersion": "one value",
    "RequestHash": "an answer's",
}


def test_every_header_field_is_accounted_for_and_varied_where_it_can_be():
    assert [n for n, _ in _elements(_xsd("header-v1.xsd"), "PlatformHeaderType")] == \
        list(HEADER_FIELDS)
    suite = Suite.load()
    for case_id, fields in (("J-RETRY-01", {"user_id", "sent_at_age"}),
                            ("S-RETRY-01", {"user_id", "sent_at_age", "sender_system_id"})):
        steps = [s for s in suite.cases[case_id].steps if s.kind == "send"]
        varied = [set(s.options.get("header", {})) - {"message_id"} for s in steps[1:]]
        assert all(len(v) <= 1 for v in varied), varied  # one field a retry
        assert set().union(*varied) == fields
        content = [s.options.get("content_type") for s in steps[1:] if s.options.get(
            "content_type")]
        assert len(content) >= 2 and any("1.2" == s.options.get("soap") for s in steps)


# --- the faulty adapters ---------------------------------------------------------------------

def test_every_new_case_is_a_target():
    suite = Suite.load()
    new = {c for c in suite.cases if c.split("-")[1] in ("IDCHG", "KANA", "RETRY")} - {
        "J-RETRY-02"}  # round 24's
    assert new == {"S-IDCHG-01", "S-KANA-01", "J-RETRY-01", "S-RETRY-01"}
    assert new <= targeted_cases(ROUND23C_NAMES, ROUND23C_MODES)


ROUND23C_RUNS = faulty_runs(ROUND23C_NAMES)


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", ROUND23C_RUNS)
def test_faulty_adapter_fails_exactly_its_round23c_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND23C_MODES))
def test_faulty_subscriber_fails_exactly_its_round23c_targets(refs, suite, mode, profile):
    subscriber = Round23cSubscriber(mode)
    url = refs.app(profile, {SERVICE: subscriber.handler})
    result = run_profile(RunOptions(profile, target=url, observe=CallableCommand(
        subscriber.observe, "observe")), suite)
    failed = not_passed(result)
    assert set(failed) == set(ROUND23C_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed
