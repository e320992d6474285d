"""Round 24's enumerations (conformance/address_values.py, cjk_blocks.py, value_restarts.py,
user_ids.py, retry_widths.py): what each sends, checked against its source — cmn:AddressType and
the 47 都道府県 of JIS X 0401, the MJ table's Unicode blocks, header-v1.xsd's UserIdType,
juki-v1.xsd's ExtractIdType, NameTextType and KanaTextType — and each faulty adapter of
faulty_round24.py failing exactly its targets."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from lxml import etree

from conformance import address_values, cjk_blocks, retry_widths, user_ids, value_restarts
from conformance.address_parts import ADDRESS_PARTS, address_of
from conformance.commands import CallableCommand
from conformance.grid_notices import Restart, Send, notice_body
from conformance.model import Suite
from conformance.runner import RunOptions, run_profile

from .faulty import assert_fails_exactly_its_targets, faulty_runs, targeted_cases
from .faulty_durability import crash_run
from .faulty_round24 import (ROUND24_CRASH_MODES, ROUND24_MODES, ROUND24_NAMES,
                             Round24CrashSubscriber, Round24Subscriber)
from .outcomes import not_passed
from .subscriber import SERVICE
from .tiers import subscriber_runs

ROOT = Path(__file__).resolve().parents[2]
MOJIKIBAN = ROOT.parent / "shared" / "data" / "mojikiban" / "moji.csv"
XS = "{http://www.w3.org/2001/XMLSchema}"
NEW = ("S-PREF-01", "S-CJK-01", "S-FIELD-02", "J-RETRY-02", "P-USER-01", "S-USER-01")


def _xsd(*path: str) -> etree._ElementTree:
    return etree.parse(str(ROOT / "schemas" / Path(*path)))


def _facet(xsd, type_name: str, facet: str) -> str:
    t = xsd.find(f"{XS}simpleType[@name='{type_name}']")
    return t.find(f"{XS}restriction/{XS}{facet}").get("value")


def _validator(type_name: str) -> etree.XMLSchema:
    """An element of ``type_name`` of common-v1.xsd, validated by the XSD itself."""
    doc = etree.XML(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:cmn="urn:pfbus:platform:common:v1" targetNamespace="urn:t">'
        '<xs:import namespace="urn:pfbus:platform:common:v1" schemaLocation="'
        f'{(ROOT / "schemas" / "platform" / "common-v1.xsd").as_uri()}"/>'
        f'<xs:element name="v" type="cmn:{type_name}"/></xs:schema>')
    return etree.XMLSchema(doc)


def _valid(schema: etree.XMLSchema, inner: str) -> bool:
    return schema.validate(etree.XML(f'<t:v xmlns:t="urn:t" '
                                     f'xmlns:cmn="urn:pfbus:platform:common:v1">{inner}</t:v>'))


# --- S-PREF-01 -------------------------------------------------------------------------------

def test_every_prefecture_of_jis_x_0401_is_sent():
    sent = [c.fields.get("Address.Prefecture") for p in address_values.address_points()
            for s in p.steps for c in s.changes]
    names = [name for name, _ in address_values.PREFECTURES.values()]
    assert list(address_values.PREFECTURES) == [f"{k:02d}" for k in range(1, 48)]
    assert len(set(names)) == 47 and set(names) <= set(sent)
    assert {"神奈川県", "和歌山県", "鹿児島県"} == {n for n in names if len(n) == 4}
    assert names[0] == "北海道" and sum(n.endswith("府") for n in names) == 2
    # the 団体コード's first two digits (JIS X 0402) are the same codes
    assert all(re.fullmatch(r"(0[1-9]|[1-3][0-9]|4[0-7])", code) for code in
               address_values.PREFECTURES)


def test_every_address_part_is_sent_at_its_edges_present_and_absent():
    xsd = _xsd("platform", "common-v1.xsd")
    low, high = (int(_facet(xsd, "AddressTextType", f)) for f in ("minLength", "maxLength"))
    assert high == address_values.TEXT_MAX
    parts = [address_of(c) or {} for p in address_values.address_points()
             for s in p.steps for c in s.changes]
    ct = xsd.find(f"{XS}complexType[@name='AddressType']")
    elements = [(e.get("name"), e.get("minOccurs") == "0", e.get("type"))
                for e in ct.iter(f"{XS}element")]
    assert [n for n, _, _ in elements] == list(ADDRESS_PARTS)
    for name, optional, typ in elements:
        if typ == "cmn:AddressTextType":
            assert {len(p[name]) for p in parts if name in p} >= {low, high}, name
        if optional:  # present and absent
            assert any(name in p for p in parts) and any(name not in p for p in parts), name
    codes = {len(p["AddressCode"]) for p in parts if "AddressCode" in p}
    assert {1, 16} <= codes  # AddressCodeType [0-9]{1,16}
    # every resident's address valid against the XSD itself
    schema = _validator("AddressType")
    from conformance.address_parts import address_xml
    assert all(_valid(schema, address_xml(p)) for p in parts)


def test_the_address_notices_are_few_and_each_valid():
    [point] = address_values.address_points()
    assert point.judge_address and len(point.steps) == address_values.exchanges() == 4
    schema = etree.XMLSchema(_xsd("units", "juki", "juki-v1.xsd"))
    for step in point.steps:
        body = notice_body((c, "0000000019", "0000000019", "田") for c in step.changes)
        assert schema.validate(etree.XML(body)), schema.error_log


# --- S-CJK-01 --------------------------------------------------------------------------------

def _blocks_of(chars) -> set[str]:
    out = set()
    for char in chars:
        block = cjk_blocks.block_of(char[0])
        assert block is not None, f"U+{ord(char[0]):04X} in no block of BLOCKS"
        out.add(block)
    return out


def test_every_block_of_the_mj_table_is_sent():
    table = cjk_blocks.table_characters()
    blocks = _blocks_of(table)
    point = cjk_blocks.cjk_points()[0]  # (the second: the rows a keyed map loses, round 46c)
    names = [c.name or "" for s in point.steps for c in s.changes]
    sent = {cjk_blocks.block_of(ch) for name in names for ch in name if not 0xE0100 <= ord(ch)}
    assert blocks <= sent
    assert set(cjk_blocks.table_blocks()) == blocks
    assert len(blocks) == 9  # the table of 5 December 2026 (module docstring)
    # IVS sequences of every block that has them
    ivs_blocks = {cjk_blocks.block_of(c[0]) for c in table if len(c) > 1}
    sent_ivs = {cjk_blocks.block_of(n[i - 1]) for n in names for i, ch in enumerate(n)
                if 0xE0100 <= ord(ch) <= 0xE01EF}
    assert ivs_blocks <= sent_ivs
    assert all(len(n) <= 100 for n in names)


@pytest.mark.skipif(not MOJIKIBAN.exists(), reason="the MJ source is not beside the repository")
def test_the_blocks_are_those_of_the_mj_source_too():
    with open(MOJIKIBAN, encoding="utf-8-sig") as f:
        source = [row["kanji"] for row in csv.DictReader(f)]
    assert _blocks_of(source) == set(cjk_blocks.table_blocks())


# --- S-FIELD-02 ------------------------------------------------------------------------------

def test_every_value_is_sent_at_its_edge_before_one_restart():
    xsd = _xsd("platform", "common-v1.xsd")
    name_max = int(_facet(xsd, "NameTextType", "maxLength"))
    kana_max = int(_facet(xsd, "KanaTextType", "maxLength"))
    kana = _facet(xsd, "KanaTextType", "pattern")
    [point] = value_restarts.value_points()
    sends = [s for s in point.steps if isinstance(s, Send)]
    assert isinstance(point.steps[-1], Restart) and len(sends) == value_restarts.exchanges() == 2
    changes = [c for s in sends for c in s.changes]
    names = [c.name or "" for c in changes]
    lengths = {len(n) for n in names}
    assert {1, name_max} <= lengths and max(lengths) == name_max
    assert any(len(n) == name_max and all(ord(ch) > 0xFFFF for ch in n) for n in names)
    every = "".join(names)
    assert any(0xFF61 <= ord(ch) <= 0xFF9F for ch in every)  # half-width katakana
    assert any(0xFF21 <= ord(ch) <= 0xFF5A for ch in every)  # full-width Latin
    assert "\u309a" in every and "\ufa19" in every and any(0xE0100 <= ord(ch) for ch in every)
    assert _blocks_of(cjk_blocks.table_characters()) <= {
        cjk_blocks.block_of(ch) for ch in every if cjk_blocks.block_of(ch)}
    readings = [v for c in changes for k, v in c.fields.items() if k.startswith("Kana")]
    assert {len(r) for r in readings} == {kana_max} and all(re.fullmatch(kana, r)
                                                             for r in readings)
    parts = [address_of(c) for c in changes if address_of(c)]
    assert {len(p["Town"]) for p in parts} >= {1, address_values.TEXT_MAX}
    assert any(len(p["Prefecture"]) == 4 for p in parts)
    schema = etree.XMLSchema(_xsd("units", "juki", "juki-v1.xsd"))
    for step in sends:
        body = notice_body((c, "0000000019", "0000000019", c.name or "") for c in step.changes)
        assert schema.validate(etree.XML(body)), schema.error_log


# --- P-USER-01, S-USER-01 --------------------------------------------------------------------

def test_every_class_of_user_id_type_is_sent():
    pattern = _facet(_xsd("platform", "header-v1.xsd"), "UserIdType", "pattern")
    assert pattern == user_ids.PATTERN.replace("\\-", "\\-")
    values = [u for _, u in user_ids.USER_IDS]
    assert all(re.fullmatch(pattern, u) for u in values)
    assert {len(u) for u in values} >= {1, 2, 63, 64} and max(map(len, values)) == 64
    firsts = {u[0] for u in values}
    assert firsts & set("ABCDEFGHIJKLMNOPQRSTUVWXYZ") and firsts & set("abcdefghijklmnopqrstuvwxyz")
    assert firsts & set("0123456789")
    assert any(u.isdigit() for u in values) and any(u.isalpha() for u in values)
    for mark in "._@-":  # inside, at the end, doubled
        assert any(mark in u[1:-1] for u in values)
        assert any(u.endswith(mark) for u in values)
        assert any(mark * 2 in u for u in values)
    assert len(set(values)) == len(values)


# --- J-RETRY-02 ------------------------------------------------------------------------------

def test_every_request_id_width_and_class_is_sent():
    pattern = _facet(_xsd("units", "juki", "juki-v1.xsd"), "ExtractIdType", "pattern")
    low, high = (int(x) for x in re.search(r"\{(\d+),(\d+)\}", pattern).groups())
    ids = retry_widths.request_ids("0000010014")
    assert [len(r) for r in ids] == list(range(low, high + 1)) == list(range(1, 65))
    assert all(re.fullmatch(pattern, r) for r in ids) and len(set(ids)) == 64
    assert {r[0] for r in ids} == set("Az0-")  # each class first
    rest = "".join(r[1:] for r in ids)
    assert all(re.search(c, rest) for c in ("[A-Z]", "[a-z]", "[0-9]", "-"))
    assert not any(r.isdigit() for r in ids)
    # the wider values with the same first character extend the narrower ones
    assert all(ids[w + 3].startswith(ids[w - 1]) for w in range(1, 61))


# --- the faulty adapters ---------------------------------------------------------------------

def test_every_new_case_is_a_target():
    suite = Suite.load()
    assert set(NEW) <= set(suite.cases)
    targeted = {t.partition("/")[0] for t in targeted_cases(
        ROUND24_NAMES, {**ROUND24_MODES, **ROUND24_CRASH_MODES})}
    assert set(NEW) <= targeted


ROUND24_RUNS = faulty_runs(ROUND24_NAMES)


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", ROUND24_RUNS)
def test_faulty_adapter_fails_exactly_its_round24_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND24_MODES))
def test_faulty_subscriber_fails_exactly_its_round24_targets(refs, suite, mode, profile):
    subscriber = Round24Subscriber(mode)
    url = refs.app(profile, {SERVICE: subscriber.handler})
    result = run_profile(RunOptions(profile, target=url, observe=CallableCommand(
        subscriber.observe, "observe")), suite)
    failed = not_passed(result)
    assert set(failed) == set(ROUND24_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND24_CRASH_MODES))
def test_faulty_start_up_fails_exactly_its_round24_targets(refs, suite, mode, profile):
    failed, _ = crash_run(refs, suite, Round24CrashSubscriber(mode), profile)
    assert set(failed) == set(ROUND24_CRASH_MODES[mode][1]), {
        k: str(r.findings)[:600] for k, r in failed.items()}
    assert all(r.verdict.startswith("fail") for r in failed.values()), failed
