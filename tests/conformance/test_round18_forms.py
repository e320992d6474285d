"""The pure parts of round 18's cases: an answer's bytes read strictly (answer_bytes.py,
INV-MSG-12), the names P-NAME-01 sends (expanded_names.py) and the date orders of S-DATE-01
(notice_points.date_order_points)."""

from __future__ import annotations

import codecs
import datetime as dt
import itertools

import pytest
from lxml import etree

from conformance import answer_bytes, expanded_names
from conformance.grid_notices import Send
from conformance.notice_points import NOTICE_DATES, date_order_points

DOC = '<?xml version="1.0" encoding="UTF-8"?>\n<a>𠮷田</a>'


def _utf16(declared: str) -> str:
    return DOC.replace("UTF-8", declared)


@pytest.mark.parametrize("raw,label", [
    (DOC.encode(), "utf-8"),
    (DOC.encode(), None),
    (codecs.BOM_UTF8 + DOC.encode(), "UTF-8"),
    (_utf16("UTF-16").encode("utf-16"), "utf-16"),
    (_utf16("UTF-16").encode("utf-16"), None),
    (codecs.BOM_UTF16_BE + _utf16("UTF-16").encode("utf-16-be"), '"UTF-16"'),
    (_utf16("UTF-16LE").encode("utf-16-le"), "utf-16le"),  # Appendix F.1: declared, no BOM
    (_utf16("UTF-16BE").encode("utf-16-be"), None),
], ids=range(8))
def test_answers_the_rules_allow_are_not_judged(raw, label):
    assert answer_bytes.problems(raw, label) == []


@pytest.mark.parametrize("raw,label,says", [
    # the eighteenth batch's answer: little-endian, no BOM, labelled utf-16
    (_utf16("UTF-16").encode("utf-16-le"), "utf-16", "without a byte order mark"),
    (_utf16("UTF-16").encode("utf-16-be"), None, "without a byte order mark"),
    (DOC.encode("utf-16-le"), None, "without a byte order mark"),
    (DOC.encode("utf-16"), "utf-16", "encoding='UTF-8'"),  # BOM right, declaration wrong
    (_utf16("UTF-16").encode(), None, "8-bit"),
    (_utf16("UTF-16").encode("utf-16"), "utf-16le", "RFC 2781 §3.3"),
    (_utf16("UTF-16LE").encode("utf-16-le"), "utf-16be", "the bytes are UTF-16LE"),
    (_utf16("UTF-16BE").encode("utf-16-le"), None, "encoding='UTF-16BE'"),
    (DOC.encode()[:-6] + b"\xe7\x94" + b"</a>", "utf-8", "is not UTF-8"),  # a cut sequence
    (_utf16("UTF-16").encode("utf-16")[:-1], "utf-16", "is not UTF-16"),  # an odd length
], ids=range(10))
def test_answers_a_forgiving_parser_reads_are_judged(raw, label, says):
    found = answer_bytes.problems(raw, label)
    assert any(says in p for p in found), found


def test_lxml_reads_what_the_invariant_refuses():
    """Why the invariant exists: the suite's own parser reads the batch's answer."""
    raw = _utf16("UTF-16").encode("utf-16-le")
    assert etree.fromstring(raw).text == "𠮷田"
    assert answer_bytes.problems(raw, "utf-16")


REQUEST = (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
           b'<h:PlatformHeader xmlns:h="urn:pfbus:platform:header:v1"><h:MessageId>m</h:MessageId>'
           b'<h:Sender><h:LocalGovCode>1</h:LocalGovCode></h:Sender></h:PlatformHeader>'
           b'</s:Header><s:Body><j:R xmlns:j="urn:pfbus:unit:juki:v1" '
           b'xmlns:c="urn:pfbus:platform:common:v1"><j:K>1</j:K><j:K>2</j:K><c:N><c:T>x</c:T>'
           b'</c:N></j:R></s:Body></s:Envelope>')


