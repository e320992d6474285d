"""Round 17's corrections to a value a collation or a normalisation takes for the same (S-CHR-15),
judged by the receiver model of grid_notices.py (notice_runs.py sends them).

docs/characters.md: names are UCS plus Moji_Joho IVS selectors, **never normalised**, compared
as code points; cmn:NameTextType keeps white space as sent (``whiteSpace preserve``). So a
修正 whose new 氏名 differs from the held one only in width (ﾏﾘｱ / マリア, ＲＯＳＳＩ / ROSSI,
１２３ / 123), in kana (マリア / まりあ), in case (ROSSI / Rossi), by a compatibility ideograph
(神 U+FA19 / U+795E), by an ideographic variation selector
(葛 / 葛 U+E0102), by a JIS mapping's twin (〜 U+301C / ～ U+FF5E), by the kind of space (U+3000
/ U+0020) or by a trailing space is a change, and must be written exactly: a store comparing
under a case-, width- and kana-insensitive collation (``UPDATE … WHERE name <> ?``), or after
NFKC, finds "no change" and keeps the old name.

``equivalent_points``: per pair, a fresh resident moves in (記載) with one form and is corrected
(修正, C12) to the other — half of the pairs one way, half the other — the name in Name/Text
and the same characters in every other text field of the notice (Original, FormerSurname, Town,
Banchi, Katagaki: receipted, not observed). With ``--observe`` the name must be the second form,
code point for code point; ``changes_applied`` 2.

Not sent: readings (KanaTextType admits full-width katakana only: none of these pairs is two
valid readings); a decomposed form (か U+3099 for が): a combining mark is no MJ character, and
docs/characters.md refuses it in a name (PF-RULE-VIOLATION, ``mj_characters``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .grid_notices import FIRST, OTHER_FIELDS, Change, Point, Send

# (what tells them apart, one form, the other[, where in the name]); each pair a different
# value, equal under a width-, kana- or case-insensitive collation, NFC, NFKC, a JIS mapping or
# trimming
PAIRS: tuple[tuple[str, ...], ...] = (
    ("width: half-width and full-width katakana", "ﾏﾘｱ", "マリア"),
    ("kana: katakana and hiragana", "マリア", "まりあ"),
    ("case: upper and mixed", "ROSSI", "Rossi"),
    ("width: full-width and ASCII letters", "ＲＯＳＳＩ", "ROSSI"),
    ("width: full-width and ASCII digits", "１２３", "123"),
    ("NFC: a compatibility ideograph (神 U+FA19 / U+795E)", "\uFA19", "\u795E"),
    ("an ideographic variation selector (葛 / 葛 U+E0102)", "葛", "葛\U000E0102"),
    ("a JIS mapping's twins (〜 U+301C / ～ U+FF5E)", "〜", "～"),
    ("the space: U+3000 / U+0020", "\u3000", " "),
    ("a trailing space (whiteSpace preserve)", "", " ", "田中花子{}"),
)


def equivalent_points(codes: Iterable[str], groups: Mapping[str, str]) -> list[Point]:
    """S-CHR-15's points (module docstring)."""
    out = []
    for k, (what, a, b, *where) in enumerate(PAIRS):
        old, new = (b, a) if k % 2 else (a, b)
        names = tuple((where or ["田中{}花子"])[0].format(x) for x in (old, new))
        out.append(Point("同値の修正", f"{what}: {names[0]!r} corrected to {names[1]!r}", 1, (
            Send((Change(0, "1", FIRST, name=names[0],
                         fields={f: old for f in OTHER_FIELDS}),),
                 soap="1.2" if k % 2 else "1.1"),
            Send((Change(0, "2", "C12", name=names[1], fields={f: new for f in OTHER_FIELDS}),),
                 soap="1.1" if k % 2 else "1.2"))))
    return out
