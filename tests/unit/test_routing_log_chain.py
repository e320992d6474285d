"""The routing log's hash chain: tampering with the SQLite file by hand is found and the first
bad record named; exports are checked offline; checkpoints leave the machine."""

from __future__ import annotations

import json
import sqlite3
import threading
from itertools import pairwise

import pytest

from bus.cli.main import main
from bus.store.chain import GENESIS, record_hash
from bus.store.log_integrity import verify_export, verify_log, write_export
from bus.store.migrations import MIGRATIONS, migrate
from bus.store.routing_log import HopRecord, RoutingLog, open_readonly


def hop(i: int, **kw) -> HopRecord:
    return HopRecord(hop="routed", status="ok", message_id=f"m{i}", service_id="juki.query",
                     duration_ms=i / 3, request_bytes=i, at=f"2026-11-27T06:{i // 60:02d}:"
                     f"{i % 60:02d}+00:00", **kw)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "routing.db"
    with RoutingLog(path) as rl:
        for i in range(1, 21):
            rl.record(hop(i))
    return path


def raw(path, sql, *params):
    conn = sqlite3.connect(path)
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def verify(path, *extra):
    return main(["log", "verify", "--db", str(path), *extra])


def test_intact_chain_links_every_row(db, capsys):
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT id, prev_hash, hash FROM hops ORDER BY id").fetchall()
    assert [r[0] for r in rows] == list(range(1, 21))
    assert rows[0][1] == GENESIS
    assert all(b[1] == a[2] for a, b in pairwise(rows))
    assert verify(db) == 0
    out = capsys.readouterr().out
    assert "intact" in out and f"head: 20:{rows[-1][2]}" in out


def test_gap_records_exit_3_intact_but_noticed(db, capsys):
    """A gap record (the next start's account of a crashed run) keeps the chain intact but has
    its own exit status, so monitoring sees the loss: 3, not 0 (fine) and not 1 (tampering)."""
    from bus.store.log_recovery import recover

    raw(db, "INSERT INTO chain_meta (key, value) VALUES ('run', ?)",
        json.dumps({"started_at": "2026-11-27T06:00:00+00:00", "pid": 4242, "after_id": 10}))
    with RoutingLog(db, marks_runs=True) as rl:  # finds the crashed run's mark
        assert recover(rl, None) is not None
    assert verify(db) == 3
    out = capsys.readouterr().out
    assert "intact" in out and "gaps: 1 recorded by the hub" in out and "pid 4242" in out
    raw(db, "UPDATE hops SET fault_code = 'none' WHERE id = 7")
    assert verify(db) == 1  # tampering still wins


def test_edited_field_is_named(db, capsys):
    raw(db, "UPDATE hops SET fault_code = 'none' WHERE id = 7")
    assert verify(db) == 1
    out = capsys.readouterr().out
    assert "first bad record id 7" in out and "hash mismatch" in out
    assert "2026-11-27T06:00:07" in out  # its time, to find it


def test_edited_number_and_time_are_named(db, capsys):
    raw(db, "UPDATE hops SET duration_ms = 1.0 WHERE id = 12")
    assert verify(db) == 1
    assert "record id 12" in capsys.readouterr().out
    raw(db, "UPDATE hops SET duration_ms = ? WHERE id = 12", 12 / 3)
    assert verify(db) == 0
    raw(db, "UPDATE hops SET at = '2026-11-27T05:00:00.000000+00:00' WHERE id = 3")
    assert verify(db) == 1
    assert "record id 3" in capsys.readouterr().out


def test_deleted_row_is_named(db, capsys):
    raw(db, "DELETE FROM hops WHERE id = 9")
    assert verify(db) == 1
    out = capsys.readouterr().out
    assert "first bad record id 10" in out and "gap in ids" in out and "id 9 missing" in out


def test_deleted_row_with_ids_renumbered_is_named(db, capsys):
    raw(db, "DELETE FROM hops WHERE id = 9")
    raw(db, "UPDATE hops SET id = id - 1 WHERE id > 9")  # hides the gap
    assert verify(db) == 1
    assert "first bad record id 9" in capsys.readouterr().out  # former 10: its id is hashed


def test_inserted_forged_row_is_named(db, capsys):
    # A forged row appended by hand, copying a genuine row's hashes to look chained.
    conn = sqlite3.connect(db)
    prev, digest = conn.execute("SELECT prev_hash, hash FROM hops WHERE id = 20").fetchone()
    conn.execute("INSERT INTO hops (exchange_id, hop, status, message_id, at, prev_hash, hash) "
                 "VALUES ('x', 'routed', 'ok', 'forged', '2026-11-27T06:30:00.000000+00:00', "
                 "?, ?)", (digest, prev))
    conn.commit()
    conn.close()
    assert verify(db) == 1
    out = capsys.readouterr().out
    assert "first bad record id 21" in out and "hash mismatch" in out


