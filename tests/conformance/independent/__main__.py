"""``python -m tests.conformance.independent serve|observe``: the independent adapter as a process.

    serve --role provider|subscriber --db FILE [--port 0] [--system-id ID] [--business-unit U]
          [--defect NAME] [--alternative NAME]      prints {"event": "listening", "url": …} once bound
    observe --db FILE NUMBER        the --observe contract: {"name", "changes_applied"}, exit 1
                                    when the resident is not held
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .adapter import Adapter
from .fifteenth import BadChunk, answer_bad_chunk, chunk_size
from .fortieth import chunked_coding, http_date
from .fortyfirst import framed_request, new_connection, write_answer
from .fortysecond import content_length
from .fortysecond import write_answer as write_answer_by_characters
from .fortysecond_store import chunks_read, connection_closed, connection_opened
from .fortythird import connection_accepted, framed_by_length
from .fortyfifth import size_line_read
from .fortysixth import accept_labelled, header_section_refused
from .fortyseventh import host_refused, later_request_late
from .fortyeighth import chunked_late, unframed_http10
from .fortyfourth import close_ignored, pipelined_dropped, trailer_refused
from .fourteenth import front_refused, write_chunked
from .ninth import http_defect
from .thirteenth import expect_100


def read_body(handler, defect: str | None = None) -> bytes:
    """The request's body: Content-Length bytes, or chunks (RFC 9112 7.1: every HTTP/1.1
    recipient parses the chunked coding; extensions and trailer fields are skipped)."""
    if not chunked_coding(handler, defect) or framed_by_length(handler, defect):
        framed_request(None)
        chunks_read(None)
        return handler.rfile.read(content_length(handler.headers.get("Content-Length"), defect))
    parts, framing = [], []  # the entity as read, framing included (request-hash-over-…)
    while size := chunk_size(line := size_line_read(handler.rfile.readline(), defect), defect):
        framing.append(line)
        parts.append(handler.rfile.read(size))
        framing += [parts[-1], handler.rfile.readline()]  # the chunk and the CRLF after it
    framing.append(line)
    while (line := handler.rfile.readline()).strip():  # trailer fields, up to the empty line
        if trailer_refused(line, defect):  # chunked-trailer-refused: "0 CRLF CRLF" expected
            raise BadChunk(line)
        framing.append(line)
    framing.append(line)
    framed_request(b"".join(framing))
    chunks_read(parts)
    return b"".join(parts)


def serve(args) -> int:
    unit = args.business_unit or ("01" if args.role == "provider" else "07")
    adapter = Adapter(args.role, args.local_gov_code, unit, args.system_id, db=args.db,
                      defect=args.defect, alternative=args.alternative)
    alt = args.alternative

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0" if alt == "http10" else "HTTP/1.1"
        # the status line and headers go in one send, the body in another: without TCP_NODELAY
        # the body waits for the client's delayed ACK (~40 ms on Linux) on every exchange
        disable_nagle_algorithm = True

        def log_message(self, format, *a):  # noqa: A002
            pass

        def setup(self):
            super().setup()
            new_connection()  # sent-at-per-connection: a connection accepted
            connection_opened()  # notices-committed-at-connection-close: its unit of work
            connection_accepted()  # soap-version-fixed-per-connection: its binding, unchosen

        def finish(self):
            try:
                super().finish()
            finally:
                connection_closed(adapter)  # notices-committed-at-connection-close: committed

        def date_time_string(self, timestamp=None):
            return http_date(adapter.defect) or super().date_time_string(timestamp)

        def handle_expect_100(self):
            special = expect_100(self, adapter.defect)
            return super().handle_expect_100() if special is None else special

        def do_POST(self):
            if front_refused(self, adapter.defect) or \
                    header_section_refused(self, adapter.defect) or \
                    host_refused(self, adapter.defect):
                return
            later_request_late(self, adapter.defect)  # persistent-connection-later-requests-late
            close_ignored(self, adapter)  # connection-close-ignored: kept open
            try:
                raw = read_body(self, adapter.defect)
            except BadChunk:  # chunk-extension-refused, chunked-trailer-refused
                answer_bad_chunk(self)
                return
            pipelined_dropped(self, adapter)  # pipelined-requests-dropped: the reader dropped
            chunked_late(self, adapter.defect)  # chunked-requests-answered-late: read timeout
            answer = adapter.handle(raw, self.headers.get("Content-Type", ""),
                                    self.headers.get("SOAPAction"))
            accept_labelled(self.headers.get("Accept"), answer, adapter.defect)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            if unframed_http10(self, adapter.defect, answer):  # http10-keep-alive-answer-…
                return
            if write_answer(self, adapter, answer):
                return
            if write_answer_by_characters(self, adapter, answer):
                return
            if http_defect(self, adapter.defect, answer):
                return
            if write_chunked(self, adapter.defect, answer):
                return
            if alt == "chunked" and self.request_version != "HTTP/1.0":  # 1.0 cannot read it
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i in range(0, len(answer.body), 100):
                    part = answer.body[i:i + 100]
                    self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
                return
            if alt != "http10":
                self.send_header("Content-Length", str(answer.content_length or len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def do_GET(self):
            # GET /observe/<宛名番号>: the product's own view of a resident (its --observe)
            if self.path.startswith("/observe/") and adapter.role == "subscriber":
                held = adapter.observe(self.path.rsplit("/", 1)[1])
                body = json.dumps(held or {"error": "no such resident"},
                                  ensure_ascii=False).encode()
                self.send_response(200 if held else 404)
            else:
                body = b""
                self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(json.dumps({"event": "listening",
                      "url": f"http://127.0.0.1:{server.server_address[1]}/soap"}), flush=True)
    server.serve_forever(poll_interval=0.05)
    return 0


def observe_db(db: str, number: str) -> tuple[int, str]:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT name, changes_applied FROM resident WHERE number = ?",
                           (number,)).fetchone()
    except sqlite3.OperationalError:
        row = None
    finally:
        conn.close()
    if row is None:
        return 1, json.dumps({"error": "no such resident"})
    return 0, json.dumps({"name": row[0], "changes_applied": row[1]}, ensure_ascii=False)


def observe(args) -> int:
    code, out = observe_db(args.db, args.number)
    print(out)
    return code


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance.independent")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--role", choices=("provider", "subscriber"), required=True)
    s.add_argument("--db", default=":memory:")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--local-gov-code", default="131016")
    s.add_argument("--system-id", default="indie")
    s.add_argument("--business-unit", help="業務ユニット (default: 01 provider, 07 subscriber)")
    s.add_argument("--defect")
    s.add_argument("--alternative")
    o = sub.add_parser("observe")
    o.add_argument("--db", required=True)
    o.add_argument("number")
    args = parser.parse_args(argv)
    return serve(args) if args.command == "serve" else observe(args)


if __name__ == "__main__":
    sys.exit(main())
