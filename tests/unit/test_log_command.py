"""`pfbus log` as an operator reads it: newest first, ID prefixes, an exchange column, paths
that keep their end, JST or UTC, a stderr line when --limit cut rows, --tail and --follow."""

from __future__ import annotations

import argparse
import dataclasses
import json
import queue
import subprocess
import sys
import threading

import pytest

from bus.cli import log_command
from bus.store.hop_record import COLUMNS, TABLE_COLUMNS, column_names
from bus.store.routing_log import HopRecord, RoutingLog
from tests.support.hop_records import full_record, sample

PATH = "/soap:Envelope/soap:Header/pfh:PlatformHeader/pfh:Sender/pfh:LocalGovCode"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pfbus log")
    log_command.add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "routing.db"
    with RoutingLog(path) as log:
        for i in range(30):
            log.record(HopRecord(hop="replied", status="fault" if i % 10 == 9 else "ok",
                                 message_id=f"{i:02d}aa0000-0000-4000-8000-000000000000",
                                 exchange_id=f"e{i:02d}b0000-0000-4000-8000-000000000000",
                                 service_id="juki.ResidentInquiry", sender="131016/07/tax",
                                 receiver="131016/01/juki" if i < 20 else "132012/01/juki",
                                 fault_code="PF-HEADER-INVALID" if i % 10 == 9 else None,
                                 path=PATH if i % 10 == 9 else None,
                                 at=f"2026-11-27T06:00:{i:02d}+00:00"))
    return path


def out_lines(capsys) -> tuple[list[str], str]:
    captured = capsys.readouterr()
    return captured.out.splitlines(), captured.err


def test_newest_first_by_default_and_oldest_first_on_request(db, capsys):
    assert log_command.run(parse("--db", str(db))) == 0
    lines, _ = out_lines(capsys)
    assert lines[2].split()[3:5] == ["29aa0000", "e29b0000"]  # date, time, JST, message, exchange
    assert log_command.run(parse("--db", str(db), "--oldest-first")) == 0
    lines, _ = out_lines(capsys)
    assert lines[2].split()[3] == "00aa0000"


def test_ids_match_by_the_prefix_the_table_prints(db, capsys):
    assert log_command.run(parse("--db", str(db), "--message-id", "07aa0000")) == 0
    lines, _ = out_lines(capsys)
    assert len(lines) == 3 and "07aa0000" in lines[2]
    assert log_command.run(parse("--db", str(db), "--exchange-id", "e12b")) == 0
    lines, _ = out_lines(capsys)
    assert len(lines) == 3 and "e12b0000" in lines[2]


def test_times_in_jst_by_default_utc_on_request(db, capsys):
    log_command.run(parse("--db", str(db), "--message-id", "00aa"))
    assert "2026-11-27 15:00:00.000 JST" in out_lines(capsys)[0][2]
    log_command.run(parse("--db", str(db), "--message-id", "00aa", "--tz", "utc"))
    assert "2026-11-27 06:00:00.000Z" in out_lines(capsys)[0][2]


def test_the_path_keeps_its_end(db, capsys):
    log_command.run(parse("--db", str(db), "--status", "fault"))
    lines, _ = out_lines(capsys)
    assert all("…/pfh:PlatformHeader/pfh:Sender/pfh:LocalGovCode" in line for line in lines[2:])
    assert len(lines) == 5


def test_stderr_says_when_rows_were_cut(db, capsys):
    assert log_command.run(parse("--db", str(db), "--limit", "10")) == 0
    lines, err = out_lines(capsys)
    assert len(lines) == 12 and "10 of 30 shown; --limit" in err
    log_command.run(parse("--db", str(db), "--limit", "30"))
    assert "shown" not in out_lines(capsys)[1]


def test_more_filters_code_sender_fault(db, capsys):
    log_command.run(parse("--db", str(db), "--code", "132012", "--format", "json"))
    assert len(out_lines(capsys)[0]) == 10
    log_command.run(parse("--db", str(db), "--sender", "131016/07", "--fault-code",
                          "PF-HEADER-INVALID", "--format", "json"))
    assert len(out_lines(capsys)[0]) == 3
    assert log_command.run(parse("--db", str(db), "--code", "13101")) == 2


def test_tail_shows_the_last_n_in_time_order(db, capsys):
    assert log_command.run(parse("--db", str(db), "--tail", "3")) == 0
    lines, _ = out_lines(capsys)
    assert [line.split()[3] for line in lines[2:]] == ["27aa0000", "28aa0000", "29aa0000"]


def test_follow_prints_new_records_as_they_are_written(db):
    proc = subprocess.Popen([sys.executable, "-m", "bus.cli.main", "log", "--db", str(db),
                             "--tail", "1", "--follow", "--format", "json"],
                            stdout=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        assert "29aa0000" in lines.get(timeout=30)
        with RoutingLog(db) as log:
            log.record(HopRecord(hop="received", status="ok",
                                 message_id="30aa0000-0000-4000-8000-000000000000"))
        assert "30aa0000" in lines.get(timeout=30)
    finally:
        proc.terminate()
        proc.wait(10)


# -- the table and the JSON output derive from HopRecord's declaration ------------------------

def test_every_declared_field_is_shown_joined_or_hidden_with_a_reason():
    shown = {c.name for c in TABLE_COLUMNS}
    joined = {c.table.join[1]: c.name for c in TABLE_COLUMNS if c.table.join}
    for c in COLUMNS:
        if c.table.hidden is not None:
            assert c.table.hidden.strip() and c.name not in shown, c.name
        elif c.table.within is not None:
            assert joined.get(c.name) == c.table.within, c.name  # the cell it names shows it
        else:
            assert c.name in shown, c.name
    assert set(joined) <= {c.name for c in COLUMNS if c.table.within}


@pytest.mark.parametrize("name", [c.name for c in COLUMNS if c.table.hidden is None])
def test_each_shown_field_reaches_the_table(name):
    # a field declared as shown (or shown within another's cell) that the table drops or
    # renders from the wrong field: changing its value would not change the row
    before = log_command.format_table([full_record()], "utc")
    after = log_command.format_table([full_record(**{name: sample(name, 1)})], "utc")
    assert before[0].split() == after[0].split()  # the same columns
    assert before[2] != after[2], name


def test_json_output_carries_every_declared_field(tmp_path, capsys):
    record = full_record()
    with RoutingLog(tmp_path / "r.db") as log:
        log.record(record)
    assert log_command.run(parse("--db", str(tmp_path / "r.db"), "--format", "json")) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert list(row) == list(column_names())
    assert row == json.loads(json.dumps(dataclasses.asdict(record)))
