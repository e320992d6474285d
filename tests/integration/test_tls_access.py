"""TLS, adapter identity and access rights over real TLS sockets: a hub process with mutual TLS,
adapters identified by their client certificates, providers over https (one with mutual TLS,
one whose certificate comes from another CA). The test makes its own CAs in tmp_path."""

from __future__ import annotations

import json
import socket
import ssl
import uuid

import pytest
import requests
from lxml import etree

from adapters.sdk.consumer import ConsumerClient, tls_session
from bus.core.header import Party
from bus.hub.testca import issue, make_ca, make_test_ca

from tests.support.routing_log import wait_for_hops
from tests.support.soap import fault_detail
from tests.support.soap import inquiry_envelope as envelope

from .processes import python, start_hub

VALID, FOREIGN = "131016", "141003"  # routed to the mTLS provider / to the other-CA provider
JUKI = "urn:pfbus:unit:juki:v1"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    prints = make_test_ca(d, adapters=["vendor-b-tax", "vendor-x", "unregistered"],
                          servers=["provider"])
    other = d / "other"
    other_ca = make_ca(other, cn="another CA")
    issue(other, "stranger", other_ca, client=True)  # a client certificate from another CA
    issue(other, "provider", other_ca, server=True, client=False)
    return {"dir": d, "other": other, "prints": prints}


def _config(pki, provider_ports: dict, extra: str = "") -> str:
    d, p = pki["dir"], pki["prints"]
    return f'''
[hub]
listen = "127.0.0.1:0"
tls = {{ certificate = "{d}/hub.pem", key = "{d}/hub.key", client_ca = "{d}/ca.pem" }}
provider_ca = "{d}/ca.pem"
client_certificate = "{d}/hub.pem"
client_key = "{d}/hub.key"
{extra}
[store]
routing_log = "log.sqlite3"

[[tenants]]
local_gov_code = "{VALID}"
[[tenants]]
local_gov_code = "{FOREIGN}"

[[providers]]
id = "mtls"
url = "https://127.0.0.1:{provider_ports['mtls']}/"
[[providers]]
id = "foreign"
url = "https://127.0.0.1:{provider_ports['foreign']}/"

[[routes]]
local_gov_code = "{VALID}"
service = "juki.ResidentInquiry"
provider = "mtls"
[[routes]]
local_gov_code = "{FOREIGN}"
service = "juki.ResidentInquiry"
provider = "foreign"

[[adapters]]
id = "vendor-b-tax"
certificate_fingerprint = "{p['vendor-b-tax']}"
parties = ["{VALID}/07/vendor-b-tax"]
[[adapters]]
id = "vendor-x"
certificate_fingerprint = "{p['vendor-x']}"
parties = ["{VALID}/07/vendor-x"]

[[access]]
service = "juki.ResidentInquiry"
local_gov_code = "*"
adapters = ["vendor-b-tax"]
right = "call"
'''


@pytest.fixture(scope="module")
def hub(pki, tmp_path_factory):
    d, other = pki["dir"], pki["other"]
    # the mTLS provider requires the hub's client certificate (signed by the test CA)
    mtls = python("-m", "tests.integration.fake_provider", "valid", "--tls",
                  str(d / "provider.pem"), str(d / "provider.key"), str(d / "ca.pem"))
    foreign = python("-m", "tests.integration.fake_provider", "valid", "--tls",
                     str(other / "provider.pem"), str(other / "provider.key"))
    procs = [mtls, foreign]
    try:
        ports = {"mtls": mtls.wait_json(lambda j: "port" in j)["port"],
                 "foreign": foreign.wait_json(lambda j: "port" in j)["port"]}
        work = tmp_path_factory.mktemp("hub")
        config = work / "hub.toml"
        config.write_text(_config(pki, ports), encoding="utf-8")
        process, url = start_hub(config)
        procs.append(process)
        yield {"url": url, "log": work / "log.sqlite3", "process": process, "dir": d,
               "other": other, "ports": ports}
    finally:
        for p in procs:
            p.stop()


def session(hub, name: str | None, where: str = "dir") -> requests.Session:
    base = hub[where]
    if name is None:
        return tls_session(ca=str(hub["dir"] / "ca.pem"))
    return tls_session(str(base / f"{name}.pem"), str(base / f"{name}.key"),
                       str(hub["dir"] / "ca.pem"))


