"""Property-based fuzzing of the hub's gatekeeper (slow tier: ``pytest -m slow``).

Property: for any bytes, SOAPAction and Content-Type, ``Inspector.inspect_request`` returns an
AcceptedRequest or raises HubFault — never any other exception — and the fault's envelope, in
both SOAP versions, is well-formed and its ``pff:FaultDetail`` valid against fault-v1.xsd.

Inputs: mutated valid messages (byte flips, insertions, truncations, element duplication and
removal, random unicode in text, huge numbers, attributes) and malformed ones (random bytes,
XML-ish fragments). In process against the pure core for speed (11,000 cases), plus a smaller
sample over a real hub socket. Derandomized: CI runs the same cases every time.
"""

from __future__ import annotations


import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from bus.core.catalog import Catalog
from bus.core.envelope import Limits
from bus.core.faults import FAULT_NS, SOAP11_NS, SOAP12_NS, HubFault, fault_envelope
from bus.core.identifiers import Modulus11Scheme
from bus.core.inspection import AcceptedRequest, Inspector
from bus.core.routing import Provider, Route, ServiceRegistry
from bus.core.validator import MessageValidator
from schemas import BUILTIN_CATALOG

from tests.support.soap import CHIYODA, SOAP11, SOAP12
from tests.support.soap import inquiry_envelope as envelope

from . import hubkit

pytestmark = pytest.mark.slow

SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

SEEDS = [envelope(soap=SOAP11)[0], envelope(soap=SOAP12)[0],
         envelope(soap=SOAP11, body='<j:ResidentInquiryRequest xmlns:j="urn:pfbus:unit:juki:v1">'
                  '<j:IndividualNumber>123456789018</j:IndividualNumber>'
                  '</j:ResidentInquiryRequest>')[0]]


@pytest.fixture(scope="module")
def inspector() -> Inspector:
    catalog = Catalog.load((BUILTIN_CATALOG,))
    registry = ServiceRegistry([Route(CHIYODA, "juki.ResidentInquiry",
                                      Provider("p", "http://127.0.0.1:9/", 1.0), 1.0)])
    return Inspector(catalog, MessageValidator(catalog, {CHIYODA: Modulus11Scheme(length=10)}),
                     registry, Limits(max_bytes=65536, max_depth=64))


_schema = etree.XMLSchema(etree.parse(str(hubkit.FAULT_SCHEMA)))


def check(inspector: Inspector, raw: bytes, action=None, ctype=None) -> None:
    try:
        result = inspector.inspect_request(raw, "juki.ResidentInquiry", action, ctype)
    except HubFault as fault:
        for ns in (SOAP11_NS, SOAP12_NS):
            doc = etree.fromstring(fault_envelope(fault, ns))
            detail = doc.find(f".//{{{FAULT_NS}}}FaultDetail")
            assert detail is not None
            assert _schema.validate(detail), _schema.error_log
        return
    assert isinstance(result, AcceptedRequest)


# --- mutations --------------------------------------------------------------------------------

TEXTS = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(["9" * 400, "-1", "1e309", "NaN", "0" * 10, "\u0000", "&amp;", "<x/>",
                     "]]>", "\ud7ff\ue000\ufffd", "𠮷野家", "ｶﾞ", "\u200b", "1" * 12]),
    st.integers(min_value=-10**60, max_value=10**60).map(str),
)


@st.composite
def byte_mutation(draw) -> bytes:
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "splice"]))
        pos = draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "flip" and raw:
            raw[pos] = draw(st.integers(0, 255))
        elif kind == "insert":
            raw[pos:pos] = draw(st.binary(min_size=1, max_size=16) | st.sampled_from(
                [b"<", b">", b"&", b"<!DOCTYPE x>", b"\xef\xbb\xbf", b"\xff\xfe", b"]]>",
                 b"<![CDATA[", b"&#0;", b"&#x110000;", b"\xc0\xaf", b"\xed\xa0\x80"]))
        elif kind == "delete":
            del raw[pos:pos + draw(st.integers(1, 32))]
        elif kind == "truncate":
            del raw[pos:]
        else:
            other = draw(st.sampled_from(SEEDS))
            start = draw(st.integers(0, len(other)))
            raw[pos:pos] = other[start:start + draw(st.integers(1, 200))]
    return bytes(raw)


