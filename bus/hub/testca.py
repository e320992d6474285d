"""A throwaway certificate authority for tests and development (never for production).

``make_test_ca(DIR, adapters=[…], servers=[…])`` writes, as PEM:

- ``ca.pem`` / ``ca.key`` — the CA (use it as ``[hub] tls.client_ca`` and ``[hub] provider_ca``);
- ``hub.pem`` / ``hub.key`` — the hub's server certificate (SAN ``localhost``, ``127.0.0.1``),
  which also serves as its client certificate towards providers (both key usages);
- ``<name>.pem`` / ``<name>.key`` — one client certificate per adapter (CN = name) and one
  server certificate per provider name in ``servers``.

Returns {name: SHA-256 fingerprint} for ``[[adapters]] certificate_fingerprint``.
``pfbus certs make-test-ca DIR`` is the same from the command line.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..core.access import format_fingerprint

_HOSTS = ("localhost", "127.0.0.1")


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pfbus test CA"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(directory: Path, name: str, cert: x509.Certificate, key) -> None:
    (directory / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    path = directory / f"{name}.key"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _issue(cn: str, ca_cert, ca_key, *, server: bool, client: bool, days: int):
    key = _key()
    now = dt.datetime.now(dt.timezone.utc)
    usages = ([ExtendedKeyUsageOID.SERVER_AUTH] if server else []) + \
             ([ExtendedKeyUsageOID.CLIENT_AUTH] if client else [])
    builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage(usages), critical=False))
    if server:
        names = [x509.DNSName(h) if not h[0].isdigit() else x509.IPAddress(ipaddress.ip_address(h))
                 for h in _HOSTS]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def make_ca(directory: Path, name: str = "ca", cn: str = "pfbus test CA", days: int = 30):
    """A self-signed CA written as ``<name>.pem`` / ``<name>.key``; returns (cert, key)."""
    directory.mkdir(parents=True, exist_ok=True)
    key = _key()
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    _write(directory, name, cert, key)
    return cert, key


def issue(directory: Path, name: str, ca, *, server: bool = False, client: bool = True,
          days: int = 30) -> str:
    """Write ``<name>.pem`` / ``<name>.key`` signed by ``ca`` (cert, key); returns its
    fingerprint in config form (``SHA256:AB:…``)."""
    cert, key = _issue(name, ca[0], ca[1], server=server, client=client, days=days)
    _write(directory, name, cert, key)
    return format_fingerprint(cert.fingerprint(hashes.SHA256()).hex())


def make_test_ca(directory: str | Path, adapters: Sequence[str] = (),
                 servers: Sequence[str] = (), days: int = 30) -> dict[str, str]:
    directory = Path(directory)
    ca = make_ca(directory, days=days)
    prints = {"hub": issue(directory, "hub", ca, server=True, client=True, days=days)}
    for name in adapters:
        prints[name] = issue(directory, name, ca, client=True, days=days)
    for name in servers:
        prints[name] = issue(directory, name, ca, server=True, client=False, days=days)
    return prints
