"""Property-based fuzzing of the hub's HTTP layer (slow tier: ``pytest -m slow``).

Property: whatever bytes a client sends — request lines with odd methods, targets (percent
escapes, NUL, dots, huge), versions; header sections (odd names and values, duplicates, huge
lines, many fields, conflicting Content-Length / Transfer-Encoding); bodies framed by length or by
chunks of any declared size (hex, negative, huge, extensions, lies) — split into pieces of any
size, every byte the hub writes back is a sequence of complete HTTP/1.1 (1.0 to a 1.0 client)
responses produced by the hub (a PF- code in a SOAP Fault or JSON, never Twisted's HTML page or a
bare status line), and nothing is logged as an error. In process: the real ``HubSite`` (channel,
request, resource) on an in-memory transport with a deterministic clock and an exchange that
answers at once (3,000 cases); plus a sample over a real hub socket, plain HTTP and mutual TLS.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from twisted.internet import address, task
from twisted.internet.error import ConnectionDone
from twisted.logger import globalLogPublisher
from twisted.python.failure import Failure

from bus.core.catalog import Catalog
from bus.core.envelope import Limits
from bus.core.jsonlog import JsonLineLog
from bus.hub.exchange import HttpReply
from bus.hub.http import HubSite
from bus.hub.refusal_log import RefusalLog
from bus.hub.resource import HubResource
from bus.hub.wsdl import WsdlPublisher
from schemas import BUILTIN_CATALOG

from . import hubkit

pytestmark = pytest.mark.slow

SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
STATUSES = {200, 400, 404, 405, 408, 413, 414, 415, 431, 500}
STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) [^\r\n]*\r\n")
HEAD_REQUEST_LINE = re.compile(rb"(?:^|\n)HEAD ")  # methods are case-sensitive (RFC 9110 9.1)
SOAP_REPLY = (b'<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/'
              b'envelope/"><soap:Body><ok/></soap:Body></soap:Envelope>')


class Transport:
    """What the channel writes, kept (twisted.internet.testing.StringTransport's role: importing
    that module breaks xmlschema's compilation of the catalog in this process)."""

    disconnecting = False
    connected = True

    def __init__(self):
        self.written = io.BytesIO()

    def write(self, data: bytes) -> None:
        self.written.write(data)

    def writeSequence(self, data) -> None:
        for d in data:
            self.write(d)

    def loseConnection(self) -> None:
        self.disconnecting = True

    abortConnection = loseConnection

    def getPeer(self):
        return address.IPv4Address("TCP", "198.51.100.7", 40000)

    def getHost(self):
        return address.IPv4Address("TCP", "127.0.0.1", 8080)

    def registerProducer(self, producer, streaming) -> None:
        pass

    def unregisterProducer(self) -> None:
        pass

    def pauseProducing(self) -> None:
        pass

    def resumeProducing(self) -> None:
        pass

    def stopProducing(self) -> None:
        pass


class AnsweringExchange:
    """Answers every POST that reaches it at once (the HTTP layer is what is fuzzed here)."""

    async def handle(self, raw, endpoint_service=None, soap_action=None, peer=None,
                     content_type=None, remote=None):
        return HttpReply(200, "text/xml; charset=utf-8", SOAP_REPLY)


@pytest.fixture(scope="module")
def site():
    clock = task.Clock()
    events = JsonLineLog(io.StringIO())
    resource = HubResource(AnsweringExchange(), WsdlPublisher(Catalog.load((BUILTIN_CATALOG,)),
                                                              "http://127.0.0.1:1"))
    s = HubSite(resource, Limits(max_bytes=65536), read_timeout=2.0, events=events,
                refusals=RefusalLog(events, clock))
    s.clock = clock
    return s


@pytest.fixture(scope="module")
def errors():
    """Everything Twisted logs as a failure or an error while the module runs."""
    seen = []

    def observe(event):
        if event.get("log_failure") is not None or event.get("isError"):
            seen.append(event)

    globalLogPublisher.addObserver(observe)
    yield seen
    globalLogPublisher.removeObserver(observe)


def responses(written: bytes, head_asked: bool = False) -> list[tuple[int, bytes | None]]:
    """Split what the hub wrote into (status, body) of complete responses; asserts the form.

    An answer to HEAD carries the Content-Length a GET would have but no body (RFC 9110 9.3.2):
    when HEAD was asked, a head announcing a body but followed by nothing or by the next status
    line is taken for one, with the body ``None`` (an empty refusal announces no length).
    """
    out = []
    rest = written
    while rest:
        match = STATUS_LINE.match(rest)
        assert match, f"not an HTTP/1.1 response: {rest[:200]!r}"
        head, sep, rest = rest.partition(b"\r\n\r\n")
        assert sep, f"incomplete head: {head[:200]!r}"
        headers = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:])
        lengths = {k.strip().lower(): v.strip() for k, v in headers.items()}
        body: bytes | None
        if (head_asked and int(lengths.get(b"content-length", b"0")) > 0
                and (rest == b"" or STATUS_LINE.match(rest))):
            body = None
        elif b"content-length" in lengths:
            n = int(lengths[b"content-length"])
            body, rest = rest[:n], rest[n:]
        elif head.startswith(b"HTTP/1.0") and b"transfer-encoding" not in lengths:
            body, rest = rest, b""  # HTTP/1.0 has no chunking: the body ends with the connection
        else:
            assert lengths.get(b"transfer-encoding") == b"chunked", head
            body = b""
            while True:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line, 16)
                body += rest[:size]
                rest = rest[size + 2:]
                if size == 0:
                    break
        out.append((int(match.group(1)), body))
    return out


