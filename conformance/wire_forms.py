"""HTTP/1.x request forms a server must accept (P-WIRE-01) and documents followed by other
content (P-HOST-07), step ``wire = "@sample"`` with ``forms = "accepted"`` or ``"trailing"``.

``accepted`` (RQ-SOAP-13): the canonical request, then the same request (a fresh MessageId, for
a notice a fresh resident) in each form RFC 9112 and XML 1.0 give it that the suite's client
never writes, each answered exactly as the canonical form (answer_comparison.compare): every
request-target form a POST may have — origin-form (the canonical) and absolute-form (RFC 9112
3.2.2: "a server MUST accept the absolute-form"), the latter with its scheme and host in upper
case too (RFC 3986 3.1, 3.2.2: case-insensitive) — in HTTP/1.1 and HTTP/1.0 (an HTTP/1.0
request need not carry Host, RFC 9112 3.2), a body in the chunked transfer coding (RFC 9112
7.1: every HTTP/1.1 recipient MUST be able to parse it), its coding and field named in any case
(RFC 9112 7, RFC 9110 5.1: case-insensitive), and a comment after the document (XML
1.0 2.1, 2.8: Misc may follow the root element; P-ENC-04 sends white space there), and (round
46b) the header fields a client, a proxy or a gateway adds — Accept and Accept-Charset naming
other media types and charsets first, values holding octets above 0x7F in UTF-8 and in Latin-1
(RFC 9112 2.2, RFC 9110 5.5: obs-text, opaque data), empty, padded and repeated fields, a name of
every token character — after which the answer keeps its binding's media type. The answer's
framing is judged too: a response to an HTTP/1.0 request must not be chunked (RFC 9112 7.1,
6.1: Transfer-Encoding only to a request that indicates HTTP/1.1), so it is delimited by
Content-Length or by closing the connection; and every answer read on this socket must be one
the hub's own answer parser reads (round 15, ``hub_reading``: CRLF only, one Content-Length,
none beside Transfer-Encoding — what docs/security.md says the hub refuses with
PF-PROVIDER-UNREACHABLE, and the suite's lenient HTTP client reads). These forms go over a
socket of this module's own: the suite's client writes an origin-form HTTP/1.1 request with a
Content-Length only.

``trailing`` (RQ-FAULT-07): the canonical request followed after its root element by what XML
1.0 2.1 does not allow there — another element, character data, a CDATA section, a second copy
of the envelope, a second XML declaration — each refused as not well-formed: a client fault
naming xml:well-formed (P-HOST-04's judgement), never answered as the envelope before it.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bus.core.faults import FAULT_DETAIL_TAG, FaultDetail
from bus.hub.http_answer import AnswerCut, AnswerParser, AnswerTooLarge, MalformedAnswer
from bus.hub.http_answers import SOAP_MEDIA_TYPES

from . import answer_comparison, checks
from .envelopes import SOAP_VERSION
from .records import Exchange

Headers = dict[str, str]


@dataclass(frozen=True)
class Form:
    name: str
    spec: str
    version: str = "HTTP/1.1"
    target: str = "origin"  # origin | absolute | absolute-upper
    host: bool = True  # send a Host field
    chunked: str = ""  # the body in the chunked transfer coding: its field as written
    split_in_a_character: bool = False  # the chunk boundary inside the body's first multi-byte
    length_zeros: int = 0  # zeros written before the Content-Length's digits
    length_beside_chunked: bool = False  # a Content-Length (the decoded body's) beside chunked
    trailer: bytes = b""  # after the document (Misc, or what is not allowed there)
    twice: bool = False  # the whole envelope again after it
    close: bool = True  # ask for the connection's close (Connection: close)
    # header field lines as sent (octets: a value may hold obs-text), {own} and {other} the
    # media types of the request's SOAP version and of the other one
    fields: tuple[bytes, ...] = ()


ACCEPTED: tuple[Form, ...] = (
    Form("absolute-form", "RFC 9112 3.2.2 (a server MUST accept the absolute-form)",
         target="absolute"),
    Form("absolute-form-upper-case", "RFC 9112 3.2.2; RFC 3986 3.1, 3.2.2 (scheme and host are "
         "case-insensitive)", target="absolute-upper"),
    Form("http-1.0", "RFC 9112 2.3, 3.2 (an HTTP/1.0 request, Host optional); RFC 9110 6.2",
         version="HTTP/1.0", host=False),
    Form("http-1.0-absolute-form", "RFC 9112 3.2.2 with HTTP/1.0 (a request through a proxy)",
         version="HTTP/1.0", target="absolute"),
    # round 48a: HTTP/1.0 asking to keep the connection (RFC 9112 9.3, RFC 7230 A.1.2): an
    # answer with neither Content-Length nor chunked ends only at the close (RFC 9112 6.3), so
    # one kept open must say its length (the forty-eighth blind batch kept it open unframed)
    Form("http-1.0-keep-alive", "RFC 9112 9.3, 6.3; RFC 7230 A.1.2 (HTTP/1.0 keep-alive: an "
         "answer on a connection kept open says its length)", version="HTTP/1.0", host=False,
         close=False, fields=(b"Connection: keep-alive",)),
    Form("chunked-body", "RFC 9112 7.1 (a recipient MUST be able to parse chunked: two chunks, "
         "an extension, a trailer field)", chunked="Transfer-Encoding: chunked"),
    # round 40c: a coding's name and a field's name are case-insensitive (the fortieth blind
    # batch read a body as chunked only when the field said exactly "chunked")
    Form("chunked-body-capitalised", "RFC 9112 7 (transfer-coding names are case-insensitive)",
         chunked="Transfer-Encoding: Chunked"),
    Form("chunked-body-upper-case", "RFC 9112 7, RFC 9110 5.1 (coding and field names are "
         "case-insensitive)", chunked="TRANSFER-ENCODING: CHUNKED"),
    Form("comment-after-document", "XML 1.0 2.1, 2.8 (Misc after the root element)",
         trailer=b"\n<!-- conformance: a comment after the document -->\n"),
    # round 42b: chunks are bytes, a length is a decimal number (the forty-second blind batch
    # decoded each chunk on its own, and read a Content-Length with a leading zero as octal)
    Form("chunked-body-split-in-a-character", "RFC 9112 7.1 (chunks are octets: a boundary "
         "may fall inside a character)", chunked="Transfer-Encoding: chunked",
         split_in_a_character=True),
    Form("content-length-leading-zeros", "RFC 9110 8.6 (Content-Length = 1*DIGIT, a decimal "
         "number of octets: leading zeros allowed)", length_zeros=3),
    # round 43c: both framings (the forty-third blind batch read the body by its Content-Length
    # whenever the field was there: the chunked framing's first bytes, refused as not XML)
    Form("chunked-body-with-content-length", "RFC 9112 6.3 (Transfer-Encoding overrides "
         "Content-Length; a server may instead refuse the request, at the HTTP layer)",
         chunked="Transfer-Encoding: chunked", length_beside_chunked=True),
    # round 46b: the fields a client, a proxy or a gateway adds, which change nothing — a
    # preference for other media types and charsets (the answer keeps its binding's media type
    # and an encoding README names, the invariants judge it), octets above 0x7F, empty and
    # padded values, a list field on two lines, every token character in a name (the
    # forty-sixth blind batch labelled its answer from the Accept field, and refused a header
    # section that was not ASCII)
    Form("accept-other-soap-version-first", "RFC 9110 12.5.1 (Accept states a preference); "
         "SOAP 1.1 HTTP binding, SOAP 1.2 Part 2 7.1.4 (the answer's media type is the "
         "binding's)", fields=(b"Accept: {other}, {own};q=0.5, */*;q=0.1",)),
    Form("accept-generic-xml-and-other-charsets", "RFC 9110 12.5.1–12.5.4 (Accept, "
         "Accept-Charset, Accept-Language state preferences); README (an answer is UTF-8, "
         "UTF-16 or US-ASCII)",
         fields=(b"Accept: application/xml, text/*;q=0.9, */*;q=0.1",
                 b"Accept-Charset: Shift_JIS, EUC-JP;q=0.9, utf-8;q=0.1",
                 b"Accept-Language: en-US, en;q=0.9")),
    Form("field-value-in-utf-8", "RFC 9110 5.5 (obs-text: octets above 0x7F in a value, opaque "
         "data); RFC 9112 2.2 (a message is parsed as octets)",
         fields=("X-Operator: 総務課 (住民記録係)".encode(),)),
    Form("field-value-in-latin-1", "RFC 9110 5.5, 7.6.3 (a Via comment holding obs-text that "
         "is no UTF-8)", fields=(b"Via: 1.1 gw.example.lg.jp (Proxy caf\xe9)",)),
    Form("empty-padded-and-repeated-fields", "RFC 9110 5.5 (an empty value; white space "
         "around a value is not part of it), 5.3 (a list field on two lines)",
         fields=(b"X-Empty:", b"X-Padded: \t padded value \t",
                 b"Cache-Control: no-cache", b"Cache-Control: no-store")),
    Form("field-name-of-every-token-character", "RFC 9110 5.1, 5.6.2 (field-name = token: "
         "!#$%&'*+-.^_`|~ and alphanumerics)", fields=(b"X-Trace!#$%&'*+-.^_`|~0: 1",)),
)
# SOAP version → its binding's media type (the hub's own table, read the other way)
MEDIA_TYPES = {SOAP_VERSION[ns]: media for media, ns in SOAP_MEDIA_TYPES.items()}

TRAILING: tuple[Form, ...] = (
    Form("element-after-document", "XML 1.0 2.1 (one root element)", trailer=b"<extra/>"),
    Form("text-after-document", "XML 1.0 2.1 (no character data after the root)",
         trailer=b"\nextra"),
    Form("cdata-after-document", "XML 1.0 2.1, 2.7 (CDATA only in content)",
         trailer=b"<![CDATA[extra]]>"),
    Form("envelope-twice", "XML 1.0 2.1 (one root element)", twice=True),
    Form("declaration-after-document", "XML 1.0 2.8 (the XML declaration only at the start)",
         trailer=b'<?xml version="1.0" encoding="UTF-8"?>'),
)
FORMS = {"accepted": ACCEPTED, "trailing": TRAILING}


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    """Each form once, the SOAP versions in turn (form i over the i-th, modulo their number);
    an accepted form judged against the canonical request's answer in its SOAP version."""
    which = step.get("forms", "accepted")
    if which not in FORMS:
        raise ValueError(f"{step.where}.forms: {which!r}; known: {sorted(FORMS)}")
    ignore, namespaces = step.get("ignore", []), runner.s.context.namespaces
    versions = step.get("soap", ["1.1", "1.2"])
    # with --observe and observe_vars, the product's state after an accepted form must be its
    # state after the canonical request (round 42b: a name decoded chunk by chunk)
    observe = step.get("observe_vars") if runner.s.observe is not None else None
    canon: dict[str, tuple[Exchange, Any]] = {}
    problems: list[str] = []
    for k, form in enumerate(FORMS[which]):
        soap = versions[k % len(versions)]
        if which == "accepted" and soap not in canon:
            canon[soap] = _post(runner, step, values, soap, None, observe)
        ex, seen = _post(runner, step, values, soap, form, observe)
        before = canon.get(soap)
        found = _judge(runner, ex, before[0] if before else None, form, ignore, namespaces)
        if before and observe and not found and not refused(ex, form) and seen != before[1]:
            found = [f"observed {seen!r} after it, {before[1]!r} after the canonical request"]
        problems += [f"{form.name} SOAP {soap} ({form.spec}): {p}" for p in found]
    return problems


