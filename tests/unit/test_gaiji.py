"""外字 tables (bus.core.gaiji, adapters.sdk.characters): loading, and round trips vendor → MJ →
another vendor, on the reference adapters' own tables."""

from __future__ import annotations

import pytest

from adapters.sdk.characters import GaijiTable, GaijiTableError
from adapters.vendor_a_registry import GAIJI_TABLE as VENDOR_A_TABLE
from bus.core.characters import PRIVATE

WATANABE_IVS = "邊\U000E010E"  # MJ026201
KUZU_IVS = "葛\U000E0102"  # MJ022335


@pytest.fixture(scope="module")
def vendor_a():
    return GaijiTable.load(VENDOR_A_TABLE)


@pytest.fixture(scope="module")
def vendor_b():
    from adapters.vendor_b_tax import GAIJI_TABLE
    return GaijiTable.load(GAIJI_TABLE)


def test_the_reference_tables_load(vendor_a, vendor_b):
    assert {e.code: e.mj for e in vendor_a.entries} == {
        "\ue000": "MJ026201", "\ue001": "MJ028902", "\ue002": "MJ032129", "\ue003": "MJ022335"}
    assert {e.code: e.mj for e in vendor_b.entries} == {"\uf100": "MJ026201"}


def test_to_standard_gives_the_exact_mj_sequence_with_its_selector(vendor_a):
    assert vendor_a.to_standard("渡\ue000太郎") == f"渡{WATANABE_IVS}太郎"
    assert vendor_a.to_standard("\ue001橋") == "髙橋"
    assert vendor_a.to_standard("\ue002田") == "𠮷田"
    assert vendor_a.to_standard("\ue003西") == f"{KUZU_IVS}西"
    assert vendor_a.to_standard("総務翔子") == "総務翔子"


def test_from_standard_matches_whole_sequences_only(vendor_a):
    assert vendor_a.from_standard(f"{KUZU_IVS}西") == "\ue003西"
    assert vendor_a.from_standard("葛西") == "葛西"  # 葛 without the selector is not 外字
    assert vendor_a.from_standard("葛\U000E0103西") == "葛\U000E0103西"  # another MJ glyph


def test_a_name_goes_from_vendor_a_to_vendor_b_and_back(vendor_a, vendor_b):
    in_a = "渡\ue000太郎"
    standard = vendor_a.to_standard(in_a)
    in_b = vendor_b.from_standard(standard)
    assert in_b == "渡\uf100太郎"  # vendor B's own code for the same MJ character
    assert vendor_b.to_standard(in_b) == standard
    assert vendor_a.from_standard(vendor_b.to_standard(in_b)) == in_a


def test_unmapped_names_the_private_characters_left(vendor_a):
    left = vendor_a.unmapped("渡\ue000\ue0ff")
    assert [(c.kind, c.codepoints, c.index) for c in left] == [(PRIVATE, "U+E0FF", 3)]
    assert vendor_a.unmapped("総務翔子") == []


def test_two_codes_for_one_glyph_go_back_to_the_first(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("U+E010 MJ028902\nU+E011 MJ028902  # registered twice\n", encoding="utf-8")
    table = GaijiTable.load(path)
    assert table.to_standard("\ue010\ue011") == "髙髙"
    assert table.from_standard("髙") == "\ue010"


@pytest.mark.parametrize("content, error", [
    ("U+E000\n", ":1: expected 'U+XXXX MJnnnnnn'"),
    ("U+4E00 MJ006294\n", ":1: U+4E00 is not a private-use code point"),
    ("U+E000 MJ999999\n", ":1: 'MJ999999' is not an MJ文字図形名"),
    ("# comment\nU+E000 MJ028902\nU+E000 MJ032129\n", ":3: U+E000 is already mapped on line 2"),
    ("U+ZZZZ MJ028902\n", ":1: 'U+ZZZZ' is not a code point"),
])
def test_bad_tables_name_file_and_line(tmp_path, content, error):
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GaijiTableError) as exc:
        GaijiTable.load(path)
    assert str(exc.value).startswith(str(path)) and error in str(exc.value)


def test_from_mapping(vendor_a):
    table = GaijiTable.from_mapping({"\ue100": "MJ032129"})
    assert table.to_standard("\ue100") == "𠮷" and "\ue100" in table
    with pytest.raises(GaijiTableError):
        GaijiTable.from_mapping({"A": "MJ032129"})
