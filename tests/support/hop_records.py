"""HopRecords with every declared field set, for the tests that check a field's declaration
reaches a table (``pfbus log``'s, the console's)."""

from __future__ import annotations

from bus.store.hop_record import BY_NAME, COLUMNS, Hop, HopRecord, Party, Status


def sample(name: str, which: int):
    """A value of field ``name`` (two different ones: ``which`` 0 or 1), short enough for any
    column width, differing within an ID's 8-character prefix."""
    column = BY_NAME[name]
    if name in ("hop", "status", "party"):
        return {"hop": (Hop.RECEIVED, Hop.REPLIED), "status": (Status.OK, Status.FAULT),
                "party": (Party.CLIENT, Party.HUB)}[name][which]
    if name == "at":
        return ("2026-11-27T06:00:00+00:00", "2026-11-27T07:30:00+00:00")[which]
    if column.sql == "INTEGER":
        return 1 + which
    if column.sql == "REAL":
        return 1.5 + which
    return f"{'ab'[which] * 8}-{name}"


def full_record(**changes) -> HopRecord:
    """Every field set (``sample(name, 0)``), then ``changes``."""
    values = {c.name: sample(c.name, 0) for c in COLUMNS}
    return HopRecord(**{**values, **changes})
