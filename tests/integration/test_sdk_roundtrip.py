"""The adapter SDK over real sockets: zeep consumer -> (hub stub | real hub) -> spyne provider.

Providers run in this process on Twisted's reactor in a daemon thread (adapters.sdk.testing);
the consumer is synchronous. The real hub is a ``pfbus serve`` child process. Every wait is a
blocking call with a timeout, never a sleep.
"""

from __future__ import annotations

import copy
import threading

import pytest
import requests
import zeep
from lxml import etree
from twisted.internet import reactor, task
from twisted.web.resource import Resource
from zeep.transports import Transport

from adapters.sdk.consumer import (ConsumerClient, PlatformFault, ReplyMismatch, SOAP11_NS,
                                   SOAP12_NS)
from adapters.sdk.provider import ProviderApp, ProviderError
from adapters.sdk.testing import (CMN_NS, JUKI_NS, TAX_NS, HubStub, fill, sample_request,
                                  sample_resident, serve)
from bus.core.catalog import Catalog
from bus.core.findings import Finding
from bus.core.header import HEADER_TAG, Party, PlatformHeader, request_digest

from schemas import BUILTIN_CATALOG

from .processes import start_hub

SERVICES = Catalog.load([BUILTIN_CATALOG]).services

pytestmark = pytest.mark.integration

JUKI = Party("131016", "01", "vendor-a-juki")
TAX = Party("131016", "07", "vendor-b-tax")
HUB = Party("131016", "01", "hub")  # a notice's Receiver: the hub of 千代田区's 住基 (notices.md)
NOTICE = "juki.ResidentChangeNotice"
FAILING = "0000000027"  # a valid 宛名番号 the juki handler answers with a ProviderError
INQUIRY = "juki.ResidentInquiry"
ALL_JUKI = ("juki.ResidentInquiry", "juki.ResidentChangeNotice", "juki.ResidentFullExtract")
calls: list[tuple[PlatformHeader, bytes]] = []


def _j(name):
    return f"{{{JUKI_NS}}}{name}"


def resident_inquiry(header, body):
    calls.append((header, etree.tostring(body, method="c14n", exclusive=True)))
    if body.findtext(_j("AddresseeNumber")) == FAILING:
        raise ProviderError("VENDOR-A-DOWN", "the registry database is down", [
            Finding("vendor:db", "connection refused", "/juki:ResidentInquiryRequest", 7)])
    response = etree.Element(_j("ResidentInquiryResponse"), nsmap={"juki": JUKI_NS,
                                                                 "cmn": CMN_NS})
    etree.SubElement(response, _j("Status")).text = "found"
    fill(etree.SubElement(response, _j("Resident")), CMN_NS, sample_resident())
    fill(etree.SubElement(response, _j("Household")), CMN_NS, [
        ("HouseholdNumber", "2000000011"), ("HeadName", [("Text", "総務翔子")]),
        ("Member", sample_resident())])
    return response


changes_seen: list[int] = []


def change_notice(header, body):
    changes_seen.append(len(body.findall(_j("Change"))))
    receipt = etree.Element("{urn:pfbus:platform:receipt:v1}NoticeReceipt")
    etree.SubElement(receipt, "{urn:pfbus:platform:receipt:v1}MessageId").text = header.message_id
    etree.SubElement(receipt, "{urn:pfbus:platform:receipt:v1}Status").text = "applied"
    return receipt


def full_extract(header, body):
    """Answers through a Deferred, as a handler doing I/O would; PageSize residents."""
    size = int(body.findtext(_j("PageSize")))
    response = etree.Element(_j("ResidentFullExtractResponse"))
    for name, value in (("ExtractId", "X1"), ("Page", "1"), ("TotalPages", "1"),
                        ("TotalCount", str(size))):
        etree.SubElement(response, _j(name)).text = value
    for _ in range(size):
        fill(etree.SubElement(response, _j("Resident")), CMN_NS, sample_resident())
    return task.deferLater(reactor, 0, lambda: response)


def taxation(header, body):
    response = etree.Element(f"{{{TAX_NS}}}TaxationStatusInquiryResponse")
    etree.SubElement(response, f"{{{TAX_NS}}}Status").text = "not-found"
    return response


