"""The suite playing the hub for a consumer (ITB: the test bed simulates the other actors).

It serves what a product's consumer side loads from a hub — ``/services/<id>?wsdl`` with its own
address, the XSDs under ``/schemas/…`` (exactly as ``pfbus serve`` publishes them) — records every
request the product sends, and answers as the current step says: a valid reply bound to the
request, a reply with a wrong RelatesTo or RequestHash, a SOAP Fault, no answer at all (the
connection closed), or no answer in time (held open until the step ends).
Listens on loopback only.
"""

from __future__ import annotations

import socket
import threading
import uuid
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from lxml import etree

from bus.core import faults
from bus.core.catalog import Catalog
from bus.core.envelope import CONTENT_TYPES, parse_envelope, version_mismatch_ns
from bus.core.faults import HubFault, fault_envelope
from bus.core.findings import Finding
from bus.core.header import PlatformHeader, request_digest
from bus.hub.wsdl import WsdlPublisher

from .envelopes import SOAP_VERSION
from .records import Exchange

REPLIES = ("valid", "wrong_relates_to", "wrong_request_hash", "fault", "drop", "hold")
HOLD_LIMIT = 300.0  # a held request is released when its step ends; this bounds it regardless


@dataclass
class Script:
    """How to answer while one step runs."""

    step: str
    reply: str  # one of REPLIES
    body_xml: str  # the reply body (already filled in) for the reply kinds that need one


class HubSimulator:
    def __init__(self, catalog: Catalog, host: str = "127.0.0.1", port: int = 0):
        self.catalog = catalog
        self._lock = threading.Lock()
        self._script: Script | None = None
        self._released = threading.Event()  # set when a step ends: held requests let go
        self.captured: list[Exchange] = []
        sim = self

        class Handler(_Handler):
            simulator = sim

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        bound_host, bound_port = self._server.server_address[:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self.publisher = WsdlPublisher(catalog, self.url)
        # a short poll interval: close() waits for the loop to notice (default 0.5 s)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True,
                                        name="conformance-hub")
        self._thread.start()

    def arm(self, script: Script) -> None:
        with self._lock:
            self._script = script
            self.captured = []
            self._released.clear()

    def disarm(self) -> list[Exchange]:
        with self._lock:
            self._script, captured, self.captured = None, self.captured, []
            self._released.set()
        return captured

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- answering (called on the server's threads) ---------------------------------------------

    def answer(self, ex: Exchange) -> tuple[int, bytes] | None:
        """(status, body) for a recorded request, or None to drop the connection."""
        with self._lock:
            script = self._script
            self.captured.append(ex)
        if script is None:
            return self._fault(ex, HubFault(faults.ROUTE_NOT_FOUND, (Finding(
                "route:registered", "the conformance suite did not expect a request now"),)))
        ex.step = script.step
        if script.reply == "hold":  # a hub that never answers: the product must give up
            self._released.wait(HOLD_LIMIT)
            return None
        if script.reply == "drop":
            return None
        if script.reply == "fault":
            return self._fault(ex, HubFault(faults.PROVIDER_TIMEOUT, (Finding(
                "provider:timeout", "the conformance suite answers with a fault on purpose"),)))
        try:
            env = ex.envelope("request")
            header = ex.header("request")
        except ValueError as exc:  # answered as a hub would: the product's own fault
            try:
                parse_envelope(ex.request)
            except HubFault as refused:  # the hub's own reading: its code, rule and version
                if refused.fault is faults.VERSION_MISMATCH:
                    ns = version_mismatch_ns(refused, ex.content_type("request"))
                    return 500, fault_envelope(refused, ns)
            return self._fault(ex, HubFault(faults.NOT_SOAP, (Finding("soap:envelope",
                                                                      str(exc)),)))
        reply = header.reply(ex.request)
        if script.reply == "wrong_relates_to":
            reply = replace(reply, relates_to=str(uuid.uuid4()))
        elif script.reply == "wrong_request_hash":
            reply = replace(reply, request_hash=request_digest(ex.request + b" "))
        return 200, _envelope(env.soap_ns, reply, script.body_xml)

    def _fault(self, ex: Exchange, fault: HubFault) -> tuple[int, bytes]:
        try:
            soap_ns = ex.envelope("request").soap_ns
        except ValueError:
            soap_ns = faults.SOAP11_NS
        status = 500 if soap_ns == faults.SOAP11_NS else fault.fault.http_status
        return status, fault_envelope(fault, soap_ns)


def _envelope(soap_ns: str, header: PlatformHeader, body_xml: str) -> bytes:
    head = etree.tostring(header.to_element(), encoding="unicode")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="{soap_ns}">'
            f'<soap:Header>{head}</soap:Header><soap:Body>{body_xml}</soap:Body>'
            f'</soap:Envelope>').encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    simulator: HubSimulator
    server_version = "pfbus-conformance-hub"

    def log_message(self, format, *args):  # noqa: A002 - the evidence is the record, not stderr
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = [unquote(p) for p in urlsplit(self.path).path.split("/") if p]
        pub = self.simulator.publisher
        body = None
        if len(parts) == 2 and parts[0] == "services":
            body = pub.wsdl(parts[1])
        elif len(parts) >= 3 and parts[0] == "schemas":
            body = pub.schema_file(parts[1], "/".join(parts[2:]))
        if body is None:
            self._send(404, b"not here", "text/plain")
        else:
            self._send(200, body, "text/xml; charset=utf-8")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        parts = [unquote(p) for p in urlsplit(self.path).path.split("/") if p]
        service = parts[1] if len(parts) == 2 and parts[0] == "services" else None
        ex = Exchange(step="-", direction="from-product", method="POST",
                      url=f"{self.simulator.url}{self.path}", request=raw,
                      request_headers=dict(self.headers.items()), service=service)
        try:
            ex.soap_version = SOAP_VERSION[ex.envelope("request").soap_ns]
        except ValueError:
            pass
        answer = self.simulator.answer(ex)
        if answer is None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            ex.error = "no answer, on purpose"
            return
        status, body = answer
        ns = faults.SOAP12_NS if ex.soap_version == "1.2" else faults.SOAP11_NS
        ex.status, ex.response = status, body
        ex.response_headers = {"Content-Type": CONTENT_TYPES[ns]}
        self._send(status, body, CONTENT_TYPES[ns])
