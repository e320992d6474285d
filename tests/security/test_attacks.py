"""The classic attacks on an XML/SOAP endpoint, over a real hub socket.

Each gets a SOAP Fault (schema-valid ``pff:FaultDetail``) or a clean rejection: never a
traceback, never an HTTP error without a fault, never a forwarded message (the scripted provider
counts what reaches it), never a notice stored. Decisions: a UTF-8 byte-order mark is accepted
(XML 1.0 allows it), and so is UTF-16 with its BOM (WS-I Basic Profile R1012: UTF-8 or UTF-16;
the bytes are forwarded unchanged); a DTD is refused in either encoding; a non-empty SOAPAction must name the
header's service (``urn:pfbus:service:<ServiceId>``, as every WSDL declares).

Every test runs twice: over plain HTTP and over mutual TLS (``hubkit.start(tls=True)``), where the
attacker holds a registered adapter's client certificate.
"""

from __future__ import annotations

import socket
import sqlite3
import threading

import pytest

from . import hubkit
from tests.support.routing_log import wait_for_hops
from tests.support.soap import SOAP11, SOAP12
from tests.support.soap import inquiry_envelope as envelope

from .hubkit import MAX_BYTES

pytestmark = pytest.mark.integration

BODY = "<j:ResidentInquiryRequest"


@pytest.fixture(scope="module", params=hubkit.MODES)
def hub(tmp_path_factory, request):
    """The hub over plain HTTP, then over mutual TLS (the attacker is an authenticated adapter:
    vendor-b-tax's client certificate, allowed to call the service)."""
    tmp = tmp_path_factory.mktemp(f"attacks-{request.param}")
    h = hubkit.start(tmp, tls=request.param == "tls")
    h["tmp"] = tmp
    yield h
    hubkit.stop(h)


