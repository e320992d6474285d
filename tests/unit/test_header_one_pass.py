"""A platform header is read in one pass (issue 13): its nodes' ``(tag, text)`` serve both its
rules (``MessageValidator.validate(..., descendants=)``) and its model
(``PlatformHeader.from_descendants``). Both must say exactly what the tree says: the same header
as ``from_element``, the same findings as the rules' own read of the tree; a layout that is not
the schema's is not guessed at (None: ``from_element`` reads it)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from lxml import etree

from bus.core.envelope import parse_envelope
from bus.core.header import Party, PlatformHeader, descendant_items
from bus.core.identifiers import Modulus11Scheme
from bus.core.inspection import Inspector
from bus.core.routing import Provider, Route, ServiceRegistry
from bus.core.validator import MessageValidator
from messages import (CHIYODA, JUKI_SYSTEM, TAX_SYSTEM, builtin_catalog, envelope, inquiry_body,
                      request_header)

REQUEST = request_header()
REPLY = REQUEST.reply(b"<request/>")


@pytest.mark.parametrize("header", [
    REQUEST, REPLY, replace(REQUEST, relates_to=REPLY.message_id),
    replace(REPLY, relates_to=None), replace(REQUEST, user_id="", linkage_kind="full")])
def test_the_model_from_one_pass_is_from_elements(header):
    el = header.to_element()
    read = PlatformHeader.from_descendants(descendant_items(el))
    assert read == PlatformHeader.from_element(el) == header
    assert type(read) is PlatformHeader and type(read.sender) is Party
    assert vars(read) == vars(header) and vars(read.receiver) == vars(header.receiver)


def _edited(text: str, old: str, new: str) -> etree._Element:
    assert old in text
    return etree.fromstring(text.replace(old, new, 1).encode())


@pytest.mark.parametrize("old, new", [
    ("<pfh:Sender>", "<!-- who --><pfh:Sender>"),  # a comment between the fields
    ("<pfh:SentAt>", "<pfh:Extra/><pfh:SentAt>"),  # not the schema's
    ("<pfh:Version>1</pfh:Version>", ""),  # a field missing
    ("</pfh:SystemId>", "<pfh:Nested/></pfh:SystemId>"),  # an element below a field
])
def test_another_layout_is_left_to_from_element(old, new):
    text = etree.tostring(REPLY.to_element()).decode()
    assert PlatformHeader.from_descendants(descendant_items(_edited(text, old, new))) is None


def test_a_comment_between_the_fields_still_reads_through_from_element():
    text = etree.tostring(REPLY.to_element()).decode()
    el = _edited(text, "<pfh:Sender>", "<!-- who --><pfh:Sender>")
    assert PlatformHeader.from_element(el) == REPLY


@pytest.mark.parametrize("sender, receiver", [
    (TAX_SYSTEM, JUKI_SYSTEM),
    (Party("131017", "07", "x"), JUKI_SYSTEM),  # 団体コード check digit wrong
    (TAX_SYSTEM, Party(CHIYODA, "99", "y")),  # not a 業務ユニット
    (Party(" 131016\n", "07", "x"), Party("131017", "98", "y")),  # padded; two wrong
])
def test_the_rules_through_the_pass_find_what_they_find_in_the_tree(sender, receiver):
    validator = MessageValidator(builtin_catalog())
    header = parse_envelope(envelope(inquiry_body(), replace(
        REQUEST, sender=sender, receiver=receiver))).header
    assert header is not None

    def found(**kw) -> list:
        return [(f.rule, f.message, f.path, f.line) for f in validator.validate(header, **kw)]

    assert found(descendants=descendant_items(header)) == found()
    assert bool(found()) == ((sender, receiver) != (TAX_SYSTEM, JUKI_SYSTEM))


def test_the_inspector_reads_a_request_header_in_one_pass(monkeypatch):
    catalog = builtin_catalog()
    inspector = Inspector(catalog, MessageValidator(catalog, {CHIYODA: Modulus11Scheme(length=10)}),
                          ServiceRegistry([Route(CHIYODA, "juki.ResidentInquiry",
                                                 Provider("p", "http://127.0.0.1:9/", 5.0), 5.0)]))
    raw = envelope(inquiry_body(), REQUEST)

    def second_read(el):
        raise AssertionError("the header was read a second time")

    monkeypatch.setattr(PlatformHeader, "from_element", second_read)
    assert inspector.inspect_request(raw).header == REQUEST


def test_parties_are_made_once_and_read_as_their_texts_say(monkeypatch):
    """from_descendants shares each party it has made (issue 13): the same texts give the same
    object, other texts another, and after its memory starts over each is still what the
    texts say."""
    from bus.core import header as module

    monkeypatch.setattr(module, "MAX_PARTIES", 3)
    monkeypatch.setattr(module, "_parties", {})
    first = PlatformHeader.from_descendants(descendant_items(REQUEST.to_element()))
    again = PlatformHeader.from_descendants(descendant_items(REQUEST.to_element()))
    assert first is not None and again is not None
    assert again.sender is first.sender and again.receiver is first.receiver
    for n in range(8):
        other = Party(f"13{n:04d}", f"{n:02d}", f"system-{n}")
        read = PlatformHeader.from_descendants(descendant_items(
            replace(REQUEST, sender=other).to_element()))
        assert read is not None and read.sender == other and read.receiver == REQUEST.receiver
        assert len(module._parties) <= 3
