"""A tampering proxy: a loopback HTTP server in front of a reference provider.

A faulty adapter is the reference adapter with ONE defect. Most defects are in what goes over the
wire (a header field, a namespace, a status code), so they are made here, on the bytes: the
request may be changed or answered directly, the reply changed on its way back. ``wsdl`` serves
a (faulty) service description at ``GET /wsdl/<ServiceId>`` for the ``--wsdl`` option.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from lxml import etree

from bus.core.envelope import parse_envelope
from bus.core.faults import SOAP11_NS, SOAP12_NS
from bus.core.header import HEADER_TAG


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "text/xml; charset=utf-8"
    date: str | None = None  # the Date field as written (None: the current time, in GMT)


@dataclass
class Call:
    """One exchange through the proxy, as the tamper functions see it."""

    request: bytes  # as the suite sent it
    headers: dict[str, str]
    forwarded: bytes = b""  # as forwarded to the provider (after on_request)
    reply: Reply | None = None
    state: dict = field(default_factory=dict)  # shared by all calls of one proxy
    received: dict[str, str] = field(default_factory=dict)  # every request field, names lower
    chunks: list[int] = field(default_factory=list)  # a chunked body's chunk sizes, in order


OnRequest = Callable[[Call], "bytes | Reply"]
OnReply = Callable[[Call], Reply]
# a front end's own connection handling, called once a request's body is read (the handler)
OnFront = Callable[["BaseHTTPRequestHandler"], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the suite gave up on a deliberately slow answer: not a test failure


class TamperProxy:
    def __init__(self, inner_url: str, *, on_request: OnRequest | None = None,
                 on_reply: OnReply | None = None,
                 wsdl: Callable[[str], bytes | None] | None = None, state: dict | None = None,
                 tls: ssl.SSLContext | None = None, front: OnFront | None = None):
        self.inner_url = inner_url
        self._inner = urlsplit(inner_url)
        if self._inner.scheme != "http":  # the reference behind it: plain HTTP on loopback
            raise ValueError(f"the proxy forwards to http:// only, not {inner_url}")
        self._inner_path = self._inner.path or "/"
        self.on_request, self.on_reply, self.wsdl = on_request, on_reply, wsdl
        self.front = front
        self.state: dict = dict(state or {})
        self.session_local = threading.local()
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = _Server(("127.0.0.1", 0), Handler)
        if tls is not None:  # an https:// product (mutual TLS when the context requires it)
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        # a short poll interval: shutdown() waits for the loop to notice (default 0.5 s)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True, name="tamper-proxy").start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def forward(self, call: Call) -> Reply:
        """POST the call to the provider behind, on this thread's kept-alive connection (a new
        one when the provider closed it; never a request sent twice)."""
        conn = getattr(self.session_local, "conn", None)
        if conn is not None and (conn.sock is None
                                 or select.select([conn.sock], [], [], 0)[0]):
            conn.close()  # closed by the provider (or it says something unasked)
            conn = None
        if conn is None:
            conn = self.session_local.conn = http.client.HTTPConnection(
                self._inner.hostname, self._inner.port, timeout=30)
        try:
            conn.request("POST", self._inner_path, body=call.forwarded, headers=call.headers)
            r = conn.getresponse()
            body = r.read()
        except BaseException:
            conn.close()
            self.session_local.conn = None
            raise
        if r.will_close:
            conn.close()
            self.session_local.conn = None
        return Reply(r.status, body, r.getheader("content-type", "text/xml"))


class _Handler(BaseHTTPRequestHandler):
    owner: TamperProxy
    # keep-alive, as the reference behind it and every HTTP/1.1 product: HTTP/1.0's connection
    # per exchange doubled a faulty adapter's run (a connect, a thread and a close each time)
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # the head and the body go in two writes: no 40 ms wait

    def log_message(self, format, *args):  # noqa: A002
        pass

    def date_time_string(self, timestamp=None):
        return getattr(self, "date_written", None) or super().date_time_string(timestamp)

    def _send(self, reply: Reply) -> None:
        self.date_written = reply.date
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def do_GET(self):
        path = unquote(self.path.split("?")[0])
        body = None
        if path.startswith("/wsdl/") and self.owner.wsdl is not None:
            body = self.owner.wsdl(path[len("/wsdl/"):])
        self._send(Reply(200, body) if body is not None else Reply(404, b"no", "text/plain"))

    def _body(self) -> tuple[bytes, list[int]]:
        """Content-Length bytes, or the chunks of a chunked body (RFC 9112 7.1: every HTTP/1.1
        recipient parses it — a product in front of which the proxy stands does), and the
        chunks' sizes."""
        if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            return self.rfile.read(int(self.headers.get("Content-Length") or 0)), []
        parts = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            parts.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline().strip():  # trailer fields
            pass
        return b"".join(parts), [len(part) for part in parts]

    def do_POST(self):
        raw, chunks = self._body()
        if self.owner.front is not None:
            self.owner.front(self)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() in ("content-type", "soapaction")}
        call = Call(raw, headers, state=self.owner.state,
                    received={k.lower(): v for k, v in self.headers.items()}, chunks=chunks)
        # a tamper function models ONE defect: on input it cannot read (hostile or broken XML)
        # it leaves the exchange to the reference adapter rather than add a second defect
        try:
            changed = self.owner.on_request(call) if self.owner.on_request else raw
        except etree.XMLSyntaxError:
            changed = raw
        if isinstance(changed, Reply):
            return self._send(changed)
        call.forwarded = changed
        call.reply = self.owner.forward(call)
        try:
            reply = self.owner.on_reply(call) if self.owner.on_reply else call.reply
        except (etree.XMLSyntaxError, AttributeError):
            reply = call.reply
        self._send(reply)


