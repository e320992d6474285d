"""Vendor B: an individual resident tax system (個人住民税システム) in its own native layout.

A fictional vendor product: its 宛名 table keeps 名前1/名前2 in katakana, 名前(漢字), 町名 and 丁
in kanji numerals; its 課税台帳 holds the taxation per 宛名番号 and 課税年度 with vendor codes.
``mapping`` converts between those rows and the standard XML; ``service`` answers 課税状況照会
and stores residents obtained from the registry's 住民照会.
"""

from pathlib import Path

GAIJI_TABLE = Path(__file__).with_name("gaiji.tsv")  # this vendor's 外字 table (code → MJ名)
