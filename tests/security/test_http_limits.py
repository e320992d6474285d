"""Limits enforced at the HTTP layer of a real hub process, before a body is read: size
(Content-Length and chunked), Content-Type, and the read deadline against slow-loris clients.
Each runs over plain HTTP and over mutual TLS."""

from __future__ import annotations

import time

import pytest

from . import hubkit
from tests.support.soap import SOAP11, SOAP12
from tests.support.soap import inquiry_envelope as envelope

from .hubkit import MAX_BYTES, READ_TIMEOUT

pytestmark = pytest.mark.integration

IDLE_WAIT = READ_TIMEOUT + 60  # the client's read timeout in the idle test


@pytest.fixture(scope="module", params=hubkit.MODES)
def hub(tmp_path_factory, request):
    """The hub over plain HTTP, then over mutual TLS (raw sockets wrapped in TLS with
    vendor-b-tax's client certificate)."""
    h = hubkit.start(tmp_path_factory.mktemp(f"limits-{request.param}"),
                     tls=request.param == "tls")
    yield h
    hubkit.stop(h)


def head(hub, extra: str, ctype: str = "text/xml; charset=utf-8") -> bytes:
    return (f"POST /services/juki.ResidentInquiry HTTP/1.1\r\nHost: {hub['host']}\r\n"
            f"Content-Type: {ctype}\r\n{extra}\r\n").encode()


def test_a_valid_message_still_passes(hub):
    raw, _ = envelope()
    assert hubkit.post(hub, raw).status_code == 200


@pytest.mark.parametrize("soap", [SOAP11, SOAP12])
def test_oversized_content_length_is_refused_before_the_body_is_sent(hub, soap):
    before = hubkit.received(hub)
    ctype = hubkit.CTYPE[soap]
    # Claims 50 MB, then trickles 1 KB parts: the fault must come before the body does.
    answer, sent = hubkit.raw_exchange(hub, head(hub, "Content-Length: 52428800\r\n", ctype),
                                       [b"<" * 1024] * 200, pause=0.02)
    status, body = hubkit.split_http(answer)
    assert status == 413
    assert hubkit.fault_of(body) == {"code": "PF-LIMIT-SIZE", "rule": "limit:max_bytes"}
    assert soap.encode() in body  # answered in the version the Content-Type names
    assert sent < 64 * 1024, f"the hub read {sent} bytes of a refused body"  # answered early
    assert hubkit.received(hub) == before


def test_expect_100_continue_gets_the_refusal_not_a_continue(hub):
    answer, sent = hubkit.raw_exchange(hub, head(hub, "Content-Length: 52428800\r\n"
                                                      "Expect: 100-continue\r\n"),
                                       [b"<" * 1024] * 50, pause=0.02)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"100 Continue" not in answer
    assert hubkit.fault_of(hubkit.split_http(answer)[1])["code"] == "PF-LIMIT-SIZE"


def test_chunked_body_is_stopped_at_the_limit(hub):
    chunk = b"<" * 8192
    part = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    answer, sent = hubkit.raw_exchange(hub, head(hub, "Transfer-Encoding: chunked\r\n"),
                                       [part] * 1000, pause=0.005)
    status, body = hubkit.split_http(answer)
    assert status == 413
    assert hubkit.fault_of(body)["code"] == "PF-LIMIT-SIZE"
    assert sent < MAX_BYTES * 8, f"{sent} bytes sent before the hub stopped reading"


@pytest.mark.parametrize("ctype", ["text/plain", "application/json", "multipart/form-data"])
def test_wrong_content_type_is_refused(hub, ctype):
    before = hubkit.received(hub)
    raw, _ = envelope()
    r = hubkit.post(hub, raw, headers={"Content-Type": ctype})
    assert r.status_code == 415
    assert hubkit.fault_of(r.content) == {"code": "PF-CONTENT-TYPE", "rule": "http:content-type"}
    assert hubkit.received(hub) == before


def test_missing_content_type_is_refused(hub):
    raw, _ = envelope()
    answer, _ = hubkit.raw_exchange(
        hub, (f"POST /services/juki.ResidentInquiry HTTP/1.1\r\nHost: x\r\n"
              f"Content-Length: {len(raw)}\r\n\r\n").encode() + raw)
    status, body = hubkit.split_http(answer)
    assert status == 415 and hubkit.fault_of(body)["code"] == "PF-CONTENT-TYPE"


def test_slow_body_times_out(hub):
    raw, _ = envelope()
    before = hubkit.received(hub)
    started = time.monotonic()
    # 1 byte every 0.2 s: never idle long enough for an idle timeout, but far too slow.
    answer, sent = hubkit.raw_exchange(hub, head(hub, f"Content-Length: {len(raw)}\r\n"),
                                       [raw[i:i + 1] for i in range(len(raw))], pause=0.2)
    # Not before the deadline (a lower bound holds on any host); that it was cut at all is
    # `sent < len(raw)` below: the whole body takes len(raw) * 0.2 s. No upper time bound: a
    # loaded host fires the hub's timer late for reasons that are not the hub's.
    assert time.monotonic() - started > READ_TIMEOUT - 0.5
    status, body = hubkit.split_http(answer)
    assert status == 408
    assert hubkit.fault_of(body) == {"code": "PF-LIMIT-TIME", "rule": "limit:read_timeout"}
    assert sent < len(raw)
    assert hubkit.received(hub) == before


def test_slow_headers_time_out(hub):
    text = head(hub, "X-Padding: " + "a" * 200 + "\r\n")
    answer, sent = hubkit.raw_exchange(hub, b"", [text[i:i + 1] for i in range(len(text))],
                                       pause=0.1)
    assert sent < len(text)  # cut before the headers ended (they take len(text) * 0.1 s)
    assert answer.startswith(b"HTTP/1.1 408")


def test_idle_connection_is_closed(hub):
    started = time.monotonic()
    # A generous bound, not a measurement: the hub closes after READ_TIMEOUT, the client's own
    # read gives up (also with b"") only after IDLE_WAIT, far beyond any scheduling delay.
    answer, _ = hubkit.raw_exchange(hub, b"", read_timeout=IDLE_WAIT)
    assert answer == b""
    assert time.monotonic() - started < IDLE_WAIT - 5
