"""A faulty migration importer for the conformance tests: vendor B's reference import, after
which one resident is lost (as a tool with a bug in a rarely used branch would lose it)."""

from __future__ import annotations

import sqlite3
import sys

from adapters.vendor_b_tax.registry import main

if __name__ == "__main__":
    code = main(sys.argv[1:])
    db = sys.argv[sys.argv.index("--db") + 1]
    conn = sqlite3.connect(db)
    with conn:
        conn.execute('DELETE FROM "宛名" WHERE "宛名番号" = (SELECT max("宛名番号") FROM "宛名")')
    conn.close()
    sys.exit(code)
