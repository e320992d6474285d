"""Round 20's forms (conformance/encoding_forms.py): each is the canonical message written
otherwise and holds what its production names; the answer labels INV-ENC-01 reads
(conformance/answer_labels.py). The faulty adapters of round 20 (faulty_round20.py) are in
faulty.py's list (test_conformance_providers)."""

from __future__ import annotations

import codecs

import pytest
from lxml import etree

from conformance import answer_labels, encoding_forms, equivalence, namespace_forms

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
ACTION = 'action="urn:pfbus:service:juki.ResidentInquiry"'


def _request(soap: str) -> tuple[bytes, dict[str, str]]:
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<soap:Envelope xmlns:soap="{soap}"><soap:Header><h:H xmlns:h="urn:pfbus:platform:'
            'header:v1" soap:mustUnderstand="1"><h:Name>総務 翔子</h:Name></h:H></soap:Header>'
            '<soap:Body><b:B xmlns:b="urn:pfbus:unit:juki:v1"><b:K>𠮷田 &amp; x</b:K></b:B>'
            '</soap:Body></soap:Envelope>')
    ctype = ("text/xml; charset=utf-8" if soap == SOAP11
             else f"application/soap+xml; charset=utf-8; {ACTION}")
    return text.encode(), {"Content-Type": ctype}


FORMS = [v for v in equivalence.VARIANTS if v.name in encoding_forms.NAMES]


def _form(name: str, soap: str = SOAP11) -> tuple[bytes, dict[str, str]]:
    variant = next(v for v in FORMS if v.name == name)
    raw, headers = _request(soap)
    return equivalence.rewrite(raw, headers, "1.1" if soap == SOAP11 else "1.2", variant)


def test_round20_forms_are_registered():
    assert [v.name for v in FORMS] == list(encoding_forms.NAMES) == [
        "us-ascii", "us-ascii-label-forms", "xml-declaration-forms", "utf-8-bom-no-declaration",
        "utf-16-no-declaration", "utf-16-declaration-forms", "utf-16-no-charset",
        "utf-16-charset-last", "content-type-parameters"]  # (round 33b's charset last)
    assert sum(len(v.soap) for v in FORMS) == 11  # the exchanges a service's P-EQUIV-01 adds


@pytest.mark.parametrize("soap", [SOAP11, SOAP12])
@pytest.mark.parametrize("variant", FORMS, ids=lambda v: v.name)
def test_every_form_is_the_canonical_message(variant, soap):
    canonical, headers = _request(soap)
    raw, out = equivalence.rewrite(canonical, headers, "1.1" if soap == SOAP11 else "1.2",
                                   variant)
    assert (raw, out) != (canonical, headers)
    namespace_forms.equivalent(canonical, raw)  # raises when it is not
    assert etree.fromstring(raw).findtext(".//{urn:pfbus:unit:juki:v1}K") == "𠮷田 & x"
    params = answer_labels.parameters(out["Content-Type"])  # RFC 9110's grammar
    assert not isinstance(params, str), params
    if soap == SOAP12:
        assert ("action", "urn:pfbus:service:juki.ResidentInquiry") in params
    # every form is within what README says every product reads: INV-ENC-01 takes it
    assert answer_labels.problems(out["Content-Type"], raw) == []


def test_us_ascii_forms_are_7_bit_with_references_in_either_base():
    raw, headers = _form("us-ascii")
    assert raw.isascii() and b'encoding="US-ASCII"' in raw and b"&#134071;" in raw
    assert headers["Content-Type"] == "text/xml; charset=us-ascii"
    raw, headers = _form("us-ascii-label-forms", SOAP12)
    assert raw.isascii() and b"encoding='us-ascii'" in raw and b"&#x20BB7;" in raw
    assert headers["Content-Type"].startswith('application/soap+xml; charset="US-ASCII"; ')


