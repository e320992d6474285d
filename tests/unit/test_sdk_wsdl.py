"""The catalog's service WSDLs: each loads in zeep from disk and builds a message with a header."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import zeep
from lxml import etree
from zeep.wsdl.bindings.soap import Soap11Binding, Soap12Binding

from adapters.sdk.testing import sample_request
from bus.core.catalog import Catalog
from bus.core.header import HEADER_TAG, Party, PlatformHeader
from bus.core.validator import MessageValidator
from schemas import BUILTIN_CATALOG

CATALOG = Catalog.load([BUILTIN_CATALOG])
SERVICES = CATALOG.services
VALIDATOR = MessageValidator(CATALOG)
XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
ENVELOPES = {Soap11Binding: "http://schemas.xmlsoap.org/soap/envelope/",
             Soap12Binding: "http://www.w3.org/2003/05/soap-envelope"}


@pytest.fixture(scope="module")
def clients():
    return {sid: zeep.Client(info.wsdl.as_uri()) for sid, info in SERVICES.items()}


def test_each_service_names_its_wsdl_file_inside_the_catalog_folder():
    root = Path(BUILTIN_CATALOG).parent.resolve()
    entries = tomllib.loads(Path(BUILTIN_CATALOG).read_text("utf-8"))["services"]
    assert {sid: info.wsdl.relative_to(root).as_posix() for sid, info in SERVICES.items()} == {
        e["id"]: e["wsdl"] for e in entries}
    assert all(info.wsdl.is_file() for info in SERVICES.values())


@pytest.mark.parametrize("sid", sorted(SERVICES))
def test_schema_locations_are_relative_and_exist(sid):
    wsdl = SERVICES[sid].wsdl
    imports = etree.parse(str(wsdl)).findall(f"{{{WSDL}}}types/{{{XS}}}schema/{{{XS}}}import")
    assert {i.get("namespace") for i in imports} >= {"urn:pfbus:platform:header:v1",
                                                      "urn:pfbus:platform:fault:v1"}
    for imp in imports:
        location = imp.get("schemaLocation")
        assert "://" not in location and not location.startswith("/")
        assert (wsdl.parent / location).is_file(), location


@pytest.mark.parametrize("sid", sorted(SERVICES))
def test_wsdl_describes_the_service(clients, sid):
    info = SERVICES[sid]
    client = clients[sid]
    (service,) = client.wsdl.services.values()
    kinds = {type(p.binding): p for p in service.ports.values()}
    assert set(kinds) == {Soap11Binding, Soap12Binding}  # one port per SOAP version
    for port in kinds.values():
        assert port.binding_options["address"] == f"http://localhost/services/{sid}"
        (name,) = port.binding._operations
        assert name == info.operation
        op = port.binding.get(name)
        assert op.soapaction == f"urn:pfbus:service:{sid}"
        assert op.input.body.qname.text == info.request_tag
        assert op.output.body.qname.text == info.response_tag
        for message in (op.input, op.output):  # soap:header on both directions
            (header_el,) = [el for _, el in message.header.type.elements]
            assert header_el.qname.text == HEADER_TAG
        (fault,) = op.faults.values()  # zeep leaves fault bodies unbound: read the message
        (part,) = fault.abstract.parts.values()
        assert part.element.qname.text == "{urn:pfbus:platform:fault:v1}FaultDetail"


@pytest.mark.parametrize("sid", sorted(SERVICES))
@pytest.mark.parametrize("binding", [Soap11Binding, Soap12Binding])
def test_zeep_builds_a_message_with_the_platform_header(clients, sid, binding):
    info = SERVICES[sid]
    client = clients[sid]
    (service,) = client.wsdl.services.values()
    (port,) = [p for p in service.ports.values() if isinstance(p.binding, binding)]
    header = PlatformHeader.new(sender=Party("131016", "07", "TAX-B"),
                                receiver=Party("131016", "01", "JUKI-A"), service_id=sid,
                                user_id="clerk01")
    op = port.binding.get(info.operation)
    value = op.input.body.parse(sample_request(sid), client.wsdl.types)
    proxy = client.bind(service.name, port.name)
    envelope = client.create_message(proxy, info.operation, _soapheaders=[header.to_element()],
                                     **dict(value.__values__))
    soap = ENVELOPES[binding]
    assert envelope.tag == f"{{{soap}}}Envelope"
    (sent_header,) = envelope.find(f"{{{soap}}}Header")
    assert PlatformHeader.from_element(sent_header) == header
    body = envelope.find(f"{{{soap}}}Body")[0]
    assert body.tag == info.request_tag
    assert VALIDATOR.validate(body) == []


def test_sample_requests_are_valid():
    for sid in SERVICES:
        assert VALIDATOR.validate(sample_request(sid)) == [], sid
