"""The SDK endpoint's dispatch tag (adapters/sdk/dispatch.py ``body_tag``): a request of a few
kB is parsed whole, a larger or broken one incrementally; both give the same tag — the start
tag right after a Body child of the root — for well-formed, odd and broken requests alike."""

from __future__ import annotations

import io

import pytest

from adapters.sdk.dispatch import _WHOLE, _body_tag_incrementally, body_tag

SOAP11 = b'xmlns:a="http://schemas.xmlsoap.org/soap/envelope/"'
MANY = b"<x/>" * (_WHOLE // 4)  # past the size parsed whole

REQUESTS = {
    "soap 1.1": (b"<a:E %s><a:Header/><a:Body><x:R xmlns:x='u'/></a:Body></a:E>" % SOAP11,
                 "{u}R"),
    "soap 1.2": (b'<a:E xmlns:a="http://www.w3.org/2003/05/soap-envelope"><a:Body><R/>'
                 b"</a:Body></a:E>", "R"),
    "comments and PIs before it": (b"<a:E %s><a:Body><!-- c --><?pi x?><R/></a:Body></a:E>"
                                   % SOAP11, "R"),
    "empty Body: the next start tag": (b"<a:E %s><a:Body/><Extra/></a:E>" % SOAP11, "Extra"),
    "a Body inside the Header does not count": (
        b"<a:E %s><a:Header><a:Body><R/></a:Body></a:Header><a:Body><S/></a:Body></a:E>"
        % SOAP11, "S"),
    "no SOAP Body": (b"<E><Body/><Extra/></E>", None),
    "an internal entity": (b'<!DOCTYPE E [<!ENTITY e "x">]><a:E %s><a:Body><R>&e;</R>'
                           b"</a:Body></a:E>" % SOAP11, "R"),
    "utf-16": ('<?xml version="1.0" encoding="UTF-16"?><a:E xmlns:a="http://schemas.xmlsoap.'
               'org/soap/envelope/"><a:Body><R/></a:Body></a:E>'.encode("utf-16"), "R"),
    "broken after the tag": (b"<a:E %s><a:Body><R></a:Body></a:E>" % SOAP11, None),
    "cut before the tag": (b"<a:E %s><a:Body>" % SOAP11, None),
    "not XML": (b"not xml", None),
    "empty": (b"", None),
    "large": (b"<a:E %s><a:Body><R/>%s</a:Body></a:E>" % (SOAP11, MANY), "R"),
    "large, broken at the end": (b"<a:E %s><a:Body><R/>%s</a:Body></a:E>junk"
                                 % (SOAP11, MANY), "R"),
}


@pytest.mark.parametrize("name", REQUESTS)
def test_the_whole_and_the_incremental_parse_find_the_same_tag(name):
    data, tag = REQUESTS[name]
    assert _body_tag_incrementally(io.BytesIO(data)) == tag
    stream = io.BytesIO(data)
    assert body_tag(stream) == tag
