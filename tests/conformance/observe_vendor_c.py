"""``--observe`` for vendor C's subscriber, as a vendor would write one for its own product:
``python -m tests.conformance.observe_vendor_c --db vendor-c.sqlite3 0000010014`` prints the
person as vendor C's 国保 system holds them — {"name": 漢字氏名, "changes_applied": the 異動 that
changed the 被保険者 row, "removed_on": the 消除's day or null} — and exits 1 when vendor C does
not hold them.

A change vendor C logs as 旧異動 (a stale 異動連番) or 対象外 (someone it never knew) changed
nothing, so it is not counted."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from adapters.vendor_c_kokuho.mapping import CANCELLED, LOST
from adapters.vendor_c_kokuho.notices import STALE
from adapters.vendor_c_kokuho.store import KokuhoStore

NOT_APPLIED = (STALE, "対象外")


def observe(store: KokuhoStore, number: str) -> tuple[int, str]:
    row = store.insured(number)
    applied = sum(1 for change in store.processed_changes(number)
                  if change["処理結果"] not in NOT_APPLIED)
    if row is None:
        return 1, json.dumps({"error": "no such person"})
    return 0, json.dumps({"name": row["漢字氏名"], "changes_applied": applied,
                          "removed_on": _removed_on(row)}, ensure_ascii=False)


def _removed_on(row: dict) -> str | None:
    """The 消除's day: vendor C keeps the day after it (資格喪失日) on a 喪失 or 候補取消 row."""
    if row["資格区分"] not in (LOST, CANCELLED) or not row["資格喪失日"]:
        return None
    return (dt.datetime.strptime(row["資格喪失日"], "%Y%m%d").date()
            - dt.timedelta(days=1)).isoformat()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("addressee_number")
    args = parser.parse_args()
    store = KokuhoStore.open(args.db)
    try:
        status, out = observe(store, args.addressee_number)
    finally:
        store.close()
    print(out)
    return status


if __name__ == "__main__":
    sys.exit(main())
