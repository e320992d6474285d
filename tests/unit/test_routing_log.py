"""The routing log (経路ログ): real SQLite files, the writer thread, the ``pfbus log`` command."""

from __future__ import annotations

import argparse
import io
import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from bus.cli import log_command
from bus.core.jsonlog import JsonLineLog, hop_fields
from bus.store.migrations import SCHEMA_VERSION
from bus.store.routing_log import (Hop, HopRecord, Party, RoutingLog, RoutingLogError, Status,
                                   open_readonly, to_utc_iso)

REPO = Path(__file__).resolve().parents[2]
SENDER = "131016/07/vendor-b-tax"
RECEIVER = "131016/01/vendor-a-juki"


def hop(name="received", status="ok", **kw) -> HopRecord:
    return HopRecord(hop=name, status=status, **kw)


@pytest.fixture
def log(tmp_path):
    with RoutingLog(tmp_path / "var" / "routing.db") as routing_log:
        yield routing_log


def test_many_threads_all_committed_in_order_per_thread(log):
    def writer(t):
        for i in range(500):
            log.record(hop(message_id=f"t{t}-{i}", service_id=f"svc-{t}", request_bytes=i))

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.flush()
    rows = log.query(limit=None)
    assert len(rows) == 4000
    for t in range(8):  # each thread's records come back in the order it recorded them
        mine = [r.request_bytes for r in rows if r.service_id == f"svc-{t}"]
        assert mine == list(range(500))


def test_round_trip_keeps_every_field(log):
    h = hop("provider_response", "fault", message_id="m1", relates_to="r0", service_id="juki.query",
            service_version="1", sender=SENDER, receiver=RECEIVER, provider="vendor-a",
            endpoint="https://a.example/soap", http_status=500, fault_code="soap:Server",
            party="provider", rule="xsd", path="/Envelope/Body/x", line=12,
            reason="element missing", duration_ms=12.5, request_bytes=2048, response_bytes=512,
            soap_version="1.1", exchange_id="ex-1")
    log.record(h)
    log.flush()
    assert log.query() == [h]


def test_absent_fields_and_vocabularies_are_stored_as_null_and_text(log):
    """What is stored for absent fields and vocabularies — an absent field NULL, a
    Hop/Status/Party member its plain text, what readers compare — now that routing_log binds
    them through registered adapters (issue 13); the adapters are the ones in use."""
    log.record(hop("replied", "fault", party="provider"))
    log.flush()
    row = log._read("SELECT hop, typeof(hop), status, party, typeof(party), typeof(message_id), "
                    "typeof(http_status), typeof(duration_ms) FROM hops")[0]
    assert row == ("replied", "text", "fault", "provider", "text", "null", "null", "null")
    assert log.query(status="fault", hop="replied")[0].party == "provider"
    assert all((kind, sqlite3.PrepareProtocol) in sqlite3.adapters
               for kind in (type(None), Hop, Status, Party))


def test_query_filters(log):
    log.record(hop("received", message_id="req-1", service_id="a", exchange_id="x1",
                   at="2026-11-27T05:00:00+00:00"))
    log.record(hop("routed", message_id="req-1", service_id="a", exchange_id="x1",
                   at="2026-11-27T06:00:00+00:00"))
    log.record(hop("replied", "fault", message_id="rep-1", relates_to="req-1", service_id="a",
                   exchange_id="x1", at="2026-11-27T07:00:00+00:00"))
    log.record(hop("rejected", "error", message_id="req-2", service_id="b", exchange_id="x2",
                   at="2026-11-27T08:00:00+00:00"))
    log.record(hop("received", exchange_id="x3", at="2026-11-27T09:00:00+00:00"))  # no ID read
    log.flush()

    assert [r.hop for r in log.query(message_id="req-1")] == ["received", "routed", "replied"]
    assert [r.message_id for r in log.query(message_id="rep-1")] == ["req-1", "req-1", "rep-1"]
    assert [r.message_id for r in log.query(service_id="b")] == ["req-2"]
    assert [r.hop for r in log.query(status="fault")] == ["replied"]
    assert [r.hop for r in log.query(hop="received")] == ["received", "received"]
    assert [r.exchange_id for r in log.query(exchange_id="x3")] == ["x3"]
    # since inclusive, until exclusive; offsets and naive (UTC) both normalised
    window = log.query(since="2026-11-27T15:00:00+09:00", until="2026-11-27T08:00:00")
    assert [r.hop for r in window] == ["routed", "replied"]
    assert [r.hop for r in log.query(service_id="a", status="ok", hop="routed")] == ["routed"]
    assert len(log.query(limit=2)) == 2
    assert log.query(message_id="nope") == []
    with pytest.raises(ValueError):
        log.query(status="bogus")


