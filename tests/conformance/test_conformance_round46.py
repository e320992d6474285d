"""Round 46: the forty-sixth blind batch's classes — a rule-breaking request written without
prefixes, a Path step ``*`` (P-FAULT-14/15, INV-FAULT-13), header fields a client or a proxy adds
(Accept, Accept-Charset, octets above 0x7F, empty, padded and repeated fields: P-WIRE-01), and
the rows of the MJ table a map keyed by one column loses (S-CJK-01)."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from conformance import cjk_blocks, fault_place, namespace_forms, wire_forms
from conformance.records import Exchange

from .faulty import assert_fails_exactly_its_targets, faulty_runs
from .faulty_round46 import ROUND46_NAMES, _keyed_by_number, path_from_node_path
from .proxy import Call, Reply

_NOTICE = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
           b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>'
           b'<pfh:H xmlns:pfh="urn:h" soap:mustUnderstand="1"><pfh:Id>a &amp; b</pfh:Id></pfh:H>'
           b'</soap:Header><soap:Body><j:N xmlns:j="urn:j" xmlns:c="urn:c">'
           b'<j:Change><j:Event><c:Reason>Z9</c:Reason></j:Event></j:Change>'
           b'<j:Change><j:Event><c:Reason>A01</c:Reason></j:Event></j:Change>'
           b'</j:N></soap:Body></soap:Envelope>')


def test_the_unprefixed_form_writes_no_prefix_and_means_the_same_message():
    out = namespace_forms.tamper(_NOTICE, "unprefixed")
    tags = re.findall(rb"</?([^\s>/!?]+)", out)
    assert tags and not [t for t in tags if b":" in t], tags
    # the default namespace declared only where it changes: Envelope, header block, payload,
    # and each common-namespace element
    assert out.count(b'xmlns="') == 1 + 1 + 1 + 2
    assert b'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" soap:mustUnderstand="1"' \
        in out  # a namespaced attribute keeps a prefix, declared where it stands
    assert out.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Envelope ')


def test_a_path_step_star_names_no_element():
    root = etree.fromstring(namespace_forms.tamper(_NOTICE, "unprefixed"))
    good = "/soap:Envelope/soap:Body/j:N/j:Change[2]/j:Event/c:Reason"
    assert fault_place.unplaced(good, root) is None
    assert fault_place.unplaced(good.replace("soap:", "").replace("j:", "").replace("c:", ""),
                                root) is None  # unprefixed, as the message writes them
    node_path = root.getroottree().getpath(fault_place.named_elements(good, root)[0])
    assert "*" in node_path  # lxml's (libxml2's) node path of an element in a default namespace
    assert "writes *" in fault_place.unplaced(node_path, root)


def test_the_node_path_writer_keeps_prefixed_paths_and_stars_unprefixed_ones():
    body = (b"<pff:Finding><pff:Rule>r</pff:Rule><pff:Path>/soap:Envelope/soap:Body/j:N/"
            b"j:Change[1]/j:Event/c:Reason</pff:Path></pff:Finding>")
    prefixed = path_from_node_path(Call(_NOTICE, {}, reply=Reply(500, body))).body
    assert prefixed == body
    unprefixed = namespace_forms.tamper(_NOTICE, "unprefixed")
    written = path_from_node_path(Call(unprefixed, {}, reply=Reply(500, body))).body
    assert b"<pff:Path>/*/*[2]/*/*[1]/*/*</pff:Path>" in written


@pytest.mark.parametrize("soap,own,other", [("1.1", b"text/xml", b"application/soap+xml"),
                                            ("1.2", b"application/soap+xml", b"text/xml")])
def test_the_header_field_forms_are_written_as_octets(soap, own, other):
    ex = Exchange(step="s", direction="to-product", method="POST", url="http://h/soap",
                  request=b"<x/>", soap_version=soap)
    forms = {f.name: f for f in wire_forms.ACCEPTED}
    head = wire_forms.request_bytes(ex, forms["accept-other-soap-version-first"])
    assert b"\r\nAccept: " + other + b", " + own + b";q=0.5, */*;q=0.1\r\n" in head
    assert "総務課".encode() in wire_forms.request_bytes(ex, forms["field-value-in-utf-8"])
    latin = wire_forms.request_bytes(ex, forms["field-value-in-latin-1"])
    assert b"caf\xe9)" in latin and b"\r\nContent-Length: 4\r\n" in latin
    empty = wire_forms.request_bytes(ex, forms["empty-padded-and-repeated-fields"])
    assert b"\r\nX-Empty:\r\n" in empty and empty.count(b"\r\nCache-Control: ") == 2


def test_the_rows_a_map_keyed_by_one_column_loses_are_sent():
    shared, selectors = cjk_blocks.rows_sharing_a_key()
    assert {"\u535a\U000e010a", "\u535a\U000e010b"} <= set(shared)  # MJ059399, MJ059400
    assert len(selectors) == 16 and {s[0] for s in selectors} == {"邉"}
    lost = set(shared) - _keyed_by_number()
    assert lost, "a map keyed by MJ number keeps every sequence: the point tests nothing"
    names = {c.name for p in cjk_blocks.cjk_points() for s in p.steps for c in s.changes}
    assert any(all(ch in name for ch in shared) for name in names)
    assert "".join(selectors) in names


@pytest.mark.integration
@pytest.mark.parametrize("faulty,profile", faulty_runs(ROUND46_NAMES))
def test_faulty_adapter_fails_exactly_its_round46_targets(refs, suite, faulty, profile):
    assert_fails_exactly_its_targets(refs, suite, faulty, profile)
