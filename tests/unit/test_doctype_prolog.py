"""The prolog check before the parse (bus.core.envelope._doctype_line, issue 13 item 2): the
common prolog is decided at its start without scanning the whole message; every answer is the
one the full check gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bus.core.envelope import _doctype_line


def _reference(raw: bytes) -> int | None:
    """The check as it was: a scan of the whole message, then the prolog walk."""
    if b"<!DOCTYPE" not in raw:
        return None
    i = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while i < len(raw) and raw[i] in b" \t\r\n":
            i += 1
        for start, end in ((b"<?", b"?>"), (b"<!--", b"-->")):
            if raw.startswith(start, i):
                j = raw.find(end, i + len(start))
                if j < 0:
                    return None
                i = j + len(end)
                break
        else:
            return raw.count(b"\n", 0, i) + 1 if raw.startswith(b"<!DOCTYPE", i) else None


PIECES = [b"\xef\xbb\xbf", b" ", b"\n", b"\r\n", b"\t", b'<?xml version="1.0"?>',
          b'<?xml version="1.0" encoding="UTF-8"?>', b"<?pi x?>", b"<?xml >?>", b"<!-- c -->",
          b"<!--", b"-->", b"<!DOCTYPE a>", b"<!DOCTYPE", b"<a>", b"<soap:Envelope>", b"</a>",
          b"<\xe5\x90\x8d>", b"<1>", b"<_x>", b"<:x>", b"?>", b">", b"text", b"<!DOCTYPE b [",
          b"<![CDATA[<!DOCTYPE c>]]>", b"<?xml", b"<"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=8).map(b"".join))
def test_the_prolog_check_answers_as_the_whole_scan(raw):
    assert _doctype_line(raw) == _reference(raw)


@given(st.binary(max_size=40))
def test_any_bytes_answer_as_the_whole_scan(raw):
    assert _doctype_line(raw) == _reference(raw)


def test_a_doctype_after_a_plain_prolog_is_found_where_it_is():
    assert _doctype_line(b'<?xml version="1.0"?>\n<!DOCTYPE a>\n<a/>') == 2
    assert _doctype_line(b'<?xml version="1.0"?>\n<a><!DOCTYPE b></a>') is None
