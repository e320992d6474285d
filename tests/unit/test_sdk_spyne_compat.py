"""The spyne 2.14 / Twisted >= 24.11 compatibility patch: what it fixes, and that it is needed.

The "unpatched" tests run spyne in a fresh interpreter without the patch and assert the four
breakages measured when the patch was written. When one starts failing, spyne or Twisted fixed
it: drop that part of adapters/sdk/spyne_compat.py (and its test) then.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from twisted.internet.address import IPv4Address
from twisted.web.test.requesthelper import DummyRequest

from adapters.sdk import spyne_compat


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120)


def test_apply_is_idempotent():
    spyne_compat.apply()
    applied = list(spyne_compat.APPLIED)
    spyne_compat.apply()
    assert spyne_compat.APPLIED == applied
    from spyne.server.twisted import http

    assert http._reconstruct_url is spyne_compat._reconstruct_url
    assert http.TwistedHttpTransportContext.get_request_method is spyne_compat._get_request_method
    assert http._has_fd is spyne_compat._has_no_fd
    assert len(applied) == len(set(applied))  # each patch once


def test_no_full_garbage_collection_after_each_request():
    import inspect

    from spyne import const
    from spyne.context import MethodContext

    spyne_compat.apply()
    # spyne collects in MethodContext.close when the last collection is older than this: the
    # patch works only while close still reads it (a later spyne may not: then look again)
    assert "const.MIN_GC_INTERVAL" in inspect.getsource(MethodContext.close)
    assert const.MIN_GC_INTERVAL == float("inf")


def test_twisted_server_imports_after_apply():
    result = run("""
        from adapters.sdk import spyne_compat
        spyne_compat.apply()
        import spyne.server.twisted
        print(spyne_compat.APPLIED)
    """)
    assert result.returncode == 0, result.stderr
    assert "twisted.python.constants -> constantly" in result.stdout


def test_reconstruct_url_is_str_with_bytes_from_twisted():
    spyne_compat.apply()
    request = DummyRequest([b"soap", b"juki.ResidentInquiry"])
    request.uri = b"/soap/juki.ResidentInquiry?wsdl"
    request.isSecure = lambda: False  # DummyRequest lacks it
    request.getRequestHostname = lambda: b"vendor-a.example"  # Twisted gives bytes
    request.getHost = lambda: IPv4Address("TCP", "127.0.0.1", 8443)
    assert spyne_compat._reconstruct_url(request) == \
        "http://vendor-a.example:8443/soap/juki.ResidentInquiry?wsdl"
    request.requestHeaders.setRawHeaders(b"x-forwarded-host", [b"gw.example"])
    request.requestHeaders.setRawHeaders(b"x-forwarded-proto", [b"https"])
    request.requestHeaders.setRawHeaders(b"x-forwarded-port", [b"443"])
    assert spyne_compat._reconstruct_url(request) == \
        "https://gw.example/soap/juki.ResidentInquiry?wsdl"


def test_request_method_is_str():
    spyne_compat.apply()
    from spyne.server.twisted.http import TwistedHttpTransportContext

    ctx = TwistedHttpTransportContext.__new__(TwistedHttpTransportContext)
    ctx.req = DummyRequest([b""])
    ctx.req.method = b"POST"
    assert ctx.get_request_method() == "POST"


# --- the breakages, measured without the patch ----------------------------------------------------

def test_unpatched_import_fails_on_this_twisted():
    result = run("import spyne.server.twisted")
    assert result.returncode != 0
    assert "twisted.python.constants" in result.stderr


def test_unpatched_wsdl_url_and_method_are_broken():
    result = run("""
        import sys, constantly
        sys.modules["twisted.python.constants"] = constantly   # only the import fix
        from twisted.web.test.requesthelper import DummyRequest
        from spyne.server.twisted import http
        request = DummyRequest([b""])
        request.uri = b"/soap?wsdl"
        request.isSecure = lambda: False
        try:
            http._reconstruct_url(request)
            print("wsdl-url-ok")
        except TypeError:
            print("wsdl-url-TypeError")          # spyne #600: GET ?wsdl answers 500
        ctx = http.TwistedHttpTransportContext.__new__(http.TwistedHttpTransportContext)
        ctx.req = request
        request.method = b"POST"
        print("method", repr(ctx.get_request_method()))  # spyne #709: compared with "POST"
    """)
    assert result.returncode == 0, result.stderr
    assert "wsdl-url-TypeError" in result.stdout
    assert "method b'POST'" in result.stdout


def test_unpatched_large_bodies_fail_to_parse():
    result = run("""
        import mmap, sys, tempfile, constantly
        sys.modules["twisted.python.constants"] = constantly
        from lxml.etree import XMLParser
        from spyne.server.twisted import http
        from spyne.protocol.soap.soap11 import _parse_xml_string
        with tempfile.TemporaryFile() as f:   # how Twisted keeps a body over 100,000 bytes
            f.write(b"<a/>"); f.flush()
            print("has_fd", http._has_fd(f))
            try:
                _parse_xml_string([mmap.mmap(f.fileno(), 0)], XMLParser())
                print("parsed")
            except TypeError:
                print("mmap-TypeError")
    """)
    assert result.returncode == 0, result.stderr
    assert "has_fd True" in result.stdout and "mmap-TypeError" in result.stdout


def test_a_finished_context_lets_go_of_its_documents():
    from types import SimpleNamespace

    from lxml import etree

    page = etree.Element("page")
    ctx = SimpleNamespace(in_string=[b"<x/>"], in_document=page, out_document=page,
                          out_object=[page], udc=page, transport="kept", out_error=None)
    spyne_compat.release_documents(ctx)
    assert (ctx.in_string, ctx.in_document, ctx.out_document, ctx.out_object, ctx.udc) == \
        (None,) * 5
    assert ctx.transport == "kept"  # only the exchange's documents, nothing else


_ENVELOPES = [  # (SOAP namespace, envelope) — what _from_soap is given, sound or not
    ("S11", '<e:Envelope xmlns:e="S11"><e:Header><h/><!--c--><g/></e:Header>'
            '<e:Body><b/><c/></e:Body></e:Envelope>'),
    ("S11", '<e:Envelope xmlns:e="S11"><e:Body><!--first--><b/></e:Body></e:Envelope>'),
    ("S11", '<e:Envelope xmlns:e="S11"><e:Header/><e:Body/></e:Envelope>'),
    ("S11", '<e:Envelope xmlns:e="S11"><e:Header><x/></e:Header></e:Envelope>'),
    ("S11", '<e:Envelope xmlns:e="S11"><e:Header><one/></e:Header><e:Header><two/></e:Header>'
            '<e:Body><b1/></e:Body><e:Body><b2/></e:Body></e:Envelope>'),
    ("S11", '<e:Envelope xmlns:e="S11"><o:Header xmlns:o="other"/><x><e:Body><b/></e:Body></x>'
            '</e:Envelope>'),
    ("S11", '<e:Envelope xmlns:e="S11"/>'),
    ("S12", '<e:Envelope xmlns:e="S11"><e:Body><b/></e:Body></e:Envelope>'),
    ("S11", '<Envelope><Body><b/></Body></Envelope>'),
]

_DESCRIBE = """
def describe(from_soap, ns, text):
    from lxml import etree
    try:
        header, body = from_soap(etree.fromstring(text), None, ns=ns)
    except Exception as exc:
        return ["fault", str(getattr(exc, "faultcode", "")), str(exc)]
    return [None if header is None else [etree.tostring(h).decode() for h in header],
            None if body is None else etree.tostring(body).decode()]
"""


def test_from_soap_finds_what_spynes_finds():
    """spyne_compat._from_soap against spyne's own (a fresh interpreter without the patch), on
    sound and odd envelopes; and spyne's still compiles XPath per call (else drop the patch)."""
    import json

    namespace: dict = {}
    exec(_DESCRIBE, namespace)  # noqa: S102 - the same helper in both interpreters
    spyne_compat.apply()
    ours = [namespace["describe"](spyne_compat._from_soap, ns, text) for ns, text in _ENVELOPES]
    result = run(f"""
        import inspect, json, sys, constantly
        sys.modules["twisted.python.constants"] = constantly
        from spyne.protocol.soap.soap11 import _from_soap
        {textwrap.indent(_DESCRIBE, " " * 8).strip()}
        print("xpath" in inspect.getsource(_from_soap))
        print(json.dumps([describe(_from_soap, ns, text) for ns, text in {_ENVELOPES!r}]))
    """)
    assert result.returncode == 0, result.stderr
    still_xpath, theirs = result.stdout.splitlines()
    assert still_xpath == "True"
    assert json.loads(theirs) == ours
    from spyne.protocol.soap import soap11

    assert soap11._from_soap is spyne_compat._from_soap
