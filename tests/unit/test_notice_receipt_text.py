"""The hub's notice receipt (受領通知) and the reply header in it, written as text (issue 13):
byte for byte what the lxml tree serialises to, for every header shape (RelatesTo and RequestHash
present or not, SOAP 1.1 and 1.2) and for values with characters XML must escape; a value XML
cannot carry is refused as the tree refuses it. Message IDs of replies and hop records are
version-4 UUIDs."""

from __future__ import annotations

import uuid
from dataclasses import FrozenInstanceError, replace
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from bus.core.faults import SOAP11_NS, SOAP12_NS
from bus.core.header import Party, PlatformHeader, header_xml, new_message_id, request_digest
from bus.core.receipt import (
    ACCEPTED,
    DUPLICATE,
    receipt_envelope,
    receipt_envelope_tree,
    receipt_fields,
)
from bus.store.hop_record import Hop, HopRecord, Status

NOTICE = PlatformHeader.new(sender=Party("131016", "01", "vendor-a-juki"),
                            receiver=Party("131016", "01", "hub"),
                            service_id="juki.ResidentChangeNotice", user_id="juki-batch")


def _request(header: PlatformHeader, soap_ns: str, subscribers: int) -> SimpleNamespace:
    raw = f'<soap:Envelope xmlns:soap="{soap_ns}"/>'.encode()
    return SimpleNamespace(envelope=SimpleNamespace(soap_ns=soap_ns, raw=raw), header=header,
                           subscribers=tuple(range(subscribers)))


def _tree_bytes(request, status, made: bytes) -> bytes:
    """What the lxml tree gives for the reply header the text version made (its MessageId and
    SentAt are fresh each time, so they are read back from ``made``)."""
    written = PlatformHeader.from_element(etree.fromstring(made).find(
        ".//{urn:pfbus:platform:header:v1}PlatformHeader"))
    return receipt_envelope_tree(request.envelope.soap_ns, written, request.header.message_id,
                                 status, len(request.subscribers))


@pytest.mark.parametrize("soap_ns", [SOAP11_NS, SOAP12_NS])
@pytest.mark.parametrize("status", [ACCEPTED, DUPLICATE])
def test_the_receipt_is_the_trees_bytes(soap_ns, status):
    request = _request(NOTICE, soap_ns, 2)
    made = receipt_envelope(request, status)
    assert made == _tree_bytes(request, status, made)
    assert made.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<soap:Envelope")
    root = etree.fromstring(made)
    assert receipt_fields(root.find(f"{{{soap_ns}}}Body")[0]) == (NOTICE.message_id, status)


# Text an XML Schema token or SentAt may hold: what libxml2 escapes, non-ASCII, spaces.
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
                | st.sampled_from("&<>\r\n\t\"'"), max_size=12)


@given(version=_TEXT, standard=_TEXT, sent_at=_TEXT, user=_TEXT, relates=st.none() | _TEXT,
       digest=st.none() | _TEXT)
def test_header_text_is_to_elements_serialisation(version, standard, sent_at, user, relates,
                                                  digest):
    header = replace(NOTICE, service_version=version, standard_version=standard,
                     sent_at=sent_at, user_id=user, relates_to=relates, request_hash=digest)
    try:
        expected = etree.tostring(header.to_element(), encoding="UTF-8").decode()
    except ValueError:  # lxml refuses the value: so does the text version
        assert header_xml(header) is None
        return
    assert header_xml(header) == expected


@pytest.mark.parametrize("bad", ["\x00", "\x0b", "\ufffe", "a\x1fb"])
def test_a_value_xml_cannot_carry_is_refused_as_before(bad):
    header = replace(NOTICE, user_id=f"user{bad}")
    assert header_xml(header) is None
    with pytest.raises(ValueError):
        receipt_envelope(_request(header, SOAP11_NS, 1), ACCEPTED)


def test_escaped_values_round_trip_through_the_receipt():
    header = replace(NOTICE, service_version="1 & <2>", standard_version="1.0\r>")
    request = _request(header, SOAP11_NS, 3)
    made = receipt_envelope(request, ACCEPTED)
    assert made == _tree_bytes(request, ACCEPTED, made)
    read = PlatformHeader.from_element(etree.fromstring(made).find(
        ".//{urn:pfbus:platform:header:v1}PlatformHeader"))
    assert (read.service_version, read.standard_version) == (header.service_version,
                                                             header.standard_version)
    assert read.relates_to == header.message_id and read.request_hash


def test_message_and_exchange_ids_are_uuid4():
    made = {new_message_id() for _ in range(200)}
    made |= {HopRecord(hop=Hop.RECEIVED, status=Status.OK).exchange_id for _ in range(200)}
    assert len(made) == 400
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


@pytest.mark.parametrize("sender", [None, Party("131016", "07", "tax")])
def test_a_reply_header_is_the_requests_with_the_reply_fields_replaced(sender):
    made = NOTICE.reply(b"the request's bytes", sender=sender)
    expected = replace(NOTICE, message_id=made.message_id, sender=sender or NOTICE.receiver,
                       receiver=NOTICE.sender, sent_at=made.sent_at,
                       relates_to=NOTICE.message_id,
                       request_hash=request_digest(b"the request's bytes"))
    assert made == expected and hash(made) == hash(expected) and type(made) is PlatformHeader
    assert made.message_id != NOTICE.message_id and made.sent_at.endswith("+09:00")
    with pytest.raises(FrozenInstanceError):
        made.user_id = "someone"  # type: ignore[misc]


@pytest.mark.parametrize("children", [
    "<r:MessageId>m-1</r:MessageId><r:Status>applied</r:Status>",
    "<r:Status>duplicate</r:Status><r:MessageId>m-2</r:MessageId>",  # out of order
    "<r:MessageId/><r:Status></r:Status>",  # empty: "" as findtext gives
    "<!-- c --><r:MessageId>a</r:MessageId><r:MessageId>b</r:MessageId><?pi x?>",  # first wins
    "<r:Status>applied<x:Other xmlns:x='urn:other'>t</x:Other></r:Status>",  # no MessageId
    "<r:Other>x</r:Other>",
    "",
])
def test_receipt_fields_read_what_findtext_reads(children):
    element = etree.fromstring(
        f'<r:NoticeReceipt xmlns:r="urn:pfbus:platform:receipt:v1">{children}</r:NoticeReceipt>')
    ns = "{urn:pfbus:platform:receipt:v1}"
    assert receipt_fields(element) == (element.findtext(f"{ns}MessageId"),
                                       element.findtext(f"{ns}Status"))
    assert receipt_fields(etree.fromstring("<other/>")) == (None, None)
