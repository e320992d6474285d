"""Refused TLS handshakes of every kind are reported with the peer's address, aggregated under a
flood: a real hub process over mutual TLS (tests/security/hubkit.py), real client sockets."""

from __future__ import annotations

import json
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from bus.hub.testca import issue, make_ca

from . import hubkit

pytestmark = pytest.mark.integration


@pytest.fixture
def hub(tmp_path):
    h = hubkit.start(tmp_path, tls=True)
    pki = h["pki"]
    ca = (x509.load_pem_x509_certificate((pki / "ca.pem").read_bytes()),
          serialization.load_pem_private_key((pki / "ca.key").read_bytes(), None))
    issue(pki, "unregistered", ca)  # the hub's client CA, but no [[adapters]] entry
    issue(tmp_path / "other", "stranger", make_ca(tmp_path / "other", cn="another CA"))
    yield h
    hubkit.stop(h)


def handshake(hub, cert: str | None = None, key: str | None = None,
              version: ssl.TLSVersion | None = None) -> None:
    """Connect, shake hands and send a GET; the hub refuses somewhere on the way."""
    ctx = ssl.create_default_context(cafile=str(hub["pki"] / "ca.pem"))
    if cert:
        ctx.load_cert_chain(cert, key)
    if version is not None:
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        ctx.minimum_version = ctx.maximum_version = version
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    with socket.create_connection((hub["host"], hub["port"]), timeout=10) as sock:
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with ctx.wrap_socket(sock, server_hostname=hub["host"]) as tls:
                tls.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                if not tls.recv(100):  # TLS 1.3: the refusal arrives after the client's flight
                    raise ConnectionError("closed")


def refusals(hub, timeout: float = 10.0, count: int = 1) -> list[dict]:
    process = hub["processes"][0]
    for _ in range(count):
        process.wait_for("hub.tls_refused", timeout)
    return [json.loads(line) for line in process.output
            if line.startswith("{") and '"hub.tls_refused"' in line]


def test_a_client_without_a_certificate_leaves_one_line_with_its_address(hub):
    handshake(hub)
    lines = refusals(hub)
    assert len(lines) == 1, lines
    assert lines[0]["peer"] == "127.0.0.1" and lines[0]["count"] == 1
    assert "certificate" in lines[0]["reason"], lines[0]


@pytest.mark.parametrize("who,reason", [
    ("unregistered", "not registered as an [[adapters]] entry"),
    ("stranger", "not signed by the client CA"),
])
def test_unknown_or_unregistered_certificates_are_reported(hub, who, reason):
    folder = hub["pki"] if who == "unregistered" else hub["pki"].parent / "other"
    handshake(hub, str(folder / f"{who}.pem"), str(folder / f"{who}.key"))
    line = refusals(hub)[0]
    assert line["peer"] == "127.0.0.1" and reason in line["reason"], line


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_an_old_protocol_version_is_reported(hub):
    handshake(hub, version=ssl.TLSVersion.TLSv1_1)
    line = refusals(hub)[0]
    assert line["peer"] == "127.0.0.1" and line["reason"], line


def test_a_flood_of_refused_handshakes_is_aggregated(hub):
    for _ in range(40):
        handshake(hub)
    assert hubkit.session(hub).get(hub["url"] + "/health", timeout=10).status_code == 200
    hubkit.stop(hub)  # the hub writes what it still counted as it stops
    lines = refusals(hub)
    assert 1 <= len(lines) <= 2, lines  # the first at once, then one line with the count
    assert sum(line["count"] for line in lines) == 40
    assert all(line["peer"] == "127.0.0.1" for line in lines)