@pytest.fixture(scope="module")
def provider():
    root = Resource()
    root.putChild(b"juki", ProviderApp(JUKI, {
        "juki.ResidentInquiry": resident_inquiry, "juki.ResidentChangeNotice": change_notice,
        "juki.ResidentFullExtract": full_extract}).resource())
    root.putChild(b"tax", ProviderApp(TAX, {
        "kojinjuminzei.TaxationStatusInquiry": taxation}).resource())
    server = serve(root)
    yield server.url
    server.close()


def endpoint_of(provider_url, sid):
    return f"{provider_url}/{'tax' if sid.startswith('kojin') else 'juki'}"


@pytest.fixture(scope="module")
def stub(provider):
    tamper = {}
    server = serve(HubStub(lambda sid: endpoint_of(provider, sid),
                           tamper=lambda raw: tamper.get("fn", lambda r: r)(raw)))
    yield server.url, tamper
    tamper.clear()
    server.close()


def consumer(hub_url, party=TAX):
    return ConsumerClient(hub_url, party, "clerk01", timeout=30)


# --- the spyne provider's own contract --------------------------------------------------------

class CapturingTransport(Transport):
    def post(self, address, message, headers):
        self.sent = message
        return super().post(address, message, headers)


class SwapBody(zeep.Plugin):
    """Spyne's WSDL types bodies xs:anyType, which zeep cannot fill with elements: swap it in."""

    def __init__(self, body):
        self.body = body

    def egress(self, envelope, http_headers, operation, binding_options):
        envelope.find(f"{{{SOAP11_NS}}}Body")[0] = self.body
        return envelope, http_headers


def test_zeep_against_the_providers_own_wsdl(provider):
    url = f"{provider}/juki/{INQUIRY}"
    served = requests.get(url + "?wsdl", timeout=10)
    assert served.status_code == 200  # spyne #600 patched: it was a 500
    transport = CapturingTransport()
    client = zeep.Client(url + "?wsdl", transport=transport,
                         plugins=[SwapBody(sample_request(INQUIRY))])
    (service,) = client.wsdl.services.values()
    (port,) = service.ports.values()
    assert port.binding_options["address"] == url
    assert list(port.binding._operations) == ["ResidentInquiry"]
    header = PlatformHeader.new(sender=TAX, receiver=JUKI, service_id=INQUIRY, user_id="u1")
    with client.settings(raw_response=True):  # zeep cannot unwrap an anyType result
        response = client.service.ResidentInquiry(_soapheaders=[header.to_element()])
    assert response.status_code == 200  # spyne #709 patched: every POST was a 405
    reply = PlatformHeader.from_element(etree.fromstring(response.content).find(
        f"{{{SOAP11_NS}}}Header/{HEADER_TAG}"))
    assert reply.relates_to == header.message_id
    assert reply.request_hash == request_digest(transport.sent)


def test_a_post_to_the_endpoint_is_dispatched_by_body_element(provider):
    # no hub: the catalog's WSDLs from disk, POSTs straight to the provider's one endpoint
    c = ConsumerClient(provider, TAX, "clerk01", wsdl_url=lambda sid: SERVICES[sid].wsdl.as_uri(),
                       endpoint_url=lambda sid: endpoint_of(provider, sid))
    for sid in ALL_JUKI:
        reply = c.call(sid, HUB if sid == NOTICE else JUKI, sample_request(sid))
        assert reply.header.service_id == sid
    unknown = requests.post(f"{provider}/juki", timeout=10, data=(
        f'<s:Envelope xmlns:s="{SOAP11_NS}"><s:Body><x:Nope xmlns:x="urn:x"/></s:Body>'
        f'</s:Envelope>').encode(), headers={"Content-Type": "text/xml"})
    assert unknown.status_code == 500
    assert b"<pff:Code>PF-SCHEMA-INVALID</pff:Code>" in unknown.content
    assert b"service:element" in unknown.content


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary=",
                                          "application/x-www-form-urlencoded"])
