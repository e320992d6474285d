"""The conformance suite's HTTP client (conformance/transport.py) over real sockets: what a
product sees and what the report says, as they were when the suite spoke through ``requests``
(every expected value here is what the ``requests`` client produced) — the exact request
bytes, one kept-alive connection, chunked, HTTP/1.0 and ``Connection: close`` answers, a
connection the product closed between two exchanges, deadlines, broken and oversized answers,
gzip/deflate, the cookie jar. Each server is scripted: one action per request it reads."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib

import pytest

from conformance.records import Exchange
from conformance.transport import Transport

pytestmark = pytest.mark.integration

OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5\r\n\r\nhello"
SOAP_HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}


def _read_request(conn: socket.socket, buf: bytes) -> tuple[bytes | None, bytes]:
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None, buf
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        data = conn.recv(65536)
        if not data:
            break
        rest += data
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


class Product:
    """Accepts connections one after the other; answers each request with the next action."""

    def __init__(self, *actions):
        self.actions, self.requests, self.connections = list(actions), [], 0
        self.closed = threading.Event()  # set when the product has closed a connection
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.actions:
            conn, _ = self.listener.accept()
            self.connections += 1
            buf = b""
            with conn:
                while self.actions:
                    request, buf = _read_request(conn, buf)
                    if request is None:
                        break
                    self.requests.append(request.decode("latin-1"))
                    if self.actions.pop(0)(conn) == "close":
                        try:
                            conn.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass  # the client is gone already
                        self.closed.set()
                        break
        self.listener.close()

    def url(self, path: str = "/soap") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def send(data: bytes, close: bool = False, delay: float = 0.0):
    def act(conn):
        time.sleep(delay)
        conn.sendall(data)
        return "close" if close else None
    return act


def trickle(head: bytes, body: bytes, every: float):
    def act(conn):
        conn.sendall(head)
        for byte in body:
            time.sleep(every)
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                return "close"
        return None
    return act


def silent(seconds: float):
    def act(conn):
        time.sleep(seconds)
        return "close"
    return act


def post(transport, product, timeout=5.0, body=b"<a/>", headers=None) -> Exchange:
    ex = Exchange("s", "to-product", "POST", product.url(), request=body,
                  request_headers=dict(SOAP_HEADERS if headers is None else headers))
    return transport.exchange(ex, timeout)


def get(transport, product) -> Exchange:
    ex = Exchange("s", "to-product", "GET", product.url("/soap/x?wsdl"),
                  request_headers={"Accept": "text/xml"})
    return transport.exchange(ex, 5.0)


def outcome(ex: Exchange):
    return ex.status, ex.response, ex.error


def run(*actions, timeout=5.0):
    """A POST answered by the first action, then a GET by ``OK``: both outcomes, the product."""
    product = Product(*actions, send(OK))
    transport = Transport()
    try:
        first = post(transport, product, timeout)
        second = get(transport, product)
    finally:
        transport.close()
    product.thread.join(10)
    return first, second, product


def test_the_request_bytes_are_requests_own_and_one_connection_is_kept_alive():
    first, second, product = run(send(OK), send(OK))
    assert outcome(first) == (200, b"hello", None) and outcome(second) == (200, b"hello", None)
    third = product.requests  # two exchanges on one connection
    assert product.connections == 1 and len(third) == 2
    host = f"127.0.0.1:{product.port}"
    assert third[0] == (f"POST /soap HTTP/1.1\r\nHost: {host}\r\nUser-Agent: python-requests/"
                        f"{_requests_version()}\r\nAccept-Encoding: gzip, deflate\r\nAccept: */*"
                        "\r\nConnection: keep-alive\r\nContent-Type: text/xml; charset=utf-8\r\n"
                        'SOAPAction: ""\r\nContent-Length: 4\r\n\r\n<a/>')
    assert third[1] == (f"GET /soap/x?wsdl HTTP/1.1\r\nHost: {host}\r\nUser-Agent: python-"
                        f"requests/{_requests_version()}\r\nAccept-Encoding: gzip, deflate\r\n"
                        "Accept: text/xml\r\nConnection: keep-alive\r\n\r\n")
    assert first.response_headers == {"Content-Type": "text/xml", "Content-Length": "5"}


def _requests_version() -> str:
    import requests
    return requests.__version__


def test_a_request_header_replaces_a_default_in_its_place_with_its_spelling():
    product = Product(send(OK))
    transport = Transport()
    ex = post(transport, product, headers={"content-type": "a", "user-agent": "me",
                                           "Accept": "x/y"}, body=b"")
    transport.close()
    assert ex.status == 200
    head = product.requests[0].split("\r\n")[1:-2]
    assert head[1:] == ["user-agent: me", "Accept-Encoding: gzip, deflate", "Accept: x/y",
                        "Connection: keep-alive", "content-type: a", "Content-Length: 0"]


def test_chunked_answers_with_extensions_and_trailers_are_joined():
    first, second, product = run(send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                      b"5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n"))
    assert outcome(first) == (200, b"hello world", None)
    assert first.response_headers == {"Transfer-Encoding": "chunked"}
    assert outcome(second) == (200, b"hello", None) and product.connections == 1


@pytest.mark.parametrize("answer", [
    b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\nten bytes!",  # HTTP/1.0: body to close
    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 10\r\n\r\nten bytes!",
    b"HTTP/1.1 200 OK\r\n\r\nten bytes!",  # no length: read to the close
])
def test_an_answer_ended_by_closing_the_connection_then_a_new_connection(answer):
    first, second, product = run(send(answer, close=True))
    assert outcome(first) == (200, b"ten bytes!", None)
    assert outcome(second) == (200, b"hello", None) and product.connections == 2


def test_an_http_1_0_answer_with_a_length_is_not_kept_alive():
    first, second, product = run(send(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
    assert outcome(first) == (200, b"hello", None)
    assert outcome(second) == (200, b"hello", None) and product.connections == 2


def test_a_connection_the_product_closed_after_answering_is_replaced_before_use():
    """The product closes a kept-alive connection after answering, without saying so: the next
    exchange, started after that close, goes out on a new connection. (Started before it, the
    request would race the close — on a loaded host the product's thread closed late and the
    second request met it: the test waits for the close it is about.)"""
    product = Product(send(OK, close=True), send(OK))
    transport = Transport()
    try:
        first = post(transport, product)
        assert product.closed.wait(10)
        second = get(transport, product)
    finally:
        transport.close()
    product.thread.join(10)
    assert outcome(first) == outcome(second) == (200, b"hello", None)
    assert product.connections == 2


def test_a_connection_the_suite_asked_to_close_is_not_used_again():
    """RFC 9112 9.6: a client that sends Connection: close sends nothing more on that
    connection. The product here closes it a while after answering, without saying so in its
    answer (a SHOULD): a reuse would send the next request into that close."""
    def answer_then_close_later(conn):
        conn.sendall(OK)
        time.sleep(0.3)
        return "close"

    product = Product(answer_then_close_later, send(OK))
    transport = Transport()
    try:
        first = post(transport, product, headers={**SOAP_HEADERS, "Connection": "close"})
        second = get(transport, product)
    finally:
        transport.close()
    product.thread.join(10)
    assert outcome(first) == outcome(second) == (200, b"hello", None)
    assert product.connections == 2 and "Connection: close" in product.requests[0]


@pytest.mark.parametrize("actions, timeout, error, connections", [
    ((silent(1.5),), 0.8, "no complete answer within 0.8 s", 2),  # no status line
    # a byte every 50 ms: every read is within the socket timeout, the deadline is not
    ((trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n", b"x" * 40, 0.05),), 0.8,
     "no complete answer within 0.8 s", 1),
    ((trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab", b"cd", 1.5),), 0.8,
     "transport failure: ConnectionError: timed out", 2),  # the body stalls
])
def test_deadlines(actions, timeout, error, connections):
    first, second, product = run(*actions, timeout=timeout)
    assert outcome(first) == (None, b"", error)
    assert outcome(second) == (200, b"hello", None) and product.connections == connections


@pytest.mark.parametrize("answer, error", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
     "ChunkedEncodingError: IncompleteRead(5 bytes read, 5 more expected)"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
     "ChunkedEncodingError: invalid literal for int() with base 16: b'zz\\r\\n'"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nhello",
     "ChunkedEncodingError: IncompleteRead(5 bytes read, 11 more expected)"),
    (b"HELLO WORLD\r\n\r\n", "ConnectionError: HELLO WORLD\r\n"),
    (b"", "ConnectionError: Remote end closed connection without response"),
    (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70_000 + b"\r\nContent-Length: 5\r\n\r\nhello",
     "ConnectionError: got more than 65536 bytes when reading header line"),
    (b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(120))
     + b"Content-Length: 5\r\n\r\nhello", "ConnectionError: got more than 100 headers"),
    (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello",
     "ContentDecodingError: Error -3 while decompressing data: incorrect header check"),
])
def test_broken_answers_are_reported_as_before(answer, error):
    first, second, product = run(send(answer, close=True))
    assert outcome(first) == (None, b"", "transport failure: " + error)
    assert outcome(second) == (200, b"hello", None)


def test_a_connection_an_answer_failed_on_is_not_used_again():
    """A bad chunk size: http.client closes the answer but not the connection. It went back to
    the pool, and the next request went over it — racing the product's close (the test above
    failed now and then) or reading what was left of the broken answer; urllib3 drops it."""
    first, second, product = run(send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                      b"zz\r\nhello\r\n0\r\n\r\n"))
    assert first.error and first.error.startswith("transport failure: ChunkedEncodingError")
    assert outcome(second) == (200, b"hello", None) and product.connections == 2


def test_a_refused_connection():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    ex = Exchange("s", "to-product", "POST", f"http://127.0.0.1:{port}/soap", request=b"<a/>")
    assert Transport().exchange(ex, 5).error == ("transport failure: ConnectionError: "
                                                 "[Errno 111] Connection refused")


def test_a_large_answer_repeated_and_folded_headers_interim_and_redirect_answers():
    big = b"y" * 3_000_000
    first, second, product = run(send(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-A: 1"
                                      b"\r\nx-a: 2\r\nX-F: a\r\n  b\r\nContent-Length: %d\r\n\r\n"
                                      % len(big) + big))
    assert outcome(first) == (200, big, None)
    assert first.response_headers == {"X-A": "1, 2", "X-F": "a b", "Content-Length": "3000000"}
    first, second, product = run(send(b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n"
                                      b"Content-Length: 0\r\n\r\n"))
    assert outcome(first) == (302, b"", None) and product.connections == 1  # not followed


def test_gzip_and_deflate_answers_are_decoded():
    raw = zlib.compressobj(wbits=-15)
    for coding, body, text in (
            ("gzip", gzip.compress(b"one ") + gzip.compress(b"two"), b"one two"),
            ("gzip", gzip.compress(b"zipped") + b"junk", b"zipped"),
            ("deflate", zlib.compress(b"deflated"), b"deflated"),
            ("deflate", raw.compress(b"raw deflated") + raw.flush(), b"raw deflated"),
            ("deflate, gzip", gzip.compress(zlib.compress(b"both")), b"both"),
            ("br", b"hello", b"hello")):  # not one requests decodes here: left as it came
        first, _, _ = run(send(b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %d"
                               b"\r\n\r\n" % (coding.encode(), len(body)) + body))
        assert outcome(first) == (200, text, None), coding


def test_cookies_the_product_sets_are_sent_back():
    first, second, product = run(send(b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1; Domain=example.org"
                                      b"\r\nSet-Cookie: b=2; Max-Age=100\r\nSet-Cookie: d=\"q\"; "
                                      b"Path=/soap\r\nContent-Length: 0\r\n\r\n"))
    assert outcome(second) == (200, b"hello", None)
    assert 'Cookie: d="q"; b=2\r\n' in product.requests[1]


@pytest.mark.parametrize("url, error", [
    ("notaurl", "MissingSchema: Invalid URL 'notaurl': No scheme supplied. Perhaps you meant "
                "https://notaurl?"),
    ("ftp://x/y", "InvalidSchema: No connection adapters were found for 'ftp://x/y'"),
])
def test_unusable_urls(url, error):
    ex = Transport().exchange(Exchange("s", "to-product", "POST", url, request=b""), 5)
    assert ex.error == "transport failure: " + error


class ThreadedProduct:
    """Answers ``OK`` on every connection at once; notes each request's connection (the client's
    port) and body."""

    def __init__(self):
        self.seen: list[tuple[int, bytes]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, (_, port) = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, port), daemon=True).start()

    def _serve(self, conn: socket.socket, port: int) -> None:
        buf = b""
        with conn:
            while True:
                request, buf = _read_request(conn, buf)
                if request is None:
                    return
                self.seen.append((port, request.partition(b"\r\n\r\n")[2]))
                conn.sendall(OK)

    def url(self, path: str = "/soap") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.listener.close()


def test_a_held_connection_waits_aside_for_the_request_sent_on_it():
    """``hold_connection``: the connection of the first exchange the predicate accepts is set
    aside — the exchanges after it go out on another — until ``exchange(held=True)``; armed
    again, the next accepted exchange's connection replaces it (P-LATE-01's first retry on the
    connection of the run's first 全件 request, again after a restart)."""
    product, transport = ThreadedProduct(), Transport()
    try:
        transport.hold_connection(lambda ex: ex.request == b"<first/>")
        for body in (b"<a/>", b"<first/>", b"<b/>", b"<c/>"):
            post(transport, product, body=body)
        assert transport.held_since() is not None
        post(transport, product, body=b"<again/>", headers=SOAP_HEADERS)
        held = Exchange("s", "to-product", "POST", product.url(), request=b"<retry/>",
                        request_headers=dict(SOAP_HEADERS))
        transport.exchange(held, 5.0, held=True)
        port = dict((body, port) for port, body in product.seen)
        assert port[b"<first/>"] == port[b"<retry/>"] == port[b"<a/>"]  # the first kept on
        assert port[b"<b/>"] == port[b"<c/>"] == port[b"<again/>"] != port[b"<first/>"]
        assert transport.held_since() is None  # taken: the next held=True opens a new one
        transport.hold_connection(lambda ex: ex.request == b"<second/>")
        post(transport, product, body=b"<second/>")
        post(transport, product, body=b"<d/>")
        transport.exchange(Exchange("s", "to-product", "POST", product.url(), request=b"<r2/>",
                                    request_headers=dict(SOAP_HEADERS)), 5.0, held=True)
        port = dict((body, port) for port, body in product.seen)
        assert port[b"<r2/>"] == port[b"<second/>"] != port[b"<d/>"]
        for body in (b"<x/>", b"<y/>"):  # armed while one is held: replaced (a restart)
            transport.hold_connection(lambda ex, body=body: ex.request == body)
            post(transport, product, body=body)
        transport.exchange(Exchange("s", "to-product", "POST", product.url(), request=b"<r3/>",
                                    request_headers=dict(SOAP_HEADERS)), 5.0, held=True)
        port = dict((body, port) for port, body in product.seen)
        assert port[b"<r3/>"] == port[b"<y/>"] != port[b"<x/>"]
    finally:
        transport.close()
        product.close()