@st.composite
def tree_mutation(draw) -> bytes:
    seed = draw(st.sampled_from(SEEDS))
    root = etree.fromstring(seed)
    for _ in range(draw(st.integers(1, 4))):
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        el = draw(st.sampled_from(elements))
        kind = draw(st.sampled_from(["dup", "remove", "text", "attr", "rename", "wrap",
                                     "move"]))
        parent = el.getparent()
        if kind == "dup" and parent is not None:
            parent.insert(parent.index(el), etree.fromstring(etree.tostring(el)))
        elif kind == "remove" and parent is not None:
            parent.remove(el)
        elif kind == "text":
            try:
                el.text = draw(TEXTS)
            except ValueError:  # not XML-compatible: goes in as bytes below
                pass
        elif kind == "attr":
            try:
                el.set(draw(st.sampled_from(["a", "id", "{urn:x}y", "mustUnderstand",
                                             f"{{{SOAP11_NS}}}mustUnderstand"])), draw(TEXTS))
            except ValueError:
                pass
        elif kind == "rename":
            ns = draw(st.sampled_from([SOAP11_NS, SOAP12_NS, "urn:pfbus:platform:header:v1",
                                       "urn:pfbus:unit:juki:v1", "urn:evil", ""]))
            local = draw(st.sampled_from(["Envelope", "Header", "Body", "PlatformHeader",
                                          "MessageId", "Fault", "x"]))
            el.tag = f"{{{ns}}}{local}" if ns else local
        elif kind == "wrap" and parent is not None:
            wrapper = etree.Element("wrap")
            parent.replace(el, wrapper)
            wrapper.append(el)
        elif kind == "move" and parent is not None:
            target = draw(st.sampled_from(elements))
            if el not in target.iterancestors() and el is not target:
                parent.remove(el)
                target.append(el)
    encoding = draw(st.sampled_from(["UTF-8", "UTF-16", "ASCII", "ISO-8859-1"]))
    return etree.tostring(root, xml_declaration=True, encoding=encoding)


MALFORMED = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(st.sampled_from(["<", ">", "</", "/>", "soap:Envelope", "soap:Body", "soap:Header",
                              f' xmlns:soap="{SOAP11_NS}"', f' xmlns:soap="{SOAP12_NS}"', "=",
                              '"', "&", ";", "<?xml version='1.0'?>", "<!DOCTYPE", "<!--", "-->",
                              "<![CDATA[", "]]>", "x", " ", "\n", "ü", "𠮷"]),
             max_size=60).map(lambda parts: "".join(parts).encode()),
)
ACTIONS = st.one_of(st.none(), st.just(""), st.just('"urn:pfbus:service:juki.ResidentInquiry"'),
                    st.text(max_size=30))
CTYPES = st.one_of(st.none(), st.sampled_from([
    "text/xml; charset=utf-8", "application/soap+xml", "application/soap+xml; action=\"x\"",
    'application/soap+xml; action="urn:pfbus:service:juki.ResidentInquiry"', "text/plain",
    "TEXT/XML", ";;;", "application/soap+xml; action"]), st.text(max_size=30))


@settings(max_examples=5000, **SETTINGS)
@given(raw=byte_mutation(), action=ACTIONS, ctype=CTYPES)
def test_byte_mutations_of_valid_messages(inspector, raw, action, ctype):
    check(inspector, raw, action, ctype)


@settings(max_examples=3500, **SETTINGS)
@given(raw=tree_mutation(), action=ACTIONS, ctype=CTYPES)
def test_structural_mutations_of_valid_messages(inspector, raw, action, ctype):
    check(inspector, raw, action, ctype)


@settings(max_examples=2500, **SETTINGS)
@given(raw=MALFORMED, action=ACTIONS, ctype=CTYPES)
def test_malformed_input(inspector, raw, action, ctype):
    check(inspector, raw, action, ctype)


def test_seeds_are_accepted(inspector):
    for seed in SEEDS:
        assert isinstance(inspector.inspect_request(seed), AcceptedRequest)


# --- a smaller sample over a real hub socket --------------------------------------------------

@pytest.fixture(scope="module", params=hubkit.MODES)
def hub(tmp_path_factory, request):
    """Over plain HTTP and over mutual TLS; over TLS every request of the authenticated adapter
    counts against its limits, so they are raised above what the sample sends."""
    tls = request.param == "tls"
    h = hubkit.start(tmp_path_factory.mktemp(f"fuzz-{request.param}"),
                     "limits = { rate = 10000, burst = 10000 }\n" if tls else "", tls=tls)
    yield h
    hubkit.stop(h)


@settings(max_examples=300, **SETTINGS)
@given(raw=st.one_of(byte_mutation(), tree_mutation(), MALFORMED),
       soap=st.sampled_from([SOAP11, SOAP12]))
def test_over_the_socket(hub, raw, soap):
    r = hubkit.post(hub, raw, soap, timeout=10)
    if r.status_code == 200:
        return
    assert r.status_code in (400, 404, 413, 415, 500), r.status_code
    fault = hubkit.fault_of(r.content)
    assert fault["code"] != "PF-HUB-INTERNAL"
    if r.status_code == 500:  # SOAP 1.1's status for every fault, never a bare 500
        assert fault["code"].startswith("PF-")
