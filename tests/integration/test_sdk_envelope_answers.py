"""What an SDK-built endpoint answers about the envelope itself (docs/faults.md, round 15b):
SOAP's VersionMismatch for a root that is not the Envelope its binding carries, and findings
that name their place — the element path and line — whenever they are about one."""

from __future__ import annotations

import pytest
import requests
from lxml import etree

from adapters.sdk.provider import ProviderApp
from adapters.sdk.testing import sample_request, serve
from bus.core.envelope import SOAP11_NS, SOAP12_NS
from conformance import broken_envelopes
from bus.core.faults import FAULT_NS, FaultDetail
from bus.core.header import Party, PlatformHeader

pytestmark = pytest.mark.integration

JUKI = Party("131016", "01", "vendor-a-juki")
TAX = Party("131016", "07", "vendor-b-tax")
INQUIRY = "juki.ResidentInquiry"
DRAFT = "http://www.w3.org/2001/12/soap-envelope"  # a SOAP 1.2 draft's envelope namespace
MEDIA = {SOAP11_NS: "text/xml; charset=utf-8", SOAP12_NS: "application/soap+xml; charset=utf-8"}


def not_found(header, body) -> etree._Element:
    answer = etree.Element("{urn:pfbus:unit:juki:v1}ResidentInquiryResponse")
    etree.SubElement(answer, "{urn:pfbus:unit:juki:v1}Status").text = "not-found"
    return answer


@pytest.fixture(scope="module")
def endpoint():
    server = serve(ProviderApp(JUKI, {INQUIRY: not_found}, validate=False).resource())
    yield server.url
    server.close()


def request(soap_ns: str, header: bool = True, blocks: int = 1) -> bytes:
    head = "".join(etree.tostring(PlatformHeader.new(
        sender=TAX, receiver=JUKI, service_id=INQUIRY, user_id="u1").to_element(),
        encoding="unicode") for _ in range(blocks)) if header else ""
    body = etree.tostring(sample_request(INQUIRY), encoding="unicode")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="{soap_ns}">'
            f"<soap:Header>{head}</soap:Header>\n<soap:Body>{body}</soap:Body>"
            f"</soap:Envelope>").encode()


def post(url: str, raw: bytes, media: str) -> tuple[requests.Response, etree._Element]:
    answer = requests.post(url, data=raw, headers={"Content-Type": media}, timeout=10)
    return answer, etree.fromstring(answer.content)


def soap_code(env: etree._Element) -> str:
    ns = etree.QName(env).namespace
    code = env.findtext(f".//{{{ns}}}Fault/faultcode") if ns == SOAP11_NS else \
        env.findtext(f".//{{{ns}}}Code/{{{ns}}}Value")
    return (code or "").rpartition(":")[2]


def detail(env: etree._Element) -> FaultDetail:
    return FaultDetail.from_element(env.find(f".//{{{FAULT_NS}}}FaultDetail"))


@pytest.mark.parametrize("soap_ns", [SOAP11_NS, SOAP12_NS])
@pytest.mark.parametrize("path", ["", f"/{INQUIRY}"])
def test_an_envelope_of_another_namespace_is_a_version_mismatch(endpoint, soap_ns, path):
    """SOAP 1.1 4.1.2 / SOAP 1.2 Part 1 5.4.7: VersionMismatch in the version the Content-Type
    names, HTTP 500, SOAP 1.2's Upgrade listing both envelopes; PF-SOAP-ENVELOPE in the detail
    (as the hub answers it; the SDK answered soap:Client / env:Sender before round 15b)."""
    answer, env = post(endpoint + path, request(soap_ns).replace(soap_ns.encode(), DRAFT.encode()),
                       MEDIA[soap_ns])
    assert answer.status_code == 500
    assert answer.headers["Content-Type"].startswith(MEDIA[soap_ns].split(";")[0])
    assert env.tag == f"{{{soap_ns}}}Envelope" and soap_code(env) == "VersionMismatch"
    d = detail(env)
    assert (d.code, d.party) == ("PF-SOAP-ENVELOPE", "client")
    (finding,) = d.findings
    assert (finding.rule, finding.path, finding.line) == ("soap:envelope", "/soap:Envelope", 2)
    offered = {se.nsmap[se.get("qname").split(":")[0]]
               for se in env.iter(f"{{{SOAP12_NS}}}SupportedEnvelope")}
    assert offered == {SOAP11_NS, SOAP12_NS}


@pytest.mark.parametrize("sent, media", [(SOAP12_NS, MEDIA[SOAP11_NS]),
                                         (SOAP11_NS, MEDIA[SOAP12_NS])])
def test_an_envelope_of_the_other_version_is_a_version_mismatch_in_soap11(endpoint, sent, media):
    """SOAP 1.1 4.1.2 and SOAP 1.2 Part 1 Appendix A.1: a SOAP 1.1 fault, rule soap:version."""
    answer, env = post(endpoint, request(sent), media)
    assert answer.status_code == 500 and env.tag == f"{{{SOAP11_NS}}}Envelope"
    assert soap_code(env) == "VersionMismatch"
    (finding,) = detail(env).findings
    assert (finding.rule, finding.line) == ("soap:version", 2)


