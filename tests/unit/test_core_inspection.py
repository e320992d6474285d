"""The hub's gatekeeper (bus.core.inspection.Inspector): pure checks of request and response
bytes, with a ServiceRegistry built here."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from lxml import etree

from bus.core import faults
from bus.core.envelope import Limits
from bus.core.faults import FAULT_NS, HubFault, fault_envelope
from bus.core.header import Party, request_digest
from bus.core.identifiers import Modulus11Scheme
from bus.core.inspection import Inspector, RequestBinding
from bus.core.routing import Provider, Route, ServiceRegistry
from bus.core.validator import MessageValidator
from messages import (ADDRESSEE_8, ADDRESSEE_BAD, CHIYODA, JUKI_NS, JUKI_SYSTEM, SOAP11_NS,
                      SOAP12_NS, TAX_SYSTEM, YOKOHAMA, builtin_catalog, change_notice_body,
                      envelope, inquiry_body, inquiry_response_body, line_of, request_header,
                      soap_fault_body)

HEADER_PATH = "/soap:Envelope/soap:Header/pfh:PlatformHeader"
VENDOR_A = Provider("vendor-a-juki", "http://127.0.0.1:9001/soap", 10.0)


@pytest.fixture(scope="module")
def inspector() -> Inspector:
    catalog = builtin_catalog()
    registry = ServiceRegistry([Route(CHIYODA, "juki.ResidentInquiry", VENDOR_A, 3.0)])
    return Inspector(catalog, MessageValidator(catalog, {CHIYODA: Modulus11Scheme(length=10)}),
                     registry)


def refused(call, *args, **kw) -> HubFault:
    with pytest.raises(HubFault) as info:
        call(*args, **kw)
    return info.value


# --- requests ----------------------------------------------------------------------------------

@pytest.mark.parametrize("soap_ns", [SOAP11_NS, SOAP12_NS])
def test_request_is_accepted_and_routed(inspector, soap_ns):
    header = request_header()
    raw = envelope(inquiry_body(), header, soap_ns)
    accepted = inspector.inspect_request(raw, endpoint_service="juki.ResidentInquiry")
    assert accepted.header == header
    assert accepted.service.id == "juki.ResidentInquiry"
    assert accepted.route.provider is VENDOR_A and accepted.route.timeout == 3.0
    assert accepted.envelope.raw is raw and accepted.envelope.soap_ns == soap_ns


def test_values_split_by_comments_are_read_whole(inspector):
    """A comment or PI inside a value (the header's 団体コード and MessageId, the body's
    宛名番号) is not part of it: the message is valid, routed by its receiver, and its header
    is what the XML says."""
    header = request_header()
    raw = envelope(inquiry_body(), header).decode()
    number = inquiry_body().split("<juki:AddresseeNumber>")[1].split("<")[0]
    for value in (number, header.message_id, f"<pfh:LocalGovCode>{CHIYODA}"):
        assert value in raw, value  # every occurrence is split (sender and receiver)
        raw = raw.replace(value, f"{value[:-3]}<!-- x -->{value[-3:-1]}<?pi?>{value[-1:]}")
    accepted = inspector.inspect_request(raw.encode(), endpoint_service="juki.ResidentInquiry")
    assert accepted.header == header and accepted.route.provider is VENDOR_A


def test_a_processing_instruction_over_soap12_is_read_past_and_kept(inspector):
    """docs/faults.md: the hub reads past processing instructions in either SOAP version — SOAP
    1.2 Part 1 §5 lets an intermediary leave them — and forwards the bytes as they are; the
    provider or subscriber decides (the canonical answer or a Sender fault)."""
    raw = envelope(inquiry_body(), request_header(), SOAP12_NS).replace(
        b"<juki:AddresseeNumber>", b"<?vendor hint?><juki:AddresseeNumber>", 1)
    assert b"<?vendor hint?>" in raw
    accepted = inspector.inspect_request(raw, content_type="application/soap+xml")
    assert accepted.envelope.raw is raw and accepted.route.provider is VENDOR_A


def test_request_without_endpoint_service_is_accepted(inspector):
    assert inspector.inspect_request(envelope(inquiry_body())).service.id == "juki.ResidentInquiry"


def _request_fault(inspector, header, body=None, **kw) -> HubFault:
    raw = envelope(inquiry_body() if body is None else body, header)
    fault = refused(inspector.inspect_request, raw, **kw)
    return fault


def test_unknown_service(inspector):
    header = request_header(service_id="juki.ResidentTeleport")
    fault = _request_fault(inspector, header)
    assert fault.fault is faults.SERVICE_UNKNOWN
    assert (fault.first.rule, fault.first.path) == ("service:known", HEADER_PATH)
    assert fault.message_id == header.message_id
    # a fault raised once the header was read carries it (the routing log's sender/receiver)
    assert fault.header is not None and fault.header.message_id == header.message_id


def test_wrong_service_version(inspector):
    fault = _request_fault(inspector, request_header(service_version="2"))
    assert fault.fault is faults.SERVICE_UNKNOWN
    assert fault.first.rule == "service:version"
    assert "version 1, not 2" in fault.first.message


def test_receiver_business_unit_must_be_the_services(inspector):
    header = request_header(receiver=Party(CHIYODA, "07", "vendor-a-juki"))
    fault = _request_fault(inspector, header)
    assert fault.fault is faults.HEADER_INVALID
    assert fault.first.rule == "service:unit"


@pytest.mark.parametrize("system_id", ["vendor-b-tax", "vendor-a-juki"])
def test_a_notice_not_addressed_to_the_hub_is_refused_at_the_door(inspector, system_id):
    """docs/notices.md: a notice's Receiver is (団体コード, the service's 業務ユニット, hub); every
    subscriber refuses any other, so the hub does not store one to dead-letter it."""
    header = request_header(sender=JUKI_SYSTEM, receiver=Party(CHIYODA, "01", system_id),
                            service_id="juki.ResidentChangeNotice")
    raw = envelope(change_notice_body(), header)
    fault = refused(inspector.inspect_request, raw)
    assert fault.fault is faults.HEADER_INVALID and fault.message_id == header.message_id
    assert fault.first.rule == "header:receiver"
    assert fault.first.path == HEADER_PATH + "/pfh:Receiver/pfh:SystemId"
    assert fault.first.line == line_of(raw, "<pfh:SystemId>", occurrence=2)


def test_a_notice_addressed_to_the_hub_passes_the_receiver_check(inspector):
    """The same notice to (千代田区, 01, hub) gets past it: refused only because this registry
    has no subscriber of it."""
    header = request_header(sender=JUKI_SYSTEM, receiver=Party(CHIYODA, "01", "hub"),
                            service_id="juki.ResidentChangeNotice")
    fault = refused(inspector.inspect_request, envelope(change_notice_body(), header))
    assert fault.first.rule == "route:subscribed"


def test_endpoint_must_match_the_headers_service(inspector):
    fault = _request_fault(inspector, request_header(),
                           endpoint_service="kojinjuminzei.TaxationStatusInquiry")
    assert fault.fault is faults.HEADER_INVALID
    assert (fault.first.rule, fault.first.path) == ("service:endpoint", HEADER_PATH)


def test_no_route_for_the_receivers_municipality(inspector):
    header = request_header(receiver=Party(YOKOHAMA, "01", "juki"))
    fault = _request_fault(inspector, header)
    assert fault.fault is faults.ROUTE_NOT_FOUND
    assert fault.first.rule == "route:registered"
    assert YOKOHAMA in fault.first.message


def test_no_route_for_another_service_of_the_same_municipality(inspector):
    header = request_header(service_id="juki.ResidentFullExtract")
    body = (f'<juki:ResidentFullExtractRequest xmlns:juki="{JUKI_NS}"><juki:Page>1</juki:Page>'
            f"<juki:PageSize>100</juki:PageSize></juki:ResidentFullExtractRequest>")
    assert _request_fault(inspector, header, body).fault is faults.ROUTE_NOT_FOUND


def test_missing_platform_header(inspector):
    raw = envelope(inquiry_body(), header=None)
    fault = refused(inspector.inspect_request, raw)
    assert fault.fault is faults.HEADER_MISSING
    assert (fault.first.rule, fault.first.path) == ("header:required", "/soap:Envelope")


def test_header_schema_error_is_header_invalid(inspector):
    header = request_header(sent_at="2026-11-27T15:04:05Z")
    fault = _request_fault(inspector, header)
    assert fault.fault is faults.HEADER_INVALID
    assert fault.first.rule == "xsd:pattern"
    assert fault.message_id == header.message_id


@pytest.mark.parametrize("soap_ns, attributes", [
    (SOAP11_NS, {"mustUnderstand": "1", "actor": "http://schemas.xmlsoap.org/soap/actor/next"}),
    (SOAP12_NS, {"mustUnderstand": "true", "role": "urn:pfbus:role:hub", "relay": "false"}),
])
def test_the_platform_header_may_carry_soaps_header_block_attributes(inspector, soap_ns,
                                                                      attributes):
    """SOAP allows its attributes on any header block: a sender may mark the platform's own
    header mustUnderstand (SOAP 1.1 §4.2, SOAP 1.2 Part 1 §5.2)."""
    header = request_header().to_element()
    for name, value in attributes.items():
        header.set(f"{{{soap_ns}}}{name}", value)
    raw = envelope(inquiry_body(), header=header, soap_ns=soap_ns)
    assert inspector.inspect_request(raw).service.id == "juki.ResidentInquiry"


def test_other_attributes_on_the_platform_header_are_refused(inspector):
    header = request_header().to_element()
    header.set("{urn:vendor}flag", "1")
    fault = refused(inspector.inspect_request, envelope(inquiry_body(), header=header))
    assert fault.fault is faults.HEADER_INVALID and fault.first.rule == "xsd:attribute"


def test_header_rule_error_is_rule_violation(inspector):
    fault = _request_fault(inspector, request_header(sender=Party("131017", "07", "tax")))
    assert fault.fault is faults.RULE_VIOLATION
    assert fault.first.rule == "local_gov_code"


def test_invalid_header_message_id_is_not_echoed(inspector):
    fault = _request_fault(inspector, request_header(message_id="<script>"))
    assert fault.fault is faults.HEADER_INVALID and fault.message_id is None


def test_body_schema_error_is_schema_invalid(inspector):
    raw = envelope(inquiry_body("12a"))
    fault = refused(inspector.inspect_request, raw)
    assert fault.fault is faults.SCHEMA_INVALID
    assert fault.first.rule == "xsd:pattern"
    assert fault.first.line == line_of(raw, "<juki:AddresseeNumber>")


def test_body_of_another_service_is_schema_invalid(inspector):
    fault = _request_fault(inspector, request_header(), inquiry_response_body())
    assert fault.fault is faults.SCHEMA_INVALID
    assert fault.first.rule == "service:element"


def test_body_rule_error_is_rule_violation_with_the_receivers_scheme(inspector):
    # 千代田区 (the receiver, who owns the data) numbers with 10 digits
    fault = _request_fault(inspector, request_header(), inquiry_body(ADDRESSEE_8))
    assert fault.fault is faults.RULE_VIOLATION
    assert fault.first.rule == "addressee_number"
    assert fault.first.path == ("/soap:Envelope/soap:Body/juki:ResidentInquiryRequest/"
                                "juki:AddresseeNumber")


def test_malformed_request_keeps_the_parse_fault(inspector):
    assert refused(inspector.inspect_request, b"<soap:Envelope").fault is faults.MALFORMED_XML


def test_inspector_applies_its_limits():
    catalog = builtin_catalog()
    small = Inspector(catalog, MessageValidator(catalog), ServiceRegistry([]),
                      Limits(max_bytes=100))
    assert refused(small.inspect_request, envelope(inquiry_body())).fault is faults.TOO_LARGE


# --- responses ---------------------------------------------------------------------------------

@pytest.fixture
def request_(inspector):
    return inspector.inspect_request(envelope(inquiry_body()))


def reply(request_, body=None, soap_ns=SOAP11_NS, **changes) -> bytes:
    header = request_.header.reply(request_.envelope.raw)
    if changes:
        header = replace(header, **changes)
    return envelope(inquiry_response_body() if body is None else body, header, soap_ns)


def test_valid_reply_is_accepted(inspector, request_):
    accepted = inspector.inspect_response(reply(request_), request_)
    assert not accepted.is_fault
    assert accepted.header.relates_to == request_.header.message_id
    assert accepted.header.request_hash == request_digest(request_.envelope.raw)
    assert accepted.header.sender == JUKI_SYSTEM and accepted.header.receiver == TAX_SYSTEM


def test_not_found_reply_is_accepted(inspector, request_):
    assert inspector.inspect_response(reply(request_, inquiry_response_body("not-found")), request_)


@pytest.mark.parametrize("changes, rule", [
    ({"relates_to": str(uuid.uuid4())}, "binding:relates_to"),
    ({"relates_to": None}, "binding:relates_to"),
    ({"request_hash": request_digest(b"other request bytes")}, "binding:request_hash"),
    ({"request_hash": None}, "binding:request_hash"),
    ({"service_id": "juki.ResidentFullExtract"}, "binding:service"),
])
def test_reply_must_be_bound_to_its_request(inspector, request_, changes, rule):
    fault = refused(inspector.inspect_response, reply(request_, **changes), request_)
    assert fault.fault is faults.PROVIDER_INVALID
    assert [f.rule for f in fault.findings] == [rule]
    assert fault.first.path == HEADER_PATH
    assert fault.message_id == request_.header.message_id


@pytest.mark.parametrize("changes, rule", [
    ({}, None),
    ({"relates_to": str(uuid.uuid4())}, "binding:relates_to"),
    ({"request_hash": request_digest(b"other request bytes")}, "binding:request_hash"),
    ({"service_id": "juki.ResidentFullExtract"}, "binding:service"),
])
def test_a_binding_from_stored_fields_checks_answers_as_the_parsed_request_does(
        inspector, request_, changes, rule):
    """Delivery checks a receipt against the fields the notice store kept (no second parse):
    the same verdict, finding and message ID as with the request parsed again."""
    stored = inspector.stored_binding(request_.envelope.raw, request_.envelope.soap_ns,
                                      request_.header.message_id, request_.header.service_id)
    assert stored == RequestBinding.of(request_)
    raw = reply(request_, **changes)
    if rule is None:
        assert not inspector.inspect_response(raw, stored).is_fault
        return
    by_binding = refused(inspector.inspect_response, raw, stored)
    by_request = refused(inspector.inspect_response, raw, request_)
    assert [f.rule for f in by_binding.findings] == [f.rule for f in by_request.findings] == [rule]
    assert by_binding.message_id == by_request.message_id == request_.header.message_id


def test_a_binding_names_soap_version_and_refuses_a_service_no_catalog_defines(
        inspector, request_):
    stored = inspector.stored_binding(request_.envelope.raw, SOAP12_NS,
                                      request_.header.message_id, request_.header.service_id)
    fault = refused(inspector.inspect_response, reply(request_), stored)
    assert fault.first.rule == "soap:version"
    assert "SOAP 1.1 to a SOAP 1.2 request" in fault.first.message
    gone = refused(inspector.stored_binding, request_.envelope.raw, SOAP11_NS,
                   request_.header.message_id, "juki.NoLongerOffered")
    assert gone.fault is faults.SERVICE_UNKNOWN and gone.first.rule == "service:known"


def test_reply_digest_covers_every_byte_of_the_request(inspector, request_):
    """Same header, one byte more: the digest binds the answer to the exact bytes received."""
    forged = request_.header.reply(request_.envelope.raw + b"\n")
    raw = envelope(inquiry_response_body(), forged)
    fault = refused(inspector.inspect_response, raw, request_)
    assert fault.first.rule == "binding:request_hash"


def test_provider_soap_fault_without_header_passes_as_a_fault(inspector, request_):
    raw = envelope(soap_fault_body(), header=None)
    accepted = inspector.inspect_response(raw, request_)
    assert accepted.is_fault and accepted.header is None


def test_provider_soap_fault_with_header_is_still_bound(inspector, request_):
    assert inspector.inspect_response(reply(request_, soap_fault_body()), request_).is_fault
    fault = refused(inspector.inspect_response,
                    reply(request_, soap_fault_body(), relates_to=str(uuid.uuid4())), request_)
    assert fault.first.rule == "binding:relates_to"


def test_response_in_another_soap_version_is_refused(inspector, request_):
    raw = reply(request_, soap_ns=SOAP12_NS)
    fault = refused(inspector.inspect_response, raw, request_)
    assert fault.fault is faults.PROVIDER_INVALID
    assert fault.first.rule == "soap:version"
    assert "SOAP 1.2 to a SOAP 1.1 request" in fault.first.message


def test_response_without_header_that_is_no_fault(inspector, request_):
    raw = envelope(inquiry_response_body(), header=None)
    fault = refused(inspector.inspect_response, raw, request_)
    assert fault.fault is faults.PROVIDER_INVALID
    assert fault.first.rule == "header:required"


def test_malformed_response_is_the_providers_fault(inspector, request_):
    fault = refused(inspector.inspect_response, b"<soap:Envelope>\n<oops", request_)
    assert fault.fault is faults.PROVIDER_INVALID
    assert fault.first.rule == "xml:well-formed"
    assert fault.message_id == request_.header.message_id


def test_response_rule_violation_is_the_providers_fault(inspector, request_):
    fault = refused(inspector.inspect_response,
                    reply(request_, inquiry_response_body(addressee=ADDRESSEE_BAD)), request_)
    assert fault.fault is faults.PROVIDER_INVALID
    assert {f.rule for f in fault.findings} == {"addressee_number"}


def test_response_of_the_wrong_element(inspector, request_):
    fault = refused(inspector.inspect_response, reply(request_, inquiry_body()), request_)
    assert fault.fault is faults.PROVIDER_INVALID
    assert fault.first.rule == "service:element"


@pytest.mark.parametrize("soap_ns", [SOAP11_NS, SOAP12_NS])
def test_invalid_response_body_yields_a_provider_fault_envelope(inspector, request_, soap_ns):
    raw = reply(request_, inquiry_response_body("maybe"))
    fault = refused(inspector.inspect_response, raw, request_)
    assert fault.fault is faults.PROVIDER_INVALID

    out = etree.fromstring(fault_envelope(fault, soap_ns))
    assert out.tag == f"{{{soap_ns}}}Envelope"
    soap_fault = out.find(f"{{{soap_ns}}}Body/{{{soap_ns}}}Fault")
    if soap_ns == SOAP11_NS:
        assert soap_fault.findtext("faultcode") == "soap:Server"
        reason = soap_fault.findtext("faultstring")
        detail = soap_fault.find(f"detail/{{{FAULT_NS}}}FaultDetail")
    else:
        assert soap_fault.findtext(f"{{{soap_ns}}}Code/{{{soap_ns}}}Value") == "soap:Receiver"
        reason = soap_fault.findtext(f"{{{soap_ns}}}Reason/{{{soap_ns}}}Text")
        detail = soap_fault.find(f"{{{soap_ns}}}Detail/{{{FAULT_NS}}}FaultDetail")
    assert reason.startswith("PF-PROVIDER-INVALID-RESPONSE: ")

    def q(name):
        return f"{{{FAULT_NS}}}{name}"

    assert detail.findtext(q("Code")) == "PF-PROVIDER-INVALID-RESPONSE"
    assert detail.findtext(q("Party")) == "provider"
    assert detail.findtext(q("MessageId")) == request_.header.message_id
    finding = detail.find(q("Finding"))
    assert finding.findtext(q("Rule")) == "xsd:enumeration"
    assert finding.findtext(q("Path")) == ("/soap:Envelope/soap:Body/juki:ResidentInquiryResponse/"
                                           "juki:Status")
    assert finding.findtext(q("Line")) == str(line_of(raw, "<juki:Status>"))
    assert "maybe" in finding.findtext(q("Message"))
    # the detail is valid against the platform's own fault schema
    assert builtin_catalog().xsd.validate(detail), builtin_catalog().xsd.error_log


def test_client_fault_envelope_names_the_sender():
    fault = HubFault(faults.SCHEMA_INVALID)
    out = etree.fromstring(fault_envelope(fault, SOAP11_NS))
    assert out.findtext(f"{{{SOAP11_NS}}}Body/{{{SOAP11_NS}}}Fault/faultcode") == "soap:Client"
    detail = out.find(f".//{{{FAULT_NS}}}FaultDetail")
    assert detail.findtext(f"{{{FAULT_NS}}}Party") == "client"
    assert detail.find(f"{{{FAULT_NS}}}Finding") is None


# --- where a refused header is: paths computed only for a refusal (issue 13) ---------------------

@pytest.mark.parametrize("changes, rule, path", [
    ({"sent_at": "2020-01-01T09:00:00+09:00"}, "freshness:max_age", f"{HEADER_PATH}/pfh:SentAt"),
    ({"sent_at": "2099-01-01T09:00:00+09:00"}, "freshness:clock_skew",
     f"{HEADER_PATH}/pfh:SentAt"),
    ({"relates_to": str(uuid.uuid4())}, "header:relates_to", HEADER_PATH),
])
def test_a_refused_header_names_where(inspector, changes, rule, path):
    raw = envelope(inquiry_body(), replace(request_header(), **changes))
    fault = refused(inspector.inspect_request, raw)
    assert (fault.first.rule, fault.first.path) == (rule, path)
    assert fault.first.line == line_of(raw, "<pfh:SentAt" if "SentAt" in path
                                       else "<pfh:PlatformHeader")


def test_a_content_type_read_once_still_judges_each_envelope():
    """The Content-Type's reading is kept per header value (issue 13); what it says about an
    envelope is decided per envelope: the same value passes a SOAP 1.2 envelope (naming its
    action) and refuses a SOAP 1.1 one, again and again."""
    from bus.core.envelope import parse_envelope
    from bus.core.inspection import check_media_type

    ct = 'application/soap+xml; charset=utf-8; action="urn:pfbus:service:juki.ResidentInquiry"'
    v12 = parse_envelope(envelope(inquiry_body(), request_header(), SOAP12_NS))
    v11 = parse_envelope(envelope(inquiry_body(), request_header(), SOAP11_NS))
    for _ in range(2):
        assert check_media_type(v12, ct, None) == "urn:pfbus:service:juki.ResidentInquiry"
        assert check_media_type(v12, "application/soap+xml", "x") is None
        assert refused(check_media_type, v11, ct, None).fault is faults.VERSION_MISMATCH
        assert check_media_type(v11, "text/xml; action=y", '"z"') == "z"


@pytest.mark.parametrize("content_type,media,action", [
    ('application/soap+xml;action="urn:a;b=c"', "application/soap+xml", "urn:a;b=c"),
    ('APPLICATION/SOAP+XML ; Charset="utf-8" ;;\tACTION=urn:x;', "application/soap+xml", "urn:x"),
    ('application/soap+xml; x="a;action=no"; action="q\\"d"', "application/soap+xml", 'q"d'),
    ("application/soap+xml; charset=utf-8", "application/soap+xml", None),
    ("text/xml;action", "text/xml", None),  # no "=": not a parameter the grammar reads
    ("text/plain; action=x", "text/plain", "x"),
])
def test_the_content_type_is_read_as_rfc_9110_writes_it(content_type, media, action):
    """Type, subtype and parameter names in any case, OWS around ";", empty parameters, and a
    quoted-string is one value whatever ";", "=" or quoted-pair it holds (RFC 9110 §5.6.4,
    §5.6.6, §8.3.1; README, Encodings and the Content-Type)."""
    from bus.core.inspection import _media_type

    assert _media_type(content_type)[0] == media
    assert _media_type(content_type)[2] == action


@pytest.mark.parametrize("soap_ns, media", [(SOAP11_NS, "application/soap+xml"),
                                            (SOAP12_NS, "text/xml")])
def test_an_envelope_of_the_other_version_is_a_version_mismatch(inspector, soap_ns, media):
    """SOAP 1.1 4.1.2 (a SOAP 1.1 receiver given another envelope) and SOAP 1.2 Part 1 Appendix
    A.1 (a SOAP 1.2 node that does not process a SOAP/1.1 message as such): VersionMismatch,
    answered as a SOAP 1.1 fault (bus.core.envelope.version_mismatch_ns)."""
    from bus.core.envelope import version_mismatch_ns

    fault = refused(inspector.inspect_request, envelope(inquiry_body(), request_header(),
                                                        soap_ns), content_type=media)
    assert fault.fault is faults.VERSION_MISMATCH and fault.first.rule == "soap:version"
    assert (fault.first.path, fault.first.line) == ("/soap:Envelope", 2)
    assert version_mismatch_ns(fault, media + "; charset=utf-8") == SOAP11_NS


@pytest.mark.parametrize("media, answered", [("text/xml", SOAP11_NS), (None, SOAP11_NS),
                                             ("Application/SOAP+xml", SOAP12_NS)])
def test_a_root_of_no_soap_version_is_answered_in_the_media_types_version(inspector, media,
                                                                          answered):
    """docs/faults.md: SOAP 1.2 with its Upgrade block for
    application/soap+xml, SOAP 1.1 for text/xml or a request naming no SOAP version."""
    from bus.core.envelope import version_mismatch_ns

    raw = envelope(inquiry_body(), request_header()).replace(
        SOAP11_NS.encode(), b"http://www.w3.org/2001/12/soap-envelope")
    fault = refused(inspector.inspect_request, raw, content_type=media)
    assert fault.fault is faults.VERSION_MISMATCH and fault.first.rule == "soap:envelope"
    assert version_mismatch_ns(fault, media) == answered
    written = etree.fromstring(fault_envelope(fault, answered))
    code = (written.findtext(f".//{{{answered}}}Fault/faultcode") if answered == SOAP11_NS else
            written.findtext(f".//{{{answered}}}Code/{{{answered}}}Value"))
    assert code == "soap:VersionMismatch"
    offered = [el.get("qname") for el in written.iter(f"{{{SOAP12_NS}}}SupportedEnvelope")]
    assert len(offered) == 2  # SOAP 1.2 Part 1 5.4.7: the envelopes this node reads
