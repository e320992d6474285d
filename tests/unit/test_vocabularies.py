"""Each closed vocabulary is one enum; where its values also live outside Python — a schema's
enumeration, SQL literals and a CHECK constraint, the bytes an archive authenticates, the docs —
these tests fail when the two disagree (a mismatch there would otherwise go silent)."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest
from lxml import etree

import bus.store.notices.base as notice_base
from bus.admin.sessions import Principal, parse_token_file
from bus.core.access import RIGHTS, Right
from bus.core.console_roles import ConsoleRole
from bus.core.receipt import ReceiptStatus
from bus.core.settings.hub import ADMIN_ROLES
from bus.store.archive import PayloadArchive, PayloadKind
from bus.store.notices.base import STATES, DeliveryState, Fact, NoticeRecord
from bus.store.notices.sqlite_store import SqliteNoticeStore

ROOT = Path(__file__).resolve().parents[2]
XS = "{http://www.w3.org/2001/XMLSchema}"
NOTICE_STORES = [ROOT / "bus/store/notices" / name
                 for name in ("base.py", "sqlite_store.py", "postgres_store.py")]


def test_receipt_statuses_are_the_schemas_enumeration():
    xsd = etree.parse(str(ROOT / "schemas/platform/receipt-v1.xsd"))
    status = xsd.find(f".//{XS}element[@name='Status']")
    assert [e.get("value") for e in status.iter(f"{XS}enumeration")] == \
        [s.value for s in ReceiptStatus]


def _state_literals(text: str) -> list[str]:
    """Every quoted value the SQL compares ``state`` with (= or IN), or sets it to."""
    found = re.findall(r"state\s*=\s*'([^']*)'", text)
    for group in re.findall(r"state\s+IN\s*\(([^)]*)\)", text, flags=re.IGNORECASE):
        found += re.findall(r"'([^']*)'", group)
    return found


def test_delivery_states_in_the_stores_sql_are_the_enum():
    for source in NOTICE_STORES:
        text = source.read_text(encoding="utf-8")
        # f-strings of the shared SQL name the members: their text is the value
        text = re.sub(r"\{DeliveryState\.(\w+)\}", lambda m: DeliveryState[m[1]].value, text)
        literals = _state_literals(text)
        assert literals or source.name == "base.py", source
        assert set(literals) <= set(STATES), (source.name, set(literals) - set(STATES))
        checks = re.findall(r"CHECK\s*\(state IN \(([^)]*)\)\)", text) + re.findall(
            r"CHECK\s*\((state = '[^']*'(?:\s+OR\s+state = '[^']*')*)\)", text)
        assert checks or source.name != "sqlite_store.py", source  # the forms read here
        for check in checks:
            # the CHECK is in a released migration: a new state needs a new migration
            assert re.findall(r"'([^']*)'", check) == list(STATES), source.name


def test_file_ledger_states_in_its_sql_are_the_enums():
    from bus.files.ledger import FileDeliveryState, FileState

    for source in (ROOT / "bus/files/ledger.py", ROOT / "bus/files/ledger_postgres.py"):
        text = source.read_text(encoding="utf-8")
        text = re.sub(r"\{(FileState|FileDeliveryState)\.(\w+)\}",
                      lambda m: {"FileState": FileState,
                                 "FileDeliveryState": FileDeliveryState}[m[1]][m[2]].value, text)
        literals = re.findall(r"state\s*(?:=|<>|!=)\s*'([^']*)'", text)
        for group in re.findall(r"state\s+IN\s*\(([^)]*)\)", text, flags=re.IGNORECASE):
            literals += re.findall(r"'([^']*)'", group)
        assert literals or source.name == "ledger_postgres.py", source
        # both tables' states: a file's (files.state) and a delivery's (d.state)
        assert set(literals) <= {*FileState, *FileDeliveryState}, (source.name, literals)


def test_file_ledger_reads_states_back_as_members(tmp_path):
    from bus.files.ledger import FileDeliveryState, FileState, open_ledger

    ledger = open_ledger(str(tmp_path / "ledger.sqlite3"))
    try:
        row = ledger.begin_pickup("vendor-a", "f.csv", None)
        ledger.decide(row.id, FileState.ACCEPTED, kind="k", code="131016", size=1, rows=1,
                      sha256="0" * 64, subscribers=("vendor-b",), delivered_name="f.csv")
        [delivery] = ledger.deliveries(FileDeliveryState.PENDING)
        decided = ledger.file(row.id)
    finally:
        ledger.close()
    assert row.state is FileState.PICKING and decided is not None
    assert decided.state is FileState.ACCEPTED and delivery.state is FileDeliveryState.PENDING


def test_a_created_sqlite_store_checks_exactly_the_states(tmp_path):
    SqliteNoticeStore(tmp_path / "n.db").close()
    with sqlite3.connect(tmp_path / "n.db") as conn:
        ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'deliveries'").fetchone()[0]
        conn.execute("INSERT INTO notices (message_id, service_id, local_gov_code, sender, "
                     "subjects, content_type, payload, received_at, accepted_at) "
                     "VALUES ('m', 's', '131016', 'x', '[]', 'text/xml', x'00', 0, 0)")
        for state in DeliveryState:  # every member is a value the table takes
            conn.execute("INSERT INTO deliveries (seq, subscriber, state, enqueued_at) "
                         "VALUES (1, ?, ?, 0)", (f"sub-{state}", state))
        with pytest.raises(sqlite3.IntegrityError):  # and no other
            conn.execute("INSERT INTO deliveries (seq, subscriber, state, enqueued_at) "
                         "VALUES (1, 'sub-x', 'lost', 0)")
    # schema version 3 writes it as ORs (no IN list: bus/store/notices/sqlite_store.py)
    check = re.search(r"CHECK\s*\((state = '[^']*'(?:\s+OR\s+state = '[^']*')*)\)", ddl)[1]
    assert re.findall(r"'([^']*)'", check) == list(STATES)


def test_recent_facts_are_named_by_the_fact_enum(tmp_path):
    store = SqliteNoticeStore(tmp_path / "n.db")
    try:
        record = NoticeRecord("3f1c2a9e-0000-4000-8000-000000000001", "juki.ResidentMoved",
                              "131016", "131016/01/juki", (), "text/xml", None, b"<x/>", 0.0)
        assert store.accept(record, ["tax"])
        [delivery] = store.claim("tax", "node-1", 30.0, 10)
        assert store.complete(delivery.id, "node-1")
        facts = list(store.recent_facts(0.0))
    finally:
        store.close()
    assert [f[0] for f in facts] == [Fact.ACCEPTED, Fact.DELIVERED]
    assert notice_base.Fact.ACCEPTED == "accepted"  # log_recovery compares with the member


def test_archive_kinds_are_stored_and_authenticated_as_their_text(tmp_path):
    archive = PayloadArchive(tmp_path / "a.db", os.urandom(32))
    try:
        for kind in PayloadKind:
            archive.store("m-1", kind, f"<{kind.value}/>".encode(), "ex-1")
        archive.flush()
        read = {p.kind: p.payload for p in archive.read("m-1")}
    finally:
        archive.close()
    assert read == {k.value: f"<{k.value}/>".encode() for k in PayloadKind}
    with sqlite3.connect(tmp_path / "a.db") as conn:
        stored = {r[0] for r in conn.execute("SELECT kind FROM payloads")}
    assert stored == {"request", "response", "notice"}  # the AEAD binds this text: never change


def test_both_writers_report_their_state_by_the_one_enum(tmp_path):
    from bus.store.group_writer import WriterState
    from bus.store.routing_log import RoutingLog

    log = RoutingLog(tmp_path / "r.db")
    archive = PayloadArchive(tmp_path / "a.db", os.urandom(32))
    states = [log.health()["state"], archive.health()["state"]]
    log.close()
    archive.close()
    states += [log.health()["state"], archive.health()["state"]]
    # readiness, admission and metrics compare with the members: a writer's own text for a
    # state would never match them
    assert [type(s) for s in states] == [WriterState] * 4
    assert states == [WriterState.OK] * 2 + [WriterState.CLOSED] * 2


def test_access_rights_are_the_configs_choice_and_documented():
    assert RIGHTS == tuple(r.value for r in Right)
    security = (ROOT / "docs/security.md").read_text(encoding="utf-8")
    for right in Right:
        assert f"- `{right}` —" in security, right


def test_console_roles_one_vocabulary_for_config_token_file_and_sessions():
    assert ADMIN_ROLES == tuple(r.value for r in ConsoleRole)
    tokens = parse_token_file("\n".join(f"{role} user-{role} {'t' * 16}{role}"
                                        for role in ConsoleRole))
    assert sorted(p.role for p in tokens.values()) == sorted(ConsoleRole)
    assert [r for r in ConsoleRole if Principal("x", r).can_change] == [ConsoleRole.OPERATOR]
    console = (ROOT / "docs/console.md").read_text(encoding="utf-8")
    for role in ConsoleRole:
        assert f"`{role}`" in console, role


def test_operator_actions_are_recorded_as_their_hops():
    from bus.admin.controls import Action
    from bus.admin.service import DeadLetterAction
    from bus.store.hop_record import Hop

    assert [Hop(a.value) for a in Action] == [Hop.MAINTENANCE, Hop.PAUSED, Hop.RESUMED]
    assert [a.hop for a in DeadLetterAction] == [Hop.REPLAYED, Hop.DEAD_LETTERED,
                                                 Hop.PAYLOAD_REVEALED]
