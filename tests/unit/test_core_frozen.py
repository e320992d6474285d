"""Frozen dataclasses the exchange builds without their ``__init__`` (bus.core.frozen.built):
each object an inspection returns has every field and equals the one its constructor makes."""

from __future__ import annotations

import dataclasses

import pytest

from bus.core.envelope import Envelope, parse_envelope
from bus.core.frozen import built
from bus.core.header import Party
from bus.core.identifiers import Modulus11Scheme
from bus.core.inspection import (AcceptedRequest, AcceptedResponse, Inspector,
                                 RequestBinding)
from bus.core.routing import Provider, Route, ServiceRegistry
from bus.core.validator import MessageValidator
from messages import (CHIYODA, SOAP11_NS, SOAP12_NS, builtin_catalog, envelope, inquiry_body,
                      inquiry_response_body, request_header)


def constructed(obj: object) -> object:
    """``obj`` made again by its class's own constructor from its fields (each must be set)."""
    assert dataclasses.is_dataclass(obj) and not isinstance(obj, type)
    return type(obj)(**{f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})


def test_built_is_the_constructor():
    party = built(Party, local_gov_code=CHIYODA, business_unit="01", system_id="s")
    assert party == Party(CHIYODA, "01", "s") and hash(party) == hash(Party(CHIYODA, "01", "s"))
    assert repr(party) == repr(Party(CHIYODA, "01", "s"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        party.system_id = "t"  # type: ignore[misc]


@pytest.mark.parametrize("soap_ns", [SOAP11_NS, SOAP12_NS])
def test_what_an_exchange_builds_has_every_field(soap_ns):
    catalog = builtin_catalog()
    provider = Provider("p", "http://127.0.0.1:9/soap", 10.0)
    inspector = Inspector(catalog, MessageValidator(
        catalog, {CHIYODA: Modulus11Scheme(length=10)}),
        ServiceRegistry([Route(CHIYODA, "juki.ResidentInquiry", provider, 3.0)]))
    raw = envelope(inquiry_body(), request_header(), soap_ns)
    request = inspector.inspect_request(raw)
    binding = RequestBinding.of(request)
    answer = envelope(inquiry_response_body(), request.header.reply(raw), soap_ns)
    response = inspector.inspect_response(answer, request)
    for obj, cls in ((request, AcceptedRequest), (binding, RequestBinding),
                     (response, AcceptedResponse), (request.envelope, Envelope),
                     (response.envelope, Envelope)):
        assert type(obj) is cls
        assert constructed(obj) == obj
    again = parse_envelope(raw)
    assert (request.envelope.raw, request.envelope.soap_ns) == (again.raw, again.soap_ns)
    assert request.envelope.soap_header == request.envelope.root[0]
