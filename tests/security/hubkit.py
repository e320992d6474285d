"""A hub process with small limits and one counting provider, for the security tests."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import requests
from lxml import etree

from bus.core.faults import FAULT_NS
from bus.store.routing_log import open_readonly

from ..integration.processes import python, start_hub
from ..integration.test_hub_faults import SOAP11, SOAP12, VALID, envelope  # noqa: F401

MAX_BYTES = 65536
READ_TIMEOUT = 2.0
CTYPE = {SOAP11: "text/xml; charset=utf-8", SOAP12: "application/soap+xml; charset=utf-8"}
FAULT_SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "platform" / "fault-v1.xsd"


def start(tmp: Path, extra_hub: str = "", tenants: tuple[str, ...] = (VALID,)):
    """Start a provider ("valid" mode, counts requests) and a hub routing ``tenants`` to it."""
    provider = python("-m", "tests.integration.fake_provider", "valid")
    port = provider.wait_json(lambda d: "port" in d)["port"]
    lines = [f'[hub]\nlisten = "127.0.0.1:0"\nallow_plain_http = true\n'
             f'max_message_bytes = {MAX_BYTES}\n'
             f'read_timeout = {READ_TIMEOUT}\n{extra_hub}\n',
             '[store]\nrouting_log = "log.sqlite3"\n',
             f'[[providers]]\nid = "valid"\nurl = "http://127.0.0.1:{port}/"\n']
    for code in tenants:
        lines.append(f'[[tenants]]\nlocal_gov_code = "{code}"\n')
        lines.append(f'[[routes]]\nlocal_gov_code = "{code}"\nservice = "juki.ResidentInquiry"\n'
                     f'provider = "valid"\n')
    config = tmp / "hub.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    try:
        hub, url = start_hub(config)
    except BaseException:
        provider.stop()
        raise
    host, _, hub_port = url.removeprefix("http://").partition(":")
    return {"url": url, "host": host, "port": int(hub_port), "provider_port": port,
            "log": tmp / "log.sqlite3", "processes": (hub, provider)}


def stop(hub) -> None:
    for p in hub["processes"]:
        p.stop()


def received(hub) -> int:
    return requests.get(f"http://127.0.0.1:{hub['provider_port']}/received", timeout=5).json()[
        "received"]


def post(hub, raw: bytes, soap: str = SOAP11, headers: dict | None = None,
         path: str = "/services/juki.ResidentInquiry", timeout: float = 30):
    return requests.post(hub["url"] + path, data=raw,
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
    answered); return what the hub answered and how many body bytes were sent before it did."""
    with socket.create_connection((hub["host"], hub["port"]), timeout=read_timeout) as s:
        s.sendall(head)
        sent = 0
        s.setblocking(False)
        answer = b""
        for part in body_parts:
            try:
                answer += s.recv(65536)
            except BlockingIOError:
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
        except (ConnectionResetError, TimeoutError, socket.timeout):
            pass
        return answer, sent


def split_http(answer: bytes) -> tuple[int, bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def log_rows(hub, fault_code: str | None = None, wait_for: int = 0, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        rows = []
        if hub["log"].exists():
            log = open_readonly(hub["log"])
            try:
                rows = [h for h in log.query(limit=None)
                        if fault_code is None or h.fault_code == fault_code]
            finally:
                log.close()
        if len(rows) >= wait_for or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)
