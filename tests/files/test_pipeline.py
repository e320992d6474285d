"""The file pipeline on real folders, a real ledger and a real routing log: pickup of complete
files only, whole-file validation before delivery, receipts, duplicates, recipient list,
exactly-once delivery in order, confirmation by removal — and a restart between any two steps."""

from __future__ import annotations

import json

import pytest

from bus.files.ledger import FileState

from .files_data import broken_file, change_file, name
from .pipeline_kit import PARTIES, Hub, manifest_of

@pytest.fixture
def hub(tmp_path):
    h = Hub(tmp_path)
    yield h
    h.close()


def test_an_accepted_file_reaches_every_subscriber_once(hub):
    data = change_file(3)
    hub.drop("vendor-a", name(), data)
    turn = hub.pipeline.turn()
    assert (turn.picked, turn.accepted, turn.delivered) == (1, 1, 2)
    assert hub.outbox("vendor-b") == {name(): data} == hub.outbox("vendor-c")
    assert list((hub.config.root / "vendor-a" / "inbox").iterdir()) == []
    [receipt] = hub.receipts("vendor-a")
    assert receipt["status"] == "accepted" and receipt["rows"] == 3
    assert receipt["subscribers"] == ["vendor-b", "vendor-c"]
    assert receipt["kind"] == "juki-change" and len(receipt["sha256"]) == 64
    again = hub.pipeline.turn()
    assert (again.picked, again.delivered) == (0, 0)  # nothing twice


def test_routing_log_records_each_step_without_content(hub):
    data = change_file(2)
    hub.drop("vendor-a", name(), data)
    hub.pipeline.turn()
    (hub.config.root / "vendor-b" / "outbox" / name()).unlink()  # vendor B confirms
    hub.pipeline.turn()
    hops = hub.hops()
    assert [h[0] for h in hops] == ["file_picked_up", "file_accepted", "file_delivered",
                                    "file_delivered", "file_confirmed"]
    accepted = hops[1]
    assert accepted[2:10] == ("juki-change", PARTIES["vendor-a"], "vendor-a", "131016",
                              "vendor-b,vendor-c", len(data), 2, accepted[9])
    assert [h[6] for h in hops[2:]] == ["vendor-b", "vendor-c", "vendor-b"]
    for h in hops:
        assert "宛名" not in repr(h) and "C01" not in repr(h)


def test_a_broken_file_is_rejected_whole_with_findings_and_nothing_delivered(hub):
    hub.drop("vendor-a", name(), broken_file())
    turn = hub.pipeline.turn()
    assert (turn.rejected, turn.delivered) == (1, 0)
    assert hub.outbox("vendor-b") == {} and hub.outbox("vendor-c") == {}
    [receipt] = hub.receipts("vendor-a")
    assert receipt["status"] == "rejected"
    assert [(f["file"], f["line"], f["item_no"], f["item_name"], f["rule"])
            for f in receipt["findings"]] == [
        (name(), 3, 5, "異動年月日", "type:date"),
        (name(), 4, 4, "異動事由", "codelist:change_reason")]
    assert "20260231" not in json.dumps(receipt, ensure_ascii=False)  # no values
    assert "Z99" not in json.dumps(receipt, ensure_ascii=False)
    assert list((hub.config.root / ".hub" / "spool").iterdir()) == []
    assert hub.hops()[-1][0] == "file_rejected" and hub.hops()[-1][10:] == ("type:date", 3)


@pytest.mark.parametrize("second_name, data_of_second", [
    (name("other"), None),  # the same bytes under another name: same SHA-256
    (name(), change_file(4)),  # the same name and kind, other content
])
def test_a_file_already_accepted_is_answered_as_a_duplicate(hub, second_name, data_of_second):
    hub.drop("vendor-a", name(), change_file(3))
    hub.pipeline.turn()
    hub.drop("vendor-a", second_name, data_of_second or change_file(3))
    turn = hub.pipeline.turn()
    assert (turn.duplicates, turn.delivered) == (1, 0)
    statuses = sorted(r["status"] for r in hub.receipts("vendor-a"))
    assert statuses == ["accepted", "duplicate"]
    dup = next(r for r in hub.receipts("vendor-a") if r["status"] == "duplicate")
    assert dup["duplicate_of"]["file"] == name()
    assert list(hub.outbox("vendor-b")) == [name()]