def post(hub, raw: bytes, who: str | None = "vendor-b-tax", where: str = "dir"):
    return session(hub, who, where).post(
        hub["url"] + "/services/juki.ResidentInquiry", data=raw,
        headers={"Content-Type": "text/xml; charset=utf-8",
                 "SOAPAction": '"urn:pfbus:service:juki.ResidentInquiry"'}, timeout=30)


def provider_received(hub, name: str = "mtls") -> int:
    where = hub["dir"] if name == "mtls" else hub["other"]
    ca = where / "ca.pem"
    cert = (str(hub["dir"] / "hub.pem"), str(hub["dir"] / "hub.key"))
    return requests.get(f"https://127.0.0.1:{hub['ports'][name]}/received", cert=cert,
                        verify=str(ca), timeout=5).json()["received"]


def with_sender(system_id: str, receiver: str = VALID) -> tuple[bytes, str]:
    raw, mid = envelope(receiver)
    return raw.replace(b">vendor-b-tax<", f">{system_id}<".encode()), mid


def test_hub_listens_over_tls_only(hub):
    assert hub["url"].startswith("https://127.0.0.1:")
    port = int(hub["url"].rsplit(":", 1)[1])
    # plain HTTP to the TLS port gets no HTTP answer
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(f"http://127.0.0.1:{port}/services/juki.ResidentInquiry", data=b"x",
                      timeout=10)


def test_mutual_tls_exchange_through_an_https_provider_with_mutual_tls(hub):
    before = provider_received(hub)
    raw, mid = envelope()
    response = post(hub, raw)
    assert response.status_code == 200, response.text
    assert provider_received(hub) == before + 1
    replied = [h for h in wait_for_hops(hub["log"], message_id=mid, count=4) if h.hop == "replied"]
    assert replied and replied[0].status == "ok"


def test_consumer_sdk_uses_a_client_certificate(hub):
    client = ConsumerClient(hub["url"], Party(VALID, "07", "vendor-b-tax"), "tax-clerk-01",
                            session=session(hub, "vendor-b-tax"))
    body = etree.fromstring(f'<j:ResidentInquiryRequest xmlns:j="{JUKI}"><j:AddresseeNumber>'
                            f'0000010014</j:AddresseeNumber></j:ResidentInquiryRequest>')
    reply = client.call("juki.ResidentInquiry", Party(VALID, "01", "vendor-a-juki"), body,
                        message_id=(mid := str(uuid.uuid4())))
    assert reply.header.relates_to == mid  # verified by the SDK too: bound to the request


@pytest.mark.parametrize("who,where", [(None, "dir"), ("unregistered", "dir"),
                                       ("stranger", "other")])
def test_client_without_registered_certificate_is_refused_at_the_handshake(hub, who, where):
    """No certificate, a certificate of the client CA not registered as an adapter, a
    certificate from another CA: the TLS handshake fails; nothing reaches the provider."""
    before = provider_received(hub)
    raw, _ = envelope()
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        post(hub, raw, who, where)
    assert provider_received(hub) == before


def test_refusals_are_reported_by_the_hub(hub):
    raw, _ = envelope()
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        post(hub, raw, "unregistered")
    event = hub["process"].wait_json(lambda d: d.get("event") == "hub.tls_refused", 10)
    assert "reason" in event


def test_adapter_without_the_right_is_denied_and_logged(hub):
    before = provider_received(hub)
    raw, mid = with_sender("vendor-x")
    response = post(hub, raw, "vendor-x")
    assert response.status_code == 500
    detail = fault_detail(response)
    assert detail["code"] == "PF-ACCESS-DENIED" and detail["party"] == "client"
    assert detail["findings"][0]["Rule"] == "access:call"
    assert provider_received(hub) == before
    rows = wait_for_hops(hub["log"], message_id=mid, fault_code="PF-ACCESS-DENIED", count=2)
    assert {h.hop for h in rows} >= {"rejected", "replied"}
    assert rows[0].rule == "access:call" and rows[0].sender == f"{VALID}/07/vendor-x"


