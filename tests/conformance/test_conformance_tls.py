"""The TLS client options: a product behind HTTPS that requires a client certificate (the
platform's default between systems), certificates made here with the openssl command."""

from __future__ import annotations

import shutil
import ssl
import subprocess

import pytest

from conformance.model import Suite
from conformance.runner import RunOptions, run_profile
from conformance.transport import TlsOptions

from .proxy import TamperProxy
from .references import JUKI_PROFILE, References

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")]


def openssl(*args: str, cwd) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, both signed by it."""
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "2", "-subj", "/CN=conformance test CA", cwd=d)
    (d / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n", "utf-8")
    for name, extra in (("server", ["-extfile", "san.cnf"]), ("client", [])):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", *extra, cwd=d)
    return d


@pytest.fixture(scope="module")
def https_product(pki):
    refs = References()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / "server.pem", pki / "server.key")
    context.load_verify_locations(pki / "ca.pem")
    context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS
    proxy = TamperProxy(refs.url(JUKI_PROFILE), tls=context)
    yield proxy.url
    proxy.close()
    refs.close()


def run(url, tls):
    return run_profile(RunOptions(JUKI_PROFILE, target=url, tls=tls, cases=("P-SOAP",)),
                       Suite.load())


def test_mutual_tls_with_the_ca_and_a_client_certificate(pki, https_product):
    assert https_product.startswith("https://127.0.0.1:")
    result = run(https_product, TlsOptions(str(pki / "ca.pem"), str(pki / "client.pem"),
                                           str(pki / "client.key")))
    # every P-SOAP case on both services; how many there are is the suite's business
    assert len(result.results) >= 6
    assert {r.verdict for r in result.results} == {"pass"}
    assert result.environment["tls"] == {"ca_file": str(pki / "ca.pem"),
                                         "client_certificate": True, "verify": True}


def test_without_a_client_certificate_the_product_is_unreachable(pki, https_product):
    result = run(https_product, TlsOptions(str(pki / "ca.pem")))
    assert {r.verdict for r in result.results} == {"fail"}
    assert "transport failure" in str(result.results[0].findings[0])


def test_an_unknown_server_certificate_is_refused(pki, https_product):
    result = run(https_product, TlsOptions(cert_file=str(pki / "client.pem"),
                                           key_file=str(pki / "client.key")))
    assert "CERTIFICATE_VERIFY_FAILED" in str(result.results[0].findings[0])
