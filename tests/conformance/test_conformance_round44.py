"""Round 44: the forty-fourth blind batch's classes — persistent connections (P-WIRE-02: a close
option honoured, pipelined requests answered in order), byte order marks where no signature may
stand (P-HOST-04), a change of 住民種別 (S-IDCHG-01) — and a request of no SOAP media type
(P-MEDIA-01, round 44d)."""

from __future__ import annotations

import codecs
import socket
import threading
from types import SimpleNamespace

import pytest
from lxml import etree

from conformance import persistent_connections
from conformance.envelopes import envelope, request_header, tamper
from conformance.records import Exchange

from . import faulty_round44
from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_round44 import ROUND44_NAMES
from .proxy import Call

_HEADER = request_header(SimpleNamespace(id="juki.ResidentInquiry", unit="01", version="1"),  # type: ignore[arg-type]
                         {"sut_local_gov_code": "131016", "suite_business_unit": "07",
                          "suite_system_id": "pfbus-conformance", "sut_system_id": "vendor-a",
                          "user_id": "u1"})
_RAW = envelope("<q:Q xmlns:q='urn:q'/>", "1.1", _HEADER)
BOM = codecs.BOM_UTF8


# --- P-HOST-04's byte order marks ------------------------------------------------------------

@pytest.mark.parametrize("how", ["bom_after_declaration", "bom_twice"])
def test_a_byte_order_mark_anywhere_but_the_start_is_not_well_formed(how):
    raw = tamper(_RAW, how)
    assert raw.count(BOM) == (2 if how == "bom_twice" else 1)
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(raw)
    assert etree.fromstring(BOM + _RAW) is not None  # the one mark allowed (P-ENC-02)


def test_each_mark_cleaner_reads_exactly_one_of_the_forms():
    after, twice = tamper(_RAW, "bom_after_declaration"), tamper(_RAW, "bom_twice")
    lstrip, prolog = (faulty_round44.leading_marks_stripped,
                      faulty_round44.mark_after_declaration_dropped)
    assert etree.fromstring(lstrip(Call(twice, {}))) is not None
    assert lstrip(Call(after, {})) == after and lstrip(Call(BOM + _RAW, {})) == BOM + _RAW
    assert etree.fromstring(prolog(Call(after, {}))) is not None
    assert prolog(Call(twice, {})) == twice and prolog(Call(BOM + _RAW, {})) == BOM + _RAW


# --- P-WIRE-02 --------------------------------------------------------------------------------

def _answer(version: str, connection: str | None) -> Exchange:
    ex = Exchange(step="s", direction="to-product", method="POST", url="http://x/")
    ex.response_headers = {"connection": connection} if connection else {}
    return ex


@pytest.mark.parametrize("version,connection,persists", [
    ("HTTP/1.1", None, True), ("HTTP/1.1", "keep-alive", True), ("HTTP/1.1", "close", False),
    ("HTTP/1.1", "Upgrade, Close", False), ("HTTP/1.0", None, False),
    ("HTTP/1.0", "Keep-Alive", True)])
def test_an_answer_keeps_its_connection_as_rfc_9112_9_3_says(version, connection, persists):
    assert persistent_connections.persistent(_answer(version, connection), version) is persists


class _Front:
    """A loopback HTTP/1.1 front end of a few lines, answering each request read with a
    fixed body: ``keep`` the connection open after a close option, ``drop`` what it read past a
    body (a pipelined request)."""

    def __init__(self, keep: bool = False, drop: bool = False):
        self.keep, self.drop = keep, drop
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/soap"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    more = conn.recv(65536)
                    if not more:
                        return
                    buf += more
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                while len(buf) < length:
                    buf += conn.recv(65536)
                buf = b"" if self.drop else buf[length:]
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes")
                if b"connection: close" in head.lower() and not self.keep:
                    return

    def close(self) -> None:
        self.server.close()


class _Runner:
    """As much of the interpreter's runner as the step uses."""

    def __init__(self, url: str):
        self.url, self.seen = url, []
        self.result = SimpleNamespace(exchanges=[])
        self.s = SimpleNamespace(transport=SimpleNamespace(note_sent=lambda ex: None,
                                                           refuses=lambda ex: False,
                                                           session=None))

    def _fresh_addressee(self) -> str:
        return "0000010014"

    def _build(self, step, values, target, extra, label):
        return Exchange(step=label, direction="to-product", method="POST", url=self.url,
                        request=b"<x/>", request_headers={"Content-Type": "text/xml"}), 3.0

    def _observe_answer(self, step, ex: Exchange) -> None:
        self.seen.append(ex.step)


class _Step(SimpleNamespace):
    target = "@sample"

    def get(self, key, default=None):
        return default

    def with_options(self, **options):
        return self


@pytest.mark.parametrize("keep,drop,found", [
    (False, False, []),
    (True, False, ["still open"]),
    (False, True, ["no complete answer"])])
def test_the_connection_step_judges_the_close_and_the_pipelined_pair(keep, drop, found,
                                                                     monkeypatch):
    monkeypatch.setattr(persistent_connections, "CLOSE_WITHIN", 0.3)
    monkeypatch.setattr(persistent_connections.checks, "outcome", lambda ex, want: [])
    fronts = [_Front(keep, drop), _Front(keep, drop)]  # one connection each
    urls = iter(f.url for f in fronts)
    try:
        problems = []
        for part in (persistent_connections._close, persistent_connections._pipelined):
            runner = _Runner(next(urls))
            problems += part(runner, _Step(), {}, "1.1")
    finally:
        for front in fronts:
            front.close()
    assert [any(f in p for p in problems) for f in found] == [True] * len(found), problems
    assert bool(problems) == bool(found), problems


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", faulty_runs(ROUND44_NAMES))
def test_faulty_adapter_fails_exactly_its_round44_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)
