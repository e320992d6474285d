"""The hub's SFTP server against OpenSSH's sftp client over 127.0.0.1: login by key only, each
account confined to its /inbox and /outbox."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.support.polling import wait_until

from .hubs import sftp, start, write_config

pytestmark = pytest.mark.integration


def test_openssh_sftp_is_installed():
    # never skipped: without the real client these tests would prove nothing
    assert shutil.which("sftp"), "OpenSSH's sftp client is missing: apt-get install openssh-client"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    hub = write_config(tmp_path_factory.mktemp("sftp"), extra="max_file_bytes = 4096\n"
                                                               "concurrency = 1\n")
    process, port = start(hub)
    assert port is not None
    yield hub, port
    process.stop()


def test_an_upload_lands_in_the_inbox_and_is_taken_once_renamed(served, tmp_path):
    hub, port = served
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    result = sftp(hub, port, "vendor-a", "put x.csv /inbox/up1.csv.part\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    inbox = hub.root / "vendor-a" / "inbox"
    assert (inbox / "up1.csv.part").read_text() == "a,b\n1,2\n"  # temporary: left alone
    assert not (hub.root / "vendor-b" / "inbox" / "up1.csv.part").exists()
    result = sftp(hub, port, "vendor-a", "rename /inbox/up1.csv.part /inbox/up1.csv\n",
                  cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # complete now: the pipeline takes it (and rejects it: the name fits no file kind)
    wait_until(lambda: list((hub.root / "vendor-a" / "outbox").glob("up1.csv.*.receipt.json")),
               30, "the receipt of up1.csv")
    assert list(inbox.iterdir()) == []


def test_the_account_sees_only_its_two_folders(served, tmp_path):
    hub, port = served
    result = sftp(hub, port, "vendor-b", "pwd\nls /\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Remote working directory: /" in result.stdout
    listing = result.stdout.split("sftp> ls /", 1)[1]
    assert set(listing.split()) == {"/inbox", "/outbox"}, result.stdout


# OpenSSH's client shows the status code, not the server's message (the reasons are checked in
# test_files_names.py, on the same ConfinedFiles): "Permission denied", or for a read that a
# refused stat stops first, "not found".
DENIED, NOT_FOUND = "Permission denied", "not found"


@pytest.mark.parametrize("command, refused", [
    ("get /inbox/../../vendor-a/inbox/up1.csv stolen", NOT_FOUND),
    ("get ../vendor-a/inbox/up1.csv stolen", NOT_FOUND),
    ("get /etc/passwd stolen", NOT_FOUND),
    ("put x.csv /etc/x.csv", DENIED),
    ("put x.csv /inbox/../../x.csv", DENIED),
    ("put x.csv /inbox/sub/x.csv", DENIED),
    ("put x.csv /inbox/NUL", DENIED),
    ("put x.csv /inbox/com1.csv", DENIED),
    ("put x.csv /outbox/x.csv", DENIED),
    ("mkdir /inbox/sub", DENIED),
    ("symlink /inbox/up1.csv /inbox/link.csv", DENIED),
    ("rename /inbox/x /outbox/x", DENIED),
])
def test_every_path_escape_is_refused_with_its_reason(served, tmp_path, command, refused):
    hub, port = served
    (tmp_path / "x.csv").write_text("a\n")
    result = sftp(hub, port, "vendor-b", command + "\n", cwd=tmp_path)
    assert result.returncode != 0
    assert refused in result.stderr, result.stderr
    assert not (tmp_path / "stolen").exists()
    assert not (hub.root / "vendor-b" / "inbox" / "sub").exists()
    assert not os.path.exists("/etc/x.csv")
    assert not (hub.root.parent / "x.csv").exists()
    assert sorted(p.name for p in (hub.root / "vendor-b" / "outbox").iterdir()) == []


def test_a_symbolic_link_placed_in_a_folder_is_not_followed(served, tmp_path):
    hub, port = served
    secret = hub.folder / "secret.txt"
    secret.write_text("not for vendors\n")
    link = hub.root / "vendor-b" / "outbox" / "link.csv"
    link.symlink_to(secret)
    try:
        result = sftp(hub, port, "vendor-b", "get /outbox/link.csv got.csv\n", cwd=tmp_path)
    finally:
        link.unlink()
    assert result.returncode != 0
    assert "not found" in result.stderr, result.stderr
    assert not (tmp_path / "got.csv").exists()


def test_a_wrong_key_is_refused(served, tmp_path):
    hub, port = served
    # vendor-b's key for vendor-a's account: authentication fails, nothing is listed
    result = sftp(hub, port, "vendor-a", "ls /inbox\n", key=hub.keys["vendor-b"], cwd=tmp_path)
    assert result.returncode != 0
    assert "Permission denied" in result.stderr, result.stderr
    result = sftp(hub, port, "nobody", "ls /\n", key=hub.keys["vendor-b"], cwd=tmp_path)
    assert result.returncode != 0


def test_an_upload_over_max_file_bytes_is_refused_and_removed(served, tmp_path):
    hub, port = served
    (tmp_path / "big.csv").write_bytes(b"x" * 10_000)
    result = sftp(hub, port, "vendor-a", "put big.csv /inbox/big.csv.part\n", cwd=tmp_path)
    assert result.returncode != 0
    assert "Failure" in result.stderr, result.stderr
    assert not (hub.root / "vendor-a" / "inbox" / "big.csv.part").exists()


def test_a_delivered_file_can_be_fetched_and_removed(served, tmp_path):
    hub, port = served
    (hub.root / "vendor-c" / "outbox" / "d.csv").write_text("delivered\n")
    result = sftp(hub, port, "vendor-c", "get /outbox/d.csv d.csv\nrm /outbox/d.csv\n",
                  cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d.csv").read_text() == "delivered\n"
    assert not (hub.root / "vendor-c" / "outbox" / "d.csv").exists()


def test_renaming_onto_an_existing_file_is_refused(served, tmp_path):
    hub, port = served
    (tmp_path / "x.csv").write_text("a\n")
    result = sftp(hub, port, "vendor-c", "put x.csv /inbox/one.part\nput x.csv /inbox/two.part\n"
                  "rename /inbox/one.part /inbox/two.part\n", cwd=tmp_path)
    assert result.returncode != 0
    assert (hub.root / "vendor-c" / "inbox" / "one.part").exists()
