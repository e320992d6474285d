"""HTTP to the product: SOAP POSTs and WSDL GETs with a hard deadline per step, TLS options.

A socket timeout bounds each read, not the whole answer: a product trickling a byte a second
would never time out. The body is therefore read in chunks against a deadline, so every step
ends within its timeout whatever the product does (ITB's complaint: handlers that hang forever).

A plain-HTTP product is spoken to with ``http.client`` (``_Plain``) doing exactly what the
suite did with ``requests`` — the same request bytes (requests' default headers, their merge and
order, its cookie jar), one kept-alive connection per host, dropped ones replaced before use,
gzip/deflate answers decoded, the same error texts — for a fifth of the CPU per exchange
(~0.2 ms instead of ~0.8 ms: a quarter of the suite's CPU in a provider run); its responses
read their header block without the email package (http_response.py).
An https:// product still goes through ``requests``: its TLS (certifi's CA bundle, urllib3's
host name matching, TLS 1.2 at least, its error texts) is not re-implemented here.
"""

from __future__ import annotations

import functools
import http.client
import re
import select
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import requests
import urllib3
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar, get_cookie_header
from requests.structures import CaseInsensitiveDict
from requests.utils import check_header_validity, default_headers

from .http_response import Connection
from .late_answers import LateAnswers
from .records import Exchange

_CHUNK = 64 * 1024
_POOL = 10  # idle connections kept per host (requests' pool size)


@dataclass(frozen=True)
class TlsOptions:
    """TLS client options for an https:// product (the platform's default is mutual TLS)."""

    ca_file: str | None = None  # CA bundle the product's certificate must chain to
    cert_file: str | None = None  # the suite's client certificate (PEM)
    key_file: str | None = None  # its private key (PEM), if not inside cert_file
    insecure: bool = False  # do not verify the product's certificate (never for a certificate)

    def apply(self, session: requests.Session) -> None:
        if self.insecure:
            session.verify = False
        elif self.ca_file:
            session.verify = self.ca_file
        if self.cert_file:
            session.cert = (self.cert_file, self.key_file) if self.key_file else self.cert_file

    def describe(self) -> dict:
        return {"ca_file": self.ca_file, "client_certificate": bool(self.cert_file),
                "verify": not self.insecure}


class Transport:
    def __init__(self, tls: TlsOptions = TlsOptions()):
        self.session = requests.Session()
        self.session.trust_env = False  # never a proxy from the environment: loopback stays local
        tls.apply(self.session)
        self._plain = _Plain(self.session.cookies)  # one cookie jar, whichever client answers
        # told of every request as it goes out (reobservation.ObservationLog.sent)
        self.watchers: list[Callable[[Exchange], None]] = []
        self.sent: list[Exchange] = []  # every request of the run, for run_time's split
        self.pauses: list[tuple[float, float]] = []  # the waits a case made on purpose
        self.late = LateAnswers()  # the runner sets the profile's late_answer_budget

    def refuses(self, ex: Exchange) -> bool:
        """True, with ``ex.error`` saying why, once the run has given up on the product: the
        request is not sent (late_answers.py)."""
        if self.late.given_up:
            ex.error = self.late.reason()
            return True
        return False

    def note_sent(self, ex: Exchange) -> None:
        """A request went out (here, or over wire_forms' own socket): tell the watchers."""
        self.sent.append(ex)
        for watch in self.watchers:
            watch(ex)

    def pause(self, seconds: float) -> None:
        """Wait on purpose before the next request (a case that needs time to pass); the run's
        report counts it apart from the product's time and the suite's."""
        started = time.monotonic()
        time.sleep(max(seconds, 0.0))
        self.pauses.append((started, time.monotonic()))

    def awaited(self) -> list[tuple[float, float]]:
        """From each request going out until its answer was read (or given up on)."""
        return [(ex.sent_monotonic, ex.sent_monotonic + ex.elapsed) for ex in self.sent
                if ex.sent_monotonic is not None]

    def close(self) -> None:
        self._plain.close()
        self.session.close()

    def hold_connection(self, of: Callable[[Exchange], bool]) -> None:
        """Set aside the kept-alive connection of the next plain-HTTP exchange ``of`` accepts
        (judged once its answer is read; it replaces one held before), until ``exchange(...,
        held=True)`` sends on it: a request seconds later on the same connection (P-LATE-01's
        first retry)."""
        self._plain.holder = of

    def held_since(self) -> float | None:
        """The monotonic clock when the held connection's exchange was sent, if one is held."""
        return self._plain.held_since

    def exchange(self, ex: Exchange, timeout: float, held: bool = False) -> Exchange:
        """Perform ``ex`` (method, url, request, request_headers); fill in the answer. ``held``:
        on the connection ``hold_connection`` set aside, if the product has not closed it."""
        if self.refuses(ex):
            return ex
        started = ex.mark_sent()
        self.note_sent(ex)
        deadline = started + timeout
        timed_out = False
        try:
            if ex.url[:7].lower() == "http://":
                self._plain.exchange(ex, timeout, deadline, held)
            else:
                self._with_requests(ex, timeout, deadline)
        except (TimeoutError, requests.Timeout):
            ex.error, timed_out = f"no complete answer within {timeout:g} s", True
        except _Failure as failure:
            ex.error = f"transport failure: {failure.kind}: {_innermost(failure.cause)}"
        except requests.RequestException as exc:
            ex.error = f"transport failure: {type(exc).__name__}: {_innermost(exc)}"
        ex.elapsed = time.monotonic() - started
        self.late.note(ex, timed_out)
        return ex

    def _with_requests(self, ex: Exchange, timeout: float, deadline: float) -> None:
        response = self.session.request(ex.method, ex.url, data=ex.request or None,
                                        headers=ex.request_headers, timeout=timeout,
                                        stream=True, allow_redirects=False)
        with response:
            chunks = []
            for chunk in response.iter_content(_CHUNK):
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise TimeoutError
            ex.status = response.status_code
            ex.response = b"".join(chunks)
            ex.response_headers = dict(response.headers)


