"""Routing logs as earlier releases wrote them, for the migration tests: the schema of an
earlier migration and rows chained under an earlier chain format."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bus.store.chain import CHAIN_FIELDS, GENESIS, record_hash
from bus.store.migrations import MIGRATIONS, migrate


def write_old_format_log(path: Path, rows: int, migrations: int, fmt: int, day: str) -> None:
    """The first ``migrations`` migrations, then ``rows`` 'routed' hops chained under chain
    format ``fmt``, timestamped on ``day`` (YYYY-MM-DD)."""
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, MIGRATIONS[:migrations])
    prev = GENESIS
    names = CHAIN_FIELDS[fmt]
    for i in range(1, rows + 1):
        values = {n: None for n in names}
        values.update(hop="routed", status="ok", exchange_id=f"x{i}", message_id=f"m{i}",
                      at=f"{day}T06:00:{i:02d}.000000+00:00", duration_ms=i / 3)
        digest = record_hash(i, values, prev, fmt=fmt)
        conn.execute(f"INSERT INTO hops (id, {', '.join(names)}, prev_hash, hash) VALUES "
                     f"(?, {', '.join('?' for _ in names)}, ?, ?)",
                     (i, *values.values(), prev, digest))
        prev = digest
    conn.close()