def test_row_inserted_in_the_middle_is_named(db, capsys):
    conn = sqlite3.connect(db)
    for rid in range(20, 10, -1):  # make room at id 11
        conn.execute("UPDATE hops SET id = ? WHERE id = ?", (rid + 1, rid))
    conn.execute("INSERT INTO hops (id, exchange_id, hop, status, at) VALUES (11, 'x', "
                 "'routed', 'ok', '2026-11-27T06:00:10.500000+00:00')")
    conn.commit()
    conn.close()
    assert verify(db) == 1
    out = capsys.readouterr().out
    assert "first bad record id 11" in out and "missing hash" in out


def test_swapped_rows_are_named(db, capsys):
    conn = sqlite3.connect(db)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(hops)") if r[1] != "id"]
    a = conn.execute(f"SELECT {', '.join(cols)} FROM hops WHERE id = 5").fetchone()
    b = conn.execute(f"SELECT {', '.join(cols)} FROM hops WHERE id = 6").fetchone()
    sets = ", ".join(f"{c} = ?" for c in cols)
    conn.execute(f"UPDATE hops SET {sets} WHERE id = 5", b)
    conn.execute(f"UPDATE hops SET {sets} WHERE id = 6", a)
    conn.commit()
    conn.close()
    assert verify(db) == 1
    assert "first bad record id 5" in capsys.readouterr().out


def test_rewritten_chain_is_caught_only_by_an_anchor_kept_elsewhere(db, capsys):
    head = open_readonly(db)
    original = head.row_hash(20)
    head.close()
    # An attacker who knows the algorithm edits row 15 and recomputes everything after it.
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    conn.execute("UPDATE hops SET fault_code = 'erased' WHERE id = 15")
    prev = conn.execute("SELECT hash FROM hops WHERE id = 14").fetchone()[0]
    for row in conn.execute("SELECT * FROM hops WHERE id >= 15 ORDER BY id").fetchall():
        digest = record_hash(row["id"], dict(row), prev)
        conn.execute("UPDATE hops SET prev_hash = ?, hash = ? WHERE id = ?",
                     (prev, digest, row["id"]))
        prev = digest
    conn.commit()
    conn.close()
    assert verify(db) == 0  # internally consistent...
    capsys.readouterr()
    assert verify(db, "--anchor", f"20:{original}") == 1  # ...but not what was printed earlier
    assert "anchor mismatch" in capsys.readouterr().out


def test_truncated_tail_is_caught_by_a_stored_checkpoint(tmp_path, capsys):
    path = tmp_path / "r.db"
    emitted = []
    with RoutingLog(path, checkpoint_every=5, on_checkpoint=lambda i, h: emitted.append((i, h))) \
            as rl:
        for i in range(1, 13):
            rl.record(hop(i))
        rl.flush()
        assert [i for i, _ in emitted] == [5, 10]
        assert rl.checkpoint_head()[0] == 12
    assert [i for i, _ in emitted] == [5, 10, 12]
    raw(path, "DELETE FROM hops WHERE id > 8")
    assert verify(path) == 1
    assert "truncated" in capsys.readouterr().out


def test_hub_prints_checkpoints_to_its_json_log(tmp_path):
    import io
    from bus.core.jsonlog import JsonLineLog

    out = io.StringIO()
    events = JsonLineLog(out)
    with RoutingLog(tmp_path / "r.db", checkpoint_every=3,
                    on_checkpoint=lambda i, h: events.emit("routing_log.checkpoint", id=i,
                                                           hash=h)) as rl:
        for i in range(1, 8):
            rl.record(hop(i))
        rl.flush()
        line = json.loads(out.getvalue().splitlines()[-1])
        assert line["event"] == "routing_log.checkpoint" and line["id"] == 6
        assert line["hash"] == rl.row_hash(6)


