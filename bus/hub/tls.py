"""TLS at the hub's edges (pyOpenSSL through twisted.internet.ssl).

- ``server_options``: the listening side — the hub's certificate, and with ``client_ca`` mutual
  TLS: a client certificate must chain to that CA *and* be registered as an ``[[adapters]]``
  entry (fingerprint or subject CN), else the handshake is refused;
- ``certificate_identity``: (SHA-256 fingerprint, subject CN) of the peer of a connection, which
  ``AccessPolicy.identify`` turns into the adapter ID (``peer``);
- ``ProviderTLSPolicy``: the ``IPolicyForHTTPS`` of the forwarder — https:// providers verified
  against ``[hub] provider_ca`` (default: the system's trust store), hostname checked, and the
  hub's own client certificate presented when configured.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from OpenSSL import SSL, crypto
from twisted.internet import ssl
from twisted.web.client import BrowserLikePolicyForHTTPS
from twisted.web.iweb import IPolicyForHTTPS
from zope.interface import implementer

from ..core.access import AccessPolicy
from ..core.config import HubConfig


def _certificates(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def fingerprint_of(cert: x509.Certificate) -> str:
    """64 lowercase hex digits: SHA-256 of the DER certificate."""
    return cert.fingerprint(hashes.SHA256()).hex()


def subject_cn(cert: x509.Certificate) -> str | None:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


def certificate_identity(transport) -> tuple[str, str] | None:
    """(fingerprint, subject CN) of the verified client certificate of a TLS connection; None on
    plain TCP or when the client presented none."""
    get = getattr(transport, "getPeerCertificate", None)
    if get is None:
        return None
    try:
        peer = get()
    except Exception:  # not a TLS transport after all, or the connection is gone
        return None
    if peer is None:
        return None
    cert = peer.to_cryptography()
    return fingerprint_of(cert), subject_cn(cert) or ""


class _ServerOptions(ssl.CertificateOptions):
    """CertificateOptions whose peer verification also requires a registered adapter."""

    def __init__(self, *args, registered: Callable[[x509.Certificate], bool],
                 require: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self._registered = registered
        self._require = require

    _verifying = False

    def getContext(self):
        ctx = super().getContext()  # created once, then cached: set the callback only once
        if not self._verifying:
            mode = SSL.VERIFY_PEER | (SSL.VERIFY_FAIL_IF_NO_PEER_CERT if self._require else 0)
            ctx.set_verify(mode, self._verify)
            self._verifying = True
        return ctx

    def _verify(self, conn, cert: crypto.X509, errno: int, depth: int, ok: int) -> bool:
        # The reason rides on the connection; the HTTP channel reports it with the peer's
        # address when the handshake fails (bus/hub/http.py, aggregated per peer).
        if not ok:
            conn.pfbus_refusal = f"certificate not signed by the client CA (error {errno})"
            return False
        if depth == 0 and not self._registered(cert.to_cryptography()):
            conn.pfbus_refusal = ("certificate chains to the client CA but is not registered "
                                  "as an [[adapters]] entry")
            return False
        return True


def server_options(config: HubConfig, access: AccessPolicy | None) -> ssl.CertificateOptions:
    tls = config.tls
    assert tls is not None  # called only when [hub] tls is configured
    chain = _certificates(tls.certificate)
    key = crypto.load_privatekey(crypto.FILETYPE_PEM, tls.key.read_bytes())
    kwargs = dict(privateKey=key, certificate=crypto.X509.from_cryptography(chain[0]),
                  extraCertChain=[crypto.X509.from_cryptography(c) for c in chain[1:]],
                  raiseMinimumTo=ssl.TLSVersion.TLSv1_2)
    if tls.client_ca is None:
        return ssl.CertificateOptions(**kwargs)
    cas = [crypto.X509.from_cryptography(c) for c in _certificates(tls.client_ca)]

    def registered(cert: x509.Certificate) -> bool:
        return access is not None and access.identify(fingerprint_of(cert),
                                                      subject_cn(cert)) is not None

    return _ServerOptions(**kwargs, verify=True, caCerts=cas,
                          requireCertificate=tls.require_client_certificate,
                          registered=registered, require=tls.require_client_certificate)


@implementer(IPolicyForHTTPS)
class ProviderTLSPolicy:
    """Verify https:// providers against ``provider_ca`` (else the platform's trust) and present
    the hub's client certificate, when configured, for mutual TLS."""

    def __init__(self, provider_ca: Path | None = None, client_certificate: Path | None = None,
                 client_key: Path | None = None):
        self._trust = (ssl.trustRootFromCertificates(
            [ssl.Certificate(crypto.X509.from_cryptography(c)) for c in
             _certificates(provider_ca)]) if provider_ca else None)
        self._client = None
        if client_certificate is not None:
            assert client_key is not None  # the configuration requires both or neither
            self._client = ssl.PrivateCertificate.loadPEM(
                client_certificate.read_bytes() + b"\n" + client_key.read_bytes())
        self._default = BrowserLikePolicyForHTTPS(trustRoot=self._trust)

    def creatorForNetloc(self, hostname: bytes, port: int):
        if self._client is None:
            return self._default.creatorForNetloc(hostname, port)
        return ssl.optionsForClientTLS(hostname.decode("ascii"), trustRoot=self._trust,
                                       clientCertificate=self._client)