def test_declaration_and_bom_forms():
    raw, headers = _form("xml-declaration-forms", SOAP12)
    assert raw.startswith(b"<?xml version = '1.0' standalone = \"no\" ?>\r\n")
    assert b"encoding" not in raw[:60] and "charset=UTF-8" in headers["Content-Type"]
    raw, headers = _form("utf-8-bom-no-declaration")
    assert raw.startswith(codecs.BOM_UTF8 + b"<soap:Envelope")
    assert headers["Content-Type"] == 'text/xml; charset="utf-8"'
    raw, headers = _form("utf-16-no-declaration", SOAP12)
    assert raw.startswith(codecs.BOM_UTF16_LE + "<soap:Envelope".encode("utf-16-le"))
    raw, headers = _form("utf-16-declaration-forms")
    assert raw.startswith(codecs.BOM_UTF16_BE + "<?xml version=\"1.0\" encoding='utf-16'"
                          .encode("utf-16-be"))
    assert headers["Content-Type"] == 'text/xml; charset="Utf-16"'
    raw, headers = _form("utf-16-no-charset", SOAP12)
    assert raw.startswith(codecs.BOM_UTF16_LE) and "charset" not in headers["Content-Type"]
    assert headers["Content-Type"] == f"application/soap+xml; {ACTION}"


def test_content_type_parameters_hide_a_charset_in_a_quoted_string():
    _, headers = _form("content-type-parameters", SOAP12)
    value = headers["Content-Type"]
    assert value.startswith("application/soap+xml;;x-conformance=") and value.endswith(";")
    params = answer_labels.parameters(value)
    assert [k for k, _ in params] == ["x-conformance", "charset", "action"]
    assert dict(params)["charset"] == "utf-8"
    assert dict(params)["x-conformance"] == 'a; b=c; charset=utf-16; "q"'


@pytest.mark.parametrize("ctype,raw,found", [
    ("text/xml; charset=utf-8", b"<a/>", ""),
    ('text/xml;charset="UTF-16"', codecs.BOM_UTF16_LE + "<a/>".encode("utf-16-le"), ""),
    ("text/xml; charset=US-ASCII", b"<?xml version='1.0' encoding='US-ASCII'?><a>&#233;</a>", ""),
    ("text/xml", b"<a/>", ""),
    ("text/html; charset=iso-8859-1", b"<p>", ""),  # not XML: INV-SOAP-04's
    ("text/xml; charset = utf-8", b"<a/>", "no white space"),
    ("text/xml; charset=\"utf-8", b"<a/>", "RFC 9110's parameters"),
    ("text/xml; charset=utf-8; charset=utf-8", b"<a/>", "2 times"),
    ("text/xml; charset=utf-16le", "<a/>".encode("utf-16-le"), "not a name"),
    ("text/xml; charset=ascii", b"<a/>", "not a name"),
    ("text/xml; charset=utf-16", codecs.BOM_UTF16_LE
     + '<?xml version="1.0" encoding="UTF-16LE"?><a/>'.encode("utf-16-le"), "encoding='UTF-16LE'"),
    ("text/xml; charset=us-ascii", "<a>é</a>".encode(), "7-bit"),
])
def test_answer_labels(ctype, raw, found):
    problems = answer_labels.problems(ctype, raw)
    assert (found in " ".join(problems)) if found else problems == []
    assert bool(problems) == bool(found)


def test_a_byte_above_0x7f_is_named_only_under_a_us_ascii_label_or_declaration():
    body = "<a>髙</a>".encode()
    ascii_decl = b'<?xml version="1.0" encoding="US-ASCII"?>' + body
    assert answer_labels.problems("text/xml; charset=utf-8", body) == []
    assert answer_labels.problems("text/xml; charset=us-ascii", b"<a>&#39641;</a>") == []
    for content_type, raw in [("text/xml; charset=us-ascii", body),
                              ("text/xml; charset=utf-8", ascii_decl)]:
        found = [p for p in answer_labels.problems(content_type, raw) if "7-bit" in p]
        high = raw.index(body) + 3
        assert found == [f"labelled or declared US-ASCII, byte {high} is 0x{raw[high]:02X} "
                         "(US-ASCII is 7-bit: every other character a character reference)"]