def _judge(runner, ex: Exchange, canon: Exchange | None, form: Form, ignore, namespaces):
    if canon is not None:
        found = _framing(ex, form) + answer_comparison.compare(canon, ex, ignore, namespaces)
        if found and form.length_beside_chunked:
            refusal = http_refusal(ex)
            return [] if refusal is None else found + [f"nor refused at the HTTP layer: {refusal}"]
        return found
    if ex.error:
        return [ex.error]
    problems = checks.outcome(ex, "fault")
    if problems:
        return problems
    try:
        return checks.fault(runner.s.context, ex, checks.client_fault_spec(
            ex, {"rule_in": ["xml:well-formed"]}, runner.s.context))
    except ValueError as exc:
        return [str(exc)]


def refused(ex: Exchange, form: Form) -> bool:
    """Whether ``form`` may be refused at the HTTP layer and ``ex``'s answer is that refusal."""
    return form.length_beside_chunked and http_refusal(ex) is None


def http_refusal(ex: Exchange) -> str | None:
    """Why ``ex``'s answer is not a refusal of the request's framing by the HTTP layer (RFC 9112
    6.3 lets a server refuse a request with both Content-Length and Transfer-Encoding): HTTP 400
    and, when it is a SOAP Fault, a client's with no finding of a rule outside http:* (the
    SDK's PF-HTTP-BAD-REQUEST, http:syntax) — a body read by one framing and judged as XML is
    not that; None when it is one."""
    if ex.error:
        return ex.error
    if ex.status != 400:
        return f"HTTP {ex.status}, not 400"
    try:
        env = ex.envelope()
    except ValueError:
        return None  # a bare 400: the HTTP layer's, not a judgement of the body
    if not env.is_fault:
        return "an answer, not a refusal"
    detail = env.body.find(f".//{FAULT_DETAIL_TAG}")
    if detail is None:
        return None
    found = FaultDetail.from_element(detail)
    if found.party != "client":
        return f"pff:Party is {found.party}, not client"
    rules = [f.rule for f in found.findings if not f.rule.startswith("http:")]
    return f"a finding of {rules[0]}, not of the HTTP layer (http:*)" if rules else None


