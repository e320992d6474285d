"""Console login by mutual TLS (issue 12: "login by a token from a file or mutual TLS"): a real
hub process, its admin listener over TLS with ``client_ca`` and ``client_roles``; real client
certificates from a test CA. A certificate whose CN has a role opens a session with that role;
any other certificate, or none, gets the login page; a certificate of another CA is refused in
the handshake. The role decides: a viewer's change is refused, an operator's is done and
recorded with the certificate's name."""

from __future__ import annotations

import re

import pytest
import requests

from bus.hub.testca import issue, make_ca, make_test_ca

from tests.support.routing_log import wait_for_hops

from .processes import python

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console-mtls")
    pki = tmp / "pki"
    make_test_ca(pki, adapters=("ops-alice", "viewer-bob", "stranger"))
    make_ca(tmp / "other", cn="another CA")
    issue(tmp / "other", "ops-alice", make_ca(tmp / "other2", cn="yet another CA"))
    (tmp / "hub.toml").write_text("\n".join([
        '[hub]', 'listen = "127.0.0.1:0"', 'allow_plain_http = true', '',
        '[admin]', 'listen = "127.0.0.1:0"',
        f'tls = {{ certificate = "{pki}/hub.pem", key = "{pki}/hub.key", '
        f'client_ca = "{pki}/ca.pem" }}',
        'client_roles = { "ops-alice" = "operator", "viewer-bob" = "viewer" }', '',
        '[store]', 'routing_log = "routing.sqlite3"', 'notices = "sqlite:notices.sqlite3"', '',
        '[[tenants]]', 'local_gov_code = "131016"', 'name = "千代田区"', '']),
        encoding="utf-8")
    hub = python("-m", "bus.cli.main", "serve", "--config", str(tmp / "hub.toml"))
    try:
        hub.wait_for("hub.listening")
        admin_url = hub.wait_for("admin.listening")["url"]
        yield admin_url, pki, tmp
    finally:
        hub.stop()


def session(pki, name: str | None, cert_dir=None) -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # else REQUESTS_CA_BUNDLE in the environment overrides ``verify``
    s.verify = str(pki / "ca.pem")
    if name:
        d = cert_dir or pki
        s.cert = (str(d / f"{name}.pem"), str(d / f"{name}.key"))
    return s


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_a_certificate_with_a_role_opens_a_session_with_that_role(console):
    url, pki, _ = console
    s = session(pki, "ops-alice")
    page = s.get(url + "/", timeout=10)
    assert page.status_code == 200 and "cert:ops-alice (operator)" in page.text
    assert s.get(url + "/queues", timeout=10).status_code == 200
    viewer = session(pki, "viewer-bob").get(url + "/", timeout=10)
    assert viewer.status_code == 200 and "cert:viewer-bob (viewer)" in viewer.text


@pytest.mark.parametrize("name", ["stranger", None])
def test_no_role_or_no_certificate_gets_the_login_page(console, name):
    url, pki, _ = console
    page = session(pki, name).get(url + "/", timeout=10, allow_redirects=True)
    assert "cert:" not in page.text
    assert page.url.endswith("/login") and "<form" in page.text


def test_a_certificate_of_another_ca_is_refused_in_the_handshake(console):
    url, pki, tmp = console
    with pytest.raises(requests.exceptions.SSLError):
        session(pki, "ops-alice", cert_dir=tmp / "other").get(url + "/", timeout=10)


def test_the_role_decides_what_a_certificate_may_change(console):
    url, pki, tmp = console
    bob = session(pki, "viewer-bob")
    form = {"action": "maintenance", "target": "hub:on", "reason": "test",
            "csrf": csrf(bob.get(url + "/", timeout=10).text)}
    refused = bob.post(url + "/controls", data=form, timeout=10, headers={"Origin": url})
    assert refused.status_code == 403 and "viewer role" in refused.text
    alice = session(pki, "ops-alice")
    form["csrf"] = csrf(alice.get(url + "/", timeout=10).text)
    done = alice.post(url + "/controls", data=form, timeout=10, headers={"Origin": url})
    assert done.status_code == 200 and 'id="maintenance-banner"' in done.text
    form.update(target="hub:off", csrf=csrf(done.text))
    assert alice.post(url + "/controls", data=form, timeout=10,
                      headers={"Origin": url}).status_code == 200
    records = wait_for_hops(tmp / "routing.sqlite3", count=2, where=lambda h: h.hop ==
                            "maintenance")
    assert [r.reason.split(":")[0] for r in records] == ["by cert"] * 2
    assert all(r.reason.startswith("by cert:ops-alice: maintenance") for r in records)
