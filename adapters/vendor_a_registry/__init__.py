"""Vendor A: a resident registry (住民基本台帳システム) in its own native layout.

A fictional vendor product: its SQLite tables use the vendor's column names (氏名1/氏名2 in
hiragana, 氏名3 in kanji, 住所1 = 町名, 住所2 = 丁 in arabic numerals, 生年月日 in 和暦 text).
``mapping`` converts its rows to and from the standard XML; ``service`` answers the platform's
住民基本台帳 services from the store.
"""

from pathlib import Path

GAIJI_TABLE = Path(__file__).with_name("gaiji.tsv")  # this vendor's 外字 table (code → MJ名)
