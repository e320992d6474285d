"""The values the notice grid (grid_notices.py, S-GRID-01) writes into a resident's fields:
characters of every kind a name or an address holds, 丁目 at every width.

Split from grid_notices.py so that each stays one concept: the grid's sequences and model
there, the value tables here.
"""

from __future__ import annotations

FIRST = "A01"  # 国内転入: every resident's first change, so that any subscriber takes it on
# characters NFC, NFKC or a JIS X 0208 character map change, and MJ characters beyond it
# (label, the characters, a Name/Text holding them)
CHARACTERS = (
    ("神 U+FA19 (NFC: U+795E)", "\uFA19", "\uFA19田花子"),
    ("half-width katakana (NFKC)", "ﾏﾘｱ", "ﾏﾘｱ田花子"),
    ("full-width digits (NFKC)", "１２３", "１２３田花子"),
    ("full-width Latin letters (NFKC)", "ＲＯＳＳＩ", "ＲＯＳＳＩ　ＶＩＯＬＡ"),
    ("an ideographic space U+3000 (NFKC: U+0020)", "　", "田中　花子"),
    ("Latin capitals and an ASCII space, as sent", "ROSSI VIOLA", "ROSSI VIOLA"),
    ("MJ beyond JIS X 0208 (髙 﨑 德)", "髙﨑德", "髙﨑德美"),
    ("an IVS (葛 U+E0102)", "葛\U000E0102", "葛\U000E0102西花子"),
    ("outside the BMP (𠮷 U+20BB7)", "𠮷", "𠮷田花子"),
    # JIS X 0208 signs Shift_JIS and CP932 (MS932) tables map apart: a column written through
    # one changes the other's (〜 U+301C ↔ ～ U+FF5E, ‖ ↔ ∥, − ↔ －, ¢ £ ¬ → ￠ ￡ ￢, ― → —)
    ("signs a CP932 round trip changes (〜 ‖ − ¢ £ ¬ ―)", "〜‖−¢£¬―", "〜‖−¢£¬―田花子"),
    ("CP932's forms a Shift_JIS round trip changes (～ ∥ －)", "～∥－", "～∥－田花子"),
    # round 12b: what a name-cleaning (名寄せ, search-key) step rewrites — iteration marks, 〆,
    # ヶ and small kana, the long-vowel mark beside the dashes and its half-width form, middle
    # dots; every other field gets them too (a Town of 八ヶ岳, a Katagaki of ハイツ・ルーム)
    ("iteration marks (々 〻 ゝ ゞ ヽ ヾ)", "々〻ゝゞヽヾ", "佐々木〻いすゞこゝろヽヾ"),
    ("〆, ヶ ヵ and small kana (ぁ っ ゃ ァ ッ ャ ヮ)", "〆ヶヵぁっゃァッャヮ", "〆木一ヶ谷ヵぁっゃァッャヮ"),
    ("ー beside ‐ U+2010, － U+FF0D and ｰ; ・ and ･", "ー‐－ｰ・･", "マリー・ルーシー‐－ｰ･花子"),
    # round 13: the ends of the IVS selectors MJ uses — VS17 U+E0100 (俞󠄀 MJ006784), which a
    # cleaner taking it for "the default glyph" drops, and U+E011F (邉󠄟 MJ026193)
    ("IVS selectors U+E0100 (VS17) and U+E011F", "俞\U000E0100邉\U000E011F",
     "俞\U000E0100渡邉\U000E011F花子"),
    # round 22: the punctuation a name holds (docs/characters.md: a jisx0213 grapheme is a name's
    # character, JIS X 0208 row 1 included) — typographic quotes in a Latin name, which a
    # "smart quote" cleaner folds to ASCII; ASCII's own and XML's escaped ones; the rest of row 1
    ("typographic quotes in a Latin name (’ ‘ ” “)", "’‘”“", "D’ANGELO O‘NEIL “MARIA”"),
    ("ASCII punctuation and XML's escaped characters (' - . , & < > \")", "'-.,&<>\"",
     "O'NEIL-SMITH, J. & <A> \"B\""),
    # round 30b: ヷ ヸ ヹ ヺ (JIS X 0213 only), which a reading writes with ヴ and a name holds as
    # sent (docs/characters.md) — the thirtieth blind batch rewrote them in Text too
    ("ヷ ヸ ヹ ヺ (a reading's ヴァ ヴィ ヴェ ヴォ; Text holds them as sent)", "ヷヸヹヺ",
     "ヷヸヹヺ田花子"),
    ("JIS X 0208 row 1 signs (＇＂…‥，．：；？！／＼｜（）［］「」『』【】＋±×÷＝＜＞°′″℃＄％＃＆＊＠§※〒)",
     "＇＂…‥，．：；？！／＼｜（）［］「」『』【】＋±×÷＝＜＞°′″℃＄％＃＆＊＠§※〒",
     "山田（＇＂…‥，．：；？！／＼｜［］「」『』【】＋±×÷＝＜＞°′″℃＄％＃＆＊＠§※〒）花子"),
)
# round 29b: names in 縮退 relayed with their registered form in Original, as a system that
# received them in 縮退 sends them on (docs/characters.md: a receiver that stores MJ holds Text as
# sent) — each form the document gives a 縮退 (MJ's candidate, in the BMP and beyond it; the base
# without its selector; 〓 where the MJ data has none: 㐁 MJ000005, 㐇 MJ067953, 𠀅 MJ030316),
# computed by bus.core.characters.shrink_text (label, Text, Original)
SHRUNK_NAMES = (
    ("MJ's candidate (髙 → 高)", "高橋美咲", "髙橋美咲"),
    ("MJ's candidate outside the BMP (𠮷 → 吉)", "吉田花子", "𠮷田花子"),
    ("the base without its selector (葛 U+E0102 → 葛)", "葛西花子", "葛\U000E0102西花子"),
    ("〓 first (㐁 MJ000005: no candidate)", "〓田花子", "㐁田花子"),
    ("〓 between (㐇 MJ067953)", "山〓花子", "山㐇花子"),
    ("〓 twice and for a character outside the BMP (𠀅 MJ030316)", "〓〓花子", "㐁𠀅花子"),
)
# 丁目 (xs:positiveInteger) of every digit count up to the four docs/notices.md asks every
# subscriber to keep (a kanji-numeral column, vendor B's, holds up to 9999), and a leading zero
CHOME = ("10", "99", "100", "999", "1000", "9999", "010")
OTHER_FIELDS = ("Original", "FormerSurname", "Town", "Banchi", "Katagaki")
