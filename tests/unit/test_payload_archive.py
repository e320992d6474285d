"""The payload archive: AES-GCM at rest, key from the environment or a file, wrong keys refused,
ciphertexts bound to their message; off by default."""

from __future__ import annotations

import base64
import os
import sqlite3

import pytest

from bus.core.config import ConfigError, parse_config
from bus.store.archive import (ArchiveError, ArchiveKeyError, PayloadArchive, load_key,
                               open_configured)

NAME = "総務翔子"
PAYLOAD = f"<j:Name>{NAME}</j:Name><j:AddresseeNumber>0000010014</j:AddresseeNumber>".encode()


def key() -> bytes:
    return os.urandom(32)


def test_round_trip_and_no_plaintext_in_the_file(tmp_path):
    k = key()
    with PayloadArchive(tmp_path / "a.db", k) as archive:
        archive.store("m1", "request", PAYLOAD, "x1")
        archive.store("m1", "response", PAYLOAD + b"!", "x1")
        archive.store("m2", "notice", PAYLOAD, "x2")
        archive.flush()
        got = archive.read("m1")
    assert [(p.kind, p.payload, p.exchange_id) for p in got] == [
        ("request", PAYLOAD, "x1"), ("response", PAYLOAD + b"!", "x1")]
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert NAME.encode() not in data and b"0000010014" not in data
    conn = sqlite3.connect(tmp_path / "a.db")
    nonces = [n for (n,) in conn.execute("SELECT nonce FROM payloads")]
    assert len(set(nonces)) == 3 and all(len(n) == 12 for n in nonces)  # fresh per payload
    with PayloadArchive(tmp_path / "a.db", k, readonly=True) as ro:
        assert [p.kind for p in ro.read("m2")] == ["notice"]


def test_wrong_key_is_refused_clearly(tmp_path):
    PayloadArchive(tmp_path / "a.db", key()).close()
    for readonly in (False, True):
        with pytest.raises(ArchiveKeyError, match="wrong key"):
            PayloadArchive(tmp_path / "a.db", key(), readonly=readonly)


def test_ciphertext_moved_to_another_message_does_not_decrypt(tmp_path):
    k = key()
    with PayloadArchive(tmp_path / "a.db", k) as archive:
        archive.store("m1", "request", b"one")
        archive.store("m2", "request", b"two")
    conn = sqlite3.connect(tmp_path / "a.db")
    conn.execute("UPDATE payloads SET message_id = 'm2' WHERE message_id = 'm1'")
    conn.commit()
    conn.close()
    with PayloadArchive(tmp_path / "a.db", k, readonly=True) as ro:
        with pytest.raises(ArchiveError, match="does not authenticate"):
            ro.read("m2")


def test_key_from_environment_or_file(tmp_path):
    k = key()
    assert load_key("K", environ={"K": base64.b64encode(k).decode()}) == k
    assert load_key("K", environ={"K": k.hex()}) == k
    (tmp_path / "key").write_text(base64.b64encode(k).decode() + "\n")
    assert load_key(key_file=tmp_path / "key") == k
    with pytest.raises(ArchiveKeyError, match="K .*is not set"):
        load_key("K", environ={})
    with pytest.raises(ArchiveKeyError, match="32-byte key") as exc:
        load_key("K", environ={"K": "c2VjcmV0"})
    assert "c2VjcmV0" not in str(exc.value)  # never echo key material
    with pytest.raises(ArchiveKeyError, match="cannot read"):
        load_key(key_file=tmp_path / "missing")


def test_config_off_by_default_and_validated(tmp_path):
    base = {"tenants": [], "providers": [], "routes": []}
    config = parse_config(dict(base), tmp_path / "hub.toml")
    assert config.archive is None and open_configured(config) is None
    config = parse_config({**base, "store": {"archive": "sqlite:var/a.db",
                                             "archive_key_env": "PFBUS_ARCHIVE_KEY"}},
                          tmp_path / "hub.toml")
    assert config.archive == tmp_path / "var" / "a.db"
    assert config.archive_key_env == "PFBUS_ARCHIVE_KEY"
    with pytest.raises(ConfigError, match="exactly one"):
        parse_config({**base, "store": {"archive": "sqlite:a.db"}}, tmp_path / "hub.toml")
    with pytest.raises(ConfigError, match="store.archive"):
        parse_config({**base, "store": {"archive": "postgresql://x",
                                        "archive_key_env": "K"}}, tmp_path / "hub.toml")
    with pytest.raises(ConfigError, match="no archive"):
        parse_config({**base, "store": {"archive_key_env": "K"}}, tmp_path / "hub.toml")