def test_a_row_of_another_municipality_rejects_the_file(hub):
    data = change_file(3).replace(b"\r\n131016,", b"\r\n141003,", 1)  # line 2: 横浜市
    hub.drop("vendor-a", name(), data)
    hub.pipeline.turn()
    [receipt] = hub.receipts("vendor-a")
    assert receipt["status"] == "rejected"
    assert [(f["line"], f["item_no"], f["rule"]) for f in receipt["findings"]] == [
        (2, 1, "file:fixed-item")]
    assert hub.outbox("vendor-b") == {}


@pytest.mark.parametrize("filename, sender, rule", [
    ("residents.csv", "vendor-a", "file:kind"),
    (name(code="141003"), "vendor-x", "route:none"),  # valid, nobody subscribes
    (name(code="141003"), "vendor-a", "file:sender"),  # vendor A has no party of 141003
])
def test_files_that_cannot_be_routed_are_rejected_by_rule(hub, filename, sender, rule):
    code = "141003" if "141003" in filename else "131016"
    hub.drop(sender, filename, change_file(2, code=code))
    hub.pipeline.turn()
    [receipt] = hub.receipts(sender)
    assert receipt["status"] == "rejected" and receipt["findings"][0]["rule"] == rule


def test_temporary_names_wait_for_their_rename(hub):
    inbox = hub.config.root / "vendor-a" / "inbox"
    (inbox / (name() + ".part")).write_bytes(change_file(2)[:30])  # an upload under way
    assert hub.pipeline.turn().picked == 0
    assert (inbox / (name() + ".part")).exists()


def test_a_file_being_written_over_sftp_is_left_alone(hub):
    hub.drop("vendor-a", name(), change_file(2))
    hub.open(busy=lambda path: path.name == name())
    assert hub.pipeline.turn().picked == 0


def test_marker_mode_takes_a_file_with_its_done_marker_only(tmp_path):
    hub = Hub(tmp_path, markers=True)
    try:
        inbox = hub.config.root / "vendor-a" / "inbox"
        (inbox / name()).write_bytes(change_file(2))
        assert hub.pipeline.turn().picked == 0
        (inbox / (name() + ".done")).write_bytes(b"")
        assert hub.pipeline.turn().accepted == 1
        assert list(inbox.iterdir()) == []
    finally:
        hub.close()


def test_per_subscriber_order_and_no_file_replaced(hub):
    """Two files of one name from two senders: the second waits until the first is confirmed."""
    hub.config.accounts["vendor-c"] = hub.config.accounts["vendor-c"]
    first, second = change_file(2), change_file(2, start=50)
    hub.drop("vendor-a", name(), first)
    hub.pipeline.turn()
    hub.drop("vendor-c", name(), second)  # vendor C sends too (it owns a 131016 party)
    turn = hub.pipeline.turn()
    assert turn.accepted == 1
    assert hub.outbox("vendor-b")[name()] == first  # not replaced
    assert any("vendor-b" in h for h in turn.held)
    (hub.config.root / "vendor-b" / "outbox" / name()).unlink()
    turn = hub.pipeline.turn()
    assert turn.confirmed == 1 and turn.delivered == 1
    assert hub.outbox("vendor-b")[name()] == second


def test_the_routing_log_not_accepting_leaves_files_in_the_inbox(hub):
    hub.drop("vendor-a", name(), change_file(2))
    hub.log.health = lambda: {"accepting": False}  # type: ignore[method-assign]
    turn = hub.pipeline.turn()
    assert turn.picked == 0 and turn.held
    assert (hub.config.root / "vendor-a" / "inbox" / name()).exists()


class Killed(Exception):
    pass


def test_a_step_the_routing_log_cannot_commit_does_not_happen(hub):
    hub.drop("vendor-a", name(), change_file(2))

    def flush(timeout: float = 5.0) -> None:
        raise TimeoutError("routing log: flush not done")
    hub.log.flush = flush  # type: ignore[method-assign]
    with pytest.raises(TimeoutError):
        hub.pipeline.turn()
    assert hub.ledger.files_in(FileState.PICKING)  # the move happened, the step is not past it
    assert hub.outbox("vendor-b") == {} and hub.receipts("vendor-a") == []
    del hub.log.flush
    hub.pipeline.turn()
    assert list(hub.outbox("vendor-b")) == [name()]
    assert [h[0] for h in hub.hops()].count("file_picked_up") == 1


