"""Persistent connections (P-WIRE-02, round 44a): a close option honoured, pipelined requests
answered in order — step ``connection = "@sample"``.

RFC 9112 9.3: an HTTP/1.1 connection persists unless a ``close`` connection option is sent
(or the answer is HTTP/1.0 without keep-alive); 9.3.2: a client may pipeline requests on a
persistent connection, and the server answers them in the order received; 9.6: a server that
receives a ``close`` option MUST close the connection after the final answer to that request,
and a server that does not support persistence sends ``close`` in every answer. The suite's own
client sends each request after the answer to the one before, with a Content-Length, and reads
each answer by its framing, so a front end that drops the bytes read past a body (a request
pipelined behind it) or keeps every connection open passes every other case (the
forty-fourth blind batch). On sockets of this module's own, in the SOAP versions in turn:

- ``close``: a request carrying ``Connection: close``; the answer, then the connection closed
  by the product within CLOSE_WITHIN seconds, nothing after the answer;
- ``pipelined``: two requests (fresh messages; for a notice, fresh residents) written at once,
  the first without a ``Connection`` field (persistent), the second with ``close``. Both
  answered, in order, then the connection closed — or the first answer announces the close
  (``close``, or HTTP/1.0 without keep-alive) and the connection closes after it: the second
  request is then not processed (9.6), and nothing is judged of it.

Every answer must be an answer, not a fault (a notice: receipted), and goes to the invariants
with its own request: an answer to the second request read as the first's fails the binding
(INV-BIND-*: RelatesTo, RequestHash).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from . import checks
from .records import Exchange
from .wire_forms import AnswerReader, Form, open_socket, read_answer, request_bytes, tls_context

CLOSE_WITHIN = 2.0  # seconds the product has to close the connection after its final answer
_KEPT = Form("pipelined-first", "RFC 9112 9.3.2", close=False)
_CLOSING = Form("close", "RFC 9112 9.6")


def run_step(runner, step, values: dict[str, Any]) -> list[str]:
    versions = step.get("soap", ["1.1", "1.2"])
    problems = [f"close SOAP {versions[0]} (RFC 9112 9.6): {p}"
                for p in _close(runner, step, values, versions[0])]
    second = versions[1 % len(versions)]
    problems += [f"pipelined SOAP {second} (RFC 9112 9.3.2, 9.6): {p}"
                 for p in _pipelined(runner, step, values, second)]
    return problems


def _close(runner, step, values, soap: str) -> list[str]:
    ex, timeout = _built(runner, step, values, soap, f"close SOAP {soap}")
    with _Connection(runner, step, ex, timeout) as conn:
        conn.send(request_bytes(ex, _CLOSING), ex)
        problems = conn.answer(ex)
        if not problems:
            problems = _outcome(ex) + conn.closed("after the answer to a request carrying "
                                                  "Connection: close")
    return problems


def _pipelined(runner, step, values, soap: str) -> list[str]:
    first, timeout = _built(runner, step, values, soap, f"pipelined 1 of 2 SOAP {soap}")
    second, _ = _built(runner, step, values, soap, f"pipelined 2 of 2 SOAP {soap}")
    with _Connection(runner, step, first, timeout) as conn:
        conn.send(request_bytes(first, _KEPT) + request_bytes(second, _CLOSING), first, second)
        problems = conn.answer(first, "the first request")
        if problems:
            return problems
        problems = _outcome(first, "the first request")
        if not persistent(first, conn.version):  # 9.6: announced, the second not processed
            return problems + conn.closed("after an answer announcing the close")
        read = conn.answer(second, "the second request, written before the first's answer "
                                   "came")
        if read:
            return problems + read
        return problems + _outcome(second, "the second request") + conn.closed(
            "after the answer to the second request, which carried Connection: close")


def persistent(ex: Exchange, version: str) -> bool:
    """Whether the connection persists after ``ex``'s answer (RFC 9112 9.3): no ``close``
    option, and HTTP/1.1 — or HTTP/1.0 with ``keep-alive``."""
    options = {o.strip().lower() for k, v in ex.response_headers.items()
               if k.lower() == "connection" for o in v.split(",")}
    if "close" in options:
        return False
    return version != "HTTP/1.0" or "keep-alive" in options


def _built(runner, step, values, soap: str, label: str) -> tuple[Exchange, float]:
    vals = {**values, "fresh_addressee": runner._fresh_addressee()}
    return runner._build(step.with_options(soap=soap), vals, step.target, {}, label)


def _outcome(ex: Exchange, which: str = "") -> list[str]:
    return [f"{which}: {p}" if which else p for p in checks.outcome(ex, "response")]


class _Connection:
    """One socket to the product (TLS for an https:// one); every request written on it is
    recorded, and every answer read goes to the invariants."""

    def __init__(self, runner, step, ex: Exchange, timeout: float):
        self.runner, self.step, self.timeout = runner, step, timeout
        https = urlsplit(ex.url).scheme == "https"
        tls = tls_context(runner.s.transport.session) if https else None
        self.sock = None
        self.error: str | None = None
        if runner.s.transport.refuses(ex):
            self.error = ex.error
        else:
            try:
                self.sock = open_socket(ex.url, timeout, tls)
            except OSError as exc:
                self.error = f"transport failure: {type(exc).__name__}: {exc}"
        self.reader = AnswerReader(self.sock, 0.0)
        self.started = 0.0
        self.version = ""  # the HTTP version of the last answer read

    def __enter__(self) -> _Connection:
        return self

    def __exit__(self, *exc) -> None:
        if self.sock is not None:
            self.sock.close()

    def send(self, data: bytes, *exchanges: Exchange) -> None:
        for ex in exchanges:
            self.started = ex.mark_sent()
            self.runner.result.exchanges.append(ex)
            self.runner.s.transport.note_sent(ex)
        if self.sock is not None and self.error is None:
            try:
                self.sock.sendall(data)
            except OSError as exc:
                self.error = f"transport failure: {type(exc).__name__}: {exc}"
        self.reader.deadline = self.started + self.timeout

    def answer(self, ex: Exchange, which: str = "") -> list[str]:
        """Read ``ex``'s answer; the reasons there is none (in time, complete)."""
        if self.error is None:
            try:
                self.version = read_answer(self.reader, ex)
            except TimeoutError:
                ex.error = f"no complete answer in {self.timeout:g} s"
            except (OSError, ValueError) as exc:
                ex.error = f"{type(exc).__name__}: {exc}"
        else:
            ex.error = self.error
        ex.elapsed = time.monotonic() - self.started
        if ex.error is None:
            self.runner._observe_answer(self.step, ex)
            return []
        return [f"{which}: {ex.error}" if which else ex.error]

    def closed(self, when: str) -> list[str]:
        """Why the connection is not closed by the product within CLOSE_WITHIN seconds."""
        r = self.reader
        if r.buf:
            return [f"{len(r.buf)} bytes after the answer ({bytes(r.buf[:40])!r}) {when}"]
        r.deadline = time.monotonic() + CLOSE_WITHIN
        try:
            more = r.more()
        except TimeoutError:
            return [f"the connection is still open {CLOSE_WITHIN:g} s {when} (the product "
                    f"MUST close it)"]
        except OSError:
            return []  # reset: closed
        return [f"bytes after the answer ({more[:40]!r}) {when}"] if more else []


