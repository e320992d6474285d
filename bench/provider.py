"""A minimal juki.ResidentInquiry provider for benchmarks.

Every request is answered "found" with one resident and their household (one member): the
business payload (the SOAP Body's ResidentInquiryResponse) is about 2 KB, the whole envelope with
its platform header about 3.2 KB. The values satisfy the hub's rules beyond XSD (団体コード and
個人番号 check digits, 宛名番号 modulus 11 with weights 2–7 from the right, code lists from
schemas/codelists/*.csv), so the hub's response validation passes.

Per request the provider does what a real one must at least do: parse the request, read its
platform header and answer with a reply header bound to the exact request bytes (RelatesTo,
RequestHash). The business body is fixed bytes built once at start.

    python bench/provider.py [--port N] [--answer-bytes N] [--lean]   # prints {"port": N}

``--lean``: the same answers from a bare HTTP/1.1 keep-alive protocol instead of twisted.web
(requests with a Content-Length only; anything else gets 400 and the connection closed). It
costs the provider about half its CPU per request, so on a 2-core machine more of the machine is
left to the hub: the workers benchmark uses it to measure where the hub is the bottleneck.
``--answer-bytes N``: a household of as many members as make the whole answer about N bytes
(the big-message benchmarks: 100 KB, 1 MB); every member is the same valid resident.
"""

from __future__ import annotations

import argparse
import json
import sys

from lxml import etree
from twisted.internet import protocol, reactor
from twisted.web import resource, server

from bus.core.envelope import CONTENT_TYPES, parse_envelope
from bus.core.faults import HubFault
from bus.core.header import PlatformHeader
from bus.core.identifiers import (Modulus11Scheme, individual_number_check_digit,
                                  local_gov_code_check_digit)

JUKI = "urn:pfbus:unit:juki:v1"
COMMON = "urn:pfbus:platform:common:v1"
EXPECTED_ELEMENT = "ResidentInquiryResponse"  # what a client checks for in every answer
ADDRESSEE_SCHEME = Modulus11Scheme((2, 3, 4, 5, 6, 7), remainder_one=0, length=10)


def addressee_number(body9: str) -> str:
    """A 10-digit 宛名番号 under modulus 11, weights 2–7 from the right (as in examples/hub.toml)."""
    return body9 + str(ADDRESSEE_SCHEME.check_digit(body9))


def individual_number(body11: str) -> str:
    return body11 + str(individual_number_check_digit(body11))


assert local_gov_code_check_digit("13101") == 6  # 131016 千代田区, the tenant answered for
assert individual_number("12345678901") == "123456789018"

HEAD_ADDRESSEE = addressee_number("000012345")
ENVELOPE_BYTES = 1200  # the answer's envelope and reply header around the body, about
HOUSEHOLD = "0000567890"


def _resident(addressee: str, number: str, name: str, kana: tuple[str, str], born: str,
              gender: str, relationship: str, indent: str) -> str:
    """One cmn:ResidentType (codes from gender.csv, relationship.csv, resident_kind.csv and
    resident_status.csv). Its children are in the common namespace (elementFormDefault)."""
    lines = [
        f"<c:AddresseeNumber>{addressee}</c:AddresseeNumber>",
        "<c:ResidentCode>12345678901</c:ResidentCode>",  # 住民票コード: no rule beyond XSD
        f"<c:IndividualNumber>{number}</c:IndividualNumber>",
        f"<c:HouseholdNumber>{HOUSEHOLD}</c:HouseholdNumber>",
        f"<c:Name><c:Text>{name}</c:Text><c:Kana><c:Family>{kana[0]}</c:Family>"
        f"<c:Given>{kana[1]}</c:Given></c:Kana></c:Name>",
        f"<c:DateOfBirth>{born}</c:DateOfBirth>",
        f"<c:Gender>{gender}</c:Gender>",
        f"<c:Relationship>{relationship}</c:Relationship>",
        "<c:ResidentKind>1</c:ResidentKind>",
        "<c:ResidentStatus>1</c:ResidentStatus>",
        "<c:Address><c:PostalCode>1000001</c:PostalCode><c:AddressCode>131010001</c:AddressCode>"
        "<c:Prefecture>東京都</c:Prefecture><c:City>千代田区</c:City><c:Town>千代田</c:Town>"
        "<c:Chome>1</c:Chome><c:Banchi>1番1号</c:Banchi></c:Address>",
        "<c:BecameResidentOn>2015-04-01</c:BecameResidentOn>",
    ]
    return "".join(f"\n{indent}{line}" for line in lines)