def test_message_id_query_includes_hops_of_its_exchange_before_the_id_was_read(log):
    log.record(hop("received", exchange_id="x1"))
    log.record(hop("validated", message_id="m1", exchange_id="x1"))
    log.record(hop("received", exchange_id="x2"))
    log.flush()
    assert [r.hop for r in log.query(message_id="m1")] == ["received", "validated"]


def test_hop_record_validates_and_normalises():
    with pytest.raises(ValueError, match="hop"):
        hop("teleported")
    with pytest.raises(ValueError, match="status"):
        hop(status="meh")
    with pytest.raises(ValueError, match="party"):
        hop(party="someone")
    assert hop(at="2026-11-27T15:00:00+09:00").at == "2026-11-27T06:00:00.000000+00:00"
    a, b = hop(), hop()
    assert a.exchange_id != b.exchange_id
    assert a.at.endswith("+00:00") and len(a.at) == len("2026-11-27T06:00:00.000000+00:00")


def test_reopen_after_close_keeps_data_and_close_is_idempotent(tmp_path):
    path = tmp_path / "r.db"
    first = RoutingLog(path)
    first.record(hop(message_id="m1"))
    first.close()
    first.close()
    with pytest.raises(RoutingLogError, match="closed"):
        first.record(hop())
    with RoutingLog(path) as second:
        assert [r.message_id for r in second.query()] == ["m1"]


