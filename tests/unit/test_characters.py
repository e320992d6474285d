"""Characters (bus.core.characters): graphemes, classification against the real MJ data, 縮退.

Real MJ characters: 髙 (MJ028902, not in JIS X 0213), 𠮷 (MJ032129, outside the BMP), 葛 with
Moji_Joho selector U+E0102 (MJ022335) and without one (JIS X 0213), 邊 + U+E010E (MJ026201).
"""

from __future__ import annotations

import pytest

from bus.core import characters as ch
from bus.core.characters import (GETA, JIS, MJ, MJ_IVS, PRIVATE, UNKNOWN, graphemes, mj_table,
                                 shrink_text)

KUZU_IVS = "葛\U000E0102"  # MJ022335
WATANABE_IVS = "邊\U000E010E"  # MJ026201


@pytest.fixture(scope="module")
def table():
    return mj_table()


def test_graphemes_keep_the_selector_with_its_base_and_split_nothing_else():
    assert list(graphemes(f"{KUZU_IVS}西")) == [KUZU_IVS, "西"]
    assert list(graphemes("𠮷田")) == ["𠮷", "田"]  # one code point outside the BMP
    assert list(graphemes("か\u309a")) == ["か\u309a"]  # JIS X 0213's combining sequence
    assert list(graphemes("\U000E0100葛")) == ["\U000E0100", "葛"]  # a selector before anything
    assert "".join(graphemes(f"髙橋{KUZU_IVS}")) == f"髙橋{KUZU_IVS}"


@pytest.mark.parametrize("grapheme, kind, name, shrink", [
    ("髙", MJ, "MJ028902", "高"),
    ("𠮷", MJ, "MJ032129", "吉"),
    (KUZU_IVS, MJ_IVS, "MJ022335", "葛"),
    (WATANABE_IVS, MJ_IVS, "MJ026201", "邊"),
    ("葛", JIS, None, ""),  # without a selector: JIS X 0208 1-19-75
    ("高", JIS, "MJ028901", "高"),  # in JIS X 0213 and an MJ character
    ("ソ", JIS, None, ""),
    ("R", JIS, None, ""),
    ("か\u309a", JIS, None, ""),
    ("\ue000", PRIVATE, None, ""),
    ("\U000F0001", PRIVATE, None, ""),  # plane 15
    ("\U00100000", PRIVATE, None, ""),  # plane 16
])
def test_classification(table, grapheme, kind, name, shrink):
    info = table.classify(grapheme)
    assert (info.kind, info.mj, info.shrink) == (kind, name, shrink)
    assert info.text == grapheme


@pytest.mark.parametrize("grapheme, note", [
    ("葛\U000E0100", "outside the Moji_Joho collection"),  # an IVS not registered for MJ
    ("\U000E0102", "no character before it"),
    ("葛\ufe00", "standardized variation sequence"),
    ("\U0001F600", "neither in JIS X 0213 nor an MJ character"),
])
def test_unknown_says_why(table, grapheme, note):
    info = table.classify(grapheme)
    assert info.kind == UNKNOWN and note in info.note and info.mj is None


def test_describe_names_code_points_and_mj_name(table):
    assert table.classify(KUZU_IVS).describe() == f"U+845B U+E0102 {KUZU_IVS} MJ022335"
    assert table.classify("𠮷").describe() == "U+20BB7 𠮷 MJ032129"
    assert table.classify("\ue001").describe() == "U+E001"  # a private glyph is not printed


def test_characters_numbers_graphemes_not_code_points(table):
    infos = table.characters(f"{KUZU_IVS}西\ue000")
    assert [(c.index, c.kind) for c in infos] == [(1, MJ_IVS), (2, JIS), (3, PRIVATE)]


def test_outside_is_empty_for_jis_text_and_lists_the_rest_by_repertoire(table):
    assert table.outside("総務翔子", "jisx0213") == []
    assert table.outside("髙橋美咲", "mj") == []
    assert [c.mj for c in table.outside("髙橋美咲", "jisx0213")] == ["MJ028902"]
    assert [c.kind for c in table.outside(f"{KUZU_IVS}\ue000", "mj")] == [PRIVATE]


def test_the_jis_set_agrees_with_the_codec_for_every_code_point():
    repertoire = ch.jis_repertoire()
    wrong = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF
             and (chr(cp) in repertoire) != ch.in_jisx0213(chr(cp))]
    assert wrong == []


def test_mj_names_resolve_to_their_exact_sequence(table):
    assert table.grapheme("MJ022335") == KUZU_IVS
    assert table.grapheme("MJ028902") == "髙"
    assert table.grapheme("MJ059399") == "博\U000E010A"  # preferred of its two IVS sequences
    assert table.classify("\U0002B9E4\U000E0100").mj == "MJ059399"  # the other one
    assert table.grapheme("MJ999999") is None and table.grapheme("髙") is None


def test_shrink_text_substitutes_only_what_jis_x_0213_lacks():
    text, changes = shrink_text(f"髙橋美咲 {KUZU_IVS}西 𠮷田")
    assert text == "高橋美咲 葛西 吉田"
    assert [(c.original.mj, c.substitute) for c in changes] == [
        ("MJ028902", "高"), ("MJ022335", "葛"), ("MJ032129", "吉")]
    assert [c.describe() for c in changes] == ["MJ028902→U+9AD8", "MJ022335→U+845B",
                                               "MJ032129→U+5409"]


def test_shrink_text_leaves_jis_text_alone_and_keeps_what_the_receiver_keeps():
    assert shrink_text("総務翔子") == ("総務翔子", [])
    assert shrink_text(f"渡{WATANABE_IVS}", keep=frozenset({WATANABE_IVS}))[0] == \
        f"渡{WATANABE_IVS}"


def test_shrink_without_candidate_falls_back_to_base_then_geta(table):
    no_candidate = next(c for c, (n, s) in table._entries.items()
                        if not s and len(c) == 1 and not ch.in_jisx0213(c))
    assert shrink_text(no_candidate)[0] == GETA
    # an IVS sequence outside MJ whose base is JIS X 0213: the base
    assert shrink_text("葛\U000E0100")[0] == "葛"


def test_no_normalisation_anywhere(table):
    compat = "\uFA11"  # 﨑, a CJK compatibility ideograph NFC would fold to 崎
    assert table.classify(compat).text == compat
    assert shrink_text(compat)[0] == compat  # it is in JIS X 0213: untouched


_ALPHABET = ["髙", "橋", "葛", "\U000E0102", "\U000E0100", "\ufe00", "𠮷", "\u309a", "か", "\ue000",
             "A", " ", "\u0301", "邊"]


def test_graphemes_cover_the_text_exactly_and_keep_each_selector_last():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(_ALPHABET), max_size=12).map("".join))
    def check(text):
        parts = list(graphemes(text))
        assert "".join(parts) == text
        for part in parts:
            assert not any(ch.is_variation_selector(c) for c in part[1:-1])
        table = mj_table()
        assert "".join(c.text for c in table.characters(text)) == text
        assert [c.index for c in table.outside(text, "jisx0213")] == \
            [c.index for c in table.characters(text) if c.kind != JIS]

    check()