def run(site, pieces: list[bytes]) -> list[tuple[int, bytes | None]]:
    channel = site.buildProtocol(address.IPv4Address("TCP", "127.0.0.1", 5555))
    channel.callLater = site.clock.callLater
    transport = Transport()
    channel.makeConnection(transport)
    for piece in pieces:
        if transport.disconnecting:
            break
        channel.dataReceived(piece)
    site.clock.advance(3.0)  # whatever is still incomplete meets the read deadline
    written = transport.written.getvalue()
    channel.connectionLost(Failure(ConnectionDone()))
    site.clock.advance(10.0)
    head_asked = HEAD_REQUEST_LINE.search(b"".join(pieces)) is not None
    answers = responses(written, head_asked)
    for status, body in answers:
        assert status in STATUSES, status
        if body is None:
            continue  # an answer to HEAD: no body (RFC 9110 9.3.2)
        assert b"<html" not in body.lower() and b"traceback" not in body.lower(), body[:200]
        if status != 200:  # every refusal names its code
            assert b"PF-" in body, body[:200]
            if body.startswith(b"{"):
                assert json.loads(body)["code"].startswith("PF-")
    return answers


# --- request heads and bodies -----------------------------------------------------------------

TOKEN = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~",
                min_size=1, max_size=12)
METHODS = st.one_of(st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE",
                                     "CONNECT", "PATCH", "get", "P OST", ""]), TOKEN,
                    st.binary(max_size=8).map(lambda b: b.decode("latin-1")))
SEGMENTS = st.one_of(
    st.sampled_from(["services", "juki.ResidentInquiry", "schemas", "builtin", "health", "..", ".",
                     "%2e%2e", "%252e%252e", "%00", "%", "%zz", "%ff", "%2F", "%c0%af", "?wsdl",
                     "juki", "units", "juki-v1.xsd", "", "*", "%0d%0a", "\x00", "ü"]),
    st.text(max_size=10), st.just("x" * 9000))
TARGETS = st.one_of(
    st.lists(SEGMENTS, max_size=6).map(lambda parts: "/" + "/".join(parts)),
    st.tuples(st.lists(SEGMENTS, max_size=3), st.sampled_from(["", "?wsdl", "?WSDL=", "?a=%00",
                                                               "?" + "q" * 100]))
    .map(lambda t: "/" + "/".join(t[0]) + t[1]),
    st.sampled_from(["*", "http://127.0.0.1/health", "health", "//", ""]),
)
VERSIONS = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1 extra", "HTTP/1", "",
                            "http/1.1", "HTTP/9.9"])
NAMES = st.one_of(st.sampled_from(["Host", "Content-Type", "SOAPAction", "Expect", "Connection",
                                   "X-Pad", "Content-Length", "Transfer-Encoding"]), TOKEN,
                  st.sampled_from(["Bad Name", "", ":", "X\x00Y", "Ü"]))
VALUES = st.one_of(st.sampled_from(["text/xml; charset=utf-8", "application/soap+xml",
                                    "text/plain", "100-continue", "close", "keep-alive",
                                    '"urn:pfbus:service:juki.ResidentInquiry"', "\x00", ""]),
                   st.text(max_size=30), st.just("v" * 20000))
CTYPES = st.sampled_from(["text/xml; charset=utf-8", "application/soap+xml; charset=utf-8",
                          "text/plain", None])


