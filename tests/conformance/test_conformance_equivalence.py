"""The equivalent encodings themselves (conformance/equivalence.py): each variant is the same
message, and is sent only over the SOAP versions that allow its form."""

from __future__ import annotations

import pytest
from lxml import etree

from bus.core.header import Party, PlatformHeader
from conformance import equivalence
from conformance.envelopes import envelope, http_headers

_NOTICE = ('<juki:ResidentChangeNotice xmlns:juki="urn:pfbus:unit:juki:v1" '
           'xmlns:cmn="urn:pfbus:platform:common:v1"><juki:Change><juki:Sequence>7'
           '</juki:Sequence><juki:Resident><cmn:AddresseeNumber>0000050024</cmn:AddresseeNumber>'
           '<cmn:Name><cmn:Text>葛\U000E0102西 か\u309aこ</cmn:Text></cmn:Name><cmn:Town>R&amp;D'
           '</cmn:Town></juki:Resident></juki:Change></juki:ResidentChangeNotice>')
_PARTY = Party("131016", "07", "vendor-b-tax")


def _canonical(soap: str) -> tuple[bytes, dict[str, str]]:
    header = PlatformHeader.new(sender=_PARTY, receiver=_PARTY, user_id="suite",
                                service_id="juki.ResidentChangeNotice")
    return envelope(_NOTICE, soap, header), http_headers(soap, "urn:notice")


def _leaves(raw: bytes, parser: etree.XMLParser) -> list[tuple[str, str]]:
    root = etree.fromstring(raw, parser)
    return [(el.tag, el.text or "") for el in root.iter()
            if isinstance(el.tag, str) and not any(isinstance(c.tag, str) for c in el)]


_AS_XML = etree.XMLParser(remove_comments=True, remove_pis=True)  # the Infoset's values
_FIRST_TEXT_NODE = etree.XMLParser()  # comments and PIs kept: .text is the first text node


@pytest.mark.parametrize("name,soap", [("comment-in-value", "1.1"), ("comment-in-value", "1.2"),
                                       ("pi-in-value", "1.2")])
def test_a_value_split_by_a_comment_or_pi_is_the_same_value(name, soap):
    """Every leaf value of the header and the payload is split (a reader of the first text node
    misreads each one), and read as XML defines it every value is unchanged."""
    raw, headers = _canonical(soap)
    variant = next(v for v in equivalence.VARIANTS if v.name == name)
    sent, _ = equivalence.rewrite(raw, headers, soap, variant)
    canonical = _leaves(raw, _AS_XML)
    assert _leaves(sent, _AS_XML) == canonical
    misread = [a for a, b in zip(_leaves(sent, _FIRST_TEXT_NODE), canonical, strict=True)
               if a != b]
    assert len(misread) == len(canonical) > 10
    assert "葛\U000E0102<" not in sent.decode() and "か\u309a<" not in sent.decode()  # no lone mark


def test_no_variant_sent_over_soap_1_1_holds_a_processing_instruction():
    """SOAP 1.1 §3: a SOAP message MUST NOT contain processing instructions — a SOAP 1.1
    product may refuse one, so only SOAP 1.2 (Part 1 §5: the receiver ignores them) gets it."""
    raw, headers = _canonical("1.1")
    for variant in equivalence.VARIANTS:
        if variant.typed or "1.1" not in variant.soap:
            continue
        sent, _ = equivalence.rewrite(raw, headers, "1.1", variant)
        tree = etree.fromstring(sent).getroottree()  # in whatever encoding the variant wrote
        assert not tree.xpath("//processing-instruction()"), variant.name
        assert not list(tree.getroot().itersiblings(etree.PI, preceding=True)), variant.name
    assert {v.name for v in equivalence.VARIANTS if "1.1" not in v.soap} == \
        {"pi-in-payload", "pi-in-value",
         "connection-close",  # HTTP's, sent once: over SOAP 1.2 (expect-100-continue over 1.1)
         # round 20's forms of the body, one version each (encoding_forms.FORMS)
         "us-ascii-label-forms", "xml-declaration-forms", "utf-16-no-declaration",
         "utf-16-no-charset",
         # round 40c's forms a product may refuse, one version each (encoding_forms.REFUSABLE)
         "charset-shift-jis", "charset-utf-16le-without-bom", "charset-alias-utf8",
         "charset-twice"}


def _variant(name: str):
    return next(v for v in equivalence.VARIANTS if v.name == name)


def test_sent_at_followed_by_white_space_is_the_same_valid_instant():
    """Round 13: SentAt with white space after it — valid for header-v1.xsd as libxml2 reads it,
    the same instant once collapsed; nothing else of the message changes."""
    from bus.core.catalog import Catalog  # noqa: PLC0415 - the built-in catalog, once
    from schemas import BUILTIN_CATALOG
    raw, headers = _canonical("1.1")
    sent, same = equivalence.rewrite(raw, headers, "1.1", _variant("sent-at-white-space"))
    assert same == headers and sent != raw
    header = etree.fromstring(sent).find(".//{urn:pfbus:platform:header:v1}PlatformHeader")
    value = header.findtext("{urn:pfbus:platform:header:v1}SentAt")
    assert value != value.strip() and value.strip() in raw.decode()
    assert sent.replace(value.encode(), value.strip().encode()) == raw
    catalog = Catalog.load([BUILTIN_CATALOG])
    assert catalog.xsd.validate(header), catalog.xsd.error_log


@pytest.mark.parametrize("name,field,value", [("expect-100-continue", "Expect", "100-continue"),
                                              ("connection-close", "Connection", "close")])
def test_http_forms_add_one_field_and_keep_the_bytes(name, field, value):
    variant = _variant(name)
    raw, headers = _canonical(variant.soap[0])
    sent, changed = equivalence.rewrite(raw, headers, variant.soap[0], variant)
    assert sent == raw and changed == {**headers, field: value}