def test_a_body_labelled_as_a_form_gets_a_soap_fault_not_twisteds_empty_400(provider,
                                                                          content_type):
    """Twisted parses a POST labelled as a form before any resource sees it, and answers one it
    cannot read (a multipart type without a boundary) with its own empty 400 and a dropped
    connection: the provider never had the chance to answer with a SOAP Fault. A form is no SOAP
    media type: PF-CONTENT-TYPE, 415, as the hub answers it (round 44d)."""
    answer = requests.post(f"{provider}/juki", data=b"--x\r\nnot a part", timeout=10,
                           headers={"Content-Type": content_type})
    assert answer.status_code == 415
    assert b"Fault>" in answer.content and answer.headers["Content-Type"].startswith("text/xml")
    assert b"<pff:Code>PF-CONTENT-TYPE</pff:Code>" in answer.content


def _with_block(soap_ns: str, block: str) -> bytes:
    """A request to the juki endpoint carrying ``block`` beside its PlatformHeader."""
    header = PlatformHeader.new(sender=TAX, receiver=JUKI, service_id=INQUIRY, user_id="clerk01")
    return (f'<s:Envelope xmlns:s="{soap_ns}"><s:Header>'
            f'{etree.tostring(header.to_element()).decode()}{block}</s:Header><s:Body>'
            f'{etree.tostring(sample_request(INQUIRY)).decode()}</s:Body></s:Envelope>').encode()


@pytest.mark.parametrize("soap_ns, content_type, must, addressed", [
    (SOAP11_NS, "text/xml", 's:mustUnderstand="1"', ""),
    (SOAP11_NS, "text/xml", 's:mustUnderstand="1"',
     ' s:actor="http://schemas.xmlsoap.org/soap/actor/next"'),
    (SOAP12_NS, "application/soap+xml", 's:mustUnderstand="true"', ""),
    (SOAP12_NS, "application/soap+xml", 's:mustUnderstand="1"',
     ' s:role="http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"'),
])
def test_a_block_for_the_provider_it_must_understand_and_does_not_is_a_must_understand_fault(
        provider, soap_ns, content_type, must, addressed):
    """SOAP's processing model at the ultimate receiver (docs/faults.md, Header blocks): the
    hub passes such a block through, the provider refuses it before anything else."""
    block = f'<v:Token xmlns:v="urn:vendor" {must}{addressed}>t</v:Token>'
    answer = requests.post(f"{provider}/juki", data=_with_block(soap_ns, block), timeout=10,
                           headers={"Content-Type": f"{content_type}; charset=utf-8"})
    assert answer.status_code == 500
    root = etree.fromstring(answer.content)
    code = (root.findtext(".//faultcode") if soap_ns == SOAP11_NS
            else root.findtext(f".//{{{soap_ns}}}Code/{{{soap_ns}}}Value"))
    prefix, _, name = code.partition(":")
    assert (root.nsmap.get(prefix) or root.find(".//*").nsmap.get(prefix), name) == \
        (soap_ns, "MustUnderstand")
    assert b"<pff:Code>PF-MUST-UNDERSTAND</pff:Code>" in answer.content
    assert b"soap:mustUnderstand" in answer.content


@pytest.mark.parametrize("soap_ns, content_type, attributes", [
    (SOAP11_NS, "text/xml", 's:mustUnderstand="0"'),
    (SOAP11_NS, "text/xml", 's:mustUnderstand="1" s:actor="urn:someone-else"'),
    (SOAP12_NS, "application/soap+xml", 's:mustUnderstand="false"'),
    (SOAP12_NS, "application/soap+xml",
     's:mustUnderstand="true" s:role="http://www.w3.org/2003/05/soap-envelope/role/none"'),
])
def test_optional_blocks_and_blocks_for_others_are_ignored(provider, soap_ns, content_type,
                                                          attributes):
    block = f'<v:Token xmlns:v="urn:vendor" {attributes}>t</v:Token>'
    answer = requests.post(f"{provider}/juki", data=_with_block(soap_ns, block), timeout=10,
                           headers={"Content-Type": f"{content_type}; charset=utf-8"})
    assert answer.status_code == 200, answer.content[:500]


# --- consumer -> hub stub -> provider ----------------------------------------------------------

