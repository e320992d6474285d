"""Round 24 (S-FIELD-02): every stored value at its edges is the same after a start-up — byte
for byte — judged by the notice grid's receiver model (grid_notices.py; notice_runs.py sends it,
``field_values``). S-FIELD-01 (start_fields.py) judges a resident's STATE across a restart; this
is the class's other half, the VALUES a start-up reads back.

What a value may be (common-v1.xsd, docs/characters.md): Name/Text is cmn:NameTextType, 1 to
100 characters (XSD counts code points: a character outside the BMP is one, an IVS sequence
two), UCS with Moji_Joho IVS selectors, never normalised — half-width katakana as registered,
full-width Latin letters and digits, a kana with a combining mark (か゚), a compatibility
ideograph (神 U+FA19, which NFC folds), a character of every block the MJ table uses
(cjk_blocks.py); the reading (cmn:Kana Family and Given) is KanaTextType, up to 100 of
``[ァ-ヶ・ー　]``; the address parts are address_values.py's, at 1 and 200 characters.

Sent: ``values`` — one resident per value, a 国内転入 each, in two notices (SOAP 1.1 and 1.2); the
product restarts (--restart-command); every resident observed: its name (and, printed, its
address) code point for code point as sent, one change applied. The reading is carried at 100
characters but --observe does not print it: judged by the receipt only.
"""

from __future__ import annotations

from .address_values import TEXT_MAX, full_address, text_of
from .cjk_blocks import block_of, table_blocks, table_characters
from .grid_notices import FIRST, Change, Point, Restart, Send

NAME_MAX = 100  # common-v1.xsd NameTextType maxLength
KANA_MAX = 100  # KanaTextType maxLength
_BMP = "東西南北春夏秋冬山川"
_KANA = "アイウエオヴヵヶヮー・　"  # KanaTextType's classes: katakana, ー, ・, the ideographic space


def extension_b() -> list[str]:
    """The MJ table's plain characters of Extension B, in code point order (in the repertoire:
    a name of them is valid)."""
    return sorted(c for c in table_characters()
                  if len(c) == 1 and block_of(c) == "CJK Unified Ideographs Extension B")


def values() -> list[tuple[str, str, dict[str, str]]]:
    """(what, Name/Text, other fields) of every resident S-FIELD-02 stores."""
    every_block = "".join(c for chars in table_blocks().values() for c in chars)
    reading = (_KANA * (KANA_MAX // len(_KANA) + 1))[:KANA_MAX]
    supplementary = "".join(extension_b()[:NAME_MAX])
    return [
        (f"a name of {NAME_MAX} characters", (_BMP * 10)[:NAME_MAX], {}),
        (f"a name of {NAME_MAX} characters outside the BMP", supplementary, {}),
        ("a name of 1 character", "東", {}),
        ("half-width katakana as registered", "山田ﾀﾞｲｽｹ", {}),
        ("full-width Latin letters and digits", "田中ＡＢｃ１２", {}),
        ("a kana with a combining mark, a compatibility ideograph, an IVS sequence",
         "か\u309a\ufa19\u845b\U000e0102飾", {}),
        (f"every block of the MJ table ({len(every_block)} code points)", every_block, {}),
        (f"a reading of {KANA_MAX} characters (Family and Given)", "読田",
         {"KanaFamily": reading, "KanaGiven": reading[::-1]}),
        (f"every address text part at {TEXT_MAX} characters", "住田",
         {f"Address.{p}": v for p, v in {
             **full_address(text_of(TEXT_MAX, "大"), text_of(TEXT_MAX, "市")),
             "Town": text_of(TEXT_MAX, "町"), "Banchi": text_of(TEXT_MAX, "番"),
             "Katagaki": text_of(TEXT_MAX, "方")}.items()}),
        ("a 4-character 都道府県 with every optional part", "県田",
         {f"Address.{p}": v for p, v in full_address("鹿児島県", "鹿児島市").items()}),
        ("every address text part at 1 character", "一田",
         {f"Address.{p}": v for p, v in {**full_address("都", "市"), "Town": "町",
                                          "Banchi": "1", "Katagaki": "棟"}.items()}),
    ]


def value_points() -> list[Point]:
    """S-FIELD-02's one point: every value, one restart."""
    residents = values()
    n = len(residents)
    # round 34b: every value in both SOAP versions (a product normalising on one path only)
    sends = tuple(Send(tuple(Change(first + k, "1", FIRST, name=name, fields=fields,
                                    relationship="01" if first + k == 0 else "02")
                             for k, (_, name, fields) in enumerate(residents)), soap=soap)
                  for first, soap in ((0, "1.1"), (n, "1.2")))
    what = (f"{n} values at their edge, each a resident in each SOAP version ("
            + "; ".join(w for w, _, _ in residents) + "); restart")
    return [Point("start-up", what, 2 * n, (*sends, Restart()), judge_address=True)]


def exchanges() -> int:
    return sum(1 for p in value_points() for s in p.steps if not isinstance(s, Restart))