def test_concurrent_writers_in_two_connections_keep_one_chain(tmp_path):
    # e.g. `pfbus dlq replay` recording while the hub runs: the head is re-read per batch.
    path = tmp_path / "r.db"
    with RoutingLog(path) as a, RoutingLog(path) as b:
        def run(rl, tag):
            for i in range(300):
                rl.record(hop(i, provider=tag))
        threads = [threading.Thread(target=run, args=(x, t)) for x, t in ((a, "a"), (b, "b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        a.flush()
        b.flush()
    with open_readonly(path) as ro:
        report = verify_log(ro)
    assert report.intact and report.walk.count == 600


def test_the_writer_reads_the_head_again_only_after_another_connection_wrote(tmp_path):
    """The writer keeps the head it committed (issue 13: two reads per batch saved) and reads
    it from the file again once another connection committed — e.g. a second writer, or
    retention's purge — so the chain stays one and intact."""
    path = tmp_path / "r.db"
    heads = []
    with RoutingLog(path) as a, RoutingLog(path) as b:
        assert a._writer is not None
        a._writer.set_trace_callback(lambda sql: heads.append(sql) if "ORDER BY id DESC" in sql
                                     else None)
        for i in range(3):  # three batches of this writer alone: the head is read once
            a.record(hop(i))
            a.flush()
        assert len(heads) == 1
        b.record(hop(10, provider="b"))
        b.flush()
        a.record(hop(11))  # chains onto b's record, which it must read
        a.flush()
        assert len(heads) == 2
    with open_readonly(path) as ro:
        report = verify_log(ro)
    assert report.intact and report.walk.count == 5


def test_rows_from_before_the_migration_are_not_covered(tmp_path, capsys):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, MIGRATIONS[:2])  # a file written by the previous release
    for i in range(3):
        conn.execute("INSERT INTO hops (exchange_id, hop, status, at) VALUES "
                     "(?, 'received', 'ok', '2026-11-01T00:00:00.000000+00:00')", (f"x{i}",))
    conn.close()
    with RoutingLog(path) as rl:  # migrates
        rl.record(hop(1))
        rl.record(hop(2))
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT id, prev_hash FROM hops WHERE id = 4").fetchone() == (4, GENESIS)
    assert conn.execute("SELECT COUNT(*) FROM hops WHERE hash IS NULL").fetchone()[0] == 3
    conn.close()
    assert verify(path) == 0
    out = capsys.readouterr().out
    assert "2 chained records, ids 4..5" in out and "not covered: 3 records" in out
    # moving the recorded chain start to hide chained rows is itself found
    raw(path, "UPDATE chain_meta SET value = '4' WHERE key = 'start_after'")
    assert verify(path) == 1
    assert "chain start moved" in capsys.readouterr().out


# -- export ----------------------------------------------------------------------------------

def test_export_of_a_range_verifies_offline(db, tmp_path, capsys):
    out = tmp_path / "export.jsonl"
    assert main(["log", "export", "--db", str(db), "--since", "2026-11-27T06:00:05+00:00",
                 "--until", "2026-11-27T15:00:15+09:00", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["type"] == "header" and lines[0]["first_id"] == 5
    assert [r["id"] for r in lines[1:-1]] == list(range(5, 15))
    with open_readonly(db) as ro:
        assert lines[0]["prev_hash"] == ro.row_hash(4)
        last = ro.row_hash(14)
    assert lines[-1]["last_hash"] == last and f"--anchor 14:{last}" in printed
    db.unlink()  # offline: no database at all
    assert main(["log", "verify-export", str(out), "--anchor", f"14:{last}"]) == 0
    assert "intact" in capsys.readouterr().out


@pytest.mark.parametrize("tamper, named", [
    (lambda ls: ls[3].update(fault_code="x"), ("record id 8 ", "hash mismatch")),
    (lambda ls: ls.pop(4), ("record id 10 ", "gap in ids")),  # id 9 deleted
    (lambda ls: ls.__setitem__(slice(2, 4), [ls[3], ls[2]]), ("record id 8 ", "gap in ids")),
    (lambda ls: ls.pop(-1), ("truncated",)),
    (lambda ls: ls[0].update(prev_hash="1" * 64), ("record id 5 ", "broken link")),
])
def test_tampered_export_is_detected(db, tmp_path, capsys, tamper, named):
    out = tmp_path / "e.jsonl"
    with open_readonly(db) as ro:
        write_export(ro, out, "2026-11-27T06:00:05+00:00", "2026-11-27T06:00:15+00:00")
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    records = lines[1:-1]
    header, trailer = lines[0], lines[-1]
    if "broken link" in named:
        tamper([header])
    else:
        tamper(records)
    out.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n"
                           for x in [header, *records, trailer]), encoding="utf-8")
    assert main(["log", "verify-export", str(out)]) == 1
    printed = capsys.readouterr().out
    assert all(part in printed for part in named), printed


def test_export_whose_bytes_changed_is_detected_by_its_digest(db, tmp_path):
    out = tmp_path / "e.jsonl"
    with open_readonly(db) as ro:
        write_export(ro, out, None, None)
    text = out.read_text(encoding="utf-8")
    out.write_text(text.replace('"source":', '"source": ', 1), encoding="utf-8")
    report = verify_export(out)
    assert not report.intact and report.problem.kind == "file digest mismatch"


def test_export_refuses_a_broken_range_and_an_empty_one(db, tmp_path, capsys):
    raw(db, "UPDATE hops SET reason = 'x' WHERE id = 3")
    assert main(["log", "export", "--db", str(db), "--out", str(tmp_path / "e")]) == 1
    assert "record id 3" in capsys.readouterr().err
    assert main(["log", "export", "--db", str(db), "--since", "2030-01-01",
                 "--out", str(tmp_path / "e")]) == 1
    assert "no chained records" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()
