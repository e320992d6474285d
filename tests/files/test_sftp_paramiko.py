"""The hub's SFTP server against a Python client (paramiko) over 127.0.0.1: the server's own
reasons reach the client (OpenSSH's sftp shows only the status code), partial uploads stay
temporary, and the whole round trip works the way a vendor's Python adapter would do it."""

from __future__ import annotations

import io

import paramiko
import pytest

from tests.support.polling import wait_until

from .files_data import change_file, name
from .hubs import start, write_config

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    hub = write_config(tmp_path_factory.mktemp("paramiko"), extra="max_file_bytes = 100000\n")
    process, port = start(hub)
    assert port is not None
    yield hub, port
    process.stop()


def client(hub, port: int, user: str, key_of: str | None = None) -> paramiko.SFTPClient:
    transport = paramiko.Transport(("127.0.0.1", port))
    key = paramiko.Ed25519Key.from_private_key_file(str(hub.keys[key_of or user]))
    transport.connect(username=user, pkey=key)
    return paramiko.SFTPClient.from_transport(transport)


@pytest.mark.parametrize("call, reason", [
    (lambda s: s.open("/inbox/../../etc/passwd"), "'..' is not allowed"),
    (lambda s: s.open("/etc/passwd"), "outside your folders"),
    (lambda s: s.open("/outbox/x.csv", "w"), "/outbox is the hub's to write"),
    (lambda s: s.open("/inbox/AUX.csv", "w"), "device name"),
    (lambda s: s.mkdir("/inbox/sub"), "no folders besides /inbox and /outbox"),
    (lambda s: s.symlink("/inbox/a", "/inbox/b"), "symbolic links are not allowed"),
    (lambda s: s.rename("/inbox/a", "/outbox/a"), "within /inbox only"),
    (lambda s: s.listdir("/inbox/.."), "'..' is not allowed"),
])
def test_the_client_gets_the_servers_reason(served, call, reason):
    hub, port = served
    with client(hub, port, "vendor-b") as s:
        with pytest.raises(IOError, match=reason.replace(".", "\\.")):
            call(s)


def test_a_wrong_key_cannot_log_in(served):
    hub, port = served
    with pytest.raises(paramiko.AuthenticationException):
        client(hub, port, "vendor-a", key_of="vendor-c")


def test_an_interrupted_upload_stays_temporary_and_is_never_taken(served):
    hub, port = served
    data = change_file(50)
    transport = paramiko.Transport(("127.0.0.1", port))
    transport.connect(username="vendor-a", pkey=paramiko.Ed25519Key.from_private_key_file(
        str(hub.keys["vendor-a"])))
    s = paramiko.SFTPClient.from_transport(transport)
    f = s.open(f"/inbox/{name('cut')}.part", "w")
    f.write(data[:500])
    f.flush()
    transport.close()  # the connection drops mid-upload: no rename ever comes
    part = hub.root / "vendor-a" / "inbox" / f"{name('cut')}.part"
    wait_until(part.exists, 10, "the partial upload")
    with client(hub, port, "vendor-c") as other:  # a turn runs on other sessions' uploads
        other.putfo(io.BytesIO(b"x"), "/inbox/nothing.part")
    assert part.exists() and not (hub.root / "vendor-b" / "outbox" / name("cut")).exists()
    assert not list((hub.root / "vendor-a" / "outbox").glob(f"{name('cut')}*"))


def test_a_python_adapter_round_trip(served):
    hub, port = served
    data = change_file(20, start=700)
    with client(hub, port, "vendor-a") as s:
        s.putfo(io.BytesIO(data), f"/inbox/{name('py')}.part")
        s.rename(f"/inbox/{name('py')}.part", f"/inbox/{name('py')}")
    with client(hub, port, "vendor-b") as s:
        wait_until(lambda: name("py") in s.listdir("/outbox"), 30, "the delivery to vendor B")
        got = io.BytesIO()
        s.getfo(f"/outbox/{name('py')}", got)
        s.remove(f"/outbox/{name('py')}")
    assert got.getvalue() == data
    with client(hub, port, "vendor-a") as s:
        receipts = [n for n in s.listdir("/outbox") if n.startswith(name("py"))]
        assert len(receipts) == 1 and receipts[0].endswith(".receipt.json")
