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
