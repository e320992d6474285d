"""Every answer of a real hub process is the hub's own, over plain HTTP and mutual TLS: paths that
cannot be read, paths that name nothing, other methods, oversized request lines and headers,
malformed heads — a small SOAP Fault (to a POST) or JSON document with a PF- code, never
Twisted's HTML pages, a bare status line or a dropped connection. Paths are decoded exactly once.
"""

from __future__ import annotations

import json

import pytest

from tests.support.soap import SOAP11
from tests.support.soap import inquiry_envelope as envelope

from . import hubkit

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=hubkit.MODES)
def hub(tmp_path_factory, request):
    h = hubkit.start(tmp_path_factory.mktemp(f"answers-{request.param}"),
                     tls=request.param == "tls")
    yield h
    hubkit.stop(h)


def exchange(hub, head: bytes, body: bytes = b"") -> tuple[int, dict, bytes]:
    """Send one raw request; the status, headers (lower-case names) and body of the answer."""
    answer, _ = hubkit.raw_exchange(hub, head + body)
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    head_part, _, payload = answer.partition(b"\r\n\r\n")
    lines = head_part.split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode("latin-1")
    status = int(lines[0].split(b" ", 2)[1])
    assert b"<html" not in payload.lower() and b"traceback" not in payload.lower(), payload[:300]
    if "content-length" in headers and not head.startswith(b"HEAD "):
        assert len(payload) == int(headers["content-length"]), (headers, payload[:200])
    return status, headers, payload


def get(hub, target: str, extra: str = "") -> bytes:
    return (f"GET {target} HTTP/1.1\r\nHost: {hub['host']}\r\nConnection: close\r\n{extra}\r\n"
            ).encode("latin-1")


def json_code(headers: dict, body: bytes) -> str:
    assert headers["content-type"].startswith("application/json"), headers
    return json.loads(body)["code"]


@pytest.mark.parametrize("target", [
    "/schemas/builtin/juki%00.xsd",  # ValueError: embedded null byte, before
    "/schemas/builtin%00/x.xsd",
    "/health%00",
    "/schemas/builtin/%252e%252e/%252e%252e/pyproject.toml",  # decoded twice, before
    "/schemas/builtin/%252e%252e%252f%252e%252e%252fsetup.cfg",
    "/schemas/builtin/%2e%2e/%2e%2e/setup.cfg",
    "/schemas/builtin/../../setup.cfg",
    "/schemas/builtin/%0a.xsd",
    "/nowhere",
    "/services",
    "/services/juki.ResidentInquiry",  # GET without ?wsdl
])
def test_unreadable_or_unknown_paths_are_404_json(hub, target):
    status, headers, body = exchange(hub, get(hub, target))
    assert status == 404
    assert json_code(headers, body) == "PF-HTTP-NOT-FOUND"
    assert b"setup.cfg" not in body and b"[metadata]" not in body


@pytest.mark.parametrize("target", ["/schemas/builtin/%zz.xsd", "/health%", "/h%e",
                                    "/schemas/builtin/%ff%fe.xsd", "*", "health"])
def test_invalid_percent_encoding_or_target_is_400_json(hub, target):
    status, headers, body = exchange(hub, get(hub, target))
    assert status == 400
    assert json_code(headers, body) == "PF-HTTP-BAD-REQUEST"


def test_schemas_are_still_served(hub):
    import requests

    with hubkit.session(hub) as s:
        wsdl = s.get(hub["url"] + "/services/juki.ResidentInquiry?wsdl", timeout=10)
        assert wsdl.status_code == 200
        location = wsdl.text.split('schemaLocation="', 1)[1].split('"', 1)[0]
        xsd = s.get(location, timeout=10)
    assert xsd.status_code == 200 and b"schema" in xsd.content
    assert isinstance(requests, object)


def test_unknown_wsdl_does_not_echo_the_name_as_xml(hub):
    status, headers, body = exchange(
        hub, get(hub, "/services/%3Cscript%3Ealert(1)%3C%2Fscript%3E?wsdl"))
    assert status == 404
    assert json_code(headers, body) == "PF-HTTP-NOT-FOUND"
    assert b"script" not in body and "xml" not in headers["content-type"]


def test_post_to_an_unknown_path_is_a_soap_fault(hub):
    raw, _ = envelope()
    before = hubkit.received(hub)
    head = (f"POST /elsewhere%00 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
            f"Content-Length: {len(raw)}\r\nConnection: close\r\n\r\n").encode()
    status, headers, body = exchange(hub, head, raw)
    assert status == 404
    assert hubkit.fault_of(body)["code"] == "PF-HTTP-NOT-FOUND"
    assert hubkit.received(hub) == before


@pytest.mark.parametrize("method,target,allowed", [
    ("PUT", "/services/juki.ResidentInquiry", "POST, GET, HEAD"),
    ("DELETE", "/health", "GET, HEAD"),
    ("OPTIONS", "/", "POST"),
    ("TRACE", "/health", "GET, HEAD"),
    ("FOO", "/schemas/builtin/x.xsd", "GET, HEAD"),
])
def test_other_methods_are_405_with_allow(hub, method, target, allowed):
    head = (f"{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
            f"Connection: close\r\n\r\n").encode()
    status, headers, body = exchange(hub, head)
    assert status == 405
    assert headers["allow"] == allowed
    assert json_code(headers, body) == "PF-HTTP-METHOD"


def test_head_of_health_has_no_body(hub):
    status, headers, body = exchange(hub, get(hub, "/health").replace(b"GET", b"HEAD", 1))
    assert status == 200 and body == b""


