"""RFC 4180 CSV over a byte stream, read one record at a time, with precise findings.

The migration format is UTF-8 without a byte order mark, one header row, comma separated, CRLF
or LF line ends, fields with a comma, a quote or a line break quoted with ``"`` and a quote
inside doubled (``""``). Reading is streaming: a line is read with a bounded ``readline`` (a
file with no line break at all cannot make it read everything) and decoded strictly; a line
without quotes is split on commas, a record with quotes goes to the C ``csv`` parser (strict)
after a check against the RFC's grammar. Memory does not grow with the file.

Problems of the bytes and the quoting become findings with the line they are on; the record they
spoil is skipped (``Record.broken``) so that item checks do not pile up noise after them:

* ``encoding:bom`` — a UTF-8 (or UTF-16) byte order mark;
* ``encoding:utf8`` — bytes that are not UTF-8 (says so when they read as Shift_JIS);
* ``csv:quoting`` — a quote inside an unquoted field, text after a closing quote, a field
  left open at the end of the file;
* ``csv:truncated`` — the last line has no line break (the file was cut off);
* ``csv:line-too-long`` — a physical line over ``MAX_LINE`` bytes.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .findings import LayoutFinding

MAX_LINE = 1 << 20  # bytes in one physical line: far above any record of a layout
_BOMS = ((codecs.BOM_UTF8, "UTF-8"), (codecs.BOM_UTF16_LE, "UTF-16 LE"),
         (codecs.BOM_UTF16_BE, "UTF-16 BE"))
# One RFC 4180 record: fields unquoted (no quote, comma or line break) or quoted.
_RECORD = re.compile(r'(?:[^",\r\n]*|"(?:[^"]|"")*")(?:,(?:[^",\r\n]*|"(?:[^"]|"")*"))*'
                     r'(?:\r\n|\n|\r)?')
csv.field_size_limit(MAX_LINE)


@dataclass(slots=True)
class Record:
    line: int  # the line it starts on
    fields: list[str]
    broken: bool = False  # its bytes or quoting were reported already
    text: str | None = None  # the line without its line break, when it holds no quote at all


def _encoding_hint(raw: bytes, start: int) -> str:
    """Whether the bytes at ``start`` read as a Shift_JIS character (the usual mistake)."""
    try:
        char = raw[start:start + 2].decode("cp932")
    except UnicodeDecodeError:
        return ""
    if len(char) != 1:
        return ""
    return " (they read as Shift_JIS / CP932: convert the file to UTF-8)"


class CsvStream:
    """Records of one CSV file; ``findings`` collects what is wrong with its bytes or quoting.

    A line without a quote is one record: split on commas (what RFC 4180 makes of it, without
    the C parser's per-field work). Lines with quotes are gathered until the quotes balance and
    that record is parsed strictly by the ``csv`` module and checked against the RFC's grammar.
    """

    def __init__(self, stream: BinaryIO, name: str):
        self._stream = stream
        self.name = name
        self.findings: list[LayoutFinding] = []
        self.lines = 0  # physical lines read
        self.bytes = 0
        self.ended_with_newline = True

    def _find(self, line: int, rule: str, message: str) -> None:
        self.findings.append(LayoutFinding(self.name, line, rule, message))

    def _lines(self) -> Iterator[tuple[int, str, bool]]:
        """(line number, text, whether its bytes were bad)."""
        readline = self._stream.readline
        while True:
            raw = readline(MAX_LINE)
            if not raw:
                return
            self.lines += 1
            self.bytes += len(raw)
            n = self.lines
            bad = False
            if n == 1:
                for bom, label in _BOMS:
                    if raw.startswith(bom):
                        self._find(1, "encoding:bom", f"the file starts with a {label} byte "
                                   "order mark; the layout is UTF-8 without one")
                        raw = raw[len(bom):]
                        break
            if len(raw) == MAX_LINE and not raw.endswith(b"\n"):
                self._find(n, "csv:line-too-long", f"a line longer than {MAX_LINE} bytes")
                while raw and not raw.endswith(b"\n"):  # skip the rest of that line
                    raw = readline(MAX_LINE)
                    self.bytes += len(raw)
                yield n, "\n", True
                continue
            self.ended_with_newline = raw.endswith(b"\n")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self._find(n, "encoding:utf8", f"byte {exc.start + 1} of the line (0x"
                           f"{raw[exc.start]:02X}) is not UTF-8{_encoding_hint(raw, exc.start)}")
                text = raw.decode("utf-8", "replace")
                bad = True
            yield n, text, bad

    def records(self) -> Iterator[Record]:
        """Every record, header included (line 1), in order."""
        pending: list[str] = []
        start = 0
        quotes = 0
        broken = False
        for n, text, bad in self._lines():
            if not pending and '"' not in text:
                body = text[:-2] if text.endswith("\r\n") else (
                    text[:-1] if text.endswith("\n") else text)
                if "\r" not in body:
                    yield Record(n, body.split(",") if body else [], bad, body)
                    continue
            if not pending:
                start, quotes, broken = n, 0, False
            pending.append(text)
            quotes += text.count('"')
            broken = broken or bad
            if quotes % 2:
                continue  # inside a quoted field: the record goes on on the next line
            yield self._quoted(start, n, "".join(pending), broken)
            pending.clear()
        if pending:
            self._find(start, "csv:quoting", f"a quoted field opened on line {start} is never "
                       "closed: the file ends inside it")
        if self.lines and not self.ended_with_newline:
            self._find(self.lines, "csv:truncated", "the last line has no line break: the file "
                       "was cut off (every record, the last included, ends with a line break)")

    def _quoted(self, start: int, end: int, text: str, broken: bool) -> Record:
        fields: list[str] = []
        if not broken:
            if not _RECORD.fullmatch(text):
                self._find(start, "csv:quoting", "a quote inside an unquoted field or text after "
                           "a closing quote" + (f" (lines {start}–{end})" if end > start else "")
                           + ': quote the whole field and double a quote inside it ("")')
                broken = True
            else:
                try:
                    fields = next(csv.reader(io.StringIO(text), strict=True), [])
                except csv.Error as exc:
                    self._find(start, "csv:quoting", f"RFC 4180 quoting broken ({exc})")
                    broken = True
        return Record(start, fields, broken)