def _framing(ex: Exchange, form: Form) -> list[str]:
    problems = [ex.framing] if ex.framing else []
    coding = next((v for k, v in ex.response_headers.items()
                   if k.lower() == "transfer-encoding"), "")
    if form.version == "HTTP/1.0" and coding:
        problems.append(f"Transfer-Encoding: {coding} in the answer to an HTTP/1.0 request (RFC "
                        f"9112 6.1, 7.1: it cannot read it; Content-Length or closing the "
                        f"connection delimits the body)")
    return problems


def _post(runner, step, values: dict[str, Any], soap: str, form: Form | None,
          observe=None) -> tuple[Exchange, Any]:
    """One request with fresh values (a new resident for a notice, a new MessageId): through the
    suite's client when ``form`` is None, else written by this module; with ``observe``, the
    product's state after it."""
    vals = {**values, "fresh_addressee": runner._fresh_addressee()}
    label = f"{form.name if form else 'canonical'} SOAP {soap}"
    ex = _sent(runner, step, vals, soap, form, label)
    return ex, (runner.observed_state(step, vals, observe, label) if observe else None)


def _sent(runner, step, vals: dict[str, Any], soap: str, form: Form | None,
          label: str) -> Exchange:
    one = step.with_options(soap=soap)
    if form is None:
        return runner._post(one, vals, step.target, {}, label)
    ex, timeout = runner._build(one, vals, step.target, {}, label)
    ex.request += ex.request if form.twice else form.trailer
    if form.version == "HTTP/1.1" and form.target == "origin" and not form.chunked \
            and not form.length_zeros and not form.fields:
        runner.s.transport.exchange(ex, timeout)  # only the bytes differ: the suite's client
    elif not runner.s.transport.refuses(ex):
        https = urlsplit(ex.url).scheme == "https"
        send_raw(ex, form, timeout, tls_context(runner.s.transport.session) if https else None)
        runner.s.transport.note_sent(ex)
    runner.result.exchanges.append(ex)
    if not (form and refused(ex, form)):
        # an HTTP layer's refusal read no message: the message invariants do not apply to it
        runner._observe_answer(one, ex)
    return ex


