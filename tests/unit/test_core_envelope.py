"""Hardened SOAP envelope reading (bus.core.envelope): limits, no DTD, envelope structure."""

from __future__ import annotations

import pytest
from lxml import etree

from bus.core import faults
from bus.core.envelope import Limits, parse_document, parse_envelope
from bus.core.faults import HubFault
from bus.core.header import HEADER_NS, HEADER_TAG

from messages import (JUKI_NS, SOAP11_NS, SOAP12_NS, envelope, inquiry_body, line_of,
                       request_header)

SOAP11 = f'xmlns:soap="{SOAP11_NS}"'


def fault_of(raw: bytes, limits: Limits = Limits()) -> HubFault:
    with pytest.raises(HubFault) as info:
        parse_envelope(raw, limits)
    return info.value


# --- accepted envelopes ------------------------------------------------------------------------

@pytest.mark.parametrize("soap_ns, version", [(SOAP11_NS, "1.1"), (SOAP12_NS, "1.2")])
def test_soap_11_and_12_are_accepted(soap_ns, version):
    header = request_header()
    raw = envelope(inquiry_body(), header, soap_ns=soap_ns)
    env = parse_envelope(raw)
    assert env.soap_ns == soap_ns and env.soap_version == version
    assert env.raw is raw
    assert env.header.tag == HEADER_TAG
    assert env.header.findtext(f"{{{HEADER_NS}}}MessageId") == header.message_id
    assert env.body.tag == f"{{{JUKI_NS}}}ResidentInquiryRequest"
    assert not env.is_fault


def test_envelope_without_header_has_no_platform_header():
    env = parse_envelope(envelope(inquiry_body(), header=None))
    assert env.header is None
    assert env.body.tag == f"{{{JUKI_NS}}}ResidentInquiryRequest"


def test_header_without_platform_header_block_is_read_as_missing():
    other = '<x:Security xmlns:x="urn:example:wss"/>'
    env = parse_envelope(envelope(inquiry_body(), header=[other]))
    assert env.header is None


def test_comments_and_processing_instructions_in_body_are_not_children():
    raw = (f'<soap:Envelope {SOAP11}><soap:Body><!-- note --><?pi x?>'
           f'{inquiry_body()}<!-- end --></soap:Body></soap:Envelope>').encode()
    assert parse_envelope(raw).body.tag == f"{{{JUKI_NS}}}ResidentInquiryRequest"


def test_soap_fault_body_is_a_fault():
    raw = (f'<soap:Envelope {SOAP11}><soap:Body><soap:Fault><faultcode>soap:Server</faultcode>'
           f'<faultstring>x</faultstring></soap:Fault></soap:Body></soap:Envelope>').encode()
    assert parse_envelope(raw).is_fault


# --- well-formedness and DTDs ------------------------------------------------------------------

def test_malformed_xml_reports_the_line():
    raw = (f'<?xml version="1.0"?>\n<soap:Envelope {SOAP11}>\n<soap:Body>\n'
           f'<a>\n</b>\n</soap:Body>\n</soap:Envelope>\n').encode()
    fault = fault_of(raw)
    assert fault.fault is faults.MALFORMED_XML
    assert fault.first.rule == "xml:well-formed"
    assert fault.first.line == 5


def test_undeclared_entity_is_malformed():
    raw = f'<soap:Envelope {SOAP11}><soap:Body><a>&x;</a></soap:Body></soap:Envelope>'.encode()
    assert fault_of(raw).fault is faults.MALFORMED_XML


SECRET = "TOP-SECRET-VALUE"


def _dtd_cases(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY ext SYSTEM "{secret.as_uri()}">')
    body = f"<soap:Envelope {SOAP11}><soap:Body><a>%s</a></soap:Body></soap:Envelope>"
    laughs = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)]
    return {
        "internal subset": f'<!DOCTYPE soap:Envelope [<!ENTITY x "{SECRET}">]>'
                           + body % "&x;",
        "external entity": f'<!DOCTYPE soap:Envelope [<!ENTITY ext SYSTEM "{secret.as_uri()}">]>'
                           + body % "&ext;",
        "external SYSTEM DTD": f'<!DOCTYPE soap:Envelope SYSTEM "{dtd.as_uri()}">' + body % "&ext;",
        "network DTD": '<!DOCTYPE soap:Envelope SYSTEM "http://192.0.2.1/evil.dtd">' + body % "",
        "billion laughs": f'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n{chr(10).join(laughs)}\n]>\n'
                          + body % "&lol9;",
        "billion laughs in an attribute":
            f'<!DOCTYPE lolz [{"".join(laughs)}]>'
            + (body % "").replace("<a>", '<a v="&lol9;">'),
        "bare doctype": "<!-- a comment -->\n<!DOCTYPE soap:Envelope>" + body % "",
    }


