"""The zeep consumer without sockets: what it sends, and how it checks what comes back.

The WSDLs come from disk and the HTTP session is a fake that answers like a provider would
(or, per test, like a broken or lying one).
"""

from __future__ import annotations

import dataclasses

import pytest
import requests
from lxml import etree

from adapters.sdk.consumer import (ConsumerClient, PlatformFault, ReplyMismatch, SOAP11_NS,
                                   SOAP12_NS, TransportError)
from bus.core.catalog import Catalog
from bus.core.faults import FaultDetail
from bus.core.findings import Finding
from schemas import BUILTIN_CATALOG
from adapters.sdk.testing import JUKI_NS, sample_request
from bus.core.header import HEADER_TAG, Party, PlatformHeader, request_digest

SERVICES = Catalog.load([BUILTIN_CATALOG]).services
CONSUMER = Party("131016", "07", "TAX-B")
PROVIDER = Party("131016", "01", "JUKI-A")
SID = "juki.ResidentInquiry"


def answer_body() -> etree._Element:
    el = etree.Element(f"{{{JUKI_NS}}}ResidentInquiryResponse", nsmap={"juki": JUKI_NS})
    etree.SubElement(el, f"{{{JUKI_NS}}}Status").text = "not-found"
    return el


def envelope(soap: str, header: etree._Element | None, body: etree._Element) -> bytes:
    env = etree.Element(f"{{{soap}}}Envelope", nsmap={"soap": soap})
    if header is not None:
        etree.SubElement(env, f"{{{soap}}}Header").append(header)
    etree.SubElement(env, f"{{{soap}}}Body").append(body)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def honest(raw: bytes, header: PlatformHeader, soap: str):
    """What a conforming provider answers."""
    return 200, envelope(soap, header.reply(raw, sender=PROVIDER).to_element(), answer_body())


class FakeSession(requests.Session):
    def __init__(self, respond):
        super().__init__()
        self.respond = respond
        self.sent: list[tuple[str, bytes, dict]] = []

    def post(self, url, data=None, headers=None, timeout=None, **kw):
        self.sent.append((url, data, dict(headers)))
        root = etree.fromstring(data)
        soap = etree.QName(root).namespace
        header = PlatformHeader.from_element(root.find(f"{{{soap}}}Header/{HEADER_TAG}"))
        status, body = self.respond(data, header, soap)
        response = requests.Response()
        response.status_code = status
        response._content = body
        response.headers["Content-Type"] = "text/xml"
        return response


def client(respond=honest) -> tuple[ConsumerClient, FakeSession]:
    session = FakeSession(respond)
    c = ConsumerClient("http://hub.invalid", CONSUMER, "clerk01", session=session,
                       wsdl_url=lambda sid: SERVICES[sid].wsdl.as_uri())
    return c, session


@pytest.mark.parametrize("version,soap,ctype", [
    (11, SOAP11_NS, "text/xml; charset=utf-8"),
    (12, SOAP12_NS, 'application/soap+xml; charset=utf-8; action="urn:pfbus:service:'
                    'juki.ResidentInquiry"')])
def test_sends_the_callers_exact_body_and_verifies_the_reply(version, soap, ctype):
    c, session = client()
    body = sample_request(SID)
    reply = c.call(SID, PROVIDER, body, soap_version=version, linkage_kind="full")
    (url, sent, headers), = session.sent
    assert url == f"http://localhost/services/{SID}"  # the WSDL port's address
    assert headers["Content-Type"] == ctype
    if version == 11:
        assert headers["SOAPAction"] == f'"urn:pfbus:service:{SID}"'
    assert sent == reply.sent
    root = etree.fromstring(sent)
    assert root.tag == f"{{{soap}}}Envelope"
    # zeep would have rendered AsOf as 2024-04-01; the caller's element goes out unchanged
    def c14n(el):
        return etree.tostring(el, method="c14n", exclusive=True)
    assert c14n(root.find(f"{{{soap}}}Body")[0]) == c14n(body)
    assert b"<AsOf>2024-04-01+09:00</AsOf>" in sent
    request_header = PlatformHeader.from_element(root.find(f"{{{soap}}}Header/{HEADER_TAG}"))
    assert request_header == reply.request_header
    assert (request_header.sender, request_header.receiver) == (CONSUMER, PROVIDER)
    assert (request_header.user_id, request_header.linkage_kind) == ("clerk01", "full")
    assert reply.header.relates_to == request_header.message_id
    assert reply.header.request_hash == request_digest(sent)
    assert reply.body.tag == f"{{{JUKI_NS}}}ResidentInquiryResponse"


def test_endpoint_override():
    session = FakeSession(honest)
    c = ConsumerClient("http://hub.invalid", CONSUMER, "clerk01", session=session,
                       wsdl_url=lambda sid: SERVICES[sid].wsdl.as_uri(),
                       endpoint_url=lambda sid: f"http://127.0.0.1:9/soap#{sid}")
    c.call(SID, PROVIDER, sample_request(SID))
    assert session.sent[0][0] == f"http://127.0.0.1:9/soap#{SID}"


def lie(**changes):
    def respond(raw, header, soap):
        reply = dataclasses.replace(header.reply(raw, sender=PROVIDER), **changes)
        return 200, envelope(soap, reply.to_element(), answer_body())
    return respond