# --- the socket --------------------------------------------------------------------------------

def tls_context(session) -> ssl.SSLContext:
    """An https:// product's TLS as the suite's requests session has it (--cacert, --cert,
    --insecure); made only for an https:// product (loading the CA bundle costs ~30 ms)."""
    verify = session.verify
    ctx = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
    if verify is False:
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    if session.cert:
        cert, key = session.cert if isinstance(session.cert, tuple) else (session.cert, None)
        ctx.load_cert_chain(cert, key)
    return ctx


def request_bytes(ex: Exchange, form: Form) -> bytes:
    url = urlsplit(ex.url)
    path = url.path or "/"
    if url.query:
        path += "?" + url.query
    target = path
    if form.target != "origin":
        scheme, netloc = url.scheme, url.netloc
        if form.target == "absolute-upper":
            scheme, netloc = scheme.upper(), netloc.upper()
        target = f"{scheme}://{netloc}{path}"
    lines = [f"POST {target} {form.version}"]
    if form.host:
        lines.append(f"Host: {url.netloc}")
    lines += [f"{k}: {v}" for k, v in ex.request_headers.items()]
    body = ex.request
    if form.chunked:  # in two chunks, the first with a chunk extension (RFC 9112 7.1.1), the
        # last chunk followed by a trailer field (7.1.2: a recipient may discard it)
        half = lettered_split(len(body))
        if form.split_in_a_character:  # after the lead byte of the first multi-byte character
            half = next((i + 1 for i, b in enumerate(body) if b >= 0xC2), half)
        # chunk-size = 1*HEXDIG (RFC 9112 7.1; RFC 5234: HEXDIG in either case): the first in
        # lower case, the second in upper case after a leading zero (round 45b)
        body = (f"{half:x};conformance=1\r\n".encode() + body[:half] + b"\r\n"
                + f"0{len(body) - half:X}\r\n".encode() + body[half:] + b"\r\n0\r\n"
                + b"Conformance-Trailer: 1\r\n\r\n")
        lines.append(form.chunked)
        if form.length_beside_chunked:  # what a client adding the coding would leave: the
            # decoded body's length, short of the framing's
            lines.append(f"Content-Length: {len(ex.request)}")
    else:
        lines.append(f"Content-Length: {'0' * form.length_zeros}{len(body)}")
    if form.close:
        lines.append("Connection: close")
    head = [line.encode("latin-1") for line in lines]
    if form.fields:
        own = MEDIA_TYPES[ex.soap_version or "1.1"]
        other = next(t for t in MEDIA_TYPES.values() if t != own)
        head += [f.replace(b"{own}", own).replace(b"{other}", other) for f in form.fields]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def lettered_split(n: int) -> int:
    """Where to split ``n`` bytes in two chunks, near the middle, so that both chunk-sizes hold
    a hex letter (a–f): a size of decimal digits only reads the same to a parser that knows no
    letters, or only one case (the forty-fifth blind batch refused a capital one, and met one
    only on the notice)."""
    def lettered(k: int) -> bool:
        return any(c in "abcdef" for c in f"{k:x}")
    middle = n // 2
    for d in range(middle):
        for half in (middle - d, middle + d):
            if 0 < half < n and lettered(half) and lettered(n - half):
                return half
    return middle