def response_body(members: int = 1) -> bytes:
    """The fixed j:ResidentInquiryResponse: one resident, and their household of ``members``."""
    head = (HEAD_ADDRESSEE, individual_number("12345678901"), "千代田　太郎", ("チヨダ", "タロウ"),
            "1980-05-14", "1", "01")  # 性別 1 男, 続柄 01 世帯主
    text = (f'<j:ResidentInquiryResponse xmlns:j="{JUKI}" xmlns:c="{COMMON}">\n'
            f"  <j:Status>found</j:Status>\n"
            f"  <j:Resident>{_resident(*head, indent='    ')}\n  </j:Resident>\n"
            f"  <j:Household>\n    <c:HouseholdNumber>{HOUSEHOLD}</c:HouseholdNumber>\n"
            f"    <c:HeadName><c:Text>千代田　太郎</c:Text></c:HeadName>\n"
            + f"    <c:Member>{_resident(*head, indent='      ')}\n    </c:Member>\n" * members +
            "  </j:Household>\n"
            "</j:ResidentInquiryResponse>")
    return text.encode("utf-8")


class ResidentInquiryProvider(resource.Resource):
    isLeaf = True

    def __init__(self, members: int = 1) -> None:
        super().__init__()
        self.body = response_body(members)
        self.served = 0

    def render_GET(self, request):
        request.setHeader(b"content-type", b"application/json")
        return json.dumps({"served": self.served}).encode()

    def render_POST(self, request):
        status, content_type, body = self.answer(request.content.read())
        request.setResponseCode(int(status[:3]))
        request.setHeader(b"content-type", content_type)
        return body

    def answer(self, raw: bytes) -> tuple[bytes, bytes, bytes]:
        """(status line's code and reason, Content-Type, body) for the request bytes ``raw``."""
        try:
            env = parse_envelope(raw)
            header = PlatformHeader.from_element(env.header).reply(raw)
        except (HubFault, AttributeError, TypeError):
            return (b"400 Bad Request", b"text/plain; charset=utf-8",
                    b"not a juki.ResidentInquiry request with a platform header\n")
        self.served += 1
        soap = env.soap_ns.encode()
        return b"200 OK", CONTENT_TYPES[env.soap_ns].encode(), b"".join((
            b'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="', soap,
            b'">\n<soap:Header>\n', etree.tostring(header.to_element()),
            b"\n</soap:Header>\n<soap:Body>\n", self.body, b"\n</soap:Body>\n</soap:Envelope>\n"))


class LeanHTTP(protocol.Protocol):
    """HTTP/1.1 keep-alive, one request at a time (pipelined ones wait in the buffer): a POST
    with a Content-Length is answered as ``ResidentInquiryProvider.render_POST`` would."""

    MAX_HEAD = 16384

    def __init__(self, app: ResidentInquiryProvider) -> None:
        self.app, self.buffer = app, b""

    def dataReceived(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > self.MAX_HEAD:
                    self._refuse()
                return
            head = self.buffer[:end].split(b"\r\n")
            fields = dict(line.split(b":", 1) for line in head[1:] if b":" in line)
            fields = {k.strip().lower(): v.strip() for k, v in fields.items()}
            if not head[0].startswith(b"POST ") or b"content-length" not in fields \
                    or b"transfer-encoding" in fields:
                self._refuse()
                return
            length = int(fields[b"content-length"])
            if len(self.buffer) < end + 4 + length:
                return
            raw, self.buffer = self.buffer[end + 4:end + 4 + length], self.buffer[end + 4 + length:]
            status, content_type, body = self.app.answer(raw)
            self.transport.write(b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                                 % (status, content_type, len(body)) + body)

    def _refuse(self) -> None:
        self.transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
        self.transport.loseConnection()
        self.buffer = b""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any)")
    parser.add_argument("--answer-bytes", type=int, default=0, metavar="N",
                        help="household members enough for answers of about N bytes")
    parser.add_argument("--lean", action="store_true",
                        help="a bare HTTP/1.1 protocol instead of twisted.web (less CPU)")
    args = parser.parse_args(argv)
    members = 1
    if args.answer_bytes:
        one, two = len(response_body(1)), len(response_body(2))
        members = max(1, 1 + round((args.answer_bytes - ENVELOPE_BYTES - one) / (two - one)))
    app = ResidentInquiryProvider(members)
    factory = protocol.Factory.forProtocol(lambda: LeanHTTP(app)) if args.lean \
        else server.Site(app)
    # backlog as the hub's default: hundreds of clients connect at once in the big-message runs
    port = reactor.listenTCP(args.port, factory, backlog=1024, interface="127.0.0.1")
    print(json.dumps({"port": port.getHost().port}), flush=True)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
