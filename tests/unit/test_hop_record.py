"""HopRecord is the one declaration of the routing log's fields: the chain covers every field,
the migrated DDL matches the declaration, and files written under an older chain format keep
verifying after the migration that adds fields (chain format 2 applies from a recorded id)."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from bus.store import chain
from bus.store.chain import (CHAIN_FIELDS, CHAIN_FORMAT, GENESIS, Formats, fast_record_hash,
                             record_hash)
from bus.store.hop_record import COLUMNS, Hop, HopRecord, Party, Status
from bus.store.log_integrity import verify_export, verify_log, write_export
from bus.store.migrations import MIGRATIONS, check_schema, migrate
from bus.store.routing_log import RoutingLog, RoutingLogError, open_readonly

from tests.support.old_logs import write_old_format_log

# One value per SQL type, and a different one: the hash must change with every field.
SAMPLE = {"TEXT": ("a", "b"), "INTEGER": (1, 2), "REAL": (1.5, 2.5)}


def full_record(**kw) -> HopRecord:
    values = {c.name: SAMPLE[c.sql][0] for c in COLUMNS}
    values.update(hop=Hop.REJECTED, status=Status.FAULT, party=Party.CLIENT,
                  at="2026-12-02T06:00:00.000000+00:00")
    values.update(kw)
    return HopRecord(**values)


def test_every_declared_field_changes_the_hash_of_the_newest_format():
    base = {c.name: SAMPLE[c.sql][0] for c in COLUMNS}
    digest = record_hash(7, base, GENESIS)
    uncovered = [c.name for c in COLUMNS
                 if record_hash(7, {**base, c.name: SAMPLE[c.sql][1]}, GENESIS) == digest]
    assert uncovered == [], f"fields not covered by the chain: {uncovered}"
    assert set(CHAIN_FIELDS[CHAIN_FORMAT]) == {f.name for f in dataclasses.fields(HopRecord)}


def test_format_1_covers_exactly_the_fields_it_always_covered():
    # Changing this list would make every file written before migration 4 fail verification.
    assert CHAIN_FIELDS[1] == tuple(sorted((
        "exchange_id", "message_id", "relates_to", "hop", "status", "service_id",
        "service_version", "sender", "receiver", "provider", "endpoint", "http_status",
        "fault_code", "party", "rule", "path", "line", "reason", "duration_ms", "request_bytes",
        "response_bytes", "soap_version", "at", "attempt")))


def test_type_affinity_comes_from_the_declaration():
    assert chain._REAL == {c.name for c in COLUMNS if c.sql == "REAL"}
    assert chain._INTEGER == {c.name for c in COLUMNS if c.sql == "INTEGER"}
    assert "duration_ms" in chain._REAL and "recovered" in chain._INTEGER


def test_migrated_table_matches_the_declaration(tmp_path):
    conn = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    migrate(conn)
    assert check_schema(conn) == []


def test_ddl_and_declaration_disagreeing_is_found(tmp_path):
    conn = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    migrate(conn, MIGRATIONS[:3])  # before the attribution fields
    problems = check_schema(conn)
    assert any("peer is declared but not in the table" in p for p in problems)
    migrate(conn)
    conn.execute("ALTER TABLE hops ADD COLUMN secret TEXT")
    conn.execute("DROP INDEX hops_fault_code")
    problems = check_schema(conn)
    assert any("secret is in the table but not declared" in p for p in problems)
    assert any("fault_code is declared index=True" in p for p in problems)
    conn.close()
    with pytest.raises(RoutingLogError, match="does not match HopRecord"):
        RoutingLog(tmp_path / "a.db")


def test_every_field_round_trips_and_verifies(tmp_path):
    path = tmp_path / "r.db"
    record = full_record(peer="vendor-b-tax", remote="127.0.0.1:50000", recovered=1)
    with RoutingLog(path) as rl:
        rl.record(record)
    ro = open_readonly(path)
    try:
        assert ro.query() == [record]
        assert verify_log(ro).intact
    finally:
        ro.close()


def test_vocabularies_are_enums_and_checked_at_the_call_site():
    h = HopRecord(hop="received", status="ok", party="hub")
    assert h.hop is Hop.RECEIVED and h.status is Status.OK and h.party is Party.HUB
    assert h.hop == "received"  # a StrEnum: the stored text
    for bad in ({"hop": "recieved"}, {"status": "fine"}, {"party": "vendor"}):
        with pytest.raises(ValueError, match="unknown"):
            HopRecord(**{"hop": "received", "status": "ok", **bad})


def _old_file(path, rows: int) -> None:
    """A routing log as written by the release before migration 4 (chain format 1)."""
    write_old_format_log(path, rows, migrations=3, fmt=1, day="2026-11-27")


def test_format_1_rows_keep_verifying_after_migration_4(tmp_path, capsys):
    path = tmp_path / "old.db"
    _old_file(path, 5)
    with RoutingLog(path) as rl:  # migrates to 4: format 2 from id 6 on
        rl.record(HopRecord(hop="rejected", status="fault", peer="flooder-sys",
                            remote="127.0.0.1:4000", at="2026-11-27T07:00:00+00:00"))
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM chain_meta WHERE key = 'format_2_after'"
                        ).fetchone() == ("5",)
    conn.close()
    ro = open_readonly(path)
    try:
        # migrations 4, 6 and 7 all run at this open: the newest format applies from id 6
        assert ro.chain_formats().of(5) == 1 and ro.chain_formats().of(6) == CHAIN_FORMAT
        report = verify_log(ro)
        assert report.intact and report.walk.count == 6
        out = tmp_path / "e.jsonl"
        write_export(ro, out, None, None)  # spans both formats
    finally:
        ro.close()
    assert verify_export(out).intact
    # The new fields are covered on new rows: changing who sent it is tampering.
    conn = sqlite3.connect(path)
    conn.execute("UPDATE hops SET peer = 'vendor-b-tax' WHERE id = 6")
    conn.commit()
    conn.close()
    ro = open_readonly(path)
    try:
        report = verify_log(ro)
    finally:
        ro.close()
    assert report.problem is not None and report.problem.id == 6
    assert report.problem.kind == "hash mismatch"


def test_formats_pick_the_format_by_id():
    f = Formats({2: 10, 3: 20})
    assert [f.of(i) for i in (1, 10, 11, 20, 21)] == [1, 1, 2, 2, 3]


@pytest.mark.parametrize("fmt", sorted(CHAIN_FIELDS))
def test_the_writers_fast_hash_is_the_chains_definition(fmt):
    """The writer hashes with ``fast_record_hash`` (issue 13); ``pfbus log verify`` recomputes
    with ``record_hash``: they must give the same digest for every kind of value."""
    kinds = [
        {c.name: SAMPLE[c.sql][0] for c in COLUMNS},
        {c.name: None for c in COLUMNS},
        {c.name: SAMPLE[c.sql][1] for c in COLUMNS if c.sql != "TEXT"},  # absent texts
        # affinities: an int in a REAL column, an integral float in an INTEGER column, enums,
        # non-ASCII text, a float that is not integral in an INTEGER column
        {**{c.name: (12 if c.sql == "REAL" else 3.0 if c.sql == "INTEGER" else "住基 Ａ")
            for c in COLUMNS}, "hop": Hop.REPLIED, "status": Status.FAULT,
         "party": Party.PROVIDER},
        {c.name: 2.5 for c in COLUMNS if c.sql == "INTEGER"},
        dataclasses.asdict(HopRecord(hop=Hop.RECEIVED, status=Status.OK, request_bytes=1081,
                                     duration_ms=0.125, message_id="m-1")),
        # every field present with its stored type (the writer's usual row): text JSON must
        # escape, a tiny and a huge float, a big int, a bool in an INTEGER column
        {**{c.name: ('q"b\\s\n\x01\u2028 \U0001f600 住所' if c.sql == "TEXT" else
                     1e-7 if c.sql == "REAL" else 10**20) for c in COLUMNS},
         "hop": Hop.REPLIED, "duration_ms": 1.5e300},
        {c.name: True for c in COLUMNS if c.sql == "INTEGER"},
        # a bool in an INTEGER column of a row with every field: the fast path's own bool check
        # (a row missing fields takes the slow path before it)
        {c.name: (True if c.sql == "INTEGER" else SAMPLE[c.sql][0]) for c in COLUMNS},
    ]
    for fields in kinds:
        for rid, prev in ((1, GENESIS), (4711, "ab" * 32)):
            assert fast_record_hash(rid, fields, prev, fmt) == record_hash(rid, fields, prev, fmt)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_the_writers_fast_hash_refuses_what_json_cannot_hold(bad):
    """A non-finite time is refused on either path (the chain's JSON has no NaN/Infinity)."""
    fields = {c.name: SAMPLE[c.sql][0] for c in COLUMNS} | {"duration_ms": bad}
    for compute in (fast_record_hash, record_hash):
        with pytest.raises(ValueError):
            compute(1, fields, GENESIS)
