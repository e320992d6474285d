"""The SQLite notice store's statements (保管転送): what each write costs SQLite, and schema
version 3, which wrote the deliveries' CHECK and the claim's partial index without a list of
three or more constants (SQLite builds a temporary B-tree for each such list, on every execution:
three per UPDATE of a delivery, two per INSERT — issue 13)."""

from __future__ import annotations

import sqlite3
import time

import pytest

from bus.store.migrations import migrate
from bus.store.notices.base import NoticeRecord
from bus.store.notices.sqlite_store import MIGRATIONS, SqliteNoticeStore

T = time.time()
A, B, C = "131016:0000010014", "131016:0000010022", "131016:0000010030"


def notice(mid: str, subjects=(A,)) -> NoticeRecord:
    return NoticeRecord(message_id=mid, service_id="juki.ResidentChangeNotice",
                        local_gov_code="131016", sender="131016/01/vendor-a-juki",
                        subjects=tuple(subjects), content_type="text/xml; charset=utf-8",
                        soap_action=None, payload=f"<n>{mid}</n>".encode(), received_at=T,
                        receiver="131016/01/hub", service_version="1.0")


def _every_transition(store: SqliteNoticeStore) -> None:
    """Accept, claim, complete, retry, die, replay, purge, release: each write the store makes."""
    for mid, subjects in (("m1", [A]), ("m2", [B]), ("m3", [C]), ("m4", [A])):
        assert store.accept(notice(mid, subjects), ["tax", "kokuho"])
    m1, m2, m3 = store.claim("tax", "n1", 30, 10, now=T)
    assert store.complete_and_claim([m1.id], "tax", "n1", 30, 0, now=T) == ([True], [])
    assert store.retry_later(m2.id, "n1", "PF-X", T - 1)
    assert store.dead(m3.id, "n1", "PF-Y")
    assert store.replay("tax", [m3.id]) == 1
    [m4, again2, again3] = store.claim("tax", "n1", 30, 10, now=T)
    assert {m4.message_id, again2.message_id, again3.message_id} == {"m2", "m3", "m4"}
    assert store.release(m4.id, "n1")
    assert store.dead(again2.id, "n1", "PF-Y") and store.purge("tax", [again2.id]) == 1
    assert store.release_node("n1") == 1
    assert store.complete(m1.id, "n1") is False  # done once only


def test_no_write_of_the_store_builds_a_temporary_btree(tmp_path):
    store = SqliteNoticeStore(tmp_path / "n.sqlite3")
    statements: list[str] = []
    conn = store._conn()  # the callers' connection (this thread's): every transition's
    conn.set_trace_callback(statements.append)
    store._writer.set_trace_callback(statements.append)  # the accepts' group commit
    try:
        _every_transition(store)
        conn.set_trace_callback(None)
        store._writer.set_trace_callback(None)
        writes = sorted({s for s in statements if s.lstrip().upper().startswith(
            ("INSERT", "UPDATE"))})
        assert len(writes) >= 8, writes
        for sql in writes:
            opcodes = [row[1] for row in conn.execute("EXPLAIN " + sql)]
            # a write of one row builds none; one of many rows (a node's leases released at
            # its start) may keep their row ids in one while it updates them
            one_row = sql.startswith("INSERT") or "WHERE id = " in sql
            assert opcodes.count("OpenEphemeral") <= (0 if one_row else 1), sql
    finally:
        store.close()


def test_the_claim_reads_the_unfinished_index(tmp_path):
    from bus.store.notices.sqlite_store import _CANDIDATES

    store = SqliteNoticeStore(tmp_path / "n.sqlite3")
    try:
        plan = " ".join(row[3] for row in store._conn().execute(
            "EXPLAIN QUERY PLAN " + _CANDIDATES, ("tax",)))
    finally:
        store.close()
    assert "USING INDEX deliveries_unfinished" in plan, plan


def _version_2_store(path) -> None:
    """A store as schema version 2 left it: deliveries in every state, and an AUTOINCREMENT
    counter beyond the last row's id (its newest deliveries were purged from the table)."""
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[:2]) == 2
    rows = [("pending", None, None), ("inflight", "n1", T + 30), ("delivered", "n1", None),
            ("dead", "n1", None), ("purged", None, None)]
    for i, (state, owner, until) in enumerate(rows, start=1):
        conn.execute("INSERT INTO notices (message_id, service_id, local_gov_code, sender, "
                     "subjects, content_type, payload, received_at, accepted_at) VALUES "
                     "(?, 'juki.ResidentChangeNotice', '131016', 's', ?, 'text/xml', ?, ?, ?)",
                     (f"m{i}", f'["131016:{i:010d}"]', b"<n/>", T, T))
        conn.execute("INSERT INTO deliveries (seq, subscriber, state, attempts, lease_owner, "
                     "lease_until, last_error, error_at, enqueued_at, finished_at) VALUES "
                     "(?, 'tax', ?, ?, ?, ?, ?, ?, ?, ?)",
                     (i, state, i, owner, until, "PF-X" if state == "dead" else None,
                      T if state == "dead" else None, T, T if state == "delivered" else None))
    conn.execute("UPDATE sqlite_sequence SET seq = 40 WHERE name = 'deliveries'")
    conn.close()


def _deliveries(path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM deliveries ORDER BY id").fetchall()
    finally:
        conn.close()


def test_a_version_2_store_migrates_to_3_with_its_rows_ids_and_counter(tmp_path):
    path = tmp_path / "n.sqlite3"
    _version_2_store(path)
    before = _deliveries(path)
    store = SqliteNoticeStore(path)
    try:
        assert _deliveries(path) == before  # every row, column and id as it was
        conn = store._conn()
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) >= 3
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        indexes = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deliveries' "
            "AND sql IS NOT NULL")}
        assert indexes == {"deliveries_unfinished", "deliveries_leases", "deliveries_state",
                           "deliveries_errors"}
        # the claim sees the pending one (the in-flight one is n1's, its lease not expired)
        [pending] = store.claim("tax", "n2", 30, 10, now=T)
        assert pending.message_id == "m1"
        assert store.accept(notice("new"), ["tax"])
        newest = conn.execute("SELECT max(id) FROM deliveries").fetchone()[0]
        assert newest == 41  # after the counter, never an id used before
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE deliveries SET state = 'lost' WHERE id = 1")
    finally:
        store.close()
