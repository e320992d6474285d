"""PlatformHeader.from_element reads every field of a header element, in one pass over its
children (issue 13): the same header back from to_element, with and without the optional
fields, whatever comments or whitespace sit between the elements."""

from __future__ import annotations

from lxml import etree

from bus.core.header import Party, PlatformHeader


def header(**kw) -> PlatformHeader:
    return PlatformHeader.new(sender=Party("131016", "07", "vendor-b-tax"),
                              receiver=Party("011002", "01", "vendor-a-juki"),
                              service_id="juki.ResidentInquiry", user_id="clerk-1", **kw)


def test_a_request_header_reads_back_whole():
    h = header()
    assert h.relates_to is None and h.request_hash is None
    assert PlatformHeader.from_element(h.to_element()) == h


def test_a_reply_header_reads_back_with_relates_to_and_request_hash():
    h = header().reply(b"<request/>")
    assert h.relates_to and h.request_hash
    assert PlatformHeader.from_element(h.to_element()) == h


def test_comments_whitespace_and_empty_text_between_fields():
    h = header().reply(b"<request/>")
    text = etree.tostring(h.to_element(), pretty_print=True).decode()
    text = text.replace("<pfh:Sender>", "<!-- who --><pfh:Sender><!-- code -->", 1)
    el = etree.fromstring(text.replace("<pfh:UserId>clerk-1</pfh:UserId>",
                                       "<pfh:UserId/>", 1).encode())
    read = PlatformHeader.from_element(el)
    assert read.sender == h.sender and read.user_id == "" and read.relates_to == h.relates_to