def test_sending_as_another_adapters_party_is_refused(hub):
    before = provider_received(hub)
    raw, mid = envelope()  # Sender 131016/07/vendor-b-tax, but vendor-x's certificate
    response = post(hub, raw, "vendor-x")
    detail = fault_detail(response)
    assert detail["code"] == "PF-SENDER-SPOOFED"
    assert detail["findings"][0]["Rule"] == "access:sender"
    assert provider_received(hub) == before
    assert wait_for_hops(hub["log"], message_id=mid, fault_code="PF-SENDER-SPOOFED", count=1)


def test_provider_with_a_certificate_from_another_ca_is_not_trusted(hub):
    before = provider_received(hub, "foreign")
    raw, mid = envelope(FOREIGN)
    response = post(hub, raw)
    detail = fault_detail(response)
    assert detail["code"] == "PF-PROVIDER-UNREACHABLE" and detail["party"] == "provider"
    assert detail["findings"][0]["Rule"] == "provider:tls"
    assert provider_received(hub, "foreign") == before


def test_health_and_wsdl_are_served_over_tls(hub):
    s = session(hub, "vendor-b-tax")
    assert s.get(hub["url"] + "/health", timeout=10).status_code == 200
    wsdl = s.get(hub["url"] + "/services/juki.ResidentInquiry?wsdl", timeout=10)
    assert wsdl.status_code == 200 and hub["url"].encode() in wsdl.content


def test_without_tls_or_allow_plain_http_the_hub_does_not_start(tmp_path):
    config = tmp_path / "hub.toml"
    config.write_text('[hub]\nlisten = "127.0.0.1:0"\n[store]\nrouting_log = "log.sqlite3"\n',
                      encoding="utf-8")
    hub = python("-m", "bus.cli.main", "serve", "--config", str(config))
    assert hub.popen.wait(30) == 2
    event = hub.wait_json(lambda d: d.get("event") == "hub.config_error", 5)
    assert "hub.tls" in event["error"] and "allow_plain_http" in event["error"]


def test_plain_http_when_allowed_warns_at_start(tmp_path):
    config = tmp_path / "hub.toml"
    config.write_text('[hub]\nlisten = "127.0.0.1:0"\nallow_plain_http = true\n'
                      '[store]\nrouting_log = "log.sqlite3"\n', encoding="utf-8")
    hub, url = start_hub(config)
    try:
        assert url.startswith("http://")
        warning = next(json.loads(line) for line in hub.output
                       if '"hub.plain_http_warning"' in line)
        assert "development" in warning["warning"]
    finally:
        hub.stop()


def test_tls_hub_without_access_rights_does_not_start(tmp_path, pki):
    d = pki["dir"]
    config = tmp_path / "hub.toml"
    config.write_text(f'[hub]\nlisten = "127.0.0.1:0"\ntls = {{ certificate = "{d}/hub.pem", '
                      f'key = "{d}/hub.key" }}\n[store]\nrouting_log = "log.sqlite3"\n',
                      encoding="utf-8")
    hub = python("-m", "bus.cli.main", "serve", "--config", str(config))
    assert hub.popen.wait(30) == 2
    assert "access: a hub listening over TLS" in "".join(hub.output)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_server_speaks_tls12_or_newer_only(hub):
    port = int(hub["url"].rsplit(":", 1)[1])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with pytest.raises((ssl.SSLError, ConnectionError)):
            with ctx.wrap_socket(sock) as tls:
                tls.do_handshake()


def _rights_config(extra_hub: str, pki) -> str:
    p = pki["prints"]
    return f'''[hub]
listen = "127.0.0.1:0"
{extra_hub}
[store]
routing_log = "log.sqlite3"
[[tenants]]
local_gov_code = "{VALID}"
[[adapters]]
id = "vendor-b-tax"
certificate_fingerprint = "{p['vendor-b-tax']}"
parties = ["{VALID}/07/vendor-b-tax"]
[[adapters]]
id = "vendor-x"
certificate_fingerprint = "{p['vendor-x']}"
parties = ["{VALID}/07/vendor-x"]
[[access]]
service = "juki.ResidentInquiry"
local_gov_code = "{VALID}"
adapters = ["vendor-b-tax"]
right = "call"
'''


