"""A scripted notice subscriber for delivery tests: an idempotent receiver that records the order
in which it applied notices, in its own SQLite file.

``python -m tests.integration.fake_subscriber DB MODE [PORT]`` — MODE ``ok`` applies and answers
``pfr:NoticeReceipt``; MODE ``fail`` answers every notice with a SOAP fault; MODE ``ok-nosync``
is ``ok`` with SQLite's ``synchronous=NORMAL`` (no fsync per notice: an applied notice survives
a crash of this process, not a power cut), for bench/notices.py, so that the benchmark measures
the hub rather than the disk's fsync latency. Prints ``{"port": N}``.
"""

from __future__ import annotations

import json
import sqlite3
import sys

from lxml import etree
from twisted.internet import reactor
from twisted.web import resource, server

from bus.core import faults
from bus.core.envelope import CONTENT_TYPES, parse_envelope
from bus.core.faults import HubFault, fault_envelope
from bus.core.header import Party, PlatformHeader
from bus.core.receipt import APPLIED, DUPLICATE, receipt_element

JUKI = "urn:pfbus:unit:juki:v1"
CMN = "urn:pfbus:platform:common:v1"


def open_db(path: str, synchronous: str = "FULL") -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("CREATE TABLE IF NOT EXISTS applied (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                 "message_id TEXT UNIQUE NOT NULL, addressee TEXT, sequence INTEGER)")
    conn.execute("CREATE TABLE IF NOT EXISTS received (n INTEGER)")
    return conn


class Subscriber(resource.Resource):
    isLeaf = True

    def __init__(self, conn: sqlite3.Connection, mode: str):
        super().__init__()
        self.conn = conn
        self.mode = mode
        self.party = Party("131016", "07", "fake-subscriber")

    def render_POST(self, request):
        raw = request.content.read()
        env = parse_envelope(raw)
        request.setHeader(b"content-type", CONTENT_TYPES[env.soap_ns].encode())
        self.conn.execute("INSERT INTO received VALUES (1)")
        if self.mode == "fail":
            request.setResponseCode(500)
            return fault_envelope(HubFault(faults.PROVIDER_INTERNAL), env.soap_ns)
        header = PlatformHeader.from_element(env.header)
        change = env.body.find(f"{{{JUKI}}}Change")
        addressee = change.findtext(f"{{{JUKI}}}Resident/{{{CMN}}}AddresseeNumber")
        sequence = int(change.findtext(f"{{{JUKI}}}Sequence"))
        # check-and-apply in one statement: a redelivery changes nothing
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO applied (message_id, addressee, sequence) VALUES (?, ?, ?)",
            (header.message_id, addressee, sequence))
        status = APPLIED if cursor.rowcount == 1 else DUPLICATE
        root = etree.Element(f"{{{env.soap_ns}}}Envelope")
        etree.SubElement(root, f"{{{env.soap_ns}}}Header").append(
            header.reply(raw, sender=self.party).to_element())
        etree.SubElement(root, f"{{{env.soap_ns}}}Body").append(
            receipt_element(header.message_id, status))
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def main() -> None:
    db, mode = sys.argv[1], sys.argv[2]
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    nosync = mode == "ok-nosync"
    subscriber = Subscriber(open_db(db, "NORMAL" if nosync else "FULL"), "ok" if nosync else mode)
    listening = reactor.listenTCP(port, server.Site(subscriber), interface="127.0.0.1")
    print(json.dumps({"port": listening.getHost().port}), flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