def _innermost(exc: BaseException) -> BaseException:
    """The innermost cause: what the report names, without the wrappers around it."""
    inner = exc
    while inner.__cause__ is not None or inner.__context__ is not None:
        inner = inner.__cause__ or inner.__context__  # type: ignore[assignment]
    return inner


class _Said(Exception):
    """A failure urllib3 detects itself (its text as it words it)."""


class _Failure(Exception):
    """A transport failure, reported as ``requests`` named it (``kind``) with its cause."""

    def __init__(self, kind: str, cause: BaseException):
        super().__init__(kind)
        self.kind, self.cause = kind, cause


@dataclass(frozen=True)
class _Target:
    url: str  # as requests prepares it (percent-encoding requoted, IDNA host)
    host: str
    port: int
    path: str  # the request target: path and query


@functools.lru_cache(maxsize=64)
def _target(url: str) -> _Target:
    """``url`` prepared by requests' own code (its errors too), once per URL of a run."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    parsed = urllib3.util.parse_url(prepared.url)
    return _Target(prepared.url, parsed.host or "", parsed.port or 80, prepared.path_url)


# requests' session headers (User-Agent python-requests/…, Accept-Encoding, Accept, Connection)
_DEFAULTS = tuple(default_headers().items())
# urllib3 joins an obsolete folded header line into one (and the cookie jar reads it so)
_FOLD = re.compile(r"(?:(?<![ \t])[ \t]+)?\r\n[ \t]+")


class _Plain:
    """Plain HTTP on http.client; see the module doc for what it keeps from ``requests``.

    Cases that send concurrently (P-BIND-05, J-FULL-14) share it from several threads: as in
    urllib3's pool, an exchange takes an idle connection to its host (the last one returned)
    or opens one, and returns it once the answer is read, ten idle ones kept at most."""

    def __init__(self, cookies: RequestsCookieJar):
        self._idle: dict[tuple[str, int], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._cookies = cookies
        self.holder: Callable[[Exchange], bool] | None = None  # Transport.hold_connection
        self._held: http.client.HTTPConnection | None = None
        self.held_since: float | None = None

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
            held, self._held = self._held, None
        for conn in [c for connections in idle.values() for c in connections] + [held]:
            if conn is not None:
                conn.close()

    def exchange(self, ex: Exchange, timeout: float, deadline: float, held: bool = False) -> None:
        try:
            target = _target(ex.url)
        except requests.RequestException as exc:
            raise _Failure(type(exc).__name__, exc) from None
        headers = self._headers(ex, target)
        conn = self._connection(target, timeout, self._take_held() if held else None)
        try:
            response = self._send(conn, ex, target, headers)
        except BaseException:
            conn.close()
            raise
        failed = False
        try:
            self._read(response, ex, deadline)
        except _Failure:
            # as urllib3: a connection an answer failed on goes, even when http.client closed
            # the answer itself (a bad chunk size): the product may be closing it, or the rest
            # of that answer is still on it
            failed = True
            raise
        finally:
            # or an answer not read to its end; or a request that said Connection: close — its
            # sender MUST NOT send another on it (RFC 9112 9.6), and the product closes it at
            # a moment of its own, so a reuse would race the close
            if failed or not response.isclosed() or _says_close(headers):
                response.close()
                conn.close()
            elif not self._hold(ex, conn):
                self._release(target, conn)

    def _hold(self, ex: Exchange, conn: http.client.HTTPConnection) -> bool:
        with self._lock:
            if self.holder is None or conn.sock is None or not self.holder(ex):
                return False  # (a connection the product closed after the answer: the next)
            replaced, self._held = self._held, conn
            self.holder, self.held_since = None, ex.sent_monotonic  # one, until re-armed
        if replaced is not None:
            replaced.close()
        return True

    def _take_held(self) -> http.client.HTTPConnection | None:
        with self._lock:
            conn, self._held, self.held_since = self._held, None, None
        return conn

    def _release(self, target: _Target, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault((target.host, target.port), [])
            if len(idle) < _POOL:
                idle.append(conn)
                return
        conn.close()

    def _headers(self, ex: Exchange, target: _Target) -> dict[str, tuple[str, str]]:
        """Lower-case name → (name, value) in requests' order: its defaults first, each
        replaced in place by the request's own (with its spelling), then the request's others;
        then Cookie (the jar's) and Content-Length, as requests prepares them."""
        merged = {name.lower(): (name, value) for name, value in _DEFAULTS}
        for name, value in ex.request_headers.items():
            merged[name.lower()] = (name, value)
        for key in [k for k, (_, v) in merged.items() if v is None]:
            del merged[key]
        for header in merged.values():
            check_header_validity(header)
        if len(self._cookies):
            cookie = get_cookie_header(self._cookies, SimpleNamespace(
                url=target.url, headers=CaseInsensitiveDict(dict(merged.values()))))
            if cookie is not None:
                merged["cookie"] = ("Cookie", cookie)
        if ex.request:
            merged["content-length"] = ("Content-Length", str(len(ex.request)))
        elif ex.method not in ("GET", "HEAD") and "content-length" not in merged:
            merged["content-length"] = ("Content-Length", "0")
        return merged

    def _connection(self, target: _Target, timeout: float,
                    held: http.client.HTTPConnection | None = None) -> http.client.HTTPConnection:
        conn = held
        if conn is None:
            with self._lock:
                idle = self._idle.get((target.host, target.port))
                conn = idle.pop() if idle else None
        if conn is None:
            conn = Connection(target.host, target.port)  # headers read without email
        elif conn.sock is not None and select.select([conn.sock], [], [], 0)[0]:
            conn.close()  # the product closed it (or says something unasked): a new one
        conn.timeout = timeout
        if conn.sock is None:
            try:
                conn.connect()
            except TimeoutError:
                conn.close()
                raise
            except OSError as exc:
                conn.close()
                raise _Failure("ConnectionError", exc) from None
        else:
            conn.sock.settimeout(timeout)
        return conn

    def _send(self, conn: http.client.HTTPConnection, ex: Exchange, target: _Target,
              headers: dict[str, tuple[str, str]]) -> http.client.HTTPResponse:
        try:
            conn.putrequest(ex.method, target.path, skip_host="host" in headers,
                            skip_accept_encoding="accept-encoding" in headers)
            if "user-agent" not in headers:  # only when a request takes requests' away
                conn.putheader("User-Agent", f"python-urllib3/{urllib3.__version__}")
            for name, value in headers.values():
                conn.putheader(name, value)
            conn.endheaders(ex.request or None)
        except (BrokenPipeError, ConnectionResetError):
            pass  # as urllib3: the product may answer (and close) before reading it all
        except TimeoutError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            raise _Failure("ConnectionError", exc) from None
        try:
            response = conn.getresponse()
        except TimeoutError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            raise _Failure("ConnectionError", exc) from None
        items = response.msg.items()
        if any("\r\n" in value for _, value in items):
            for name, _ in items:
                del response.msg[name]
            for name, value in items:
                response.msg[name] = _FOLD.sub(" ", value)
        return response

    def _read(self, response: http.client.HTTPResponse, ex: Exchange, deadline: float) -> None:
        joined: dict[str, tuple[str, list[str]]] = {}  # urllib3: repeated fields joined by ", "
        for name, value in response.msg.items():
            joined.setdefault(name.lower(), (name, []))[1].append(value)
        response_headers = {name: ", ".join(values) for name, values in joined.values()}
        decode = _decoder(response_headers)
        chunks, received = [], 0
        while True:
            try:
                data = response.read(_CHUNK)
            except TimeoutError as exc:  # requests: a read timeout inside the body
                raise _Failure("ConnectionError", exc) from None
            except (OSError, http.client.HTTPException) as exc:
                raise _Failure("ChunkedEncodingError", exc) from None
            received += len(data)
            end = not data
            if end and not response.chunked and response.length:  # urllib3 checks the length
                raise _Failure("ChunkedEncodingError", _Said(
                    f"IncompleteRead({received} bytes read, {response.length} more expected)"))
            if decode is not None:
                try:
                    data = decode(data)
                except zlib.error as exc:
                    raise _Failure("ContentDecodingError", exc) from None
            if data:
                chunks.append(data)
            if end:
                break
            if time.monotonic() > deadline:
                raise TimeoutError
        if "set-cookie" in joined or "set-cookie2" in joined:
            extract_cookies_to_jar(self._cookies, SimpleNamespace(url=_target(ex.url).url,
                                                                  headers={}),
                                   SimpleNamespace(_original_response=response))
        ex.status = response.status
        ex.response = b"".join(chunks)
        ex.response_headers = response_headers


def _decoder(headers: dict[str, str]) -> Callable[[bytes], bytes] | None:
    """The Content-Encoding urllib3 undoes (gzip, deflate; several in a row), else None."""
    encoding = next((v for k, v in headers.items() if k.lower() == "content-encoding"), "")
    codings = [c.strip() for c in encoding.lower().split(",") if c.strip()]
    if not codings or any(c not in ("gzip", "x-gzip", "deflate") for c in codings):
        return None
    steps = [_Gzip() if c != "deflate" else _Deflate() for c in reversed(codings)]

    def decode(data: bytes) -> bytes:
        for step in steps:
            data = step.feed(data)
        return data

    return decode


class _Deflate:
    """zlib-wrapped deflate, or raw deflate when the first bytes are not zlib (urllib3)."""

    def __init__(self) -> None:
        self._first, self._data = True, b""
        self._obj = zlib.decompressobj()

    def feed(self, data: bytes) -> bytes:
        if not data:
            return data
        if not self._first:
            return self._obj.decompress(data)
        self._data += data
        try:
            decompressed = self._obj.decompress(data)
            if decompressed:
                self._first, self._data = False, b""
            return decompressed
        except zlib.error:
            self._first = False
            self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
            try:
                return self.feed(self._data)
            finally:
                self._data = b""


class _Gzip:
    """gzip, several members in a row; garbage after a complete member ignored (urllib3)."""

    def __init__(self) -> None:
        self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._members, self._swallow = 0, False

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        if self._swallow or not data:
            return bytes(out)
        while True:
            try:
                out += self._obj.decompress(data)
            except zlib.error:
                self._swallow = True
                if self._members:
                    return bytes(out)
                raise
            data = self._obj.unused_data
            if not data:
                return bytes(out)
            self._members += 1
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)


def _says_close(headers: dict[str, tuple[str, str]]) -> bool:
    """Whether the request's Connection field holds the ``close`` option."""
    _, value = headers.get("connection", ("", ""))
    return any(option.strip().lower() == "close" for option in value.split(","))
