"""An adapter's endpoint answers everything itself (adapters/sdk/site.py): what no resource
serves — an unknown path, a method, a resource that fails — gets the platform's answer (a SOAP
Fault to a POST, JSON otherwise), never one of Twisted's HTML pages."""

from __future__ import annotations

import json
import logging
import socket

import pytest
import requests
from lxml import etree
from twisted.web.resource import Resource

from adapters.sdk.provider import ProviderApp
from adapters.sdk.testing import sample_request, serve
from bus.core.envelope import SOAP11_NS, SOAP12_NS
from bus.core.faults import FAULT_NS
from bus.core.header import Party, PlatformHeader

pytestmark = pytest.mark.integration

JUKI = Party("131016", "01", "vendor-a-juki")
TAX = Party("131016", "07", "vendor-b-tax")
FAULT_CODE = f"{{{FAULT_NS}}}Code"


class Failing(Resource):
    isLeaf = True

    def render_POST(self, request):
        raise RuntimeError("a defect in the vendor's resource")


@pytest.fixture(scope="module")
def adapter():
    root = Resource()
    root.putChild(b"juki", ProviderApp(JUKI, {"juki.ResidentInquiry": lambda h, b: None},
                                       validate=False).resource())
    root.putChild(b"failing", Failing())
    server = serve(root)
    yield server.url
    server.close()


def _fault_code(answer: requests.Response, soap_ns: str) -> str:
    env = etree.fromstring(answer.content)
    assert env.tag == f"{{{soap_ns}}}Envelope"
    return env.findtext(f".//{FAULT_CODE}")


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"])
def test_a_method_the_endpoint_does_not_serve_is_refused_with_allow(adapter, method):
    answer = requests.request(method, f"{adapter}/juki", timeout=10)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"
    if method != "HEAD":  # a HEAD answer has no body
        assert answer.json()["code"] == "PF-HTTP-METHOD"


@pytest.mark.parametrize("soap_ns, content_type", [(SOAP11_NS, "text/xml; charset=utf-8"),
                                                   (SOAP12_NS, "application/soap+xml")])
def test_a_post_to_an_unknown_path_gets_a_soap_fault_in_its_version(adapter, soap_ns,
                                                                     content_type):
    header = PlatformHeader.new(sender=TAX, receiver=JUKI, service_id="juki.ResidentInquiry",
                                user_id="clerk01")
    body = (f'<s:Envelope xmlns:s="{soap_ns}"><s:Header>'
            f'{etree.tostring(header.to_element()).decode()}</s:Header><s:Body>'
            f'{etree.tostring(sample_request("juki.ResidentInquiry")).decode()}</s:Body>'
            f'</s:Envelope>').encode()
    answer = requests.post(f"{adapter}/elsewhere", data=body, timeout=10,
                           headers={"Content-Type": content_type})
    assert answer.status_code == 404
    assert _fault_code(answer, soap_ns) == "PF-HTTP-NOT-FOUND"
    assert b"elsewhere" not in answer.content  # the client's path is not echoed


def test_a_get_of_an_unknown_path_gets_json(adapter):
    answer = requests.get(f"{adapter}/nothing/here", timeout=10)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("application/json")
    assert json.loads(answer.content)["code"] == "PF-HTTP-NOT-FOUND"


def test_a_resource_that_fails_is_answered_with_the_providers_internal_fault(adapter):
    answer = requests.post(f"{adapter}/failing", data=b"<x/>", timeout=10,
                           headers={"Content-Type": "text/xml"})
    assert answer.status_code == 500
    assert _fault_code(answer, SOAP11_NS) == "PF-PROVIDER-INTERNAL"
    assert b"a defect" not in answer.content  # nothing of the traceback leaves