@pytest.mark.parametrize("case", [
    "internal subset", "external entity", "external SYSTEM DTD", "network DTD", "billion laughs",
    "billion laughs in an attribute", "bare doctype"])
def test_any_dtd_is_refused_and_nothing_is_expanded(tmp_path, case):
    raw = _dtd_cases(tmp_path)[case].encode()
    fault = fault_of(raw)
    assert fault.fault is faults.DTD_FORBIDDEN, fault
    assert fault.first.rule == "soap:no-dtd"
    assert fault.first.line is not None
    assert SECRET not in str(fault) and "lollol" not in str(fault)
    with pytest.raises(HubFault) as info:
        parse_document(raw)
    assert info.value.fault is faults.DTD_FORBIDDEN


def test_the_parser_itself_never_expands_entities(tmp_path):
    """Even below the DTD refusal: the shared parser leaves entity references unexpanded."""
    from bus.core.envelope import _parser
    for case in ("internal subset", "external entity"):
        root = etree.fromstring(_dtd_cases(tmp_path)[case].encode(), _parser())
        assert SECRET not in etree.tostring(root).decode()
        assert SECRET not in "".join(root.itertext())


# --- limits --------------------------------------------------------------------------------------

def test_size_limit_is_inclusive():
    raw = envelope(inquiry_body())
    parse_envelope(raw, Limits(max_bytes=len(raw)))
    fault = fault_of(raw, Limits(max_bytes=len(raw) - 1))
    assert fault.fault is faults.TOO_LARGE
    assert fault.first.rule == "limit:max_bytes"


def _nested(depth: int) -> bytes:
    # Envelope, Body, then depth-2 nested elements: ``depth`` levels in all
    inner = "<x>" * (depth - 2) + "</x>" * (depth - 2)
    return f"<soap:Envelope {SOAP11}>\n<soap:Body>\n{inner}</soap:Body></soap:Envelope>".encode()


def test_depth_limit_is_inclusive_and_names_the_line():
    parse_envelope(_nested(10), Limits(max_depth=10))
    fault = fault_of(_nested(11), Limits(max_depth=10))
    assert fault.fault is faults.TOO_DEEP
    assert fault.first.rule == "limit:max_depth"
    assert fault.first.line == 3


def test_depth_limit_names_the_first_element_too_deep_in_document_order():
    deep = "<y>" * 9 + "</y>" * 9
    raw = (f"<soap:Envelope {SOAP11}>\n<soap:Body>\n<w><x><x/></x>\n<x>\n{deep}</x>\n"
           f"<x>{deep}</x></w></soap:Body></soap:Envelope>").encode()
    parse_envelope(raw, Limits(max_depth=13))  # Envelope, Body, w, x and nine y: 13 levels
    fault = fault_of(raw, Limits(max_depth=11))
    assert fault.fault is faults.TOO_DEEP and fault.first.line == 5
    # the first element too deep, by name (fault-v1.xsd: a place's path and line)
    assert fault.first.path.startswith("/soap:Envelope/soap:Body/") and \
        fault.first.path.count("/") == 12


def test_default_depth_limit_refuses_deep_nesting():
    assert fault_of(_nested(Limits().max_depth + 1)).fault is faults.TOO_DEEP


# --- envelope structure --------------------------------------------------------------------------

def _structure_fault(xml: str, code: faults.FaultCode = faults.NOT_SOAP) -> HubFault:
    fault = fault_of(xml.encode())
    assert fault.fault is code
    assert fault.first.rule == "soap:envelope"
    return fault


def test_a_document_that_is_not_an_envelope():
    """SOAP 1.2 Part 1 5.4.7: "The namespace, local name or both did not match the Envelope":
    a version error, the same stable code with SOAP's VersionMismatch."""
    fault = _structure_fault(inquiry_body(), faults.VERSION_MISMATCH)
    assert fault.first.path == "/juki:ResidentInquiryRequest"
    assert fault.first.line == 1


