"""Retention: the routing log's old records are deleted only after their range's chain was
verified and an anchor written; verify then checks from the anchor and still catches tampering;
interrupted purges finish on the next run; notices and archived payloads go by their periods."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from bus.cli.main import main
from bus.core.config import Retention
from bus.store.hop_record import Hop, HopRecord, Status
from bus.store.log_integrity import verify_export, verify_log
from bus.store.retention import RetentionError, purge_routing_log, run_retention
from bus.store.routing_log import RoutingLog, open_readonly

T0 = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


def at(day: int) -> str:
    return (T0 + dt.timedelta(days=day)).isoformat()


def epoch(day: int) -> float:
    return (T0 + dt.timedelta(days=day)).timestamp()


@pytest.fixture
def log(tmp_path):
    rl = RoutingLog(tmp_path / "r.db")
    for day in range(100):
        rl.record(HopRecord(hop=Hop.ROUTED, status=Status.OK, message_id=f"m{day}", at=at(day)))
    rl.flush()
    yield rl
    rl.close()


def report(path):
    ro = open_readonly(path)
    try:
        return verify_log(ro)
    finally:
        ro.close()


def test_purge_deletes_old_records_after_an_anchor_and_verify_starts_there(log, tmp_path):
    result = purge_routing_log(log, epoch(60), export_dir=tmp_path / "out", pause=0, batch=7)
    assert result.deleted == 60 and "records 1..60" in result.detail
    log.record(HopRecord(hop=Hop.ROUTED, status=Status.OK, message_id="later"))
    log.flush()
    ids = [r.message_id for r in log.query(limit=None)]
    assert ids[0] == "m60" and ids[-1] == "later" and len(ids) == 42  # 40 kept + purged + later
    purged = log.query(hop="purged")
    assert len(purged) == 1 and purged[0].path == "1..60"
    rep = report(log.path)
    assert rep.intact and any("retention anchor 60:" in n for n in rep.notes)
    exported = tmp_path / "out" / "routing-log-1-60.jsonl"
    assert verify_export(exported).intact  # the deleted range, checkable offline
    assert main(["log", "verify", "--db", str(log.path)]) == 0


def test_a_broken_range_is_never_purged(log):
    conn = sqlite3.connect(log.path)
    conn.execute("UPDATE hops SET message_id = 'forged' WHERE id = 10")
    conn.commit()
    conn.close()
    with pytest.raises(RetentionError, match="broken"):
        purge_routing_log(log, epoch(60), pause=0)
    assert len(log.query(limit=None)) == 100  # nothing deleted


def test_tampering_after_a_purge_is_still_found(log):
    purge_routing_log(log, epoch(50), pause=0)
    conn = sqlite3.connect(log.path)
    conn.execute("UPDATE chain_meta SET value = '70' WHERE key = 'purged_through'")
    conn.commit()
    conn.close()
    rep = report(log.path)  # moving the anchor to hide deleted records
    assert not rep.intact and rep.problem.kind in ("anchor moved", "broken link")
    conn = sqlite3.connect(log.path)
    conn.execute("UPDATE chain_meta SET value = '50' WHERE key = 'purged_through'")
    conn.execute("DELETE FROM hops WHERE id = 80")
    conn.commit()
    conn.close()
    rep = report(log.path)
    assert not rep.intact and rep.problem.kind == "gap in ids"


def test_an_interrupted_purge_verifies_and_the_next_run_finishes_it(log, monkeypatch):
    from bus.store import retention

    real = retention._delete_ids
    calls = []

    def once(path, table, column, lo, hi, *rest):
        calls.append(table)
        if len(calls) == 1:  # the first batch goes, then the process "dies"
            real(path, table, column, lo, lo + 9, *rest)
            raise KeyboardInterrupt
        return real(path, table, column, lo, hi, *rest)

    monkeypatch.setattr(retention, "_delete_ids", once)
    with pytest.raises(KeyboardInterrupt):
        purge_routing_log(log, epoch(50), pause=0)
    assert report(log.path).intact  # rows 11..50 remain, below the anchor: outside the chain
    monkeypatch.setattr(retention, "_delete_ids", real)
    purge_routing_log(log, epoch(50), pause=0)
    assert log.query(limit=None)[0].message_id == "m50"
    assert report(log.path).intact


def test_purging_twice_keeps_one_chain(log):
    purge_routing_log(log, epoch(30), pause=0)
    purge_routing_log(log, epoch(60), pause=0)
    rep = report(log.path)
    assert rep.intact and len(log.query(hop="purged")) == 2  # the first purge record survives
    assert log.query(limit=1)[0].message_id == "m60"


def test_notices_and_archive_by_their_periods(tmp_path, log):
    from bus.store.archive import PayloadArchive
    from bus.store.notices import open_notice_store
    from bus.store.notices.base import NoticeRecord

    store = open_notice_store(f"sqlite:{tmp_path / 'n.db'}")
    for i in range(4):
        store.accept(NoticeRecord(message_id=f"n{i}", service_id="s", local_gov_code="131016",
                                  sender="131016/01/a", subjects=(f"r{i}",),
                                  content_type="text/xml", soap_action=None, payload=b"<x/>",
                                  received_at=1.0), ("tax",))
    claimed = store.claim("tax", "node", 60, 10)
    store.complete(claimed[0].id, "node")  # n0 delivered
    store.dead(claimed[1].id, "node", "PF-X")  # n1 dead
    # n2, n3 pending (claimed n2/n3 are in flight)
    archive = PayloadArchive(tmp_path / "a.db", b"k" * 32)
    archive.store("m1", "request", b"<secret/>")
    archive.close()
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    later = now + 10
    keep_dead = Retention(routing_log=None, delivered_notices=1.0, dead_letters=3600.0,
                          archive=1.0)
    done = {p.store: p.deleted for p in run_retention(keep_dead, log, store, tmp_path / "a.db",
                                                      now=later, pause=0)}
    assert done == {"notices": 1, "archive": 1}  # routing log: kept for ever
    assert [d.message_id for d in store.dead_letters()] == ["n1"]
    done = {p.store: p.deleted for p in run_retention(
        Retention(None, 1.0, 1.0, None), log, store, None, now=later, pause=0)}
    assert done == {"notices": 1}
    assert len(log.query(limit=None)) == 100
    store.close()


def test_cli_retention_run(tmp_path):
    rl = RoutingLog(tmp_path / "log.db")
    for day in range(10):
        rl.record(HopRecord(hop=Hop.ROUTED, status=Status.OK, message_id=f"m{day}", at=at(day)))
    rl.record(HopRecord(hop=Hop.ROUTED, status=Status.OK, message_id="now"))
    rl.close()
    config = tmp_path / "hub.toml"
    config.write_text('[hub]\nallow_plain_http = true\n[store]\nrouting_log = "log.db"\n'
                      '[retention]\nrouting_log = "30d"\n', encoding="utf-8")
    assert main(["retention", "run", "--config", str(config), "--export-dir",
                 str(tmp_path / "x")]) == 0
    assert main(["log", "verify", "--db", str(tmp_path / "log.db")]) == 0
    assert len(list((tmp_path / "x").iterdir())) == 1
    ro = open_readonly(tmp_path / "log.db")
    try:
        assert [r.message_id for r in ro.query(limit=None)][0] == "now"
    finally:
        ro.close()


def test_cli_retention_on_a_missing_log_creates_nothing(tmp_path, capsys):
    config = tmp_path / "hub.toml"
    config.write_text('[hub]\nallow_plain_http = true\n[store]\nrouting_log = "log.db"\n',
                      encoding="utf-8")
    assert main(["retention", "run", "--config", str(config)]) == 2
    assert not (tmp_path / "log.db").exists()
    assert "no such routing log" in capsys.readouterr().err