def test_no_answer_is_html(adapter):
    host, port = adapter.split("//")[1].split(":")
    for method, path in [("GET", "/"), ("HEAD", "/juki"), ("POST", "/"), ("GET", "/juki/x/y")]:
        answer = requests.request(method, f"{adapter}{path}", timeout=10, data=b"<x/>"
                                  if method == "POST" else None)
        assert "html" not in answer.headers.get("Content-Type", ""), (method, path)
        assert b"<html" not in answer.content.lower(), (method, path)
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(b"GET /juki HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"<html" not in raw.recv(4096).lower()


def _exchange_raw(adapter: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """``data`` on a socket of its own; (status, headers, body) of the answer, read until the
    adapter closes the connection."""
    host, port = adapter.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(data)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (f.split(":", 1) for f in fields)}
    assert int(headers["content-length"]) == len(body) and headers["connection"] == "close"
    return int(status_line.split(" ")[1]), headers, body


@pytest.mark.parametrize("data, status, code", [
    (b"GARBAGE\r\n\r\n", 400, "PF-HTTP-BAD-REQUEST"),  # not a request line
    (b"GET /juki HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400, "PF-HTTP-BAD-REQUEST"),
    (b"GET /juki HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", 400,
     "PF-HTTP-BAD-REQUEST"),  # conflicting lengths
    (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", 414, "PF-LIMIT-URI"),
    (b"GET /juki HTTP/1.1\r\nX-Long: " + b"a" * 20000 + b"\r\n\r\n", 431, "PF-LIMIT-HEADERS"),
])
def test_what_twisteds_parser_refuses_is_answered_with_a_code(adapter, data, status, code):
    """Twisted answered these with a bare "400 Bad Request" (no body) or dropped the
    connection (a line longer than it reads): now the hub's codes, in JSON, then close."""
    got, headers, body = _exchange_raw(adapter, data)
    assert (got, headers["content-type"].split(";")[0]) == (status, "application/json")
    assert json.loads(body)["code"] == code
    assert b"aaaa" not in body  # what the client sent is not echoed


def test_a_post_whose_header_is_refused_gets_a_soap_fault_in_its_version(adapter):
    got, headers, body = _exchange_raw(
        adapter, b"POST /juki HTTP/1.1\r\nContent-Type: application/soap+xml\r\n"
                 b"Content-Length: 4\r\nbroken header\r\n\r\n<x/>")
    assert got == 400 and headers["content-type"].startswith("application/soap+xml")
    assert etree.fromstring(body).findtext(f".//{FAULT_CODE}") == "PF-HTTP-BAD-REQUEST"


def test_no_access_log_line_is_written(adapter):
    """Twisted's Site wrote a Combined Log Format line per request to twisted.python.log,
    which no adapter observes (formatted, buffered, never read): an adapter writes none."""
    from twisted.logger import globalLogPublisher

    events: list[dict] = []
    globalLogPublisher.addObserver(events.append)
    try:
        for method in ("GET", "POST"):
            requests.request(method, f"{adapter}/juki/access-log-probe", timeout=10,
                             data=b"<x/>" if method == "POST" else None)
    finally:
        globalLogPublisher.removeObserver(events.append)
    assert not [e for e in events if "access-log-probe" in repr(e)]


def _soap(header: PlatformHeader, body: str) -> bytes:
    return (f'<s:Envelope xmlns:s="{SOAP11_NS}"><s:Header>'
            f'{etree.tostring(header.to_element()).decode()}</s:Header><s:Body>{body}'
            f'</s:Body></s:Envelope>').encode()


def test_faults_of_the_callers_making_are_not_logged(adapter, caplog):
    """spyne logged every fault it answered at ERROR (with a traceback), and a request that is
    not XML with its bytes: the caller's errors are answered, not logged; the provider's are."""
    inquiry = etree.tostring(sample_request("juki.ResidentInquiry")).decode()
    misaddressed = PlatformHeader.new(sender=TAX, receiver=Party("131016", "01", "someone-else"),
                                      service_id="juki.ResidentInquiry", user_id="clerk01")
    ours = PlatformHeader.new(sender=TAX, receiver=JUKI, service_id="juki.ResidentInquiry",
                              user_id="clerk01")
    caplog.set_level(logging.WARNING)
    caplog.set_level(logging.WARNING, logger="spyne")  # tests/conformance quiets it
    for data, code in [
            (_soap(misaddressed, inquiry), "PF-PROVIDER-MISROUTED"),
            (_soap(ours, "<x:Unknown xmlns:x='urn:x'/>"), "PF-SCHEMA-INVALID"),
            (_soap(ours, inquiry)[:-40] + b"<unclosed privacy-probe>", "PF-XML-MALFORMED")]:
        answer = requests.post(f"{adapter}/juki", data=data, timeout=10,
                               headers={"Content-Type": "text/xml"})
        assert _fault_code(answer, SOAP11_NS) == code
    assert not [r for r in caplog.records if r.name.startswith("spyne")]
    # the handler answers None: a provider-side fault, still logged by spyne
    answer = requests.post(f"{adapter}/juki", data=_soap(ours, inquiry), timeout=10,
                           headers={"Content-Type": "text/xml"})
    assert _fault_code(answer, SOAP11_NS) == "PF-PROVIDER-INVALID-RESPONSE"
    assert [r for r in caplog.records if r.name.startswith("spyne")
            and "PF-PROVIDER-INVALID" in r.getMessage()]


def test_an_absolute_form_target_reaches_the_service_at_its_path(adapter):
    """RFC 9112 3.2.2: a server MUST accept the absolute-form (a client behind a forward
    proxy): the SDK answered it 404 before request_path.origin_form."""
    header = PlatformHeader.new(sender=TAX, receiver=JUKI, service_id="juki.ResidentInquiry",
                                user_id="clerk01")
    body = (f'<s:Envelope xmlns:s="{SOAP11_NS}"><s:Header>'
            f'{etree.tostring(header.to_element()).decode()}</s:Header><s:Body>'
            f'{etree.tostring(sample_request("juki.ResidentInquiry")).decode()}</s:Body>'
            f'</s:Envelope>').encode()
    head = (f"POST {adapter}/juki HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8"
            f"\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    status, _, answer = _exchange_raw(adapter, head + body)
    assert status != 404 and b"PF-HTTP-NOT-FOUND" not in answer, answer[:300]