@pytest.mark.parametrize("soap_ns", [SOAP11_NS, SOAP12_NS])
def test_a_valid_request_and_a_broken_one_are_answered_as_before(endpoint, soap_ns):
    """The version check reads one start tag of a good request and passes it on; XML that is
    not well-formed is still PF-XML-MALFORMED (a client fault, not a version error)."""
    answer, env = post(endpoint, request(soap_ns), MEDIA[soap_ns])
    assert answer.status_code == 200, answer.text
    answer, env = post(endpoint, b"<soap:Envelope", MEDIA[soap_ns])
    assert soap_code(env).split(".")[0] in ("Client", "Sender")  # SOAP 1.1: Client.<detail>
    assert detail(env).code == "PF-XML-MALFORMED"
    assert detail(env).findings[0].line == 1  # the parser's line, no element to name


@pytest.mark.parametrize("soap_ns", [SOAP11_NS, SOAP12_NS])
@pytest.mark.parametrize("media", ["application/json", "text/plain; charset=utf-8", "text/html"])
def test_a_post_of_no_soap_media_type_is_refused_as_the_hub_refuses_it(endpoint, soap_ns, media):
    """docs/faults.md, README: a POST whose media type is neither text/xml nor
    application/soap+xml is PF-CONTENT-TYPE, HTTP 415, a SOAP 1.1 client fault — never read as
    SOAP (before round 44d the SDK answered it as SOAP 1.1: P-MEDIA-01)."""
    answer, env = post(endpoint, request(soap_ns), media)
    assert answer.status_code == 415, answer.text
    assert env.tag == f"{{{SOAP11_NS}}}Envelope" and soap_code(env) == "Client"
    d = detail(env)
    assert (d.code, d.party, d.findings[0].rule) == ("PF-CONTENT-TYPE", "client",
                                                      "http:content-type")


@pytest.mark.parametrize("soap_ns", [SOAP11_NS, SOAP12_NS])
@pytest.mark.parametrize("how", broken_envelopes.TAMPERS)
def test_a_broken_envelope_of_the_right_version_is_refused_as_the_client_s(endpoint, soap_ns,
                                                                            how):
    """docs/faults.md: two Bodies, a Body without one element, content after the Body … —
    PF-SOAP-ENVELOPE, soap:Client / env:Sender, rule soap:envelope, as the hub answers it
    (spyne answered an empty Body with a server fault before round 39b)."""
    raw = request(soap_ns).replace(b"\n<soap:Body>", b"<soap:Body>")
    answer, env = post(endpoint, broken_envelopes.tamper(raw, how), MEDIA[soap_ns])
    assert answer.status_code == (500 if soap_ns == SOAP11_NS else 400), answer.text
    assert env.tag == f"{{{soap_ns}}}Envelope"
    assert soap_code(env) == ("Client" if soap_ns == SOAP11_NS else "Sender")
    d = detail(env)
    assert (d.code, d.party, d.findings[0].rule) == ("PF-SOAP-ENVELOPE", "client", "soap:envelope")


@pytest.mark.parametrize("soap_ns", [SOAP11_NS, SOAP12_NS])
def test_header_findings_name_their_place(endpoint, soap_ns):
    """fault-v1.xsd: a finding about a place in the message names its element path and line —
    the Envelope without a platform header, the second of two."""
    _, env = post(endpoint, request(soap_ns, header=False), MEDIA[soap_ns])
    (finding,) = detail(env).findings
    assert (finding.rule, finding.path, finding.line) == ("header:required", "/soap:Envelope", 2)
    _, env = post(endpoint, request(soap_ns, blocks=2), MEDIA[soap_ns])
    (finding,) = detail(env).findings
    assert finding.rule == "header:single" and finding.line == 2
    assert finding.path == "/soap:Envelope/soap:Header/pfh:PlatformHeader[2]"


@pytest.mark.parametrize("soap_ns", [SOAP11_NS, SOAP12_NS])
@pytest.mark.parametrize("wrong", [b"<pfh:LocalGovCode>131017</pfh:LocalGovCode>",  # check digit
                                   b"<pfh:LocalGovCode>13101</pfh:LocalGovCode>"])  # schema
def test_an_invalid_header_is_refused_naming_its_message_id(endpoint, soap_ns, wrong):
    """docs/faults.md: a fault answering a request whose header could be read names its
    MessageId — a Sender 団体コード that breaks the schema or its check digit included (the
    SDK named none: round 21's finding, INV-FAULT-06)."""
    raw = request(soap_ns)
    message_id = etree.fromstring(raw).findtext(".//{*}MessageId")
    raw = raw.replace(b"<pfh:LocalGovCode>131016</pfh:LocalGovCode>", wrong, 1)
    assert wrong in raw
    _, env = post(endpoint, raw, MEDIA[soap_ns])
    assert detail(env).code == "PF-HEADER-INVALID"
    assert detail(env).message_id == message_id


def test_an_unknown_body_element_names_it(endpoint):
    raw = request(SOAP11_NS).replace(b"ResidentInquiryRequest", b"NoSuchRequest")
    _, env = post(endpoint, raw, MEDIA[SOAP11_NS])
    (finding,) = detail(env).findings
    assert finding.rule == "service:element" and finding.line == 3
    assert finding.path == "/soap:Envelope/soap:Body/juki:NoSuchRequest"
