"""A minimal juki.ResidentInquiry provider for benchmarks.

Every request is answered "found" with one resident and their household (one member): the
business payload (the SOAP Body's ResidentInquiryResponse) is about 2 KB, the whole envelope with
its platform header about 3.2 KB. The values satisfy the hub's rules beyond XSD (団体コード and
個人番号 check digits, 宛名番号 modulus 11 with weights 2–7 from the right, code lists from
schemas/codelists/*.csv), so the hub's response validation passes.

Per request the provider does what a real one must at least do: parse the request, read its
platform header and answer with a reply header bound to the exact request bytes (RelatesTo,
RequestHash). The business body is fixed bytes built once at start.

    python bench/provider.py [--port N] [--answer-bytes N]   # prints {"port": N} once listening

``--answer-bytes N``: a household of as many members as make the whole answer about N bytes
(the big-message benchmarks: 100 KB, 1 MB); every member is the same valid resident.
"""

from __future__ import annotations

import argparse
import json
import sys

from lxml import etree
from twisted.internet import reactor
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
        raw = request.content.read()
        try:
            env = parse_envelope(raw)
            header = PlatformHeader.from_element(env.header).reply(raw)
        except (HubFault, AttributeError, TypeError):
            request.setResponseCode(400)
            request.setHeader(b"content-type", b"text/plain; charset=utf-8")
            return b"not a juki.ResidentInquiry request with a platform header\n"
        self.served += 1
        soap = env.soap_ns.encode()
        request.setHeader(b"content-type", CONTENT_TYPES[env.soap_ns].encode())
        return b"".join((
            b'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="', soap,
            b'">\n<soap:Header>\n', etree.tostring(header.to_element()),
            b"\n</soap:Header>\n<soap:Body>\n", self.body, b"\n</soap:Body>\n</soap:Envelope>\n"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any)")
    parser.add_argument("--answer-bytes", type=int, default=0, metavar="N",
                        help="household members enough for answers of about N bytes")
    args = parser.parse_args(argv)
    members = 1
    if args.answer_bytes:
        one, two = len(response_body(1)), len(response_body(2))
        members = max(1, 1 + round((args.answer_bytes - ENVELOPE_BYTES - one) / (two - one)))
    # backlog as the hub's default: hundreds of clients connect at once in the big-message runs
    port = reactor.listenTCP(args.port, server.Site(ResidentInquiryProvider(members)),
                             backlog=1024, interface="127.0.0.1")
    print(json.dumps({"port": port.getHost().port}), flush=True)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