def _names(raw: bytes, local: str) -> list[str | None]:
    return [etree.QName(e).namespace for e in etree.fromstring(raw).iter()
            if isinstance(e.tag, str) and etree.QName(e).localname == local]


def test_the_other_namespaces_are_another_version_none_and_near_misses():
    assert expanded_names.other_namespaces("urn:pfbus:unit:juki:v1") == [
        ("another version", "urn:pfbus:unit:juki:v2"), ("no namespace", None),
        ("a near miss: '/' appended", "urn:pfbus:unit:juki:v1/"),
        ("a near miss: upper case", "URN:PFBUS:UNIT:JUKI:V1")]


def test_the_payload_forms_move_the_payloads_namespace_and_each_element_alone():
    root = etree.fromstring(REQUEST)
    forms = expanded_names.body_forms(expanded_names._payload(root))
    # 4 whole-payload forms, then K, N, N/T once each (the second K is the first's path)
    assert len(forms) == 7
    moved = etree.fromstring(expanded_names._edited(REQUEST, forms[0][1]))
    assert _names(etree.tostring(moved), "R") == ["urn:pfbus:unit:juki:v2"]
    assert _names(etree.tostring(moved), "K") == ["urn:pfbus:unit:juki:v2"] * 2
    assert _names(etree.tostring(moved), "T") == ["urn:pfbus:platform:common:v1"]  # not its own
    unqualified = expanded_names._edited(REQUEST, forms[1][1])
    assert _names(unqualified, "R") == [None] and _names(unqualified, "K") == [None, None]
    alone = expanded_names._edited(REQUEST, forms[4][1])  # K alone, unqualified first
    assert _names(alone, "K") == [None, "urn:pfbus:unit:juki:v1"]
    assert _names(alone, "R") == ["urn:pfbus:unit:juki:v1"]
    assert etree.fromstring(alone).findtext(".//K") == "1"
    near = expanded_names._edited(REQUEST, forms[6][1])  # N/T alone, upper-cased
    assert _names(near, "T") == ["URN:PFBUS:PLATFORM:COMMON:V1"]


def test_the_header_forms_move_the_block_or_one_element_each_with_its_code():
    root = etree.fromstring(REQUEST)
    forms = expanded_names.header_forms(expanded_names._header(root))
    codes = [code for _, _, code in forms]
    # the block in three namespaces (never none: SOAP wants header blocks qualified), then
    # MessageId, Sender, Sender/LocalGovCode alone
    assert codes == [expanded_names.HEADER_MISSING] * 3 + ["PF-HEADER-INVALID"] * 3
    block = expanded_names._edited(REQUEST, forms[0][1])
    assert _names(block, "PlatformHeader") == ["urn:pfbus:platform:header:v2"]
    assert _names(block, "MessageId") == ["urn:pfbus:platform:header:v2"]
    field = expanded_names._edited(REQUEST, forms[3][1])  # MessageId alone, unqualified
    assert _names(field, "MessageId") == [None]
    field = expanded_names._edited(REQUEST, forms[4][1])  # Sender alone, '/' appended
    assert _names(field, "Sender") == ["urn:pfbus:platform:header:v1/"]
    assert _names(field, "LocalGovCode") == ["urn:pfbus:platform:header:v1"]


def test_every_pair_of_dates_is_sent_in_the_other_order():
    groups = {"A01": "記載", "C12": "修正", "B01": "消除"}
    points = date_order_points(groups, groups)
    assert len(points) == len(list(itertools.combinations(NOTICE_DATES, 2))) == 15
    for point, ((first, _), (second, _)) in zip(points, itertools.combinations(NOTICE_DATES, 2),
                                                 strict=True):
        sends = [s for s in point.steps if isinstance(s, Send)]
        assert [s.changes[0].reason for s in sends] == ["A01", "C12"]
        change = sends[0].changes[0]
        dates = {"DateOfBirth": change.born, "OccurredOn": change.occurred, **change.fields}
        assert dt.date.fromisoformat(dates[second]) < dt.date.fromisoformat(dates[first]), \
            point.what
