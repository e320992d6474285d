"""The forwarder's answer parser (bus/hub/http_answer.py), without a reactor: bytes in, the
answer or its error out — the same whichever way the bytes are split as they arrive."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bus.hub.http_answer import (MAX_HEAD_BYTES, MAX_HEADERS, MAX_LINE, Answer, AnswerCut,
                                 AnswerParser, AnswerTooLarge, MalformedAnswer)

LIMIT = 1000
ERRORS = (MalformedAnswer, AnswerTooLarge, AnswerCut)


def outcome(pieces: list[bytes], limit: int = LIMIT, close: bool = True):
    """("answer", Answer, rest) or ("error", class, message); ("waiting",) if the answer is
    incomplete and the connection is not closed."""
    parser = AnswerParser(limit)
    answer = None
    try:
        for piece in pieces:
            if answer is None:
                answer = parser.feed(piece)
            else:
                parser.feed(piece)  # after the answer: kept in rest
        if answer is None:
            if not close:
                return ("waiting",)
            answer = parser.end()
    except ERRORS as exc:
        return ("error", type(exc), str(exc))
    return ("answer", answer, parser.rest)


def every_split(data: bytes, limit: int = LIMIT):
    """The outcome of ``data`` fed whole, byte by byte and split in two at every position —
    asserted to be the same each way."""
    whole = outcome([data], limit)
    assert outcome([data[i:i + 1] for i in range(len(data))], limit) == whole
    for i in range(len(data) + 1):
        assert outcome([data[:i], data[i:]], limit) == whole, i
    return whole


def answer_of(data: bytes, limit: int = LIMIT) -> tuple[Answer, bytes]:
    result = every_split(data, limit)
    assert result[0] == "answer", result
    return result[1], result[2]


def error_of(data: bytes, limit: int = LIMIT) -> tuple[type, str]:
    result = every_split(data, limit)
    assert result[0] == "error", result
    return result[1], result[2]


XML = b"<soap:Envelope>...</soap:Envelope>"


def test_an_answer_with_content_length():
    answer, rest = answer_of(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n"
                             b"Content-Length: %d\r\nServer: x\r\n\r\n%s" % (len(XML), XML))
    assert answer == Answer(200, "text/xml; charset=utf-8", XML, True) and rest == b""


def test_a_chunked_answer_with_extensions_and_trailers():
    answer, _ = answer_of(b"HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: Chunked\r\n"
                          b"Content-Type: text/xml\r\n\r\n"
                          b"5;name=value\r\n<soap\r\n19 \r\n:Envelope>...</soap:Envel\r\n"
                          b"4\r\nope>\r\n0\r\nX-Trailer: t\r\n\r\n")
    assert answer == Answer(500, "text/xml", XML, True)


def test_an_answer_ended_by_the_close_is_complete_and_the_connection_not_reused():
    data = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n" + XML
    assert outcome([data], close=False) == ("waiting",)
    answer, _ = answer_of(data)
    assert answer == Answer(200, "text/xml", XML, False)


@pytest.mark.parametrize("head, keep_alive", [
    (b"HTTP/1.1 200 OK\r\nConnection: close\r\n", False),
    (b"HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\n", False),
    (b"HTTP/1.0 200 OK\r\n", False),
    (b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n", True),
    (b"HTTP/1.1 200\r\n", True),  # no reason phrase
    (b"HTTP/1.1 200 \r\n", True),
])
def test_whether_the_connection_stays_open(head, keep_alive):
    answer, _ = answer_of(head + b"Content-Length: 2\r\n\r\nok")
    assert (answer.body, answer.keep_alive) == (b"ok", keep_alive)


def test_interim_answers_are_skipped():
    answer, _ = answer_of(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
                          b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert (answer.status, answer.body) == (200, b"ok")


@pytest.mark.parametrize("head", [b"HTTP/1.1 204 No Content\r\n\r\n",
                                  b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
                                  b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"])
def test_answers_without_a_body(head):
    answer, rest = answer_of(head)
    assert answer.body == b"" and answer.keep_alive and rest == b""


def test_bytes_after_the_answer_are_kept_apart_as_unasked():
    answer, rest = answer_of(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200")
    assert (answer.body, rest) == (b"ok", b"HTTP/1.1 200")


@pytest.mark.parametrize("data, reason", [
    (b"HTTP/2 200 OK\r\n\r\n", "status line"),
    (b"HTTP/1.1 99 Odd\r\n\r\n", "status line"),
    (b"HTTP/1.1 600 Odd\r\n\r\n", "status line"),
    (b"HTTP/1.1  200 OK\r\n\r\n", "status line"),
    (b"ICY 200 OK\r\n\r\n", "status line"),
    (b"HTTP/1.1 200 O\x00K\r\n\r\n", "status line"),
    (b"HTTP/1.1 200 OK\nContent-Length: 0\n\n", "CRLF"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n\r\n", "header line"),
    (b"HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n", "header line"),
    (b"HTTP/1.1 200 OK\r\nX: a\x00b\r\nContent-Length: 0\r\n\r\n", "header line"),
    (b"HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", "header line"),
    (b"HTTP/1.1 200 OK\r\nBad Name: 0\r\n\r\n", "header line"),
    (b"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "header line"),
    (b"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n", "obs-fold"),
    (b"HTTP/1.1 200 OK\r\n\tX: a\r\n\r\n", "obs-fold"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", "one Content"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok", "not a number"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", "not a number"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "not a number"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\nok", "not a number"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999999\r\n\r\n", "not a number"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", "both"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "chunked alone"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
     "chunked alone"),
    (b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HTTP/1.0"),
    (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", "101"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", "chunk size"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 1\r\nx\r\n", "chunk size"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
     "chunk size"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n0\r\n\r\n", "chunk longer"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer\r\n\r\n",
     "header line"),
])
def test_malformed_answers_are_refused_by_rule(data, reason):
    kind, message = error_of(data)
    assert kind is MalformedAnswer and reason in message, message


def test_lines_and_header_sections_are_bounded():
    long_line = b"HTTP/1.1 200 OK\r\nX: " + b"a" * MAX_LINE + b"\r\n\r\n"
    assert outcome([long_line])[:2] == ("error", MalformedAnswer)
    # unended: refused once it passes the limit, not held until the connection closes
    assert outcome([b"HTTP/1.1 200 OK\r\nX: " + b"a" * (MAX_LINE + 2)], close=False)[:2] == (
        "error", MalformedAnswer)
    at_limit = b"HTTP/1.1 200 OK\r\nX: " + b"a" * (MAX_LINE - 3) + b"\r\nContent-Length: 0\r\n\r\n"
    assert outcome([at_limit])[0] == "answer"
    line_end = at_limit.index(b"\r\nContent-Length")
    for cut in range(line_end - 2, line_end + 3):  # a CRLF split at the limit is no longer line
        assert outcome([at_limit[:cut], at_limit[cut:]])[0] == "answer", cut
    many = b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * (MAX_HEADERS + 1) + b"\r\n"
    assert outcome([many]) == ("error", MalformedAnswer, f"more than {MAX_HEADERS} header lines")
    big = b"HTTP/1.1 200 OK\r\n" + (b"X: " + b"y" * 4000 + b"\r\n") * 17 + b"\r\n"
    assert outcome([big]) == ("error", MalformedAnswer,
                              f"header sections larger than {MAX_HEAD_BYTES} bytes")
    endless = b"HTTP/1.1 100 Continue\r\n\r\n" * (MAX_HEAD_BYTES // 25 + 1)
    assert outcome([endless], close=False)[:2] == ("error", MalformedAnswer)


@pytest.mark.parametrize("data", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n123456\r\n5\r\n12345\r\n",
    b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 11,
])
def test_a_body_over_the_limit_is_refused_declared_or_as_received(data):
    assert error_of(data, limit=10)[0] is AnswerTooLarge


@pytest.mark.parametrize("data", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n\r\n0123456789",
])
def test_a_body_of_exactly_the_limit_is_accepted(data):
    assert answer_of(data, limit=10)[0].body == b"0123456789"


@pytest.mark.parametrize("data, message", [
    (b"", "closed before any answer"),
    (b"HTTP/1.1 2", "closed in the middle of the answer"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r", "closed in the middle of the answer"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", "closed in the middle of the answer"),
    (b"HTTP/1.1 100 Continue\r\n\r\n", "closed in the middle of the answer"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n",
     "closed in the middle of the answer"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
     "closed in the middle of the answer"),
])
def test_a_connection_closed_mid_answer_is_an_error(data, message):
    assert error_of(data) == (AnswerCut, message)


# --- property tests: generated answers, well-formed and broken ---

TOKEN = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`|~",
                min_size=1, max_size=12).filter(
    lambda n: n.lower() not in ("content-length", "transfer-encoding", "connection"))
VALUE = st.binary(max_size=30).map(
    lambda b: bytes(c for c in b if c >= 0x21 and c != 0x7f)).filter(bool)
BODY = st.binary(max_size=200)


@st.composite
def answers(draw):
    """(bytes, status, body): a well-formed answer with random fields and framing."""
    status = draw(st.integers(200, 599).filter(lambda s: s not in (204, 304)))
    body = draw(BODY)
    fields = b"".join(b"%s:%s%s%s\r\n" % (draw(TOKEN).encode(), draw(st.sampled_from(
        [b"", b" ", b"\t "])), draw(VALUE), draw(st.sampled_from([b"", b" "])))
        for _ in range(draw(st.integers(0, 4))))
    framing = draw(st.sampled_from(["length", "chunked", "close"]))
    head = b"HTTP/1.1 %d %s\r\n%s" % (status, draw(st.sampled_from([b"OK", b"", b"Some Reason"])),
                                      fields)
    if framing == "length":
        return head + b"Content-Length: %d\r\n\r\n%s" % (len(body), body), status, body
    if framing == "close":
        return head + b"\r\n" + body, status, body
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=4)))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True) if b > a]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return head + b"Transfer-Encoding: chunked\r\n\r\n" + chunked + b"0\r\n\r\n", status, body


@settings(max_examples=300, deadline=None)
@given(answers(), st.lists(st.integers(0, 10_000), max_size=6))
def test_generated_answers_parse_to_their_status_and_body_however_split(generated, cuts):
    data, status, body = generated
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    result = outcome(pieces)
    assert result[0] == "answer", result
    assert (result[1].status, result[1].body, result[2]) == (status, body, b"")
    assert result == outcome([data])


@settings(max_examples=500, deadline=None)
@given(answers(), st.data())
def test_a_broken_answer_never_crashes_and_ends_in_an_answer_or_one_of_its_errors(generated,
                                                                                    data):
    raw = bytearray(generated[0])
    for _ in range(data.draw(st.integers(1, 3))):  # replace, insert or delete a byte
        at = data.draw(st.integers(0, len(raw)))
        how = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = data.draw(st.sampled_from([0, 9, 10, 13, 32, 48, 58, 59, 70, 127, 255]))
        if how == "insert":
            raw[at:at] = bytes([byte])
        elif at < len(raw):
            raw[at:at + 1] = b"" if how == "delete" else bytes([byte])
    broken = bytes(raw)
    split = data.draw(st.integers(0, len(broken)))
    result = outcome([broken])
    assert result[0] in ("answer", "error"), result
    assert outcome([broken[:split], broken[split:]]) == result


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.integers(0, 400))
@example(b"HTTP/1.1 200 OK\r\n\r\n", 5)
def test_arbitrary_bytes_never_crash_or_hang_the_parser(raw, split):
    result = outcome([raw])
    assert result[0] in ("answer", "error"), result
    assert outcome([raw[:split], raw[split:]]) == result


def _framed_by_length(generated) -> bool:
    """The answer is framed by its Content-Length header (always the head's last line), not
    merely holding the words in a random field's value (e.g. "X: 0:Content-Length")."""
    head = generated[0].split(b"\r\n\r\n", 1)[0]
    return head.rsplit(b"\r\n", 1)[-1].startswith(b"Content-Length: ")


DEFECTS = {  # one defect in an otherwise well-formed head → MalformedAnswer
    "obs-fold": b"X-A: a\r\n folded\r\n",
    "space before colon": b"X-A : a\r\n",
    "control character": b"X-A: a\x01b\r\n",
    "bare LF": b"X-A: a\nX-B: b\r\n",
    "two lengths": b"Content-Length: 0\r\n",
    "length and chunks": b"Transfer-Encoding: chunked\r\n",
}


@settings(max_examples=200, deadline=None)
@given(answers().filter(_framed_by_length), st.sampled_from(sorted(DEFECTS)), st.integers(0, 10_000))
def test_a_defect_in_the_head_is_refused_as_malformed(generated, defect, split):
    data = generated[0]
    at = data.index(b"\r\n") + 2  # after the status line
    broken = data[:at] + DEFECTS[defect] + data[at:]
    split %= len(broken) + 1
    result = outcome([broken[:split], broken[split:]])
    assert result[:2] == ("error", MalformedAnswer), (defect, result)