@pytest.mark.parametrize("version", [11, 12])
@pytest.mark.parametrize("sid", [*ALL_JUKI, "kojinjuminzei.TaxationStatusInquiry"])
def test_round_trip(stub, sid, version):
    receiver = TAX if sid.startswith("kojin") else HUB if sid == NOTICE else JUKI
    sender = JUKI if receiver is TAX else TAX
    answering = JUKI if receiver is HUB else receiver  # a notice is receipted by the subscriber
    body = sample_request(sid)
    calls.clear()
    reply = consumer(stub[0], sender).call(sid, receiver, body, soap_version=version)
    request = reply.request_header
    soap = SOAP11_NS if version == 11 else SOAP12_NS
    assert etree.fromstring(reply.raw).tag == f"{{{soap}}}Envelope"  # answered in its version
    assert reply.header.relates_to == request.message_id
    assert reply.header.request_hash == request_digest(reply.sent)
    assert (reply.header.sender, reply.header.receiver) == (answering, sender)
    assert (reply.header.service_id, reply.header.user_id) == (sid, "clerk01")
    assert reply.body.tag == SERVICES[sid].response_tag
    if sid == INQUIRY:
        (seen_header, seen_body), = calls
        assert seen_header == request  # the handler got the request's header, as sent
        assert seen_body == etree.tostring(body, method="c14n", exclusive=True)
        assert reply.body.findtext(f"{_j('Resident')}/{{{CMN_NS}}}Name/{{{CMN_NS}}}Text") \
            == "総務翔子"


@pytest.mark.parametrize("version", [11, 12])
def test_provider_error_becomes_platform_fault(stub, version):
    body = sample_request(INQUIRY)
    body.find(_j("AddresseeNumber")).text = FAILING
    with pytest.raises(PlatformFault) as caught:
        consumer(stub[0]).call(INQUIRY, JUKI, body, soap_version=version)
    fault = caught.value
    assert fault.soap_code.endswith("Server" if version == 11 else "Receiver")
    assert fault.soap_string.startswith("VENDOR-A-DOWN: the registry database is down")
    assert fault.detail.code == "VENDOR-A-DOWN"
    assert fault.detail.party == "provider"
    assert fault.detail.message_id == fault.request_header.message_id
    assert fault.detail.findings == (
        Finding("vendor:db", "connection refused", "/juki:ResidentInquiryRequest", 7),)


@pytest.mark.parametrize("version,status", [(11, 500), (12, 400)])
def test_an_invalid_request_gets_findings_with_path_and_line(stub, version, status):
    body = sample_request(INQUIRY)
    body.find(_j("AddresseeNumber")).text = "12ab"  # zeep lets it through, the XSD does not
    with pytest.raises(PlatformFault) as caught:
        consumer(stub[0]).call(INQUIRY, JUKI, body, soap_version=version)
    fault = caught.value
    assert (fault.status, fault.detail.code, fault.detail.party) == \
        (status, "PF-SCHEMA-INVALID", "client")
    (finding,) = fault.detail.findings
    assert finding.rule == "xsd:pattern"
    assert finding.path == "/soap:Envelope/soap:Body/juki:ResidentInquiryRequest/" \
                           "juki:AddresseeNumber"
    assert finding.line == 2 and "12ab" in finding.message  # line 1 is the XML declaration


def test_a_misaddressed_request_is_refused(stub):
    with pytest.raises(PlatformFault) as caught:
        consumer(stub[0]).call(INQUIRY, Party("131016", "01", "someone-else"),
                               sample_request(INQUIRY))
    detail = caught.value.detail
    assert (detail.code, detail.party) == ("PF-PROVIDER-MISROUTED", "client")
    assert [f.rule for f in detail.findings] == ["header:receiver"]
    (finding,) = detail.findings  # placed at the Receiver (fault-v1.xsd: path and line)
    assert finding.path == "/soap:Envelope/soap:Header/pfh:PlatformHeader/pfh:Receiver"
    assert finding.line == 2


@pytest.mark.parametrize("receiver", [
    Party("131016", "01", "vendor-a-juki"),  # the subscriber's own system, not the hub
    Party("131016", "07", "hub"),  # the hub of another 業務ユニット
    Party("011002", "01", "hub"),  # another 団体's hub
], ids=["own-system", "another-unit", "another-municipality"])
def test_a_notice_not_addressed_to_its_hub_is_refused(stub, receiver):
    """docs/notices.md: a notice is addressed to (団体コード, the service's 業務ユニット, hub); a
    subscriber accepts exactly that Receiver (README: a system answers only what is addressed
    to it), whatever its own party is."""
    with pytest.raises(PlatformFault) as caught:
        consumer(stub[0], JUKI).call(NOTICE, receiver, sample_request(NOTICE))
    detail = caught.value.detail
    assert (detail.code, detail.party) == ("PF-PROVIDER-MISROUTED", "client")
    (finding,) = detail.findings
    assert (finding.rule, finding.line) == ("header:receiver", 2)
    assert finding.path.endswith("/pfh:PlatformHeader/pfh:Receiver")