@pytest.mark.parametrize("stage", ["picking", "picked", "decided", "staged", "linked",
                                   "delivered"])
def test_a_restart_after_any_step_delivers_exactly_once(hub, stage):
    data = change_file(3)
    hub.drop("vendor-a", name(), data)
    seen = []

    def kill(step: str) -> None:
        seen.append(step)
        if step == stage:
            raise Killed(step)
    hub.open(on_stage=kill)
    with pytest.raises(Killed):
        hub.pipeline.turn()
    # nothing half-written in any outbox, whatever the step
    for adapter in ("vendor-b", "vendor-c"):
        assert all(v == data for v in hub.outbox(adapter).values())
    hub.close()
    hub.open()
    hub.pipeline.turn()
    assert hub.outbox("vendor-b") == {name(): data} == hub.outbox("vendor-c")
    [receipt] = hub.receipts("vendor-a")
    assert receipt["status"] == "accepted"
    # each step once in the routing log, whichever step the restart redid
    assert [h[0] for h in hub.hops()] == ["file_picked_up", "file_accepted", "file_delivered",
                                          "file_delivered"]
    assert list((hub.config.root / ".hub" / "staging").iterdir()) == []


def test_a_subscriber_that_confirmed_before_the_restart_gets_nothing_again(hub):
    data = change_file(3)
    hub.drop("vendor-a", name(), data)

    def kill(step: str) -> None:
        if step == "linked":
            raise Killed(step)
    hub.open(on_stage=kill)
    with pytest.raises(Killed):
        hub.pipeline.turn()
    delivered = [a for a in ("vendor-b", "vendor-c") if hub.outbox(a)]
    assert delivered == ["vendor-b"]
    (hub.config.root / "vendor-b" / "outbox" / name()).unlink()  # confirmed while down
    hub.close()
    hub.open()
    hub.pipeline.turn()
    assert hub.outbox("vendor-b") == {} and hub.outbox("vendor-c") == {name(): data}


def test_metrics_count_files_and_rows(tmp_path):
    from bus.admin.metrics import HubMetrics
    from bus.core.jsonlog import JsonLineLog
    from bus.files.service import FileLinkage
    hub = Hub(tmp_path)
    try:
        linkage = FileLinkage(hub.config, None, JsonLineLog(open(tmp_path / "events", "w")),
                              hub.log, {})
        hub.drop("vendor-a", name(), change_file(7))
        hub.drop("vendor-a", name("x"), broken_file())
        linkage._turned(linkage.pipeline.turn())
        metrics = HubMetrics([], [], [], "n")
        metrics.add_gauges(linkage.metric_families)
        text = metrics.exposition()[0].decode()
        assert 'pfbus_files_total{outcome="accepted"} 1.0' in text
        assert 'pfbus_files_total{outcome="rejected"} 1.0' in text
        assert 'pfbus_files_total{outcome="delivered"} 2.0' in text
        assert "pfbus_file_rows_total 7.0" in text
        linkage.ledger.close()
    finally:
        hub.close()


def test_retention_forgets_files_done_with_and_old_receipts_only(hub):
    import datetime as dt
    import os
    hub.drop("vendor-a", name(), change_file(2))
    hub.drop("vendor-a", name("bad"), broken_file())
    hub.pipeline.turn()
    (hub.config.root / "vendor-b" / "outbox" / name()).unlink()  # B confirms, C does not
    hub.pipeline.turn()
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=91)
    for r in (hub.config.root / "vendor-a" / "outbox").iterdir():  # receipts 91 days old
        os.utime(r, (later.timestamp() - 91 * 86400 - 10,) * 2)
    assert hub.pipeline.purge(later) == (1, 2)  # the rejected file; both receipts
    # C still waits
    assert [f.state for f in hub.ledger.files_in(FileState.ACCEPTED)] == [FileState.ACCEPTED]
    assert (hub.config.root / "vendor-c" / "outbox" / name()).exists()
    (hub.config.root / "vendor-c" / "outbox" / name()).unlink()
    hub.pipeline.turn()
    assert hub.pipeline.purge(later) == (1, 0)
    assert hub.ledger.files_in(FileState.ACCEPTED, FileState.REJECTED) == []
    # after retention the same file is new again: the duplicate window is the retention
    hub.drop("vendor-a", name(), change_file(2))
    assert hub.pipeline.turn().accepted == 1