def send_raw(ex: Exchange, form: Form, timeout: float, tls: ssl.SSLContext | None) -> None:
    """Send ``ex`` in ``form`` on a connection of its own (TLS with ``tls``, for an https://
    product); fill in the answer (a complete one within ``timeout``, else ``ex.error``)."""
    started = ex.mark_sent()
    deadline = started + timeout
    try:
        with open_socket(ex.url, timeout, tls) as sock:
            sock.sendall(request_bytes(ex, form))
            reader = AnswerReader(sock, deadline)
            read_answer(reader, ex)
            ex.framing = hub_reading(bytes(reader.raw))
    except (OSError, ValueError) as exc:
        ex.error = f"transport failure ({form.name}): {type(exc).__name__}: {exc}"
    ex.elapsed = time.monotonic() - started


def open_socket(url: str, timeout: float, tls: ssl.SSLContext | None) -> socket.socket:
    """A connection of its own to the product at ``url`` (TLS with ``tls``)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    raw = socket.create_connection((parts.hostname, port), timeout=timeout)
    return tls.wrap_socket(raw, server_hostname=parts.hostname) if tls else raw


def hub_reading(raw: bytes) -> str | None:
    """Why the hub's answer parser (bus/hub/http_answer.py, docs/security.md: CRLF only, one
    Content-Length and none beside Transfer-Encoding, no obs-fold) refuses the answer ``raw``
    — an answer the suite's lenient client reads and the hub does not (PF-PROVIDER-UNREACHABLE
    at level 2) — or None."""
    parser = AnswerParser(max_body=len(raw) + 1)
    try:
        if parser.feed(raw) is None:
            parser.end()
    except MalformedAnswer as exc:
        return f"the answer is not framed as the hub reads it (docs/security.md; RFC 9112): {exc}"
    except (AnswerCut, AnswerTooLarge):
        return None  # what was read is the suite's own reading's to judge
    return None


class AnswerReader:
    def __init__(self, sock, deadline: float):
        self.sock, self.deadline, self.buf = sock, deadline, b""
        self.raw = bytearray()  # every byte read, for the hub's reading (hub_reading)

    def more(self) -> bytes:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no complete answer in time")
        self.sock.settimeout(left)
        more = self.sock.recv(65536)
        self.raw += more
        return more

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            more = self.more()
            if not more:
                raise ValueError("the connection closed in the answer's head")
            self.buf += more
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            more = self.more()
            if not more:
                raise ValueError(f"the connection closed {n - len(self.buf)} bytes early")
            self.buf += more
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def rest(self) -> bytes:
        while more := self.more():
            self.buf += more
        out, self.buf = self.buf, b""
        return out


def read_answer(r: AnswerReader, ex: Exchange) -> str:
    """Read one answer into ``ex``; its HTTP version (of the status line)."""
    status = r.line()
    while status.startswith(b"HTTP/1.1 100") or status.startswith(b"HTTP/1.0 100"):
        while r.line():  # an interim answer's head: skipped
            pass
        status = r.line()
    parts = status.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise ValueError(f"not an HTTP/1.x status line: {status[:80]!r}")
    headers: Headers = {}
    while line := r.line():
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    ex.status, ex.response_headers = int(parts[1]), headers
    if "chunked" in headers.get("transfer-encoding", "").lower():
        ex.response = _dechunk(r)
    elif "content-length" in headers:
        ex.response = r.exactly(int(headers["content-length"]))
    else:
        ex.response = r.rest()
    return parts[0].decode("latin-1")


def _dechunk(r: AnswerReader) -> bytes:
    out = []
    while True:
        size = int(r.line().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while r.line():  # trailer fields
                pass
            return b"".join(out)
        out.append(r.exactly(size))
        r.exactly(2)