# --- helpers for tamper functions ----------------------------------------------------------------

def tree(raw: bytes) -> etree._Element:
    """The message as a product reads it: comments and processing instructions dropped, so a
    value split by one (P-EQUIV-01's ``comment-in-value``) is read whole — a tamper function
    must not add a second defect by reading only its first text node."""
    return etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True,
                                                 remove_comments=True, remove_pis=True))


def _header_path(root: etree._Element) -> str:
    q = etree.QName(root)
    return f"{{{q.namespace}}}Header/{HEADER_TAG}" if q.localname == "Envelope" \
        else f".//{HEADER_TAG}"


def header_find(root: etree._Element, rest: str = "") -> etree._Element | None:
    """The message's pfh:PlatformHeader (or ``rest`` below it) as a product reads it: the SOAP
    Header's child — never a copy nested in another header block (P-LOOK-01 sends one), which a
    tamper function reading it would add as a second defect."""
    return root.find(_header_path(root) + rest)


def header_findtext(root: etree._Element, rest: str) -> str | None:
    """``header_find``'s text."""
    return root.findtext(_header_path(root) + rest)


def has_doctype(raw: bytes) -> bool:
    """Whether the request has a DTD, in whatever encoding it is written (a byte search for
    ``<!DOCTYPE`` misses a UTF-16 one: P-HOST-08)."""
    try:
        return bool(etree.fromstring(raw, etree.XMLParser(
            resolve_entities=False, no_network=True)).getroottree().docinfo.doctype)
    except etree.XMLSyntaxError:
        return b"<!DOCTYPE" in raw


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def soap_ns(raw: bytes) -> str | None:
    try:
        return parse_envelope(raw).soap_ns
    except Exception:  # noqa: BLE001 - not an envelope: nothing to tamper
        return None


def is_fault(raw: bytes) -> bool:
    try:
        return parse_envelope(raw).is_fault
    except Exception:  # noqa: BLE001
        return False


SOAP_NAMESPACES = (SOAP11_NS, SOAP12_NS)
