"""A hub process with small limits and one counting provider, for the security tests.

``start(tmp, tls=True)`` runs the same hub over mutual TLS: a test CA in ``tmp/pki``, the hub's
server certificate, one client certificate per adapter in ``ADAPTERS`` (registered as
``[[adapters]]`` with their fingerprints, each allowed to ``call`` juki.ResidentInquiry for the
tenants). The provider stays plain HTTP on loopback. ``post``, ``session`` and ``raw_exchange``
speak TLS with the adapter's certificate when the hub does."""

from __future__ import annotations

import socket
import ssl
import time
from pathlib import Path

import requests
from lxml import etree

from adapters.sdk.consumer import tls_session
from bus.core.faults import FAULT_NS
from bus.hub.testca import make_test_ca

from tests.support.routing_log import wait_for_hops
from tests.support.soap import CHIYODA, SOAP11, SOAP12

from ..integration.processes import python, start_hub

MAX_BYTES = 65536
READ_TIMEOUT = 2.0
CTYPE = {SOAP11: "text/xml; charset=utf-8", SOAP12: "application/soap+xml; charset=utf-8"}
FAULT_SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "platform" / "fault-v1.xsd"
ADAPTERS = ("vendor-b-tax", "flooder-sys")  # TLS mode: one client certificate each
MODES = ("plain", "tls")


def _tls_lines(pki: Path, tenants: tuple[str, ...]) -> tuple[str, list[str]]:
    prints = make_test_ca(pki, adapters=list(ADAPTERS))
    hub = (f'tls = {{ certificate = "{pki}/hub.pem", key = "{pki}/hub.key", '
           f'client_ca = "{pki}/ca.pem" }}\n')
    lines = []
    for name in ADAPTERS:
        parties = ", ".join(f'"{code}/07/{name}"' for code in tenants)
        lines.append(f'[[adapters]]\nid = "{name}"\n'
                     f'certificate_fingerprint = "{prints[name]}"\nparties = [{parties}]\n')
    for code in tenants:
        adapters = ", ".join(f'"{name}"' for name in ADAPTERS)
        lines.append(f'[[access]]\nservice = "juki.ResidentInquiry"\nlocal_gov_code = "{code}"\n'
                     f'adapters = [{adapters}]\nright = "call"\n')
    return hub, lines


def start(tmp: Path, extra_hub: str = "", tenants: tuple[str, ...] = (CHIYODA,), tls: bool = False):
    """Start a provider ("valid" mode, counts requests) and a hub routing ``tenants`` to it;
    with ``tls``, the hub listens over mutual TLS and knows the adapters in ``ADAPTERS``."""
    provider = python("-m", "tests.integration.fake_provider", "valid")
    port = provider.wait_json(lambda d: "port" in d)["port"]
    pki = tmp / "pki"
    tls_hub, tls_lines = _tls_lines(pki, tenants) if tls else ("allow_plain_http = true\n", [])
    lines = [f'[hub]\nlisten = "127.0.0.1:0"\n{tls_hub}'
             f'max_message_bytes = {MAX_BYTES}\n'
             f'read_timeout = {READ_TIMEOUT}\n{extra_hub}\n',
             '[store]\nrouting_log = "log.sqlite3"\n',
             f'[[providers]]\nid = "valid"\nurl = "http://127.0.0.1:{port}/"\n']
    for code in tenants:
        lines.append(f'[[tenants]]\nlocal_gov_code = "{code}"\n')
        lines.append(f'[[routes]]\nlocal_gov_code = "{code}"\nservice = "juki.ResidentInquiry"\n'
                     f'provider = "valid"\n')
    lines.extend(tls_lines)
    config = tmp / "hub.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    try:
        hub, url = start_hub(config)
    except BaseException:
        provider.stop()
        raise
    assert url.startswith("https://" if tls else "http://"), url
    host, _, hub_port = url.partition("://")[2].partition(":")
    return {"url": url, "host": host, "port": int(hub_port), "provider_port": port,
            "log": tmp / "log.sqlite3", "processes": (hub, provider),
            "pki": pki if tls else None}