def test_a_tampered_request_hash_is_detected(stub):
    url, tamper = stub
    tamper["fn"] = lambda raw: raw.replace(b"RequestHash algorithm", b"RequestHash  algorithm") \
        .replace(b'#sha256">', b'#sha256">AAAA', 1)
    try:
        with pytest.raises(ReplyMismatch, match="RequestHash"):
            consumer(url).call(INQUIRY, JUKI, sample_request(INQUIRY))
    finally:
        tamper.clear()


def test_large_messages_both_ways(stub):
    """Bodies over Twisted's 100,000-byte in-memory limit (spyne_compat fix 4)."""
    notice = sample_request("juki.ResidentChangeNotice")
    for _ in range(299):  # ~224 KB: the sample declares cmn once (no per-element xmlns)
        notice.append(copy.deepcopy(notice[0]))
    reply = consumer(stub[0], JUKI).call(NOTICE, HUB, notice)
    assert len(reply.sent) > 200_000
    assert changes_seen[-1] == 300
    assert reply.body.findtext("{urn:pfbus:platform:receipt:v1}Status") == "applied"
    extract = sample_request("juki.ResidentFullExtract")
    extract.find(_j("PageSize")).text = "1000"
    reply = consumer(stub[0]).call("juki.ResidentFullExtract", JUKI, extract, soap_version=12)
    assert len(reply.raw) > 1_000_000 and len(reply.body.findall(_j("Resident"))) == 1000


def test_one_client_from_many_threads(stub):
    c = consumer(stub[0])
    errors, replies = [], []

    def work():
        try:
            replies.append(c.call(INQUIRY, JUKI, sample_request(INQUIRY)))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(replies) == 8
    assert len({r.request_header.message_id for r in replies}) == 8


# --- consumer -> the real hub (pfbus serve) -> provider ----------------------------------------

@pytest.fixture(scope="module")
def hub(provider, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sdk-hub")
    routes = "".join(
        f'[[routes]]\nlocal_gov_code = "131016"\nservice = "{sid}"\nprovider = "{pid}"\n'
        for sid, pid in [(s, "juki") for s in ALL_JUKI] +
        [("kojinjuminzei.TaxationStatusInquiry", "tax")])
    config = tmp / "hub.toml"
    config.write_text(
        '[hub]\nlisten = "127.0.0.1:0"\nallow_plain_http = true\n[store]\nrouting_log = "log.sqlite3"\n'
        '[[tenants]]\nlocal_gov_code = "131016"\nname = "千代田区"\n'
        'addressee_number = { scheme = "modulus11", weights = [2, 3, 4, 5, 6, 7], length = 10 }\n'
        f'[[providers]]\nid = "juki"\nurl = "{provider}/juki"\ntimeout = 10.0\n'
        f'[[providers]]\nid = "tax"\nurl = "{provider}/tax"\ntimeout = 10.0\n' + routes,
        encoding="utf-8")
    process, url = start_hub(config)
    yield url
    process.stop()


@pytest.mark.parametrize("version", [11, 12])
@pytest.mark.parametrize("sid", [INQUIRY, "kojinjuminzei.TaxationStatusInquiry"])
def test_through_the_real_hub(hub, sid, version):
    receiver = TAX if sid.startswith("kojin") else JUKI
    sender = JUKI if receiver is TAX else TAX
    reply = consumer(hub, sender).call(sid, receiver, sample_request(sid), soap_version=version)
    assert reply.header.relates_to == reply.request_header.message_id
    assert reply.header.request_hash == request_digest(reply.sent)


def test_provider_fault_through_the_real_hub(hub):
    body = sample_request(INQUIRY)
    body.find(_j("AddresseeNumber")).text = FAILING
    with pytest.raises(PlatformFault) as caught:
        consumer(hub).call(INQUIRY, JUKI, body, soap_version=12)
    assert (caught.value.detail.code, caught.value.detail.party) == ("VENDOR-A-DOWN", "provider")