def test_a_20_kb_header_line_is_431_and_closed(hub):
    raw, _ = envelope()
    head = (f"POST /services/juki.ResidentInquiry HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: text/xml\r\nSOAPAction: \"{'a' * 20480}\"\r\n"
            f"Content-Length: {len(raw)}\r\n\r\n").encode()
    status, headers, body = exchange(hub, head, raw)
    assert status == 431
    assert headers["connection"] == "close"
    assert hubkit.fault_of(body) == {"code": "PF-LIMIT-HEADERS", "rule": "limit:header_line"}


def test_a_64_kb_get_header_is_431_json(hub):
    status, headers, body = exchange(hub, get(hub, "/health", f"X-Big: {'b' * 65536}\r\n"))
    assert status == 431 and json_code(headers, body) == "PF-LIMIT-HEADERS"


def test_a_64_kb_url_is_414(hub):
    status, headers, body = exchange(hub, get(hub, "/services/" + "x" * 65536 + "?wsdl"))
    assert status == 414 and headers["connection"] == "close"
    assert json_code(headers, body) == "PF-LIMIT-URI"


def test_a_long_post_url_is_414_soap_fault(hub):
    head = (f"POST /services/{'x' * 9000} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
            f"Content-Length: 0\r\n\r\n").encode()
    status, _, body = exchange(hub, head)
    assert status == 414 and hubkit.fault_of(body)["code"] == "PF-LIMIT-URI"


def test_too_many_headers_is_431(hub):
    many = "".join(f"X-H{i}: {i}\r\n" for i in range(150))
    status, headers, body = exchange(hub, get(hub, "/health", many))
    assert status == 431
    assert json.loads(body)["code"] == "PF-LIMIT-HEADERS"


def test_a_header_section_over_16_kb_is_431(hub):
    lines = "".join(f"X-H{i}: {'v' * 4000}\r\n" for i in range(6))
    status, _, body = exchange(hub, get(hub, "/health", lines))
    assert status == 431 and json.loads(body)["code"] == "PF-LIMIT-HEADERS"


@pytest.mark.parametrize("head", [
    b"GARBAGE\r\n\r\n",
    b"GET /health HTTP/1.1\r\nNo colon here\r\n\r\n",
    b"GET /health HTTP/1.1\r\nBad Name: x\r\n\r\n",
    b"POST /services/juki.ResidentInquiry HTTP/1.1\r\nContent-Type: text/xml\r\n"
    b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    b"POST /services/juki.ResidentInquiry HTTP/1.1\r\nContent-Type: text/xml\r\n"
    b"Content-Length: -1\r\n\r\n",
    b"POST /services/juki.ResidentInquiry HTTP/1.1\r\nContent-Type: text/xml\r\n"
    b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    b"POST /services/juki.ResidentInquiry HTTP/1.1\r\nContent-Type: text/xml\r\n"
    b"Transfer-Encoding: gzip\r\n\r\n",
])
def test_malformed_heads_are_400_with_a_body(hub, head):
    status, headers, body = exchange(hub, head)
    assert status == 400
    assert headers["connection"] == "close"
    code = (hubkit.fault_of(body)["code"] if head.startswith(b"POST")
            else json.loads(body)["code"])
    assert code == "PF-HTTP-BAD-REQUEST"


def test_a_valid_exchange_still_passes(hub):
    raw, _ = envelope()
    answer = hubkit.post(hub, raw, SOAP11)
    assert answer.status_code == 200
    # written whole with its length (one write), not as chunks
    assert answer.headers["content-length"] == str(len(answer.content)), answer.headers
    assert "transfer-encoding" not in answer.headers, answer.headers


def test_fields_a_client_or_a_proxy_adds_change_nothing(hub):
    """RFC 9112 2.2, RFC 9110 5.5: a header section is octets, obs-text is opaque data; an Accept
    is a preference (what P-WIRE-01 asks of a product since round 46b, of the hub too): a value in
    UTF-8 and one holding a Latin-1 octet, an empty and a padded value, a list field on two lines,
    a name of every token character, an Accept naming SOAP 1.2's type first — answered 200 in
    text/xml, the SOAP 1.1 request's own media type."""
    raw, _ = envelope()
    fields = (b"Accept: application/soap+xml, application/xml;q=0.9, */*;q=0.1\r\n"
              b"Accept-Charset: Shift_JIS, utf-8;q=0.1\r\n" + "X-Operator: 総務課\r\n".encode()
              + b"Via: 1.1 gw.example.lg.jp (Proxy caf\xe9)\r\nX-Empty:\r\n"
              b"X-Padded: \t padded \t\r\nCache-Control: no-cache\r\nCache-Control: no-store\r\n"
              b"X-Trace!#$%&'*+-.^_`|~0: 1\r\n")
    head = (f"POST /services/juki.ResidentInquiry HTTP/1.1\r\nHost: {hub['host']}\r\n"
            f"Content-Type: {hubkit.CTYPE[SOAP11]}\r\nContent-Length: {len(raw)}\r\n"
            f"Connection: close\r\n").encode("latin-1") + fields + b"\r\n"
    status, headers, body = exchange(hub, head, raw)
    assert status == 200, body[:300]
    assert headers["content-type"].startswith("text/xml"), headers


def test_no_exception_in_the_hub_log(hub):
    """Runs last in this module: nothing above made the hub print a traceback."""
    output = "".join(hub["processes"][0].output)
    assert "Traceback" not in output and "Unhandled" not in output, output[-3000:]


def test_an_absolute_form_target_is_served_as_its_path(hub):
    """RFC 9112 3.2.2: a server MUST accept the absolute-form (a client behind a forward
    proxy); the hub refused it 400 before request_path.origin_form."""
    scheme, _, rest = hub["url"].partition("://")
    for target in (f"{hub['url']}/health", f"{scheme.upper()}://{rest.upper()}/health"):
        status, _, _ = exchange(hub, get(hub, target))
        assert status == 200, target