@pytest.mark.parametrize("namespace", ["urn:not-soap", "http://www.w3.org/2001/12/soap-envelope"])
def test_envelope_of_another_namespace_is_a_version_mismatch(namespace):
    """SOAP 1.1 4.1.2: an Envelope "associated with a different namespace" is a version error
    (a SOAP 1.2 draft's namespace too); PF-SOAP-ENVELOPE with SOAP's VersionMismatch."""
    fault = _structure_fault(f'<soap:Envelope xmlns:soap="{namespace}"><soap:Body><a/>'
                             '</soap:Body></soap:Envelope>', faults.VERSION_MISMATCH)
    assert fault.fault.code == "PF-SOAP-ENVELOPE" and fault.fault.soap_code == "VersionMismatch"
    assert (fault.first.path, fault.first.line) == ("/soap:Envelope", 1)


def test_two_bodies():
    fault = _structure_fault(f"<soap:Envelope {SOAP11}>\n<soap:Body><a/></soap:Body>\n"
                             f"<soap:Body><b/></soap:Body></soap:Envelope>")
    assert fault.first.path == "/soap:Envelope"


def test_elements_after_body():
    fault = _structure_fault(f"<soap:Envelope {SOAP11}><soap:Body><a/></soap:Body><x/>"
                             f"</soap:Envelope>")
    assert fault.first.path == "/soap:Envelope"


def test_header_after_body():
    fault = _structure_fault(f"<soap:Envelope {SOAP11}><soap:Body><a/></soap:Body><soap:Header/>"
                             f"</soap:Envelope>")
    assert fault.first.path == "/soap:Envelope"


def test_body_must_hold_exactly_one_element():
    empty = envelope(None)
    fault = fault_of(empty)
    assert fault.fault is faults.NOT_SOAP
    assert fault.first.path == "/soap:Envelope/soap:Body"
    assert fault.first.line == line_of(empty, "<soap:Body")
    assert "found 0" in fault.first.message

    two = f"<soap:Envelope {SOAP11}><soap:Body><a/><b/></soap:Body></soap:Envelope>"
    fault = _structure_fault(two)
    assert fault.first.path == "/soap:Envelope/soap:Body"
    assert "found 2" in fault.first.message


def test_soap12_structure_paths_use_the_documents_prefix():
    raw = (f'<env:Envelope xmlns:env="{SOAP12_NS}"><env:Body/></env:Envelope>').encode()
    fault = fault_of(raw)
    assert fault.fault is faults.NOT_SOAP
    assert fault.first.path == "/env:Envelope/env:Body"


def test_two_platform_headers_are_refused():
    raw = envelope(inquiry_body(), header=[request_header(), request_header()])
    fault = fault_of(raw)
    assert fault.fault is faults.HEADER_INVALID
    assert fault.first.rule == "header:single"
    assert fault.first.path == "/soap:Envelope/soap:Header/pfh:PlatformHeader[2]"
    assert fault.first.line == line_of(raw, "<pfh:PlatformHeader", occurrence=2)


def test_dtd_finding_names_the_line_of_the_doctype(tmp_path):
    fault = fault_of(_dtd_cases(tmp_path)["billion laughs"].encode())
    assert fault.first.line == 2  # after the XML declaration


def test_dtd_in_a_utf16_message_is_refused_too():
    raw = ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE soap:Envelope>\n'
           f'<soap:Envelope {SOAP11}><soap:Body><a/></soap:Body></soap:Envelope>')
    assert fault_of(raw.encode("utf-16")).fault is faults.DTD_FORBIDDEN


def test_doctype_text_outside_the_prolog_is_no_dtd():
    raw = (f'<?xml version="1.0"?>\n<!-- <!DOCTYPE in a comment -->\n<soap:Envelope {SOAP11}>'
           f'<soap:Body><a><![CDATA[<!DOCTYPE x>]]></a></soap:Body></soap:Envelope>').encode()
    assert parse_envelope(raw).body.text == "<!DOCTYPE x>"