def client_files(hub, who: str = "vendor-b-tax") -> dict | None:
    """For a TLS hub: the adapter's certificate, key and the CA (file names); None over HTTP."""
    if hub["pki"] is None:
        return None
    pki = hub["pki"]
    return {"cert": str(pki / f"{who}.pem"), "key": str(pki / f"{who}.key"),
            "ca": str(pki / "ca.pem")}


def session(hub, who: str = "vendor-b-tax") -> requests.Session:
    """A requests session to the hub: with ``who``'s client certificate over TLS."""
    files = client_files(hub, who)
    if files is None:
        return requests.Session()
    return tls_session(files["cert"], files["key"], files["ca"])


def stop(hub) -> None:
    for p in hub["processes"]:
        p.stop()


def received(hub) -> int:
    return requests.get(f"http://127.0.0.1:{hub['provider_port']}/received", timeout=5).json()[
        "received"]


def post(hub, raw: bytes, soap: str = SOAP11, headers: dict | None = None,
         path: str = "/services/juki.ResidentInquiry", timeout: float = 30):
    with session(hub) as s:
        return s.post(hub["url"] + path, data=raw,
                      headers={"Content-Type": CTYPE[soap], **(headers or {})},
                      timeout=timeout)


def fault_of(body: bytes) -> dict:
    """The fault's code and first rule; asserts the fault envelope is schema-valid."""
    root = etree.fromstring(body)
    detail = root.find(f".//{{{FAULT_NS}}}FaultDetail")
    assert detail is not None, body[:500]
    assert schema().validate(detail), schema().error_log
    return {"code": detail.findtext(f"{{{FAULT_NS}}}Code"),
            "rule": detail.findtext(f"{{{FAULT_NS}}}Finding/{{{FAULT_NS}}}Rule")}


_schema = None


def schema() -> etree.XMLSchema:
    global _schema
    if _schema is None:
        _schema = etree.XMLSchema(etree.parse(str(FAULT_SCHEMA)))
    return _schema


def raw_exchange(hub, head: bytes, body_parts=(), pause: float = 0.0, read_timeout: float = 10.0
                 ) -> tuple[bytes, int]:
    """Send ``head`` then each of ``body_parts`` (``pause`` s apart, stopping once the hub has
    answered); return what the hub answered and how many body bytes were sent before it did.
    Over TLS (a TLS hub), with vendor-b-tax's client certificate."""
    with _connect(hub, read_timeout) as s:
        if head:
            s.sendall(head)
        sent = 0
        s.setblocking(False)
        answer = b""
        for part in body_parts:
            try:
                answer += s.recv(65536)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            if answer:
                break
            try:
                s.sendall(part)
            except OSError:
                break
            sent += len(part)
            time.sleep(pause)
        s.setblocking(True)
        s.settimeout(read_timeout)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except (ConnectionResetError, TimeoutError, socket.timeout, ssl.SSLEOFError,
                ssl.SSLZeroReturnError):
            pass
        return answer, sent


def _connect(hub, timeout: float) -> socket.socket:
    sock = socket.create_connection((hub["host"], hub["port"]), timeout=timeout)
    files = client_files(hub)
    if files is None:
        return sock
    context = ssl.create_default_context(cafile=files["ca"])
    context.load_cert_chain(files["cert"], files["key"])
    try:
        return context.wrap_socket(sock, server_hostname=hub["host"])
    except BaseException:
        sock.close()
        raise


def split_http(answer: bytes) -> tuple[int, bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def log_rows(hub, fault_code: str | None = None, wait_for: int = 0, timeout: float = 10.0):
    return wait_for_hops(hub["log"], fault_code=fault_code, count=wait_for, timeout=timeout)