def test_optional_client_certificate_serves_get_but_denies_anonymous_posts(tmp_path, pki):
    d = pki["dir"]
    config = tmp_path / "hub.toml"
    config.write_text(_rights_config(
        f'tls = {{ certificate = "{d}/hub.pem", key = "{d}/hub.key", client_ca = "{d}/ca.pem", '
        f'require_client_certificate = false }}', pki), encoding="utf-8")
    process, url = start_hub(config)
    try:
        hub = {"url": url, "dir": d, "log": tmp_path / "log.sqlite3"}
        anonymous = session(hub, None)
        assert anonymous.get(url + "/health", timeout=10).status_code == 200
        raw, mid = envelope()
        detail = fault_detail(post(hub, raw, None))
        assert (detail["code"], detail["findings"][0]["Rule"]) == ("PF-ACCESS-DENIED",
                                                                   "access:authenticated")
        assert wait_for_hops(hub["log"], message_id=mid, fault_code="PF-ACCESS-DENIED", count=1)
        # with its certificate the same adapter passes access control (no route here: 404 fault)
        raw, _ = envelope()
        assert fault_detail(post(hub, raw))["code"] == "PF-ROUTE-NOT-FOUND"
    finally:
        process.stop()


def test_plain_http_with_access_rights_checks_the_claimed_sender(tmp_path, pki):
    config = tmp_path / "hub.toml"
    config.write_text(_rights_config("allow_plain_http = true", pki), encoding="utf-8")
    process, url = start_hub(config)
    try:
        warning = next(json.loads(line) for line in process.output
                       if '"hub.plain_http_warning"' in line)  # printed before listening
        assert "spoof" in warning["warning"]
        hub = {"url": url, "log": tmp_path / "log.sqlite3"}
        raw, _ = with_sender("vendor-x")
        response = requests.post(url + "/services/juki.ResidentInquiry", data=raw, timeout=30,
                                 headers={"Content-Type": "text/xml; charset=utf-8"})
        detail = fault_detail(response)
        assert (detail["code"], detail["findings"][0]["Rule"]) == ("PF-ACCESS-DENIED",
                                                                   "access:call")
        raw, _ = envelope()  # claims vendor-b-tax's party: allowed (nothing can tell)
        response = requests.post(url + "/services/juki.ResidentInquiry", data=raw, timeout=30,
                                 headers={"Content-Type": "text/xml; charset=utf-8"})
        assert fault_detail(response)["code"] == "PF-ROUTE-NOT-FOUND"
        assert wait_for_hops(hub["log"], fault_code="PF-ACCESS-DENIED", count=1)
    finally:
        process.stop()


def test_every_refusal_record_names_who_actually_sent_it(hub):
    """Spoofing, access and invalid-header rows carry the authenticated adapter (TLS peer) and
    the caller's address besides what the header claims (issue 10 item 3)."""
    raw, spoofed = envelope()  # claims 131016/07/vendor-b-tax, sent with vendor-x's certificate
    post(hub, raw, "vendor-x")
    raw, denied = with_sender("vendor-x")
    post(hub, raw, "vendor-x")
    raw, invalid = envelope()
    post(hub, raw.replace(b"+09:00</", b"Z</"), "vendor-b-tax")  # SentAt without +09:00
    for mid, code, count in ((spoofed, "PF-SENDER-SPOOFED", 2), (denied, "PF-ACCESS-DENIED", 2),
                             (invalid, None, 3)):
        rows = wait_for_hops(hub["log"], message_id=mid, count=count)
        assert len(rows) >= count and any(r.fault_code for r in rows), rows
        assert code is None or {r.fault_code for r in rows if r.fault_code} == {code}
        for row in rows:
            assert row.peer == ("vendor-b-tax" if mid == invalid else "vendor-x")
            host, _, port = (row.remote or "").rpartition(":")
            assert host == "127.0.0.1" and port.isdigit(), row.remote
    spoof = wait_for_hops(hub["log"], message_id=spoofed, count=2)
    # the claim, next to the truth (the "received" row is written before the header is read)
    assert {r.sender for r in spoof if r.hop != "received"} == {f"{VALID}/07/vendor-b-tax"}
    # rejected for an invalid header: the message ID and sender that could be read are kept
    rows = wait_for_hops(hub["log"], message_id=invalid, count=3)
    rejected = [r for r in rows if r.hop == "rejected"]
    assert rejected and rejected[0].fault_code == "PF-HEADER-INVALID"
    assert {r.sender for r in rows if r.hop != "received"} == {f"{VALID}/07/vendor-b-tax"}