def test_nothing_is_forgotten_within_retention(hub):
    import datetime as dt
    hub.drop("vendor-a", name(), change_file(2))
    hub.pipeline.turn()
    for s in ("vendor-b", "vendor-c"):
        (hub.config.root / s / "outbox" / name()).unlink()
    hub.pipeline.turn()
    assert hub.pipeline.purge(dt.datetime.now(dt.timezone.utc)) == (0, 0)


def test_a_manifest_names_the_kind_of_a_file_of_any_name(hub):
    data = change_file(4)
    hub.drop("vendor-a", "IDO20261201.CSV.manifest.json", manifest_of(data))
    assert hub.pipeline.turn().picked == 0  # the manifest first: it waits for its file
    hub.drop("vendor-a", "IDO20261201.CSV", data)
    turn = hub.pipeline.turn()
    assert (turn.accepted, turn.delivered) == (1, 2)
    assert hub.outbox("vendor-b") == {"IDO20261201.CSV": data}
    [receipt] = hub.receipts("vendor-a")
    assert receipt["kind"] == "juki-change" and receipt["rows"] == 4
    assert list((hub.config.root / "vendor-a" / "inbox").iterdir()) == []
    assert list((hub.config.root / ".hub" / "spool").glob("*.manifest")) == [
        hub.config.root / ".hub" / "spool" / "1.manifest"]  # kept until confirmed


@pytest.mark.parametrize("changes, rule", [
    ({"rows": 5}, "manifest:rows"),  # the file was cut off
    ({"sha256": "0" * 64}, "manifest:sha256"),
    ({"record": None, "version": "V9"}, "manifest:kind"),
    ({"extra": 1}, "manifest:unknown-key"),
    ({"sender": PARTIES["vendor-b"]}, "file:sender"),
    ({"local_gov_code": "131017"}, "manifest:local_gov_code"),
])
def test_a_manifest_that_does_not_fit_rejects_the_file(hub, changes, rule):
    data = change_file(4)
    hub.drop("vendor-a", "ido.csv.manifest.json", manifest_of(data, **changes))
    hub.drop("vendor-a", "ido.csv", data)
    hub.pipeline.turn()
    [receipt] = hub.receipts("vendor-a")
    assert receipt["status"] == "rejected"
    assert rule in {f["rule"] for f in receipt["findings"]}
    assert hub.outbox("vendor-b") == {}
    assert list((hub.config.root / ".hub" / "spool").iterdir()) == []


def test_a_stop_ends_the_turn_between_files_and_the_next_run_takes_the_rest(hub):
    for i in range(3):
        hub.drop("vendor-a", name(f"s{i}"), change_file(2, start=10 * i + 1))
    stages = []

    def stop_after_first(step: str) -> None:
        stages.append(step)
        if step == "decided":
            hub.pipeline.stopping.set()
    hub.open(on_stage=stop_after_first)
    turn = hub.pipeline.turn()
    assert (turn.picked, turn.delivered) == (1, 0)
    hub.close()
    hub.open()
    turn = hub.pipeline.turn()
    assert (turn.picked, turn.delivered) == (2, 6)
    assert len(hub.outbox("vendor-b")) == 3


def test_delivery_order_shows_in_whole_second_modification_times(hub):
    # names that sort against their order, delivered within one second
    names = [name(f"{3 - i}") for i in range(3)]
    for i, n in enumerate(names):
        hub.drop("vendor-a", n, change_file(2, start=10 * i + 1))
        hub.pipeline.turn()
    outbox = hub.config.root / "vendor-b" / "outbox"
    times = [(outbox / n).stat().st_mtime for n in names]
    assert all(t == int(t) for t in times)  # what SFTP shows: whole seconds
    assert times == sorted(set(times)), times  # strictly increasing, in delivery order