class Listener:
    """A socket that records whether anything connected (for XXE to the network)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


def valid(soap: str = SOAP11) -> str:
    return envelope(soap=soap)[0].decode()


def with_doctype(doctype: str, soap: str = SOAP11, entity_ref: str = "") -> bytes:
    raw = valid(soap).replace('<?xml version="1.0" encoding="UTF-8"?>\n',
                              '<?xml version="1.0" encoding="UTF-8"?>\n' + doctype + "\n")
    if entity_ref:
        raw = raw.replace("0000000019", entity_ref)
    return raw.encode()


BILLION_LAUGHS = ('<!DOCTYPE soap:Envelope [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'
                            for i in range(1, 10)) + "]>")


def cases(xxe_port: int):
    v = valid()
    header_start = v.index("<pfh:PlatformHeader") if "<pfh:PlatformHeader" in v else \
        v.index("PlatformHeader") - 5
    platform = v[header_start:v.index("</soap:Header>")]
    body = v[v.index("<soap:Body>"):v.index("</soap:Body>") + len("</soap:Body>")]
    header = v[v.index("<soap:Header>"):v.index("</soap:Header>") + len("</soap:Header>")]
    return {
        "billion laughs": (with_doctype(BILLION_LAUGHS, entity_ref="&lol9;"), {},
                           "PF-XML-DTD", "soap:no-dtd"),
        "quadratic blowup entity": (with_doctype(
            f'<!DOCTYPE soap:Envelope [<!ENTITY a "{"x" * 30000}">]>',
            entity_ref="&a;" * 1000)[:MAX_BYTES - 10], {}, "PF-XML-DTD", "soap:no-dtd"),
        "huge attribute value": (v.replace(BODY, BODY + f' big="{"x" * (MAX_BYTES - 4096)}"')
                                 .encode(), {}, "PF-SCHEMA-INVALID", None),
        "huge element name": (v.replace(body, body.replace(
            "</soap:Body>", f"<{'n' * (MAX_BYTES - 4096)}/></soap:Body>")).encode(), {},
            "PF-XML-MALFORMED", "xml:well-formed"),  # libxml2's name limit (50,000)
        "XXE to a file": (with_doctype('<!DOCTYPE soap:Envelope [<!ENTITY x SYSTEM '
                                       '"file:///etc/passwd">]>', entity_ref="&x;"), {},
                          "PF-XML-DTD", "soap:no-dtd"),
        "XXE to the network": (with_doctype(
            f'<!DOCTYPE soap:Envelope [<!ENTITY x SYSTEM "http://127.0.0.1:{xxe_port}/x">]>',
            entity_ref="&x;"), {}, "PF-XML-DTD", "soap:no-dtd"),
        "parameter entity": (with_doctype(
            f'<!DOCTYPE soap:Envelope [<!ENTITY % p SYSTEM "http://127.0.0.1:{xxe_port}/p">'
            f'%p;]>'), {}, "PF-XML-DTD", "soap:no-dtd"),
        "external DTD": (with_doctype(
            f'<!DOCTYPE soap:Envelope SYSTEM "http://127.0.0.1:{xxe_port}/evil.dtd">'), {},
            "PF-XML-DTD", "soap:no-dtd"),
        "DOCTYPE after a comment": (with_doctype(
            '<!-- hidden -->\n<!DOCTYPE soap:Envelope [<!ENTITY x "y">]>', entity_ref="&x;"),
            {}, "PF-XML-DTD", "soap:no-dtd"),
        "deep nesting": (v.replace("<j:AddresseeNumber>", "<j:AddresseeNumber>" + "<d>" * 200
                                   + "</d>" * 200).encode(), {}, "PF-LIMIT-DEPTH",
                         "limit:max_depth"),
        # libxml2 stops first (its own bound, 256 levels without huge_tree)
        "very deep nesting": (v.replace("<j:AddresseeNumber>", "<j:AddresseeNumber>" + "<d>" *
                                        8000 + "</d>" * 8000).encode(), {}, "PF-XML-MALFORMED",
                              "xml:well-formed"),
        "invalid UTF-8": (v.replace("0000000019", "00000000\udcff19")
                          .encode("utf-8", "surrogateescape"), {}, "PF-XML-MALFORMED",
                          "xml:well-formed"),
        "overlong UTF-8": (v.encode().replace(b"0000000019", b"00000000\xc0\xb119"), {},
                           "PF-XML-MALFORMED", "xml:well-formed"),
        "UTF-16 with a DTD": (with_doctype('<!DOCTYPE soap:Envelope [<!ENTITY x "y">]>')
                              .decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
                              .encode("utf-16"), {}, "PF-XML-DTD", "soap:no-dtd"),
        "two Bodies": (v.replace(body, body + body).encode(), {}, "PF-SOAP-ENVELOPE",
                       "soap:envelope"),
        "two Headers": (v.replace(header, header + header).encode(), {}, "PF-SOAP-ENVELOPE",
                        "soap:envelope"),
        "Body before Header": (v.replace(header, "").replace("</soap:Body>",
                                                             "</soap:Body>" + header)
                               .encode(), {}, "PF-SOAP-ENVELOPE", "soap:envelope"),
        "two PlatformHeaders": (v.replace("</soap:Header>", platform + "</soap:Header>")
                                .encode(), {}, "PF-HEADER-INVALID", "header:single"),
        "two elements in the Body": (v.replace("</soap:Body>", "<x/></soap:Body>").encode(), {},
                                     "PF-SOAP-ENVELOPE", "soap:envelope"),
        "PlatformHeader in another namespace": (v.replace("urn:pfbus:platform:header:v1",
                                                          "urn:evil:header").encode(), {},
                                                "PF-HEADER-MISSING", "header:required"),
        "Envelope in another namespace": (v.replace(SOAP11, "urn:not-soap").encode(), {},
                                          "PF-SOAP-ENVELOPE", "soap:envelope"),
        "SOAP 1.1 envelope as application/soap+xml": (
            v.encode(), {"Content-Type": "application/soap+xml; charset=utf-8"},
            "PF-SOAP-ENVELOPE", "soap:version"),
        "SOAP 1.2 envelope as text/xml": (valid(SOAP12).encode(),
                                          {"Content-Type": "text/xml; charset=utf-8"},
                                          "PF-SOAP-ENVELOPE", "soap:version"),
        "SOAPAction of another service": (v.encode(), {
            "SOAPAction": '"urn:pfbus:service:kokuho.QualificationInquiry"'},
            "PF-HEADER-INVALID", "soap:action"),
        "SOAP 1.2 action parameter of another service": (valid(SOAP12).encode(), {
            "Content-Type": 'application/soap+xml; charset=utf-8; '
                            'action="urn:pfbus:service:kokuho.QualificationInquiry"'},
            "PF-HEADER-INVALID", "soap:action"),
        "huge number": (v.replace("0000000019", "9" * 5000).encode(), {}, "PF-SCHEMA-INVALID",
                        None),
        "not XML at all": (b"\x00\x01\x02 GET / HTTP/1.0", {}, "PF-XML-MALFORMED",
                           "xml:well-formed"),
        "empty body": (b"", {}, "PF-XML-MALFORMED", "xml:well-formed"),
    }


@pytest.fixture(scope="module")
def listener():
    li = Listener()
    yield li
    li.close()


CASE_NAMES = list(cases(0))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_attack_gets_a_fault_and_is_not_forwarded(hub, listener, name):
    raw, headers, code, rule = cases(listener.port)[name]
    assert len(raw) <= MAX_BYTES, f"{name}: {len(raw)} bytes; under the size limit on purpose"
    soap = SOAP12 if "Content-Type" in headers and "soap+xml" in headers["Content-Type"] \
        else SOAP11
    before = hubkit.received(hub)
    # A bound, not a speed check: an attack that stalls the hub fails here (requests' timeout)
    # instead of hanging the run; how fast refusals are is bench/'s business.
    r = hubkit.post(hub, raw, soap, headers, timeout=30)
    assert r.status_code in (400, 404, 413, 415, 500), r.status_code
    assert b"Traceback" not in r.content and b"root:" not in r.content
    fault = hubkit.fault_of(r.content)
    assert fault["code"] == code, (name, fault)
    if rule is not None:
        assert fault["rule"] == rule, (name, fault)
    assert fault["code"] != "PF-HUB-INTERNAL"
    assert hubkit.received(hub) == before, f"{name} was forwarded"
    assert listener.connections == 0, f"{name}: the hub connected out"


def test_utf8_bom_is_accepted(hub):
    r = hubkit.post(hub, b"\xef\xbb\xbf" + valid().encode())
    assert r.status_code == 200, r.text


def test_utf16_with_bom_is_accepted(hub):
    raw = valid().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert raw[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert hubkit.post(hub, raw).status_code == 200


@pytest.mark.parametrize("action", ['"urn:pfbus:service:juki.ResidentInquiry"',
                                    "urn:pfbus:service:juki.ResidentInquiry", '""', ""])
def test_matching_or_empty_soap_action_is_accepted(hub, action):
    assert hubkit.post(hub, valid().encode(), headers={"SOAPAction": action}).status_code == 200


def test_soap12_answers_with_its_status(hub):
    r = hubkit.post(hub, valid(SOAP12).replace("<soap:Body>", "<soap:Body><x/>").encode(),
                    SOAP12)
    assert r.status_code == 400 and hubkit.fault_of(r.content)["code"] == "PF-SOAP-ENVELOPE"


DRAFT_SOAP12 = "http://www.w3.org/2001/12/soap-envelope"  # a SOAP 1.2 draft's namespace


@pytest.mark.parametrize("soap", [SOAP11, SOAP12])
def test_an_envelope_of_another_namespace_is_a_version_mismatch(hub, soap):
    """SOAP 1.1 4.1.2 / SOAP 1.2 Part 1 5.4.7 (docs/faults.md): VersionMismatch in the version
    the Content-Type names — with SOAP 1.2's Upgrade block listing the envelopes the hub
    reads —, PF-SOAP-ENVELOPE in the detail, HTTP 500; recorded in the routing log as every
    refusal is."""
    from lxml import etree

    def recorded(count: int = 0, timeout: float = 0) -> int:
        """Reply hops of such refusals: the code, the rule and the status answered."""
        return len(wait_for_hops(hub["log"], fault_code="PF-SOAP-ENVELOPE", count=count,
                                 where=lambda h: h.rule == "soap:envelope"
                                 and h.http_status == 500, timeout=timeout))

    before = recorded()
    raw = valid(soap).replace(soap, DRAFT_SOAP12).encode()
    r = hubkit.post(hub, raw, soap)
    assert r.status_code == 500, r.text
    assert r.headers["Content-Type"].startswith(
        "text/xml" if soap == SOAP11 else "application/soap+xml")
    root = etree.fromstring(r.content)
    assert root.tag == f"{{{soap}}}Envelope"
    code = root.findtext(f".//{{{soap}}}Fault/faultcode") if soap == SOAP11 else \
        root.findtext(f".//{{{soap}}}Code/{{{soap}}}Value")
    assert code.rpartition(":")[2] == "VersionMismatch", r.text
    assert hubkit.fault_of(r.content) == {"code": "PF-SOAP-ENVELOPE", "rule": "soap:envelope"}
    supported = {se.nsmap[se.get("qname").split(":")[0]]
                 for se in root.iter(f"{{{SOAP12}}}SupportedEnvelope")}
    assert supported == {SOAP11, SOAP12}
    assert recorded(before + 1, timeout=10) == before + 1


def test_rejections_are_logged_without_payload_and_nothing_is_stored(hub, listener):
    # every attack sent here, not left to the tests above: with pytest-xdist they may run in
    # another process, against another hub
    before = len(hubkit.log_rows(hub))
    for raw, headers, _code, _rule in cases(listener.port).values():
        soap = SOAP12 if "soap+xml" in headers.get("Content-Type", "") else SOAP11
        hubkit.post(hub, raw, soap, headers)
    rows = hubkit.log_rows(hub, wait_for=before + len(CASE_NAMES))
    faults = {r.fault_code for r in rows if r.fault_code}
    assert {"PF-XML-DTD", "PF-SOAP-ENVELOPE", "PF-HEADER-INVALID"} <= faults
    dump = repr(rows)
    assert "root:x" not in dump and "lol" not in dump
    store = hub["tmp"] / "var" / "notices.sqlite3"
    if store.exists():
        with sqlite3.connect(store) as db:
            tables = [t for (t,) in db.execute("select name from sqlite_master where type='table'")]
            for table in tables:
                if "notice" in table or "deliver" in table:
                    assert db.execute(f"select count(*) from {table}").fetchone()[0] == 0, table
