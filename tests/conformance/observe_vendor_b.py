"""``--observe`` for vendor B's subscriber, as a vendor would write one for its own product:
``python -m tests.conformance.observe_vendor_b --db vendor-b.sqlite3 0000010014`` prints the
resident as vendor B holds it — {"name": 名前(漢字), "changes_applied": 異動 applied,
"removed_on": 消除日 or null} — and exits
1 when vendor B does not hold the resident. The name is read back as registered: the 外字
codes vendor B keeps for characters its fonts draw as 外字 (its gaiji.tsv: 邊 U+E010E as
U+F100) are mapped to their MJ characters through the same table, as its export does."""

from __future__ import annotations

import argparse
import json
import sys

from adapters.vendor_b_tax import GAIJI_TABLE
from adapters.vendor_b_tax.store import TaxStore
from bus.core.gaiji import GaijiTable

_GAIJI = GaijiTable.load(GAIJI_TABLE)


def observe(store: TaxStore, number: str) -> tuple[int, str]:
    row = store.addressee(number)
    with store.lock:
        applied = store.conn.execute(
            'SELECT COUNT(*) FROM "異動適用履歴" WHERE "宛名番号" = ? AND "適用結果" = ?',
            (number, "applied")).fetchone()[0]
    if row is None:
        return 1, json.dumps({"error": "no such resident"})
    removed = row["消除日"]  # yyyymmdd, set by a 消除 (vendor B's 消除区分 beside it)
    name = row["名前(漢字)"]
    return 0, json.dumps({"name": name if name is None else _GAIJI.to_standard(name),
                          "changes_applied": applied,
                          "removed_on": None if removed is None else
                          f"{removed // 10000:04d}-{removed // 100 % 100:02d}-{removed % 100:02d}"},
                         ensure_ascii=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("addressee_number")
    args = parser.parse_args()
    store = TaxStore.open(args.db)
    try:
        status, out = observe(store, args.addressee_number)
    finally:
        store.close()
    print(out)
    return status


if __name__ == "__main__":
    sys.exit(main())
