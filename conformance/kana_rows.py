"""Every kana of JIS X 0208 rows 4 and 5 in a stored name (S-KANA-01): points for the notice
grid's receiver model (grid_notices.py, step ``grid = "kana"``).

docs/characters.md: a registered name reaches every system exactly as registered, never
normalised. JIS X 0208 row 4 is the hiragana ぁ … ん (83: the small ぁ ぃ ぅ ぇ ぉ っ ゃ ゅ ょ ゎ and the
旧仮名 ゐ ゑ among them), row 5 the katakana ァ … ヶ (86: ヰ ヱ ヴ ヵ ヶ and the small forms) —
ROW4 and ROW5, decoded from their EUC-JP codes (0xA4A1 …, 0xA5A1 …), not typed. A name cleaner
folding 旧仮名 to modern kana (ゐ → い), small kana to full size, ヴ to ウ゛, or katakana through
half-width forms (ヰ ヵ ヶ ヮ have none) changes a registered name.

What was there: S-CHR-12 and S-GRID-01's character points send 12 of these (ゝ ゞ ヽ ヾ are
row 1's; ぁ っ ゃ ァ ッ ャ ヮ ヵ ヶ, シ ュ ー); no name held ゐ ゑ ヰ ヱ, ゎ or ヴ. Added: one notice
of two residents, the one named by the whole of row 4 (83 characters; NameTextType's
maxLength is 100), the other by the whole of row 5 (86) — whose reading (cmn:Kana Family and
Given, KanaTextType ``[ァ-ヶ・ー　]+``: every katakana of row 5 and no hiragana) is row 5 too,
in order and reversed. With ``--observe`` each resident's name must be as sent.
"""

from __future__ import annotations

from .grid_notices import FIRST, Change, Point, Send

NAME_MAX = 100  # common-v1.xsd NameTextType maxLength


def _row(row: int, cells: int) -> str:
    """The characters of JIS X 0208 row ``row`` (cells 1 … ``cells``), from EUC-JP."""
    out = []
    for cell in range(1, cells + 1):
        try:
            out.append(bytes((0xA0 + row, 0xA0 + cell)).decode("euc_jp"))
        except UnicodeDecodeError:
            pass  # an unassigned cell
    return "".join(out)


ROW4 = _row(4, 94)  # ぁ … ん
ROW5 = _row(5, 94)  # ァ … ヶ


def kana_points() -> list[Point]:
    return [Point("characters", f"JIS X 0208 row 4 ({len(ROW4)} hiragana) and row 5 "
                  f"({len(ROW5)} katakana, also the reading) as two residents' names", 2, (
                      Send((Change(0, "1", FIRST, name=ROW4, relationship="01"),
                            Change(1, "1", FIRST, name=ROW5, relationship="02",
                                   fields={"KanaFamily": ROW5, "KanaGiven": ROW5[::-1]})),
                           soap="1.2"),))]