@pytest.mark.parametrize("changes,expected", [
    ({"request_hash": request_digest(b"other bytes")}, "RequestHash"),
    ({"relates_to": "00000000-0000-4000-8000-000000000000"}, "RelatesTo"),
    ({"service_id": "juki.ResidentFullExtract"}, "ServiceId"),
])
@pytest.mark.parametrize("version", [11, 12])
def test_a_reply_not_bound_to_the_request_is_refused(changes, expected, version):
    c, _ = client(lie(**changes))
    with pytest.raises(ReplyMismatch, match=expected):
        c.call(SID, PROVIDER, sample_request(SID), soap_version=version)


def test_a_reply_without_header_or_with_a_foreign_body_is_refused():
    c, _ = client(lambda raw, header, soap: (200, envelope(soap, None, answer_body())))
    with pytest.raises(ReplyMismatch, match="0 pfh:PlatformHeader"):
        c.call(SID, PROVIDER, sample_request(SID))

    def wrong_body(raw, header, soap):
        reply = header.reply(raw, sender=PROVIDER).to_element()
        return 200, envelope(soap, reply, sample_request(SID))
    c, _ = client(wrong_body)
    with pytest.raises(ReplyMismatch, match="ResidentInquiryRequest"):
        c.call(SID, PROVIDER, sample_request(SID))


DETAIL = FaultDetail(code="VENDOR-A-DOWN", party="provider", message_id="m-1", findings=(
    Finding("db", "住民DB unreachable", "/juki:ResidentInquiryRequest", 3),
    Finding("retry", "try later")))


def soap_fault(soap: str, detail: FaultDetail | None) -> bytes:
    env = etree.Element(f"{{{soap}}}Envelope", nsmap={"soap": soap})
    fault = etree.SubElement(etree.SubElement(env, f"{{{soap}}}Body"), f"{{{soap}}}Fault")
    if soap == SOAP11_NS:
        etree.SubElement(fault, "faultcode").text = "soap:Server"
        etree.SubElement(fault, "faultstring").text = "VENDOR-A-DOWN: backend down"
        holder = etree.SubElement(fault, "detail")
    else:
        code = etree.SubElement(fault, f"{{{soap}}}Code")
        etree.SubElement(code, f"{{{soap}}}Value").text = "soap:Receiver"
        reason = etree.SubElement(fault, f"{{{soap}}}Reason")
        etree.SubElement(reason, f"{{{soap}}}Text").text = "VENDOR-A-DOWN: backend down"
        holder = etree.SubElement(fault, f"{{{soap}}}Detail")
    if detail is not None:
        holder.append(detail.to_element())
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize("version", [11, 12])
def test_a_fault_raises_platform_fault_with_its_detail(version):
    c, _ = client(lambda raw, header, soap: (500, soap_fault(soap, DETAIL)))
    with pytest.raises(PlatformFault) as caught:
        c.call(SID, PROVIDER, sample_request(SID), soap_version=version)
    fault = caught.value
    assert fault.detail == DETAIL
    assert fault.soap_code == ("soap:Server" if version == 11 else "soap:Receiver")
    assert fault.soap_string == "VENDOR-A-DOWN: backend down"
    assert fault.status == 500
    assert str(fault).startswith("VENDOR-A-DOWN")


def test_a_fault_without_detail_still_raises():
    c, _ = client(lambda raw, header, soap: (500, soap_fault(soap, None)))
    with pytest.raises(PlatformFault) as caught:
        c.call(SID, PROVIDER, sample_request(SID))
    assert caught.value.detail is None


def test_http_trouble_raises_transport_error():
    c, _ = client(lambda raw, header, soap: (502, b"<html>bad gateway</html>"))
    with pytest.raises(TransportError) as caught:
        c.call(SID, PROVIDER, sample_request(SID))
    assert caught.value.status == 502
    c, _ = client(lambda raw, header, soap: (503, b"not xml at all"))
    with pytest.raises(TransportError, match="not XML"):
        c.call(SID, PROVIDER, sample_request(SID))


def test_the_body_must_be_the_services_request_element():
    c, session = client()
    with pytest.raises(ValueError, match="ResidentInquiryRequest"):
        c.call(SID, PROVIDER, sample_request("juki.ResidentFullExtract"))
    incomplete = etree.Element(f"{{{JUKI_NS}}}ResidentFullExtractRequest")
    with pytest.raises(ValueError, match="Page"):  # zeep's check of required elements
        c.call("juki.ResidentFullExtract", PROVIDER, incomplete)
    with pytest.raises(ValueError, match="soap_version"):
        c.call(SID, PROVIDER, sample_request(SID), soap_version=13)
    assert session.sent == []


def test_every_service_round_trips_with_one_client():
    def respond(raw, header, soap):
        body = etree.Element(SERVICES[header.service_id].response_tag)
        return 200, envelope(soap, header.reply(raw, sender=PROVIDER).to_element(), body)
    c, session = client(respond)
    for sid, info in SERVICES.items():
        reply = c.call(sid, PROVIDER, sample_request(sid), soap_version=12)
        assert reply.body.tag == info.response_tag
        assert reply.header.service_id == sid
    assert len(session.sent) == len(SERVICES)