def test_schema_version_stored_wal_and_too_new_refused(tmp_path):
    path = tmp_path / "r.db"
    RoutingLog(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    for opener in (RoutingLog, open_readonly):
        with pytest.raises(RoutingLogError, match="newer"):
            opener(path)


def test_readonly_missing_file_errors_and_creates_nothing(tmp_path):
    path = tmp_path / "nowhere" / "r.db"
    with pytest.raises(RoutingLogError, match="no such routing log"):
        open_readonly(path)
    assert not path.parent.exists()


def test_readonly_reads_but_refuses_writes_and_non_logs(tmp_path):
    with RoutingLog(tmp_path / "r.db") as rw:
        rw.record(hop(message_id="m1"))
        rw.flush()
        with open_readonly(tmp_path / "r.db") as ro:  # while the writer is still open
            assert [r.message_id for r in ro.query()] == ["m1"]
            with pytest.raises(RoutingLogError, match="read-only"):
                ro.record(hop())
    sqlite3.connect(tmp_path / "empty.db").close()
    (tmp_path / "junk.db").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(RoutingLogError, match="not a routing log"):
        open_readonly(tmp_path / "empty.db")
    with pytest.raises(RoutingLogError):
        open_readonly(tmp_path / "junk.db")


def test_crash_without_close_loses_nothing_flushed(tmp_path):
    path = tmp_path / "crash.db"
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        from bus.store.routing_log import HopRecord, RoutingLog
        log = RoutingLog({str(path)!r})
        for i in range(2000):
            log.record(HopRecord(hop="routed", status="ok", message_id=str(i)))
        log.flush()
        os._exit(0)  # no close, no atexit, no interpreter shutdown
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    with RoutingLog(path) as reopened:
        rows = reopened.query(limit=None)
    assert [r.message_id for r in rows] == [str(i) for i in range(2000)]


# -- jsonlog ---------------------------------------------------------------------------------

def test_json_line_log_one_object_per_line():
    out = io.StringIO()
    jl = JsonLineLog(out)
    jl.emit("hop", **hop_fields(hop(message_id="m1", service_id="住基照会", party=None)))
    jl.emit("hub.started", port=8080, note=None)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert list(first)[:2] == ["ts", "event"] and first["event"] == "hop"
    assert first["service_id"] == "住基照会" and "party" not in first
    assert "住基照会" in out.getvalue()  # ensure_ascii=False
    assert second == {"ts": second["ts"], "event": "hub.started", "port": 8080}
    assert to_utc_iso(second["ts"]) == second["ts"]


# -- pfbus log -------------------------------------------------------------------------------

def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pfbus log")
    log_command.add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "routing.db"
    with RoutingLog(path) as routing_log:
        routing_log.record(hop("received", message_id="req-1", service_id="juki.query",
                               sender=SENDER, receiver=RECEIVER, request_bytes=2048,
                               at="2026-11-27T06:00:00Z"))
        routing_log.record(hop("rejected", "fault", message_id="req-1", service_id="juki.query",
                               fault_code="soap:Client", party="client", rule="xsd",
                               path="/Envelope/Body/住民票照会", line=7,
                               at="2026-11-27T06:00:01Z"))
    return path


def test_cli_table(db, capsys):
    assert log_command.run(parse("--db", str(db), "--message-id", "req-1")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:5] == ["at", "message", "exchange", "hop", "status"]
    assert len(lines) == 4  # newest first
    assert f"{SENDER}→{RECEIVER}" in lines[3] and "2048" in lines[3]
    assert "soap:Client" in lines[2] and "住民票照会" in lines[2] and "client" in lines[2]


def test_cli_json_and_filters(db, capsys):
    args = parse("--db", str(db), "--status", "fault", "--format", "json",
                 "--since", "2026-11-27T15:00:00+09:00", "--until", "2026-11-27T07:00:00")
    assert log_command.run(args) == 0
    (row,) = json.loads(capsys.readouterr().out)  # one JSON document: a list of hops
    assert row["hop"] == "rejected" and row["line"] == 7 and row["provider"] is None


def test_cli_exit_codes(db, tmp_path, capsys):
    assert log_command.run(parse("--db", str(db), "--service", "nope")) == 1
    assert "no matching records" in capsys.readouterr().err
    assert log_command.run(parse("--db", str(db), "--since", "yesterday")) == 2
    assert "--since" in capsys.readouterr().err
    assert log_command.run(parse("--db", str(db), "--until", "2026-13-01")) == 2
    assert "--until" in capsys.readouterr().err
    missing = tmp_path / "missing.db"
    assert log_command.run(parse("--db", str(missing))) == 2
    assert "no such routing log" in capsys.readouterr().err
    assert not missing.exists()
    assert log_command.run(parse()) == 2
    assert "--db" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        parse("--db", str(db), "--status", "weird")
    assert exc.value.code == 2


def test_readonly_read_of_a_closed_log_leaves_no_sidecar_files(tmp_path):
    with RoutingLog(tmp_path / "r.db") as rw:
        rw.record(hop())
    # the writer leaves its turn file (bus/store/write_turns.py); the reader adds nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.db", "r.db-lock"]
    with open_readonly(tmp_path / "r.db") as ro:
        assert len(ro.query()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.db", "r.db-lock"]


def test_failed_commit_is_kept_and_retried_never_dropped(log):
    """Evidence or refuse: a commit that fails leaves the records queued and the log failing
    (what the hub refuses new exchanges on) until writing works again; nothing is lost."""
    other = sqlite3.connect(log.path)
    other.execute("ALTER TABLE hops RENAME TO hops_away")  # every insert now fails
    other.commit()
    seq = log.record(hop(message_id="during"))
    with pytest.raises(TimeoutError, match="writing fails"):
        log.flush(timeout=1.0)
    health = log.health()
    assert health["state"] == "failing" and not health["accepting"] and health["backlog"] == 1
    assert log.accepting() is False and log.pressure() == ("failing", False)
    assert "no such table" in health["last_error"] and health["failing_since"]
    assert log.committed() < seq
    other.execute("ALTER TABLE hops_away RENAME TO hops")
    other.commit()
    other.close()
    log.record(hop(message_id="after"))
    log.flush(timeout=10)
    assert [r.message_id for r in log.query()] == ["during", "after"]
    health = log.health()
    assert health["state"] == "ok" and health["backlog"] == 0 and health["lost"] == 0
    assert log.accepting() is True and log.pressure() == ("ok", False)
    assert log.committed() == seq + 1


def test_behind_when_more_than_high_water_records_wait(tmp_path):
    rl = RoutingLog(tmp_path / "r.db", high_water=5)
    other = sqlite3.connect(tmp_path / "r.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # holds the write lock: the writer waits (busy)
        for i in range(20):
            rl.record(hop(message_id=str(i)))
        assert rl.health()["state"] == "behind" and rl.health()["backlog"] > 5
        # what admission and backpressure ask instead of health(): the same answer
        assert rl.accepting() is False and rl.pressure() == ("behind", True)
        other.execute("COMMIT")
        rl.flush(timeout=20)
        assert rl.health()["state"] == "ok"
        assert rl.accepting() is True and rl.pressure() == ("ok", False)
    finally:
        other.close()
        rl.close()


def test_close_gives_up_after_its_timeout_and_counts_what_was_lost(tmp_path):
    rl = RoutingLog(tmp_path / "r.db", marks_runs=True)
    other = sqlite3.connect(tmp_path / "r.db")
    other.execute("ALTER TABLE hops RENAME TO hops_away")
    other.commit()
    rl.record(hop())
    rl.close(timeout=0.5)
    assert rl.lost == 1 and rl.health()["state"] == "closed"
    assert rl.accepting() is False and rl.pressure()[0] == "closed"
    other.execute("ALTER TABLE hops_away RENAME TO hops")
    other.commit()
    other.close()
    again = RoutingLog(tmp_path / "r.db", marks_runs=True)  # the run was not closed cleanly
    try:
        assert again.unclean is not None and again.unclean["last_id"] == 0
    finally:
        again.close()
    clean = RoutingLog(tmp_path / "r.db", marks_runs=True)
    assert clean.unclean is None
    clean.close()


def test_has_hop_reads_one_message_not_every_ok_hop(log):
    """Crash recovery asks ``has_hop`` once per fact of the notice store: each call must look at
    that message's rows only. Counted in SQLite VM steps, not seconds: scanning the 4,000 ok
    delivery hops (the planner's pick for ``status = 'ok'`` without statistics) is ~100× more."""
    for i in range(4000):
        log.record(hop("delivery", message_id=f"m{i}", provider="tax", service_id="s"))
    log.flush()
    steps = []
    log._reader.set_progress_handler(lambda: steps.append(1), 100)
    try:
        assert log.has_hop("m1234", ("delivery",), provider="tax", ok=True)
        assert not log.has_hop("m1234", ("delivery",), provider="kokuho", ok=True)
        assert not log.has_hop("absent", ("accepted", "duplicate"))
    finally:
        log._reader.set_progress_handler(None, 0)
    assert len(steps) < 20, f"{len(steps) * 100} VM steps for three single-message look-ups"


def test_recovery_after_a_crash_records_the_notice_stores_facts(tmp_path):
    # the facts' kinds (bus.store.notices.base.Fact) decide which hop each becomes
    from bus.store.log_recovery import recover
    from bus.store.notices.base import NoticeRecord
    from bus.store.notices.sqlite_store import SqliteNoticeStore

    crashed = RoutingLog(tmp_path / "r.db", marks_runs=True)  # never closed: a killed run
    crashed.record(hop())
    crashed.flush()
    store = SqliteNoticeStore(tmp_path / "n.db")
    mid = "3f1c2a9e-0000-4000-8000-0000000000aa"
    store.accept(NoticeRecord(mid, "juki.ResidentMoved", "131016", "131016/01/juki", (),
                              "text/xml", None, b"<x/>", 0.0), ["tax"])
    [delivery] = store.claim("tax", "n1", 30, 10)
    store.complete(delivery.id, "n1")
    restarted = RoutingLog(tmp_path / "r.db", marks_runs=True)
    try:
        recovery = recover(restarted, store)
        assert recovery is not None and (recovery.accepted, recovery.delivered) == (1, 1)
        rows = [h for h in restarted.query() if h.recovered]
        assert [(h.hop, h.message_id) for h in rows] == [
            ("gap", None), ("accepted", mid), ("delivery", mid)]
        assert rows[2].provider == "tax" and rows[2].attempt == 1
    finally:
        restarted.close()
        store.close()
        crashed.close()
