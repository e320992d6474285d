"""Build ``mj.tsv.gz``, the compact MJ table pfbus ships, from the 文字情報基盤 CSV extracts.

    python schemas/characters/build_table.py [--source DIR] [--output FILE]

DIR holds ``moji.csv`` and ``moji_ivs.csv`` (default: ``../shared/data/mojikiban`` beside the
repository; see its SOURCE.md). The output is reproducible byte for byte (sorted rows, gzip
without a timestamp): ``tests/unit/test_characters_table.py`` rebuilds it and compares.

Derived from the MJ文字情報一覧表 (文字情報技術促進協議会 / IPA), CC BY-SA 2.1 JP; the table keeps
that licence (README.md beside it).

Table format (UTF-8, tab-separated, ``#`` lines are comments):

    <MJ number>\t<character: UCS, plus its Moji_Joho IVS selector where MJ needs one>\t<縮退>

``縮退`` lists the JIS X 0213 characters that may stand in for it, best first (may be empty). An
MJ number appears twice when the IVD registers its glyph under two sequences (MJ059399: U+535A
U+E010A and U+2B9E4 U+E0100); the first row is the preferred form.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[1].parent / "shared" / "data" / "mojikiban"
DEFAULT_OUTPUT = HERE / "mj.tsv.gz"
ATTRIBUTION = "MJ文字情報一覧表 (文字情報技術促進協議会 / IPA), CC BY-SA 2.1 JP"
SELECTORS = range(0xE0100, 0xE01F0)


class SourceError(ValueError):
    """The source CSVs are not what this script expects."""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _in_jis(text: str) -> bool:
    try:
        text.encode("euc_jis_2004")
    except UnicodeEncodeError:
        return False
    return True


def build(source: Path) -> bytes:
    """The gzip bytes of the table built from ``source``; raises SourceError on surprises."""
    moji = _rows(source / "moji.csv")
    ivs = _rows(source / "moji_ivs.csv")
    entries: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    by_number: dict[int, tuple[str, str]] = {}
    for row in moji:
        number, char, shrink = int(row["mj"]), row["kanji"], row["shrink"]
        if not 1 <= len(char) <= 2 or len(char) == 2 and ord(char[1]) not in SELECTORS:
            raise SourceError(f"moji.csv MJ{number:06d}: {char!r} is not one character with an "
                              "optional IVS selector")
        bad = [c for c in shrink if not _in_jis(c)]
        if bad:
            raise SourceError(f"moji.csv MJ{number:06d}: 縮退 {bad[0]!r} is not in JIS X 0213")
        if char in seen or number in by_number:
            raise SourceError(f"moji.csv MJ{number:06d}: duplicate {char!r} / number")
        seen[char] = number
        by_number[number] = (char, shrink)
        entries.append((number, char, shrink))
    for row in ivs:
        number = int(row["mj"])
        if number not in by_number:
            raise SourceError(f"moji_ivs.csv MJ{number:06d} is not in moji.csv")
        sequences = ["".join(chr(int(cp, 16)) for cp in seq.split("_"))
                     for seq in row["ucs"].split(";")]
        if sequences[0] != by_number[number][0]:
            raise SourceError(f"moji_ivs.csv MJ{number:06d}: {row['ucs']} differs from moji.csv")
        for alias in sequences[1:]:  # the same glyph registered under another base
            if alias in seen:
                raise SourceError(f"moji_ivs.csv MJ{number:06d}: {row['ucs']} is already "
                                  f"MJ{seen[alias]:06d}")
            seen[alias] = number
            entries.append((number, alias, by_number[number][1]))
    if sum(1 for _, c, _ in entries if len(c) == 2) != sum(len(r["ucs"].split(";")) for r in ivs):
        raise SourceError("moji.csv and moji_ivs.csv disagree on the IVS sequences")
    text = io.StringIO()
    text.write(f"# pfbus MJ table, derived from the {ATTRIBUTION}.\n"
               "# This table is licensed under CC BY-SA 2.1 JP "
               "(https://creativecommons.org/licenses/by-sa/2.1/jp/).\n"
               "# Built by schemas/characters/build_table.py from code4fukui/mojikiban "
               "data/moji.csv + data/moji_ivs.csv.\n"
               "# columns: MJ number, character (UCS [+ IVS selector]), 縮退 candidates\n")
    for number, char, shrink in entries:  # moji.csv order (by MJ number), then the aliases
        text.write(f"{number}\t{char}\t{shrink}\n")
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    try:
        data = build(args.source)
    except (OSError, KeyError, SourceError) as exc:
        print(f"build_table: {exc}", file=sys.stderr)
        return 1
    args.output.write_bytes(data)
    print(f"{args.output}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