# -- evidence or refuse: the writer never drops ---------------------------------------------------


def test_failed_commit_is_kept_and_retried_never_dropped(tmp_path):
    """A commit that fails (here: the table is gone) keeps the payloads and says ``failing``
    with the error and since when; once writing works again they are all written."""
    states = []
    archive = PayloadArchive(tmp_path / "a.db", key(), on_state=states.append)
    other = sqlite3.connect(tmp_path / "a.db")
    try:
        other.execute("ALTER TABLE payloads RENAME TO payloads_away")
        other.commit()
        seq = archive.store("m1", "request", PAYLOAD, "x1")
        with pytest.raises(TimeoutError, match="writing fails"):
            archive.flush(timeout=1.0)
        health = archive.health()
        assert health["state"] == "failing" and not health["accepting"]
        assert health["backlog"] == 1 and health["failing_since"]
        assert "no such table" in health["last_error"]
        assert archive.committed() < seq and states[-1]["state"] == "failing"
        other.execute("ALTER TABLE payloads_away RENAME TO payloads")
        other.commit()
        archive.store("m2", "notice", PAYLOAD)
        archive.flush(timeout=10)
        assert [p.kind for p in archive.read("m1")] == ["request"]
        assert [p.kind for p in archive.read("m2")] == ["notice"]
        health = archive.health()
        assert health["state"] == "ok" and health["backlog"] == 0 and health["lost"] == 0
        assert archive.committed() == seq + 1 and states[-1]["state"] == "ok"
    finally:
        other.close()
        archive.close()


def test_a_full_queue_is_behind_not_dropped(tmp_path):
    """More payloads waiting than ``high_water`` (or ``high_water_bytes``): ``behind`` — the hub
    holds, then refuses new exchanges — and every payload is still written."""
    archive = PayloadArchive(tmp_path / "a.db", key(), high_water=5, high_water_bytes=10 ** 9)
    other = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # holds the write lock: the writer waits (busy)
        for i in range(20):
            archive.store(f"m{i}", "request", PAYLOAD)
        health = archive.health()
        assert health["state"] == "behind" and not health["accepting"]
        assert health["backlog"] > 5 and health["backlog_bytes"] > 5 * len(PAYLOAD)
        other.execute("COMMIT")
        archive.flush(timeout=30)
        assert archive.health()["state"] == "ok" and archive.dropped == 0
        assert all(len(archive.read(f"m{i}")) == 1 for i in range(20))
    finally:
        other.close()
        archive.close()
    bytes_bound = PayloadArchive(tmp_path / "b.db", key(), high_water_bytes=len(PAYLOAD))
    other = sqlite3.connect(tmp_path / "b.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        bytes_bound.store("m", "request", PAYLOAD)
        bytes_bound.store("n", "request", PAYLOAD)
        assert bytes_bound.health()["state"] == "behind"  # two payloads: over the byte bound
        other.execute("COMMIT")
    finally:
        other.close()
        bytes_bound.close()


def test_close_gives_up_after_its_timeout_and_counts_what_was_lost(tmp_path):
    archive = PayloadArchive(tmp_path / "a.db", key())
    other = sqlite3.connect(tmp_path / "a.db")
    other.execute("ALTER TABLE payloads RENAME TO payloads_away")
    other.commit()
    other.close()
    archive.store("m1", "request", PAYLOAD)
    archive.close(timeout=0.5)
    assert archive.lost == 1 and archive.dropped == 1 and archive.health()["state"] == "closed"
    with pytest.raises(ArchiveError, match="closed"):
        archive.store("m2", "request", PAYLOAD)
