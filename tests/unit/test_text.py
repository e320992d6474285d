"""adapters.sdk.text (かな変換・漢数字) and the seed's check digits."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.sdk import seed
from adapters.sdk.text import (hiragana_to_katakana, int_to_kanji, kanji_to_int,
                               katakana_to_hiragana, parse_arabic)


@pytest.mark.parametrize("hira, kata", [
    ("そうむ", "ソウム"), ("しょうこ", "ショウコ"),
    ("ゔぃおら", "ヴィオラ"),  # ゔ U+3094 ↔ ヴ U+30F4
    ("ろっし", "ロッシ"),  # small っ
    ("ぁぃぅぇぉゃゅょゎ", "ァィゥェォャュョヮ"),
    ("ゕゖ", "ヵヶ"),  # small ka / ke at the end of the block
    ("ゝゞ", "ヽヾ"),  # iteration marks
    ("らーめん", "ラーメン"),  # ー is shared: unchanged
    ("さいとう　はなこ", "サイトウ　ハナコ"),  # ideographic space kept
])
def test_kana_conversion_both_ways(hira: str, kata: str) -> None:
    assert hiragana_to_katakana(hira) == kata
    assert katakana_to_hiragana(kata) == hira


def test_other_characters_are_left_untouched() -> None:
    # kanji, a Moji_Joho IVS sequence, a non-BMP kanji, half-width katakana, ASCII, 全角英数
    other = "総務翔子 葛\U000E0102 𠮷 髙 ｶﾀｶﾅ abc ＡＢＣ１２ ・"
    assert hiragana_to_katakana(other) == other
    assert katakana_to_hiragana(other) == other
    # ヷヸヹヺ have no hiragana: stay katakana
    assert katakana_to_hiragana("ヷヸヹヺ") == "ヷヸヹヺ"


def test_no_normalisation_of_combining_marks_or_compatibility_ideographs() -> None:
    # か + combining dakuten would become が under NFC; 豈 U+F900 would become U+8C48
    text = "か\u3099\uF900"
    assert unicodedata.normalize("NFC", text) != text  # the test input is sensitive to NFC
    assert hiragana_to_katakana(text) == "カ\u3099\uF900"
    assert katakana_to_hiragana("カ\u3099\uF900") == text


def test_whole_hiragana_block_round_trips() -> None:
    hira = "".join(map(chr, range(0x3041, 0x3097)))
    kata = hiragana_to_katakana(hira)
    assert kata == "".join(map(chr, range(0x30A1, 0x30F7)))
    assert katakana_to_hiragana(kata) == hira


@pytest.mark.parametrize("number, kanji", [
    (0, "〇"), (1, "一"), (2, "二"), (9, "九"), (10, "十"), (11, "十一"), (12, "十二"),
    (20, "二十"), (21, "二十一"), (99, "九十九"), (100, "百"), (101, "百一"), (105, "百五"),
    (110, "百十"), (111, "百十一"), (200, "二百"), (999, "九百九十九"), (1000, "千"),
    (1001, "千一"), (1010, "千十"), (2024, "二千二十四"), (9999, "九千九百九十九"),
])
def test_kanji_numerals_both_ways(number: int, kanji: str) -> None:
    assert int_to_kanji(number) == kanji
    assert kanji_to_int(kanji) == number


@pytest.mark.parametrize("kanji, number", [
    ("一千", 1000), ("一百五", 105), ("一十", 10),  # explicit 一 before a unit
    ("一〇五", 105), ("二〇", 20), ("一二", 12),  # positional form
])
def test_kanji_numerals_other_accepted_forms(kanji: str, number: int) -> None:
    assert kanji_to_int(kanji) == number


@pytest.mark.parametrize("bad", [
    "", "十十", "百千", "二二十", "十〇", "〇一", "2", "２", "二 ", " 二", "壱", "弐拾",
    "万", "二万", "十二a", "ニ",  # the last is katakana ニ, not kanji 二
])
def test_kanji_to_int_rejects_what_it_cannot_parse(bad: str) -> None:
    with pytest.raises(ValueError, match="kanji numeral"):
        kanji_to_int(bad)


@pytest.mark.parametrize("bad", [-1, 10000, 2.0, "2", True, None])
def test_int_to_kanji_rejects_out_of_range_and_non_integers(bad: object) -> None:
    with pytest.raises(ValueError):
        int_to_kanji(bad)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=9999))
def test_kanji_numeral_round_trip(n: int) -> None:
    assert kanji_to_int(int_to_kanji(n)) == n


@pytest.mark.parametrize("bad", ["", "２", " 2", "2 ", "1_0", "+2", "-1", "二", "٢"])
def test_parse_arabic_is_strict(bad: str) -> None:
    with pytest.raises(ValueError, match="arabic"):
        parse_arabic(bad)
    assert parse_arabic("012") == 12


def test_individual_number_matches_the_verified_example() -> None:
    assert seed.individual_number("12345678901") == "123456789018"


def test_m11_check_digits() -> None:
    # 000001001: Σ = 1·2 + 1·5 = 7 (weights 2,3,4,5… from the right) → 11 − 7 = 4
    assert seed.with_m11_check(1001) == "0000010014"
    # remainder 0 → 0: 000001003 gives 3·2 + 1·5 = 11
    assert seed.with_m11_check(1003) == "0000010030"
    with pytest.raises(ValueError, match="remainder 1"):
        seed.with_m11_check(1009)  # 9·2 + 1·5 = 23 ≡ 1