@st.composite
def chunked_body(draw) -> bytes:
    out = b""
    for _ in range(draw(st.integers(0, 4))):
        data = draw(st.binary(max_size=40))
        declared = draw(st.one_of(st.just(f"{len(data):x}"), st.sampled_from(
            ["-1", "zz", "ffffffffffffffff", "0x10", "", " 5", "5;ext=1", f"{len(data):X}"])))
        out += declared.encode() + b"\r\n" + data + b"\r\n"
    out += draw(st.sampled_from([b"0\r\n\r\n", b"0\r\nTrailer: x\r\n\r\n", b"", b"0\r\n"]))
    return out


@st.composite
def request(draw) -> bytes:
    method, target, version = draw(METHODS), draw(TARGETS), draw(VERSIONS)
    line = f"{method} {target} {version}".rstrip() if draw(st.booleans()) else \
        draw(st.text(max_size=60))
    headers = [f"{draw(NAMES)}: {draw(VALUES)}" for _ in range(draw(st.integers(0, 6)))]
    if draw(st.integers(0, 20)) == 0:
        headers += [f"X-H{i}: {i}" for i in range(120)]
    ctype = draw(CTYPES)
    if ctype:
        headers.append(f"Content-Type: {ctype}")
    framing = draw(st.sampled_from(["length", "chunked", "none", "lying", "both"]))
    body = draw(st.binary(max_size=120)) if framing != "chunked" else draw(chunked_body())
    if framing in ("length", "both"):
        headers.append(f"Content-Length: {len(body)}")
    if framing in ("chunked", "both"):
        headers.append("Transfer-Encoding: chunked")
    if framing == "lying":
        headers.append(f"Content-Length: {draw(st.sampled_from(['-5', '1e3', ' ', '99999999999']))}")
    raw = (line + "\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n").encode(
        "utf-8", "surrogatepass") + body
    return raw * draw(st.sampled_from([1, 1, 1, 2]))  # sometimes pipelined


@st.composite
def pieces(draw) -> list[bytes]:
    raw = draw(request())
    cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=4)))
    bounds = [0, *cuts, len(raw)]
    return [raw[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


@settings(max_examples=3000, **SETTINGS)
@given(parts=pieces())
# found by the fuzzer once: a refusal of HEAD (no body), an HTTP/1.0 answer (no chunking)
@example(parts=[b"HEAD / HTTP/1.1\r\nContent-Type: text/xml; charset=utf-8\r\n"
                b"Content-Length: 0\r\n\r\n"])
@example(parts=[(b"HEAD * HTTP/1.1\r\nContent-Type: text/xml; charset=utf-8\r\n"
                 b"Content-Length: 0\r\n\r\n") * 2])  # pipelined: the next answer follows at once
@example(parts=[b"POST / HTTP/1.0\r\nContent-Type: text/xml; charset=utf-8\r\n"
                b"Content-Length: 0\r\n\r\n"])
def test_every_answer_is_the_hubs_own(site, errors, parts):
    run(site, parts)
    assert errors == [], errors[:1]


def test_the_harness_sees_answers(site):
    """The property above would hold trivially if nothing were answered: it is not so."""
    ok = run(site, [b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"])
    assert ok[0][0] == 200
    bad = run(site, [b"GET /x%00 HTTP/1.1\r\n\r\n"])
    assert bad[0][0] == 404 and b"PF-HTTP-NOT-FOUND" in (bad[0][1] or b"")
    # HEAD: the refusal's head announces its body's length, none follows
    head = run(site, [b"HEAD /x%00 HTTP/1.1\r\n\r\n"])
    assert head[0][0] == 404 and head[0][1] is None
    big = run(site, [b"GET / HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n"])
    assert big[0][0] == 431


# --- a sample over a real hub socket ------------------------------------------------------------

@pytest.fixture(scope="module", params=hubkit.MODES)
def hub(tmp_path_factory, request):
    h = hubkit.start(tmp_path_factory.mktemp(f"fuzz-http-{request.param}"),
                     tls=request.param == "tls")
    yield h
    hubkit.stop(h)


@settings(max_examples=150, **SETTINGS)
@given(raw=request())
def test_a_sample_over_a_real_socket(hub, raw):
    answer, _ = hubkit.raw_exchange(hub, raw, read_timeout=5.0)
    for status, body in responses(answer):
        assert status in STATUSES | {409}, status
        assert body is not None and b"<html" not in body.lower(), body


def test_no_exception_in_the_real_hubs_log(hub):
    output = "".join(hub["processes"][0].output)
    assert "Traceback" not in output and "Unhandled" not in output, output[-3000:]
