"""Read-only commands stay read-only, over real SQLite files (and a real PostgreSQL schema).

``queue``, ``dlq list|show``, ``log`` and ``archive show`` never create a store: a missing one
is an error naming its path (exit 2) and the folder is left as it was; an existing store is left
byte for byte as it was; ``--format json`` prints one valid JSON document, ``[]`` when empty.
"""

from __future__ import annotations

import base64
import json
import textwrap
import time
from pathlib import Path

import pytest

from bus.cli.main import main
from bus.store.notices import NoticeStoreError, open_notice_store
from bus.store.notices.base import NoticeRecord
from bus.store.routing_log import RoutingLog

KEY = base64.b64encode(bytes(range(32))).decode()


def write_config(folder: Path, notices: str = "sqlite:var/notices.sqlite3") -> Path:
    path = folder / "hub.toml"
    path.write_text(textwrap.dedent(f"""\
        [store]
        routing_log = "var/routing-log.sqlite3"
        notices = "{notices}"
        archive = "sqlite:var/archive.sqlite3"
        archive_key_env = "PFBUS_TEST_ARCHIVE_KEY"
        """), encoding="utf-8")
    return path


def pfbus(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


READ_ONLY = [("queue",), ("dlq", "list"), ("dlq", "show", "1", "--reason", "test"), ("log",),
             ("archive", "show", "m-1", "--reason", "test")]


@pytest.fixture(autouse=True)
def archive_key(monkeypatch):
    monkeypatch.setenv("PFBUS_TEST_ARCHIVE_KEY", KEY)


@pytest.mark.parametrize("argv", READ_ONLY + [("dlq", "replay", "--all"),
                                              ("dlq", "purge", "--all")],
                         ids=lambda a: " ".join(a[:2]))
def test_a_missing_store_is_an_error_naming_it_and_nothing_is_created(tmp_path, capsys, argv):
    config = write_config(tmp_path)
    before = snapshot(tmp_path)
    args = [*argv[:1], "--config", str(config), *argv[1:]] if argv[0] != "archive" else \
        [*argv[:2], *argv[2:], "--config", str(config)]
    code, out, err = pfbus(capsys, *args)
    assert code == 2, (out, err)
    assert str(tmp_path / "var") in err and "no such" in err, err
    assert "Traceback" not in err
    assert snapshot(tmp_path) == before and not (tmp_path / "var").exists()


@pytest.fixture
def stores(tmp_path):
    """Real stores as a hub leaves them: one dead letter, one delivered notice, two hops."""
    config = write_config(tmp_path)
    var = tmp_path / "var"
    store = open_notice_store(f"sqlite:{var / 'notices.sqlite3'}")
    for mid in ("m-1", "m-2"):
        store.accept(NoticeRecord(message_id=mid, service_id="juki.ResidentChangeNotice",
                                  local_gov_code="131016", sender="131016/01/vendor-a-juki",
                                  subjects=(f"131016:{mid}",), content_type="text/xml",
                                  soap_action=None, payload=b"<n/>", received_at=time.time()),
                     ["国保システム"])
    first, second = store.claim("国保システム", "n1", 30, 10)
    store.dead(first.id, "n1", "PF-PROVIDER-INTERNAL 被保険者が見つかりません")
    store.complete(second.id, "n1")
    store.close()
    log = RoutingLog(var / "routing-log.sqlite3")
    log.close()
    return config


def test_read_only_commands_leave_the_stores_byte_for_byte(stores, capsys):
    folder = stores.parent
    before = snapshot(folder)
    code, out, _ = pfbus(capsys, "queue", "--config", str(stores))
    assert code == 3 and "国保システム" in out and "EXHAUSTED (1 dead letters)" in out
    code, out, _ = pfbus(capsys, "dlq", "--config", str(stores), "list")
    assert code == 0 and "被保険者が見つかりません" in out
    assert pfbus(capsys, "log", "--config", str(stores))[0] == 1  # no hops: exit 1
    assert snapshot(folder) == before


def test_dlq_show_writes_only_the_record_of_the_read(stores, capsys):
    """Reading a payload is recorded (issue 10: personal data behind a reason) — in the routing
    log, which exists; the notice store itself is left byte for byte."""
    notices = stores.parent / "var" / "notices.sqlite3"
    before = notices.read_bytes()
    code, out, _ = pfbus(capsys, "dlq", "--config", str(stores), "show", "1", "--reason", "test")
    assert code == 0 and "message_id: m-1" in out
    assert notices.read_bytes() == before
    log = RoutingLog(stores.parent / "var" / "routing-log.sqlite3")
    try:
        assert [h.hop for h in log.query(limit=None)] == ["payload_read"]
    finally:
        log.close()


def test_json_is_always_one_valid_document(stores, capsys):
    code, out, _ = pfbus(capsys, "queue", "--config", str(stores), "--format", "json")
    (row,) = json.loads(out)
    assert code == 3 and row["subscriber"] == "国保システム" and row["dead"] == 1
    assert row["delivered"] == 1 and row["exhausted"] is True
    code, out, _ = pfbus(capsys, "dlq", "--config", str(stores), "list", "--format", "json")
    (letter,) = json.loads(out)
    assert code == 0 and letter["message_id"] == "m-1" and "payload" not in letter
    code, out, _ = pfbus(capsys, "dlq", "--config", str(stores), "list", "--subscriber",
                         "nobody", "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out, err = pfbus(capsys, "log", "--config", str(stores), "--format", "json")
    assert code == 1 and json.loads(out) == [] and "no matching records" in err


def test_an_empty_queue_is_an_empty_list(tmp_path, capsys):
    config = write_config(tmp_path)
    open_notice_store(f"sqlite:{tmp_path / 'var' / 'notices.sqlite3'}").close()
    code, out, _ = pfbus(capsys, "queue", "--config", str(config), "--format", "json")
    assert code == 0 and out == "[]\n"


def test_a_file_that_is_not_a_notice_store_is_refused_unchanged(tmp_path, capsys):
    config = write_config(tmp_path)
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "notices.sqlite3").write_bytes(b"")
    before = snapshot(tmp_path)
    code, _, err = pfbus(capsys, "queue", "--config", str(config))
    assert code == 2 and "not a notice store" in err and snapshot(tmp_path) == before


def test_postgresql_read_only_never_creates_the_schema(postgres_dsn, postgres_schema):
    import psycopg

    url = f"{postgres_dsn}?schema={postgres_schema}"
    with pytest.raises(NoticeStoreError, match=f"{postgres_schema}: not found"):
        open_notice_store(url, readonly=True)
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM information_schema.schemata WHERE "
                            "schema_name = %s", (postgres_schema,)).fetchone()[0] == 0
    open_notice_store(url).close()  # the hub creates it
    store = open_notice_store(url, readonly=True)
    try:
        assert store.stats() == []
        with pytest.raises(NoticeStoreError, match="read-only"):
            store.accept(None, ["x"])  # type: ignore[arg-type]
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            store.replay()
    finally:
        store.close()


def test_no_wal_files_are_left_by_a_read(stores, capsys):
    assert pfbus(capsys, "queue", "--config", str(stores))[0] == 3
    assert not any(p.name.endswith(("-wal", "-shm")) for p in (stores.parent / "var").iterdir())
