"""Round 45: the forty-fifth blind batch's classes — a Path's positions only where siblings share
a name (INV-FAULT-13), chunk-sizes with hex letters in either case (P-WIRE-01), a 住民状態 other
than 1 observed right after its notice (S-IDCHG-01), an inquiry by 個人番号 from every Sender
(P-PARTY-01), a RequestId named as an ExtractId (J-FULL-04)."""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path
import pytest
from lxml import etree

from conformance import fault_place, identifier_changes, wire_forms
from conformance.records import Exchange

from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_durability import crash_run
from .faulty_round45 import (ROUND45_MODES, ROUND45_NAMES, Round45Subscriber,
                             path_steps_numbered)
from .outcomes import not_passed
from .proxy import Call, Reply
from .tiers import subscriber_runs

_MESSAGE = etree.fromstring(
    '<s:Envelope xmlns:s="urn:s"><s:Body><q:Q xmlns:q="urn:q"><q:K>1</q:K><q:N>a</q:N>'
    '<q:N>b</q:N></q:Q></s:Body></s:Envelope>')


@pytest.mark.parametrize("path,placed", [
    ("/s:Envelope/s:Body/q:Q/q:K", True),
    ("/s:Envelope/s:Body/q:Q/q:N[2]", True),  # namesakes: a position is how to name one
    ("/s:Envelope[1]/s:Body/q:Q/q:K", False),
    ("/s:Envelope/s:Body/q:Q/q:K[1]", False),
    ("/s:Envelope/s:Body/q:Q/q:N[1]", True),
])
def test_a_position_only_where_siblings_share_a_name(path, placed):
    why = fault_place.unplaced(path, _MESSAGE)
    assert (why is None) is placed, why
    if not placed:
        assert "no sibling shares its name" in why


def test_the_numbered_path_writer_numbers_every_step():
    body = (b"<pff:Finding><pff:Rule>r</pff:Rule><pff:Path>/s:Envelope/s:Body/q:Q/q:N[2]"
            b"</pff:Path></pff:Finding>")
    call = Call(b"", {}, reply=Reply(500, body))
    numbered = path_steps_numbered(call).body
    assert b"<pff:Path>/s:Envelope[1]/s:Body[1]/q:Q[1]/q:N[2]</pff:Path>" in numbered


@pytest.mark.parametrize("n", [2, 3, 10, 16, 17, 100, 255, 256, 1000, 4097])
def test_both_chunk_sizes_hold_a_hex_letter(n):
    half = wire_forms.lettered_split(n)
    assert 0 < half < n and abs(half - n // 2) <= 64
    if n >= 20:  # past the smallest, both sizes can hold a letter
        assert re.search("[a-f]", f"{half:x}") and re.search("[a-f]", f"{n - half:x}")


def test_a_chunked_request_writes_its_sizes_in_both_cases_one_with_a_leading_zero():
    ex = Exchange(step="s", direction="to-product", method="POST", url="http://h/soap",
                  request=b"<x>" + b"y" * 600 + b"</x>")
    form = next(f for f in wire_forms.ACCEPTED if f.name == "chunked-body")
    raw = wire_forms.request_bytes(ex, form)
    body = raw.split(b"\r\n\r\n", 1)[1]
    first = body.split(b"\r\n", 1)[0].split(b";")[0]
    second = re.search(rb"\r\n(0[0-9A-F]+)\r\n", body)[1]
    assert re.search(rb"[a-f]", first) and re.search(rb"[A-F]", second)
    assert int(first, 16) + int(second, 16) == len(ex.request)


def test_the_last_identifier_notice_gives_every_status_to_every_reason_group():
    """Every 住民状態 is sent, and each group of 異動事由 (記載, 消除, 修正) meets one other than
    1 (the forty-fifth blind batch wrote a 修正 of a 転出者 or 死亡者 after its receipt)."""
    with open(Path(__file__).parents[2] / "schemas" / "codelists" / "change_reason.csv",
              encoding="utf-8") as f:
        groups = {row["code"]: row["group"] for row in csv.DictReader(f)}
    [point] = identifier_changes.id_change_points(groups, groups, random.Random(3))
    codes = sorted(groups)
    sent: dict[str, set[str]] = {}
    for c in point.steps[-1].changes:
        sent.setdefault(groups[codes[c.who]], set()).add(c.fields["ResidentStatus"])
    assert set().union(*sent.values()) == set(identifier_changes.STATUSES)
    assert set(sent) == {"記載", "消除", "修正"} and all(s - {"1"} for s in sent.values()), sent


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", faulty_runs(ROUND45_NAMES))
def test_faulty_adapter_fails_exactly_its_round45_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)


@pytest.mark.integration
@pytest.mark.parametrize("mode,profile", subscriber_runs(ROUND45_MODES))
def test_faulty_subscriber_fails_exactly_its_round45_targets(refs, suite, mode, profile):
    failed = not_passed(crash_run(refs, suite, Round45Subscriber(mode), profile)[1])
    assert set(failed) == set(ROUND45_MODES[mode][1]), failed
    assert all(v.startswith("fail") for v in failed.values()), failed

