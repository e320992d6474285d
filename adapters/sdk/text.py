"""Text helpers vendor adapters reuse (文字種変換・漢数字).

Pure functions, no I/O. They convert only what they are asked to convert and leave every other
character untouched. Nothing here applies Unicode normalisation (NFC/NFKC): normalising folds CJK
compatibility ideographs and can drop the variation selectors a registered name depends on.
"""

from __future__ import annotations

import re

# Hiragana U+3041..U+3096 (ぁ..ゖ, incl. ゔ ゕ ゖ) sit exactly 0x60 below katakana U+30A1..U+30F6
# (ァ..ヶ); the iteration marks ゝゞ (U+309D/E) likewise map to ヽヾ (U+30FD/E).
_KANA_OFFSET = 0x60
_HIRA_TO_KATA = {c: c + _KANA_OFFSET for c in (*range(0x3041, 0x3097), 0x309D, 0x309E)}
_KATA_TO_HIRA = {k: h for h, k in _HIRA_TO_KATA.items()}


def hiragana_to_katakana(text: str) -> str:
    """ひらがな → 全角カタカナ (そうむ → ソウム, ゔ → ヴ, ぁ → ァ).

    The prolonged sound mark ー (shared by both scripts), kanji, half-width katakana, ASCII and
    variation selectors pass through unchanged.
    """
    return text.translate(_HIRA_TO_KATA)


def katakana_to_hiragana(text: str) -> str:
    """全角カタカナ → ひらがな (ショウコ → しょうこ, ヴ → ゔ, ヵ → ゕ).

    ヷヸヹヺ have no hiragana counterpart and stay as they are, as do ー and every non-kana character.
    """
    return text.translate(_KATA_TO_HIRA)


# Kanji numerals (漢数字): the everyday form with the units 十百千 ("二十一", "百五"), and the
# positional form of digit-by-digit numerals ("一〇五") that some systems write for house numbers.
_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DIGIT_CHARS = "〇一二三四五六七八九"
_UNITS = {"千": 1000, "百": 100, "十": 10}
KANJI_NUMERAL_MAX = 9999


def int_to_kanji(number: int) -> str:
    """Arabic integer → 漢数字 with units (2 → 二, 10 → 十, 12 → 十二, 105 → 百五, 0 → 〇).

    The canonical form drops the 一 before 十, 百 and 千 (十, 百, 千), as addresses write them.
    Raises ValueError outside 0..9999 (万 and above are never needed for 丁目 or 番地).
    """
    if isinstance(number, bool) or not isinstance(number, int):
        raise ValueError(f"not an integer: {number!r}")
    if not 0 <= number <= KANJI_NUMERAL_MAX:
        raise ValueError(f"{number} is outside 0..{KANJI_NUMERAL_MAX} for kanji numerals")
    if number == 0:
        return "〇"
    out = []
    for unit_char, unit in _UNITS.items():
        digit, number = divmod(number, unit)
        if digit:
            out.append(("" if digit == 1 else _DIGIT_CHARS[digit]) + unit_char)
    if number:
        out.append(_DIGIT_CHARS[number])
    return "".join(out)


def kanji_to_int(text: str) -> int:
    """漢数字 → arabic integer (二 → 2, 十 → 10, 二十一 → 21, 百五 → 105, 一〇五 → 105).

    Accepts the unit form (an optional digit before each of 千, 百, 十 in that order, then a final
    digit; an explicit 一 as in 一千 is allowed) and the positional form (digits only, 〇 for
    zero). Raises ValueError for anything else: empty text, repeated or misordered units (十十,
    百千), adjacent digits in the unit form (二二十), arabic or full-width digits, 大字 (壱弐参),
    surrounding spaces.
    """
    if not isinstance(text, str) or not text:
        raise ValueError(f"not a kanji numeral: {text!r}")
    bad = [c for c in text if c not in _DIGITS and c not in _UNITS]
    if bad:
        raise ValueError(f"not a kanji numeral: {text!r} (unexpected {bad[0]!r})")
    if all(c in _DIGITS for c in text):
        if len(text) > 1 and text[0] == "〇":
            raise ValueError(f"not a kanji numeral: {text!r} (leading 〇)")
        return int("".join(str(_DIGITS[c]) for c in text))
    total = 0
    pending: int | None = None  # a digit waiting for its unit, or the final ones digit
    last_unit = 10_000
    for c in text:
        if c in _DIGITS:
            if pending is not None:
                raise ValueError(f"not a kanji numeral: {text!r} (two digits in a row)")
            if c == "〇":
                raise ValueError(f"not a kanji numeral: {text!r} (〇 in the unit form)")
            pending = _DIGITS[c]
            continue
        unit = _UNITS[c]
        if unit >= last_unit:
            raise ValueError(f"not a kanji numeral: {text!r} (unit {c} out of order)")
        total += (1 if pending is None else pending) * unit
        pending, last_unit = None, unit
    return total + (pending or 0)


_ARABIC = re.compile(r"[0-9]+")


def parse_arabic(text: str) -> int:
    """ASCII digits → int, strictly.

    Python's int() also accepts full-width and other Unicode digits, spaces and underscores
    ("２", " 2", "1_0"); vendor columns that promise arabic numerals must not silently do so.
    """
    if not isinstance(text, str) or not _ARABIC.fullmatch(text):
        raise ValueError(f"not an arabic numeral (ASCII digits): {text!r}")
    return int(text)
