"""Request paths are split, then percent-decoded exactly once (bus.core.request_path)."""

from __future__ import annotations

import pytest

from bus.core.request_path import PathRefused, origin_form, path_segments


@pytest.mark.parametrize("raw,segments", [
    (b"/", ()),
    (b"/health", ("health",)),
    (b"/services/juki.ResidentInquiry", ("services", "juki.ResidentInquiry")),
    (b"/schemas/builtin/a%2Fb.xsd", ("schemas", "builtin", "a/b.xsd")),  # %2F stays inside
    (b"/schemas/%252e%252e/x", ("schemas", "%2e%2e", "x")),  # decoded once: not ".."
    (b"/%E4%BD%8F%E5%9F%BA", ("住基",)),
    (b"/a//b/", ("a", "", "b", "")),
])
def test_segments(raw, segments):
    assert path_segments(raw) == segments


@pytest.mark.parametrize("raw,status,rule", [
    (b"/schemas/x%00.xsd", 404, "http:path-control"),
    (b"/a%0d%0aSet-Cookie:x", 404, "http:path-control"),
    (b"/schemas/%2e%2e/x", 404, "http:path-dot"),
    (b"/schemas/../x", 404, "http:path-dot"),
    (b"/a%zz", 400, "http:percent-encoding"),
    (b"/a%", 400, "http:percent-encoding"),
    (b"/a%ff", 400, "http:path-encoding"),
    (b"*", 400, "http:path"),
    (b"http://example/health", 400, "http:path"),
])
def test_refused(raw, status, rule):
    with pytest.raises(PathRefused) as refused:
        path_segments(raw)
    assert (refused.value.status, refused.value.rule) == (status, rule)


@pytest.mark.parametrize("target,origin", [
    (b"http://127.0.0.1:8080/services/juki.ResidentInquiry",
     b"/services/juki.ResidentInquiry"),
    (b"HTTPS://Hub.Example:8443/health?x=1", b"/health?x=1"),  # scheme and host in any case
    (b"http://hub.example", b"/"),  # no path: the root
    (b"http://hub.example?q", b"/?q"),
    (b"/health", b"/health"),  # origin-form as it is
    (b"*", b"*"),  # anything else is the path checks' to judge
    (b"httpx://h/p", b"httpx://h/p"),
])
def test_an_absolute_form_target_is_read_as_its_origin_form(target, origin):
    assert origin_form(target) == origin