@pytest.mark.parametrize("soap_ns", [SOAP11_NS, SOAP12_NS])
def test_a_comment_or_processing_instruction_inside_a_value_is_not_part_of_it(soap_ns):
    """XML's value of an element is its text without comments and PIs: ``10000<!-- -->00015``
    is 1000000015, which the XSD reads whole — the rules, the header model and the routing must
    read the same (lxml's tree gives ``.text`` = "10000" unless the parser drops them)."""
    header = request_header()
    raw = envelope(inquiry_body(), header, soap_ns=soap_ns)
    number, mid = inquiry_body().split("<juki:AddresseeNumber>")[1].split("<")[0], \
        header.message_id
    assert raw.count(number.encode()) == 1 and raw.count(mid.encode()) == 1
    split = raw.replace(number.encode(), f"{number[:5]}<!-- a note -->{number[5:]}".encode()) \
        .replace(mid.encode(), f"{mid[:8]}<?vendor trace?>{mid[8:]}".encode())
    env = parse_envelope(split)
    assert env.body.findtext(f"{{{JUKI_NS}}}AddresseeNumber") == number
    assert env.header.findtext(f"{{{HEADER_NS}}}MessageId") == mid
    assert env.raw is split  # what is forwarded keeps them


def test_the_split_leaves_out_comments_and_pis_it_is_given():
    """``_split`` reads a tree that still has comments and PIs (the parser drops them, other
    callers may not) as before: they are neither the Header, nor the Body, nor its element."""
    from bus.core.envelope import _split

    raw = envelope(inquiry_body(), request_header()).decode()
    raw = raw.replace("<soap:Header>", "<!-- a --><soap:Header><?pi x?>", 1)
    raw = raw.replace("<soap:Body>", "<!-- b --><soap:Body><!-- c --><?pi y?>", 1)
    assert raw.count("<!--") == 3
    root = etree.fromstring(raw.encode(), etree.XMLParser(remove_comments=False))
    env = _split(raw.encode(), root)
    assert env.body.tag == f"{{{JUKI_NS}}}ResidentInquiryRequest"
    assert env.header is not None and env.header.tag == HEADER_TAG
    assert env.soap_header is not None and env.soap_header.tag == f"{{{SOAP11_NS}}}Header"
    two = etree.fromstring(raw.replace("<!-- c -->", "<x/>").encode(),
                           etree.XMLParser(remove_comments=False))
    with pytest.raises(HubFault) as info:
        _split(b"", two)
    assert "found 2" in info.value.findings[0].message


def test_a_small_utf8_message_with_few_start_tags_is_decided_without_the_xpath(monkeypatch):
    """At most max_depth "<" in a small UTF-8 message: no element can be deeper, and the
    XPath is not run (issue 13); one more "<", another encoding or a bigger message: it is,
    and a message too deep is refused however it is written."""
    from bus.core import envelope as module

    calls: list[int] = []
    real = module._check_depth
    monkeypatch.setattr(module, "_check_depth", lambda root, depth: (calls.append(depth),
                                                                      real(root, depth)))
    small = _nested(6)  # Envelope, Body and four x: 6 start tags
    assert small.count(b"<") == 12  # and six end tags
    parse_envelope(small, Limits(max_depth=12))
    assert calls == []
    parse_envelope(small, Limits(max_depth=11))  # 12 "<": the XPath decides (6 levels: fine)
    assert calls == [11]
    assert fault_of(small, Limits(max_depth=5)).fault is faults.TOO_DEEP
    latin = b'<?xml version="1.0" encoding="ISO-8859-1"?>' + small
    parse_envelope(latin, Limits(max_depth=20))
    assert calls == [11, 5, 20]
    assert fault_of(latin, Limits(max_depth=5)).fault is faults.TOO_DEEP
    # UTF-7 may write "<" as "+ADw-": few "<" bytes, deep all the same
    hidden = small.replace(b"<x>", b"+ADw-x+AD4-").replace(b"</x>", b"+ADw-/x+AD4-")
    utf7 = b'<?xml version="1.0" encoding="UTF-7"?>' + hidden
    assert utf7.count(b"<") <= 5  # what the count alone would let through
    assert fault_of(utf7, Limits(max_depth=5)).fault is faults.TOO_DEEP
    utf16 = small.decode().encode("utf-16")  # "<" is a byte of its own there too
    assert fault_of(utf16, Limits(max_depth=5)).fault is faults.TOO_DEEP
    big = _nested(6).replace(b"<x>", b"<x>" + b" " * 600)
    parse_envelope(big, Limits(max_depth=64))
    assert calls[-1] == 64 and len(big) > module._COUNTED_BYTES
